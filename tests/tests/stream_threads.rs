//! The threads of the async facade's streams (issue 21, point 3), in a
//! test binary of their own so that no other test's streams are counted:
//! each open stream waits on a thread of its own, named `eventsmith-stream`
//! (not one of tokio's blocking threads, which open streams would use up
//! and so hang every call), and a dropped stream's thread ends.

use std::time::{Duration, Instant};

use eventsmith_generated::world::AsyncUniverse;
use eventsmith_tests::backends::{backends, pairs};

/// This process's threads named as the streams' are (`comm` keeps 15
/// bytes of a thread's name).
fn stream_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "eventsmith-stre")
        .count()
}

/// Waits (30 s at most: a liveness bound, not a timing) until `n` stream
/// threads are left.
fn until_left(n: usize, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while stream_threads() != n {
        assert!(
            Instant::now() < deadline,
            "{what}: {} stream threads, not {n}",
            stream_threads()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn open_streams_take_no_blocking_thread_and_dropped_ones_end_theirs() {
    let made = backends();
    for backend in &made {
        // Two blocking threads: four open streams on tokio's would leave
        // no thread for a command, and it would hang.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let env = backend.env();
        runtime.block_on(async {
            let app = AsyncUniverse::isolated(pairs(&env)).await.unwrap();
            let mut streams = Vec::new();
            for _ in 0..4 {
                streams.push(app.subscribe(None, &[]).await.unwrap());
            }
            until_left(4, backend.name);
            let command = tokio::time::timeout(Duration::from_secs(30), app.create_world("Earth"));
            command
                .await
                .expect("a command with four streams open")
                .unwrap();
            drop(streams);
            until_left(0, backend.name);
        });
    }
}
