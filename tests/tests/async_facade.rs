//! The generated async facades (issue 21, points 2 and 3): every method of
//! the tutorial's `AsyncUniverse` from `#[tokio::test]` of both flavours on
//! every backend; futures dropped at each point they can be dropped, with
//! nothing stored in part and no cached aggregate ahead of its store;
//! subscriptions as streams (catch-up then follow, in order, each once,
//! reconnecting on PostgreSQL; their threads, in `stream_threads.rs`); the
//! system's runners started and stopped from async code.

use std::future::Future;
use std::num::NonZeroUsize;
use std::pin::pin;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use eventsmith::{Aggregate, BlockingPool, Decimal, ErrorKind, Notification};
use eventsmith_generated::bank_accounts::{AsyncAccounting, AsyncBank};
use eventsmith_generated::world::{AsyncUniverse, Universe, World};
use eventsmith_tests::backends::{Backend, backends, pairs, postgres_client, with};

/// The next `n` notifications of `stream`, errors (a lost connection,
/// retried by the subscription) left out.
async fn take(
    stream: &mut eventsmith::__private::NotificationStream,
    n: usize,
) -> Vec<Notification> {
    let mut got = Vec::new();
    while got.len() < n {
        match std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
            Some(Ok(notification)) => got.push(notification),
            Some(Err(_)) => {}
            None => panic!("the stream ended after {} of {n}", got.len()),
        }
    }
    got
}

fn ids(notifications: &[Notification]) -> Vec<u64> {
    notifications.iter().map(|n| n.id).collect()
}

/// Every async method of the tutorial's facade on `backend`.
async fn each_async_method(backend: &Backend) {
    let env = with(&backend.env(), &[("IS_SNAPSHOTTING_ENABLED", "y")]);
    let app = AsyncUniverse::isolated(pairs(&env)).await.unwrap();
    let before = app
        .blocking()
        .log()
        .max_notification_id()
        .unwrap()
        .unwrap_or(0);
    let mut stream = app.subscribe(Some(before), &[]).await.unwrap();

    let world_id = app.create_world("Earth").await.unwrap();
    app.make_it_so(world_id, "dinosaurs").await.unwrap();
    app.make_it_so(world_id, String::from("trucks"))
        .await
        .unwrap();
    assert_eq!(
        app.get_history(world_id).await.unwrap(),
        ["dinosaurs", "trucks"],
        "{}",
        backend.name
    );
    let world: World = app.get_world(world_id).await.unwrap();
    assert_eq!(world.version(), 3);
    app.take_snapshot(world_id, None).await.unwrap();
    let err = app.take_snapshot(world_id, None).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::SnapshotConflict { .. }),
        "{}: {err}",
        backend.name
    );
    let missing = eventsmith::Id::<World>::from_uuid_unchecked(eventsmith::Uuid::new_v4());
    let err = app.get_history(missing).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::AggregateNotFound { .. }),
        "{}: {err}",
        backend.name
    );
    let name = app
        .call(move |universe: &Universe| universe.get_world(world_id).map(|w| w.name().to_owned()))
        .await
        .unwrap();
    assert_eq!(name, "Earth");

    // The stream: the three events, in order, then one stored after.
    let first = take(&mut stream, 3).await;
    assert_eq!(
        ids(&first),
        [before + 1, before + 2, before + 3],
        "{}",
        backend.name
    );
    app.make_it_so(world_id, "internet").await.unwrap();
    let next = take(&mut stream, 1).await;
    assert_eq!(ids(&next), [before + 4], "{}", backend.name);
    // A stream of one topic, from the start: catch-up of what it selects.
    let topic = first[0].topic.clone();
    let mut created = app.subscribe(None, &[&*topic]).await.unwrap();
    let got = take(&mut created, 1).await;
    assert_eq!(got[0].originator_id, world_id.uuid());
    drop((stream, created));
}

/// The backends are made, and dropped, on a thread of their own (the
/// tests' PostgreSQL client is the blocking driver).
async fn on_every_backend() {
    let made = std::thread::spawn(backends).join().unwrap();
    for backend in &made {
        each_async_method(backend).await;
    }
    std::thread::spawn(move || drop(made)).join().unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn every_async_method_works_on_a_current_thread_runtime() {
    on_every_backend().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_async_method_works_on_a_multi_thread_runtime() {
    on_every_backend().await;
}

/// Polls `future` once.
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// A command's future dropped at each point it can be: never polled,
/// while it waits for a place in the pool, and once its call has started.
/// Nothing is stored for the first two, ever; the third is stored whole,
/// and the aggregate cache then holds what the store holds (the next
/// command on the aggregate is not refused as a conflict).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_command_stores_all_of_it_or_nothing() {
    let made = std::thread::spawn(backends).join().unwrap();
    for backend in &made {
        let env = with(&backend.env(), &[("AGGREGATE_CACHE_MAXSIZE", "10")]);
        let pool = BlockingPool::new(NonZeroUsize::MIN);
        let app = AsyncUniverse::with_pool(Universe::isolated(pairs(&env)).unwrap(), pool.clone());
        let world_id = app.create_world("Earth").await.unwrap();
        let stored = |app: &AsyncUniverse| app.blocking().log().max_notification_id().unwrap();
        let base = stored(&app);

        // Never polled.
        drop(app.make_it_so(world_id, "never polled"));

        // Waiting for the pool's one place, which a call of the test holds.
        let (held, release) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
        let holder = {
            let (held, release) = (held.clone(), release.clone());
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    held.wait();
                    release.wait();
                    Ok::<_, eventsmith::Error>(())
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || held.wait())
            .await
            .unwrap();
        {
            let mut waiting = pin!(app.make_it_so(world_id, "dropped while waiting"));
            assert!(poll_once(waiting.as_mut()).is_pending());
        }
        tokio::task::spawn_blocking(move || release.wait())
            .await
            .unwrap();
        holder.await.unwrap().unwrap();

        // Started: polled once with the place free, so its call is on the
        // pool, then dropped.
        {
            let mut started = pin!(app.make_it_so(world_id, "dropped once started"));
            let _ = poll_once(started.as_mut());
        }
        // The pool's one place comes free when the started call ends.
        pool.run(|| Ok::<_, eventsmith::Error>(())).await.unwrap();
        assert_eq!(stored(&app), base.map(|n| n + 1), "{}", backend.name);
        assert_eq!(
            app.get_history(world_id).await.unwrap(),
            ["dropped once started"],
            "{}",
            backend.name
        );
        app.make_it_so(world_id, "after").await.unwrap();
        let world = app.get_world(world_id).await.unwrap();
        assert_eq!(world.version(), 3, "{}", backend.name);
    }
    std::thread::spawn(move || drop(made)).join().unwrap();
}

/// A stream on PostgreSQL whose connection is killed reconnects, and gives
/// what was stored meanwhile, in order, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_stream_reconnects_when_its_connection_is_killed() {
    let Some(pg) = std::thread::spawn(eventsmith_tests::backends::PgSchema::new)
        .join()
        .unwrap()
    else {
        return;
    };
    let app = AsyncUniverse::isolated(pairs(&pg.env())).await.unwrap();
    let mut stream = app.subscribe(None, &[]).await.unwrap();
    let world_id = app.create_world("Earth").await.unwrap();
    assert_eq!(ids(&take(&mut stream, 1).await), [1]);
    let schema = pg.schema.clone();
    let killed = tokio::task::spawn_blocking(move || {
        postgres_client()
            .unwrap()
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE query LIKE 'SELECT notification_id%' AND query LIKE '%' || $1 || '%'",
                &[&schema],
            )
            .unwrap()
            .len()
    })
    .await
    .unwrap();
    assert_eq!(killed, 1, "the subscription's connection");
    app.make_it_so(world_id, "while down").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.make_it_so(world_id, "after").await.unwrap();
    assert_eq!(ids(&take(&mut stream, 2).await), [2, 3]);
    drop(stream);
    std::thread::spawn(move || drop(pg)).join().unwrap();
}

/// What was paid into `account`, by its statement.
async fn paid_in(
    statements: &eventsmith_generated::bank_accounts::AsyncStatements,
    account: eventsmith_generated::bank_accounts::AccountId,
) -> Decimal {
    statements
        .call(move |statements| statements.statement_of(account).map(|s| s.paid_in()))
        .await
        .unwrap()
}

/// The bank's settings and the statements', each on a store of its own.
fn bank_and_statements(backend: &Backend) -> Vec<(String, String)> {
    let prefixed = |prefix: &str, env: Vec<(String, String)>| {
        env.into_iter()
            .map(move |(k, v)| (format!("{prefix}_{k}"), v))
            .collect::<Vec<_>>()
    };
    let mut values = prefixed("BANK", backend.env());
    values.extend(prefixed("STATEMENTS", backend.env_of("statements")));
    values
}

/// The system from async code: a multi-threaded runner started, the
/// follower waited for (sleeping on the runtime's timer), the runner
/// stopped; a single-threaded runner started and run again; a wait that
/// times out, typed.
#[tokio::test(flavor = "current_thread")]
async fn the_systems_runners_start_and_stop_from_async_code() {
    let made = std::thread::spawn(backends).join().unwrap();
    for backend in &made {
        let values = bank_and_statements(backend);
        let system = AsyncAccounting::isolated(pairs(&values)).await.unwrap();
        let (bank, statements): (AsyncBank, _) = (system.bank(), system.statements());
        let runner = system.multi_threaded().await.unwrap();
        let account = bank
            .open_account("Alice", "alice@example.com")
            .await
            .unwrap();
        bank.call(move |bank| bank.deposit(account, Decimal::new(30, 0)))
            .await
            .unwrap();
        let last = bank
            .blocking()
            .log()
            .max_notification_id()
            .unwrap()
            .unwrap();
        statements
            .wait_for_bank(last, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(
            paid_in(&statements, account).await,
            Decimal::new(30, 0),
            "{}",
            backend.name
        );
        assert_eq!(system.stop(runner).await.unwrap(), last, "{}", backend.name);

        bank.call(move |bank| bank.deposit(account, Decimal::new(12, 0)))
            .await
            .unwrap();
        let err = statements
            .wait_for_bank(last + 1, Duration::from_millis(150))
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::TrackingTimeout { .. }),
            "{}: {err}",
            backend.name
        );
        let runner = system.single_threaded().await.unwrap();
        statements
            .wait_for_bank(last + 1, Duration::ZERO)
            .await
            .unwrap();
        bank.call(move |bank| bank.deposit(account, Decimal::new(1, 0)))
            .await
            .unwrap();
        let (_runner, processed) = system.run(runner).await.unwrap();
        assert_eq!(processed, 1, "{}", backend.name);
        assert_eq!(paid_in(&statements, account).await, Decimal::new(43, 0));
    }
    std::thread::spawn(move || drop(made)).join().unwrap();
}
