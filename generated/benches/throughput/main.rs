//! Throughput of the tutorial's `Universe` against the raw engine underneath
//! it, in one run, and the generator on a large schema.
//!
//! ```sh
//! cargo bench -p eventsmith-generated --bench throughput            # the whole matrix
//! ES_BENCH_QUICK=1 cargo bench -p eventsmith-generated --bench throughput   # a smoke run
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

#[path = "../common/mod.rs"]
mod common;
use common::*;

mod cells;
mod codec;
mod generator;
mod measure;
mod raw;
mod results;

use cells::*;
use codec::*;
use generator::*;
use measure::*;
use raw::*;
use results::*;

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
use eventsmith::chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use eventsmith::persistence::AesCipher;
use eventsmith::{Aggregate, NotificationLog, NotificationLogReader, Timestamp, Uuid};
use eventsmith_generated::world::{
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
                // As the raw baseline connects: unencrypted.
                vars.push(("POSTGRES_SSLMODE", "disable".into()));
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
