//! Reliability: concurrent commands, crashes mid-save, server faults, and
//! secrets. Each test would fail if an acknowledged event were lost, a batch
//! were stored in part, or an error other than the expected kind appeared.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use eventsmith::persistence::AesCipher;
use eventsmith::{ErrorKind, NotificationLogReader, Uuid};
use eventsmith_generated::world::{Universe, WorldId};
use eventsmith_tests::backends::{
    PgSchema, PrivateServer, SqliteFile, databases, pairs, postgres_client, with,
};

/// Every notification, checked to be numbered 1..=N with no gap and each
/// (aggregate, version) once; returned per aggregate as its versions.
fn check_log(app: &Universe) -> BTreeMap<Uuid, Vec<u64>> {
    let all: Vec<_> = NotificationLogReader::new(app.log())
        .with_section_size(1000)
        .read(1)
        .collect::<Result<_, _>>()
        .unwrap();
    eventsmith_tests::check_log(&all)
}

// 1. Concurrent commands ------------------------------------------------------

const THREADS: usize = 8;
const COMMANDS: usize = 500;
const AGGREGATES: usize = 10;

fn concurrent_read_modify_write(env: &[(String, String)]) {
    let app = Arc::new(Universe::isolated(pairs(env)).unwrap());
    let ids: Arc<Vec<WorldId>> = Arc::new(
        (0..AGGREGATES)
            .map(|i| app.create_world(format!("world {i}")).unwrap())
            .collect(),
    );
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (app, ids) = (app.clone(), ids.clone());
            thread::spawn(move || {
                let mut succeeded = Vec::with_capacity(COMMANDS);
                let mut conflicts = 0u64;
                for i in 0..COMMANDS {
                    let id = ids[(t * 3 + i * 7) % AGGREGATES];
                    let what = format!("{t}:{i}");
                    loop {
                        match app.make_it_so(id, what.clone()) {
                            Ok(()) => {
                                succeeded.push((id, what));
                                break;
                            }
                            Err(e) if matches!(e.kind(), ErrorKind::VersionConflict { .. }) => {
                                conflicts += 1
                            }
                            Err(other) => {
                                panic!("a command saw an error other than a conflict: {other}")
                            }
                        }
                    }
                }
                (succeeded, conflicts)
            })
        })
        .collect();
    let mut expected: HashMap<WorldId, Vec<String>> = HashMap::new();
    let mut conflicts = 0;
    for h in handles {
        let (succeeded, c) = h.join().unwrap();
        conflicts += c;
        for (id, what) in succeeded {
            expected.entry(id).or_default().push(what);
        }
    }
    eprintln!(
        "{} commands, {conflicts} conflicts retried",
        THREADS * COMMANDS
    );
    for id in ids.iter() {
        let mut history = app.get_history(*id).unwrap();
        let mut wanted = expected.remove(id).unwrap_or_default();
        // Each thread's commands on one aggregate keep their order.
        for t in 0..THREADS {
            let prefix = format!("{t}:");
            let mine: Vec<_> = history.iter().filter(|w| w.starts_with(&prefix)).collect();
            let sent: Vec<_> = wanted.iter().filter(|w| w.starts_with(&prefix)).collect();
            assert_eq!(mine, sent, "thread {t}'s commands on {id}");
        }
        history.sort();
        wanted.sort();
        assert_eq!(
            history, wanted,
            "the history of {id} holds exactly the commands that succeeded"
        );
    }
    let versions = check_log(&app);
    let total: usize = versions.values().map(Vec::len).sum();
    assert_eq!(total, AGGREGATES + THREADS * COMMANDS);
}

#[test]
fn concurrent_commands_lose_nothing_in_both_databases() {
    for backend in databases() {
        eprintln!("{}:", backend.name);
        // SQLite's writers wait for each other's lock (PostgreSQL reads no
        // SQLite setting).
        concurrent_read_modify_write(&with(&backend.env(), &[("SQLITE_LOCK_TIMEOUT", "30")]));
    }
}

// 2. Crash mid-save -----------------------------------------------------------

const KILLS: usize = 20;
const BATCH: u64 = 10;

fn random_below(n: u64) -> u64 {
    (Uuid::new_v4().as_u128() % u128::from(n)) as u64
}

fn kill_writers_mid_save(env: &[(String, String)]) {
    let app = Universe::isolated(pairs(env)).unwrap();
    let mut acknowledged = HashSet::new();
    for _ in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_writer"))
            .args(["1000000", &BATCH.to_string()])
            .env_clear()
            .envs(env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the first acknowledged save, so every kill lands mid-stream,
        // then let it run on for a random while.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("the writer saved nothing").unwrap();
        thread::sleep(Duration::from_millis(random_below(100)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        acknowledged.insert(first.parse::<Uuid>().unwrap());
        // What was printed before the kill was acknowledged.
        acknowledged.extend(
            lines
                .map_while(Result::ok)
                .filter_map(|l| l.parse::<Uuid>().ok()),
        );
        // Every batch in the store is complete: each aggregate has all ten events.
        for (id, versions) in check_log(&app) {
            assert_eq!(
                versions.len() as u64,
                BATCH,
                "aggregate {id} was stored in part: {versions:?}"
            );
        }
    }
    let stored = check_log(&app);
    for id in &acknowledged {
        assert!(
            stored.contains_key(id),
            "acknowledged aggregate {id} was lost"
        );
    }
    // The application reopens and continues.
    let reopened = Universe::isolated(pairs(env)).unwrap();
    let id = reopened.create_world("after").unwrap();
    reopened.make_it_so(id, "carried on").unwrap();
    assert_eq!(reopened.get_history(id).unwrap(), ["carried on"]);
}

#[test]
fn sigkill_mid_save_leaves_no_partial_batch_in_both_databases() {
    for backend in databases() {
        eprintln!("{}:", backend.name);
        kill_writers_mid_save(&backend.env());
    }
}

// 3. Server faults ------------------------------------------------------------

/// What a worker acknowledged, and how many of its commands reported an error.
type WorkerResult = (Vec<(WorldId, String)>, usize);

/// Runs commands from two threads until `stop`, recording what was
/// acknowledged; errors must be connection errors, never a panic.
fn run_commands_through_faults(
    app: Arc<Universe>,
    stop: Arc<AtomicBool>,
) -> Vec<thread::JoinHandle<WorkerResult>> {
    (0..2)
        .map(|t| {
            let (app, stop) = (app.clone(), stop.clone());
            thread::spawn(move || {
                let mut acknowledged = Vec::new();
                let mut errors = 0;
                let mut world = None;
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let id = match world {
                        Some(id) => id,
                        None => match app.create_world(format!("world {t}")) {
                            Ok(id) => {
                                world = Some(id);
                                continue;
                            }
                            Err(e) => {
                                assert!(
                                    matches!(
                                        *e.kind(),
                                        ErrorKind::Postgres(_) | ErrorKind::Pool(_)
                                    ),
                                    "unexpected: {e}"
                                );
                                errors += 1;
                                continue;
                            }
                        },
                    };
                    let what = format!("{t}:{i}");
                    match app.make_it_so(id, what.clone()) {
                        Ok(()) => acknowledged.push((id, what)),
                        // A save whose COMMIT was cut off may have landed: the next one then conflicts.
                        Err(e) if matches!(e.kind(), ErrorKind::VersionConflict { .. }) => {}
                        Err(e) => {
                            assert!(
                                matches!(*e.kind(), ErrorKind::Postgres(_) | ErrorKind::Pool(_)),
                                "unexpected: {e}"
                            );
                            errors += 1;
                            thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
                (acknowledged, errors)
            })
        })
        .collect()
}

fn check_acknowledged(app: &Universe, results: Vec<WorkerResult>) -> usize {
    let mut errors = 0;
    for (acknowledged, e) in results {
        errors += e;
        assert!(
            !acknowledged.is_empty(),
            "commands succeeded around the faults"
        );
        let mut histories: HashMap<WorldId, HashSet<String>> = HashMap::new();
        for (id, what) in acknowledged {
            let history = histories
                .entry(id)
                .or_insert_with(|| app.get_history(id).unwrap().into_iter().collect());
            assert!(
                history.contains(&what),
                "acknowledged event {what} of {id} was lost"
            );
        }
    }
    check_log(app);
    errors
}

#[test]
fn terminated_connections_lose_no_acknowledged_event() {
    let Some(pg) = PgSchema::new() else { return };
    let app = Arc::new(Universe::isolated(pairs(&pg.env())).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let workers = run_commands_through_faults(app.clone(), stop.clone());
    let mut client = postgres_client().unwrap();
    let mut terminated = 0i64;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        thread::sleep(Duration::from_millis(100));
        terminated += client
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) t",
                &[&format!("es:{}.universe_events", pg.schema)],
            )
            .unwrap()
            .get::<_, i64>(0);
    }
    thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let errors = check_acknowledged(&app, results);
    eprintln!("{terminated} connections terminated, {errors} commands reported an error");
    assert!(terminated >= 10);
    // And the application goes on by itself.
    let id = app.create_world("after").unwrap();
    app.make_it_so(id, "fine").unwrap();
}

#[test]
fn a_server_restart_loses_no_acknowledged_event() {
    let Some(server) = PrivateServer::start() else {
        return;
    };
    let mut env = server.env();
    env.push(("POSTGRES_POOL_TIMEOUT".into(), "2".into()));
    env.push(("POSTGRES_CONNECT_TIMEOUT".into(), "2".into()));
    let app = Arc::new(Universe::isolated(pairs(&env)).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let workers = run_commands_through_faults(app.clone(), stop.clone());
    for _ in 0..3 {
        thread::sleep(Duration::from_millis(500));
        server.restart();
    }
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let errors = check_acknowledged(&app, results);
    eprintln!("3 restarts, {errors} commands reported an error");
    let id = app.create_world("after").unwrap();
    app.make_it_so(id, "fine").unwrap();
    assert_eq!(app.get_history(id).unwrap(), ["fine"]);
}

// 4. Hostile input ------------------------------------------------------------

#[test]
fn an_event_of_another_aggregate_type_is_an_unknown_topic_naming_it() {
    // A bank and a universe share one store.
    let file = SqliteFile::new();
    let bank = eventsmith_generated::bank_accounts::Bank::isolated(pairs(&file.env())).unwrap();
    let account = bank.open_account("Alice", "alice@example.com").unwrap();
    let universe = Universe::isolated(pairs(&file.env())).unwrap();
    // The account, got as a World.
    let err = universe
        .repository()
        .get(WorldId::from_uuid_unchecked(account.uuid()))
        .unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::UnknownTopic { originator_id, originator_version: 1, .. } if originator_id == account.uuid()),
        "{err}"
    );
    assert!(
        err.to_string().contains(&account.to_string()) && err.to_string().contains("version 1"),
        "{err}"
    );
}

// 5. Secrets ------------------------------------------------------------------

#[test]
fn the_cipher_key_never_appears_in_debug_display_or_errors() {
    let key = AesCipher::create_key(32).unwrap();
    let app =
        Universe::isolated([("CIPHER_KEY", key.as_str()), ("COMPRESSOR_TOPIC", "zlib")]).unwrap();
    let id = app.create_world("Earth").unwrap();
    let shown = format!(
        "{app:?} {:?} {:?} {:?}",
        app.as_application().env(),
        app.as_application().event_store(),
        app.as_application().event_store().mapper()
    );
    assert!(!shown.contains(&key), "the key is in Debug output");
    let cipher = AesCipher::new(&key).unwrap();
    assert!(!format!("{cipher:?}").contains(&key));

    // Errors about keys name the variable, never the key.
    let mut bad = key.clone();
    bad.truncate(20);
    let err = Universe::isolated([("UNIVERSE_CIPHER_KEY", bad.as_str())]).unwrap_err();
    assert!(
        !err.to_string().contains(&bad) && !format!("{err:?}").contains(&bad),
        "{err:?}"
    );
    assert!(err.to_string().contains("UNIVERSE_CIPHER_KEY"), "{err}");

    // A wrong key's decryption error shows neither key.
    let other = AesCipher::create_key(32).unwrap();
    let wrong = eventsmith::Application::with_infrastructure(
        app.as_application().env().clone(),
        eventsmith::__private::Infrastructure {
            mapper: eventsmith::persistence::Mapper::new(
                None,
                Some(AesCipher::new(&other).unwrap()),
            ),
            recorder: app.as_application().recorder().clone(),
            snapshots: None,
            process: None,
        },
    );
    let err = wrong
        .repository()
        .get::<eventsmith_generated::world::World>(id)
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(&key) && !text.contains(&other), "{text}");
}

#[test]
fn database_passwords_never_appear_in_debug() {
    let mut env = eventsmith_tests::backends::postgres_connection();
    env.retain(|(k, _)| k != "POSTGRES_PASSWORD");
    env.push(("POSTGRES_PASSWORD".into(), "correct-horse-battery".into()));
    let config = eventsmith::postgres::PostgresConfig::from_env(
        &eventsmith::Environment::isolated("Universe", pairs(&env)),
    )
    .unwrap();
    assert!(!format!("{config:?}").contains("correct-horse-battery"));
    let shown = format!(
        "{:?}",
        eventsmith::Environment::isolated("Universe", pairs(&env))
    );
    assert!(!shown.contains("correct-horse-battery"), "{shown}");
}
