//! The raw engines: the baseline's rusqlite, postgres and in-memory stores.

use super::*;

pub(crate) const SQLITE_CREATE: &str = "CREATE TABLE IF NOT EXISTS stored_events (originator_id TEXT, \
     originator_version INTEGER, topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))";
pub(crate) const SQLITE_INSERT: &str = "INSERT INTO stored_events (originator_id, originator_version, topic, state) \
     VALUES (?1, ?2, ?3, ?4)";
pub(crate) const SQLITE_SELECT_EVENTS: &str = "SELECT originator_version, topic, state FROM stored_events \
     WHERE originator_id = ? ORDER BY originator_version";
/// With the limit written in, as the recorder writes it.
pub(crate) fn sqlite_select_notifications(limit: usize) -> String {
    format!(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events \
         WHERE rowid >= ? ORDER BY rowid LIMIT {limit}"
    )
}

/// A connection opened as the SQLite recorder opens one.
pub(crate) fn sqlite_open(path: &Path) -> rusqlite::Connection {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open SQLite");
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.set_prepared_statement_cache_capacity(32);
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(SQLITE_CREATE).unwrap();
    conn
}

pub(crate) fn pg_config() -> postgres::Config {
    let mut config = postgres::Config::new();
    config
        .host(PG_HOST)
        .port(PG_PORT.parse().unwrap())
        .dbname(PG_DB)
        .user(PG_USER)
        .password(PG_PASSWORD)
        .connect_timeout(Duration::from_secs(5));
    config
}

pub(crate) struct RawPg {
    pub(crate) client: postgres::Client,
    pub(crate) insert: postgres::Statement,
    pub(crate) select_own: postgres::Statement,
    pub(crate) select_runtime: postgres::Statement,
    pub(crate) notifications: postgres::Statement,
}

impl RawPg {
    pub(crate) fn new(schema: &str) -> Self {
        let mut client = pg_config().connect(postgres::NoTls).expect("PostgreSQL");
        let own = format!("{schema}.baseline_events");
        let runtime = format!("{schema}.universe_events");
        // The baseline's table, made by the recorder itself (for an application "Baseline").
        eventsmith::postgres::PostgresRecorder::from_env(&eventsmith::Environment::isolated(
            "Baseline",
            [
                ("POSTGRES_DBNAME", PG_DB),
                ("POSTGRES_HOST", PG_HOST),
                ("POSTGRES_PORT", PG_PORT),
                ("POSTGRES_USER", PG_USER),
                ("POSTGRES_PASSWORD", PG_PASSWORD),
                ("POSTGRES_SCHEMA", schema),
            ],
        ))
        .expect("create the baseline table");
        // The recorder's own insert, in its function: one round trip.
        let insert = client
            .prepare(&format!(
                "SELECT * FROM {schema}.baseline_events_insert_events($1, $2, $3, $4, $5)"
            ))
            .unwrap();
        let select = |table: &str| {
            format!(
                "SELECT originator_version, topic, state FROM {table} WHERE originator_id = $1 \
                 ORDER BY originator_version"
            )
        };
        let select_own = client.prepare(&select(&own)).unwrap();
        let select_runtime = client.prepare(&select(&runtime)).unwrap();
        let notifications = client
            .prepare(&format!(
                "SELECT notification_id, originator_id, originator_version, topic, state FROM {runtime} \
                 WHERE notification_id >= $1 ORDER BY notification_id LIMIT $2"
            ))
            .unwrap();
        Self {
            client,
            insert,
            select_own,
            select_runtime,
            notifications,
        }
    }
}

/// The engine underneath, driven directly.
pub(crate) enum Raw {
    /// The baseline's rows, in a `Vec`.
    Memory {
        log: Vec<Row>,
    },
    /// Its own file to write; the runtime's file to read.
    Sqlite {
        own: rusqlite::Connection,
        runtime: rusqlite::Connection,
    },
    Postgres(Box<RawPg>),
}

impl Raw {
    pub(crate) fn new(place: &Place) -> Self {
        match place.backend {
            Backend::Memory => Self::Memory { log: Vec::new() },
            Backend::Sqlite => Self::Sqlite {
                own: sqlite_open(&place.sqlite_baseline),
                runtime: sqlite_open(&place.sqlite_runtime),
            },
            Backend::Postgres => Self::Postgres(Box::new(RawPg::new(&place.pg_schema))),
        }
    }

    /// Stores rows in one transaction, as a save does; returns their ids.
    pub(crate) fn insert(&mut self, rows: Vec<Row>) -> Vec<u64> {
        match self {
            Self::Memory { log } => {
                let first = log.len() as u64 + 1;
                let ids = (first..first + rows.len() as u64).collect();
                log.extend(rows);
                ids
            }
            Self::Sqlite { own, .. } => {
                let tx = own
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .unwrap();
                let mut ids = Vec::with_capacity(rows.len());
                {
                    let mut insert = tx.prepare_cached(SQLITE_INSERT).unwrap();
                    let mut hex = Uuid::encode_buffer();
                    for r in &rows {
                        let id: &str = r.id.simple().encode_lower(&mut hex);
                        insert
                            .execute(rusqlite::params![id, r.version as i64, r.topic, r.state])
                            .unwrap();
                        ids.push(tx.last_insert_rowid() as u64);
                    }
                }
                tx.commit().unwrap();
                ids
            }
            Self::Postgres(pg) => {
                let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                let versions: Vec<i64> = rows.iter().map(|r| r.version as i64).collect();
                let topics: Vec<&str> = rows.iter().map(|r| r.topic).collect();
                let states: Vec<&[u8]> = rows.iter().map(|r| r.state.as_slice()).collect();
                let returned = pg
                    .client
                    .query(
                        &pg.insert,
                        &[&ids, &versions, &topics, &states, &None::<String>],
                    )
                    .unwrap();
                let base = returned[0].get::<_, i64>(0) as u64;
                (1..=rows.len() as u64).map(|i| base + i).collect()
            }
        }
    }

    /// An aggregate's events, from the baseline's own rows (W2) or the
    /// runtime's (W4), decoded into the event structs.
    pub(crate) fn select_events(
        &mut self,
        codec: &Codec,
        id: Uuid,
        runtimes: bool,
    ) -> Vec<WorldEvent> {
        match self {
            Self::Memory { .. } => unreachable!("in memory, rows are at hand"),
            Self::Sqlite { own, runtime } => {
                let conn = if runtimes { runtime } else { own };
                let mut statement = conn.prepare_cached(SQLITE_SELECT_EVENTS).unwrap();
                let mut hex = Uuid::encode_buffer();
                let id_text: &str = id.simple().encode_lower(&mut hex);
                let mut rows = statement.query([id_text]).unwrap();
                let mut events = Vec::new();
                while let Some(row) = rows.next().unwrap() {
                    let version: i64 = row.get(0).unwrap();
                    let topic = row.get_ref(1).unwrap().as_str().unwrap();
                    let state = row.get_ref(2).unwrap().as_blob().unwrap();
                    events.push(codec.decode(id, version as u64, topic, state));
                }
                events
            }
            Self::Postgres(pg) => {
                let statement = if runtimes {
                    &pg.select_runtime
                } else {
                    &pg.select_own
                };
                let rows = pg.client.query(statement, &[&id]).unwrap();
                rows.iter()
                    .map(|row| {
                        let version: i64 = row.get(0);
                        codec.decode(id, version as u64, row.get(1), row.get(2))
                    })
                    .collect()
            }
        }
    }

    /// Reads the whole log, `section` rows per query, as the reader does;
    /// returns how many notifications were decoded.
    pub(crate) fn read_log(&mut self, codec: &Codec, section: usize) -> u64 {
        let mut count = 0u64;
        match self {
            Self::Memory { log } => {
                for chunk in log.chunks(section) {
                    for r in chunk {
                        black_box(codec.decode(r.id, r.version, r.topic, &r.state));
                        count += 1;
                    }
                }
            }
            Self::Sqlite { runtime, .. } => {
                let mut statement = runtime
                    .prepare_cached(&sqlite_select_notifications(section))
                    .unwrap();
                let mut start = 1i64;
                loop {
                    let mut rows = statement.query([start]).unwrap();
                    let mut got = 0;
                    while let Some(row) = rows.next().unwrap() {
                        let id: i64 = row.get(0).unwrap();
                        let originator =
                            Uuid::try_parse(row.get_ref(1).unwrap().as_str().unwrap()).unwrap();
                        let version: i64 = row.get(2).unwrap();
                        let topic = row.get_ref(3).unwrap().as_str().unwrap();
                        let state = row.get_ref(4).unwrap().as_blob().unwrap();
                        black_box(codec.decode(originator, version as u64, topic, state));
                        start = id + 1;
                        got += 1;
                    }
                    count += got;
                    if got < section as u64 {
                        break;
                    }
                }
            }
            Self::Postgres(pg) => {
                let mut start = 1i64;
                loop {
                    let rows = pg
                        .client
                        .query(&pg.notifications, &[&start, &(section as i64)])
                        .unwrap();
                    for row in &rows {
                        let id: i64 = row.get(0);
                        let version: i64 = row.get(2);
                        black_box(codec.decode(row.get(1), version as u64, row.get(3), row.get(4)));
                        start = id + 1;
                    }
                    count += rows.len() as u64;
                    if rows.len() < section {
                        break;
                    }
                }
            }
        }
        count
    }
}
