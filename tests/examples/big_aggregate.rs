//! Figures for a big aggregate (issue 10, point 8), printed rather than
//! asserted: the peak memory of replaying a 1,000,000-event world, and how
//! long a one-event `get` takes in another thread meanwhile.
//!
//! ```sh
//! cargo run --release -p eventsourcing-tests --example big_aggregate -- sqlite /tmp/big.sqlite write 1000000
//! cargo run --release -p eventsourcing-tests --example big_aggregate -- sqlite /tmp/big.sqlite replay
//! cargo run --release -p eventsourcing-tests --example big_aggregate -- sqlite /tmp/big.sqlite concurrent
//! ```
//!
//! With `postgres SCHEMA` in place of `sqlite PATH`, the same on the
//! tutorial's PostgreSQL database (`.ci/run` creates it), in that schema.
//! `write` stores the world and a one-event world, and prints their
//! ids to a file beside the database (or in `/tmp` for PostgreSQL).

use std::time::{Duration, Instant};

use eventsourcing::{Aggregate, Uuid};
use eventsourcing_generated::world::{Universe, World, WorldId};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [backend, place, command, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: big_aggregate (sqlite PATH | postgres SCHEMA) (write N | replay | concurrent)"
                .into(),
        );
    };
    let mut env: Vec<(&str, &str)> = vec![("COMPRESSOR_TOPIC", "")];
    let ids_file = match backend.as_str() {
        "sqlite" => {
            env.extend([("PERSISTENCE_MODULE", "sqlite"), ("SQLITE_DBNAME", place)]);
            format!("{place}.ids")
        }
        "postgres" => {
            env.extend([
                ("PERSISTENCE_MODULE", "postgres"),
                ("POSTGRES_DBNAME", "eventsourcing"),
                ("POSTGRES_HOST", "127.0.0.1"),
                ("POSTGRES_USER", "eventsourcing"),
                ("POSTGRES_PASSWORD", "eventsourcing"),
                ("POSTGRES_SCHEMA", place),
            ]);
            format!("/tmp/big_aggregate_{place}.ids")
        }
        other => return Err(format!("unknown backend {other}").into()),
    };
    let app = Universe::isolated(env)?;
    match command.as_str() {
        "write" => {
            let n: u64 = rest.first().ok_or("write N")?.parse()?;
            let big = write_world(&app, n)?;
            let small = write_world(&app, 1)?;
            std::fs::write(&ids_file, format!("{big} {small}"))?;
            println!("wrote {n} events of world {big}, 1 of {small}");
        }
        "replay" => {
            let (big, _) = read_ids(&ids_file)?;
            // The high-water mark counts from the resident size now.
            let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
            let before = status_kib(if reset { "VmRSS" } else { "VmHWM" });
            let started = Instant::now();
            let world: World = app.repository().get(big)?;
            let took = started.elapsed();
            let peak = status_kib("VmHWM");
            println!(
                "replayed {} events in {:.2} s; peak memory grew by {:.1} MiB ({} KiB before, {} KiB peak)",
                world.version(),
                took.as_secs_f64(),
                peak.saturating_sub(before) as f64 / 1024.0,
                before,
                peak
            );
        }
        "concurrent" => {
            let (big, small) = read_ids(&ids_file)?;
            let done = std::sync::atomic::AtomicBool::new(false);
            let mut latencies = std::thread::scope(|scope| {
                let replays = scope.spawn(|| {
                    let result =
                        (0..3).try_for_each(|_| app.repository().get::<World>(big).map(|_| ()));
                    done.store(true, std::sync::atomic::Ordering::SeqCst);
                    result
                });
                let mut latencies = Vec::new();
                // Give the replay a moment to start.
                std::thread::sleep(Duration::from_millis(50));
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    let started = Instant::now();
                    let _: World = app.repository().get(small).expect("the small world");
                    latencies.push(started.elapsed());
                    std::thread::sleep(Duration::from_millis(5));
                }
                replays
                    .join()
                    .expect("the replay thread")
                    .map(|()| latencies)
            })?;
            latencies.sort();
            let at = |q: f64| {
                let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
                latencies.get(i).copied().unwrap_or_default()
            };
            println!(
                "{} one-event gets during 3 replays: median {:?}, p99 {:?}, max {:?}",
                latencies.len(),
                at(0.5),
                at(0.99),
                latencies.last().copied().unwrap_or_default()
            );
        }
        other => return Err(format!("unknown command {other}").into()),
    }
    Ok(())
}

/// Stores a world with `n` events (started, then things happening), 10,000
/// a save.
fn write_world(app: &Universe, n: u64) -> Result<WorldId, Box<dyn std::error::Error>> {
    let mut world = World::create("Big");
    let id = world.id();
    for i in 1..n {
        world.make_it_so("x");
        if i % 10_000 == 0 {
            app.save(&mut world)?;
        }
    }
    app.save(&mut world)?;
    Ok(id)
}

fn read_ids(path: &str) -> Result<(WorldId, WorldId), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    let (big, small) = text.split_once(' ').ok_or("two ids")?;
    Ok((
        WorldId::from_uuid(big.parse::<Uuid>()?),
        WorldId::from_uuid(small.trim().parse::<Uuid>()?),
    ))
}

/// A figure of this process's `/proc/self/status`, in KiB (0 when missing).
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let value = line.strip_prefix(key)?.strip_prefix(':')?;
                value.trim().trim_end_matches(" kB").trim().parse().ok()
            })
        })
        .unwrap_or(0)
}
