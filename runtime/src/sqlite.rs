//! The SQLite recorder (feature `sqlite`), with the Python library's table.
//!
//! Events are kept in `stored_events (originator_id TEXT, originator_version
//! INTEGER, topic TEXT, state BLOB, PRIMARY KEY (originator_id,
//! originator_version))`, ids as 32 hex characters; the notification id is
//! the rowid. File databases use write-ahead logging, so readers do not wait
//! for writers, and each thread reading at a time has a connection of its
//! own; writes take the write lock when their transaction begins
//! (`BEGIN IMMEDIATE`), so several threads and processes can write to one
//! file, waiting up to `SQLITE_LOCK_TIMEOUT` seconds (default 5) for it.
//!
//! ```
//! use eventsmith::persistence::{AggregateRecorder, ApplicationRecorder, NotificationQuery, StoredEvent};
//! use eventsmith::sqlite::SqliteRecorder;
//!
//! let recorder = SqliteRecorder::open(":memory:")?;
//! let id = uuid::Uuid::new_v4();
//! let event = StoredEvent { originator_id: id, originator_version: 1, topic: "t".into(), state: b"{}".to_vec() };
//! assert_eq!(recorder.insert_events(&[event])?, vec![1]);
//! assert_eq!(recorder.select_notifications(&NotificationQuery::new(1, 10))?[0].originator_id, id);
//! # Ok::<(), eventsmith::Error>(())
//! ```

use bytes::Bytes;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{
    Connection, ErrorCode, Row, Transaction, TransactionBehavior, params, params_from_iter,
};
use uuid::Uuid;

use crate::persistence::recorder::{BatchVersions, check_next_version};
use crate::persistence::subscription::{Bell, Source, backoff};
use crate::persistence::{
    AggregateRecorder, ApplicationRecorder, Environment, EventQuery, Notification,
    NotificationQuery, StoredEvent, StoredEventRef, Subscription,
};
use crate::sql::{RowOriginator, RowPosition, collect_lent, quote_identifier};
use crate::{Error, ErrorKind, Result};

mod config;
mod snapshots;
mod tracking;

pub use config::SqliteConfig;

/// An SQLite error, the driver's error kept as its source: so `?` works on
/// the driver's calls, in the recorder and in a projection's writes.
impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        // Busy or locked past the busy timeout: another connection held the
        // lock, which may pass.
        let transient = matches!(
            error.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        ErrorKind::Sqlite(crate::DriverError::new(error.to_string(), error, transient)).into()
    }
}

/// Whether the table `name` exists in the database `conn` is open on.
///
/// # Errors
///
/// SQLite errors.
fn table_exists(conn: &Connection, name: &str) -> Result<bool> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Checks that the table `name` exists (with `CREATE_TABLE` off, nothing
/// creates it).
///
/// # Errors
///
/// [`ErrorKind::MissingTable`]; SQLite errors.
fn require_table(conn: &Connection, name: &str) -> Result<()> {
    if table_exists(conn, name)? {
        Ok(())
    } else {
        Err(ErrorKind::MissingTable {
            table: name.to_owned(),
        }
        .into())
    }
}

/// The SQLite driver the recorder uses (`rusqlite`), for projections that
/// write tables of their own through the connection
/// [`system::project`](crate::system::project) gives them.
pub use rusqlite as driver;

/// Keeps stored events in SQLite.
///
/// One connection writes. File databases also get connections that only
/// read, one for each thread reading at a time (write-ahead logging lets
/// them all read at once, and while another writes); up to
/// `IDLE_READERS` are kept open between reads. In-memory databases have
/// the one connection.
pub struct SqliteRecorder {
    config: SqliteConfig,
    /// Shared with subscriptions of in-memory databases, which read on it.
    writer: Arc<Mutex<Connection>>,
    /// Rung after each insert commits, to wake this recorder's subscriptions.
    bell: Arc<Bell>,
    /// Reader connections not in use (file databases only).
    readers: Option<Mutex<Vec<Connection>>>,
    sql: Statements,
    /// Whether the tracking table is known to exist.
    tracking_ready: AtomicBool,
    /// Where the table is, for [`ApplicationRecorder::location`].
    location: Option<String>,
}

/// The most reader connections a file database keeps open while idle.
pub(crate) const IDLE_READERS: usize = 8;

struct Statements {
    table: String,
    insert: String,
    max_id: String,
    max_version: String,
}

impl fmt::Debug for SqliteRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteRecorder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SqliteRecorder {
    /// Opens `dbname` with the default settings.
    ///
    /// # Errors
    ///
    /// SQLite errors opening the database or creating the table.
    pub fn open(dbname: &str) -> Result<Self> {
        Self::with_config(SqliteConfig::new(dbname))
    }

    /// Opens the database `SQLITE_DBNAME` names.
    ///
    /// # Errors
    ///
    /// Missing or invalid settings; SQLite errors.
    pub fn from_env(env: &Environment) -> Result<Self> {
        Self::with_config(SqliteConfig::from_env(env)?)
    }

    /// Opens a database as configured, creating the table when missing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidIdentifier`] for a bad table name; SQLite errors.
    pub(crate) fn with_config(config: SqliteConfig) -> Result<Self> {
        let table = quote_identifier("table", &config.table)?;
        let writer = Self::connect(&config)?;
        if !config.is_memory() {
            writer.pragma_update(None, "journal_mode", "WAL")?;
        }
        if config.create_table {
            writer.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {table} (originator_id TEXT, originator_version INTEGER, \
                 topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
            ))?;
        } else {
            require_table(&writer, &config.table)?;
        }
        let readers = if config.is_memory() {
            None
        } else {
            Some(Mutex::new(vec![Self::connect(&config)?]))
        };
        let location = if config.is_private_memory() {
            None
        } else {
            // The file exists now: its canonical path names it however it
            // was written (relative, through links).
            let place = std::fs::canonicalize(&config.dbname)
                .map_or_else(|_| config.dbname.clone(), |p| p.display().to_string());
            Some(format!("sqlite:{place}#{table}"))
        };
        Ok(Self {
            location,
            sql: Statements {
                insert: format!(
                    "INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES (?1, ?2, ?3, ?4)"
                ),
                max_id: format!("SELECT MAX(rowid) FROM {table}"),
                max_version: format!(
                    "SELECT MAX(originator_version) FROM {table} WHERE originator_id = ?1"
                ),
                table,
            },
            writer: Arc::new(Mutex::new(writer)),
            bell: Arc::new(Bell::default()),
            readers,
            tracking_ready: AtomicBool::new(false),
            config,
        })
    }

    fn connect(config: &SqliteConfig) -> Result<Connection> {
        let (name, flags) = config.target();
        let conn = Connection::open_with_flags(name, flags)?;
        // SQLite takes the timeout as a 32-bit number of milliseconds.
        let most = Duration::from_millis(u64::from(i32::MAX.unsigned_abs()));
        conn.busy_timeout(config.lock_timeout.min(most))?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `read` on a connection to read with: an idle reader, or a new
    /// one when all are in use, given back after (file databases); the one
    /// connection (in-memory databases).
    fn with_reader<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let Some(idle) = &self.readers else {
            return read(&self.writer());
        };
        let spare = idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match spare {
            Some(conn) => conn,
            None => Self::connect(&self.config)?,
        };
        let result = read(&conn);
        let mut idle = idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

/// A bound for a query: versions and ids above `i64::MAX` match nothing
/// stored, as `i64::MAX` does not either.
fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The name of a value's SQLite type, for errors.
fn type_name(value: ValueRef<'_>) -> &'static str {
    match value {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "an integer",
        ValueRef::Real(_) => "a real number",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "a blob",
    }
}

fn integer(value: ValueRef<'_>) -> Result<i64, String> {
    match value {
        ValueRef::Integer(i) => Ok(i),
        other => Err(format!("is {}, not an integer", type_name(other))),
    }
}

fn text(value: ValueRef<'_>) -> Result<&str, String> {
    match value {
        ValueRef::Text(bytes) => {
            std::str::from_utf8(bytes).map_err(|e| format!("is not UTF-8 text ({e})"))
        }
        other => Err(format!("is {}, not text", type_name(other))),
    }
}

fn blob(value: ValueRef<'_>) -> Result<&[u8], String> {
    match value {
        ValueRef::Blob(bytes) => Ok(bytes),
        other => Err(format!("is {}, not a blob", type_name(other))),
    }
}

/// A row of `SELECT originator_version, topic, state` of the aggregate
/// `originator_id`, as SQLite holds it.
fn lend_event<'r>(originator_id: Uuid, row: &'r Row<'_>) -> Result<StoredEventRef<'r>> {
    let mut at = RowPosition {
        originator_id: Some(RowOriginator::Id(originator_id)),
        ..RowPosition::default()
    };
    let column = |i: usize| row.get_ref(i);
    let version = integer(column(0)?).map_err(|p| at.error("originator_version", p))?;
    at.originator_version = Some(version);
    Ok(StoredEventRef {
        originator_id,
        originator_version: at.non_negative("originator_version", version)?,
        topic: text(column(1)?).map_err(|p| at.error("topic", p))?,
        state: blob(column(2)?).map_err(|p| at.error("state", p))?,
    })
}

/// A row of `SELECT rowid, originator_id, originator_version, topic, state`.
fn read_notification(row: &Row<'_>) -> Result<Notification> {
    let mut at = RowPosition::default();
    let column = |i: usize| row.get_ref(i);
    let id = integer(column(0)?).map_err(|p| at.error("notification_id", p))?;
    at.notification_id = Some(id);
    let id = at.non_negative("notification_id", id)?;
    let originator_id = text(column(1)?).map_err(|p| at.error("originator_id", p))?;
    at.originator_id = Some(RowOriginator::Text(originator_id));
    let originator_id = Uuid::try_parse(originator_id)
        .map_err(|_| at.error("originator_id", "is not a UUID".to_owned()))?;
    let version = integer(column(2)?).map_err(|p| at.error("originator_version", p))?;
    at.originator_version = Some(version);
    Ok(Notification {
        id,
        originator_id,
        originator_version: at.non_negative("originator_version", version)?,
        topic: text(column(3)?)
            .map_err(|p| at.error("topic", p))?
            .to_owned()
            .into(),
        state: Bytes::copy_from_slice(blob(column(4)?).map_err(|p| at.error("state", p))?),
    })
}

impl SqliteRecorder {
    /// Inserts a batch of events in the transaction `tx` (not committed).
    fn insert_in(&self, tx: &Transaction<'_>, events: &[StoredEvent]) -> Result<Vec<u64>> {
        let mut ids = Vec::with_capacity(events.len());
        {
            let mut insert = tx.prepare_cached(&self.sql.insert)?;
            let mut max_version = tx.prepare_cached(&self.sql.max_version)?;
            let mut batch = BatchVersions::default();
            let mut hex = Uuid::encode_buffer();
            for e in events {
                let originator_id: &str = e.originator_id.simple().encode_lower(&mut hex);
                let previous = match batch.previous(e.originator_id) {
                    Some(previous) => previous,
                    // A first version (or 0) needs no look: stored events make it a conflict.
                    None if e.originator_version <= 1 => 0,
                    None => {
                        let max = max_version.query_row([originator_id], |row| {
                            Ok(row.get_ref(0)?.as_i64_or_null()?)
                        })?;
                        let at = RowPosition {
                            originator_id: Some(RowOriginator::Id(e.originator_id)),
                            originator_version: max,
                            ..RowPosition::default()
                        };
                        max.map(|max| at.non_negative("originator_version", max))
                            .transpose()?
                            .unwrap_or(0)
                    }
                };
                check_next_version(e.originator_id, e.originator_version, previous)?;
                batch.set(e.originator_id, e.originator_version);
                match insert.execute(params![
                    originator_id,
                    to_i64(e.originator_version),
                    e.topic,
                    e.state
                ]) {
                    Ok(_) => ids.push(
                        RowPosition::default()
                            .non_negative("notification_id", tx.last_insert_rowid())?,
                    ),
                    Err(err) if err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                        return Err(ErrorKind::VersionConflict {
                            originator_id: e.originator_id,
                            originator_version: e.originator_version,
                        }
                        .into());
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        }
        Ok(ids)
    }
}

impl crate::sealed::Recorder for SqliteRecorder {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn durable(&self) -> bool {
        !self.config.is_memory()
    }
}

impl AggregateRecorder for SqliteRecorder {
    fn insert_events(&self, events: &[StoredEvent]) -> Result<Vec<u64>> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids = self.insert_in(&tx, events)?;
        tx.commit()?;
        drop(conn);
        self.bell.ring();
        Ok(ids)
    }

    fn select_events(&self, originator_id: Uuid, query: EventQuery) -> Result<Vec<StoredEvent>> {
        collect_lent(|f| self.for_each_event(originator_id, query, f))
    }

    fn for_each_event(
        &self,
        originator_id: Uuid,
        query: EventQuery,
        f: &mut dyn FnMut(StoredEventRef<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut sql = format!(
            "SELECT originator_version, topic, state FROM {} WHERE originator_id = ?",
            self.sql.table
        );
        let mut hex = Uuid::encode_buffer();
        let mut args = vec![ToSqlOutput::Borrowed(ValueRef::Text(
            originator_id.simple().encode_lower(&mut hex).as_bytes(),
        ))];
        let integer = |value: u64| ToSqlOutput::Owned(Value::Integer(to_i64(value)));
        if let Some(gt) = query.gt {
            sql.push_str(" AND originator_version > ?");
            args.push(integer(gt));
        }
        if let Some(lte) = query.lte {
            sql.push_str(" AND originator_version <= ?");
            args.push(integer(lte));
        }
        sql.push_str(if query.desc {
            " ORDER BY originator_version DESC"
        } else {
            " ORDER BY originator_version"
        });
        if let Some(limit) = query.limit {
            // Written in, not bound: see `select_notifications`.
            sql.push_str(&format!(
                " LIMIT {}",
                to_i64(u64::try_from(limit).unwrap_or(u64::MAX))
            ));
        }
        self.with_reader(|conn| {
            let mut statement = conn.prepare_cached(&sql)?;
            let mut rows = statement.query(params_from_iter(args))?;
            // The rows are lent as SQLite holds them, without copying.
            while let Some(row) = rows.next()? {
                f(lend_event(originator_id, row)?)?;
            }
            Ok(())
        })
    }
}

impl ApplicationRecorder for SqliteRecorder {
    fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    fn select_notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        self.with_reader(|conn| select_notifications(conn, &self.sql.table, query))
    }

    fn max_notification_id(&self) -> Result<Option<u64>> {
        let max = self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(&self.sql.max_id)?
                .query_row([], |row| Ok(row.get_ref(0)?.as_i64_or_null()?))?)
        })?;
        let at = RowPosition {
            notification_id: max,
            ..RowPosition::default()
        };
        max.map(|id| at.non_negative("notification_id", id))
            .transpose()
    }

    fn subscribe(&self, gt: Option<u64>, topics: &[&str]) -> Result<Subscription> {
        self.subscription(gt, topics)
    }
}

/// Selects notifications from `table` on `conn`, as `query` says.
fn select_notifications(
    conn: &Connection,
    table: &str,
    query: &NotificationQuery,
) -> Result<Vec<Notification>> {
    let op = if query.inclusive_of_start { ">=" } else { ">" };
    let mut sql = format!(
        "SELECT rowid, originator_id, originator_version, topic, state FROM {table} WHERE rowid {op} ?"
    );
    let mut args = vec![Value::Integer(to_i64(query.start))];
    if let Some(stop) = query.stop {
        sql.push_str(" AND rowid <= ?");
        args.push(Value::Integer(to_i64(stop)));
    }
    if !query.topics.is_empty() {
        sql.push_str(" AND topic IN (");
        sql.push_str(&vec!["?"; query.topics.len()].join(", "));
        sql.push(')');
        args.extend(query.topics.iter().map(|t| Value::Text(t.clone())));
    }
    // The limit is written into the statement rather than bound: SQLite
    // plans with a bound limit's value, so a cached statement whose
    // bindings were cleared (as the statement cache does) would be
    // prepared again before every section.
    sql.push_str(&format!(
        " ORDER BY rowid LIMIT {}",
        to_i64(u64::try_from(query.limit).unwrap_or(u64::MAX))
    ));
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(args))?;
    let mut notifications = Vec::new();
    while let Some(row) = rows.next()? {
        notifications.push(read_notification(row)?);
    }
    Ok(notifications)
}

impl SqliteRecorder {
    /// Follows the log (see [`ApplicationRecorder::subscribe`]). Woken at
    /// once by this recorder's own inserts; other connections' and
    /// processes' commits are seen by polling `PRAGMA data_version` on
    /// the subscription's own connection, every 10 ms at first, then less
    /// often while nothing changes, up to every
    /// [`POLL_MAX`](crate::persistence::POLL_MAX) (250 ms): the longest
    /// another process's write waits to be seen. An in-memory database is
    /// read on the recorder's one connection: a private one (`:memory:`),
    /// which nothing else can write, is followed by waiting for the
    /// recorder's inserts alone; a shared-cache one, which other recorders
    /// of the process may write, also by polling `MAX(rowid)` so.
    fn subscription(&self, gt: Option<u64>, topics: &[&str]) -> Result<Subscription> {
        let conn = if self.config.is_memory() {
            SubscriptionConnection::Shared(Arc::clone(&self.writer))
        } else {
            SubscriptionConnection::Own(Box::new(Self::connect(&self.config)?))
        };
        let source = SqliteSource {
            conn,
            polls: !self.config.is_private_memory(),
            max_id: self.sql.max_id.clone(),
            table: self.sql.table.clone(),
            bell: Arc::clone(&self.bell),
            seen: 0,
            data_version: None,
        };
        Ok(Subscription::new(
            Box::new(source),
            Some(Arc::clone(&self.bell)),
            gt,
            topics,
        ))
    }
}

/// The connection a SQLite subscription reads on.
enum SubscriptionConnection {
    /// The recorder's one connection (in-memory databases).
    Shared(Arc<Mutex<Connection>>),
    /// A connection of the subscription's own (file databases).
    Own(Box<Connection>),
}

/// Reads a SQLite log for a subscription, and waits for its commits.
struct SqliteSource {
    conn: SubscriptionConnection,
    /// Whether others may write: all but private in-memory databases.
    polls: bool,
    /// `SELECT MAX(rowid)`: what shows a change on a shared connection.
    max_id: String,
    table: String,
    bell: Arc<Bell>,
    /// The bell's count when last armed.
    seen: u64,
    /// `PRAGMA data_version` when last armed (own connections only).
    data_version: Option<i64>,
}

impl SqliteSource {
    /// What changes when another connection commits: `PRAGMA
    /// data_version` on the subscription's own connection; the highest
    /// rowid on a shared one (of a shared-cache in-memory database);
    /// nothing for a private in-memory database.
    fn data_version(&self) -> Result<Option<i64>> {
        if !self.polls {
            return Ok(None);
        }
        match &self.conn {
            SubscriptionConnection::Own(conn) => {
                Ok(Some(
                    conn.query_row("PRAGMA data_version", [], |row| row.get(0))?,
                ))
            }
            SubscriptionConnection::Shared(conn) => Ok(Some(
                conn.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .prepare_cached(&self.max_id)?
                    .query_row([], |row| Ok(row.get_ref(0)?.as_i64_or_null()?))?
                    .unwrap_or(0),
            )),
        }
    }
}

impl Source for SqliteSource {
    fn arm(&mut self) -> Result<()> {
        self.seen = self.bell.rings();
        self.data_version = self.data_version()?;
        Ok(())
    }

    fn select(&mut self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        match &self.conn {
            SubscriptionConnection::Own(conn) => select_notifications(conn, &self.table, query),
            SubscriptionConnection::Shared(conn) => select_notifications(
                &conn.lock().unwrap_or_else(PoisonError::into_inner),
                &self.table,
                query,
            ),
        }
    }

    fn wait(&mut self, stopped: &AtomicBool) -> Result<()> {
        let mut quiet: u32 = 0;
        loop {
            // Nothing but this recorder's inserts can write to a private
            // in-memory database: no timeout there.
            let timeout = self.polls.then(|| backoff(quiet));
            let rings = self.bell.wait(self.seen, stopped, timeout);
            if rings != self.seen || stopped.load(Ordering::SeqCst) {
                return Ok(());
            }
            if self.data_version()? != self.data_version {
                return Ok(());
            }
            quiet = quiet.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::config::DEFAULT_LOCK_TIMEOUT;
    use super::*;
    use rusqlite::OpenFlags;

    #[test]
    fn settings_are_read_and_checked() {
        let env = Environment::isolated(
            "App",
            [
                ("SQLITE_DBNAME", "x.db"),
                ("APP_SQLITE_LOCK_TIMEOUT", "2.5"),
            ],
        );
        let config = SqliteConfig::from_env(&env).unwrap();
        assert_eq!(config.lock_timeout, Duration::from_millis(2500));
        assert_eq!(config.target().0, "x.db");
        let err = SqliteConfig::from_env(&Environment::isolated(
            "App",
            [("SQLITE_LOCK_TIMEOUT", "soon")],
        ))
        .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MissingSetting { .. }),
            "{err}"
        );
        let mut config = SqliteConfig::new(":memory:");
        config.table = String::new();
        assert!(matches!(
            SqliteRecorder::with_config(config).map_err(|e| e.into_kind()),
            Err(ErrorKind::InvalidIdentifier { .. })
        ));
    }

    #[test]
    fn the_lock_timeout_is_range_checked_and_zero_means_the_default() {
        let config = |timeout: &str| {
            SqliteConfig::from_env(&Environment::isolated(
                "App",
                [("SQLITE_DBNAME", "x.db"), ("SQLITE_LOCK_TIMEOUT", timeout)],
            ))
        };
        for (timeout, expected) in [
            ("0", DEFAULT_LOCK_TIMEOUT),
            ("", DEFAULT_LOCK_TIMEOUT),
            (" 7 ", Duration::from_secs(7)),
            ("0.001", Duration::from_millis(1)),
            ("2147483", Duration::from_secs(2_147_483)),
        ] {
            assert_eq!(
                config(timeout).unwrap().lock_timeout,
                expected,
                "{timeout:?}"
            );
        }
        for timeout in [
            "soon", "-1", "2147484", "3000000", "1e20", "inf", "nan", "-0.5",
        ] {
            let err = config(timeout).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "SQLITE_LOCK_TIMEOUT={timeout:?} is not valid: expected a number of seconds from 0 to 2147483"
                )
            );
        }
        // A timeout set in code past SQLite's range waits as long as it can.
        let mut config = SqliteConfig::new(":memory:");
        config.lock_timeout = Duration::MAX;
        assert!(SqliteRecorder::with_config(config).is_ok());
    }

    #[test]
    fn shared_memory_names_become_uris() {
        let (name, flags) = SqliteConfig::new(":memory:?mode=memory&cache=shared").target();
        assert_eq!(name, "file::memory:?mode=memory&cache=shared");
        assert!(flags.contains(OpenFlags::SQLITE_OPEN_URI));
        assert!(SqliteConfig::new("file:app1?mode=memory&cache=shared").is_memory());
        assert!(!SqliteConfig::new("/tmp/x.db").is_memory());
    }
}
