//! Load on the example service (issue 21, point 6, in part): `wrk` at 64
//! connections against `POST /worlds/{id}/history` (a command on one of
//! 1,024 worlds, chosen at random), on a SQLite file and on PostgreSQL,
//! beside the same command through the blocking API from 64 threads in one
//! process, on the same store settings (the aggregate cache on, so that
//! commands on one world wait for each other rather than conflict).
//! Commands per second and p50 / p99 latency, one run, the two measured in
//! turn for each backend.
//!
//! ```sh
//! apt-get install wrk                               # once
//! cargo bench -p eventsmith-service --bench load
//! ES_BENCH_QUICK=1 cargo bench -p eventsmith-service --bench load   # 3 s a measurement
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eventsmith_generated::world::{Universe, WorldId};

const CONNECTIONS: usize = 64;
const WORLDS: usize = 1_024;

/// The settings of one backend, over which both sides run.
fn settings(backend: &str, dir: &std::path::Path) -> Vec<(String, String)> {
    let mut env: Vec<(&str, String)> = vec![("AGGREGATE_CACHE_MAXSIZE", "0".into())];
    match backend {
        "sqlite" => {
            env.push(("PERSISTENCE_MODULE", "sqlite".into()));
            env.push((
                "SQLITE_DBNAME",
                dir.join("universe.sqlite").display().to_string(),
            ));
        }
        _ => {
            env.extend([
                ("PERSISTENCE_MODULE", "postgres".into()),
                ("POSTGRES_DBNAME", "eventsourcing".into()),
                ("POSTGRES_HOST", "127.0.0.1".into()),
                ("POSTGRES_PORT", "5432".into()),
                ("POSTGRES_USER", "eventsourcing".into()),
                ("POSTGRES_PASSWORD", "eventsourcing".into()),
                ("POSTGRES_SSLMODE", "disable".into()),
                ("POSTGRES_SCHEMA", "es_bench_load".into()),
            ]);
        }
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// Commands per second and p50 / p99 (ms) through the blocking API, from
/// `CONNECTIONS` threads for `seconds`.
fn blocking_api(env: &[(String, String)], seconds: u64) -> (f64, f64, f64) {
    let app =
        Arc::new(Universe::isolated(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap());
    let worlds: Arc<Vec<WorldId>> = Arc::new(
        (0..WORLDS)
            .map(|i| app.create_world(format!("World {i}")).unwrap())
            .collect(),
    );
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let end = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|t| {
            let (app, worlds, latencies) = (app.clone(), worlds.clone(), latencies.clone());
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                let mut n = t;
                while Instant::now() < end {
                    // A cheap spread over the worlds, different per thread.
                    n = n
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let id = worlds[(n >> 33) % WORLDS];
                    let start = Instant::now();
                    app.make_it_so(id, "x").unwrap();
                    mine.push(start.elapsed());
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    let started = Instant::now();
    for thread in threads {
        thread.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut all = latencies.lock().unwrap().clone();
    all.sort();
    (
        all.len() as f64 / elapsed,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
    )
}

fn post(address: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// A world of 1,000,000 events in `env`'s store, saved 10,000 at a time.
fn big_world(env: &[(String, String)]) -> String {
    let app = Universe::isolated(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap();
    let mut world = eventsmith_generated::world::World::create("Big");
    for chunk in 0..100 {
        for i in 0..10_000 {
            world.make_it_so(format!("thing {}", chunk * 10_000 + i));
        }
        app.as_application().save(&mut world).unwrap();
    }
    eventsmith::Aggregate::id(&world).uuid().to_string()
}

/// A `wrk` figure: the value after `label` on its line, in ms for a latency.
fn figure(output: &str, label: &str) -> f64 {
    let line = output
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} in wrk's output:\n{output}"));
    let value = line.trim_start()[label.len()..].trim();
    let number: String = value
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let number: f64 = number.parse().unwrap();
    let unit = &value[value
        .find(|c: char| c.is_alphabetic())
        .unwrap_or(value.len())..];
    match unit {
        u if u.starts_with("us") => number / 1e3,
        u if u.starts_with("ms") => number,
        u if u.starts_with('s') => number * 1e3,
        _ => number,
    }
}

/// Commands per second and p50 / p99 (ms) through the service, by `wrk`,
/// and how many answers were not 2xx.
fn service(
    env: &[(String, String)],
    seconds: u64,
    dir: &std::path::Path,
    slow: Option<&str>,
) -> (f64, f64, f64, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_service"))
        .args(["--listen", "127.0.0.1:0"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line.trim().trim_start_matches("listening on ").to_owned();
    let ids: Vec<String> = (0..WORLDS)
        .map(|i| {
            let response = post(&address, "/worlds", &format!(r#"{{"name": "World {i}"}}"#));
            let body = response.split("\r\n\r\n").nth(1).unwrap();
            let json: serde_json::Value = serde_json::from_str(body).unwrap();
            json["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let script = dir.join("commands.lua");
    let quoted: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    std::fs::write(
        &script,
        format!(
            "ids = {{{}}}\nwrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
             wrk.body = '{{\"what\": \"x\"}}'\nrequest = function()\n  \
             return wrk.format(nil, \"/worlds/\" .. ids[math.random(#ids)] .. \"/history\")\nend\n",
            quoted.join(",")
        ),
    )
    .unwrap();
    // The slow request, over and over while wrk runs: a get of a world of
    // 1,000,000 events, replayed each time (no cache).
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let slow = slow.map(|big| {
        let (address, path, stop) = (address.clone(), format!("/worlds/{big}"), stop.clone());
        std::thread::spawn(move || {
            let mut replays = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let start = Instant::now();
                let response = get(&address, &path);
                assert!(response.starts_with("HTTP/1.1 200"), "{response:.200}");
                replays.push(start.elapsed());
            }
            replays
        })
    });
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(format!("http://{address}"))
        .output()
        .expect("wrk (apt-get install wrk)");
    let output = String::from_utf8_lossy(&output.stdout).into_owned();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    if let Some(slow) = slow {
        let replays = slow.join().unwrap();
        let mean = replays.iter().map(Duration::as_secs_f64).sum::<f64>() / replays.len() as f64;
        println!(
            "<!-- slow requests meanwhile: {} replays of 1,000,000 events, {mean:.2} s each -->",
            replays.len()
        );
    }
    // SAFETY: kill(2) on the child's own pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    child.wait().unwrap();
    let non_2xx = output
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .map_or("0".to_owned(), |l| l.trim().to_owned());
    (
        figure(&output, "Requests/sec:"),
        figure(&output, "50%"),
        figure(&output, "99%"),
        non_2xx,
    )
}

fn main() {
    let quick = std::env::var("ES_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let seconds = if quick { 3 } else { 10 };
    println!(
        "{CONNECTIONS} callers, {WORLDS} worlds, {seconds} s each, one run\n\n\
         | backend | through | commands/s | p50 (ms) | p99 (ms) | not 2xx |\n|---|---|--:|--:|--:|--:|"
    );
    for backend in ["sqlite", "postgres"] {
        let dir = tempfile::tempdir().unwrap();
        if backend == "postgres" {
            let mut admin = eventsmith_tests::backends::postgres_client().unwrap();
            admin
                .batch_execute("DROP SCHEMA IF EXISTS es_bench_load CASCADE")
                .unwrap();
        }
        let env = settings(backend, dir.path());
        let (rate, p50, p99) = blocking_api(&env, seconds);
        println!(
            "| {backend} | blocking API, {CONNECTIONS} threads | {rate:.0} | {p50:.2} | {p99:.2} | - |"
        );
        let (rate, p50, p99, non_2xx) = service(&env, seconds, dir.path(), None);
        println!(
            "| {backend} | service, wrk -c{CONNECTIONS} | {rate:.0} | {p50:.2} | {p99:.2} | {non_2xx} |"
        );
        // Without the cache, so that each get of the big world replays it
        // (commands on one world may then conflict: 409s, counted).
        let uncached: Vec<(String, String)> = env
            .iter()
            .filter(|(k, _)| k != "AGGREGATE_CACHE_MAXSIZE")
            .cloned()
            .collect();
        let big = big_world(&uncached);
        for (label, slow) in [
            ("no cache", None),
            ("no cache, with the slow get", Some(big.as_str())),
        ] {
            let (rate, p50, p99, non_2xx) = service(&uncached, seconds, dir.path(), slow);
            println!(
                "| {backend} | service, {label} | {rate:.0} | {p50:.2} | {p99:.2} | {non_2xx} |"
            );
        }
    }
}
