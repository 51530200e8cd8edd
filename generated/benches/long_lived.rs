//! Aggregates that live long: W2 (get, command, save through the facade)
//! on one world of M = 400, 2,000 and 10,000 events (whose state, a
//! history, grows with every event), and on one bank account of as many
//! (whose state does not grow: deposits of a cent), with the aggregate
//! cache, with snapshots every 100 versions, and with neither; and W4 (a
//! get of a world of 10,000 events) from a snapshot and from its events.
//!
//! ```sh
//! cargo bench -p eventsmith-generated --bench long_lived
//! ES_BENCH_QUICK=1 cargo bench -p eventsmith-generated --bench long_lived   # a smoke run
//! ```
//!
//! The world is `schemas/world_v2.yaml`'s (the tutorial's, with a reason for
//! each thing that happened, and `snapshot: { every: 100 }`). Each
//! configuration runs W2 in a process of its own, on a world of its own, the
//! three one after another; with `ES_BENCH_ROUNDS=N` (default 1) that is
//! repeated N times, the order turned each round, and the medians count.
//! `ES_BENCH_BACKENDS=memory,sqlite,postgres`, `ES_BENCH_CONFIGS=neither,
//! snapshots,cache` and `ES_BENCH_WORKLOADS=world,account` narrow a run.
//! (Side by side in one process, command by command, the cached world's
//! commands paid for the heap the uncached replays had just freed: glibc
//! consolidating their chunks on a later allocation made the cache look 30
//! times slower at 10,000 events than alone.) For each, the rate over all M
//! commands (the world growing from 1 to M events, W2's measure), and the
//! rate of the last tenth of them (the world at about M events), each as
//! wall time and as this thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`;
//! PostgreSQL's own CPU is the server's, not counted). Nothing here asserts
//! a time. Results: `docs/benchmarks.md`.

mod common;
use common::*;

use std::time::{Duration, Instant};

use eventsmith::Decimal;
use eventsmith::{Aggregate, Application, Repository};
use eventsmith_generated::bank_accounts::Bank;
use eventsmith_generated::world_v2::{Universe, World};

const PG: [(&str, &str); 6] = [
    ("POSTGRES_DBNAME", "eventsourcing"),
    ("POSTGRES_HOST", "127.0.0.1"),
    ("POSTGRES_PORT", "5432"),
    ("POSTGRES_USER", "eventsourcing"),
    ("POSTGRES_PASSWORD", "eventsourcing"),
    // As the figures before TLS were taken.
    ("POSTGRES_SSLMODE", "disable"),
];
const PG_SCHEMA: &str = "es_bench_long";

/// Wall and CPU time of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (wall, cpu0) = (Instant::now(), thread_cpu());
    let value = f();
    (value, wall.elapsed(), thread_cpu().saturating_sub(cpu0))
}

#[derive(Default, Clone, Copy)]
struct Clock {
    wall: Duration,
    cpu: Duration,
}

impl Clock {
    fn add(&mut self, wall: Duration, cpu: Duration) {
        self.wall += wall;
        self.cpu += cpu;
    }
    fn rates(&self, n: usize) -> (f64, f64) {
        let per = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
        (per(self.wall), per(self.cpu))
    }
}

const CONFIGS: [(&str, &[(&str, &str)]); 3] = [
    ("neither", &[("IS_SNAPSHOTTING_ENABLED", "n")]),
    ("snapshots every 100", &[]),
    (
        "cache",
        &[
            ("IS_SNAPSHOTTING_ENABLED", "n"),
            ("AGGREGATE_CACHE_MAXSIZE", "100"),
        ],
    ),
];

fn settings(backend: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = backend.to_vec();
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

fn pairs(env: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// W2 at `m` with configuration `config` alone, in this process (a child):
/// prints `W2 <wall rate> <CPU rate> <last tenth wall> <last tenth CPU>`.
fn w2_child(env: &[(String, String)], workload: &str, config: usize, m: usize) {
    let (_, extra) = CONFIGS[config];
    let env = settings(env, extra);
    let tail = (m / 10).max(1);
    let (mut all, mut last) = (Clock::default(), Clock::default());
    let mut command = |i: usize, f: &mut dyn FnMut()| {
        let ((), wall, cpu) = timed(f);
        all.add(wall, cpu);
        if i >= m - tail {
            last.add(wall, cpu);
        }
    };
    if workload == "account" {
        let bank = Bank::isolated(pairs(&env)).unwrap();
        let email = format!("{}@example.com", eventsmith::Uuid::new_v4());
        let id = bank.open_account("Alice", email).unwrap();
        let cent = Decimal::new(1, 2);
        for i in 1..m {
            command(i, &mut || bank.deposit(id, cent).unwrap());
        }
        let account = bank.get_account(id).unwrap();
        assert_eq!(account.version(), m as u64);
        assert_eq!(account.balance(), cent * Decimal::from(m - 1));
    } else {
        let app = Universe::isolated(pairs(&env)).unwrap();
        let id = app.create_world("Earth").unwrap();
        for i in 1..m {
            command(i, &mut || {
                app.make_it_so(id, "dinosaurs", "asteroid").unwrap()
            });
        }
        assert_eq!(app.get_world(id).unwrap().version(), m as u64);
    }
    let (wall, cpu) = all.rates(m - 1);
    let (tail_wall, tail_cpu) = last.rates(tail);
    println!("W2 {wall} {cpu} {tail_wall} {tail_cpu}");
}

/// W2 at `m` on one backend: each configuration in a process of its own
/// (so that none pays for another's heap), the three one after another,
/// their order turned round by round; a row per configuration and round.
fn w2(workload: &str, backend: &str, place: &str, m: usize, rounds: usize, rows: &mut Vec<String>) {
    let mut figures: Vec<Vec<[f64; 4]>> = vec![Vec::new(); CONFIGS.len()];
    for round in 0..rounds {
        for k in 0..CONFIGS.len() {
            let config = (k + round) % CONFIGS.len();
            if !chosen("ES_BENCH_CONFIGS", CONFIGS[config].0) {
                continue;
            }
            let output = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--w2", workload, backend, place])
                .arg(config.to_string())
                .arg(m.to_string())
                .output()
                .expect("the W2 child runs");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("W2 ")) else {
                panic!(
                    "W2 child failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            };
            let mut four = [0.0; 4];
            for (slot, figure) in four.iter_mut().zip(line.split(' ')) {
                *slot = figure.parse().expect("a figure");
            }
            figures[config].push(four);
        }
    }
    for (config, (name, _)) in CONFIGS.iter().enumerate() {
        if figures[config].is_empty() {
            continue;
        }
        let mut medians = [0.0; 4];
        for (i, slot) in medians.iter_mut().enumerate() {
            let mut values: Vec<f64> = figures[config].iter().map(|f| f[i]).collect();
            values.sort_by(f64::total_cmp);
            *slot = values[values.len() / 2];
        }
        rows.push(format!(
            "| W2 {} (M={m}) | {backend} | {name} | {} | {} | {} | {} |",
            if workload == "account" {
                "deposit, an account"
            } else {
                "append, a world"
            },
            commas(medians[0]),
            commas(medians[1]),
            commas(medians[2]),
            commas(medians[3]),
        ));
    }
}

/// W4 of a world of `n` events: from its snapshot at `n`, and from its
/// events; median of `reps` gets each, taking turns.
fn w4(backend: &str, env: &[(String, String)], n: usize, reps: usize, rows: &mut Vec<String>) {
    let app = Application::isolated_with_defaults(Universe::NAME, Universe::DEFAULTS, pairs(env))
        .unwrap();
    let mut world = World::create("Earth");
    for _ in 1..n {
        world.make_it_so("dinosaurs", "asteroid");
        if world.pending_events().len() == 1_000 {
            app.save(&mut world).unwrap();
        }
    }
    app.save(&mut world).unwrap();
    let id = world.id();
    let replay = Repository::new(app.event_store().clone());
    let (mut snap, mut events) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        let from_snapshot = || {
            let (w, wall, cpu) = timed(|| app.repository().get::<World>(id).unwrap());
            assert_eq!(w.version(), n as u64);
            (wall, cpu)
        };
        let from_events = || {
            let (w, wall, cpu) = timed(|| replay.get::<World>(id).unwrap());
            assert_eq!(w.version(), n as u64);
            (wall, cpu)
        };
        if rep % 2 == 0 {
            snap.push(from_snapshot());
            events.push(from_events());
        } else {
            events.push(from_events());
            snap.push(from_snapshot());
        }
    }
    for (name, mut times) in [("from a snapshot", snap), ("from its events", events)] {
        times.sort();
        let (wall, cpu) = times[times.len() / 2];
        rows.push(format!(
            "| W4 get ({n} events) | {backend} | {name} | {:.2} ms | {:.2} ms | | |",
            wall.as_secs_f64() * 1e3,
            cpu.as_secs_f64() * 1e3
        ));
    }
}

/// The settings of `backend`; `place` is the SQLite file's folder.
fn backend_env(backend: &str, place: &str, tag: &str) -> Vec<(String, String)> {
    match backend {
        "sqlite" => vec![
            ("PERSISTENCE_MODULE".to_owned(), "sqlite".to_owned()),
            (
                "SQLITE_DBNAME".to_owned(),
                format!("{place}/long-{tag}.sqlite"),
            ),
        ],
        "postgres" => {
            let mut env: Vec<(String, String)> = PG
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            env.push(("PERSISTENCE_MODULE".into(), "postgres".into()));
            env.push(("POSTGRES_SCHEMA".into(), PG_SCHEMA.into()));
            env
        }
        _ => Vec::new(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--w2") {
        let [workload, backend, place, config, m] = &args[i + 1..i + 6] else {
            panic!("--w2 WORKLOAD BACKEND PLACE CONFIG M");
        };
        let tag = format!("{m}-{config}-{}", std::process::id());
        let env = backend_env(backend, place, &tag);
        return w2_child(&env, workload, config.parse().unwrap(), m.parse().unwrap());
    }
    let quick = std::env::var_os("ES_BENCH_QUICK").is_some();
    let sizes: &[usize] = if quick {
        &[40, 200, 1_000]
    } else {
        &[400, 2_000, 10_000]
    };
    let rounds: usize = std::env::var("ES_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let (w4_events, w4_reps) = if quick { (1_000, 3) } else { (10_000, 5) };
    let dir = tempfile::tempdir().unwrap();
    let place = dir.path().to_string_lossy().into_owned();
    let mut backends: Vec<&str> = ["memory", "sqlite"]
        .into_iter()
        .filter(|b| chosen("ES_BENCH_BACKENDS", b))
        .collect();
    let mut pg = postgres_client();
    if let Some(client) = &mut pg {
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            .unwrap();
        if chosen("ES_BENCH_BACKENDS", "postgres") {
            backends.push("postgres");
        }
    } else {
        eprintln!("PostgreSQL not reachable on 127.0.0.1:5432: skipped");
    }
    let mut rows = Vec::new();
    for backend in backends {
        for workload in ["world", "account"]
            .into_iter()
            .filter(|w| chosen("ES_BENCH_WORKLOADS", w))
        {
            for &m in sizes {
                eprintln!("W2 ({workload}) M={m} on {backend}...");
                w2(workload, backend, &place, m, rounds, &mut rows);
            }
        }
        eprintln!("W4 on {backend}...");
        w4(
            backend,
            &backend_env(backend, &place, "w4"),
            w4_events,
            w4_reps,
            &mut rows,
        );
    }
    println!(
        "| workload | backend | configuration | commands/s (wall) | commands/s (CPU) | last tenth, commands/s (wall) | last tenth (CPU) |"
    );
    println!("|---|---|---|--:|--:|--:|--:|");
    for row in &rows {
        println!("{row}");
    }
    if let Some(client) = &mut pg {
        let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"));
    }
}
