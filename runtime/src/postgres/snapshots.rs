//! Snapshots in PostgreSQL: the Python library's `<application>_snapshots`
//! table, beside the events table, through the same pool.

use postgres::error::SqlState;
use uuid::Uuid;

use super::{
    PostgresRecorder, TABLE_PARAMETERS, create, lend_event, require_table, stored_event_type,
};
use crate::persistence::{SnapshotRecorder, StoredEvent};
use crate::{ErrorKind, Result};

impl PostgresRecorder {
    /// Creates the snapshot table (`<application>_snapshots`, see
    /// [`PostgresConfig::snapshot_table`](super::PostgresConfig::snapshot_table))
    /// when missing, as the Python library's `PostgresAggregateRecorder`
    /// creates it.
    ///
    /// # Errors
    ///
    /// PostgreSQL errors.
    pub(crate) fn create_snapshot_table(&self) -> Result<()> {
        let table = &self.names.qualified_snapshot_table;
        if !self.config.create_table {
            return self.run(|conn| Ok(require_table(conn, table)?));
        }
        let statements = [
            format!(
                "CREATE TABLE IF NOT EXISTS {table} (originator_id uuid NOT NULL, \
                 originator_version bigint NOT NULL, topic text, state bytea, \
                 PRIMARY KEY (originator_id, originator_version)) {TABLE_PARAMETERS}"
            ),
            stored_event_type(&self.names.schema),
        ];
        self.run(|conn| Ok(create(conn, &statements)?))
    }
}

impl SnapshotRecorder for PostgresRecorder {
    fn insert_snapshot(&self, snapshot: &StoredEvent) -> Result<()> {
        let conflict = || {
            ErrorKind::VersionConflict {
                originator_id: snapshot.originator_id,
                originator_version: snapshot.originator_version,
            }
            .into()
        };
        // A version no stored event can have is refused, never cut short.
        let version = i64::try_from(snapshot.originator_version).map_err(|_| conflict())?;
        let sql = format!(
            "INSERT INTO {} (originator_id, originator_version, topic, state) VALUES ($1, $2, $3, $4)",
            self.names.qualified_snapshot_table
        );
        let result = self.run(|conn| {
            let insert = conn.prepare(&sql)?;
            conn.client.execute(
                &insert,
                &[
                    &snapshot.originator_id,
                    &version,
                    &snapshot.topic,
                    &snapshot.state,
                ],
            )?;
            Ok(())
        });
        match result {
            Err(e) if super::errors::sqlstate(&e) == Some(&SqlState::UNIQUE_VIOLATION) => {
                Err(conflict())
            }
            other => other,
        }
    }

    fn latest_snapshot(
        &self,
        originator_id: Uuid,
        lte: Option<u64>,
    ) -> Result<Option<StoredEvent>> {
        let sql = format!(
            "SELECT originator_version, topic, state FROM {} \
             WHERE originator_id = $1 AND originator_version <= $2 \
             ORDER BY originator_version DESC LIMIT 1",
            self.names.qualified_snapshot_table
        );
        let lte = i64::try_from(lte.unwrap_or(u64::MAX)).unwrap_or(i64::MAX);
        self.run(|conn| {
            let select = conn.prepare(&sql)?;
            let rows = conn.client.query(&select, &[&originator_id, &lte])?;
            Ok(rows
                .first()
                .map(|row| lend_event(originator_id, row).map(crate::sql::owned))
                .transpose()?)
        })
    }
}
