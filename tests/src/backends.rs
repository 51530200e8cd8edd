//! The backends the tests run on, built in one place: the in-memory
//! recorder, SQLite (a file, `:memory:`, a named shared-cache in-memory
//! database) and PostgreSQL (a schema of each test's own), each with the
//! settings an application reads and a recorder; the sets of them a test
//! loops over; and what they are made of (a SQLite file, a PostgreSQL
//! schema, a private PostgreSQL server).

use std::sync::Arc;
use std::time::Duration;

use eventsmith::Uuid;
use eventsmith::persistence::{Environment, InMemoryRecorder, ProcessRecorder};
use eventsmith::postgres::PostgresRecorder;
use eventsmith::sqlite::SqliteRecorder;

/// The variable that makes a missing PostgreSQL server fail the tests
/// instead of skipping them (`.ci/run` sets it).
pub const REQUIRE_POSTGRES: &str = "EVENTSMITH_REQUIRE_POSTGRES";

/// One backend a test runs on, with whatever must live as long as it does
/// (a temporary directory, a PostgreSQL schema dropped at the end).
pub struct Backend {
    /// What test messages call it.
    pub name: &'static str,
    /// What it stores in.
    pub store: Store,
}

/// What a [`Backend`] stores in.
pub enum Store {
    /// The in-memory recorder: each application and recorder has a store
    /// of its own.
    Memory,
    /// SQLite's `:memory:`: each recorder a private database of its own.
    SqliteMemory,
    /// A named shared-cache in-memory SQLite database (its `file:` URI):
    /// every recorder on the name shares it.
    SqliteSharedMemory(String),
    /// A SQLite file in a temporary directory of its own.
    SqliteFile(SqliteFile),
    /// A PostgreSQL schema of the test's own.
    Postgres(PgSchema),
}

/// Makes a backend: `None` when it cannot be had and is not required
/// (PostgreSQL with no server answering: the skip is reported).
pub type Make = fn() -> Option<Backend>;

impl Backend {
    /// The in-memory recorder (always there).
    pub fn memory() -> Option<Self> {
        Some(Self::new("memory", Store::Memory))
    }

    /// SQLite's private `:memory:` database (always there).
    pub fn sqlite_memory() -> Option<Self> {
        Some(Self::new("sqlite :memory:", Store::SqliteMemory))
    }

    /// A named shared-cache in-memory SQLite database of its own (always there).
    pub fn sqlite_shared_memory() -> Option<Self> {
        let name = format!(
            "file:test_{}?mode=memory&cache=shared",
            Uuid::new_v4().simple()
        );
        Some(Self::new(
            "sqlite shared memory",
            Store::SqliteSharedMemory(name),
        ))
    }

    /// A fresh SQLite file (always there).
    pub fn sqlite_file() -> Option<Self> {
        Some(Self::new(
            "sqlite file",
            Store::SqliteFile(SqliteFile::new()),
        ))
    }

    /// A PostgreSQL schema of its own, or `None` as [`PgSchema::new`] gives.
    pub fn postgres() -> Option<Self> {
        PgSchema::new().map(|pg| Self::new("postgres", Store::Postgres(pg)))
    }

    fn new(name: &'static str, store: Store) -> Self {
        Self { name, store }
    }

    /// Whether a second application or recorder on these settings shares
    /// the first's store (not in memory, nor on SQLite's private `:memory:`).
    pub fn shared(&self) -> bool {
        !matches!(self.store, Store::Memory | Store::SqliteMemory)
    }

    /// The settings an application reads to store here (none in memory).
    pub fn env(&self) -> Vec<(String, String)> {
        match &self.store {
            Store::Memory => Vec::new(),
            Store::SqliteMemory => sqlite_env(":memory:"),
            Store::SqliteSharedMemory(name) => sqlite_env(name),
            Store::SqliteFile(file) => file.env(),
            Store::Postgres(pg) => pg.env(),
        }
    }

    /// The settings of another store, `store`, beside [`env`](Self::env)'s,
    /// for an application that must not share the first's table: on SQLite
    /// (whose table is always `stored_events`, as in the Python library) a
    /// database of its own beside the first; in PostgreSQL the same schema,
    /// where each application's tables have its name; in memory, none.
    pub fn env_of(&self, store: &str) -> Vec<(String, String)> {
        match &self.store {
            Store::SqliteSharedMemory(name) => {
                sqlite_env(&name.replacen('?', &format!("_{store}?"), 1))
            }
            Store::SqliteFile(file) => sqlite_env(
                &file
                    .dir
                    .path()
                    .join(format!("{store}.sqlite"))
                    .to_string_lossy(),
            ),
            Store::Memory | Store::SqliteMemory | Store::Postgres(_) => self.env(),
        }
    }

    /// A recorder as an application called `name` makes one from
    /// [`env`](Self::env) (PostgreSQL's tables and channel have its name);
    /// in memory, a store of its own.
    ///
    /// # Panics
    ///
    /// When the database cannot be opened.
    pub fn recorder(&self, name: &str) -> Arc<dyn ProcessRecorder> {
        match &self.store {
            Store::Memory => Arc::new(InMemoryRecorder::new()),
            Store::Postgres(pg) => Arc::new(pg.recorder(name)),
            Store::SqliteMemory | Store::SqliteSharedMemory(_) | Store::SqliteFile(_) => Arc::new(
                SqliteRecorder::from_env(&Environment::isolated(name, self.env()))
                    .expect("open the SQLite database"),
            ),
        }
    }

    /// The `state` of every row of the events table of the application
    /// `application`, in log order, read with plain SQL.
    ///
    /// # Panics
    ///
    /// On a backend with no database to read with SQL from outside (in
    /// memory), or when the query fails.
    pub fn stored_states(&self, application: &str) -> Vec<Vec<u8>> {
        match &self.store {
            Store::SqliteFile(file) => rusqlite::Connection::open(&file.path)
                .unwrap()
                .prepare("SELECT state FROM stored_events ORDER BY rowid")
                .unwrap()
                .query_map([], |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap(),
            Store::Postgres(pg) => postgres_client()
                .unwrap()
                .query(
                    &format!(
                        "SELECT state FROM \"{}\".{}_events ORDER BY notification_id",
                        pg.schema,
                        application.to_lowercase()
                    ),
                    &[],
                )
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect(),
            _ => panic!("{}: no rows to read with plain SQL", self.name),
        }
    }

    /// Makes the store ready for the Python library to create its tables in
    /// before Rust does: PostgreSQL's schema (the library creates tables,
    /// not schemas); nothing elsewhere.
    pub fn create_schema(&self) {
        if let Store::Postgres(pg) = &self.store {
            pg.create();
        }
    }
}

/// Makes each of `makes`, leaving out those that cannot be had.
pub fn backends_of(makes: &[Make]) -> Vec<Backend> {
    makes.iter().filter_map(|make| make()).collect()
}

/// Every backend an application runs on: in memory, a SQLite file, and
/// PostgreSQL (when a server answers; see [`PgSchema::new`]).
pub fn backends() -> Vec<Backend> {
    backends_of(&[Backend::memory, Backend::sqlite_file, Backend::postgres])
}

/// The databases another process (the Python library, a child process)
/// can share: a SQLite file, and PostgreSQL (when a server answers).
pub fn databases() -> Vec<Backend> {
    backends_of(&[Backend::sqlite_file, Backend::postgres])
}

/// Every kind of recorder: in memory, SQLite's `:memory:`, a shared-cache
/// in-memory SQLite database, a SQLite file, and PostgreSQL (when a server
/// answers).
pub fn recorders() -> Vec<Backend> {
    backends_of(&[
        Backend::memory,
        Backend::sqlite_memory,
        Backend::sqlite_shared_memory,
        Backend::sqlite_file,
        Backend::postgres,
    ])
}

/// The tutorial's settings for the SQLite database `dbname`.
fn sqlite_env(dbname: &str) -> Vec<(String, String)> {
    vec![
        (
            "INFRASTRUCTURE_FACTORY".into(),
            "eventsourcing.sqlite:Factory".into(),
        ),
        ("SQLITE_DBNAME".into(), dbname.to_owned()),
    ]
}

/// A SQLite database file in a temporary directory of its own.
pub struct SqliteFile {
    /// The directory, removed on drop.
    pub dir: tempfile::TempDir,
    /// The database file's path.
    pub path: String,
}

impl SqliteFile {
    /// A fresh path for a database file.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir
            .path()
            .join("events.sqlite")
            .to_string_lossy()
            .into_owned();
        Self { dir, path }
    }

    /// The tutorial's settings for this file.
    pub fn env(&self) -> Vec<(String, String)> {
        sqlite_env(&self.path)
    }

    /// The columns of `table` (name, declared type, place in the primary
    /// key), as `PRAGMA table_info` gives them.
    ///
    /// # Panics
    ///
    /// When the file cannot be read.
    pub fn columns(&self, table: &str) -> Vec<(String, String, i64)> {
        rusqlite::Connection::open(&self.path)
            .unwrap()
            .prepare("SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid")
            .unwrap()
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

impl Default for SqliteFile {
    fn default() -> Self {
        Self::new()
    }
}

/// A PostgreSQL schema of one test's own, dropped when the test ends.
pub struct PgSchema {
    /// The schema's name.
    pub schema: String,
}

/// The tutorial's connection settings (database, user and password `eventsourcing`).
pub fn postgres_connection() -> Vec<(String, String)> {
    [
        ("POSTGRES_DBNAME", "eventsourcing"),
        ("POSTGRES_HOST", "127.0.0.1"),
        ("POSTGRES_PORT", "5432"),
        ("POSTGRES_USER", "eventsourcing"),
        ("POSTGRES_PASSWORD", "eventsourcing"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A role with data rights only (its password is its name), as
/// production runs: `.ci/run` creates it; [`PgSchema::grant_data_rights`]
/// grants it a schema's tables.
pub const DATA_ROLE: &str = "eventsmith_data";

/// A plain client with the tutorial's settings, for raw SQL in tests.
pub fn postgres_client() -> Result<postgres::Client, postgres::Error> {
    postgres::Config::new()
        .host("127.0.0.1")
        .port(5432)
        .user("eventsourcing")
        .password("eventsourcing")
        .dbname("eventsourcing")
        .connect_timeout(Duration::from_secs(3))
        .connect(postgres::NoTls)
}

impl PgSchema {
    /// A new schema name, or `None` (with a message) when no server answers
    /// and [`REQUIRE_POSTGRES`] is not set. With it set, a missing server
    /// panics: the test fails.
    pub fn new() -> Option<Self> {
        if let Err(e) = postgres_client() {
            // The server's message and SQLSTATE, or why the connection failed.
            let e = eventsmith::Error::from(e);
            if std::env::var_os(REQUIRE_POSTGRES).is_some() {
                panic!("PostgreSQL is required ({REQUIRE_POSTGRES} is set) but not reachable: {e}");
            }
            crate::skipped(&format!(
                "PostgreSQL not reachable on 127.0.0.1:5432 ({e}); set {REQUIRE_POSTGRES}=1 to fail instead"
            ));
            return None;
        }
        Some(Self {
            schema: format!("test_{}", Uuid::new_v4().simple()),
        })
    }

    /// The tutorial's settings, in this schema.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = postgres_connection();
        env.push((
            "INFRASTRUCTURE_FACTORY".into(),
            "eventsourcing.postgres:Factory".into(),
        ));
        env.push(("POSTGRES_SCHEMA".into(), self.schema.clone()));
        env
    }

    /// The settings of [`DATA_ROLE`], in this schema, with `CREATE_TABLE`
    /// off; after [`grant_data_rights`](Self::grant_data_rights), it can
    /// use the tables that exist in it, and create nothing.
    ///
    /// # Panics
    ///
    /// When the role does not exist (`.ci/run` creates it).
    pub fn data_role_env(&self) -> Vec<(String, String)> {
        let exists = postgres_client()
            .unwrap()
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&DATA_ROLE])
            .unwrap()
            .is_some();
        assert!(
            exists,
            "the role {DATA_ROLE} does not exist: .ci/run creates it"
        );
        crate::backends::with(
            &self.env(),
            &[
                ("POSTGRES_USER", DATA_ROLE),
                ("POSTGRES_PASSWORD", DATA_ROLE),
                ("CREATE_TABLE", "n"),
            ],
        )
    }

    /// Grants [`DATA_ROLE`] what a production role has on this schema's
    /// tables as they are now, by running the grants `docs/operations.md`
    /// gives a DBA (its `sql` block, for this schema and role): so the
    /// documented SQL is the SQL tested.
    ///
    /// # Panics
    ///
    /// When the document has no such block, or the server refuses.
    pub fn grant_data_rights(&self) {
        const OPERATIONS: &str = include_str!("../../docs/operations.md");
        let block = OPERATIONS
            .split("```sql\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("docs/operations.md has a ```sql block of grants");
        let sql = block
            .replace("SCHEMA public", &format!("SCHEMA \"{}\"", self.schema))
            .replace("app_data", DATA_ROLE);
        postgres_client().unwrap().batch_execute(&sql).unwrap();
    }

    /// A recorder in this schema for an application called `name`.
    pub fn recorder(&self, name: &str) -> PostgresRecorder {
        PostgresRecorder::from_env(&Environment::isolated(name, self.env()))
            .expect("connect to PostgreSQL")
    }

    /// Creates the schema, as the Python library (which creates tables,
    /// not schemas) needs it made first.
    ///
    /// # Panics
    ///
    /// When the server refuses.
    pub fn create(&self) {
        postgres_client()
            .unwrap()
            .batch_execute(&format!("CREATE SCHEMA {}", self.schema))
            .unwrap();
    }
}

/// The storage options the Python library gives its PostgreSQL tables
/// (`reloptions`).
pub const PYTHON_AUTOVACUUM_OPTIONS: [&str; 5] = [
    "autovacuum_enabled=true",
    "autovacuum_vacuum_threshold=100000000",
    "autovacuum_vacuum_scale_factor=0.5",
    "autovacuum_analyze_threshold=1000",
    "autovacuum_analyze_scale_factor=0.01",
];

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres_client() {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// Borrows settings as the `isolated` constructors take them.
pub fn pairs(values: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// A PostgreSQL server of a test's own, started with `initdb` and `pg_ctl`
/// on a free port, so that it can be restarted without disturbing the
/// shared server. Its superuser is `eventsourcing` (trust authentication,
/// or a password over TCP when started with one); it is stopped and removed
/// on drop.
pub struct PrivateServer {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    /// The password connections over TCP need, if any.
    pub password: Option<String>,
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
}

impl PrivateServer {
    /// Starts a server, or returns `None` (with a message) when PostgreSQL's
    /// programs are not installed and [`REQUIRE_POSTGRES`] is not set.
    pub fn start() -> Option<Self> {
        Self::start_with(None)
    }

    /// Starts a server whose connections over TCP need `password`
    /// (SCRAM-SHA-256), or returns `None` as [`start`](Self::start) does.
    pub fn start_with_password(password: &str) -> Option<Self> {
        Self::start_with(Some(password))
    }

    fn start_with(password: Option<&str>) -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions
                    .filter_map(Result::ok)
                    .map(|v| v.path().join("bin"))
                    .find(|b| b.join("pg_ctl").exists())
            });
        let Some(bin) = bin else {
            if std::env::var_os(REQUIRE_POSTGRES).is_some() {
                panic!(
                    "PostgreSQL is required ({REQUIRE_POSTGRES} is set) but pg_ctl is not installed"
                );
            }
            crate::skipped("PostgreSQL's programs (initdb, pg_ctl) are not installed");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("es-pg-")
            .tempdir_in("/tmp")
            .expect("a temporary directory");
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().unwrap().port()
        };
        let server = Self {
            port,
            password: password.map(str::to_owned),
            dir,
            bin,
        };
        if is_root() {
            // The server refuses to run as root: its files belong to postgres.
            server.as_postgres(
                &["chown", "postgres", &server.dir.path().to_string_lossy()],
                true,
            );
        }
        let data = server.data();
        let pwfile = server.dir.path().join("pwfile");
        std::fs::write(&pwfile, password.unwrap_or_default()).expect("a password file");
        let pwfile_arg = format!("--pwfile={}", pwfile.display());
        let mut initdb = vec![
            "initdb",
            "-D",
            &data,
            "-U",
            "eventsourcing",
            "-E",
            "UTF8",
            "--no-sync",
        ];
        if password.is_some() {
            initdb.extend([
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                &pwfile_arg,
            ]);
        } else {
            initdb.push("--auth=trust");
        }
        if is_root() {
            server.as_postgres(&["chown", "postgres", &pwfile.to_string_lossy()], true);
        }
        server.pg(&initdb);
        server.pg_ctl(&[
            "start",
            "-w",
            "-t",
            "30",
            "-l",
            &format!("{data}/../server.log"),
            "-o",
            &server.options(),
        ]);
        Some(server)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_string_lossy().into_owned()
    }

    fn options(&self) -> String {
        format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        )
    }

    fn as_postgres(&self, args: &[&str], as_root: bool) {
        let mut command = if as_root || !is_root() {
            std::process::Command::new(args[0])
        } else {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--", args[0]]);
            c
        };
        // Output goes to a file: a server started by pg_ctl would hold a pipe open.
        let log_path = self.dir.path().join("command.log");
        let log = std::fs::File::create(&log_path).expect("a log file");
        let status = command
            .args(&args[1..])
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log)
            .status()
            .expect("run a PostgreSQL program");
        assert!(
            status.success(),
            "{args:?} failed: {}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
    }

    fn pg(&self, args: &[&str]) {
        let program = self.bin.join(args[0]).to_string_lossy().into_owned();
        let mut full = vec![program.as_str()];
        full.extend(&args[1..]);
        self.as_postgres(&full, false);
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.data();
        let mut full = vec!["pg_ctl", "-D", data.as_str()];
        full.extend(args);
        self.pg(&full);
    }

    /// Stops the server at once (connections are cut), leaves it down for
    /// `down` (connections are refused), and starts it again.
    pub fn stop_for(&self, down: Duration) {
        self.pg_ctl(&["stop", "-m", "immediate", "-w", "-t", "30"]);
        std::thread::sleep(down);
        self.pg_ctl(&["start", "-w", "-t", "30", "-o", &self.options()]);
    }

    /// Stops the server at once (connections are cut) and starts it again.
    pub fn restart(&self) {
        self.pg_ctl(&[
            "restart",
            "-m",
            "immediate",
            "-w",
            "-t",
            "30",
            "-o",
            &self.options(),
        ]);
    }

    /// Settings for an application on this server.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("INFRASTRUCTURE_FACTORY", "postgres".to_owned()),
            ("POSTGRES_DBNAME", "postgres".to_owned()),
            ("POSTGRES_HOST", "127.0.0.1".to_owned()),
            ("POSTGRES_PORT", self.port.to_string()),
            ("POSTGRES_USER", "eventsourcing".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if let Some(password) = &self.password {
            env.push(("POSTGRES_PASSWORD".to_owned(), password.clone()));
        }
        env
    }

    /// A plain client, for raw SQL.
    pub fn client(&self) -> Result<postgres::Client, postgres::Error> {
        let mut config = postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(self.port)
            .user("eventsourcing")
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(3));
        if let Some(password) = &self.password {
            config.password(password);
        }
        config.connect(postgres::NoTls)
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let data = self.data();
        let program = self.bin.join("pg_ctl");
        let mut command = if is_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            std::process::Command::new(&program)
        };
        let _ = command
            .args(["-D", &data, "stop", "-m", "immediate", "-w"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// The settings `env`, followed by `extra`.
pub fn with(env: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = env.to_vec();
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}
