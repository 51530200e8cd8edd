//! The PostgreSQL recorder (feature `postgres`), with the Python library's table.
//!
//! Events are kept in `<schema>.<name>_events` (`universe_events` for the
//! application `Universe`; `stored_events` when it has no name) with columns
//! `originator_id uuid, originator_version bigint, topic text, state bytea,
//! notification_id bigserial`. Each insert takes the table's `EXCLUSIVE` lock
//! inside its transaction, so notification ids become visible in commit
//! order and a reader tailing the log never skips one; reading is not
//! blocked by it.
//!
//! Connections come from a pool (`POSTGRES_POOL_SIZE`, default 5). A
//! connection that the server closed is dropped and the call is tried again on
//! another, so the application carries on by itself after
//! `pg_terminate_backend` or a server restart; an insert is retried only when
//! it cannot have been committed.
//!
//! ```no_run
//! use eventsmith::Environment;
//! use eventsmith::postgres::PostgresRecorder;
//!
//! let env = Environment::isolated("Universe", [
//!     ("POSTGRES_DBNAME", "eventsourcing"),
//!     ("POSTGRES_HOST", "127.0.0.1"),
//!     ("POSTGRES_USER", "eventsourcing"),
//!     ("POSTGRES_PASSWORD", "eventsourcing"),
//! ]);
//! let recorder = PostgresRecorder::from_env(&env)?;
//! assert_eq!(recorder.qualified_table(), "\"public\".\"universe_events\"");
//! # Ok::<(), eventsmith::Error>(())
//! ```

use bytes::Bytes;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, Statement};
use uuid::Uuid;

use crate::persistence::subscription::Source;
use crate::persistence::{
    AggregateRecorder, ApplicationRecorder, Environment, EventQuery, Notification,
    NotificationQuery, StoredEvent, StoredEventRef, Subscription,
};
use crate::sql::{RowOriginator, RowPosition, collect_lent};
use crate::{DriverError, Error, ErrorKind, Result};

/// The PostgreSQL driver the recorder uses (`postgres`), for projections
/// that write tables of their own through the client
/// [`system::project`](crate::system::project) gives them.
pub use ::postgres as driver;

mod blocking;
mod config;
mod connection;
mod errors;
mod insert;
mod snapshots;
mod subscription;
mod tables;
mod tls;
mod tracking;

pub use config::PostgresConfig;
pub(crate) use config::QuotedNames;
use connection::{Manager, PgConnection};
use errors::{ConnectError, Failure, is_disconnect, is_stale_plan, may_pass, pool_error};
#[doc(hidden)]
pub use insert::insert_statement;
use insert::{INSERT_RESULT, insert_ctes};
use tables::{TABLE_PARAMETERS, create, insert_function_name, require_table, stored_event_type};

/// Keeps stored events in PostgreSQL.
pub struct PostgresRecorder {
    config: PostgresConfig,
    /// Taken only when the recorder is dropped (see its `Drop`).
    pool: Option<r2d2::Pool<Manager>>,
    /// Callers waiting for a connection now (see `POSTGRES_MAX_WAITING`).
    waiting: AtomicU32,
    names: QuotedNames,
    sql: Statements,
    /// Whether the tracking table is known to exist.
    tracking_ready: AtomicBool,
    /// The pool's manager's: whether its last connection failed for good.
    lasting_failure: std::sync::Arc<AtomicBool>,
}

struct Statements {
    begin_and_lock: String,
    /// What `begin_and_lock` runs after `BEGIN`: for inserts that record
    /// tracking first.
    lock: String,
    insert: String,
    /// The insert function's call, when it exists: a save in one round
    /// trip (see `insert_function`).
    insert_call: Option<String>,
    /// The lock timeout the call sets, as PostgreSQL reads it.
    lock_timeout: Option<String>,
    /// An event's notification id, topic and state, by id and version.
    select_one: String,
    max_id: String,
}

impl Drop for PostgresRecorder {
    fn drop(&mut self) {
        // Closing the idle connections is a call into the driver.
        blocking::drop_outside_async(self.pool.take());
    }
}

impl fmt::Debug for PostgresRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresRecorder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PostgresRecorder {
    /// Connects as the `POSTGRES_*` variables say and creates the schema,
    /// table and index when missing.
    ///
    /// # Errors
    ///
    /// Missing or invalid settings; connection errors (see
    /// `with_config`).
    pub fn from_env(env: &Environment) -> Result<Self> {
        Self::with_config(PostgresConfig::from_env(env)?)
    }

    /// Connects as configured and creates the schema, table and index when
    /// missing, as the Python library creates them.
    ///
    /// The first connection is made at once, so that a wrong password, user
    /// or database is reported as the server reports it, without waiting;
    /// a server that does not answer (or is starting) is tried again until
    /// the connect timeout has passed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidIdentifier`]; [`ErrorKind::Postgres`] with the server's
    /// message and SQLSTATE, or the reason the connection failed.
    pub(crate) fn with_config(config: PostgresConfig) -> Result<Self> {
        blocking::outside_async(|| Self::connect(config))
    }

    fn connect(config: PostgresConfig) -> Result<Self> {
        let names = config.quoted_names()?;
        let manager = Manager::new(&config)?;
        let lasting_failure = std::sync::Arc::clone(&manager.lasting_failure);
        let mut first = manager.open_within(config.connect_timeout)?;
        let function = insert_function_name(&config.table);
        let function = if config.create_table {
            Self::create_table(&names, config.lock_timeout, function, &mut first)?
        } else {
            require_table(&mut first, &names.qualified_table)?;
            match function {
                Some(f) if Self::has_function(&mut first, &names.schema, &f)? => Some(f),
                _ => None,
            }
        };
        *manager
            .first
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(first);
        let pool = r2d2::Pool::builder()
            .max_size(config.max_connections())
            .min_idle(Some(0))
            .connection_timeout(config.connect_timeout.max(Duration::from_millis(1)))
            .max_lifetime(config.conn_max_age.filter(|age| !age.is_zero()))
            .test_on_check_out(config.pre_ping)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(manager);
        let qualified = &names.qualified_table;
        let lock_timeout = config
            .lock_timeout
            .map(|t| format!("SET LOCAL lock_timeout = '{}ms'; ", t.as_millis().max(1)))
            .unwrap_or_default();
        // The Python library notifies its channel in the inserting
        // transaction, after the lock: listeners (its subscriptions) wake
        // when the events are committed, and not at all when they are not.
        let channel = &names.channel;
        let recorder = Self {
            sql: Statements {
                begin_and_lock: format!(
                    "BEGIN; {lock_timeout}LOCK TABLE {qualified} IN EXCLUSIVE MODE; NOTIFY {channel}"
                ),
                lock: format!(
                    "{lock_timeout}LOCK TABLE {qualified} IN EXCLUSIVE MODE; NOTIFY {channel}"
                ),
                insert: insert_statement(qualified),
                select_one: format!(
                    "SELECT notification_id, topic, state FROM {qualified} \
                     WHERE originator_id = $1 AND originator_version = $2"
                ),
                insert_call: function.map(|function| {
                    format!(
                        "SELECT * FROM {}.{function}($1, $2, $3, $4, $5)",
                        names.schema
                    )
                }),
                lock_timeout: config
                    .lock_timeout
                    .map(|t| format!("{}ms", t.as_millis().max(1))),
                max_id: format!("SELECT MAX(notification_id) FROM {qualified}"),
            },
            names,
            pool: Some(pool),
            waiting: AtomicU32::new(0),
            tracking_ready: AtomicBool::new(false),
            lasting_failure,
            config,
        };
        Ok(recorder)
    }

    /// The schema-qualified table name, quoted for SQL.
    #[doc(hidden)]
    pub fn qualified_table(&self) -> &str {
        &self.names.qualified_table
    }

    /// The settings the recorder was made with.
    #[doc(hidden)]
    pub fn config(&self) -> &PostgresConfig {
        &self.config
    }

    /// A connection from the pool: an idle one at once, or else one the pool
    /// opens or frees within the connect timeout, unless
    /// `POSTGRES_MAX_WAITING` callers are waiting already.
    fn checkout(&self) -> Result<r2d2::PooledConnection<Manager>> {
        let Some(pool) = &self.pool else {
            // Unreachable: the pool is taken only in `drop`.
            let closed = std::io::Error::other("the recorder's pool is closed");
            return Err(
                ErrorKind::Pool(DriverError::new(closed.to_string(), closed, false)).into(),
            );
        };
        let max_waiting = self.config.max_waiting;
        if max_waiting == 0 {
            return pool.get().map_err(|e| self.pool_error(e));
        }
        if let Some(conn) = pool.try_get() {
            return Ok(conn);
        }
        let waiting = self.waiting.fetch_add(1, Ordering::SeqCst);
        let result = if waiting >= max_waiting {
            Err(ErrorKind::TooManyWaiting { max_waiting }.into())
        } else {
            pool.get().map_err(|e| self.pool_error(e))
        };
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        result
    }

    fn pool_error(&self, error: r2d2::Error) -> Error {
        let lasting = self.lasting_failure.load(Ordering::SeqCst);
        pool_error(error, &self.config, lasting)
    }

    /// Runs `f` on a pooled connection, trying again on another connection
    /// when the server closed this one and the failure allows it; from a
    /// tokio runtime's thread too (see `blocking`).
    fn run<T: Send>(
        &self,
        f: impl FnMut(&mut PgConnection) -> Result<T, Failure> + Send,
    ) -> Result<T> {
        blocking::outside_async(|| self.run_here(f))
    }

    fn run_here<T>(&self, mut f: impl FnMut(&mut PgConnection) -> Result<T, Failure>) -> Result<T> {
        let attempts = usize::try_from(self.config.max_connections())
            .unwrap_or(usize::MAX)
            .saturating_add(2);
        let mut attempt: usize = 0;
        loop {
            attempt = attempt.saturating_add(1);
            let mut conn = self.checkout()?;
            if conn.served
                && self
                    .config
                    .conn_max_age
                    .is_some_and(|age| conn.born.elapsed() >= age)
            {
                // Older than POSTGRES_CONN_MAX_AGE: closed when dropped here. A
                // new connection is always used once, however small the age.
                conn.retired = true;
                attempt = attempt.saturating_sub(1);
                continue;
            }
            conn.served = true;
            // Retired until `f` returns: should it panic (a projection's
            // write, a policy's), the connection is closed when dropped,
            // and the server rolls back its transaction, rather than going
            // back to the pool inside it for the next caller to commit.
            conn.retired = true;
            conn.autocommit = false;
            let result = f(&mut conn);
            conn.retired = false;
            match result {
                Ok(value) => return Ok(value),
                Err(failure) => {
                    if !conn.autocommit && !conn.client.is_closed() {
                        // Leave no transaction open on a connection going back to the pool.
                        let _ = conn.client.batch_execute("ROLLBACK");
                    }
                    match failure {
                        Failure::Postgres { error, may_retry }
                            if may_retry && is_stale_plan(&error) && attempt < attempts =>
                        {
                            // The table changed under a prepared statement: prepare again.
                            conn.statements.clear();
                        }
                        Failure::Postgres { error, may_retry }
                            if may_retry && is_disconnect(&error) && attempt < attempts => {}
                        Failure::Postgres { error, .. } => return Err(Error::from(error)),
                        Failure::Other(error) => return Err(error),
                    }
                }
            }
        }
    }

    /// Hands an aggregate's rows (`originator_version, topic, state`) to
    /// `f` in order, [`ROWS_AT_A_TIME`] fetched by a query at a time, each
    /// query after the first starting past the last row handed over: one
    /// call into the driver for each chunk, not for each row (streaming
    /// row by row entered the driver's runtime once a row, a third of a
    /// replay's CPU), and never more than a chunk held. `f` runs with no
    /// connection checked out, and a chunk's query that fails on a lost
    /// connection is tried again from where the last chunk ended.
    fn stream_events(
        &self,
        originator_id: Uuid,
        query: EventQuery,
        f: &mut dyn FnMut(StoredEventRef<'_>) -> Result<()>,
    ) -> Result<()> {
        let sql = format!(
            "SELECT originator_version, topic, state FROM {} WHERE originator_id = $1 \
             AND originator_version >= $2 AND originator_version <= $3 \
             ORDER BY originator_version{} LIMIT $4",
            self.names.qualified_table,
            if query.desc { " DESC" } else { "" }
        );
        let bound = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        // From the lowest version, stored rows out of range included (a
        // negative one is an error naming it, not a row left out).
        let Some(mut from) = query.gt.map_or(Some(i64::MIN), |gt| after(bound(gt))) else {
            return Ok(());
        };
        let mut lte = query.lte.map_or(i64::MAX, bound);
        let mut left = query
            .limit
            .map_or(i64::MAX, |v| i64::try_from(v).unwrap_or(i64::MAX));
        while left > 0 {
            let limit = left.min(ROWS_AT_A_TIME);
            let rows = self.run(|conn| {
                let statement = conn.prepare(&sql)?;
                Ok(conn
                    .client
                    .query(&statement, &[&originator_id, &from, &lte, &limit])?)
            })?;
            let mut last = None;
            for row in &rows {
                let event = lend_event(originator_id, row)?;
                last = Some(event.originator_version);
                f(event)?;
            }
            let fetched = i64::try_from(rows.len()).unwrap_or(i64::MAX);
            // A chunk short of its limit was the last.
            let Some(last) = last.filter(|_| fetched == limit) else {
                return Ok(());
            };
            let last = bound(last);
            if query.desc {
                lte = last.saturating_sub(1);
            } else {
                let Some(next) = after(last) else {
                    return Ok(());
                };
                from = next;
            }
            left = left.saturating_sub(fetched);
        }
        Ok(())
    }
}

/// How many rows of an aggregate's events one query of a replay fetches.
const ROWS_AT_A_TIME: i64 = 1_000;

/// The version after `version`, when a `bigint` holds one.
fn after(version: i64) -> Option<i64> {
    version.checked_add(1)
}

impl crate::sealed::Recorder for PostgresRecorder {
    fn backend(&self) -> &'static str {
        "postgres"
    }
}

impl AggregateRecorder for PostgresRecorder {
    fn insert_events(&self, events: &[StoredEvent]) -> Result<Vec<u64>> {
        self.insert_with(events, None)
    }

    fn select_events(&self, originator_id: Uuid, query: EventQuery) -> Result<Vec<StoredEvent>> {
        collect_lent(|f| self.stream_events(originator_id, query, f))
    }

    fn for_each_event(
        &self,
        originator_id: Uuid,
        query: EventQuery,
        f: &mut dyn FnMut(StoredEventRef<'_>) -> Result<()>,
    ) -> Result<()> {
        // Lent from each row as it arrives: memory stays flat however many there are.
        self.stream_events(originator_id, query, f)
    }
}

/// Column `i` of `row` as `T`: a NULL, a value of another type or one that
/// cannot be read is an error naming the column and the row.
fn column<'r, T: postgres::types::FromSql<'r>>(
    at: &RowPosition<'_>,
    row: &'r postgres::Row,
    i: usize,
    column: &'static str,
) -> Result<T> {
    row.try_get::<_, Option<T>>(i)
        .map_err(|e| {
            let cause =
                std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string);
            at.error(column, format!("cannot be read ({cause})"))
        })?
        .ok_or_else(|| at.error(column, "is NULL".to_owned()))
}

/// A row of `SELECT originator_version, topic, state`, as received.
fn lend_event(originator_id: Uuid, row: &postgres::Row) -> Result<StoredEventRef<'_>> {
    let mut at = RowPosition {
        originator_id: Some(RowOriginator::Id(originator_id)),
        ..RowPosition::default()
    };
    let version: i64 = column(&at, row, 0, "originator_version")?;
    at.originator_version = Some(version);
    Ok(StoredEventRef {
        originator_id,
        originator_version: at.non_negative("originator_version", version)?,
        topic: column(&at, row, 1, "topic")?,
        state: column(&at, row, 2, "state")?,
    })
}

/// A row of `SELECT notification_id, originator_id, originator_version, topic, state`.
fn read_notification(row: &postgres::Row) -> Result<Notification> {
    let mut at = RowPosition::default();
    let id: i64 = column(&at, row, 0, "notification_id")?;
    at.notification_id = Some(id);
    let id = at.non_negative("notification_id", id)?;
    let originator_id: Uuid = column(&at, row, 1, "originator_id")?;
    at.originator_id = Some(RowOriginator::Id(originator_id));
    let version: i64 = column(&at, row, 2, "originator_version")?;
    at.originator_version = Some(version);
    Ok(Notification {
        id,
        originator_id,
        originator_version: at.non_negative("originator_version", version)?,
        topic: column::<&str>(&at, row, 3, "topic")?.to_owned().into(),
        state: Bytes::copy_from_slice(column::<&[u8]>(&at, row, 4, "state")?),
    })
}

/// The statement selecting notifications from `qualified_table` as `query`
/// says; its parameters are those [`fetch_notifications`] binds.
fn notifications_sql(qualified_table: &str, query: &NotificationQuery) -> String {
    let op = if query.inclusive_of_start { ">=" } else { ">" };
    let mut sql = format!(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {qualified_table} \
         WHERE notification_id {op} $1"
    );
    let mut n: usize = 1;
    if query.stop.is_some() {
        n = n.saturating_add(1);
        sql.push_str(&format!(" AND notification_id <= ${n}"));
    }
    if !query.topics.is_empty() {
        n = n.saturating_add(1);
        sql.push_str(&format!(" AND topic = ANY(${n})"));
    }
    n = n.saturating_add(1);
    sql.push_str(&format!(" ORDER BY notification_id LIMIT ${n}"));
    sql
}

/// Runs `statement` (made from [`notifications_sql`] for a query like
/// `query`) with `query`'s bounds.
fn fetch_notifications(
    client: &mut Client,
    statement: &Statement,
    query: &NotificationQuery,
) -> Result<Vec<Notification>, Failure> {
    let start = i64::try_from(query.start).unwrap_or(i64::MAX);
    let stop = query.stop.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let mut args: Vec<&(dyn ToSql + Sync)> = vec![&start];
    if stop.is_some() {
        args.push(&stop);
    }
    if !query.topics.is_empty() {
        args.push(&query.topics);
    }
    args.push(&limit);
    let rows = client.query(statement, &args)?;
    Ok(rows
        .iter()
        .map(read_notification)
        .collect::<Result<Vec<_>>>()?)
}

impl ApplicationRecorder for PostgresRecorder {
    fn select_notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        let sql = notifications_sql(&self.names.qualified_table, query);
        self.run(|conn| {
            let statement = conn.prepare(&sql)?;
            fetch_notifications(&mut conn.client, &statement, query)
        })
    }

    fn max_notification_id(&self) -> Result<Option<u64>> {
        let max = self.run(|conn| {
            let statement = conn.prepare(&self.sql.max_id)?;
            let row = conn.client.query_one(&statement, &[])?;
            Ok(row.try_get::<_, Option<i64>>(0)?)
        })?;
        let at = RowPosition {
            notification_id: max,
            ..RowPosition::default()
        };
        max.map(|id| at.non_negative("notification_id", id))
            .transpose()
    }

    fn subscribe(&self, gt: Option<u64>, topics: &[&str]) -> Result<Subscription> {
        self.subscribe_after_listen(gt, topics, Box::new(|| {}))
    }
}
