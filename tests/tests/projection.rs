//! Projections: a read model of counts of worlds' events, kept in tables of
//! its own on SQLite and PostgreSQL, each change written in the
//! transaction that stores the notification's tracking record.

use std::time::Duration;

use eventsmith::persistence::{Environment, Tracking, TrackingRecorder};
use eventsmith::postgres::PostgresRecorder;
use eventsmith::sqlite::SqliteRecorder;
use eventsmith::system::project;
use eventsmith::{Aggregate, Application, ErrorKind, PolicyError};
use eventsmith_generated::world::{Universe, World, WorldEvent, WorldId};
use eventsmith_tests::backends::{PgSchema, SqliteFile, pairs};
use eventsmith_tests::follow::write_worlds;

const SQLITE_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS world_events (world_id TEXT PRIMARY KEY, events INTEGER NOT NULL)";

fn sqlite_count(event: WorldEvent, conn: &mut rusqlite::Connection) -> Result<(), PolicyError> {
    conn.execute_batch(SQLITE_TABLE)?;
    match event {
        WorldEvent::Started(e) => conn.execute(
            "INSERT INTO world_events VALUES (?1, 1)",
            [e.originator_id.to_string()],
        )?,
        WorldEvent::SomethingHappened(e) => conn.execute(
            "UPDATE world_events SET events = events + 1 WHERE world_id = ?1",
            [e.originator_id.to_string()],
        )?,
    };
    Ok(())
}

fn pg_count(event: WorldEvent, client: &mut postgres::Client) -> Result<(), PolicyError> {
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS world_events (world_id uuid PRIMARY KEY, events bigint NOT NULL)",
    )?;
    match event {
        WorldEvent::Started(e) => client.execute(
            "INSERT INTO world_events VALUES ($1, 1)",
            &[&e.originator_id.uuid()],
        )?,
        WorldEvent::SomethingHappened(e) => client.execute(
            "UPDATE world_events SET events = events + 1 WHERE world_id = $1",
            &[&e.originator_id.uuid()],
        )?,
    };
    Ok(())
}

fn sqlite_events(path: &str, world: WorldId) -> Option<i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT events FROM world_events WHERE world_id = ?1",
        [world.to_string()],
        |row| row.get(0),
    )
    .ok()
}

/// The universe in the SQLite file `leader`, and the recorder of the
/// view `WorldCounts` in the file `view`.
fn sqlite_leader_and_view(leader: &SqliteFile, view: &SqliteFile) -> (Application, SqliteRecorder) {
    let universe =
        Application::isolated_with_defaults("Universe", Universe::DEFAULTS, pairs(&leader.env()))
            .unwrap();
    let view = SqliteRecorder::from_env(&Environment::isolated("WorldCounts", pairs(&view.env())))
        .unwrap();
    (universe, view)
}

#[test]
fn a_sqlite_read_model_is_written_with_its_position_or_not_at_all() {
    let (leader_file, view_file) = (SqliteFile::new(), SqliteFile::new());
    let (universe, view) = sqlite_leader_and_view(&leader_file, &view_file);
    let path = &view_file.path;
    let worlds = write_worlds(&universe, &[2, 4]);
    // Fails at the third notification, after writing its change: nothing
    // of it stays.
    let err = project::<WorldEvent, _, _>(&view, &universe, |event, conn| {
        let third = matches!(&event, WorldEvent::SomethingHappened(e) if e.originator_version == 3);
        sqlite_count(event, conn)?;
        if third {
            return Err("the projection failed after writing".into());
        }
        Ok(())
    })
    .unwrap_err();
    assert!(
        matches!(
            *err.kind(),
            ErrorKind::Policy {
                notification_id: 3,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(view.max_tracking_id("Universe").unwrap(), Some(2));
    assert_eq!(sqlite_events(path, worlds[0]), Some(2));
    // Then on, once each.
    assert_eq!(
        project::<WorldEvent, _, _>(&view, &universe, sqlite_count).unwrap(),
        6
    );
    assert_eq!(
        project::<WorldEvent, _, _>(&view, &universe, sqlite_count).unwrap(),
        0
    );
    assert_eq!(sqlite_events(path, worlds[0]), Some(3));
    assert_eq!(sqlite_events(path, worlds[1]), Some(5));
    assert_eq!(view.max_tracking_id("Universe").unwrap(), Some(8));
}

/// A projection that panics after writing leaves nothing of its
/// notification, and the view's connection is not left inside the
/// transaction: the next projection carries on from the position.
#[test]
fn a_sqlite_projection_that_panics_leaves_nothing_and_the_view_carries_on() {
    let (leader_file, view_file) = (SqliteFile::new(), SqliteFile::new());
    let (universe, view) = sqlite_leader_and_view(&leader_file, &view_file);
    let path = &view_file.path;
    let worlds = write_worlds(&universe, &[2]);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        project::<WorldEvent, _, _>(&view, &universe, |event, conn| {
            let second =
                matches!(&event, WorldEvent::SomethingHappened(e) if e.originator_version == 2);
            sqlite_count(event, conn)?;
            assert!(!second, "the projection panics after writing");
            Ok(())
        })
    }));
    assert!(panicked.is_err());
    assert_eq!(view.max_tracking_id("Universe").unwrap(), Some(1));
    assert_eq!(sqlite_events(path, worlds[0]), Some(1));
    assert_eq!(
        project::<WorldEvent, _, _>(&view, &universe, sqlite_count).unwrap(),
        2
    );
    assert_eq!(sqlite_events(path, worlds[0]), Some(3));
    assert_eq!(view.max_tracking_id("Universe").unwrap(), Some(3));
}

/// The events the PostgreSQL view counted for `world`, read in a client of
/// the test's own.
fn pg_events(client: &mut postgres::Client, pg: &PgSchema, world: WorldId) -> Option<i64> {
    client
        .query_opt(
            &format!(
                "SELECT events FROM \"{}\".world_events WHERE world_id = $1",
                pg.schema
            ),
            &[&world.uuid()],
        )
        .ok()
        .flatten()
        .map(|row| row.get(0))
}

#[test]
fn a_postgres_read_model_is_written_with_its_position_and_read_after_a_wait() {
    let Some(pg) = PgSchema::new() else { return };
    let universe =
        Application::isolated_with_defaults("Universe", Universe::DEFAULTS, pairs(&pg.env()))
            .unwrap();
    let view = pg.recorder("WorldCounts");
    let mut client = eventsmith_tests::backends::postgres_client().unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        // The projection runs beside the writer.
        let runner = scope.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                project::<WorldEvent, _, _>(&view, &universe, |event, client| {
                    client.batch_execute(&format!("SET LOCAL search_path TO \"{}\"", pg.schema))?;
                    pg_count(event, client)
                })
                .unwrap();
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        for n in [1, 3, 2] {
            let mut world = World::create("Mars");
            for i in 0..n {
                world.make_it_so(format!("thing {i}"));
            }
            let ids = universe.save(&mut world).unwrap();
            // Read-your-writes: wait for the last of the save's notifications.
            view.wait("Universe", ids.last().copied(), Duration::from_secs(10))
                .unwrap();
            assert_eq!(pg_events(&mut client, &pg, world.id()), Some(n as i64 + 1));
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        runner.join().unwrap();
    });
    assert_eq!(view.max_tracking_id("Universe").unwrap(), Some(9));
    // A view's lag, read the same way as a follower's.
    let lag = eventsmith::system::lag("WorldCounts", &view, &universe).unwrap();
    assert_eq!(
        (lag.position, lag.head, lag.behind()),
        (Some(9), Some(9), 0)
    );
    write_worlds(&universe, &[1]);
    let lag = eventsmith::system::lag("WorldCounts", &view, &universe).unwrap();
    assert_eq!(
        (lag.position, lag.head, lag.behind()),
        (Some(9), Some(11), 2)
    );
}

/// A PostgreSQL projection that panics after writing leaves nothing of its
/// notification, even on the view's one pooled connection: the connection
/// is closed rather than handed back inside the projection's transaction,
/// where the next call, however unrelated, committed what it wrote.
#[test]
fn a_postgres_projection_that_panics_leaves_nothing_and_the_view_carries_on() {
    let Some(pg) = PgSchema::new() else { return };
    let universe =
        Application::isolated_with_defaults("Universe", Universe::DEFAULTS, pairs(&pg.env()))
            .unwrap();
    let mut env = pg.env();
    env.extend([
        ("POSTGRES_POOL_SIZE".to_owned(), "1".to_owned()),
        ("POSTGRES_MAX_OVERFLOW".to_owned(), "0".to_owned()),
    ]);
    let view =
        PostgresRecorder::from_env(&Environment::isolated("WorldCounts", pairs(&env))).unwrap();
    let schema = pg.schema.clone();
    let count = move |event: WorldEvent, client: &mut postgres::Client| {
        client.batch_execute(&format!("SET LOCAL search_path TO \"{schema}\""))?;
        pg_count(event, client)
    };
    let mut client = eventsmith_tests::backends::postgres_client().unwrap();
    let mut events = |world: WorldId| pg_events(&mut client, &pg, world);
    let worlds = write_worlds(&universe, &[2]);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        project::<WorldEvent, _, _>(&view, &universe, |event, client| {
            let second =
                matches!(&event, WorldEvent::SomethingHappened(e) if e.originator_version == 2);
            count(event, client)?;
            assert!(!second, "the projection panics after writing");
            Ok(())
        })
    }));
    assert!(panicked.is_err());
    // Another write through the view's one connection commits nothing of it.
    view.insert_tracking(&Tracking::new("Other", 5)).unwrap();
    assert_eq!(view.max_tracking_id("Universe").unwrap(), Some(1));
    assert_eq!(events(worlds[0]), Some(1));
    assert_eq!(
        project::<WorldEvent, _, _>(&view, &universe, count).unwrap(),
        2
    );
    assert_eq!(events(worlds[0]), Some(3));
    assert_eq!(view.max_tracking_id("Universe").unwrap(), Some(3));
}

/// A SQLite projection that ends the transaction it is given (its own
/// COMMIT, or a statement SQLite rolls back on conflict, its error
/// ignored) is an error, and the position is not recorded past it: its
/// writes and the position cannot be stored together any more.
#[test]
fn a_sqlite_projection_that_ends_its_transaction_records_no_position() {
    let (leader_file, view_file) = (SqliteFile::new(), SqliteFile::new());
    let universe = Application::isolated_with_defaults(
        "Universe",
        Universe::DEFAULTS,
        pairs(&leader_file.env()),
    )
    .unwrap();
    write_worlds(&universe, &[1]);
    type End = fn(&mut rusqlite::Connection);
    let ends: [(&str, End); 2] = [
        ("a COMMIT", |conn| conn.execute_batch("COMMIT").unwrap()),
        ("a conflict rolled back", |conn| {
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS once (x INTEGER UNIQUE ON CONFLICT ROLLBACK);
                 INSERT OR IGNORE INTO once VALUES (1);",
            )
            .unwrap();
            let _ignored = conn.execute("INSERT INTO once VALUES (1)", []);
        }),
    ];
    for (how, end) in ends {
        let view = SqliteRecorder::from_env(&Environment::isolated(
            "WorldCounts",
            pairs(&view_file.env()),
        ))
        .unwrap();
        let err = project::<WorldEvent, _, _>(&view, &universe, |_, conn| {
            end(conn);
            Ok(())
        })
        .unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::ViewTransactionEnded {
                    notification_id: 1,
                    ..
                }
            ),
            "{how}: {err}"
        );
        assert_eq!(view.max_tracking_id("Universe").unwrap(), None, "{how}");
    }
}

/// A follower or projection that keeps its position in a database cannot
/// follow a leader whose events are kept in memory (in another process, or
/// gone when this one ends): an error naming both, and nothing processed,
/// rather than zero events processed without a word. In memory both, it
/// follows (one process).
#[test]
fn a_leader_in_memory_is_refused_to_a_follower_in_a_database() {
    use eventsmith::system::process;
    use eventsmith_generated::bank_accounts::Bank;
    let universe = Application::isolated_with_defaults(
        "Universe",
        Universe::DEFAULTS,
        std::iter::empty::<(&str, &str)>(),
    )
    .unwrap();
    write_worlds(&universe, &[1]);
    let (bank_file, view_file) = (SqliteFile::new(), SqliteFile::new());
    let bank = Application::isolated_with_defaults("Bank", Bank::DEFAULTS, pairs(&bank_file.env()))
        .unwrap();
    let err = process::<WorldEvent, _>(&bank, &universe, |_, _| Ok(())).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LeaderInMemory { follower, leader, backend: "sqlite", .. }
            if follower == "Bank" && leader == "Universe"),
        "{err}"
    );
    assert!(err.to_string().contains("UNIVERSE_SQLITE_DBNAME"), "{err}");
    let recorder = bank.process_recorder().unwrap();
    assert_eq!(recorder.max_tracking_id("Universe").unwrap(), None);

    let view = SqliteRecorder::from_env(&Environment::isolated(
        "WorldCounts",
        pairs(&view_file.env()),
    ))
    .unwrap();
    let err = project::<WorldEvent, _, _>(&view, &universe, |_, _| Ok(())).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LeaderInMemory { .. }),
        "{err}"
    );
    assert_eq!(view.max_tracking_id("Universe").unwrap(), None);

    // In memory too (the default, or SQLite's private database): allowed.
    for settings in [
        vec![],
        vec![
            ("PERSISTENCE_MODULE", "sqlite"),
            ("SQLITE_DBNAME", ":memory:"),
        ],
    ] {
        let in_memory =
            Application::isolated_with_defaults("Bank", Bank::DEFAULTS, settings).unwrap();
        assert_eq!(
            process::<WorldEvent, _>(&in_memory, &universe, |_, _| Ok(())).unwrap(),
            2
        );
    }
}
