//! Test fixtures for real databases: SQLite files and in-memory databases,
//! and a PostgreSQL schema of its own for each test.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use eventsourcing::Uuid;
use eventsourcing::persistence::{ApplicationRecorder, Environment};
use eventsourcing::postgres::PostgresRecorder;
use eventsourcing::sqlite::SqliteRecorder;

/// The variable that makes a missing PostgreSQL server fail the tests
/// instead of skipping them (`.ci/run` sets it).
pub const REQUIRE_POSTGRES: &str = "EVENTSOURCING_REQUIRE_POSTGRES";

/// A recorder under test, with whatever must live as long as it (a temporary
/// directory, a PostgreSQL schema to drop).
pub struct Fixture {
    /// The recorder.
    pub recorder: Arc<dyn ApplicationRecorder>,
    _guard: Box<dyn Any>,
}

impl Fixture {
    /// A fixture keeping `guard` alive beside `recorder`.
    pub fn new(recorder: Arc<dyn ApplicationRecorder>, guard: impl Any) -> Self {
        Self {
            recorder,
            _guard: Box::new(guard),
        }
    }
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
        vec![
            (
                "INFRASTRUCTURE_FACTORY".into(),
                "eventsourcing.sqlite:Factory".into(),
            ),
            ("SQLITE_DBNAME".into(), self.path.clone()),
        ]
    }
}

impl Default for SqliteFile {
    fn default() -> Self {
        Self::new()
    }
}

/// A recorder on a fresh SQLite file.
pub fn sqlite_file() -> Option<Fixture> {
    let file = SqliteFile::new();
    let recorder = SqliteRecorder::open(&file.path).expect("open the SQLite file");
    Some(Fixture::new(Arc::new(recorder), file))
}

/// A recorder on a private `:memory:` database.
pub fn sqlite_memory() -> Option<Fixture> {
    Some(Fixture::new(
        Arc::new(SqliteRecorder::open(":memory:").expect("open :memory:")),
        (),
    ))
}

/// A recorder on a named shared-cache in-memory database of its own.
pub fn sqlite_shared_memory() -> Option<Fixture> {
    let name = format!(
        "file:test_{}?mode=memory&cache=shared",
        Uuid::new_v4().simple()
    );
    Some(Fixture::new(
        Arc::new(SqliteRecorder::open(&name).expect("open shared memory")),
        (),
    ))
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
            if std::env::var_os(REQUIRE_POSTGRES).is_some() {
                panic!("PostgreSQL is required ({REQUIRE_POSTGRES} is set) but not reachable: {e}");
            }
            eprintln!(
                "SKIPPED: PostgreSQL not reachable on 127.0.0.1:5432 ({e}); set {REQUIRE_POSTGRES}=1 to fail instead"
            );
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

    /// A recorder in this schema for an application called `name`.
    pub fn recorder(&self, name: &str) -> PostgresRecorder {
        PostgresRecorder::from_env(&Environment::isolated(name, self.env()))
            .expect("connect to PostgreSQL")
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres_client() {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// A recorder in a PostgreSQL schema of its own, or `None` when skipped.
pub fn postgres() -> Option<Fixture> {
    let schema = PgSchema::new()?;
    let recorder = schema.recorder("Conformance");
    Some(Fixture::new(Arc::new(recorder), schema))
}

/// Borrows settings as the `isolated` constructors take them.
pub fn pairs(values: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}
