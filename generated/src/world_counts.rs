//! An example read model: how many things happened in each world of the
//! tutorial's `Universe`, kept in a SQLite table of its own
//! (`world_events`) beside the tracking record of the last notification it
//! counted, each count written in the same transaction as that record.
//!
//! ```
//! use eventsmith_generated::world::Universe;
//! use eventsmith_generated::world_counts::WorldCounts;
//! let dir = tempfile::tempdir()?;
//! // The leader in a database too: a view's position outlives the process.
//! let db = dir.path().join("universe.sqlite");
//! let universe = Universe::isolated([
//!     ("PERSISTENCE_MODULE", "sqlite"),
//!     ("SQLITE_DBNAME", db.to_str().unwrap()),
//! ])?;
//! let counts = WorldCounts::open(&dir.path().join("counts.sqlite"))?;
//! let world = universe.create_world("Earth")?;
//! universe.make_it_so(world, "dinosaurs")?;
//! assert_eq!(counts.follow(&universe)?, 2);
//! assert_eq!(counts.things_happened(world)?, Some(1));
//! assert_eq!(counts.worlds()?, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use eventsmith::persistence::{Environment, TrackingRecorder};
use eventsmith::sqlite::{SqliteRecorder, driver};
use eventsmith::system::project;
use eventsmith::{ErrorKind, PolicyError, Result};

use crate::world::{Universe, WorldEvent, WorldId};

/// The read model's table, created with its first count.
const TABLE: &str = "CREATE TABLE IF NOT EXISTS world_events \
                     (world_id TEXT PRIMARY KEY, name TEXT NOT NULL, things INTEGER NOT NULL)";

/// Counts of what happened in each world, in a SQLite database of their own.
#[derive(Debug)]
pub struct WorldCounts {
    view: SqliteRecorder,
    /// A connection to read the counts with.
    reader: Mutex<driver::Connection>,
}

impl WorldCounts {
    /// The counts kept in the SQLite file `path` (created when missing).
    ///
    /// # Errors
    ///
    /// SQLite errors; a path that is not UTF-8.
    pub fn open(path: &Path) -> Result<Self> {
        let path = path.to_str().ok_or_else(|| ErrorKind::InvalidSetting {
            variable: "SQLITE_DBNAME".to_owned(),
            value: path.to_string_lossy().into_owned(),
            expected: "a UTF-8 path".to_owned(),
        })?;
        let env = Environment::isolated("WorldCounts", [("SQLITE_DBNAME", path)]);
        let view = SqliteRecorder::from_env(&env)?;
        let reader = driver::Connection::open(path)?;
        reader.execute_batch(TABLE)?;
        Ok(Self {
            view,
            reader: Mutex::new(reader),
        })
    }

    /// Counts what `universe` stored since the last call; how many
    /// notifications.
    ///
    /// # Errors
    ///
    /// As [`project`].
    pub fn follow(&self, universe: &Universe) -> Result<u64> {
        project::<WorldEvent, _, _>(&self.view, universe.application(), count)
    }

    /// Waits until the counts include notification `id` of the universe
    /// (read-your-writes after a save).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TrackingTimeout`] after `timeout`.
    pub fn wait(&self, id: u64, timeout: Duration) -> Result<()> {
        self.view.wait(Universe::NAME, Some(id), timeout)
    }

    /// How many things happened in `world`, when it was counted.
    ///
    /// # Errors
    ///
    /// SQLite errors.
    pub fn things_happened(&self, world: WorldId) -> Result<Option<i64>> {
        self.read(|conn| {
            conn.query_row(
                "SELECT things FROM world_events WHERE world_id = ?1",
                [world.to_string()],
                |row| row.get(0),
            )
        })
    }

    /// How many worlds were counted.
    ///
    /// # Errors
    ///
    /// SQLite errors.
    pub fn worlds(&self) -> Result<i64> {
        Ok(self
            .read(|conn| conn.query_row("SELECT count(*) FROM world_events", [], |row| row.get(0)))?
            .unwrap_or(0))
    }

    fn read<T>(
        &self,
        query: impl FnOnce(&driver::Connection) -> driver::Result<T>,
    ) -> Result<Option<T>> {
        let conn = self.reader.lock().unwrap_or_else(PoisonError::into_inner);
        match query(&conn) {
            Ok(value) => Ok(Some(value)),
            Err(driver::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The projection: a row for each world started, one more thing for each
/// thing that happened.
fn count(event: WorldEvent, conn: &mut driver::Connection) -> std::result::Result<(), PolicyError> {
    conn.execute_batch(TABLE)?;
    match event {
        WorldEvent::Started(started) => conn.execute(
            "INSERT INTO world_events VALUES (?1, ?2, 0)",
            (started.originator_id.to_string(), started.name),
        )?,
        WorldEvent::SomethingHappened(happened) => conn.execute(
            "UPDATE world_events SET things = things + 1 WHERE world_id = ?1",
            [happened.originator_id.to_string()],
        )?,
    };
    Ok(())
}
