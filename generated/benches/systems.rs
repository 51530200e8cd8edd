//! A system of two applications (issue 12, point 8): the bank, and the
//! statements that follow it (`schemas/bank_accounts.yaml`'s `Accounting`),
//! beside the Python library's runners on the same workload
//! (`benches/python/systems.py`, the same two applications in Python).
//!
//! ```sh
//! cargo bench -p eventsmith-generated --bench systems
//! ES_BENCH_QUICK=1 cargo bench -p eventsmith-generated --bench systems   # a smoke run
//! ```
//!
//! For each backend (in memory, SQLite files, PostgreSQL) and runner
//! (single-threaded, multi-threaded):
//!
//! - **throughput**: N events (N/20 accounts opened, 19 deposits each) are
//!   written with nothing following, then processed: by the single-threaded
//!   runner's `run`, or by the multi-threaded runner, started (Rust) or
//!   prompted by one more deposit (Python, whose threads wait for a
//!   prompt). Events processed per second by wall clock and by the
//!   process's CPU time (all its threads; PostgreSQL's own CPU is the
//!   server's, not counted).
//! - **latency** (multi-threaded): K deposits one after another, each timed
//!   from its save returning (the leader's commit) to the statements' log
//!   growing by one (the follower's commit), polled every 0.1 ms; p50 and
//!   p99.
//!
//! Both sides store the bank's events compressed with zlib (the schema's
//! default) and take no snapshots. Each measurement is a process of its
//! own, Rust and Python alternating, the order turned each round
//! (`ES_BENCH_ROUNDS`, default 3); the medians count. Python is
//! `EVENTSMITH_PYTHON` (default `python3`); without the library its
//! columns are left empty. `ES_BENCH_BACKENDS=memory,sqlite,postgres`
//! narrows a run. Nothing here asserts a time. Results:
//! `docs/benchmarks.md`.

mod common;
use common::*;

use std::process::Command;
use std::time::{Duration, Instant};

use eventsmith::{Decimal, SingleThreadedRunner};
use eventsmith_generated::bank_accounts::{AccountId, Accounting, Statements};

const PG_SCHEMA: &str = "es_bench_systems";

/// The settings of a backend, the store made empty.
fn environment(backend: &str, dir: &std::path::Path) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![("IS_SNAPSHOTTING_ENABLED".into(), "n".into())];
    match backend {
        "sqlite" => {
            env.push(("PERSISTENCE_MODULE".into(), "sqlite".into()));
            for app in ["BANK", "STATEMENTS"] {
                let file = dir.join(format!("{app}.sqlite"));
                env.push((format!("{app}_SQLITE_DBNAME"), file.display().to_string()));
            }
        }
        "postgres" => {
            let mut client = postgres_client().expect("PostgreSQL answers");
            client
                .batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE; CREATE SCHEMA {PG_SCHEMA}"
                ))
                .unwrap();
            env.extend(postgres_settings(PG_SCHEMA));
        }
        _ => {}
    }
    env
}

/// Waits until the statements' log reaches `id`.
fn wait_for(statements: &Statements, id: u64) {
    while statements.log().max_notification_id().unwrap().unwrap_or(0) < id {
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// One measurement, in this process (a child): prints the lines
/// `systems.py` prints.
fn child(backend: &str, runner: &str, n: usize, k: usize) {
    let dir = tempfile::tempdir().unwrap();
    let env = environment(backend, dir.path());
    let system = Accounting::isolated(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap();
    let (bank, statements) = (system.bank(), system.statements());
    let one = Decimal::new(1, 0);
    let mut accounts: Vec<AccountId> = Vec::new();
    for a in 0..n / 20 {
        let account = bank
            .open_account(format!("owner {a}"), format!("{a}@example.com"))
            .unwrap();
        accounts.push(account);
        for _ in 0..19 {
            bank.deposit(account, one).unwrap();
        }
    }
    let (wall, cpu) = (Instant::now(), process_cpu());
    let mut multi = None;
    let processed = if runner == "single" {
        SingleThreadedRunner::new(system.pipes()).run().unwrap() as usize
    } else {
        multi = Some(system.multi_threaded().unwrap());
        bank.deposit(accounts[0], one).unwrap();
        wait_for(statements, n as u64 + 1);
        n + 1
    };
    let (wall, cpu) = (wall.elapsed(), process_cpu().saturating_sub(cpu));
    assert_eq!(
        statements.log().max_notification_id().unwrap(),
        Some(processed as u64)
    );
    println!(
        "THROUGHPUT {processed} {} {}",
        wall.as_secs_f64(),
        cpu.as_secs_f64()
    );
    if let Some(runner) = multi {
        let mut latencies = Vec::with_capacity(k);
        let last = *accounts.last().unwrap();
        for i in 1..=k {
            bank.deposit(last, one).unwrap();
            let committed = Instant::now();
            wait_for(statements, (processed + i) as u64);
            latencies.push(committed.elapsed().as_secs_f64() * 1000.0);
        }
        latencies.sort_by(f64::total_cmp);
        let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
        println!("LATENCY {} {p99}", latencies[latencies.len() / 2]);
        runner.stop().unwrap();
    }
}

/// What one measurement printed: events/s by wall and CPU, and the
/// latencies (ms) when measured.
#[derive(Default, Clone, Copy)]
struct Figures {
    wall_rate: f64,
    cpu_rate: f64,
    p50: Option<f64>,
    p99: Option<f64>,
}

fn parse(stdout: &str) -> Option<Figures> {
    let mut figures = Figures::default();
    let throughput = stdout.lines().find_map(|l| l.strip_prefix("THROUGHPUT "))?;
    let t: Vec<f64> = throughput
        .split(' ')
        .filter_map(|x| x.parse().ok())
        .collect();
    let [events, wall, cpu] = t[..] else {
        return None;
    };
    figures.wall_rate = events / wall.max(1e-9);
    figures.cpu_rate = events / cpu.max(1e-9);
    if let Some(latency) = stdout.lines().find_map(|l| l.strip_prefix("LATENCY ")) {
        let l: Vec<f64> = latency.split(' ').filter_map(|x| x.parse().ok()).collect();
        figures.p50 = l.first().copied();
        figures.p99 = l.get(1).copied();
    }
    Some(figures)
}

fn run(command: &mut Command, what: &str) -> Option<Figures> {
    let output = command.output().ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let figures = parse(&stdout);
    if figures.is_none() {
        eprintln!("{what} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    figures
}

fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        let n = args[at + 3].parse().unwrap();
        let k = args[at + 4].parse().unwrap();
        child(&args[at + 1], &args[at + 2], n, k);
        return;
    }
    let quick = std::env::var_os("ES_BENCH_QUICK").is_some();
    let (n, k) = if quick { (200, 20) } else { (2_000, 200) };
    let rounds: usize = std::env::var("ES_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(if quick { 1 } else { 3 });
    let python = std::env::var("EVENTSMITH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/python/systems.py");
    let mut backends = vec!["memory", "sqlite"];
    if postgres_client().is_some() {
        backends.push("postgres");
    }
    backends.retain(|b| chosen("ES_BENCH_BACKENDS", b));
    let started = Instant::now();
    let mut rows = Vec::new();
    for backend in &backends {
        for runner in ["single", "multi"] {
            let (mut rust, mut py): (Vec<Figures>, Vec<Figures>) = (Vec::new(), Vec::new());
            for round in 0..rounds {
                for side in 0..2 {
                    let (n_s, k_s) = (n.to_string(), k.to_string());
                    if (side + round) % 2 == 0 {
                        let mut command = Command::new(std::env::current_exe().unwrap());
                        command.args(["--child", backend, runner, &n_s, &k_s]);
                        rust.extend(run(&mut command, "the Rust child"));
                    } else {
                        let mut command = Command::new(&python);
                        command.args([script, backend, runner, &n_s, &k_s]);
                        // The bank's events compressed, as the schema's default.
                        command.env("BANK_COMPRESSOR_TOPIC", "zlib");
                        py.extend(run(&mut command, "the Python child"));
                    }
                }
            }
            let stat = |side: &[Figures], f: fn(&Figures) -> Option<f64>| {
                median(&mut side.iter().filter_map(f).collect::<Vec<_>>())
            };
            let show = |v: Option<f64>, rate: bool| match v {
                Some(v) if rate => commas(v),
                Some(v) => format!("{v:.2}"),
                None => "-".into(),
            };
            let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.1}", a / b),
                _ => "-".into(),
            };
            let (rw, rc) = (
                stat(&rust, |f| Some(f.wall_rate)),
                stat(&rust, |f| Some(f.cpu_rate)),
            );
            let (pw, pc) = (
                stat(&py, |f| Some(f.wall_rate)),
                stat(&py, |f| Some(f.cpu_rate)),
            );
            let (r50, r99) = (stat(&rust, |f| f.p50), stat(&rust, |f| f.p99));
            let (p50, p99) = (stat(&py, |f| f.p50), stat(&py, |f| f.p99));
            rows.push(format!(
                "| {backend} | {runner} | {} / {} | {} / {} | {} / {} | {} / {} | {} / {} |",
                show(rw, true),
                show(rc, true),
                show(pw, true),
                show(pc, true),
                ratio(rw, pw),
                ratio(rc, pc),
                show(r50, false),
                show(r99, false),
                show(p50, false),
                show(p99, false),
            ));
        }
    }
    println!(
        "\nA follower processing N = {n} events (events/s, wall / CPU), and K = {k} deposits' \
         latency from the bank's commit to the statements' (ms, p50 / p99); medians of {rounds} \
         round(s), {:.0} s in all.\n",
        started.elapsed().as_secs_f64()
    );
    println!(
        "| backend | runner | Rust events/s | Python events/s | Rust ÷ Python | Rust latency | Python latency |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|");
    for row in rows {
        println!("{row}");
    }
}
