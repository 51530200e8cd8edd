//! Snapshots in SQLite: the Python library's `stored_snapshots` table, in
//! the same database as the events.

use rusqlite::{ErrorCode, params};
use uuid::Uuid;

use super::{SqliteRecorder, lend_event, to_i64};
use crate::persistence::{SnapshotRecorder, StoredEvent};
use crate::{ErrorKind, Result};

/// The table snapshots are kept in, as the Python library names it.
pub(crate) const SNAPSHOT_TABLE: &str = "stored_snapshots";

impl SqliteRecorder {
    /// Creates the snapshot table, [`SNAPSHOT_TABLE`], when missing, as the
    /// Python library creates it (`WITHOUT ROWID`: snapshots are in no log).
    ///
    /// # Errors
    ///
    /// SQLite errors.
    pub(crate) fn create_snapshot_table(&self) -> Result<()> {
        if !self.config.create_table {
            return super::require_table(&self.writer(), SNAPSHOT_TABLE);
        }
        self.writer().execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {SNAPSHOT_TABLE} (originator_id TEXT, originator_version INTEGER, \
             topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID"
        ))?;
        Ok(())
    }
}

impl SnapshotRecorder for SqliteRecorder {
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
        let mut hex = Uuid::encode_buffer();
        let id: &str = snapshot.originator_id.simple().encode_lower(&mut hex);
        let conn = self.writer();
        let mut insert = conn.prepare_cached(&format!(
            "INSERT INTO {SNAPSHOT_TABLE} (originator_id, originator_version, topic, state) \
             VALUES (?1, ?2, ?3, ?4)"
        ))?;
        match insert.execute(params![id, version, snapshot.topic, snapshot.state]) {
            Ok(_) => Ok(()),
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                Err(conflict())
            }
            Err(e) => Err(e.into()),
        }
    }

    fn latest_snapshot(
        &self,
        originator_id: Uuid,
        lte: Option<u64>,
    ) -> Result<Option<StoredEvent>> {
        let mut hex = Uuid::encode_buffer();
        let id: &str = originator_id.simple().encode_lower(&mut hex);
        self.with_reader(|conn| {
            let mut select = conn.prepare_cached(&format!(
                "SELECT originator_version, topic, state FROM {SNAPSHOT_TABLE} \
                 WHERE originator_id = ?1 AND originator_version <= ?2 \
                 ORDER BY originator_version DESC LIMIT 1"
            ))?;
            let mut rows = select.query(params![id, to_i64(lte.unwrap_or(u64::MAX))])?;
            match rows.next()? {
                Some(row) => Ok(Some(crate::sql::owned(lend_event(originator_id, row)?))),
                None => Ok(None),
            }
        })
    }
}
