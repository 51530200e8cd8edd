//! A writer process for the multi-process and crash tests: creates worlds on
//! the storage the environment selects, each saved as one batch of
//! `events_per_world` events, printing the id of each world once saved.
//!
//! Usage: `writer <worlds> <events_per_world>`

use std::io::Write;

use eventsmith::Aggregate;
use eventsmith_generated::world::{Universe, World};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let worlds: u64 = args
        .next()
        .ok_or("usage: writer <worlds> <events_per_world>")?
        .parse()?;
    let events: u64 = args
        .next()
        .ok_or("usage: writer <worlds> <events_per_world>")?
        .parse()?;
    let app = Universe::from_env()?;
    let mut out = std::io::stdout().lock();
    for w in 0..worlds {
        let mut world = World::create(format!("world {w}"));
        for e in 1..events {
            world.make_it_so(format!("event {e}"));
        }
        app.save(&mut world)?;
        writeln!(out, "{}", world.id())?;
        out.flush()?;
    }
    Ok(())
}
