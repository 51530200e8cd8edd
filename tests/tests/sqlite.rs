//! The SQLite recorder: the stored table, WAL, the lock timeout, and several
//! processes writing to one file.

use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

use eventsmith::{ErrorKind, NotificationLogReader};
use eventsmith_generated::world::{Universe, World, WorldId};
use eventsmith_tests::backends::{SqliteFile, pairs};

#[test]
fn the_table_is_the_python_librarys_and_the_file_uses_wal() {
    let file = SqliteFile::new();
    let app = Universe::isolated(pairs(&file.env())).unwrap();
    let id = app.create_world("Earth").unwrap();
    let conn = rusqlite::Connection::open(&file.path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let columns = file.columns("stored_events");
    let expected = [
        ("originator_id", "TEXT", 1),
        ("originator_version", "INTEGER", 2),
        ("topic", "TEXT", 0),
        ("state", "BLOB", 0),
    ];
    assert_eq!(
        columns,
        expected
            .map(|(n, t, k)| (n.to_owned(), t.to_owned(), k))
            .to_vec()
    );
    let (rowid, stored_id, topic): (i64, String, String) = conn
        .query_row(
            "SELECT rowid, originator_id, topic FROM stored_events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((rowid, topic.as_str()), (1, "universe:World.Started"));
    assert_eq!(
        stored_id,
        id.uuid().simple().to_string(),
        "ids are stored as 32 hex characters"
    );
}

#[test]
fn a_reopened_file_keeps_everything() {
    let file = SqliteFile::new();
    let id = {
        let app = Universe::isolated(pairs(&file.env())).unwrap();
        let id = app.create_world("Earth").unwrap();
        app.make_it_so(id, "dinosaurs").unwrap();
        id
    };
    let app = Universe::isolated(pairs(&file.env())).unwrap();
    assert_eq!(app.get_history(id).unwrap(), ["dinosaurs"]);
    app.make_it_so(id, "trucks").unwrap();
    assert_eq!(app.log().max_notification_id().unwrap(), Some(3));
}

#[test]
fn a_held_write_lock_makes_a_save_wait_then_fail_after_the_lock_timeout() {
    let file = SqliteFile::new();
    let mut env = file.env();
    env.push(("SQLITE_LOCK_TIMEOUT".into(), "0.2".into()));
    let app = Universe::isolated(pairs(&env)).unwrap();
    let mut other = rusqlite::Connection::open(&file.path).unwrap();
    let tx = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let started = Instant::now();
    let err = app.create_world("Earth").unwrap_err();
    assert!(matches!(*err.kind(), ErrorKind::Sqlite(_)), "{err}");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "waited for the lock"
    );
    drop(tx);
    // Nothing was written, and the application carries on.
    assert_eq!(app.log().max_notification_id().unwrap(), None);
    app.create_world("Earth").unwrap();
}

#[test]
fn a_conflicting_save_writes_nothing() {
    let file = SqliteFile::new();
    let app = Universe::isolated(pairs(&file.env())).unwrap();
    let id = app.create_world("Earth").unwrap();
    let mut stale: World = app.repository().get(id).unwrap();
    app.make_it_so(id, "dinosaurs").unwrap();
    stale.make_it_so("trucks");
    stale.make_it_so("internet");
    let err = app.save(&mut stale).unwrap_err();
    assert!(
        matches!(
            *err.kind(),
            ErrorKind::VersionConflict {
                originator_version: 2,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(app.log().max_notification_id().unwrap(), Some(2));
    assert_eq!(app.get_history(id).unwrap(), ["dinosaurs"]);
}

#[test]
fn several_processes_write_to_one_file_without_losing_an_event() {
    const PROCESSES: usize = 4;
    const WORLDS: usize = 25;
    const EVENTS: usize = 4;
    let file = SqliteFile::new();
    // Create the table first so the writers race only on inserts.
    drop(Universe::isolated(pairs(&file.env())).unwrap());
    // All the writers at once, each in its own process.
    let running: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_writer"))
                .args([WORLDS.to_string(), EVENTS.to_string()])
                .env_clear()
                .envs(file.env())
                .env("SQLITE_LOCK_TIMEOUT", "30")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = running
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut saved = HashSet::new();
    for output in &outputs {
        assert!(
            output.status.success(),
            "writer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            saved.insert(line.parse::<eventsmith::Uuid>().unwrap());
        }
    }
    assert_eq!(saved.len(), PROCESSES * WORLDS);
    let app = Universe::isolated(pairs(&file.env())).unwrap();
    let all: Vec<_> = NotificationLogReader::new(app.log())
        .read(1)
        .collect::<Result<_, _>>()
        .unwrap();
    let total = (PROCESSES * WORLDS * EVENTS) as u64;
    assert_eq!(
        all.iter().map(|n| n.id).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>()
    );
    for id in saved {
        assert_eq!(
            app.get_world(WorldId::from_uuid_unchecked(id))
                .unwrap()
                .history()
                .len(),
            EVENTS - 1
        );
    }
}

/// While one thread is in the middle of reading an aggregate (its callback
/// paused on the first event), other threads read other aggregates and the
/// log, and write: each reading thread has a connection of its own.
#[test]
fn reads_go_on_while_another_thread_is_in_the_middle_of_a_replay() {
    use eventsmith::persistence::EventQuery;
    use std::sync::mpsc;

    let file = SqliteFile::new();
    let app = Universe::isolated(pairs(&file.env())).unwrap();
    let big = app.create_world("Earth").unwrap();
    for i in 0..50 {
        app.make_it_so(big, format!("event {i}")).unwrap();
    }
    let small = app.create_world("Mars").unwrap();
    let (started, on_started) = mpsc::channel();
    let (go, on_go) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let app = &app;
        let replay = scope.spawn(move || {
            let mut seen = 0;
            app.as_application()
                .event_store()
                .recorder()
                .for_each_event(big.uuid(), EventQuery::new(), &mut |_| {
                    if seen == 0 {
                        started.send(()).unwrap();
                        on_go.recv().unwrap();
                    }
                    seen += 1;
                    Ok(())
                })
                .map(|()| seen)
        });
        on_started.recv().unwrap();
        // Twenty readers at once, more than the idle readers kept.
        let (done, on_done) = mpsc::channel();
        for _ in 0..20 {
            let done = done.clone();
            scope.spawn(move || {
                let read = app
                    .get_history(small)
                    .map(|h| h.is_empty())
                    .and_then(|empty| Ok(empty && app.log().section("1,10")?.items.len() == 10));
                done.send(read).unwrap();
            });
        }
        for _ in 0..20 {
            let read = on_done
                .recv_timeout(Duration::from_secs(60))
                .expect("a read waited for the paused replay");
            assert!(read.unwrap());
        }
        app.make_it_so(small, "written meanwhile").unwrap();
        go.send(()).unwrap();
        assert_eq!(replay.join().unwrap().unwrap(), 51);
    });
    assert_eq!(app.get_history(small).unwrap(), ["written meanwhile"]);
}
