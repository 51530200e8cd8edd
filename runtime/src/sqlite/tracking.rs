//! Tracking in SQLite: the Python library's single-row `tracking` table,
//! in the same database as the events, and events recorded with tracking
//! in one transaction.

use std::sync::atomic::Ordering;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, named_params};

use super::SqliteRecorder;
use crate::persistence::tracking::conflict as tracking_conflict;
use crate::persistence::{ProcessRecorder, StoredEvent, Tracking, TrackingRecorder, ViewRecorder};
use crate::sql::{MIGRATION_APPLICATION_NAME, stored_tracking_id, tracking_id_to_store};
use crate::{ErrorKind, Result};

/// The table tracking is kept in, as the Python library names it.
pub(crate) const TRACKING_TABLE: &str = "tracking";

/// The Python library's `SQLiteTrackingRecorder` statements (single-row).
const CREATE: &str = "CREATE TABLE IF NOT EXISTS tracking (application_name TEXT, \
                      notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID";
const UPSERT: &str = "INSERT INTO tracking VALUES (:application_name, :notification_id) \
                      ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id \
                      WHERE tracking.notification_id < :notification_id RETURNING notification_id";
const SELECT_MAX: &str = "SELECT MAX(notification_id) FROM tracking WHERE application_name=?";

/// Records `tracking` in the open transaction of `conn`, as the Python
/// library's single-row upsert does: no row returned means the recorded id
/// is at or above it.
fn upsert(conn: &Connection, tracking: &Tracking) -> Result<()> {
    let id = tracking_id_to_store(tracking)?;
    let returned: Option<i64> = conn
        .prepare_cached(UPSERT)?
        .query_row(
            named_params! {":application_name": tracking.application_name, ":notification_id": id},
            |row| row.get(0),
        )
        .optional()?;
    match returned {
        Some(_) => Ok(()),
        None => Err(tracking_conflict(tracking)),
    }
}

/// The highest tracked id of `application_name`, read on `conn`.
fn select_max(conn: &Connection, application_name: &str) -> Result<Option<u64>> {
    let max = conn
        .prepare_cached(SELECT_MAX)?
        .query_row([application_name], |row| {
            Ok(row.get_ref(0)?.as_i64_or_null()?)
        })?;
    stored_tracking_id(application_name, max)
}

impl SqliteRecorder {
    /// Creates the tracking table, [`TRACKING_TABLE`], when missing, as the
    /// Python library's `SQLiteTrackingRecorder` creates it for single-row
    /// tracking, with its `("__migration__", 1)` row. The tracking methods
    /// call it before their first use.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTracking`] for an existing table without the
    /// `__migration__` row (a legacy multi-row table, which the Python
    /// library migrates and the runtime does not); SQLite errors.
    pub(crate) fn create_tracking_table(&self) -> Result<()> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existed = super::table_exists(&tx, TRACKING_TABLE)?;
        if existed {
            if select_max(&tx, MIGRATION_APPLICATION_NAME)?.is_none() {
                return Err(ErrorKind::InvalidTracking {
                    application_name: MIGRATION_APPLICATION_NAME.to_owned(),
                    problem: format!(
                        "the table {TRACKING_TABLE} has no {MIGRATION_APPLICATION_NAME} row: it is \
                         a legacy multi-row tracking table, which the Python library migrates \
                         (open it once with it) and the runtime does not"
                    ),
                }
                .into());
            }
        } else if self.config.create_table {
            tx.execute_batch(CREATE)?;
            upsert(&tx, &Tracking::new(MIGRATION_APPLICATION_NAME, 1))?;
        } else {
            return Err(ErrorKind::MissingTable {
                table: TRACKING_TABLE.to_owned(),
            }
            .into());
        }
        tx.commit()?;
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

/// A connection in a transaction that is rolled back when this is dropped
/// before it is committed: on an error, and when a view's write panics (the
/// writer's lock is taken back from a panic, so the transaction must not
/// outlive it).
struct RolledBackUnlessCommitted<'c>(&'c mut Connection);

impl Drop for RolledBackUnlessCommitted<'_> {
    fn drop(&mut self) {
        if !self.0.is_autocommit() {
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

impl ViewRecorder for SqliteRecorder {
    type Connection = Connection;

    const DESCRIPTION: &'static str = "a SQLite view";

    fn record_view(
        &self,
        tracking: &Tracking,
        write: &mut (dyn FnMut(&mut Connection) -> Result<()> + Send),
    ) -> Result<()> {
        self.ensure_tracking_table()?;
        let mut conn = self.writer();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let open = RolledBackUnlessCommitted(&mut conn);
        write(open.0)?;
        if open.0.is_autocommit() {
            return Err(ErrorKind::ViewTransactionEnded {
                view: Self::DESCRIPTION,
                leader: tracking.application_name.clone(),
                notification_id: tracking.notification_id,
            }
            .into());
        }
        upsert(open.0, tracking)?;
        open.0.execute_batch("COMMIT")?;
        Ok(())
    }
}

impl TrackingRecorder for SqliteRecorder {
    fn insert_tracking(&self, tracking: &Tracking) -> Result<()> {
        self.ensure_tracking_table()?;
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        upsert(&tx, tracking)?;
        tx.commit()?;
        Ok(())
    }

    fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>> {
        self.ensure_tracking_table()?;
        self.with_reader(|conn| select_max(conn, application_name))
    }
}

impl ProcessRecorder for SqliteRecorder {
    fn insert_events_tracked(
        &self,
        events: &[StoredEvent],
        tracking: Option<&Tracking>,
    ) -> Result<Vec<u64>> {
        self.ensure_tracking_table()?;
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids = self.insert_in(&tx, events)?;
        // After the events, as the Python library's SQLiteProcessRecorder.
        if let Some(tracking) = tracking {
            upsert(&tx, tracking)?;
        }
        tx.commit()?;
        drop(conn);
        self.bell.ring();
        Ok(ids)
    }
}
