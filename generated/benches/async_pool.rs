//! What the async facade's blocking pool costs (issue 21, point 2): the
//! choice between running the blocking API on a bounded blocking pool and
//! an async driver rests on it. An async driver could save at most the
//! pool's hand-off; this measures that hand-off alone (an empty call), and
//! W1 on PostgreSQL (one world created a save, one at a time) through the
//! blocking facade on a plain thread and through the async facade from a
//! tokio task, rounds interleaved in one run.
//!
//! ```sh
//! cargo bench -p eventsmith-generated --bench async_pool
//! ES_BENCH_QUICK=1 cargo bench -p eventsmith-generated --bench async_pool   # a smoke run
//! ```
//!
//! The table gives the median round of each: microseconds per call by the
//! wall clock and by the process's CPU (all its threads: the pool's too).

mod common;

use std::time::Instant;

use common::{median, postgres_client, postgres_settings, process_cpu};
use eventsmith::BlockingPool;
use eventsmith_generated::world::{AsyncUniverse, Universe};

/// Wall and CPU microseconds per call of `calls` calls, from `start`.
fn per_call(calls: usize, start: (Instant, std::time::Duration)) -> (f64, f64) {
    let n = calls as f64;
    (
        start.0.elapsed().as_secs_f64() * 1e6 / n,
        process_cpu().saturating_sub(start.1).as_secs_f64() * 1e6 / n,
    )
}

fn main() {
    let quick = std::env::var("ES_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let (rounds, empties, saves) = if quick {
        (3, 2_000, 200)
    } else {
        (11, 50_000, 2_000)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pool = BlockingPool::default();
    let schema = "bench_async_pool";
    let mut admin = postgres_client().expect("the tutorial's PostgreSQL database (README)");
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .unwrap();
    let settings = postgres_settings(schema);
    let pairs = || settings.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let blocking = Universe::isolated(pairs()).unwrap();
    let asynchronous = AsyncUniverse::with_pool(blocking.clone(), pool.clone());

    let names = ["inline", "pool", "sync W1", "async W1"];
    let mut results: Vec<[Vec<f64>; 2]> = vec![[Vec::new(), Vec::new()]; names.len()];
    let mut record = |i: usize, (wall, cpu): (f64, f64)| {
        results[i][0].push(wall);
        results[i][1].push(cpu);
    };
    for r in 0..rounds {
        let order: [usize; 2] = if r % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            // The empty call: inline on a task, or through the pool.
            let start = (Instant::now(), process_cpu());
            runtime.block_on(async {
                for _ in 0..empties {
                    if which == 0 {
                        std::hint::black_box(Ok::<_, eventsmith::Error>(())).unwrap();
                    } else {
                        pool.run(|| Ok::<_, eventsmith::Error>(())).await.unwrap();
                    }
                }
            });
            record(which, per_call(empties, start));
        }
        for which in order {
            let start = (Instant::now(), process_cpu());
            if which == 0 {
                for _ in 0..saves {
                    blocking.create_world("Earth").unwrap();
                }
            } else {
                runtime.block_on(async {
                    for _ in 0..saves {
                        asynchronous.create_world("Earth").await.unwrap();
                    }
                });
            }
            record(2 + which, per_call(saves, start));
        }
    }
    println!("| call | µs per call (wall) | µs per call (CPU, all threads) |");
    println!("|---|---:|---:|");
    for (name, [wall, cpu]) in names.iter().zip(results) {
        println!("| {name} | {:.2} | {:.2} |", median(wall), median(cpu));
    }
    drop((asynchronous, blocking));
    let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
}
