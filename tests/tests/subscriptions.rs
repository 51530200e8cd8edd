//! Subscriptions on every kind of recorder (in memory, SQLite's `:memory:`,
//! a shared-cache in-memory SQLite database, a SQLite file, PostgreSQL):
//! catching up then following, with topics; a writer racing the
//! subscriber; a stop from another thread; no CPU used while nothing
//! happens; another recorder's writes seen wherever a store is shared, and
//! another process's (the Python library's) on a SQLite file and in
//! PostgreSQL; a commit between PostgreSQL's `LISTEN` and the catch-up; a
//! lost connection.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use eventsmith::persistence::{
    ApplicationRecorder, InMemoryRecorder, ProcessRecorder, Stopper, StoredEvent, Subscription,
};
use eventsmith::{Notification, Uuid};
use eventsmith_tests::backends::{
    Backend, PgSchema, SqliteFile, backends_of, databases, pairs, postgres_client, recorders,
};
use eventsmith_tests::python::Python;

/// How long a test waits for what must come.
const PATIENCE: Duration = Duration::from_secs(10);

/// An application name of its own, so that its PostgreSQL channel is too.
fn unique_name() -> String {
    format!("Sub{}", Uuid::new_v4().simple())
}

fn event(id: Uuid, version: u64, topic: &str) -> StoredEvent {
    StoredEvent {
        originator_id: id,
        originator_version: version,
        topic: topic.to_owned().into(),
        state: format!("{{\"v\":{version}}}").into_bytes(),
    }
}

/// Stores `n` events of new aggregates, one batch; returns their ids.
fn write(recorder: &dyn ApplicationRecorder, n: usize, topic: &str) -> Vec<u64> {
    let events: Vec<StoredEvent> = (0..n).map(|_| event(Uuid::new_v4(), 1, topic)).collect();
    recorder.insert_events(&events).unwrap()
}

/// Takes `count` notifications from `subscription` in a thread of its own,
/// stopping it if they have not all come within `PATIENCE`; returns those
/// that came (and the subscription, unless it ended).
fn take(mut subscription: Subscription, count: usize) -> (Vec<Notification>, Option<Subscription>) {
    let stopper = subscription.stopper();
    let reader = thread::spawn(move || {
        let mut taken = Vec::new();
        while taken.len() < count {
            match subscription.next() {
                Some(n) => taken.push(n.unwrap()),
                None => return (taken, None),
            }
        }
        (taken, Some(subscription))
    });
    let deadline = Instant::now() + PATIENCE;
    while !reader.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    if !reader.is_finished() {
        stopper.stop();
    }
    join_within(reader, "a stopped subscription")
}

/// What `thread` returns, if it ends within `PATIENCE`; a failure (naming
/// `what`) if it does not: a test fails rather than hangs.
fn join_within<T>(thread: thread::JoinHandle<T>, what: &str) -> T {
    let deadline = Instant::now() + PATIENCE;
    while !thread.is_finished() {
        assert!(
            Instant::now() < deadline,
            "{what}: still blocked after {PATIENCE:?}"
        );
        thread::sleep(Duration::from_millis(1));
    }
    thread.join().unwrap()
}

fn ids(notifications: &[Notification]) -> Vec<u64> {
    notifications.iter().map(|n| n.id).collect()
}

/// The CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to write.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[test]
fn a_subscription_catches_up_then_follows_in_order_with_topics() {
    for b in recorders() {
        let recorder = b.recorder(&unique_name());
        let r = &*recorder;
        let mut before = write(r, 2, "t:A");
        before.extend(write(r, 1, "t:B"));
        assert_eq!(before, vec![1, 2, 3], "{}", b.name);
        let all = r.subscribe(None, &[]).unwrap();
        let only_a_after_1 = r.subscribe(Some(1), &["t:A"]).unwrap();
        let (caught_up, all) = take(all, 3);
        assert_eq!(ids(&caught_up), vec![1, 2, 3], "{}", b.name);
        assert_eq!(caught_up[2].topic, "t:B", "{}", b.name);
        // Written while (or before) the subscriptions wait.
        let writer = {
            let recorder = Arc::clone(&recorder);
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(100));
                let mut ids = write(&*recorder, 1, "t:B");
                ids.extend(write(&*recorder, 2, "t:A"));
                ids
            })
        };
        let (followed, all) = take(all.unwrap(), 3);
        assert_eq!(writer.join().unwrap(), vec![4, 5, 6], "{}", b.name);
        assert_eq!(ids(&followed), vec![4, 5, 6], "{}", b.name);
        let (a, _) = take(only_a_after_1, 3);
        assert_eq!(ids(&a), vec![2, 5, 6], "{}", b.name);
        assert!(a.iter().all(|n| n.topic == "t:A"), "{}", b.name);
        assert_eq!(&*a[1].state, b"{\"v\":1}", "{}", b.name);
        // Nothing more, and the subscription ends once stopped.
        let mut all = all.unwrap();
        all.stop();
        assert!(all.next().is_none(), "{}", b.name);
        // Subscribing after the last id: only what comes next.
        let after = r.subscribe(Some(6), &[]).unwrap();
        write(r, 1, "t:C");
        let (next, _) = take(after, 1);
        assert_eq!(ids(&next), vec![7], "{}", b.name);
    }
}

#[test]
fn writers_racing_the_subscriber_are_followed_without_a_miss_or_a_repeat() {
    // Two writers, 40 batches each, of 1 to 3 events.
    let size = |writer: usize, batch: usize| 1 + (batch + writer) % 3;
    let total: usize = (0..2).flat_map(|w| (0..40).map(move |b| size(w, b))).sum();
    for b in recorders() {
        let recorder = b.recorder(&unique_name());
        let subscription = recorder.subscribe(None, &[]).unwrap();
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let recorder = Arc::clone(&recorder);
                thread::spawn(move || {
                    let mut written = 0;
                    for batch in 0..40 {
                        written += write(&*recorder, size(w, batch), "t:Race").len();
                        if batch % 7 == 0 {
                            thread::sleep(Duration::from_millis(3));
                        }
                    }
                    written
                })
            })
            .collect();
        let (taken, subscription) = take(subscription, total);
        let written: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
        assert_eq!(written, total, "{}", b.name);
        assert_eq!(
            ids(&taken),
            (1..=total as u64).collect::<Vec<u64>>(),
            "{}: every id once, in order",
            b.name
        );
        // And none after.
        let mut subscription = subscription.unwrap();
        let stopper = subscription.stopper();
        let waiter = thread::spawn(move || subscription.next().map(|n| n.unwrap().id));
        thread::sleep(Duration::from_millis(300));
        stopper.stop();
        assert_eq!(join_within(waiter, b.name), None, "{}", b.name);
    }
}

/// A thread blocked in a subscription's `next()`: it reports how `next()`
/// ended and its CPU time while it blocked.
type Blocked = thread::JoinHandle<(Option<u64>, Duration)>;

/// Blocks a subscription to a recorder of `backend` in `next()` (after it
/// took what was there) in a thread; returns the recorder, the
/// subscription's stopper, and the thread.
fn blocked(backend: &Backend) -> (Arc<dyn ProcessRecorder>, Stopper, Blocked) {
    let recorder = backend.recorder(&unique_name());
    write(&*recorder, 1, "t:First");
    let mut subscription = recorder.subscribe(None, &[]).unwrap();
    let stopper = subscription.stopper();
    let waiter = thread::spawn(move || {
        assert_eq!(subscription.next().unwrap().unwrap().id, 1);
        let cpu = thread_cpu_time();
        let next = subscription.next().map(|n| n.unwrap().id);
        (next, thread_cpu_time() - cpu)
    });
    (recorder, stopper, waiter)
}

#[test]
fn a_stop_from_another_thread_wakes_a_blocked_next_and_ends_the_iterator() {
    for b in recorders() {
        let (_recorder, stopper, waiter) = blocked(&b);
        thread::sleep(Duration::from_millis(300));
        assert!(!waiter.is_finished(), "{}: next() should block", b.name);
        let stopped = Instant::now();
        stopper.stop();
        let (next, _) = join_within(waiter, b.name);
        let woke_after = stopped.elapsed();
        assert_eq!(next, None, "{}", b.name);
        assert!(
            woke_after < Duration::from_secs(2),
            "{}: a stopped next() returned after {woke_after:?}",
            b.name
        );
        assert!(stopper.is_stopped());
    }
}

#[test]
fn dropping_a_subscription_stops_it() {
    let recorder = InMemoryRecorder::new();
    let subscription = recorder.subscribe(None, &[]).unwrap();
    let stopper = subscription.stopper();
    drop(subscription);
    assert!(stopper.is_stopped());
}

/// A resource check, not a speed one: a subscription waiting for a second
/// with nothing happening must not spin (a busy loop would use the whole
/// second; polling SQLite's data version or waking each 100 ms on
/// PostgreSQL costs well under a millisecond).
#[test]
fn a_quiet_subscription_uses_next_to_no_cpu() {
    for b in recorders() {
        let (_recorder, stopper, waiter) = blocked(&b);
        thread::sleep(Duration::from_secs(1));
        stopper.stop();
        let (next, cpu) = join_within(waiter, b.name);
        assert_eq!(next, None, "{}", b.name);
        assert!(
            cpu < Duration::from_millis(20),
            "{}: the subscribing thread used {cpu:?} of CPU over a quiet second",
            b.name
        );
    }
}

/// Has the Python library store `n` events of new aggregates with its
/// application recorder, as `env` configures it for the application
/// `name`, in a process of its own.
fn python_writes(python: &Python, name: &str, env: &[(String, String)], n: usize) {
    let script = r#"
import os, sys, uuid
from eventsourcing.persistence import InfrastructureFactory, StoredEvent
from eventsourcing.utils import Environment
factory = InfrastructureFactory.construct(Environment(sys.argv[1], os.environ))
recorder = factory.application_recorder()
recorder.insert_events([
    StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="py:Written", state=b"{}")
    for _ in range(int(sys.argv[2]))
])
"#;
    python.run(&["-c", script, name, &n.to_string()], env, "");
}

/// Another recorder on the store (on SQLite its own connections, no bell
/// in common) writes: the subscription sees it at once, though its polling
/// has backed off to its ceiling.
#[test]
fn a_subscription_sees_another_recorders_writes_on_every_shared_backend() {
    let shared = [
        Backend::sqlite_file,
        Backend::sqlite_shared_memory,
        Backend::postgres,
    ];
    for b in backends_of(&shared) {
        let name = unique_name();
        let (recorder, other) = (b.recorder(&name), b.recorder(&name));
        write(&*other, 1, "t:Other");
        let subscription = recorder.subscribe(None, &[]).unwrap();
        let (first, subscription) = take(subscription, 1);
        assert_eq!(ids(&first), vec![1], "{}", b.name);
        // Long enough for the polling to have backed off to its ceiling.
        thread::sleep(Duration::from_millis(600));
        let written = Instant::now();
        write(&*other, 2, "t:Other");
        let (seen, _) = take(subscription.unwrap(), 2);
        assert_eq!(ids(&seen), vec![2, 3], "{}", b.name);
        assert!(
            written.elapsed() < Duration::from_secs(2),
            "{}: another recorder's write seen after {:?}",
            b.name,
            written.elapsed()
        );
    }
}

/// The Python library writing in a process of its own wakes a Rust
/// subscription at once.
#[test]
fn the_python_library_writing_wakes_a_rust_subscription_in_both_databases() {
    let Some(python) = Python::find() else { return };
    for b in databases() {
        let name = unique_name();
        let recorder = b.recorder(&name);
        write(&*recorder, 1, "t:Rust");
        let subscription = recorder.subscribe(None, &[]).unwrap();
        let (first, subscription) = take(subscription, 1);
        assert_eq!(ids(&first), vec![1], "{}", b.name);
        let mut subscription = subscription.unwrap();
        let stopper = subscription.stopper();
        let reader = thread::spawn(move || {
            let first = subscription.next().map(|n| n.unwrap());
            let second = subscription.next().map(|n| n.unwrap());
            (first, second, Instant::now())
        });
        thread::sleep(Duration::from_millis(300));
        python_writes(&python, &name, &b.env(), 2);
        let written = Instant::now();
        let deadline = written + PATIENCE;
        while !reader.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        stopper.stop();
        let (first, second, at) = join_within(reader, b.name);
        let first = first.expect("python's first event");
        let second = second.expect("its second");
        assert_eq!((first.id, second.id), (2, 3), "{}", b.name);
        for n in [&first, &second] {
            assert_eq!(
                (&*n.topic, &*n.state),
                ("py:Written", &b"{}"[..]),
                "{}",
                b.name
            );
        }
        assert!(
            at.saturating_duration_since(written) < Duration::from_secs(2),
            "{}: woken {:?} after python's commit",
            b.name,
            at.saturating_duration_since(written)
        );
    }
}

#[test]
fn a_postgres_commit_between_listen_and_catch_up_is_not_missed() {
    let Some(pg) = PgSchema::new() else { return };
    let name = unique_name();
    let recorder = pg.recorder(&name);
    let writer = Arc::new(pg.recorder(&name));
    write(&recorder, 1, "t:Before");
    // Committed once the subscription listens, before it selects anything:
    // were it to select first and listen after, this event would not be
    // seen until another came, and none does.
    let hook_writer = Arc::clone(&writer);
    let subscription = recorder
        .subscribe_after_listen(
            None,
            &[],
            Box::new(move || {
                write(&*hook_writer, 1, "t:Between");
            }),
        )
        .unwrap();
    let (taken, _) = take(subscription, 2);
    assert_eq!(ids(&taken), vec![1, 2]);
    assert_eq!(taken[1].topic, "t:Between");
}

#[test]
fn a_postgres_subscription_reconnects_when_its_connection_is_killed() {
    let Some(pg) = PgSchema::new() else { return };
    let name = unique_name();
    let recorder = pg.recorder(&name);
    write(&recorder, 1, "t:One");
    let subscription = recorder.subscribe(None, &[]).unwrap();
    let (first, subscription) = take(subscription, 1);
    assert_eq!(ids(&first), vec![1]);
    // The subscription's connection: the one whose last query selected
    // this schema's notifications.
    let mut admin = postgres_client().unwrap();
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE query LIKE 'SELECT notification_id%' AND query LIKE '%' || $1 || '%'",
            &[&pg.schema],
        )
        .unwrap();
    assert_eq!(killed.len(), 1, "the subscription's connection");
    write(&recorder, 1, "t:WhileDown");
    thread::sleep(Duration::from_millis(300));
    write(&recorder, 1, "t:After");
    let (rest, _) = take(subscription.unwrap(), 2);
    assert_eq!(ids(&rest), vec![2, 3]);
}

#[test]
fn applications_and_their_logs_subscribe_too() {
    let file = SqliteFile::new();
    let app = eventsmith::Application::from_env(eventsmith::Environment::isolated(
        "Followed",
        pairs(&file.env()),
    ))
    .unwrap();
    write(&**app.recorder(), 2, "t:App");
    let (from_app, _) = take(app.subscribe(None, &[]).unwrap(), 2);
    assert_eq!(ids(&from_app), vec![1, 2]);
    let (from_log, _) = take(app.log().subscribe(Some(1), &["t:App"]).unwrap(), 1);
    assert_eq!(ids(&from_log), vec![2]);
    let (polled, _) = take(
        Subscription::polling(Arc::clone(app.recorder()), None, &[]),
        2,
    );
    assert_eq!(ids(&polled), vec![1, 2]);
}
