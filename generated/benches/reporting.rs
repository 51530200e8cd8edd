//! What the runtime's reporting (spans and metrics, issue 25 point 4) costs
//! when nothing listens: no `tracing` subscriber and no `metrics` recorder
//! installed, as in a program that uses neither. W1 (create, one event a
//! save) and W4 (replay a 10,000-event world) in memory, where a save is
//! cheapest and any cost shows most, with reporting on and off
//! (`__private::set_reporting`), rounds interleaved in one run.
//!
//! ```sh
//! cargo bench -p eventsmith-generated --bench reporting
//! ES_BENCH_QUICK=1 cargo bench -p eventsmith-generated --bench reporting   # a smoke run
//! ```
//!
//! The table gives the median round of each: nanoseconds per operation by
//! the wall clock and by this thread's CPU, and on ÷ off.

mod common;

use std::time::Instant;

use common::{median, thread_cpu};
use eventsmith::__private::set_reporting;
use eventsmith_generated::world::{Universe, World};

/// Wall and CPU nanoseconds per operation of `ops` runs of `op`.
fn round(ops: usize, mut op: impl FnMut()) -> (f64, f64) {
    let (start, cpu) = (Instant::now(), thread_cpu());
    for _ in 0..ops {
        op();
    }
    let n = ops as f64;
    (
        start.elapsed().as_nanos() as f64 / n,
        thread_cpu().saturating_sub(cpu).as_nanos() as f64 / n,
    )
}

fn main() {
    let quick = std::env::var("ES_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let (rounds, saves, gets) = if quick {
        (5, 20_000, 20)
    } else {
        (21, 200_000, 200)
    };
    let app = Universe::isolated(std::iter::empty::<(&str, &str)>()).unwrap();
    let mut world = World::create("Earth");
    for i in 0..10_000 {
        world.make_it_so(format!("thing {i}"));
    }
    app.as_application().save(&mut world).unwrap();
    let id = eventsmith::Aggregate::id(&world);
    let mut results: Vec<[Vec<f64>; 2]> = vec![[Vec::new(), Vec::new()]; 4];
    for r in 0..rounds {
        // Alternate which goes first.
        for on in if r % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        } {
            set_reporting(on);
            let w1 = round(saves, || {
                app.create_world("Earth").unwrap();
            });
            let w4 = round(gets, || {
                let world: World = app.repository().get(id).unwrap();
                std::hint::black_box(world);
            });
            let at = usize::from(!on) * 2;
            results[at][0].push(w1.0);
            results[at][1].push(w1.1);
            results[at + 1][0].push(w4.0);
            results[at + 1][1].push(w4.1);
        }
    }
    set_reporting(true);
    println!(
        "In memory, nothing listening, {rounds} rounds interleaved ({saves} saves, {gets} replays of 10,000 events a round), medians\n"
    );
    println!("| workload | reporting on: ns/op (wall / CPU) | off | on ÷ off (wall / CPU) |");
    println!("|---|--:|--:|--:|");
    for (i, name) in ["W1 create", "W4 replay 10,000 events"].iter().enumerate() {
        let on = [median(results[i][0].clone()), median(results[i][1].clone())];
        let off = [
            median(results[i + 2][0].clone()),
            median(results[i + 2][1].clone()),
        ];
        println!(
            "| {name} | {:.0} / {:.0} | {:.0} / {:.0} | {:.3} / {:.3} |",
            on[0],
            on[1],
            off[0],
            off[1],
            on[0] / off[0],
            on[1] / off[1]
        );
    }
}
