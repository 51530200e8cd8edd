//! The blocking API inside a tokio runtime (issue 21, point 1): each
//! facade method of the tutorial, called from `#[tokio::test]` of both
//! flavours on every backend, works. The PostgreSQL driver runs each call
//! on a runtime of its own, and tokio refuses to start one on a thread that
//! drives another ("Cannot start a runtime from within a runtime"): before
//! the recorder stepped out of the caller's runtime, every call panicked.

use eventsmith::persistence::Environment;
use eventsmith::{Aggregate, ErrorKind};
use eventsmith_generated::world::{self, Universe, World};
use eventsmith_tests::backends::{Backend, backends, pairs, with};

eventsmith_tests::tutorial_test_fn!(world);

/// Every method of the facade, and the application's subscription, on
/// `backend`, from whatever thread and runtime the caller is on; the
/// application is dropped (its pool's connections closed) there too.
fn each_facade_method(backend: &Backend) {
    let env = with(&backend.env(), &[("IS_SNAPSHOTTING_ENABLED", "y")]);
    let app = Universe::isolated(pairs(&env)).unwrap();
    tutorial_test(&app, true);
    drop(app);

    let app = Universe::with_env(Environment::isolated(Universe::NAME, pairs(&env))).unwrap();
    // The tutorial's twelve events, where the store outlives its application.
    let last = app.log().max_notification_id().unwrap().unwrap_or(0);
    assert_eq!(
        last,
        if backend.shared() { 12 } else { 0 },
        "{}",
        backend.name
    );
    let world_id = app.create_world("Jupiter").unwrap();
    app.make_it_so(world_id, "storms").unwrap();
    app.take_snapshot(world_id, None).unwrap();
    let err = app.take_snapshot(world_id, None).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::SnapshotConflict { .. }),
        "{}: {err}",
        backend.name
    );
    let world: World = app.repository().get(world_id).unwrap();
    assert_eq!(world.version(), 2);
    assert_eq!(app.get_history(world_id).unwrap(), ["storms"]);
    let mut world = world;
    world.make_it_so("moons");
    app.save(&mut world).unwrap();

    // Catch-up through the subscription: the three new events, in order.
    let subscription = app.log().subscribe(Some(last), &[]).unwrap();
    let ids: Vec<u64> = subscription
        .take(3)
        .map(|notification| notification.unwrap().id)
        .collect();
    assert_eq!(ids, [last + 1, last + 2, last + 3], "{}", backend.name);
    drop(app);
}

/// The backends are made, and dropped, on a thread of their own: the
/// tests' own PostgreSQL client (which makes and drops each test's schema)
/// is the blocking driver, not the recorder under test.
fn on_every_backend() {
    let made = std::thread::spawn(backends).join().unwrap();
    for backend in &made {
        each_facade_method(backend);
    }
    std::thread::spawn(move || drop(made)).join().unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn the_blocking_api_works_inside_a_current_thread_runtime() {
    on_every_backend();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_api_works_inside_a_multi_thread_runtime() {
    on_every_backend();
}

/// Tasks of a multi-thread runtime calling one application at once, each
/// on the runtime's workers: none panics, and every command is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_share_one_application_inside_a_multi_thread_runtime() {
    let made = std::thread::spawn(backends).join().unwrap();
    for backend in &made {
        let app = std::sync::Arc::new(Universe::isolated(pairs(&backend.env())).unwrap());
        let tasks: Vec<_> = (0..4)
            .map(|task| {
                let app = app.clone();
                tokio::spawn(async move {
                    let world_id = app.create_world(format!("world {task}")).unwrap();
                    for n in 0..5 {
                        app.make_it_so(world_id, format!("thing {n}")).unwrap();
                        tokio::task::yield_now().await;
                    }
                    world_id
                })
            })
            .collect();
        for task in tasks {
            let world_id = task.await.unwrap();
            assert_eq!(
                app.get_history(world_id).unwrap().len(),
                5,
                "{}",
                backend.name
            );
        }
        assert_eq!(
            app.log().max_notification_id().unwrap(),
            Some(24),
            "{}",
            backend.name
        );
    }
    std::thread::spawn(move || drop(made)).join().unwrap();
}
