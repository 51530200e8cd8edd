//! The recorder's connections: one with its prepared statements, and the
//! pool's manager that opens, checks and retires them.

use std::sync::Arc;

use super::*;
use crate::persistence::environment::PasswordProvider;
use postgres::config::SslMode;
use tls::Connector;

/// A pooled connection with its prepared statements.
pub(super) struct PgConnection {
    pub(super) client: Client,
    pub(super) statements: HashMap<String, Statement>,
    pub(super) born: Instant,
    pub(super) served: bool,
    pub(super) retired: bool,
    /// Whether the work under way runs outside any transaction (the insert
    /// function's call, committed as it returns): a failure then leaves
    /// none to roll back.
    pub(super) autocommit: bool,
}

impl PgConnection {
    /// Commits the open transaction. A failure here is never tried again:
    /// the commit may have been applied before the connection failed.
    pub(super) fn commit(&mut self) -> std::result::Result<(), Failure> {
        self.client
            .batch_execute("COMMIT")
            .map_err(|error| Failure::Postgres {
                error,
                may_retry: false,
            })
    }

    pub(super) fn prepare(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

pub(super) struct Manager {
    config: postgres::Config,
    /// TLS, for every connection the pool and the subscriptions open.
    tls: Connector,
    /// The TLS modes to try in turn (see `TlsSettings::attempts`).
    attempts: &'static [SslMode],
    /// Gives each new connection its password.
    password: Option<PasswordProvider>,
    /// Where it connects, for errors: `host:port`.
    endpoint: String,
    /// The connection the recorder made first (to create its table), the
    /// pool's first: closed and replaced by another, its server process
    /// outlived it for a moment, one more than the pool's limit.
    pub(super) first: std::sync::Mutex<Option<PgConnection>>,
    /// Whether the last connection the pool tried to open failed with an
    /// error that does not pass (a wrong password, a database or role that
    /// is gone): the pool's timeout then says so, and is not transient.
    pub(super) lasting_failure: Arc<AtomicBool>,
}

impl Manager {
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSetting`] for a certificate file that cannot be
    /// read.
    pub(super) fn new(config: &PostgresConfig) -> Result<Self> {
        Ok(Self {
            config: config.client_config(),
            tls: config.tls.connector()?,
            attempts: config.tls.attempts(),
            password: config.password_provider.clone(),
            endpoint: config.endpoint(),
            first: std::sync::Mutex::new(None),
            lasting_failure: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A connection by each TLS mode in turn, while the server refuses
    /// (libpq's `allow` and `prefer`): the last refusal is returned.
    fn open(&self, config: &postgres::Config) -> Result<PgConnection, ConnectError> {
        let database = config.get_dbname().unwrap_or_default();
        let user = config.get_user().unwrap_or_default();
        let _span = crate::observe::connect_span(&self.endpoint, database, user).entered();
        let mut config = config.clone();
        if let Some(provider) = &self.password {
            config.password(provider().map_err(ConnectError::Password)?);
        }
        let mut attempts = self.attempts.iter().peekable();
        loop {
            let mode = attempts.next().copied().unwrap_or(SslMode::Prefer);
            config.ssl_mode(mode);
            match config.connect(self.tls.clone()) {
                Ok(client) => {
                    return Ok(PgConnection {
                        client,
                        statements: HashMap::new(),
                        born: Instant::now(),
                        served: false,
                        retired: false,
                        autocommit: false,
                    });
                }
                Err(e) if e.as_db_error().is_some() && attempts.peek().is_some() => {}
                Err(e) => return Err(ConnectError::Postgres(e)),
            }
        }
    }

    /// A connection within `timeout`: failures that may pass are tried again
    /// until then; others (a wrong password, user or database) end at once.
    pub(super) fn open_within(&self, timeout: Duration) -> Result<PgConnection> {
        let start = Instant::now();
        loop {
            let left = timeout.saturating_sub(start.elapsed());
            let mut config = self.config.clone();
            config.connect_timeout(left.max(Duration::from_millis(1)));
            match self.open(&config) {
                Ok(conn) => return Ok(conn),
                Err(ConnectError::Postgres(e))
                    if may_pass(&e) && left > Duration::from_millis(100) =>
                {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(e.at(&self.endpoint)),
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<PgConnection, ConnectError> {
        let first = self
            .first
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(conn) = first.filter(|conn| !conn.client.is_closed()) {
            return Ok(conn);
        }
        let opened = self.open(&self.config);
        self.lasting_failure.store(
            opened.as_ref().is_err_and(|e| !e.is_transient()),
            Ordering::SeqCst,
        );
        opened
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), ConnectError> {
        conn.client
            .simple_query("")
            .map(|_| ())
            .map_err(ConnectError::Postgres)
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        conn.retired || conn.client.is_closed()
    }
}
