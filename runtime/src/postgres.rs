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
//! use eventsourcing::Environment;
//! use eventsourcing::postgres::PostgresRecorder;
//!
//! let env = Environment::isolated("Universe", [
//!     ("POSTGRES_DBNAME", "eventsourcing"),
//!     ("POSTGRES_HOST", "127.0.0.1"),
//!     ("POSTGRES_USER", "eventsourcing"),
//!     ("POSTGRES_PASSWORD", "eventsourcing"),
//! ]);
//! let recorder = PostgresRecorder::from_env(&env)?;
//! assert_eq!(recorder.table(), "public.universe_events");
//! # Ok::<(), eventsourcing::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Statement};
use uuid::Uuid;

use crate::persistence::{
    AggregateRecorder, ApplicationRecorder, Environment, EventQuery, Notification,
    NotificationQuery, StoredEvent, StoredEventRef, validate_identifier,
};
use crate::{Error, Result};

/// How to reach PostgreSQL and where to keep events.
#[derive(Clone)]
pub struct PostgresConfig {
    /// Database name (`POSTGRES_DBNAME`).
    pub dbname: String,
    /// Host (`POSTGRES_HOST`).
    pub host: String,
    /// Port (`POSTGRES_PORT`, default 5432).
    pub port: u16,
    /// User (`POSTGRES_USER`).
    pub user: String,
    /// Password (`POSTGRES_PASSWORD`); never shown by `Debug`.
    pub password: Option<String>,
    /// Schema (`POSTGRES_SCHEMA`, default `public`), created when missing.
    pub schema: String,
    /// Table (`<application name>_events`, or `stored_events`).
    pub table: String,
    /// Connections in the pool (`POSTGRES_POOL_SIZE`, default 5).
    pub pool_size: u32,
    /// How long to wait for a free connection (`POSTGRES_POOL_TIMEOUT`, default 30 s).
    pub pool_timeout: Duration,
    /// How long to wait for the server to accept a connection (`POSTGRES_CONNECT_TIMEOUT`, default 5 s).
    pub connect_timeout: Duration,
    /// Connections older than this are closed (`POSTGRES_CONN_MAX_AGE`; default: kept open).
    pub conn_max_age: Option<Duration>,
    /// Check a connection before each use (`POSTGRES_PRE_PING`, default no).
    pub pre_ping: bool,
    /// Longest wait for the table lock when inserting (`POSTGRES_LOCK_TIMEOUT`; default: no limit).
    pub lock_timeout: Option<Duration>,
    /// Server-side limit on idle transactions (`POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT`).
    pub idle_in_transaction_session_timeout: Option<Duration>,
}

impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("dbname", &self.dbname)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("schema", &self.schema)
            .field("table", &self.table)
            .field("pool_size", &self.pool_size)
            .field("conn_max_age", &self.conn_max_age)
            .field("pre_ping", &self.pre_ping)
            .field("lock_timeout", &self.lock_timeout)
            .finish_non_exhaustive()
    }
}

fn seconds(env: &Environment, key: &str) -> Result<Option<Duration>> {
    match env.parse::<f64>(key, "a number of seconds")? {
        None => Ok(None),
        Some(s) if s > 0.0 && s.is_finite() => Ok(Some(Duration::from_secs_f64(s))),
        Some(0.0) => Ok(None),
        Some(s) => Err(Error::InvalidSetting {
            variable: key.to_owned(),
            value: s.to_string(),
            expected: "a non-negative number of seconds".to_owned(),
        }),
    }
}

impl PostgresConfig {
    /// Reads the `POSTGRES_*` variables; the table is named after the
    /// application.
    ///
    /// # Errors
    ///
    /// [`Error::MissingSetting`] for `POSTGRES_DBNAME`, `POSTGRES_HOST` or
    /// `POSTGRES_USER`; [`Error::InvalidSetting`] for values that do not
    /// parse; [`Error::InvalidIdentifier`] for a schema or table name that is
    /// not a plain identifier.
    pub fn from_env(env: &Environment) -> Result<Self> {
        let need = |key: &str| {
            env.require(key, "the PostgreSQL recorder needs it to connect")
                .map(str::to_owned)
        };
        let prefix = env.name().to_lowercase();
        let table = if prefix.is_empty() {
            "stored_events".to_owned()
        } else {
            format!("{prefix}_events")
        };
        let config = Self {
            dbname: need("POSTGRES_DBNAME")?,
            host: need("POSTGRES_HOST")?,
            port: env.parse("POSTGRES_PORT", "a port number")?.unwrap_or(5432),
            user: need("POSTGRES_USER")?,
            password: env.get("POSTGRES_PASSWORD").map(str::to_owned),
            schema: env.get("POSTGRES_SCHEMA").unwrap_or("public").to_owned(),
            table,
            pool_size: env
                .parse(
                    "POSTGRES_POOL_SIZE",
                    "a whole number of connections, at least 1",
                )?
                .unwrap_or(5),
            pool_timeout: seconds(env, "POSTGRES_POOL_TIMEOUT")?.unwrap_or(Duration::from_secs(30)),
            connect_timeout: seconds(env, "POSTGRES_CONNECT_TIMEOUT")?
                .unwrap_or(Duration::from_secs(5)),
            conn_max_age: seconds(env, "POSTGRES_CONN_MAX_AGE")?,
            pre_ping: env.flag("POSTGRES_PRE_PING")?.unwrap_or(false),
            lock_timeout: seconds(env, "POSTGRES_LOCK_TIMEOUT")?,
            idle_in_transaction_session_timeout: seconds(
                env,
                "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT",
            )?,
        };
        if config.pool_size == 0 {
            return Err(Error::InvalidSetting {
                variable: "POSTGRES_POOL_SIZE".to_owned(),
                value: "0".to_owned(),
                expected: "a whole number of connections, at least 1".to_owned(),
            });
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        validate_identifier("schema", &self.schema)?;
        validate_identifier("table", &self.table)?;
        validate_identifier("index", &format!("{}_notification_id_idx", self.table))
    }

    /// The `application_name` the recorder's connections show in
    /// `pg_stat_activity`: `es:<schema>.<table>`, cut to the server's 63 bytes.
    pub fn application_name(&self) -> String {
        let mut name = format!("es:{}.{}", self.schema, self.table);
        name.truncate(63);
        name
    }

    fn client_config(&self) -> postgres::Config {
        let mut config = postgres::Config::new();
        config
            .dbname(&self.dbname)
            .host(&self.host)
            .port(self.port)
            .user(&self.user)
            .connect_timeout(self.connect_timeout)
            .application_name(&self.application_name());
        if let Some(password) = &self.password {
            config.password(password);
        }
        if let Some(t) = self.idle_in_transaction_session_timeout {
            config.options(&format!(
                "-c idle_in_transaction_session_timeout={}",
                t.as_millis()
            ));
        }
        config
    }
}

/// A pooled connection with its prepared statements.
struct PgConnection {
    client: Client,
    statements: HashMap<String, Statement>,
    born: Instant,
    served: bool,
    retired: bool,
}

impl PgConnection {
    fn prepare(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConnection, postgres::Error> {
        Ok(PgConnection {
            client: self.config.connect(NoTls)?,
            statements: HashMap::new(),
            born: Instant::now(),
            served: false,
            retired: false,
        })
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        conn.retired || conn.client.is_closed()
    }
}

/// Keeps stored events in PostgreSQL.
pub struct PostgresRecorder {
    config: PostgresConfig,
    pool: r2d2::Pool<Manager>,
    qualified: String,
    sql: Statements,
}

struct Statements {
    begin_and_lock: String,
    insert: String,
    max_id: String,
}

impl fmt::Debug for PostgresRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresRecorder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A failed attempt, and whether it may be tried again on another connection.
struct Failure {
    error: postgres::Error,
    may_have_committed: bool,
}

impl From<postgres::Error> for Failure {
    fn from(error: postgres::Error) -> Self {
        Self {
            error,
            may_have_committed: false,
        }
    }
}

/// Whether the connection, not the statement, failed: worth another try.
fn is_disconnect(error: &postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    match error.code() {
        Some(code) => {
            code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                ]
                .contains(code)
        }
        // No SQL state: an I/O error on the socket.
        None => error.as_db_error().is_none(),
    }
}

/// Reads `(id, version)` from "Key (originator_id, originator_version)=(ID, VERSION) already exists."
fn conflicting_key(error: &postgres::Error) -> Option<(Uuid, u64)> {
    let detail = error.as_db_error()?.detail()?;
    let values = detail.split_once("=(")?.1.split_once(')')?.0;
    let (id, version) = values.split_once(", ")?;
    Some((
        Uuid::try_parse(id.trim()).ok()?,
        version.trim().parse().ok()?,
    ))
}

/// The statement the recorder stores a batch of events with, in the table
/// `qualified_table` (`schema.table`, already validated), run inside the
/// transaction that holds the table's `EXCLUSIVE` lock. Its parameters are
/// the batch's ids (`uuid[]`), versions (`bigint[]`), topics (`text[]`) and
/// states (`bytea[]`); it returns one row whose first column is the highest
/// notification id before the batch.
///
/// Notification ids are given here, under the lock, as the highest id plus
/// the event's position in the batch, and the column's sequence is moved past
/// them (for writers that use it, such as the Python library). A failed or
/// killed insert then leaves no gap in the log, as a sequence value spent on
/// it would.
///
/// ```
/// let sql = eventsourcing::postgres::insert_statement("public.universe_events");
/// assert!(sql.contains("INSERT INTO public.universe_events"));
/// ```
pub fn insert_statement(qualified_table: &str) -> String {
    format!(
        "WITH base AS (SELECT COALESCE(MAX(notification_id), 0) AS n FROM {qualified_table}), \
         ins AS (INSERT INTO {qualified_table} \
         (notification_id, originator_id, originator_version, topic, state) \
         SELECT base.n + u.ord, u.id, u.version, u.topic, u.state FROM base, \
         unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[]) \
         WITH ORDINALITY AS u(id, version, topic, state, ord) RETURNING 1) \
         SELECT base.n, setval(pg_get_serial_sequence('{qualified_table}', 'notification_id'), \
         base.n + (SELECT count(*) FROM ins)) FROM base"
    )
}

impl PostgresRecorder {
    /// Connects as the `POSTGRES_*` variables say and creates the schema,
    /// table and index when missing.
    ///
    /// # Errors
    ///
    /// Missing or invalid settings; connection errors.
    pub fn from_env(env: &Environment) -> Result<Self> {
        Self::with_config(PostgresConfig::from_env(env)?)
    }

    /// Connects as configured and creates the schema, table and index when
    /// missing.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidIdentifier`]; connection errors.
    pub fn with_config(config: PostgresConfig) -> Result<Self> {
        config.validate()?;
        let pool = r2d2::Pool::builder()
            .max_size(config.pool_size)
            .min_idle(Some(0))
            .connection_timeout(config.pool_timeout)
            .max_lifetime(config.conn_max_age)
            .test_on_check_out(config.pre_ping)
            .build_unchecked(Manager {
                config: config.client_config(),
            });
        let qualified = format!("{}.{}", config.schema, config.table);
        let lock_timeout = config
            .lock_timeout
            .map(|t| format!("SET LOCAL lock_timeout = '{}ms'; ", t.as_millis().max(1)))
            .unwrap_or_default();
        let recorder = Self {
            sql: Statements {
                begin_and_lock: format!(
                    "BEGIN; {lock_timeout}LOCK TABLE {qualified} IN EXCLUSIVE MODE"
                ),
                insert: insert_statement(&qualified),
                max_id: format!("SELECT MAX(notification_id) FROM {qualified}"),
            },
            qualified,
            pool,
            config,
        };
        recorder.create_table()?;
        Ok(recorder)
    }

    /// The schema-qualified table name.
    pub fn table(&self) -> &str {
        &self.qualified
    }

    /// The settings the recorder was made with.
    pub fn config(&self) -> &PostgresConfig {
        &self.config
    }

    fn create_table(&self) -> Result<()> {
        let PostgresConfig { schema, table, .. } = &self.config;
        let qualified = &self.qualified;
        let statements = [
            format!("CREATE SCHEMA IF NOT EXISTS {schema}"),
            format!(
                "CREATE TABLE IF NOT EXISTS {qualified} (originator_id uuid NOT NULL, \
                 originator_version bigint NOT NULL, topic text, state bytea, notification_id bigserial, \
                 PRIMARY KEY (originator_id, originator_version)) WITH (autovacuum_enabled = false)"
            ),
            format!(
                "CREATE UNIQUE INDEX IF NOT EXISTS {table}_notification_id_idx ON {qualified} (notification_id ASC)"
            ),
        ];
        for statement in &statements {
            let result = self.run(|conn| Ok(conn.client.batch_execute(statement)?));
            match result {
                // Another process created it at the same moment.
                Err(Error::Postgres(e))
                    if [
                        SqlState::UNIQUE_VIOLATION,
                        SqlState::DUPLICATE_TABLE,
                        SqlState::DUPLICATE_SCHEMA,
                    ]
                    .iter()
                    .any(|c| e.code() == Some(c)) => {}
                other => other?,
            }
        }
        Ok(())
    }

    /// Runs `f` on a pooled connection, trying again on another connection
    /// when the server closed this one and `f` cannot have committed.
    fn run<T>(&self, mut f: impl FnMut(&mut PgConnection) -> Result<T, Failure>) -> Result<T> {
        let attempts = self.config.pool_size as usize + 2;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut conn = self.pool.get()?;
            if conn.served
                && self
                    .config
                    .conn_max_age
                    .is_some_and(|age| conn.born.elapsed() >= age)
            {
                // Older than POSTGRES_CONN_MAX_AGE: closed when dropped here. A
                // new connection is always used once, however small the age.
                conn.retired = true;
                attempt -= 1;
                continue;
            }
            conn.served = true;
            match f(&mut conn) {
                Ok(value) => return Ok(value),
                Err(failure) => {
                    if !conn.client.is_closed() {
                        // Leave no transaction open on a connection going back to the pool.
                        let _ = conn.client.batch_execute("ROLLBACK");
                    }
                    let retry = is_disconnect(&failure.error)
                        && !failure.may_have_committed
                        && attempt < attempts;
                    if !retry {
                        return Err(failure.error.into());
                    }
                }
            }
        }
    }

    fn select<T>(
        &self,
        sql: &str,
        args: &[&(dyn ToSql + Sync)],
        map: impl Fn(&postgres::Row) -> Result<T, postgres::Error>,
    ) -> Result<Vec<T>> {
        self.run(|conn| {
            let statement = conn.prepare(sql)?;
            let rows = conn.client.query(&statement, args)?;
            Ok(rows.iter().map(&map).collect::<Result<_, _>>()?)
        })
    }

    /// An aggregate's rows: `originator_version, topic, state`.
    fn event_rows(&self, originator_id: Uuid, query: EventQuery) -> Result<Vec<postgres::Row>> {
        let mut sql = format!(
            "SELECT originator_version, topic, state FROM {} WHERE originator_id = $1",
            self.qualified
        );
        let gt = query.gt.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        let lte = query.lte.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        let limit = query.limit.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&originator_id];
        for (value, clause) in [
            (&gt, "originator_version >"),
            (&lte, "originator_version <="),
        ] {
            if value.is_some() {
                args.push(value);
                sql.push_str(&format!(" AND {clause} ${}", args.len()));
            }
        }
        sql.push_str(if query.desc {
            " ORDER BY originator_version DESC"
        } else {
            " ORDER BY originator_version"
        });
        if limit.is_some() {
            args.push(&limit);
            sql.push_str(&format!(" LIMIT ${}", args.len()));
        }
        self.run(|conn| {
            let statement = conn.prepare(&sql)?;
            Ok(conn.client.query(&statement, &args)?)
        })
    }
}

impl AggregateRecorder for PostgresRecorder {
    fn insert_events(&self, events: &[StoredEvent]) -> Result<Vec<u64>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = events.iter().map(|e| e.originator_id).collect();
        let versions: Vec<i64> = events
            .iter()
            .map(|e| i64::try_from(e.originator_version).unwrap_or(i64::MAX))
            .collect();
        let topics: Vec<&str> = events.iter().map(|e| e.topic.as_str()).collect();
        let states: Vec<&[u8]> = events.iter().map(|e| e.state.as_slice()).collect();
        let result = self.run(|conn| {
            // Lock first: preparing the insert also needs a lock on the table,
            // and only inside the transaction does the lock timeout apply.
            conn.client.batch_execute(&self.sql.begin_and_lock)?;
            let insert = conn.prepare(&self.sql.insert)?;
            let rows = conn
                .client
                .query(&insert, &[&ids, &versions, &topics, &states])?;
            conn.client
                .batch_execute("COMMIT")
                .map_err(|error| Failure {
                    error,
                    may_have_committed: true,
                })?;
            Ok(rows)
        });
        let rows = match result {
            Ok(rows) => rows,
            Err(Error::Postgres(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                let (originator_id, originator_version) = conflicting_key(&e)
                    .unwrap_or((events[0].originator_id, events[0].originator_version));
                return Err(Error::VersionConflict {
                    originator_id,
                    originator_version,
                });
            }
            Err(Error::Postgres(e)) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
                return Err(Error::LockTimeout {
                    table: self.qualified.clone(),
                });
            }
            Err(e) => return Err(e),
        };
        let base: i64 = match rows.first() {
            Some(row) => row.try_get(0)?,
            None => 0,
        };
        let base = base as u64;
        Ok((1..=events.len() as u64).map(|i| base + i).collect())
    }

    fn select_events(&self, originator_id: Uuid, query: EventQuery) -> Result<Vec<StoredEvent>> {
        let rows = self.event_rows(originator_id, query)?;
        rows.iter()
            .map(|row| {
                let e = lend_event(originator_id, row)?;
                Ok(StoredEvent {
                    originator_id,
                    originator_version: e.originator_version,
                    topic: e.topic.to_owned(),
                    state: e.state.to_vec(),
                })
            })
            .collect()
    }

    fn for_each_event(
        &self,
        originator_id: Uuid,
        query: EventQuery,
        f: &mut dyn FnMut(StoredEventRef<'_>) -> Result<()>,
    ) -> Result<()> {
        // Lent from the rows as received, once the connection is back in the pool.
        for row in &self.event_rows(originator_id, query)? {
            f(lend_event(originator_id, row)?)?;
        }
        Ok(())
    }
}

/// A row of `SELECT originator_version, topic, state`, as received.
fn lend_event(
    originator_id: Uuid,
    row: &postgres::Row,
) -> Result<StoredEventRef<'_>, postgres::Error> {
    Ok(StoredEventRef {
        originator_id,
        originator_version: row.try_get::<_, i64>(0)? as u64,
        topic: row.try_get(1)?,
        state: row.try_get(2)?,
    })
}

impl ApplicationRecorder for PostgresRecorder {
    fn select_notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        let op = if query.inclusive_of_start { ">=" } else { ">" };
        let mut sql = format!(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} \
             WHERE notification_id {op} $1",
            self.qualified
        );
        let start = i64::try_from(query.start).unwrap_or(i64::MAX);
        let stop = query.stop.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&start];
        if stop.is_some() {
            args.push(&stop);
            sql.push_str(&format!(" AND notification_id <= ${}", args.len()));
        }
        if !query.topics.is_empty() {
            args.push(&query.topics);
            sql.push_str(&format!(" AND topic = ANY(${})", args.len()));
        }
        args.push(&limit);
        sql.push_str(&format!(" ORDER BY notification_id LIMIT ${}", args.len()));
        self.select(&sql, &args, |row| {
            Ok(Notification {
                id: row.try_get::<_, i64>(0)? as u64,
                originator_id: row.try_get(1)?,
                originator_version: row.try_get::<_, i64>(2)? as u64,
                topic: row.try_get(3)?,
                state: row.try_get(4)?,
            })
        })
    }

    fn max_notification_id(&self) -> Result<Option<u64>> {
        let max = self.select(&self.sql.max_id, &[], |row| {
            row.try_get::<_, Option<i64>>(0)
        })?;
        Ok(max.into_iter().flatten().next().map(|id| id as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(extra: &[(&str, &str)]) -> Environment {
        let base = [
            ("POSTGRES_DBNAME", "eventsourcing"),
            ("POSTGRES_HOST", "127.0.0.1"),
            ("POSTGRES_USER", "eventsourcing"),
            ("POSTGRES_PASSWORD", "secret-password"),
        ];
        Environment::isolated("Universe", base.iter().chain(extra).copied())
    }

    #[test]
    fn settings_are_read_with_defaults() {
        let config = PostgresConfig::from_env(&env(&[])).unwrap();
        assert_eq!(
            (config.port, config.pool_size, config.pre_ping),
            (5432, 5, false)
        );
        assert_eq!(
            (config.schema.as_str(), config.table.as_str()),
            ("public", "universe_events")
        );
        assert_eq!(config.lock_timeout, None);
        let config = PostgresConfig::from_env(&env(&[
            ("POSTGRES_PORT", "5433"),
            ("POSTGRES_POOL_SIZE", "3"),
            ("POSTGRES_CONN_MAX_AGE", "60"),
            ("POSTGRES_PRE_PING", "y"),
            ("POSTGRES_LOCK_TIMEOUT", "10"),
            ("POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT", "10"),
            ("POSTGRES_SCHEMA", "myschema"),
        ]))
        .unwrap();
        assert_eq!(
            (config.port, config.pool_size, config.pre_ping),
            (5433, 3, true)
        );
        assert_eq!(config.conn_max_age, Some(Duration::from_secs(60)));
        assert_eq!(config.lock_timeout, Some(Duration::from_secs(10)));
        assert_eq!(config.schema, "myschema");
        assert!(!format!("{config:?}").contains("secret-password"));
    }

    #[test]
    fn bad_settings_are_refused_by_name() {
        let err = PostgresConfig::from_env(&Environment::isolated("U", [("POSTGRES_HOST", "h")]))
            .unwrap_err();
        assert!(
            matches!(err, Error::MissingSetting { ref variable, .. } if variable == "POSTGRES_DBNAME"),
            "{err}"
        );
        let err = PostgresConfig::from_env(&env(&[("POSTGRES_PORT", "http")])).unwrap_err();
        assert!(
            err.to_string().starts_with("POSTGRES_PORT=\"http\""),
            "{err}"
        );
        let err = PostgresConfig::from_env(&env(&[(
            "POSTGRES_SCHEMA",
            "public; DROP TABLE universe_events",
        )]))
        .unwrap_err();
        assert!(
            matches!(err, Error::InvalidIdentifier { what: "schema", .. }),
            "{err}"
        );
        let err = PostgresConfig::from_env(&env(&[("POSTGRES_POOL_SIZE", "0")])).unwrap_err();
        assert!(err.to_string().starts_with("POSTGRES_POOL_SIZE"), "{err}");
        let weird = Environment::isolated(
            "Uni-verse",
            [
                ("POSTGRES_DBNAME", "d"),
                ("POSTGRES_HOST", "h"),
                ("POSTGRES_USER", "u"),
            ],
        );
        let err = PostgresConfig::from_env(&weird).unwrap_err();
        assert!(
            matches!(err, Error::InvalidIdentifier { what: "table", .. }),
            "{err}"
        );
    }
}
