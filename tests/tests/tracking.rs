//! Tracking and process recording on every backend, as the Python library
//! records them: single-row tracking (one row per application name, a
//! record at or below it refused), `has_tracking_id` and `wait` with
//! Python's semantics, events and tracking stored in one transaction, the
//! tables created as Python creates them (with the `__migration__` row),
//! and a Python process recorder and a Rust one taking over each other's
//! position on a SQLite file and in PostgreSQL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventsmith::persistence::{EventQuery, StoredEvent, Tracking, TrackingRecorder};
use eventsmith::postgres::PostgresConfig;
use eventsmith::sqlite::{SqliteConfig, SqliteRecorder};
use eventsmith::{Environment, Error, ErrorKind, Uuid};
use eventsmith_tests::backends::{
    Backend, PYTHON_AUTOVACUUM_OPTIONS, PgSchema, SqliteFile, Store, backends, databases,
    postgres_client,
};
use eventsmith_tests::python::Python;

fn event(id: Uuid, version: u64) -> StoredEvent {
    StoredEvent {
        originator_id: id,
        originator_version: version,
        topic: "tracking.test:Event".to_owned().into(),
        state: b"{}".to_vec(),
    }
}

fn is_tracking_conflict(err: &Error, app: &str, id: u64) -> bool {
    matches!(err.kind(), ErrorKind::TrackingConflict { application_name, notification_id }
        if application_name == app && *notification_id == id)
}

/// The rows a new tracking table holds: the Python library's migration row.
fn migration_row() -> Vec<(String, i64)> {
    vec![("__migration__".to_owned(), 1)]
}

/// `Upstream`'s stored position, set to -4 with plain SQL, read: an error
/// naming the application and the value.
fn a_negative_id_is_an_error_naming_the_application(recorder: &dyn TrackingRecorder) {
    let err = recorder.max_tracking_id("Upstream").unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::InvalidTracking { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("Upstream") && err.to_string().contains("-4"),
        "{err}"
    );
}

#[test]
fn max_and_has_tracking_id_as_python_reads_them() {
    for b in backends() {
        let r = &b.recorder("Downstream");
        assert_eq!(r.max_tracking_id("Upstream").unwrap(), None, "{}", b.name);
        assert!(r.has_tracking_id("Upstream", None).unwrap(), "{}", b.name);
        assert!(
            !r.has_tracking_id("Upstream", Some(1)).unwrap(),
            "{}",
            b.name
        );
        r.insert_tracking(&Tracking::new("Upstream", 3)).unwrap();
        assert_eq!(
            r.max_tracking_id("Upstream").unwrap(),
            Some(3),
            "{}",
            b.name
        );
        assert!(
            r.has_tracking_id("Upstream", Some(3)).unwrap(),
            "{}",
            b.name
        );
        assert!(
            r.has_tracking_id("Upstream", Some(1)).unwrap(),
            "{}",
            b.name
        );
        assert!(
            !r.has_tracking_id("Upstream", Some(4)).unwrap(),
            "{}",
            b.name
        );
        // Applications are tracked apart.
        assert_eq!(r.max_tracking_id("Other").unwrap(), None, "{}", b.name);
        r.insert_tracking(&Tracking::new("Other", 1)).unwrap();
        assert_eq!(r.max_tracking_id("Other").unwrap(), Some(1), "{}", b.name);
        assert_eq!(
            r.max_tracking_id("Upstream").unwrap(),
            Some(3),
            "{}",
            b.name
        );
    }
}

#[test]
fn single_row_tracking_refuses_an_id_at_or_below_the_recorded_one() {
    for b in backends() {
        let r = &b.recorder("Downstream");
        r.insert_tracking(&Tracking::new("Upstream", 5)).unwrap();
        for id in [5, 4, 0] {
            let err = r
                .insert_tracking(&Tracking::new("Upstream", id))
                .unwrap_err();
            assert!(
                is_tracking_conflict(&err, "Upstream", id),
                "{}: {err}",
                b.name
            );
            assert!(err.to_string().contains("Upstream"), "{err}");
        }
        assert_eq!(
            r.max_tracking_id("Upstream").unwrap(),
            Some(5),
            "{}",
            b.name
        );
        r.insert_tracking(&Tracking::new("Upstream", 9)).unwrap();
        assert_eq!(
            r.max_tracking_id("Upstream").unwrap(),
            Some(9),
            "{}",
            b.name
        );
        // Ids the databases cannot store are refused, not cut short.
        if !matches!(b.store, Store::Memory) {
            let err = r
                .insert_tracking(&Tracking::new("Upstream", u64::MAX))
                .unwrap_err();
            assert!(
                matches!(*err.kind(), ErrorKind::InvalidTracking { .. }),
                "{}: {err}",
                b.name
            );
            assert_eq!(
                r.max_tracking_id("Upstream").unwrap(),
                Some(9),
                "{}",
                b.name
            );
        }
    }
}

#[test]
fn wait_times_out_with_a_typed_error_and_returns_once_another_thread_records() {
    for b in backends() {
        let r = &b.recorder("Downstream");
        r.wait("Upstream", None, Duration::ZERO).unwrap();
        let start = Instant::now();
        let err = r
            .wait("Upstream", Some(1), Duration::from_millis(250))
            .unwrap_err();
        let waited = start.elapsed();
        assert!(
            matches!(err.kind(), ErrorKind::TrackingTimeout { application_name, notification_id: Some(1), timeout }
                if application_name == "Upstream" && *timeout == Duration::from_millis(250)),
            "{}: {err}",
            b.name
        );
        let message = err.to_string();
        assert!(
            message.contains("notification 1") && message.contains("\"Upstream\""),
            "{message}"
        );
        // Python's backoff: 100 ms, then 150 (the time left), then past the deadline.
        assert!(
            waited >= Duration::from_millis(250),
            "{}: {waited:?}",
            b.name
        );
        assert!(
            waited < Duration::from_millis(1500),
            "{}: {waited:?}",
            b.name
        );

        let writer = Arc::clone(r);
        let start = Instant::now();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            writer
                .insert_tracking(&Tracking::new("Upstream", 2))
                .unwrap();
        });
        r.wait("Upstream", Some(2), Duration::from_secs(10))
            .unwrap();
        let waited = start.elapsed();
        thread.join().unwrap();
        assert!(
            waited >= Duration::from_millis(300),
            "{}: {waited:?}",
            b.name
        );
        assert!(waited < Duration::from_secs(3), "{}: {waited:?}", b.name);
        // Already there: no wait at all.
        let start = Instant::now();
        r.wait("Upstream", Some(1), Duration::from_secs(10))
            .unwrap();
        assert!(start.elapsed() < Duration::from_millis(100), "{}", b.name);
    }
}

#[test]
fn events_and_tracking_are_stored_together_or_not_at_all() {
    for b in backends() {
        let r = &b.recorder("Downstream");
        let (a, c) = (Uuid::new_v4(), Uuid::new_v4());
        let ids = r
            .insert_events_tracked(
                &[event(a, 1), event(a, 2)],
                Some(&Tracking::new("Upstream", 1)),
            )
            .unwrap();
        assert_eq!(ids, vec![1, 2], "{}", b.name);
        assert_eq!(
            r.max_tracking_id("Upstream").unwrap(),
            Some(1),
            "{}",
            b.name
        );

        // A refused tracking record: none of the events is stored.
        for id in [1, 0] {
            let err = r
                .insert_events_tracked(&[event(c, 1)], Some(&Tracking::new("Upstream", id)))
                .unwrap_err();
            assert!(
                is_tracking_conflict(&err, "Upstream", id),
                "{}: {err}",
                b.name
            );
        }
        assert!(
            r.select_events(c, EventQuery::new()).unwrap().is_empty(),
            "{}",
            b.name
        );
        assert_eq!(r.max_notification_id().unwrap(), Some(2), "{}", b.name);

        // Conflicting events: the tracking record is not stored.
        let err = r
            .insert_events_tracked(
                &[event(c, 1), event(a, 2)],
                Some(&Tracking::new("Upstream", 2)),
            )
            .unwrap_err();
        assert!(
            matches!(*err.kind(), ErrorKind::VersionConflict { .. }),
            "{}: {err}",
            b.name
        );
        assert_eq!(
            r.max_tracking_id("Upstream").unwrap(),
            Some(1),
            "{}",
            b.name
        );
        assert!(
            r.select_events(c, EventQuery::new()).unwrap().is_empty(),
            "{}",
            b.name
        );
        let err = r
            .insert_events_tracked(&[event(c, 2)], Some(&Tracking::new("Upstream", 2)))
            .unwrap_err();
        assert!(
            matches!(*err.kind(), ErrorKind::VersionGap { .. }),
            "{}: {err}",
            b.name
        );
        assert_eq!(
            r.max_tracking_id("Upstream").unwrap(),
            Some(1),
            "{}",
            b.name
        );

        // Both right: both stored, the log without a gap.
        let ids = r
            .insert_events_tracked(&[event(c, 1)], Some(&Tracking::new("Upstream", 2)))
            .unwrap();
        assert_eq!(ids, vec![3], "{}", b.name);
        assert_eq!(
            r.max_tracking_id("Upstream").unwrap(),
            Some(2),
            "{}",
            b.name
        );
        // Without tracking, as an ordinary insert; tracking alone, with no events.
        assert_eq!(
            r.insert_events_tracked(&[event(c, 2)], None).unwrap(),
            vec![4]
        );
        assert!(
            r.insert_events_tracked(&[], Some(&Tracking::new("Upstream", 7)))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            r.max_tracking_id("Upstream").unwrap(),
            Some(7),
            "{}",
            b.name
        );
        assert_eq!(r.max_notification_id().unwrap(), Some(4), "{}", b.name);
    }
}

#[test]
fn concurrent_writers_record_each_position_once() {
    for b in backends() {
        let recorder = b.recorder("Downstream");
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let r = Arc::clone(&recorder);
                std::thread::spawn(move || {
                    let mut recorded = Vec::new();
                    for id in 1..=10 {
                        let tracking = Tracking::new("Upstream", id);
                        match r.insert_events_tracked(&[event(Uuid::new_v4(), 1)], Some(&tracking))
                        {
                            Ok(_) => recorded.push(id),
                            Err(e) if matches!(e.kind(), ErrorKind::TrackingConflict { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                    recorded
                })
            })
            .collect();
        let mut recorded: Vec<u64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        recorded.sort_unstable();
        // Each position once at most, and only events of recorded positions stored.
        recorded.dedup();
        let count = recorded.len();
        assert!(count >= 1, "{}", b.name);
        assert_eq!(
            recorder.max_notification_id().unwrap(),
            Some(u64::try_from(count).unwrap()),
            "{}: {recorded:?}",
            b.name
        );
        assert_eq!(
            recorder.max_tracking_id("Upstream").unwrap(),
            recorded.last().copied()
        );
    }
}

#[test]
fn the_sqlite_table_is_pythons_with_its_migration_row() {
    let file = SqliteFile::new();
    let recorder = SqliteRecorder::open(&file.path).unwrap();
    assert_eq!(recorder.max_tracking_id("Upstream").unwrap(), None);
    let conn = rusqlite::Connection::open(&file.path).unwrap();
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tracking'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The Python library's statement, without its "IF NOT EXISTS".
    assert_eq!(
        sql,
        "CREATE TABLE tracking (application_name TEXT, notification_id INTEGER, \
         PRIMARY KEY (application_name)) WITHOUT ROWID"
    );
    assert_eq!(
        file.columns("tracking"),
        vec![
            ("application_name".to_owned(), "TEXT".to_owned(), 1),
            ("notification_id".to_owned(), "INTEGER".to_owned(), 0),
        ]
    );
    let rows: Vec<(String, i64)> = conn
        .prepare("SELECT application_name, notification_id FROM tracking")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, migration_row());
    // A second recorder on the file finds the table as it is.
    let again = SqliteRecorder::open(&file.path).unwrap();
    again
        .insert_tracking(&Tracking::new("Upstream", 1))
        .unwrap();
    assert_eq!(recorder.max_tracking_id("Upstream").unwrap(), Some(1));
    // A stored id below 0 is an error naming the application.
    conn.execute(
        "UPDATE tracking SET notification_id = -4 WHERE application_name = 'Upstream'",
        [],
    )
    .unwrap();
    a_negative_id_is_an_error_naming_the_application(&recorder);
}

#[test]
fn a_legacy_multi_row_table_is_refused_not_used() {
    let file = SqliteFile::new();
    let conn = rusqlite::Connection::open(&file.path).unwrap();
    conn.execute_batch(
        "CREATE TABLE tracking (application_name TEXT, notification_id INTEGER, \
         PRIMARY KEY (application_name, notification_id)) WITHOUT ROWID; \
         INSERT INTO tracking VALUES ('Upstream', 1), ('Upstream', 2);",
    )
    .unwrap();
    let recorder = SqliteRecorder::open(&file.path).unwrap();
    let err = recorder.max_tracking_id("Upstream").unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::InvalidTracking { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("legacy multi-row"), "{err}");
}

#[test]
fn the_postgres_table_is_pythons_with_its_migration_row() {
    let Some(pg) = PgSchema::new() else { return };
    let recorder = pg.recorder("Downstream");
    assert_eq!(
        recorder.qualified_tracking_table(),
        format!("\"{}\".\"downstream_tracking\"", pg.schema)
    );
    assert_eq!(recorder.max_tracking_id("Upstream").unwrap(), None);
    let mut client = postgres_client().unwrap();
    let columns: Vec<(String, String, String)> = client
        .query(
            "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name = 'downstream_tracking' ORDER BY ordinal_position",
            &[&pg.schema],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let col = |n: &str, t: &str, nullable: &str| (n.to_owned(), t.to_owned(), nullable.to_owned());
    assert_eq!(
        columns,
        vec![
            col("application_name", "text", "NO"),
            col("notification_id", "bigint", "YES")
        ]
    );
    let key: Vec<String> = client
        .query(
            "SELECT k.column_name::text FROM information_schema.table_constraints c \
             JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name) \
             WHERE c.table_schema = $1 AND c.table_name = 'downstream_tracking' \
             AND c.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position",
            &[&pg.schema],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(key, vec!["application_name".to_owned()]);
    let options: Vec<String> = client
        .query_one(
            "SELECT reloptions FROM pg_class WHERE oid = to_regclass($1)",
            &[&recorder.qualified_tracking_table()],
        )
        .unwrap()
        .get(0);
    assert_eq!(options, PYTHON_AUTOVACUUM_OPTIONS);
    let rows: Vec<(String, i64)> = client
        .query(
            &format!(
                "SELECT application_name, notification_id FROM {}",
                recorder.qualified_tracking_table()
            ),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, migration_row());
    // A stored id below 0 is an error naming the application.
    client
        .execute(
            &format!(
                "INSERT INTO {} VALUES ('Upstream', -4)",
                recorder.qualified_tracking_table()
            ),
            &[],
        )
        .unwrap();
    a_negative_id_is_an_error_naming_the_application(&recorder);
}

#[test]
fn tables_are_named_as_pythons_factory_names_them_and_multi_row_tracking_is_refused() {
    let pg_env = |name: &str, extra: &[(&str, &str)]| {
        let mut values = vec![
            ("POSTGRES_DBNAME", "eventsourcing"),
            ("POSTGRES_HOST", "127.0.0.1"),
            ("POSTGRES_USER", "eventsourcing"),
        ];
        values.extend_from_slice(extra);
        Environment::isolated(name, values)
    };
    let config = PostgresConfig::from_env(&pg_env("Downstream", &[])).unwrap();
    assert_eq!(config.tracking_table, "downstream_tracking");
    let config = PostgresConfig::from_env(&pg_env("", &[])).unwrap();
    assert_eq!(
        (config.table.as_str(), config.tracking_table.as_str()),
        ("stored_events", "notification_tracking")
    );
    let names = config.quoted_names().unwrap();
    assert_eq!(
        names.qualified_tracking_table,
        "\"public\".\"notification_tracking\""
    );
    for single_row in ["y", "true", "1"] {
        PostgresConfig::from_env(&pg_env(
            "Downstream",
            &[("SINGLE_ROW_TRACKING", single_row)],
        ))
        .unwrap();
    }
    for (variable, value) in [
        ("SINGLE_ROW_TRACKING", "n"),
        ("DOWNSTREAM_SINGLE_ROW_TRACKING", "false"),
    ] {
        let err =
            PostgresConfig::from_env(&pg_env("Downstream", &[(variable, value)])).unwrap_err();
        assert!(
            matches!(*err.kind(), ErrorKind::InvalidSetting { .. }),
            "{err}"
        );
        assert!(err.to_string().contains(variable), "{err}");
        let err = SqliteConfig::from_env(&Environment::isolated(
            "Downstream",
            [("SQLITE_DBNAME", ":memory:"), (variable, value)],
        ))
        .unwrap_err();
        assert!(
            matches!(*err.kind(), ErrorKind::InvalidSetting { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("SINGLE_ROW_TRACKING"), "{err}");
    }
}

// Python interoperability.

/// Python and Rust take over each other's position, the one or the other
/// creating the tables.
fn share_tracking(python: &Python, backend: &Backend, python_first: bool) {
    let env = backend.env();
    let name = format!("{}, python first: {python_first}", backend.name);
    let rust = || backend.recorder("Downstream");
    // `tracking.py` for the application `Downstream`.
    let py =
        |args: &[&str]| python.run_script("tracking.py", &[&["Downstream"], args].concat(), &env);
    let recorder = if python_first {
        assert_eq!(py(&["insert-events", "Upstream", "3"]), "ok", "{name}");
        rust()
    } else {
        let recorder = rust();
        recorder
            .insert_events_tracked(
                &[event(Uuid::new_v4(), 1)],
                Some(&Tracking::new("Upstream", 3)),
            )
            .unwrap();
        recorder
    };
    assert_eq!(
        recorder.max_tracking_id("Upstream").unwrap(),
        Some(3),
        "{name}"
    );
    assert_eq!(py(&["max", "Upstream"]), "3", "{name}");
    assert_eq!(py(&["max", "__migration__"]), "1", "{name}");
    assert_eq!(
        recorder.max_tracking_id("__migration__").unwrap(),
        Some(1),
        "{name}"
    );

    // Rust takes over from Python's position, and Python sees it.
    let err = recorder
        .insert_tracking(&Tracking::new("Upstream", 3))
        .unwrap_err();
    assert!(is_tracking_conflict(&err, "Upstream", 3), "{name}: {err}");
    recorder
        .insert_events_tracked(
            &[event(Uuid::new_v4(), 1)],
            Some(&Tracking::new("Upstream", 5)),
        )
        .unwrap();
    assert_eq!(py(&["max", "Upstream"]), "5", "{name}");
    assert_eq!(py(&["has", "Upstream", "5"]), "true", "{name}");
    assert_eq!(py(&["has", "Upstream", "6"]), "false", "{name}");

    // Python takes over from Rust's, and Rust sees it.
    assert_eq!(py(&["insert", "Upstream", "5"]), "conflict", "{name}");
    assert_eq!(
        py(&["insert-events", "Upstream", "4"]),
        "conflict",
        "{name}"
    );
    assert_eq!(py(&["insert", "Upstream", "7"]), "ok", "{name}");
    assert_eq!(
        recorder.max_tracking_id("Upstream").unwrap(),
        Some(7),
        "{name}"
    );
    assert!(
        recorder.has_tracking_id("Upstream", Some(7)).unwrap(),
        "{name}"
    );
    recorder
        .insert_tracking(&Tracking::new("Upstream", 8))
        .unwrap();
    assert_eq!(py(&["max", "Upstream"]), "8", "{name}");
    // Python's refused insert stored no event: 1 from each side, then 1 more from Rust.
    assert_eq!(recorder.max_notification_id().unwrap(), Some(2), "{name}");
    assert_eq!(py(&["max", "Other"]), "null", "{name}");
}

#[test]
fn python_and_rust_share_tracking_in_both_databases() {
    let Some(python) = Python::find() else { return };
    for python_first in [true, false] {
        for backend in databases() {
            backend.create_schema();
            share_tracking(&python, &backend, python_first);
        }
    }
}

/// Threads that first use tracking at the same moment all create its
/// table: PostgreSQL's `CREATE TABLE IF NOT EXISTS` does not guard against
/// a creation racing it, and reports the collision on the table's row type
/// (`42710 type ... already exists`), which is no error here.
#[test]
fn threads_racing_to_create_the_postgres_tracking_table_all_succeed() {
    for _ in 0..10 {
        let Some(pg) = PgSchema::new() else { return };
        let recorder = Arc::new(pg.recorder("Downstream"));
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (recorder, barrier) = (Arc::clone(&recorder), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    recorder.max_tracking_id("Upstream")
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap().unwrap(), None);
        }
    }
}
