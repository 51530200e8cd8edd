//! Aggregates that live long: W2 (get, command, save through the facade)
//! on one world of M = 400, 2,000 and 10,000 events, with the aggregate
//! cache, with snapshots every 100 versions, and with neither; and W4 (a
//! get of a world of 10,000 events) from a snapshot and from its events.
//!
//! ```sh
//! cargo bench -p eventsourcing-generated --bench long_lived
//! ES_BENCH_QUICK=1 cargo bench -p eventsourcing-generated --bench long_lived   # a smoke run
//! ```
//!
//! The world is `schemas/world_v2.yaml`'s (the tutorial's, with a reason for
//! each thing that happened, and `snapshot: { every: 100 }`). The three
//! configurations run side by side on one backend, command by command (the
//! i-th command of each before the (i+1)-th of any), each on a world of its
//! own, so that all three see the same machine. For each, the rate over all
//! M commands (the world growing from 1 to M events, W2's measure), and the
//! rate of the last tenth of them (the world at about M events), each as
//! wall time and as this thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`;
//! PostgreSQL's own CPU is the server's, not counted). Nothing here asserts
//! a time. Results: `docs/benchmarks.md`.

use std::time::{Duration, Instant};

use eventsourcing::{Aggregate, Application, Repository};
use eventsourcing_generated::world_v2::{Universe, World, WorldId};

const PG: [(&str, &str); 5] = [
    ("POSTGRES_DBNAME", "eventsourcing"),
    ("POSTGRES_HOST", "127.0.0.1"),
    ("POSTGRES_PORT", "5432"),
    ("POSTGRES_USER", "eventsourcing"),
    ("POSTGRES_PASSWORD", "eventsourcing"),
];
const PG_SCHEMA: &str = "es_bench_long";

/// This thread's CPU time so far (`CLOCK_THREAD_CPUTIME_ID`).
fn cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Wall and CPU time of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (wall, cpu0) = (Instant::now(), cpu());
    let value = f();
    (value, wall.elapsed(), cpu().saturating_sub(cpu0))
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

/// W2 at `m` on one backend: a row per configuration.
fn w2(backend: &str, env: &[(String, String)], m: usize, rows: &mut Vec<String>) {
    let apps: Vec<Universe> = CONFIGS
        .iter()
        .map(|(_, extra)| Universe::isolated(pairs(&settings(env, extra))).unwrap())
        .collect();
    let ids: Vec<WorldId> = apps
        .iter()
        .map(|app| app.create_world("Earth").unwrap())
        .collect();
    let tail = (m / 10).max(1);
    let mut all = [Clock::default(); 3];
    let mut last = [Clock::default(); 3];
    for i in 1..m {
        for (c, app) in apps.iter().enumerate() {
            let ((), wall, cpu) =
                timed(|| app.make_it_so(ids[c], "dinosaurs", "asteroid").unwrap());
            all[c].add(wall, cpu);
            if i >= m - tail {
                last[c].add(wall, cpu);
            }
        }
    }
    for (c, (name, _)) in CONFIGS.iter().enumerate() {
        assert_eq!(apps[c].get_world(ids[c]).unwrap().version(), m as u64);
        let (wall, cpu) = all[c].rates(m - 1);
        let (tail_wall, tail_cpu) = last[c].rates(tail);
        rows.push(format!(
            "| W2 append (M={m}) | {backend} | {name} | {} | {} | {} | {} |",
            commas(wall),
            commas(cpu),
            commas(tail_wall),
            commas(tail_cpu),
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

fn commas(rate: f64) -> String {
    let n = rate.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

fn postgres_client() -> Option<postgres::Client> {
    postgres::Config::new()
        .host("127.0.0.1")
        .port(5432)
        .user("eventsourcing")
        .password("eventsourcing")
        .dbname("eventsourcing")
        .connect(postgres::NoTls)
        .ok()
}

fn main() {
    let quick = std::env::var_os("ES_BENCH_QUICK").is_some();
    let sizes: &[usize] = if quick {
        &[40, 200, 1_000]
    } else {
        &[400, 2_000, 10_000]
    };
    let (w4_events, w4_reps) = if quick { (1_000, 3) } else { (10_000, 5) };
    let dir = tempfile::tempdir().unwrap();
    let mut backends: Vec<(&str, Vec<(String, String)>)> = vec![("memory", Vec::new())];
    let sqlite = |file: &str| {
        vec![
            ("PERSISTENCE_MODULE".to_owned(), "sqlite".to_owned()),
            (
                "SQLITE_DBNAME".to_owned(),
                dir.path().join(file).to_string_lossy().into_owned(),
            ),
        ]
    };
    backends.push(("sqlite", sqlite("long.sqlite")));
    let mut pg = postgres_client();
    if let Some(client) = &mut pg {
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            .unwrap();
        let mut env: Vec<(String, String)> = PG
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        env.push(("PERSISTENCE_MODULE".into(), "postgres".into()));
        env.push(("POSTGRES_SCHEMA".into(), PG_SCHEMA.into()));
        backends.push(("postgres", env));
    } else {
        eprintln!("PostgreSQL not reachable on 127.0.0.1:5432: skipped");
    }
    let mut rows = Vec::new();
    for (backend, env) in &backends {
        for &m in sizes {
            eprintln!("W2 M={m} on {backend}...");
            w2(backend, env, m, &mut rows);
        }
        eprintln!("W4 on {backend}...");
        w4(backend, env, w4_events, w4_reps, &mut rows);
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
