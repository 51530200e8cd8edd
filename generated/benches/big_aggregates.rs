//! Many writers and one big aggregate, on every backend, in one run:
//!
//! - **W6**: N worlds created and saved (one event a save) by 8 threads at
//!   once, against the same N by 1 thread; the two take turns, round by
//!   round, and the median of the rounds counts. Events/s by the wall
//!   clock, and the process's CPU time per event (all threads: user +
//!   system, `getrusage`).
//! - **W7**: one-event `get`s in one thread, every millisecond, while
//!   another thread replays a world of 1,000,000 events (three replays);
//!   median, p99 and max latency, beside the same gets with nothing else
//!   running.
//! - **Peak memory** of replaying the 1,000,000-event world: a child
//!   process (this program again) replays it once and reports how far its
//!   resident high-water mark rose (`/proc/self/clear_refs`, `VmHWM`), how
//!   much of that the replayed aggregate itself still holds afterwards (its
//!   history: a million strings), so the difference is what the replay
//!   needed on the way, and how long the replay took.
//!
//! ```sh
//! cargo bench -p eventsmith-generated --bench big_aggregates
//! ES_BENCH_QUICK=1 cargo bench -p eventsmith-generated --bench big_aggregates   # a smoke run
//! ```
//!
//! Events are stored plain (no compression), so the figures are the
//! runtime's and the storage's. Nothing here asserts a time. Results:
//! `docs/benchmarks.md`.

mod common;
use common::*;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use eventsmith::{Aggregate, Uuid};
use eventsmith_generated::world::{Universe, World, WorldId};

const PG_SCHEMA: &str = "es_bench_big";

/// The settings of `backend`, plain, with the SQLite file in `dir`.
fn settings(backend: &str, dir: &str) -> Vec<(String, String)> {
    let mut env = vec![("COMPRESSOR_TOPIC", "")];
    let file = format!("{dir}/big.sqlite");
    match backend {
        "sqlite" => env.extend([("PERSISTENCE_MODULE", "sqlite"), ("SQLITE_DBNAME", &file)]),
        "postgres" => {
            return [("COMPRESSOR_TOPIC".to_owned(), String::new())]
                .into_iter()
                .chain(postgres_settings(PG_SCHEMA))
                .collect();
        }
        _ => {}
    }
    env.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn universe(env: &[(String, String)]) -> Universe {
    Universe::isolated(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .expect("the application starts")
}

/// W6: `n` worlds created and saved by `threads` threads, `n / threads`
/// each; wall and process CPU time.
fn w6_round(app: &Universe, n: usize, threads: usize) -> (Duration, Duration) {
    let (wall, cpu) = (Instant::now(), process_cpu());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..n / threads {
                    app.create_world("Earth").expect("a save");
                }
            });
        }
    });
    (wall.elapsed(), process_cpu().saturating_sub(cpu))
}

fn median<T: Ord + Copy>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}

fn w6(backend: &str, app: &Universe, n: usize, rounds: usize, rows: &mut Vec<String>) {
    let (mut one, mut eight) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            one.push(w6_round(app, n, 1));
            eight.push(w6_round(app, n, 8));
        } else {
            eight.push(w6_round(app, n, 8));
            one.push(w6_round(app, n, 1));
        }
    }
    let rate = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    let cpu_us = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    let one_wall = median(one.iter().map(|t| t.0).collect());
    let eight_wall = median(eight.iter().map(|t| t.0).collect());
    let one_cpu = median(one.iter().map(|t| t.1).collect());
    let eight_cpu = median(eight.iter().map(|t| t.1).collect());
    rows.push(format!(
        "| W6 create (N={n}) | {backend} | {} events/s, {:.1} µs CPU | {} events/s, {:.1} µs CPU | {:.2} |",
        commas(rate(one_wall)),
        cpu_us(one_cpu),
        commas(rate(eight_wall)),
        cpu_us(eight_cpu),
        rate(eight_wall) / rate(one_wall),
    ));
}

/// Stores a world with `n` events, 10,000 a save.
fn write_world(app: &Universe, n: u64) -> WorldId {
    let mut world = World::create("Big");
    let id = world.id();
    for i in 1..n {
        world.make_it_so("x");
        if i % 10_000 == 0 {
            app.save(&mut world).expect("a save");
        }
    }
    app.save(&mut world).expect("a save");
    id
}

/// Latency quantiles of `latencies`: median, p99 and max.
fn quantiles(mut latencies: Vec<Duration>) -> String {
    latencies.sort();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(i).copied().unwrap_or_default().as_secs_f64() * 1e3
    };
    format!(
        "{:.2} / {:.2} / {:.2} ms ({} gets)",
        at(0.5),
        at(0.99),
        at(1.0),
        latencies.len()
    )
}

/// W7: one-event gets while nothing else runs, then while another thread
/// replays `big` three times.
fn w7(backend: &str, app: &Universe, big: WorldId, small: WorldId, rows: &mut Vec<String>) {
    let get = || {
        let started = Instant::now();
        let world = app.get_world(small).expect("the small world");
        assert_eq!(world.version(), 1);
        started.elapsed()
    };
    let quiet: Vec<Duration> = (0..300)
        .map(|_| {
            let took = get();
            std::thread::sleep(Duration::from_millis(1));
            took
        })
        .collect();
    let done = AtomicBool::new(false);
    let (busy, replays) = std::thread::scope(|scope| {
        let replays = scope.spawn(|| {
            let mut took = Vec::new();
            for _ in 0..3 {
                let started = Instant::now();
                let world = app.get_world(big).expect("the big world");
                took.push(started.elapsed());
                drop(world);
            }
            done.store(true, Ordering::SeqCst);
            took
        });
        let mut latencies = Vec::new();
        while !done.load(Ordering::SeqCst) {
            latencies.push(get());
            std::thread::sleep(Duration::from_millis(1));
        }
        (latencies, replays.join().expect("the replays"))
    });
    rows.push(format!(
        "| W7 one-event get | {backend} | {} | {} | {:.2} s |",
        quantiles(quiet),
        quantiles(busy),
        median(replays).as_secs_f64()
    ));
}

/// The child process: `--replay BACKEND DIR ID EVENTS`; for the in-memory
/// backend it first writes the world itself. Prints `REPLAY <peak growth
/// KiB> <seconds> <growth KiB kept once the replay is over>`: the latter is
/// what the aggregate itself holds (a million strings), the difference what
/// the replay needed on the way.
fn replay_child(args: &[String]) {
    let [backend, dir, id, events] = args else {
        panic!("--replay BACKEND DIR ID EVENTS");
    };
    let events: u64 = events.parse().expect("a count");
    let app = universe(&settings(backend, dir));
    let id = if backend == "memory" {
        write_world(&app, events)
    } else {
        WorldId::from_uuid_unchecked(id.parse::<Uuid>().expect("an id"))
    };
    release_free_memory();
    // From here on, the high-water mark counts from the resident size now.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kib(if reset { "VmRSS" } else { "VmHWM" }).unwrap_or(0);
    let started = Instant::now();
    let world = app.get_world(id).expect("the big world");
    let took = started.elapsed();
    let peak = status_kib("VmHWM").unwrap_or(0);
    // What the replayed aggregate keeps: the resident size now, with it.
    let kept = status_kib("VmRSS").unwrap_or(0);
    assert_eq!(world.version(), events);
    println!(
        "REPLAY {} {} {}",
        peak.saturating_sub(before),
        took.as_secs_f64(),
        kept.saturating_sub(before)
    );
}

fn peak_memory(backend: &str, dir: &str, big: WorldId, events: u64, rows: &mut Vec<String>) {
    let exe = std::env::current_exe().expect("this program");
    let output = Command::new(exe)
        .args([
            "--replay",
            backend,
            dir,
            &big.to_string(),
            &events.to_string(),
        ])
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("REPLAY ")) else {
        panic!(
            "the replay child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let figures: Vec<f64> = line
        .split(' ')
        .map(|f| f.parse().expect("a figure"))
        .collect();
    rows.push(format!(
        "| peak memory, replay of {} events | {backend} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.2} s |",
        commas(events as f64),
        figures[0] / 1024.0,
        figures[2] / 1024.0,
        // The high-water mark is sampled, so the resident size may pass it.
        (figures[0] - figures[2]).max(0.0) / 1024.0,
        figures[1],
    ));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(rest) = args
        .iter()
        .position(|a| a == "--replay")
        .and_then(|i| args.get(i + 1..))
    {
        return replay_child(rest);
    }
    let quick = std::env::var_os("ES_BENCH_QUICK").is_some();
    let big_events: u64 = if quick { 50_000 } else { 1_000_000 };
    let rounds = if quick { 1 } else { 3 };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path().to_string_lossy().into_owned();
    let mut backends = vec!["memory", "sqlite"];
    let mut pg = postgres_client();
    match &mut pg {
        Some(client) => {
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
                .expect("a clean schema");
            backends.push("postgres");
        }
        None => eprintln!("PostgreSQL not reachable on 127.0.0.1:5432: skipped"),
    }
    let (mut w6_rows, mut w7_rows, mut memory_rows) = (Vec::new(), Vec::new(), Vec::new());
    for backend in backends {
        let app = universe(&settings(backend, &dir));
        let n = match (backend, quick) {
            ("memory", false) => 80_000,
            (_, false) => 2_000,
            (_, true) => 400,
        };
        eprintln!("W6 on {backend}...");
        w6(backend, &app, n, rounds, &mut w6_rows);
        eprintln!("writing a world of {big_events} events on {backend}...");
        let big = write_world(&app, big_events);
        let small = write_world(&app, 1);
        eprintln!("W7 on {backend}...");
        w7(backend, &app, big, small, &mut w7_rows);
        drop(app);
        eprintln!("peak memory on {backend}...");
        peak_memory(backend, &dir, big, big_events, &mut memory_rows);
    }
    println!("| workload | backend | 1 thread | 8 threads | 8 ÷ 1 (wall) |");
    println!("|---|---|--:|--:|--:|");
    w6_rows.iter().for_each(|r| println!("{r}"));
    println!();
    println!(
        "| workload | backend | nothing else running (median / p99 / max) | during replays of {} events | one replay |",
        commas(big_events as f64)
    );
    println!("|---|---|--:|--:|--:|");
    w7_rows.iter().for_each(|r| println!("{r}"));
    println!();
    println!(
        "| measure | backend | peak memory growth | kept by the replayed aggregate | needed by the replay alone | replay time |"
    );
    println!("|---|---|--:|--:|--:|--:|");
    memory_rows.iter().for_each(|r| println!("{r}"));
    if let Some(client) = &mut pg {
        let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"));
    }
}
