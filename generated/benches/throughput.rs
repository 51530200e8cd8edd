//! Throughput of the tutorial's `Universe` against the raw engine underneath
//! it, in one run, and the generator on a large schema.
//!
//! ```sh
//! cargo bench -p eventsourcing-generated --bench throughput            # the whole matrix
//! ES_BENCH_QUICK=1 cargo bench -p eventsourcing-generated --bench throughput   # a smoke run
//! ```
//!
//! Workloads (W1–W5) × backends (in memory, SQLite file in WAL mode with the
//! default `synchronous`, PostgreSQL on 127.0.0.1:5432) × modes (plain, AES +
//! zlib). Each figure is set beside a baseline doing the same work with no
//! runtime in between, measured in the same run, alternating with it:
//!
//! - writes: the same events built as the generated structs, serialized with
//!   serde_json (then zlib, then AES-GCM with the crates directly, in the AES +
//!   zlib mode) and, for SQLite and PostgreSQL, stored by the driver with the
//!   recorder's own statements in the same transactions (rusqlite: `BEGIN
//!   IMMEDIATE`, `INSERT`, `COMMIT` on a connection opened with the same
//!   pragmas; `postgres`: `BEGIN; LOCK TABLE`, the `unnest` insert, `COMMIT`);
//!   in memory, pushed into a `Vec`;
//! - reads (W4, W5): the recorder's own `SELECT`s on the same rows, with the
//!   same driver, decoded with serde_json straight into the event structs (in
//!   memory: the baseline's own rows in a `Vec`).
//!
//! The ratio is the runtime's speed over the baseline's (for W4, baseline
//! milliseconds over runtime milliseconds), so 1.0 means no overhead. Beside
//! each wall-clock figure is the client's CPU per operation (this thread's,
//! `CLOCK_THREAD_CPUTIME_ID`, on the same operations) and the CPU ratio,
//! runtime over baseline: on a database a save's wall time is mostly the
//! disk's flush, so for writes the CPU ratio is the figure the runtime
//! controls. Each (backend, mode) cell runs 3 times on a fresh store, plain
//! and AES + zlib taking turns (the order turned each round); each figure is
//! the median of its rounds, and "vs plain" the median of the rounds'
//! ratios. The targets are issue 13's. `ES_BENCH_QUICK=1` is the same table
//! from one smaller round, in well under a minute.
//! `ES_BENCH_BACKENDS=memory,sqlite,postgres`, `ES_BENCH_MODES=plain|aes`,
//! `ES_BENCH_ONLY=w1,…,w5,gen` and `ES_BENCH_REPS=N` narrow a run for
//! profiling. PostgreSQL tables go to schemas of the bench's own
//! (`es_bench_plain`, `es_bench_aes`), dropped afterwards. Nothing here is a
//! test: nothing asserts a time. Results: `docs/benchmarks.md`.

mod common;
use common::*;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, Generate, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use base64::Engine;
use eventsourcing::chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use eventsourcing::persistence::AesCipher;
use eventsourcing::{Aggregate, NotificationLog, NotificationLogReader, Timestamp, Uuid};
use eventsourcing_generated::world::{
    Universe, World, WorldEvent, WorldId, WorldSomethingHappened as SomethingHappened,
    WorldStarted as Started,
};
use serde::{Deserialize, Serialize};

const PG_HOST: &str = "127.0.0.1";
const PG_PORT: &str = "5432";
const PG_DB: &str = "eventsourcing";
const PG_USER: &str = "eventsourcing";
const PG_PASSWORD: &str = "eventsourcing";

// ---------------------------------------------------------------------------
// Sizes

struct Sizes {
    quick: bool,
    /// W1: creates per round, in memory and on a database.
    w1: [usize; 2],
    /// W3: saves (of 10 events) per round, in memory and on a database.
    w3: [usize; 2],
    /// Rounds of W1 and W3 (runtime and baseline alternating); the median counts.
    rounds: usize,
    /// W2: commands on one world.
    w2: [usize; 2],
    /// W4: events of the world replayed, and replays (median).
    w4_events: usize,
    w4_reps: usize,
    /// W5: rounds of reading the whole log (median).
    w5_rounds: usize,
    /// W5: the notifications read to measure peak memory.
    w5_memory: u64,
    /// The generator: aggregates × events.
    gen_aggregates: usize,
    gen_events: usize,
    /// Rounds of each (backend, mode) cell, plain and AES + zlib taking
    /// turns; each figure is the median of its rounds.
    mode_rounds: usize,
}

impl Sizes {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                quick,
                w1: [2_000, 50],
                w3: [200, 20],
                rounds: 3,
                w2: [40, 200],
                w4_events: 10_000,
                w4_reps: 3,
                w5_rounds: 1,
                w5_memory: 20_000,
                gen_aggregates: 100,
                gen_events: 10,
                mode_rounds: 1,
            }
        } else {
            Self {
                quick,
                w1: [40_000, 2_000],
                w3: [4_000, 500],
                rounds: 3,
                w2: [400, 2_000],
                w4_events: 10_000,
                w4_reps: 3,
                w5_rounds: 3,
                w5_memory: 1_000_000,
                gen_aggregates: 100,
                gen_events: 10,
                mode_rounds: 3,
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Backends and modes

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Memory,
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s {
            "memory" => Some(Self::Memory),
            "sqlite" => Some(Self::Sqlite),
            "postgres" => Some(Self::Postgres),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Plain,
    AesZlib,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::AesZlib => "aes+zlib",
        }
    }
}

/// Where one (backend, mode) cell keeps its data.
struct Place {
    backend: Backend,
    mode: Mode,
    key: String,
    sqlite_runtime: PathBuf,
    sqlite_baseline: PathBuf,
    pg_schema: String,
}

impl Place {
    fn vars(&self) -> Vec<(String, String)> {
        let mut vars: Vec<(&str, String)> = Vec::new();
        match self.backend {
            Backend::Memory => {}
            Backend::Sqlite => {
                vars.push(("INFRASTRUCTURE_FACTORY", "sqlite".into()));
                vars.push(("SQLITE_DBNAME", self.sqlite_runtime.display().to_string()));
            }
            Backend::Postgres => {
                vars.push(("INFRASTRUCTURE_FACTORY", "postgres".into()));
                vars.push(("POSTGRES_DBNAME", PG_DB.into()));
                vars.push(("POSTGRES_HOST", PG_HOST.into()));
                vars.push(("POSTGRES_PORT", PG_PORT.into()));
                vars.push(("POSTGRES_USER", PG_USER.into()));
                vars.push(("POSTGRES_PASSWORD", PG_PASSWORD.into()));
                vars.push(("POSTGRES_SCHEMA", self.pg_schema.clone()));
            }
        }
        if self.mode == Mode::AesZlib {
            vars.push(("COMPRESSOR_TOPIC", "zlib".into()));
            vars.push(("CIPHER_KEY", self.key.clone()));
        }
        vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

fn universe(vars: &[(String, String)]) -> Universe {
    Universe::isolated(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .expect("the application starts")
}

// ---------------------------------------------------------------------------
// The baseline's codec: serde_json (and zlib, AES-GCM) with no runtime

/// `{"_type_":"datetime_iso","_data_":"..."}`, as Python writes a datetime.
struct IsoOut<'a>(&'a Timestamp);

impl Serialize for IsoOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let format = if self.0.timestamp_subsec_micros() == 0 {
            SecondsFormat::Secs
        } else {
            SecondsFormat::Micros
        };
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("_type_", "datetime_iso")?;
        map.serialize_entry("_data_", &self.0.to_rfc3339_opts(format, false))?;
        map.end()
    }
}

#[derive(Serialize)]
struct StartedOut<'a> {
    timestamp: IsoOut<'a>,
    originator_topic: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct HappenedOut<'a> {
    timestamp: IsoOut<'a>,
    what: &'a str,
}

#[derive(Deserialize)]
struct IsoIn<'a> {
    #[serde(rename = "_type_", borrow)]
    type_: Cow<'a, str>,
    #[serde(rename = "_data_", borrow)]
    data: Cow<'a, str>,
}

impl IsoIn<'_> {
    fn parse(&self) -> Timestamp {
        assert_eq!(self.type_, "datetime_iso");
        DateTime::parse_from_rfc3339(&self.data)
            .expect("a timestamp")
            .with_timezone(&Utc)
    }
}

#[derive(Deserialize)]
struct StartedIn<'a> {
    #[serde(borrow)]
    timestamp: IsoIn<'a>,
    name: String,
}

#[derive(Deserialize)]
struct HappenedIn<'a> {
    #[serde(borrow)]
    timestamp: IsoIn<'a>,
    what: String,
}

#[derive(Clone)]
struct Codec {
    cipher: Option<Aes256Gcm>,
}

impl Codec {
    fn new(mode: Mode, key_base64: &str) -> Self {
        let cipher = (mode == Mode::AesZlib).then(|| {
            let key = base64::engine::general_purpose::STANDARD
                .decode(key_base64)
                .expect("base64 key");
            Aes256Gcm::new_from_slice(&key).expect("a 32-byte key")
        });
        Self { cipher }
    }

    fn encode(&self, event: &WorldEvent) -> Vec<u8> {
        let mut json = Vec::with_capacity(128);
        match event {
            WorldEvent::Started(e) => serde_json::to_writer(
                &mut json,
                &StartedOut {
                    timestamp: IsoOut(&e.timestamp),
                    originator_topic: World::TOPIC,
                    name: &e.name,
                },
            ),
            WorldEvent::SomethingHappened(e) => serde_json::to_writer(
                &mut json,
                &HappenedOut {
                    timestamp: IsoOut(&e.timestamp),
                    what: &e.what,
                },
            ),
        }
        .expect("JSON");
        let Some(cipher) = &self.cipher else {
            return json;
        };
        let packed = zlib_compress(&json);
        let nonce = Nonce::<U12>::generate();
        let mut out = Vec::with_capacity(12 + 16 + packed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&packed);
        let (head, body) = out.split_at_mut(28);
        let tag = cipher
            .encrypt_inout_detached(&nonce, b"", body.into())
            .expect("AES");
        head[12..].copy_from_slice(&tag);
        out
    }

    fn decode(&self, id: Uuid, version: u64, topic: &str, state: &[u8]) -> WorldEvent {
        let Some(cipher) = &self.cipher else {
            return decode_json(id, version, topic, state);
        };
        let nonce = Nonce::<U12>::try_from(&state[..12]).expect("nonce");
        let tag = Tag::try_from(&state[12..28]).expect("tag");
        let mut body = state[28..].to_vec();
        cipher
            .decrypt_inout_detached(&nonce, b"", body.as_mut_slice().into(), &tag)
            .expect("AES");
        let json = zlib_decompress(&body);
        decode_json(id, version, topic, &json)
    }
}

thread_local! {
    /// The baseline's compressor and decompressor, one per thread and reset
    /// between events, as the runtime keeps its own: setting one up costs
    /// more than compressing a small event, and a baseline that paid for it
    /// each time would be easier to beat than the raw engine is.
    static DEFLATE: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::default(), true));
    static INFLATE: std::cell::RefCell<flate2::Decompress> =
        std::cell::RefCell::new(flate2::Decompress::new(true));
}

/// `json` as a zlib stream at the default level, with this thread's
/// compressor.
fn zlib_compress(json: &[u8]) -> Vec<u8> {
    DEFLATE.with(|z| {
        let mut z = z.borrow_mut();
        z.reset();
        let mut out = Vec::with_capacity(json.len() + json.len() / 8 + 64);
        loop {
            let consumed = usize::try_from(z.total_in()).expect("a size");
            let status = z
                .compress_vec(&json[consumed..], &mut out, flate2::FlushCompress::Finish)
                .expect("zlib");
            if status == flate2::Status::StreamEnd {
                return out;
            }
            out.reserve(out.capacity().max(64));
        }
    })
}

/// A zlib stream inflated, with this thread's decompressor.
fn zlib_decompress(packed: &[u8]) -> Vec<u8> {
    INFLATE.with(|z| {
        let mut z = z.borrow_mut();
        z.reset(true);
        let mut out = Vec::with_capacity(packed.len() * 4 + 64);
        loop {
            let consumed = usize::try_from(z.total_in()).expect("a size");
            let status = z
                .decompress_vec(
                    &packed[consumed..],
                    &mut out,
                    flate2::FlushDecompress::Finish,
                )
                .expect("zlib");
            if status == flate2::Status::StreamEnd {
                return out;
            }
            out.reserve(out.capacity().max(64));
        }
    })
}

fn decode_json(id: Uuid, version: u64, topic: &str, json: &[u8]) -> WorldEvent {
    match topic {
        SomethingHappened::TOPIC => {
            let s: HappenedIn<'_> = serde_json::from_slice(json).expect("state");
            WorldEvent::SomethingHappened(SomethingHappened {
                originator_id: WorldId::from_uuid(id),
                originator_version: version,
                timestamp: s.timestamp.parse(),
                what: s.what,
            })
        }
        Started::TOPIC => {
            let s: StartedIn<'_> = serde_json::from_slice(json).expect("state");
            WorldEvent::Started(Started {
                originator_id: WorldId::from_uuid(id),
                originator_version: version,
                timestamp: s.timestamp.parse(),
                originator_topic: Default::default(),
                name: s.name,
            })
        }
        other => panic!("unknown topic {other}"),
    }
}

fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

/// A row as the baseline writes it.
struct Row {
    id: Uuid,
    version: u64,
    topic: &'static str,
    state: Vec<u8>,
}

fn started_row(codec: &Codec) -> Row {
    let event = WorldEvent::Started(Started {
        originator_id: WorldId::new_v4(),
        originator_version: 1,
        timestamp: now(),
        originator_topic: Default::default(),
        name: "Earth".into(),
    });
    Row {
        id: event_id(&event),
        version: 1,
        topic: Started::TOPIC,
        state: codec.encode(&event),
    }
}

fn happened_row(codec: &Codec, id: Uuid, version: u64) -> Row {
    let event = WorldEvent::SomethingHappened(SomethingHappened {
        originator_id: WorldId::from_uuid(id),
        originator_version: version,
        timestamp: now(),
        what: "dinosaurs".into(),
    });
    Row {
        id,
        version,
        topic: SomethingHappened::TOPIC,
        state: codec.encode(&event),
    }
}

fn event_id(event: &WorldEvent) -> Uuid {
    match event {
        WorldEvent::Started(e) => e.originator_id.uuid(),
        WorldEvent::SomethingHappened(e) => e.originator_id.uuid(),
    }
}

// ---------------------------------------------------------------------------
// The raw engines

const SQLITE_CREATE: &str = "CREATE TABLE IF NOT EXISTS stored_events (originator_id TEXT, \
     originator_version INTEGER, topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))";
const SQLITE_INSERT: &str = "INSERT INTO stored_events (originator_id, originator_version, topic, state) \
     VALUES (?1, ?2, ?3, ?4)";
const SQLITE_SELECT_EVENTS: &str = "SELECT originator_version, topic, state FROM stored_events \
     WHERE originator_id = ? ORDER BY originator_version";
/// With the limit written in, as the recorder writes it.
fn sqlite_select_notifications(limit: usize) -> String {
    format!(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events \
         WHERE rowid >= ? ORDER BY rowid LIMIT {limit}"
    )
}

/// A connection opened as the SQLite recorder opens one.
fn sqlite_open(path: &Path) -> rusqlite::Connection {
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

fn pg_config() -> postgres::Config {
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

struct RawPg {
    client: postgres::Client,
    begin_and_lock: String,
    insert: postgres::Statement,
    select_own: postgres::Statement,
    select_runtime: postgres::Statement,
    notifications: postgres::Statement,
}

impl RawPg {
    fn new(schema: &str) -> Self {
        let mut client = pg_config().connect(postgres::NoTls).expect("PostgreSQL");
        let own = format!("{schema}.baseline_events");
        let runtime = format!("{schema}.universe_events");
        // The baseline's table, made by the recorder itself (for an application "Baseline").
        eventsourcing::postgres::PostgresRecorder::from_env(&eventsourcing::Environment::isolated(
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
        // The recorder's own insert statement.
        let insert = client
            .prepare(&eventsourcing::postgres::insert_statement(&own))
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
            begin_and_lock: format!("BEGIN; LOCK TABLE {own} IN EXCLUSIVE MODE"),
            insert,
            select_own,
            select_runtime,
            notifications,
        }
    }
}

/// The engine underneath, driven directly.
enum Raw {
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
    fn new(place: &Place) -> Self {
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
    fn insert(&mut self, rows: Vec<Row>) -> Vec<u64> {
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
                pg.client.batch_execute(&pg.begin_and_lock).unwrap();
                let returned = pg
                    .client
                    .query(&pg.insert, &[&ids, &versions, &topics, &states])
                    .unwrap();
                pg.client.batch_execute("COMMIT").unwrap();
                let base = returned[0].get::<_, i64>(0) as u64;
                (1..=rows.len() as u64).map(|i| base + i).collect()
            }
        }
    }

    /// An aggregate's events, from the baseline's own rows (W2) or the
    /// runtime's (W4), decoded into the event structs.
    fn select_events(&mut self, codec: &Codec, id: Uuid, runtimes: bool) -> Vec<WorldEvent> {
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
    fn read_log(&mut self, codec: &Codec, section: usize) -> u64 {
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

// ---------------------------------------------------------------------------
// Measuring

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Wall and CPU time spent.
#[derive(Clone, Copy, Default)]
struct Spent {
    wall: Duration,
    cpu: Duration,
}

impl std::ops::AddAssign for Spent {
    fn add_assign(&mut self, other: Self) {
        self.wall += other.wall;
        self.cpu += other.cpu;
    }
}

impl Spent {
    /// `count` operations in this time: the rate by the wall clock, and
    /// the CPU per operation.
    fn pace(self, count: usize) -> Pace {
        Pace {
            figure: rate(count, self.wall),
            cpu_us: self.cpu.as_secs_f64() * 1e6 / count.max(1) as f64,
        }
    }

    /// The same, as milliseconds of wall clock (for W4).
    fn millis(self, count: usize) -> Pace {
        Pace {
            figure: self.wall.as_secs_f64() * 1e3,
            cpu_us: self.cpu.as_secs_f64() * 1e6 / count.max(1) as f64,
        }
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Spent) {
    let (start, cpu) = (Instant::now(), thread_cpu());
    let value = f();
    let spent = Spent {
        wall: start.elapsed(),
        cpu: thread_cpu().saturating_sub(cpu),
    };
    (value, spent)
}

/// One measurement: the figure (in its unit) and the CPU per operation, µs.
#[derive(Clone, Copy)]
struct Pace {
    figure: f64,
    cpu_us: f64,
}

/// The medians of paces, each figure on its own.
fn median_pace(paces: Vec<Pace>) -> Pace {
    Pace {
        figure: median(paces.iter().map(|p| p.figure).collect()),
        cpu_us: median(paces.iter().map(|p| p.cpu_us).collect()),
    }
}

/// Runs `runtime` and `baseline` `rounds` times, alternating which goes
/// first. Returns the medians.
fn alternate(
    rounds: usize,
    mut runtime: impl FnMut() -> Pace,
    mut baseline: impl FnMut() -> Pace,
) -> (Pace, Pace) {
    let (mut r, mut b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            r.push(runtime());
            b.push(baseline());
        } else {
            b.push(baseline());
            r.push(runtime());
        }
    }
    (median_pace(r), median_pace(b))
}

/// `n` saves of `events` events each by the runtime and by the baseline,
/// `rounds` times; returns the median paces per event. On a database each
/// save is timed alone and the two take turns save by save, so that both
/// see the same disk (whose flush times drift by several times within a
/// run); in memory they take turns round by round.
fn writes(
    rounds: usize,
    n: usize,
    events: usize,
    save_by_save: bool,
    mut runtime: impl FnMut(),
    mut baseline: impl FnMut(),
) -> (Pace, Pace) {
    if !save_by_save {
        return alternate(
            rounds,
            || time(|| (0..n).for_each(|_| runtime())).1.pace(n * events),
            || time(|| (0..n).for_each(|_| baseline())).1.pace(n * events),
        );
    }
    let (mut r, mut b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let (mut tr, mut tb) = (Spent::default(), Spent::default());
        for i in 0..n {
            if (i + round) % 2 == 0 {
                tr += time(&mut runtime).1;
                tb += time(&mut baseline).1;
            } else {
                tb += time(&mut baseline).1;
                tr += time(&mut runtime).1;
            }
        }
        r.push(tr.pace(n * events));
        b.push(tb.pace(n * events));
    }
    (median_pace(r), median_pace(b))
}

fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

// ---------------------------------------------------------------------------
// Results

#[derive(Clone, Copy, PartialEq)]
enum Unit {
    PerSecond(&'static str),
    Millis,
    MiB,
}

#[derive(Clone, Copy)]
enum Target {
    None,
    /// Ratio to the baseline at least this.
    Ratio(f64),
    /// Client CPU per operation, runtime over baseline, at most this (the
    /// database writes' headline: their wall time is mostly the disk's).
    CpuAtMost(f64),
    /// At most this, in the figure's unit.
    Below(f64),
    /// At least this part of the rate of the row named (W5 on PostgreSQL:
    /// section 10 against section 1,000).
    PartOf(f64, &'static str),
}

struct Measured {
    workload: String,
    order: usize,
    backend: &'static str,
    mode: &'static str,
    figure: f64,
    unit: Unit,
    baseline: Option<f64>,
    /// CPU per operation, µs: the runtime's and the baseline's.
    cpu: Option<f64>,
    cpu_baseline: Option<f64>,
    target: Target,
    /// AES + zlib over plain, speed: the runtime's, and the baseline's.
    vs_plain: Option<(f64, Option<f64>)>,
    /// For `Target::PartOf`: the other row's figure, once known.
    other: Option<f64>,
}

impl Measured {
    fn ratio(&self) -> Option<f64> {
        let b = self.baseline?;
        Some(match self.unit {
            Unit::PerSecond(_) => self.figure / b,
            Unit::Millis | Unit::MiB => b / self.figure,
        })
    }

    /// Client CPU per operation, runtime over baseline: below 1 is less.
    fn cpu_ratio(&self) -> Option<f64> {
        Some(self.cpu? / self.cpu_baseline?)
    }

    fn met(&self) -> Option<bool> {
        match self.target {
            Target::None => None,
            Target::Ratio(min) => Some(self.ratio()? >= min),
            Target::CpuAtMost(max) => Some(self.cpu_ratio()? <= max),
            Target::Below(max) => Some(self.figure < max),
            Target::PartOf(part, _) => Some(self.figure >= part * self.other?),
        }
    }
}

fn format_figure(value: f64, unit: Unit) -> String {
    match unit {
        Unit::PerSecond(what) => {
            let v = if value >= 100.0 {
                format!("{value:.0}")
            } else {
                format!("{value:.1}")
            };
            format!("{} {what}/s", group(&v))
        }
        Unit::Millis => format!("{value:.2} ms"),
        Unit::MiB => format!("{value:.1} MiB"),
    }
}

/// `1234567` → `1,234,567`.
fn group(number: &str) -> String {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

fn table(results: &mut [Measured]) -> String {
    let backend_order = |b: &str| {
        ["memory", "sqlite", "postgres", "-"]
            .iter()
            .position(|x| *x == b)
    };
    results.sort_by_key(|r| (r.order, backend_order(r.backend), r.mode != "plain"));
    let mut out = String::new();
    out.push_str(
        "| workload | backend | mode | figure | baseline | ratio | CPU µs/op | baseline CPU | CPU ratio | vs plain | target | met |\n\
         |---|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|\n",
    );
    let us = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
    for r in results.iter() {
        let target = match r.target {
            Target::None => "-".to_owned(),
            Target::Ratio(min) => format!("ratio ≥ {min}"),
            Target::CpuAtMost(max) => format!("CPU ratio ≤ {max}"),
            Target::Below(max) => format!("< {}", format_figure(max, r.unit)),
            Target::PartOf(part, other) => format!("≥ {part} × {other}"),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            r.backend,
            r.mode,
            format_figure(r.figure, r.unit),
            r.baseline.map_or("-".into(), |b| format_figure(b, r.unit)),
            r.ratio().map_or("-".into(), |x| format!("{x:.2}")),
            us(r.cpu),
            us(r.cpu_baseline),
            r.cpu_ratio().map_or("-".into(), |x| format!("{x:.2}")),
            match r.vs_plain {
                None => "-".into(),
                Some((v, None)) => format!("{v:.2}"),
                Some((v, Some(b))) => format!("{v:.2} ({b:.2})"),
            },
            target,
            match r.met() {
                None => "-",
                Some(true) => "yes",
                Some(false) => "**no**",
            }
        );
    }
    out
}

// ---------------------------------------------------------------------------
// The workloads

struct Cell<'a> {
    sizes: &'a Sizes,
    place: &'a Place,
    app: Universe,
    raw: Raw,
    codec: Codec,
    results: Vec<Measured>,
}

impl Cell<'_> {
    fn db(&self) -> usize {
        usize::from(self.place.backend != Backend::Memory)
    }

    fn push(
        &mut self,
        workload: &str,
        order: usize,
        figure: Pace,
        unit: Unit,
        baseline: Option<Pace>,
        target: Target,
    ) {
        eprintln!(
            "  {workload:<28} {:>20} ({:.3} µs CPU)  baseline {:>20}",
            format_figure(figure.figure, unit),
            figure.cpu_us,
            baseline.map_or("-".into(), |b| format_figure(b.figure, unit))
        );
        self.results.push(Measured {
            workload: workload.to_owned(),
            order,
            backend: self.place.backend.name(),
            mode: self.place.mode.name(),
            figure: figure.figure,
            unit,
            baseline: baseline.map(|b| b.figure),
            cpu: figure.cpu_us.is_finite().then_some(figure.cpu_us),
            cpu_baseline: baseline.map(|b| b.cpu_us),
            target,
            vs_plain: None,
            other: None,
        });
    }

    /// Issue 13's targets for writes: in memory the rate, at least 0.9 of
    /// the baseline's; on a database the client's CPU per event, at most
    /// 1.15 of the baseline's; with AES + zlib, the rate at least 0.9.
    fn write_target(&self) -> Target {
        if self.place.mode == Mode::AesZlib || self.place.backend == Backend::Memory {
            Target::Ratio(0.9)
        } else {
            Target::CpuAtMost(1.15)
        }
    }

    /// Issue 13's targets for reads: with AES + zlib at least 0.9 of the
    /// baseline; plain, `plain` (W4 in memory: 1.0).
    fn read_target(&self, plain: f64) -> Target {
        Target::Ratio(if self.place.mode == Mode::AesZlib {
            0.9
        } else {
            plain
        })
    }

    /// W1: create a world and save it, N times.
    fn w1(&mut self) {
        let n = self.sizes.w1[self.db()];
        let app = &self.app;
        let raw = &mut self.raw;
        let codec = &self.codec;
        let (figure, baseline) = writes(
            self.sizes.rounds,
            n,
            1,
            self.place.backend != Backend::Memory,
            || {
                black_box(app.create_world("Earth").unwrap());
            },
            || {
                black_box(raw.insert(vec![started_row(codec)]));
            },
        );
        let target = self.write_target();
        self.push(
            &format!("W1 create (N={n})"),
            1,
            figure,
            Unit::PerSecond("events"),
            Some(baseline),
            target,
        );
    }

    /// W2: one world; M times get it, call `make_it_so`, save.
    fn w2(&mut self, m: usize, order: usize) {
        let app = &self.app;
        let codec = &self.codec;
        let id = app.create_world("Earth").unwrap();
        let first = started_row(codec);
        let own_id = first.id;
        // In memory the baseline keeps the world's rows at hand.
        let mut rows = vec![first];
        if !matches!(self.raw, Raw::Memory { .. }) {
            self.raw.insert(std::mem::take(&mut rows));
        }
        // Command by command, runtime then baseline, so both see the same machine.
        let (mut runtime, mut baseline) = (Spent::default(), Spent::default());
        for _ in 0..m {
            runtime += time(|| app.make_it_so(id, "dinosaurs").unwrap()).1;
            baseline += time(|| {
                let events: Vec<WorldEvent> = match &mut self.raw {
                    Raw::Memory { .. } => rows
                        .iter()
                        .map(|r| codec.decode(r.id, r.version, r.topic, &r.state))
                        .collect(),
                    raw => raw.select_events(codec, own_id, false),
                };
                let row = happened_row(codec, own_id, events.len() as u64 + 1);
                match &mut self.raw {
                    Raw::Memory { .. } => rows.push(row),
                    raw => {
                        raw.insert(vec![row]);
                    }
                }
            })
            .1;
        }
        if let Raw::Memory { log } = &mut self.raw {
            log.extend(rows);
        }
        self.push(
            &format!("W2 append (M={m})"),
            order,
            runtime.pace(m),
            Unit::PerSecond("commands"),
            Some(baseline.pace(m)),
            Target::None,
        );
    }

    /// W3: create a world, call `make_it_so` 9 times, save once; repeated.
    fn w3(&mut self) {
        let k = self.sizes.w3[self.db()];
        let app = &self.app;
        let raw = &mut self.raw;
        let codec = &self.codec;
        let (figure, baseline) = writes(
            self.sizes.rounds,
            k,
            10,
            self.place.backend != Backend::Memory,
            || {
                let mut world = World::create("Earth");
                for _ in 0..9 {
                    world.make_it_so("dinosaurs");
                }
                black_box(app.save(&mut world).unwrap());
            },
            || {
                let first = started_row(codec);
                let id = first.id;
                let mut rows = Vec::with_capacity(10);
                rows.push(first);
                for version in 2..=10 {
                    rows.push(happened_row(codec, id, version));
                }
                black_box(raw.insert(rows));
            },
        );
        let target = self.write_target();
        self.push(
            &format!("W3 batch (10 × {k})"),
            4,
            figure,
            Unit::PerSecond("events"),
            Some(baseline),
            target,
        );
    }

    /// W4: `repository.get` of a world with 10,000 events.
    fn w4(&mut self) {
        let n = self.sizes.w4_events;
        let mut world = World::create("Earth");
        for _ in 1..n {
            world.make_it_so("dinosaurs");
            if world.pending_events().len() == 1_000 {
                self.app.save(&mut world).unwrap();
            }
        }
        self.app.save(&mut world).unwrap();
        let id = world.id();
        // In memory the baseline has rows of its own; elsewhere it reads the runtime's.
        let mut own_rows = Vec::new();
        if let Raw::Memory { .. } = self.raw {
            own_rows.push(started_row(&self.codec));
            let own_id = own_rows[0].id;
            for version in 2..=n as u64 {
                own_rows.push(happened_row(&self.codec, own_id, version));
            }
        }
        let app = &self.app;
        let raw = &mut self.raw;
        let codec = &self.codec;
        let (figure, baseline) = alternate(
            self.sizes.w4_reps,
            || {
                let (world, t) = time(|| app.repository().get::<World>(id).unwrap());
                assert_eq!(world.version(), n as u64);
                t.millis(n)
            },
            || {
                let (events, t) = time(|| {
                    if own_rows.is_empty() {
                        raw.select_events(codec, id.uuid(), true)
                    } else {
                        own_rows
                            .iter()
                            .map(|r| codec.decode(r.id, r.version, r.topic, &r.state))
                            .collect()
                    }
                });
                assert_eq!(events.len(), n);
                t.millis(n)
            },
        );
        if let Raw::Memory { log } = &mut self.raw {
            log.extend(own_rows);
        }
        let plain = self.place.mode == Mode::Plain;
        self.push(
            &format!("W4 replay ({n} events)"),
            5,
            figure,
            Unit::Millis,
            Some(baseline),
            if plain && self.place.backend == Backend::Memory {
                self.read_target(1.0)
            } else {
                self.read_target(0.7)
            },
        );
    }

    /// The runtime reading the whole log with the reader, decoding each.
    fn read_log(app: &Universe, section: usize) -> u64 {
        let log = NotificationLog::new(app.as_application().recorder().clone(), section);
        let reader = NotificationLogReader::new(&log).with_section_size(section);
        let mapper = app.as_application().event_store().mapper();
        let mut count = 0;
        for notification in reader.read(1) {
            let n = notification.unwrap();
            let event: WorldEvent = mapper
                .decode_event(n.originator_id, n.originator_version, &n.topic, &n.state)
                .unwrap();
            black_box(event);
            count += 1;
        }
        count
    }

    /// W5: read the whole notification log.
    fn w5(&mut self) -> u64 {
        let mut total = 0;
        for (section, order) in [(10, 6), (1_000, 7)] {
            let app = &self.app;
            let raw = &mut self.raw;
            let codec = &self.codec;
            let (mut runtime_count, mut baseline_count) = (0, 0);
            let (figure, baseline) = alternate(
                self.sizes.w5_rounds,
                || {
                    let (count, t) = time(|| Self::read_log(app, section));
                    runtime_count = count;
                    t.pace(count as usize)
                },
                || {
                    let (count, t) = time(|| raw.read_log(codec, section));
                    baseline_count = count;
                    t.pace(count as usize)
                },
            );
            total = runtime_count;
            // On PostgreSQL, small sections cost a round trip each: at
            // least half the rate of large ones is issue 13's target.
            let target = if self.place.backend == Backend::Postgres
                && self.place.mode == Mode::Plain
                && section == 10
            {
                Target::PartOf(0.5, "section 1000")
            } else {
                self.read_target(0.7)
            };
            self.push(
                &format!("W5 read (section {section}, {runtime_count} notifications)"),
                order,
                figure,
                Unit::PerSecond("notifications"),
                Some(baseline),
                target,
            );
            if self.sizes.quick {
                eprintln!("    (baseline read {baseline_count})");
            }
        }
        total
    }

    /// W5's memory: top the log up to `w5_memory` notifications and read
    /// them all in a fresh process, at section size 1,000.
    fn w5_memory(&mut self, have: u64) {
        let want = self.sizes.w5_memory;
        if self.place.backend != Backend::Memory {
            let (_, t) = time(|| populate(&self.app, want.saturating_sub(have)));
            eprintln!(
                "  (log topped up to {want} notifications in {:.1} s)",
                t.wall.as_secs_f64()
            );
        }
        let exe = std::env::current_exe().unwrap();
        let mut command = Command::new(exe);
        command
            .arg("--w5-memory")
            .arg(self.place.backend.name())
            .arg(want.to_string());
        for (k, v) in self.place.vars() {
            command.arg(format!("{k}={v}"));
        }
        let output = command.output().expect("the W5 memory child");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("W5MEM "))
            .unwrap_or_else(|| {
                panic!(
                    "the W5 memory child failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                )
            });
        let numbers: Vec<f64> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        let (count, growth_kib, secs) = (numbers[0], numbers[1], numbers[2]);
        assert!(count as u64 >= want, "read {count} of {want}");
        eprintln!(
            "    ({count} notifications in {secs:.1} s: {:.0} /s)",
            count / secs
        );
        self.push(
            &format!("W5 peak memory ({want} notifications, section 1000)"),
            8,
            Pace {
                figure: growth_kib / 1024.0,
                cpu_us: f64::NAN,
            },
            Unit::MiB,
            None,
            Target::Below(64.0),
        );
    }
}

/// Saves worlds of up to 1,000 events until `count` more events are stored.
fn populate(app: &Universe, count: u64) {
    let mut left = count;
    while left > 0 {
        let k = left.min(1_000);
        let mut world = World::create("Earth");
        for _ in 1..k {
            world.make_it_so("dinosaurs");
        }
        app.save(&mut world).unwrap();
        left -= k;
    }
}

/// The child process of W5's memory figure: `--w5-memory BACKEND COUNT VAR=VALUE...`.
fn w5_memory_child(args: &[String]) {
    let backend = Backend::parse(&args[0]).expect("a backend");
    let count: u64 = args[1].parse().unwrap();
    let vars: Vec<(String, String)> = args[2..]
        .iter()
        .map(|a| {
            let (k, v) = a.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let app = universe(&vars);
    if backend == Backend::Memory {
        populate(&app, count);
    }
    // Memory freed so far goes back to the system, so that reading cannot
    // reuse it unseen; from here on, the high-water mark counts from the
    // resident size now.
    release_free_memory();
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kib(if reset { "VmRSS" } else { "VmHWM" }).unwrap_or(0);
    let (read, t) = time(|| Cell::read_log(&app, 1_000));
    let peak = status_kib("VmHWM").unwrap_or(0);
    println!(
        "W5MEM {read} {} {}",
        peak.saturating_sub(before),
        t.wall.as_secs_f64()
    );
}

// ---------------------------------------------------------------------------
// The generator

fn generator_schema(aggregates: usize, events: usize) -> String {
    let mut yaml = String::from("module: bench\naggregates:\n");
    for a in 0..aggregates {
        let _ = write!(
            yaml,
            "  Agg{a}:\n    doc: Aggregate {a}.\n    state:\n      name: String\n      \
             history: Vec<String>\n      count: i64\n    created:\n      event: Agg{a}Started\n      \
             args: {{ name: String }}\n      apply: [set: name]\n    commands:\n"
        );
        for e in 1..events {
            let _ = write!(
                yaml,
                "      do_{e}:\n        doc: Command {e}.\n        event: Agg{a}Happened{e}\n        \
                 args: {{ what: String, amount: i64 }}\n        apply:\n          - push: {{ history: what }}\n          \
                 - increment: {{ count: amount }}\n"
            );
        }
    }
    yaml.push_str("applications:\n  Bench:\n    aggregates: [");
    for a in 0..aggregates {
        let _ = write!(yaml, "{}Agg{a}", if a > 0 { ", " } else { "" });
    }
    yaml.push_str("]\n    commands:\n");
    for a in 0..aggregates {
        let _ = writeln!(yaml, "      create_agg{a}: {{ create: Agg{a} }}");
        let _ = writeln!(yaml, "      agg{a}_do_1: {{ call: Agg{a}.do_1 }}");
    }
    yaml
}

fn generator(sizes: &Sizes, results: &mut Vec<Measured>, dir: &Path) {
    let (a, e) = (sizes.gen_aggregates, sizes.gen_events);
    eprintln!("generator: {a} aggregates × {e} events");
    let yaml = generator_schema(a, e);
    let mut times = Vec::new();
    let mut lines = 0;
    for _ in 0..3 {
        let (code, t) = time(|| eventsourcing_codegen::generate("bench.yaml", &yaml));
        let code = code.unwrap_or_else(|err| panic!("the bench schema: {err}"));
        lines = code.lines().count();
        times.push(t.wall.as_secs_f64() * 1e3);
    }
    let lib = median(times);
    eprintln!("  generate(): {lib:.0} ms for {lines} lines of Rust");
    let workload = format!("generator: {a} aggregates × {e} events");
    results.push(Measured {
        workload: format!("{workload}, generate()"),
        order: 9,
        backend: "-",
        mode: "-",
        figure: lib,
        unit: Unit::Millis,
        baseline: None,
        cpu: None,
        cpu_baseline: None,
        target: Target::Below(1_000.0),
        vs_plain: None,
        other: None,
    });
    // The CLI, when a release build of it is beside this bench's profile.
    let schema = dir.join("bench.yaml");
    std::fs::write(&schema, &yaml).unwrap();
    let exe = std::env::current_exe().unwrap();
    let cli = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("eventsourcing-codegen"))
        .filter(|p| p.exists());
    match cli {
        Some(cli) => {
            let out = dir.join("out");
            let mut times = Vec::new();
            for _ in 0..3 {
                let (status, t) = time(|| {
                    Command::new(&cli)
                        .arg("generate")
                        .arg(&schema)
                        .arg("-o")
                        .arg(&out)
                        .output()
                        .unwrap()
                });
                assert!(status.status.success(), "{status:?}");
                times.push(t.wall.as_secs_f64() * 1e3);
            }
            let cli_ms = median(times);
            eprintln!("  {} generate: {cli_ms:.0} ms", cli.display());
            results.push(Measured {
                workload: format!("{workload}, CLI `eventsourcing-codegen generate`"),
                order: 10,
                backend: "-",
                mode: "-",
                figure: cli_ms,
                unit: Unit::Millis,
                baseline: None,
                cpu: None,
                cpu_baseline: None,
                target: Target::Below(1_000.0),
                vs_plain: None,
                other: None,
            });
        }
        None => eprintln!(
            "  (no release build of the CLI beside the bench: `cargo build --release -p eventsourcing-codegen` to time it too)"
        ),
    }
}

// ---------------------------------------------------------------------------

fn postgres_available() -> bool {
    pg_config().connect(postgres::NoTls).is_ok()
}

fn drop_pg_schema(schema: &str) {
    if let Ok(mut client) = pg_config().connect(postgres::NoTls) {
        let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
}

/// Drops the bench's PostgreSQL schema when the cell ends, however it ends.
struct SchemaGuard(Option<String>);

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        if let Some(schema) = &self.0 {
            drop_pg_schema(schema);
        }
    }
}

/// One (backend, mode) cell on a fresh store; W5's peak memory only when
/// `memory` (once per run: it reads a million notifications).
fn run_cell(sizes: &Sizes, place: &Place, memory: bool) -> Vec<Measured> {
    eprintln!("{} / {}", place.backend.name(), place.mode.name());
    let vars = place.vars();
    let mut cell = Cell {
        sizes,
        place,
        app: universe(&vars),
        raw: Raw::new(place),
        codec: Codec::new(place.mode, &place.key),
        results: Vec::new(),
    };
    if sizes.quick {
        check_same_bytes(&cell);
    }
    let only = std::env::var("ES_BENCH_ONLY").unwrap_or_default();
    let run = |w: &str| only.is_empty() || only.split(',').any(|o| o.trim() == w);
    if run("w1") {
        cell.w1();
    }
    if run("w2") {
        cell.w2(sizes.w2[0], 2);
        cell.w2(sizes.w2[1], 3);
    }
    if run("w3") {
        cell.w3();
    }
    if run("w4") {
        cell.w4();
    }
    if run("w5") {
        let have = cell.w5();
        if memory {
            cell.w5_memory(have);
        }
    }
    cell.results
}

/// The rounds of one cell as one: each figure the median of its rounds.
fn merge_rounds(mut rounds: Vec<Vec<Measured>>) -> Vec<Measured> {
    let Some(mut merged) = (!rounds.is_empty()).then(|| rounds.remove(0)) else {
        return Vec::new();
    };
    for m in &mut merged {
        let same: Vec<&Measured> = rounds
            .iter()
            .flatten()
            .filter(|r| r.workload == m.workload)
            .collect();
        if same.is_empty() {
            continue;
        }
        let all = |f: &dyn Fn(&Measured) -> Option<f64>| -> Option<f64> {
            let values: Vec<f64> = std::iter::once(&*m)
                .chain(same.iter().copied())
                .filter_map(f)
                .collect();
            (!values.is_empty()).then(|| median(values))
        };
        let figure = all(&|r| Some(r.figure));
        let baseline = all(&|r| r.baseline);
        let cpu = all(&|r| r.cpu);
        let cpu_baseline = all(&|r| r.cpu_baseline);
        m.figure = figure.unwrap_or(m.figure);
        m.baseline = baseline;
        m.cpu = cpu;
        m.cpu_baseline = cpu_baseline;
    }
    merged
}

/// The baseline writes the bytes the runtime writes (plain mode).
/// The runtime and the baseline write the same bytes (plain), or each
/// reads what the other wrote (AES + zlib: the nonces are random, and the
/// runtime deflates with miniz_oxide, the baseline with flate2's backend).
fn check_same_bytes(cell: &Cell<'_>) {
    let mut world = World::create("Earth");
    world.make_it_so("dinosaurs");
    let mapper = cell.app.as_application().event_store().mapper();
    for event in world.pending_events() {
        let stored = mapper.to_stored_event(event).unwrap();
        let baseline = cell.codec.encode(event);
        if cell.place.mode == Mode::Plain {
            assert_eq!(stored.state, baseline, "same bytes");
        } else {
            let read: WorldEvent = mapper
                .decode_event(
                    stored.originator_id,
                    stored.originator_version,
                    &stored.topic,
                    &baseline,
                )
                .unwrap();
            assert_eq!(&read, event, "the runtime reads the baseline's bytes");
        }
        let back = cell.codec.decode(
            stored.originator_id,
            stored.originator_version,
            &stored.topic,
            &stored.state,
        );
        assert_eq!(&back, event);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--w5-memory") {
        w5_memory_child(&args[1..]);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick")
        || std::env::var("ES_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let mut sizes = Sizes::new(quick);
    // For profiling: more replays and reads.
    if let Some(reps) = std::env::var("ES_BENCH_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        sizes.w4_reps = reps;
        sizes.w5_rounds = reps;
    }
    let mut backends: Vec<Backend> = match std::env::var("ES_BENCH_BACKENDS") {
        Ok(list) if !list.is_empty() => list
            .split(',')
            .map(|b| Backend::parse(b.trim()).unwrap_or_else(|| panic!("unknown backend {b}")))
            .collect(),
        _ => vec![Backend::Memory, Backend::Sqlite, Backend::Postgres],
    };
    let modes: Vec<Mode> = match std::env::var("ES_BENCH_MODES").as_deref() {
        Ok("plain") => vec![Mode::Plain],
        Ok("aes") => vec![Mode::AesZlib],
        _ => vec![Mode::Plain, Mode::AesZlib],
    };
    if backends.contains(&Backend::Postgres) && !postgres_available() {
        eprintln!("PostgreSQL does not answer on {PG_HOST}:{PG_PORT}: its rows are left out");
        backends.retain(|b| *b != Backend::Postgres);
    }
    let dir = tempfile::tempdir().unwrap();
    let key = AesCipher::create_key(32).unwrap();
    let started = Instant::now();
    let mut results = Vec::new();
    for &backend in &backends {
        // Round by round, plain and AES + zlib take turns (the order turned
        // each round), so that "vs plain" compares cells measured minutes,
        // not a quarter of an hour, apart.
        let mut rounds: Vec<Vec<Vec<Measured>>> = modes.iter().map(|_| Vec::new()).collect();
        for round in 0..sizes.mode_rounds {
            for k in 0..modes.len() {
                let m = (k + round) % modes.len();
                let mode = modes[m];
                let tag = match mode {
                    Mode::Plain => "plain",
                    Mode::AesZlib => "aes",
                };
                let place = Place {
                    backend,
                    mode,
                    key: key.clone(),
                    sqlite_runtime: dir.path().join(format!("runtime-{tag}.sqlite")),
                    sqlite_baseline: dir.path().join(format!("baseline-{tag}.sqlite")),
                    pg_schema: format!("es_bench_{tag}"),
                };
                let _guard = SchemaGuard((backend == Backend::Postgres).then(|| {
                    drop_pg_schema(&place.pg_schema);
                    place.pg_schema.clone()
                }));
                rounds[m].push(run_cell(&sizes, &place, round == 0));
                // Free the disk between cells.
                for f in [&place.sqlite_runtime, &place.sqlite_baseline] {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
                    }
                }
            }
        }
        // AES + zlib against plain, for the same workload: the median of
        // the rounds' ratios, each of a plain and an AES cell side by side.
        let vs_plain = |workload: &str, unit: Unit, of: &dyn Fn(&Measured) -> Option<f64>| {
            let [plain, aes] = &rounds[..] else {
                return None;
            };
            let ratios: Vec<f64> = plain
                .iter()
                .zip(aes)
                .filter_map(|(p, a)| {
                    let p = of(p.iter().find(|r| r.workload == workload)?)?;
                    let a = of(a.iter().find(|r| r.workload == workload)?)?;
                    Some(match unit {
                        Unit::PerSecond(_) => a / p,
                        _ => p / a,
                    })
                })
                .collect();
            (!ratios.is_empty()).then(|| median(ratios))
        };
        let mut ratios = Vec::new();
        if modes.len() == 2 {
            for r in rounds[1].first().into_iter().flatten() {
                if r.unit != Unit::MiB {
                    ratios.push((
                        r.workload.clone(),
                        vs_plain(&r.workload, r.unit, &|m| Some(m.figure)),
                        vs_plain(&r.workload, r.unit, &|m| m.baseline),
                    ));
                }
            }
        }
        let mut cells: Vec<Vec<Measured>> = rounds.into_iter().map(merge_rounds).collect();
        if let [_, aes] = &mut cells[..] {
            for r in aes.iter_mut() {
                if let Some((_, Some(v), b)) = ratios.iter().find(|(w, _, _)| *w == r.workload) {
                    r.vs_plain = Some((*v, *b));
                }
            }
        }
        // Targets relative to another row of the same cell.
        for cell in &mut cells {
            let figures: Vec<(String, f64)> = cell
                .iter()
                .map(|r| (r.workload.clone(), r.figure))
                .collect();
            for r in cell.iter_mut() {
                if let Target::PartOf(_, other) = r.target {
                    r.other = figures
                        .iter()
                        .find(|(w, _)| w.contains(other))
                        .map(|(_, f)| *f);
                }
            }
        }
        results.extend(cells.into_iter().flatten());
    }
    let only = std::env::var("ES_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only.split(',').any(|o| o.trim() == "gen") {
        generator(&sizes, &mut results, dir.path());
    }
    eprintln!("done in {:.0} s", started.elapsed().as_secs_f64());
    println!(
        "\n{} run, {}; ratio = runtime / baseline speed; vs plain = AES + zlib / plain speed, \
         the runtime's (the baseline's)\n",
        if quick { "quick" } else { "full" },
        backends
            .iter()
            .map(|b| b.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    print!("{}", table(&mut results));
}
