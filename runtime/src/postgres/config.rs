//! The recorder's settings: the Python library's `POSTGRES_*` variables,
//! range-checked, and the names of its schema, tables, index and channel,
//! quoted as the Python library quotes them.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::tls::TlsSettings;

use crate::persistence::Environment;
use crate::persistence::environment::{PasswordProvider, redact_urls};
use crate::sql::{check_single_row_tracking, quote_identifier};
use crate::{ErrorKind, Result};

/// How to reach PostgreSQL and where to keep events.
///
/// [`from_env`](Self::from_env) reads the Python library's variables, with
/// its defaults.
#[non_exhaustive]
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
    /// Create the schema and tables when missing (`CREATE_TABLE`, default
    /// yes); without, they must exist, and a missing one is
    /// [`ErrorKind::MissingTable`](crate::ErrorKind::MissingTable): a role
    /// with data rights only can run every application feature.
    pub create_table: bool,
    /// Table (`<application name>_events`, or `stored_events`).
    pub table: String,
    /// Snapshot table (`<application name>_snapshots`, or
    /// `stored_snapshots`), when the application keeps snapshots.
    pub snapshot_table: String,
    /// Tracking table (`<application name>_tracking`, or
    /// `notification_tracking`), as the Python library's factory names it.
    pub tracking_table: String,
    /// Connections the pool keeps (`POSTGRES_POOL_SIZE`, default 5).
    pub pool_size: u32,
    /// Connections the pool may open beyond `pool_size` under load
    /// (`POSTGRES_MAX_OVERFLOW`, default 10).
    pub max_overflow: u32,
    /// Most callers that may wait for a connection at once; more fail at
    /// once (`POSTGRES_MAX_WAITING`, default 0: no limit).
    pub max_waiting: u32,
    /// How long to wait for a connection: for the server to accept one, and
    /// for one to be free in the pool (`POSTGRES_CONNECT_TIMEOUT`, default 30 s).
    pub connect_timeout: Duration,
    /// Connections older than this are closed (`POSTGRES_CONN_MAX_AGE`,
    /// default 3600 s; `None`: kept open).
    pub conn_max_age: Option<Duration>,
    /// Check a connection before each use (`POSTGRES_PRE_PING`, default no).
    pub pre_ping: bool,
    /// Longest wait for the table lock when inserting (`POSTGRES_LOCK_TIMEOUT`,
    /// default 0: no limit).
    pub lock_timeout: Option<Duration>,
    /// Server-side limit on idle transactions
    /// (`POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT`, default 5 s; 0: none).
    pub idle_in_transaction_session_timeout: Option<Duration>,
    /// TLS (`POSTGRES_SSLMODE` or `PGSSLMODE`, and the certificate files).
    pub(crate) tls: TlsSettings,
    /// Gives each new connection its password, in place of `password`
    /// ([`Environment::set_password_provider`]).
    pub(crate) password_provider: Option<PasswordProvider>,
}

impl PostgresConfig {
    /// Where it connects, for errors: `host:port`, with any password in
    /// the host redacted.
    pub(crate) fn endpoint(&self) -> String {
        format!("{}:{}", redact_urls(&self.host), self.port)
    }
}

impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("dbname", &self.dbname)
            .field("host", &redact_urls(&self.host))
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("schema", &self.schema)
            .field("table", &self.table)
            .field("snapshot_table", &self.snapshot_table)
            .field("tracking_table", &self.tracking_table)
            .field("pool_size", &self.pool_size)
            .field("max_overflow", &self.max_overflow)
            .field("max_waiting", &self.max_waiting)
            .field("connect_timeout", &self.connect_timeout)
            .field("conn_max_age", &self.conn_max_age)
            .field("pre_ping", &self.pre_ping)
            .field("lock_timeout", &self.lock_timeout)
            .field(
                "idle_in_transaction_session_timeout",
                &self.idle_in_transaction_session_timeout,
            )
            .field("tls", &self.tls)
            .field(
                "password_provider",
                &self.password_provider.as_ref().map(|_| "<set>"),
            )
            .finish()
    }
}

/// The most connections a pool may hold (`POSTGRES_POOL_SIZE` plus
/// `POSTGRES_MAX_OVERFLOW`): the pool sets room aside for all of them up
/// front, and a server rarely allows more than a few hundred.
pub(crate) const MAX_POOL_CONNECTIONS: u32 = 10_000;

/// The longest timeout PostgreSQL takes (its timeouts are 32-bit numbers of
/// milliseconds), which is also the longest connect timeout accepted.
const MAX_TIMEOUT_SECONDS: f64 = 2_147_483.0;

/// The longest `POSTGRES_CONN_MAX_AGE`: a hundred years, in seconds.
const MAX_AGE_SECONDS: f64 = 3_155_760_000.0;

/// A timeout setting in whole or fractional seconds from 0 to
/// [`MAX_TIMEOUT_SECONDS`], where 0 means none.
fn optional_timeout(env: &Environment, key: &str, default: Duration) -> Result<Option<Duration>> {
    let timeout = env
        .seconds(key, 0.0, MAX_TIMEOUT_SECONDS)?
        .unwrap_or(default);
    Ok((!timeout.is_zero()).then_some(timeout))
}

impl PostgresConfig {
    /// Reads the `POSTGRES_*` variables, with the Python library's defaults;
    /// the table is named after the application.
    ///
    /// | variable | accepted | default |
    /// |---|---|---|
    /// | `POSTGRES_PORT` | 1 to 65535 | 5432 |
    /// | `POSTGRES_POOL_SIZE`, `POSTGRES_MAX_OVERFLOW` | 0 to 10,000 each, 1 to 10,000 together | 5, 10 |
    /// | `POSTGRES_MAX_WAITING` | 0 to 4,294,967,295 (0: no limit) | 0 |
    /// | `POSTGRES_CONNECT_TIMEOUT` | 0.001 to 2,147,483 seconds | 30 |
    /// | `POSTGRES_CONN_MAX_AGE` | 0.001 to 3,155,760,000 seconds | 3600 |
    /// | `POSTGRES_LOCK_TIMEOUT` | 0 to 2,147,483 seconds (0: no limit) | 0 |
    /// | `POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT` | 0 to 2,147,483 seconds (0: none) | 5 |
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MissingSetting`] for `POSTGRES_DBNAME`, `POSTGRES_HOST` or
    /// `POSTGRES_USER`; [`ErrorKind::InvalidSetting`] naming the variable and
    /// the accepted range for values that do not parse or are out of range,
    /// and for `SINGLE_ROW_TRACKING` false (only single-row tracking is
    /// implemented, see `check_single_row_tracking`);
    /// [`ErrorKind::InvalidIdentifier`] for a schema or table name that cannot
    /// be used.
    pub fn from_env(env: &Environment) -> Result<Self> {
        let need = |key: &str| env.require(key, "the PostgreSQL recorder needs it to connect");
        let mut prefix = env.name().to_lowercase();
        if prefix.is_empty() {
            "stored".clone_into(&mut prefix);
        }
        let table = format!("{prefix}_events");
        let snapshot_table = format!("{prefix}_snapshots");
        // Python's factory names the tracking table after the application
        // too, but `notification_tracking` when it has no name.
        let tracking_prefix = match env.name().to_lowercase() {
            name if name.is_empty() => "notification".to_owned(),
            name => name,
        };
        let tracking_table = format!("{tracking_prefix}_tracking");
        check_single_row_tracking(env)?;
        let pool_size = env
            .integer("POSTGRES_POOL_SIZE", 0, MAX_POOL_CONNECTIONS)?
            .unwrap_or(5);
        let max_overflow = env
            .integer("POSTGRES_MAX_OVERFLOW", 0, MAX_POOL_CONNECTIONS)?
            .unwrap_or(10);
        let config = Self {
            dbname: need("POSTGRES_DBNAME")?,
            host: need("POSTGRES_HOST")?,
            port: env.integer("POSTGRES_PORT", 1, u16::MAX)?.unwrap_or(5432),
            user: need("POSTGRES_USER")?,
            password: env.get("POSTGRES_PASSWORD")?,
            schema: env
                .get("POSTGRES_SCHEMA")?
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "public".to_owned()),
            table,
            snapshot_table,
            tracking_table,
            pool_size,
            max_overflow,
            max_waiting: env
                .integer("POSTGRES_MAX_WAITING", 0, u32::MAX)?
                .unwrap_or(0),
            connect_timeout: env
                .seconds("POSTGRES_CONNECT_TIMEOUT", 0.001, MAX_TIMEOUT_SECONDS)?
                .unwrap_or(Duration::from_secs(30)),
            conn_max_age: Some(
                env.seconds("POSTGRES_CONN_MAX_AGE", 0.001, MAX_AGE_SECONDS)?
                    .unwrap_or(Duration::from_secs(3600)),
            ),
            pre_ping: env.flag("POSTGRES_PRE_PING")?.unwrap_or(false),
            create_table: env.flag("CREATE_TABLE")?.unwrap_or(true),
            lock_timeout: optional_timeout(env, "POSTGRES_LOCK_TIMEOUT", Duration::ZERO)?,
            idle_in_transaction_session_timeout: optional_timeout(
                env,
                "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT",
                Duration::from_secs(5),
            )?,
            password_provider: env.password_provider(),
            tls: TlsSettings::from_env(
                env,
                std::env::var_os("HOME").map(PathBuf::from).as_deref(),
            )?,
        };
        let total = pool_size.saturating_add(max_overflow);
        if !(1..=MAX_POOL_CONNECTIONS).contains(&total) {
            let variables = env.variables("POSTGRES_POOL_SIZE").join(" or ");
            return Err(ErrorKind::InvalidSetting {
                variable: variables,
                value: pool_size.to_string(),
                expected: format!(
                    "a pool of 1 to {MAX_POOL_CONNECTIONS} connections: POSTGRES_POOL_SIZE + \
                     POSTGRES_MAX_OVERFLOW is {total}"
                ),
            }
            .into());
        }
        config.validate()?;
        Ok(config)
    }

    /// The most connections the pool holds: `pool_size + max_overflow`,
    /// from 1 to [`MAX_POOL_CONNECTIONS`].
    #[doc(hidden)]
    pub fn max_connections(&self) -> u32 {
        self.pool_size
            .saturating_add(self.max_overflow)
            .clamp(1, MAX_POOL_CONNECTIONS)
    }

    /// The schema, table and index names, quoted as the Python library
    /// quotes them.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidIdentifier`] for a name [`quote_identifier`] refuses,
    /// and for PostgreSQL's own schemas (`information_schema`, `pg_*`).
    #[doc(hidden)]
    pub fn quoted_names(&self) -> Result<QuotedNames> {
        if self.schema == "information_schema" || self.schema.starts_with("pg_") {
            return Err(ErrorKind::InvalidIdentifier {
                what: "schema",
                name: self.schema.clone(),
                reason: "it is one of PostgreSQL's own schemas (information_schema, pg_*)"
                    .to_owned(),
            }
            .into());
        }
        let schema = quote_identifier("schema", &self.schema)?;
        let table = quote_identifier("table", &self.table)?;
        // Python names the index so, and lets PostgreSQL cut a long name to 63 bytes.
        let index_name = format!("{}_notification_id_idx", self.table);
        let index = quote_identifier("index", truncate(&index_name, 63))?;
        let snapshot_table = quote_identifier("snapshot table", &self.snapshot_table)?;
        let tracking_table = quote_identifier("tracking table", &self.tracking_table)?;
        // Python's channel: the table's name with any '.' made '_'.
        let channel = quote_identifier("channel", &self.table.replace('.', "_"))?;
        Ok(QuotedNames {
            qualified_table: format!("{schema}.{table}"),
            qualified_snapshot_table: format!("{schema}.{snapshot_table}"),
            qualified_tracking_table: format!("{schema}.{tracking_table}"),
            schema,
            table,
            index,
            channel,
        })
    }

    fn validate(&self) -> Result<()> {
        self.quoted_names().map(|_| ())
    }

    /// The `application_name` the recorder's connections show in
    /// `pg_stat_activity`: `es:<schema>.<table>`, cut to the server's 63 bytes.
    #[doc(hidden)]
    pub fn application_name(&self) -> String {
        truncate(&format!("es:{}.{}", self.schema, self.table), 63).to_owned()
    }

    pub(super) fn client_config(&self) -> postgres::Config {
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

/// `text` cut to at most `bytes` bytes, at a character boundary.
fn truncate(text: &str, bytes: usize) -> &str {
    let mut end = text.len().min(bytes);
    while !text.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    text.get(..end).unwrap_or_default()
}

/// The recorder's names, quoted for SQL (see [`PostgresConfig::quoted_names`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotedNames {
    /// The schema, e.g. `"public"`.
    pub schema: String,
    /// The table, e.g. `"universe_events"`.
    pub table: String,
    /// The notification id index, e.g. `"universe_events_notification_id_idx"`.
    pub index: String,
    /// The schema-qualified table, e.g. `"public"."universe_events"`.
    pub qualified_table: String,
    /// The schema-qualified snapshot table, e.g.
    /// `"public"."universe_snapshots"`.
    pub qualified_snapshot_table: String,
    /// The schema-qualified tracking table, e.g.
    /// `"public"."universe_tracking"`.
    pub qualified_tracking_table: String,
    /// The channel every insert of events notifies, as the Python library's
    /// `PostgresApplicationRecorder` names it: the table's name, e.g.
    /// `"universe_events"` (in any schema).
    pub channel: String,
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
    fn settings_are_read_with_the_python_librarys_defaults() {
        let config = PostgresConfig::from_env(&env(&[])).unwrap();
        assert_eq!(
            (
                config.port,
                config.pool_size,
                config.max_overflow,
                config.max_waiting
            ),
            (5432, 5, 10, 0)
        );
        assert_eq!(config.max_connections(), 15);
        assert!(!config.pre_ping);
        assert_eq!(
            (config.schema.as_str(), config.table.as_str()),
            ("public", "universe_events")
        );
        assert_eq!(config.connect_timeout, Duration::from_secs(30));
        assert_eq!(config.conn_max_age, Some(Duration::from_secs(3600)));
        assert_eq!(config.lock_timeout, None);
        assert_eq!(
            config.idle_in_transaction_session_timeout,
            Some(Duration::from_secs(5))
        );
        let config = PostgresConfig::from_env(&env(&[
            ("POSTGRES_PORT", "5433"),
            ("POSTGRES_POOL_SIZE", "3"),
            ("POSTGRES_MAX_OVERFLOW", "0"),
            ("POSTGRES_MAX_WAITING", "7"),
            ("POSTGRES_CONNECT_TIMEOUT", "2"),
            ("POSTGRES_CONN_MAX_AGE", "60"),
            ("POSTGRES_PRE_PING", "y"),
            ("POSTGRES_LOCK_TIMEOUT", "10"),
            ("POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT", "0"),
            ("POSTGRES_SCHEMA", " myschema "),
        ]))
        .unwrap();
        assert_eq!(
            (
                config.port,
                config.max_connections(),
                config.max_waiting,
                config.pre_ping
            ),
            (5433, 3, 7, true)
        );
        assert_eq!(config.connect_timeout, Duration::from_secs(2));
        assert_eq!(config.conn_max_age, Some(Duration::from_secs(60)));
        assert_eq!(config.lock_timeout, Some(Duration::from_secs(10)));
        assert_eq!(config.idle_in_transaction_session_timeout, None);
        assert_eq!(config.schema, "myschema");
        assert!(!format!("{config:?}").contains("secret-password"));
    }

    /// Each numeric setting, with values at and past the edges of its range:
    /// the ones past it are refused naming the variable and the range.
    #[test]
    fn every_numeric_setting_is_range_checked() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "POSTGRES_PORT",
                &["1", "65535", "+5432"],
                &["0", "65536", "-1", "5432.0", "1e3"],
            ),
            (
                "POSTGRES_POOL_SIZE",
                &["0", "1", "9990"],
                &[
                    "-1",
                    "10001",
                    "4294967295",
                    "4294967296",
                    "99999999999999999999999999",
                ],
            ),
            (
                "POSTGRES_MAX_OVERFLOW",
                &["0", "9995"],
                &["-1", "10001", "1.5"],
            ),
            (
                "POSTGRES_MAX_WAITING",
                &["0", "4294967295"],
                &["-1", "4294967296"],
            ),
            (
                "POSTGRES_CONNECT_TIMEOUT",
                &["0.001", "2147483", "1_0"],
                &["0", "-1", "1e20", "inf", "nan", "2147484", "1e-10"],
            ),
            (
                "POSTGRES_CONN_MAX_AGE",
                &["0.001", "3155760000"],
                &["0", "1e-10", "-5", "1e20", "inf", "NaN"],
            ),
            (
                "POSTGRES_LOCK_TIMEOUT",
                &["0", "2147483"],
                &["-1", "1e20", "2147483.5", "nan"],
            ),
            (
                "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT",
                &["0", "2147483"],
                &["-0.5", "1e20", "infinity"],
            ),
            ("POSTGRES_PRE_PING", &["y", "No", "1"], &["2", "maybe"]),
        ];
        for (key, good, bad) in cases {
            for value in *good {
                let mut values = vec![(*key, *value)];
                // The other half of the pool, small enough to keep the whole in range.
                for other in ["POSTGRES_POOL_SIZE", "POSTGRES_MAX_OVERFLOW"] {
                    if other != *key {
                        values.push((other, "5"));
                    }
                }
                let config = PostgresConfig::from_env(&env(&values));
                assert!(config.is_ok(), "{key}={value}: {config:?}");
            }
            for value in *bad {
                let err = PostgresConfig::from_env(&env(&[(*key, *value)])).unwrap_err();
                let text = err.to_string();
                assert!(
                    matches!(err.kind(), ErrorKind::InvalidSetting { variable, .. } if variable == key),
                    "{text}"
                );
                assert!(text.starts_with(&format!("{key}={value:?}")), "{text}");
                assert!(
                    text.contains(" from ") || text.contains("y or n"),
                    "{key}={value}: no range in {text}"
                );
            }
        }
        // The pool as a whole: 1 to 10,000 connections.
        for (size, overflow) in [("0", "0"), ("10000", "1"), ("5000", "5001")] {
            let err = PostgresConfig::from_env(&env(&[
                ("POSTGRES_POOL_SIZE", size),
                ("POSTGRES_MAX_OVERFLOW", overflow),
            ]))
            .unwrap_err();
            assert!(
                err.to_string().contains("a pool of 1 to 10000 connections"),
                "{err}"
            );
        }
    }

    #[test]
    fn bad_settings_are_refused_by_name() {
        let err = PostgresConfig::from_env(&Environment::isolated("U", [("POSTGRES_HOST", "h")]))
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::MissingSetting { variable, .. } if variable == "U_POSTGRES_DBNAME or POSTGRES_DBNAME"),
            "{err}"
        );
        let err = PostgresConfig::from_env(&env(&[("POSTGRES_PORT", "http")])).unwrap_err();
        assert!(
            err.to_string().starts_with("POSTGRES_PORT=\"http\""),
            "{err}"
        );
    }

    #[test]
    fn the_application_name_is_cut_at_a_character_boundary() {
        let mut config = PostgresConfig::from_env(&env(&[])).unwrap();
        config.schema = "é".repeat(40);
        let name = config.application_name();
        assert!(name.len() <= 63 && name.starts_with("es:é"), "{name}");
    }
}
