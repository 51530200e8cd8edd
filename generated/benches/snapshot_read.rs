//! What reading a snapshot straight from its stored text saves (issue 23,
//! point 5): W4 from a snapshot, a get of the tutorial's world of 10,000
//! events from its snapshot at version 10,000, in memory, with each
//! attribute read straight into its field and, as before, through a JSON
//! value tree (`__private::set_raw_snapshot_reads`), rounds interleaved in
//! one run.
//!
//! ```sh
//! cargo bench -p eventsmith-generated --bench snapshot_read
//! ES_BENCH_QUICK=1 cargo bench -p eventsmith-generated --bench snapshot_read   # a smoke run
//! ```
//!
//! The table gives the median round of each: microseconds per get by the
//! wall clock and by this thread's CPU, and raw ÷ values.

mod common;

use std::time::Instant;

use common::{median, thread_cpu};
use eventsmith::__private::set_raw_snapshot_reads;
use eventsmith_generated::world::{Universe, World};

fn main() {
    let quick = std::env::var("ES_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let (rounds, gets) = if quick { (5, 20) } else { (21, 200) };
    let app = Universe::isolated([("IS_SNAPSHOTTING_ENABLED", "y")]).unwrap();
    let mut world = World::create("Earth");
    for i in 1..10_000 {
        world.make_it_so(format!("thing {i}"));
    }
    app.as_application().save(&mut world).unwrap();
    let id = eventsmith::Aggregate::id(&world);
    app.take_snapshot(id, None).unwrap();
    let mut results = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
    for r in 0..rounds {
        for raw in if r % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        } {
            set_raw_snapshot_reads(raw);
            let (start, cpu) = (Instant::now(), thread_cpu());
            for _ in 0..gets {
                let world: World = app.repository().get(id).unwrap();
                assert_eq!(eventsmith::Aggregate::version(&world), 10_000);
            }
            let n = gets as f64;
            let slot = &mut results[usize::from(!raw)];
            slot[0].push(start.elapsed().as_secs_f64() * 1e6 / n);
            slot[1].push(thread_cpu().saturating_sub(cpu).as_secs_f64() * 1e6 / n);
        }
    }
    set_raw_snapshot_reads(true);
    let [[raw_wall, raw_cpu], [values_wall, values_cpu]] =
        results.map(|[w, c]| [median(w), median(c)]);
    println!("| W4 from a snapshot, 10,000 events | µs per get (wall) | µs per get (CPU) |");
    println!("|---|---:|---:|");
    println!("| through a JSON value tree (before) | {values_wall:.1} | {values_cpu:.1} |");
    println!("| straight from the stored text | {raw_wall:.1} | {raw_cpu:.1} |");
    println!(
        "| speed-up | {:.2}× | {:.2}× |",
        values_wall / raw_wall,
        values_cpu / raw_cpu
    );
}
