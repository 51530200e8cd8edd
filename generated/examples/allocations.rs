//! Allocations per event replayed: the tutorial's world with 10,000 events
//! (each a short string), got back from memory and from a SQLite file, with
//! a counting allocator. `cargo run --release -p eventsourcing-generated
//! --example replay_allocations`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use eventsourcing_generated::world::Universe;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as the caller promised for `alloc`.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as the caller promised for `dealloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as the caller promised for `realloc`.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const EVENTS: u64 = 10_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("replay-allocations-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("world.sqlite");
    for (backend, env) in [
        ("memory", vec![]),
        (
            "SQLite file",
            vec![
                ("INFRASTRUCTURE_FACTORY", "sqlite"),
                ("SQLITE_DBNAME", file.to_str().unwrap_or_default()),
            ],
        ),
    ] {
        let app = Universe::isolated(env)?;
        let id = app.create_world("Earth")?;
        let mut world = app.get_world(id)?;
        for i in 0..EVENTS - 1 {
            world.make_it_so(format!("event {i}"));
        }
        app.save(&mut world)?;
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let world = app.get_world(id)?;
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        assert_eq!(world.history().len() as u64, EVENTS - 1);
        println!(
            "{backend}: {allocations} allocations to replay {EVENTS} events, {:.2} per event",
            allocations as f64 / EVENTS as f64
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
