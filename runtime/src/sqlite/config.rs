//! How to open a SQLite database: its settings, read from the environment
//! as the Python library reads them.

use std::time::Duration;

use rusqlite::OpenFlags;

use crate::Result;
use crate::persistence::Environment;
use crate::sql::check_single_row_tracking;

/// The default time to wait for the write lock.
pub(crate) const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest `SQLITE_LOCK_TIMEOUT`: SQLite takes its busy timeout as a
/// 32-bit number of milliseconds.
const MAX_LOCK_TIMEOUT_SECONDS: f64 = 2_147_483.0;

/// How to open a SQLite database.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct SqliteConfig {
    /// A file path, `:memory:`, or a `file:` URI (e.g.
    /// `file:app1?mode=memory&cache=shared`).
    pub dbname: String,
    /// How long a write waits for another writer's lock.
    pub lock_timeout: Duration,
    /// The table (the Python library's `stored_events` by default).
    pub table: String,
    /// Create the tables when missing (`CREATE_TABLE`, default yes);
    /// without, a missing one is
    /// [`ErrorKind::MissingTable`](crate::ErrorKind::MissingTable).
    pub create_table: bool,
}

impl SqliteConfig {
    /// Settings for `dbname` with the defaults.
    pub(crate) fn new(dbname: impl Into<String>) -> Self {
        Self {
            dbname: dbname.into(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            table: "stored_events".to_owned(),
            create_table: true,
        }
    }

    /// Reads `SQLITE_DBNAME` (required) and `SQLITE_LOCK_TIMEOUT` (seconds,
    /// from 0 to 2,147,483: SQLite's busy timeout is a 32-bit number of
    /// milliseconds). As in the Python library, 0 means the default, 5 s.
    /// `SINGLE_ROW_TRACKING`, when set, must be true: only single-row
    /// tracking is implemented (see `check_single_row_tracking`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MissingSetting`](crate::ErrorKind::MissingSetting) or
    /// [`ErrorKind::InvalidSetting`](crate::ErrorKind::InvalidSetting) naming the variable.
    pub fn from_env(env: &Environment) -> Result<Self> {
        check_single_row_tracking(env)?;
        let dbname = env.require(
            "SQLITE_DBNAME",
            "the SQLite recorder needs a database: a file path, :memory: or a file: URI",
        )?;
        let mut config = Self::new(dbname);
        config.create_table = env.flag("CREATE_TABLE")?.unwrap_or(true);
        if let Some(timeout) = env
            .seconds("SQLITE_LOCK_TIMEOUT", 0.0, MAX_LOCK_TIMEOUT_SECONDS)?
            .filter(|t| !t.is_zero())
        {
            config.lock_timeout = timeout;
        }
        Ok(config)
    }

    /// A private in-memory database (`:memory:` without a shared cache),
    /// which only its one connection can reach.
    pub(super) fn is_private_memory(&self) -> bool {
        self.is_memory() && !self.dbname.contains("cache=shared")
    }

    pub(super) fn is_memory(&self) -> bool {
        self.dbname.starts_with(":memory:") || self.dbname.contains("mode=memory")
    }

    /// The name and flags to open: `:memory:?...cache=shared` becomes the URI
    /// of the one shared in-memory database, as Python's `sqlite3` reads it.
    pub(super) fn target(&self) -> (String, OpenFlags) {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // With CREATE_TABLE off a database file is not created either: a
        // wrong SQLITE_DBNAME is an error, not a new empty file.
        if self.create_table || self.is_memory() {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        if let Some(query) = self
            .dbname
            .strip_prefix(":memory:")
            .filter(|q| !q.is_empty())
        {
            (
                format!("file::memory:{query}"),
                flags | OpenFlags::SQLITE_OPEN_URI,
            )
        } else if self.dbname.starts_with("file:") {
            (self.dbname.clone(), flags | OpenFlags::SQLITE_OPEN_URI)
        } else {
            (self.dbname.clone(), flags)
        }
    }
}
