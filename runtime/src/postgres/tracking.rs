//! Tracking in PostgreSQL: the Python library's single-row
//! `<application>_tracking` table, beside the events table, through the
//! same pool; and events recorded with tracking in one transaction.

use std::sync::atomic::Ordering;

use super::{Failure, PgConnection, PostgresRecorder, TABLE_PARAMETERS, create, require_table};
use crate::persistence::tracking::conflict as tracking_conflict;
use crate::persistence::{ProcessRecorder, StoredEvent, Tracking, TrackingRecorder, ViewRecorder};
use crate::sql::{MIGRATION_APPLICATION_NAME, stored_tracking_id, tracking_id_to_store};
use crate::{ErrorKind, Result};

impl PostgresRecorder {
    /// The schema-qualified tracking table name, quoted for SQL.
    #[doc(hidden)]
    pub fn qualified_tracking_table(&self) -> &str {
        &self.names.qualified_tracking_table
    }

    /// The Python library's single-row upsert: no row returned means the
    /// recorded id is at or above the given one.
    fn upsert_sql(&self) -> String {
        let table = &self.names.qualified_tracking_table;
        format!(
            "INSERT INTO {table} VALUES ($1, $2) ON CONFLICT (application_name) DO UPDATE \
             SET notification_id = $2 WHERE {table}.notification_id < $2 \
             RETURNING notification_id"
        )
    }

    /// Records `tracking` (whose id as stored is `id`) in the open
    /// transaction of `conn`.
    pub(super) fn upsert_tracking(
        &self,
        conn: &mut PgConnection,
        tracking: &Tracking,
        id: i64,
    ) -> Result<(), Failure> {
        let upsert = conn.prepare(&self.upsert_sql())?;
        let rows = conn
            .client
            .query(&upsert, &[&tracking.application_name, &id])?;
        if rows.is_empty() {
            return Err(Failure::Other(tracking_conflict(tracking)));
        }
        Ok(())
    }

    /// The highest tracked id of `application_name`, read on `conn`.
    fn select_max(
        &self,
        conn: &mut PgConnection,
        application_name: &str,
    ) -> Result<Option<u64>, Failure> {
        let select = conn.prepare(&format!(
            "SELECT MAX(notification_id) FROM {} WHERE application_name=$1",
            self.names.qualified_tracking_table
        ))?;
        let row = conn.client.query_one(&select, &[&application_name])?;
        let max: Option<i64> = row.try_get(0)?;
        Ok(stored_tracking_id(application_name, max)?)
    }

    /// Creates the tracking table (`<application>_tracking`, see
    /// [`PostgresConfig::tracking_table`](super::PostgresConfig::tracking_table))
    /// when missing, as the Python library's `PostgresTrackingRecorder`
    /// creates it for single-row tracking, with its `("__migration__", 1)`
    /// row. The tracking methods call it before their first use.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTracking`] for an existing table that holds rows but
    /// no `__migration__` row (a legacy multi-row table, which the Python
    /// library migrates and the runtime does not); PostgreSQL errors.
    pub(crate) fn create_tracking_table(&self) -> Result<()> {
        let table = self.names.qualified_tracking_table.clone();
        let create_table = self.config.create_table;
        let statement = format!(
            "CREATE TABLE IF NOT EXISTS {table} (application_name text, notification_id bigint, \
             PRIMARY KEY (application_name)) {TABLE_PARAMETERS}"
        );
        self.run(|conn| {
            // With CREATE_TABLE off the table must exist; it is checked as
            // one just created is (its `__migration__` row, or a legacy table).
            if create_table {
                create(conn, std::slice::from_ref(&statement))?;
            } else {
                require_table(conn, &table)?;
            }
            // Under the lock, and committed before any other row can be
            // recorded: a table with rows but no such row is not one of ours.
            conn.client
                .batch_execute(&format!("BEGIN; LOCK TABLE {table} IN EXCLUSIVE MODE"))?;
            if self.select_max(conn, MIGRATION_APPLICATION_NAME)?.is_some() {
                conn.client.batch_execute("COMMIT")?;
                return Ok(());
            }
            // A table just created (here or by another process at the same
            // moment) is empty: it gets the row. One with rows is legacy.
            let any = conn
                .client
                .query_opt(&format!("SELECT 1 FROM {table} LIMIT 1"), &[])?;
            if any.is_some() {
                return Err(Failure::Other(
                    ErrorKind::InvalidTracking {
                        application_name: MIGRATION_APPLICATION_NAME.to_owned(),
                        problem: format!(
                            "the table {table} has no {MIGRATION_APPLICATION_NAME} row: it is a \
                         legacy multi-row tracking table, which the Python library migrates \
                         (open it once with it) and the runtime does not"
                        ),
                    }
                    .into(),
                ));
            }
            conn.client.execute(
                &format!("INSERT INTO {table} VALUES ($1, 1)"),
                &[&MIGRATION_APPLICATION_NAME],
            )?;
            conn.commit()?;
            Ok(())
        })?;
        self.tracking_ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Creates the tracking table unless it is known to exist.
    fn ensure_tracking_table(&self) -> Result<()> {
        if self.tracking_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        self.create_tracking_table()
    }
}

impl ViewRecorder for PostgresRecorder {
    type Connection = postgres::Client;

    const DESCRIPTION: &'static str = "a PostgreSQL view";

    fn record_view(
        &self,
        tracking: &Tracking,
        write: &mut (dyn FnMut(&mut postgres::Client) -> Result<()> + Send),
    ) -> Result<()> {
        self.ensure_tracking_table()?;
        let id = tracking_id_to_store(tracking)?;
        self.run(|conn| {
            conn.client.batch_execute("BEGIN")?;
            write(&mut conn.client).map_err(Failure::Other)?;
            self.upsert_tracking(conn, tracking, id)?;
            conn.commit()?;
            Ok(())
        })
    }
}

impl TrackingRecorder for PostgresRecorder {
    fn insert_tracking(&self, tracking: &Tracking) -> Result<()> {
        self.ensure_tracking_table()?;
        let id = tracking_id_to_store(tracking)?;
        self.run(|conn| {
            conn.client.batch_execute("BEGIN")?;
            self.upsert_tracking(conn, tracking, id)?;
            conn.commit()?;
            Ok(())
        })
    }

    fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>> {
        self.ensure_tracking_table()?;
        self.run(|conn| self.select_max(conn, application_name))
    }
}

impl ProcessRecorder for PostgresRecorder {
    fn insert_events_tracked(
        &self,
        events: &[StoredEvent],
        tracking: Option<&Tracking>,
    ) -> Result<Vec<u64>> {
        self.ensure_tracking_table()?;
        self.insert_with(events, tracking)
    }
}
