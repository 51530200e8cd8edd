//! What each `COMPRESSOR_LEVEL` costs (issue 13, point 5): for zlib levels
//! 0 to 9, the CPU time to compress and to decompress one stored state, and
//! its size against the JSON, on three states the runtime stores: a small
//! event (the tutorial's `SomethingHappened`), a created event with text
//! (the bank's `Opened`), and a snapshot of a world of 100 things.
//!
//! ```sh
//! cargo bench -p eventsmith-generated --bench compression
//! ```
//!
//! Each level is measured in each of 5 rounds, the order of the levels
//! turned each round, as this thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`)
//! over a batch of states; the medians count. Every level's output is
//! checked to decompress to the input. Python's library compresses at 6 and
//! reads every level (`tests/tests/python_interop.rs`,
//! `python_reads_what_rust_compresses_at_every_level`). Results:
//! `docs/benchmarks.md`.

mod common;
use common::thread_cpu;

use eventsmith::__private::MAX_COMPRESSION_LEVEL;
use eventsmith::persistence::ZlibCompressor;

/// The states, as the runtime writes them.
fn states() -> Vec<(String, Vec<u8>)> {
    let happened = br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-28T05:43:12.123456+00:00"},"what":"dinosaurs"}"#.to_vec();
    let opened = br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-28T05:43:12.123456+00:00"},"originator_topic":"bank:Account","owner":"Alice Liddell","email":"alice@example.com"}"#.to_vec();
    let things: Vec<String> = (0..100)
        .map(|i| format!("\"thing {i} happened\""))
        .collect();
    let snapshot = format!(
        r#"{{"timestamp":{{"_type_":"datetime_iso","_data_":"2026-11-28T05:43:12.123456+00:00"}},"originator_topic":"universe:World","state":{{"name":"Earth","history":[{}]}}}}"#,
        things.join(",")
    )
    .into_bytes();
    vec![
        (format!("event, {} B", happened.len()), happened),
        (format!("created event, {} B", opened.len()), opened),
        (format!("snapshot, {} B", snapshot.len()), snapshot),
    ]
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let quick = std::env::var_os("ES_BENCH_QUICK").is_some();
    let (batch, rounds) = if quick { (2_000, 1) } else { (20_000, 5) };
    let z = ZlibCompressor;
    let levels: Vec<u8> = (0..=MAX_COMPRESSION_LEVEL).collect();
    println!("| state | level | compress µs | decompress µs | size (% of JSON) |");
    println!("|---|--:|--:|--:|--:|");
    for (name, state) in states() {
        // Per level: compress and decompress times (µs per state).
        let mut compress: Vec<Vec<f64>> = vec![Vec::new(); levels.len()];
        let mut decompress: Vec<Vec<f64>> = vec![Vec::new(); levels.len()];
        let mut sizes = vec![0usize; levels.len()];
        for round in 0..rounds {
            for k in 0..levels.len() {
                let i = (k + round * 3) % levels.len();
                let level = levels[i];
                let packed = z.compress_at(&state, level);
                assert_eq!(z.decompress(&packed).unwrap(), state, "level {level}");
                sizes[i] = packed.len();
                let t = thread_cpu();
                for _ in 0..batch {
                    std::hint::black_box(z.compress_at(std::hint::black_box(&state), level));
                }
                compress[i].push((thread_cpu() - t).as_secs_f64() * 1e6 / batch as f64);
                let t = thread_cpu();
                for _ in 0..batch {
                    std::hint::black_box(z.decompress(std::hint::black_box(&packed)).unwrap());
                }
                decompress[i].push((thread_cpu() - t).as_secs_f64() * 1e6 / batch as f64);
            }
        }
        for (i, level) in levels.iter().enumerate() {
            println!(
                "| {name} | {level}{} | {:.2} | {:.2} | {:.0}% |",
                if *level == 6 { " (default)" } else { "" },
                median(&mut compress[i]),
                median(&mut decompress[i]),
                100.0 * sizes[i] as f64 / state.len() as f64,
            );
        }
    }
}
