//! Allocations and CPU time per event, with a counting allocator and this
//! thread's CPU clock: W1 (10,000 worlds created and saved, one event a
//! save, in memory) and W4 (the tutorial's world with 10,000 events, each a
//! short string, got back from memory and from a SQLite file).
//! `cargo run --release -p eventsmith-generated --example allocations`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use eventsmith_generated::world::Universe;

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

/// This thread's CPU time so far, in nanoseconds.
fn cpu_ns() -> u128 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    if !ok {
        return 0;
    }
    u128::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u128::try_from(t.tv_nsec).unwrap_or(0)
}

/// W1 in memory: worlds created and saved one event at a time.
fn w1() -> Result<(), Box<dyn std::error::Error>> {
    let app = Universe::isolated([])?;
    // Warm up: the first saves size the recorder's tables.
    for _ in 0..1_000 {
        app.create_world("Earth")?;
    }
    let (before, cpu) = (ALLOCATIONS.load(Ordering::Relaxed), cpu_ns());
    for _ in 0..EVENTS {
        app.create_world("Earth")?;
    }
    let cpu = cpu_ns() - cpu;
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!(
        "W1 memory: {allocations} allocations to create and save {EVENTS} worlds, {:.2} per event, {:.2} µs CPU per event",
        allocations as f64 / EVENTS as f64,
        cpu as f64 / 1_000.0 / EVENTS as f64
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    w1()?;
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
        let (before, cpu) = (ALLOCATIONS.load(Ordering::Relaxed), cpu_ns());
        let world = app.get_world(id)?;
        let cpu = cpu_ns() - cpu;
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        assert_eq!(world.history().len() as u64, EVENTS - 1);
        println!(
            "W4 {backend}: {allocations} allocations to replay {EVENTS} events, {:.2} per event, {:.2} µs CPU per event",
            allocations as f64 / EVENTS as f64,
            cpu as f64 / 1_000.0 / EVENTS as f64
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
