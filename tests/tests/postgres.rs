//! The PostgreSQL recorder: the stored table, the lock timeout, the pool, and
//! recovery after the server closes connections.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventsourcing::Error;
use eventsourcing_tests::backends::{PgSchema, pairs, postgres_client};
use eventsourcing_tests::handwritten::Universe;

#[test]
fn the_table_is_the_python_librarys() {
    let Some(pg) = PgSchema::new() else { return };
    let app = Universe::isolated(pairs(&pg.env())).unwrap();
    let id = app.create_world("Earth").unwrap();
    let mut client = postgres_client().unwrap();
    let columns: Vec<(String, String)> = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = 'universe_events' ORDER BY ordinal_position",
            &[&pg.schema],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected = [
        ("originator_id", "uuid"),
        ("originator_version", "bigint"),
        ("topic", "text"),
        ("state", "bytea"),
        ("notification_id", "bigint"),
    ];
    assert_eq!(
        columns,
        expected.map(|(a, b)| (a.to_owned(), b.to_owned())).to_vec()
    );
    let row = client
        .query_one(
            &format!(
                "SELECT originator_id, notification_id, topic FROM {}.universe_events",
                pg.schema
            ),
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, eventsourcing::Uuid>(0), id);
    assert_eq!(row.get::<_, i64>(1), 1);
    assert_eq!(row.get::<_, String>(2), "universe:World.Started");
    let index: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = 'universe_events_notification_id_idx'",
            &[&pg.schema],
        )
        .unwrap()
        .get(0);
    assert_eq!(index, 1);
}

#[test]
fn a_lock_wait_past_the_lock_timeout_is_a_typed_error() {
    let Some(pg) = PgSchema::new() else { return };
    let mut env = pg.env();
    env.push(("POSTGRES_LOCK_TIMEOUT".into(), "0.2".into()));
    let app = Universe::isolated(pairs(&env)).unwrap();
    let mut client = postgres_client().unwrap();
    let mut tx = client.transaction().unwrap();
    tx.batch_execute(&format!(
        "LOCK TABLE {}.universe_events IN EXCLUSIVE MODE",
        pg.schema
    ))
    .unwrap();
    let started = Instant::now();
    let err = app.create_world("Earth").unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(150));
    tx.rollback().unwrap();
    assert_eq!(app.recorder().max_notification_id().unwrap(), None);
    app.create_world("Earth").unwrap();
}

fn our_connections(client: &mut postgres::Client, schema: &str) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            &[&format!("es:{schema}.universe_events")],
        )
        .unwrap()
        .get(0)
}

#[test]
fn the_pool_holds_at_most_pool_size_plus_max_overflow_connections() {
    let Some(pg) = PgSchema::new() else { return };
    let mut env = pg.env();
    env.push(("POSTGRES_POOL_SIZE".into(), "2".into()));
    env.push(("POSTGRES_MAX_OVERFLOW".into(), "1".into()));
    let app = Arc::new(Universe::isolated(pairs(&env)).unwrap());
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let app = app.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    let id = app.create_world("Earth").unwrap();
                    app.make_it_so(id, "dinosaurs").unwrap();
                }
            })
        })
        .collect();
    let mut client = postgres_client().unwrap();
    let mut most = 0;
    while !handles.iter().all(|h| h.is_finished()) {
        most = most.max(our_connections(&mut client, &pg.schema));
    }
    for h in handles {
        h.join().unwrap();
    }
    assert!(most <= 3, "saw {most} connections");
    assert_eq!(app.recorder().max_notification_id().unwrap(), Some(120));
}

#[test]
fn the_next_call_succeeds_after_the_server_closes_connections() {
    let Some(pg) = PgSchema::new() else { return };
    for pre_ping in ["n", "y"] {
        let mut env = pg.env();
        env.push(("POSTGRES_PRE_PING".into(), pre_ping.into()));
        env.push(("POSTGRES_POOL_SIZE".into(), "3".into()));
        let app = Universe::isolated(pairs(&env)).unwrap();
        let id = app.create_world("Earth").unwrap();
        app.make_it_so(id, "dinosaurs").unwrap();
        let mut client = postgres_client().unwrap();
        assert!(our_connections(&mut client, &pg.schema) >= 1);
        let killed: i64 = client
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = $1) t",
                &[&format!("es:{}.universe_events", pg.schema)],
            )
            .unwrap()
            .get(0);
        assert!(killed >= 1);
        // No error reaches the user: reads and writes go on.
        assert_eq!(app.get_history(id).unwrap(), ["dinosaurs"]);
        app.make_it_so(id, "trucks").unwrap();
        assert_eq!(app.get_history(id).unwrap(), ["dinosaurs", "trucks"]);
        // Start again from an empty table for the next round.
        client
            .batch_execute(&format!(
                "TRUNCATE {}.universe_events RESTART IDENTITY",
                pg.schema
            ))
            .unwrap();
    }
}

fn our_backend_pids(client: &mut postgres::Client, schema: &str) -> Vec<i32> {
    client
        .query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid",
            &[&format!("es:{schema}.universe_events")],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn connections_older_than_conn_max_age_are_replaced() {
    let mut client = postgres_client().unwrap();
    for (max_age, replaced) in [(None, false), (Some("0.3"), true)] {
        // A schema per round, so the round's connections are told apart by name.
        let Some(pg) = PgSchema::new() else { return };
        let mut env = pg.env();
        env.push(("POSTGRES_POOL_SIZE".into(), "1".into()));
        if let Some(age) = max_age {
            env.push(("POSTGRES_CONN_MAX_AGE".into(), age.into()));
        }
        let app = Universe::isolated(pairs(&env)).unwrap();
        let id = app.create_world("Earth").unwrap();
        let before = our_backend_pids(&mut client, &pg.schema);
        assert_eq!(before.len(), 1);
        std::thread::sleep(Duration::from_millis(500));
        app.make_it_so(id, "dinosaurs").unwrap();
        // A replaced connection's server process may take a moment to exit.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut after = our_backend_pids(&mut client, &pg.schema);
        while after.len() > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            after = our_backend_pids(&mut client, &pg.schema);
        }
        assert_eq!(after.len(), 1);
        assert_eq!(
            before != after,
            replaced,
            "max age {max_age:?}: {before:?} then {after:?}"
        );
    }
}

#[test]
fn an_injection_in_the_schema_name_is_refused() {
    let mut env = eventsourcing_tests::backends::postgres_connection();
    env.push(("INFRASTRUCTURE_FACTORY".into(), "postgres".into()));
    env.push((
        "POSTGRES_SCHEMA".into(),
        "public; DROP TABLE universe_events; --".into(),
    ));
    let err = Universe::isolated(pairs(&env)).unwrap_err();
    assert!(
        matches!(err, Error::InvalidIdentifier { what: "schema", .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("expected letters, digits and underscores"),
        "{err}"
    );
}

#[test]
fn a_writer_using_the_sequence_interleaves_with_ours_without_gaps_or_collisions() {
    let Some(pg) = PgSchema::new() else { return };
    let app = Universe::isolated(pairs(&pg.env())).unwrap();
    let id = app.create_world("Earth").unwrap();
    // A failed save spends no notification id.
    let mut stale: eventsourcing_tests::handwritten::World = app.repository().get(id).unwrap();
    app.make_it_so(id, "dinosaurs").unwrap();
    stale.make_it_so("trucks");
    assert!(matches!(
        app.save(&mut stale),
        Err(Error::VersionConflict { .. })
    ));
    // Another writer (as the Python library writes) takes its id from the sequence.
    let mut client = postgres_client().unwrap();
    let table = format!("{}.universe_events", pg.schema);
    let mut tx = client.transaction().unwrap();
    tx.batch_execute(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE"))
        .unwrap();
    let other: i64 = tx
        .query_one(
            &format!(
                "INSERT INTO {table} (originator_id, originator_version, topic, state) \
                 VALUES ($1, 1, 'other:Thing.Created', '\\x7b7d') RETURNING notification_id"
            ),
            &[&eventsourcing::Uuid::new_v4()],
        )
        .unwrap()
        .get(0);
    tx.commit().unwrap();
    assert_eq!(other, 3);
    app.make_it_so(id, "internet").unwrap();
    let ids: Vec<u64> = app
        .log()
        .section("1,10")
        .unwrap()
        .items
        .iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(ids, [1, 2, 3, 4]);
}
