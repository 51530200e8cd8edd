//! Replicas of a follower on one store (issue 22, point 1): two or three
//! copies of the bank following the universe, in threads and in processes,
//! each under a `MultiThreadedRunner`. Each notification is processed by
//! one of them; a replica that loses a race reads on from the new position
//! rather than stopping; when the replica that is processing is SIGKILLed,
//! another carries on at once; and each of the universe's events gives the
//! bank exactly one event, stored with its tracking record.

use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use eventsmith::{Application, Decimal, MultiThreadedRunner, Pipe};
use eventsmith_generated::bank_accounts::Bank;
use eventsmith_generated::world::{Universe, WorldEvent, WorldId};
use eventsmith_tests::backends::{Backend, PrivateServer, SqliteFile, databases, pairs, with};
use eventsmith_tests::follow::{
    balance, cent, child_env, follower, leader, policy, position, spawn_child, write_worlds,
};

/// Waits until the bank's position reaches the universe's last
/// notification, for at most `timeout`; none of `runners` may fail
/// meanwhile.
fn wait_caught_up(
    universe: &Application,
    bank: &Application,
    timeout: Duration,
    what: &str,
    runners: &[&MultiThreadedRunner],
) {
    let deadline = Instant::now() + timeout;
    loop {
        for runner in runners {
            let failures = runner.failures();
            assert!(failures.is_empty(), "{what}: {failures:?}");
        }
        let head = universe.recorder().max_notification_id().unwrap();
        if position(bank) == head {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the bank is at {:?} of {head:?}",
            position(bank)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every event of the universe processed once: the bank has exactly one
/// event for each notification (its log is as long as its position), and
/// each world's account holds a cent for each thing that happened there.
fn check_each_processed_once(
    universe: &Application,
    bank: &Application,
    worlds: &[(WorldId, usize)],
    what: &str,
) {
    let head = universe.recorder().max_notification_id().unwrap();
    assert_eq!(position(bank), head, "{what}");
    assert_eq!(
        bank.recorder().max_notification_id().unwrap(),
        head,
        "{what}: the bank's log and its position disagree"
    );
    for (world, things) in worlds {
        assert_eq!(
            balance(bank, *world),
            cent() * Decimal::from(*things as u64),
            "{what}: {world}"
        );
    }
}

/// A runner of `bank` following `universe` with the bank's policy.
fn bank_runner(bank: &Arc<Application>, universe: &Arc<Application>) -> MultiThreadedRunner {
    let for_policy = bank.clone();
    let pipe = Pipe::new::<WorldEvent, _>(bank.clone(), universe.clone(), move |e, p| {
        policy(&for_policy)(e, p)
    });
    MultiThreadedRunner::start(vec![pipe]).unwrap()
}

/// Waits for `runner` to catch up with no failure, stops it, and checks
/// that each event was processed once.
fn finish(
    universe: &Application,
    bank: &Application,
    runner: MultiThreadedRunner,
    worlds: &[(WorldId, usize)],
    what: &str,
) {
    wait_caught_up(universe, bank, Duration::from_secs(60), what, &[&runner]);
    runner.stop().unwrap();
    check_each_processed_once(universe, bank, worlds, what);
}

/// Three replicas in threads, each an application of its own on the
/// bank's store under a runner of its own, while the universe writes:
/// none stops (every lost race is read on from), and everything is
/// processed once.
#[test]
fn replicas_in_threads_race_without_stopping_and_process_each_event_once() {
    for backend in databases() {
        let universe = Arc::new(leader(&backend));
        let bank = follower(&backend);
        let runners: Vec<MultiThreadedRunner> = (0..3)
            .map(|_| bank_runner(&Arc::new(follower(&backend)), &universe))
            .collect();
        let mut worlds = Vec::new();
        for round in 0..10 {
            let things = [1 + round % 3, 2, 3];
            let ids = write_worlds(&universe, &things);
            worlds.extend(ids.into_iter().zip(things));
        }
        wait_caught_up(
            &universe,
            &bank,
            Duration::from_secs(60),
            backend.name,
            &runners.iter().collect::<Vec<_>>(),
        );
        for runner in runners {
            assert!(
                runner.failures().is_empty(),
                "{}: {:?}",
                backend.name,
                runner.failures()
            );
            // Caught up: no lag, read by each replica's runner.
            let lag = runner.lags().pop().unwrap().unwrap();
            assert_eq!(lag.behind(), 0, "{}: {lag:?}", backend.name);
            assert_eq!(lag.head, universe.recorder().max_notification_id().unwrap());
            runner.stop().unwrap();
        }
        check_each_processed_once(&universe, &bank, &worlds, backend.name);
    }
}

/// A replica process, and its lines as they come.
struct Replica {
    number: usize,
    child: std::process::Child,
}

impl Replica {
    /// Starts a replica that sends each line it prints, with its number
    /// and when, to `lines`; waits until its runner has started.
    fn start(
        number: usize,
        env: &[(String, String)],
        lines: &mpsc::Sender<(usize, String, Instant)>,
    ) -> Self {
        let mut child = spawn_child(env!("CARGO_BIN_EXE_replica"), env);
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (started, ready) = mpsc::channel();
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if line == "started" {
                    let _ = started.send(());
                }
                if lines.send((number, line, Instant::now())).is_err() {
                    break;
                }
            }
        });
        ready
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("replica {number} did not start"));
        Self { number, child }
    }
}

/// A replica left by a failing test is killed, not left running.
impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The most the other replicas may take to carry on after the one
/// processing is killed: the bounds (replicas race, so another is
/// processing already; this is how long a wake-up may take at worst).
fn takeover_bound(backend: &Backend) -> Duration {
    if backend.name.contains("postgres") {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(2)
    }
}

/// Three replica processes; twenty times, while the universe has events
/// to process, the replica that printed last (the one processing) is
/// SIGKILLed and a new one started: another carries on within the bound,
/// no replica reports a failure, and at the end each event was processed
/// once.
fn replicas_killed_one_at_a_time(backend: &Backend) {
    const KILLS: usize = 20;
    let what = backend.name;
    let universe = leader(backend);
    let bank = follower(backend);
    let env = child_env(&backend.env(), &backend.env_of("Bank"));
    let (send, lines) = mpsc::channel();
    let mut replicas: Vec<Replica> = (0..3).map(|n| Replica::start(n, &env, &send)).collect();
    let mut worlds = Vec::new();
    let mut slowest = Duration::ZERO;
    for kill in 0..KILLS {
        let ids = write_worlds(&universe, &[2; 40]);
        worlds.extend(ids.into_iter().map(|id| (id, 2)));
        // The replica processing now: of those alive, the last to print
        // `processing` once the new events are being processed.
        let mut last: Option<usize> = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        let slot = loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(if last.is_some() { Duration::ZERO } else { wait }) {
                Ok((number, line, _)) => {
                    assert!(
                        !line.starts_with("failed"),
                        "{what}: replica {number}: {line}"
                    );
                    if line.starts_with("processing") {
                        last = Some(number);
                    }
                }
                Err(_) => {
                    let alive = last.and_then(|n| replicas.iter().position(|r| r.number == n));
                    match alive {
                        Some(slot) => break slot,
                        None if Instant::now() < deadline => last = None,
                        None => panic!("{what}: kill {kill}: no replica is processing"),
                    }
                }
            }
        };
        let mut killed = replicas.remove(slot);
        killed.child.kill().unwrap(); // SIGKILL
        killed.child.wait().unwrap();
        let killed_at = Instant::now();
        // Another carries on: the position moves, unless nothing was left.
        let before = position(&bank);
        let head = universe.recorder().max_notification_id().unwrap();
        if before < head {
            loop {
                let now = position(&bank);
                if now > before {
                    break;
                }
                let waited = killed_at.elapsed();
                assert!(
                    waited < takeover_bound(backend),
                    "{what}: kill {kill}: nothing processed for {waited:?} after the kill"
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            slowest = slowest.max(killed_at.elapsed());
        }
        // Replicas are numbered in the order started.
        replicas.push(Replica::start(3 + kill, &env, &send));
    }
    wait_caught_up(&universe, &bank, Duration::from_secs(60), what, &[]);
    // No replica failed, to the end.
    while let Ok((number, line, _)) = lines.try_recv() {
        assert!(
            !line.starts_with("failed"),
            "{what}: replica {number}: {line}"
        );
    }
    drop(replicas);
    check_each_processed_once(&universe, &bank, &worlds, what);
    eprintln!("{what}: the slowest takeover of {KILLS} took {slowest:?}");
}

#[test]
fn replica_processes_killed_one_at_a_time_hand_over_and_process_each_event_once() {
    for backend in databases() {
        replicas_killed_one_at_a_time(&backend);
    }
}

/// A runner following on a PostgreSQL server that goes down for a second
/// and a half (connections cut, then refused, with a connect timeout well
/// under that) rides it out: it tries again with a growing pause, reports
/// no failure, and processes everything once when the server is back.
#[test]
fn a_runner_rides_out_a_postgres_server_that_goes_down() {
    let Some(server) = PrivateServer::start() else {
        return;
    };
    let env = with(&server.env(), &[("POSTGRES_CONNECT_TIMEOUT", "0.2")]);
    let universe = Arc::new(
        Application::isolated_with_defaults("Universe", Universe::DEFAULTS, pairs(&env)).unwrap(),
    );
    let bank =
        Arc::new(Application::isolated_with_defaults("Bank", Bank::DEFAULTS, pairs(&env)).unwrap());
    let runner = bank_runner(&bank, &universe);
    let mut worlds: Vec<(WorldId, usize)> = write_worlds(&universe, &[3; 100])
        .into_iter()
        .map(|id| (id, 3))
        .collect();
    server.stop_for(Duration::from_millis(1500));
    worlds.extend(
        write_worlds(&universe, &[1; 20])
            .into_iter()
            .map(|id| (id, 1)),
    );
    finish(&universe, &bank, runner, &worlds, "postgres");
}

/// A runner whose SQLite database is locked by another writer for longer
/// than its lock timeout (busy) tries again until the lock is released,
/// and reports no failure.
#[test]
fn a_runner_rides_out_a_busy_sqlite_database() {
    let file = SqliteFile::new();
    let backend_env = with(&file.env(), &[("SQLITE_LOCK_TIMEOUT", "0.05")]);
    let universe = Arc::new(
        Application::isolated_with_defaults("Universe", Universe::DEFAULTS, pairs(&backend_env))
            .unwrap(),
    );
    let bank_file = file.dir.path().join("bank.sqlite");
    let bank_env = with(
        &backend_env,
        &[("SQLITE_DBNAME", bank_file.to_str().unwrap())],
    );
    let bank = Arc::new(
        Application::isolated_with_defaults("Bank", Bank::DEFAULTS, pairs(&bank_env)).unwrap(),
    );
    let runner = bank_runner(&bank, &universe);
    // Another writer holds the bank's database for 600 ms, twelve times
    // the lock timeout, while the universe stores more.
    let blocker = rusqlite::Connection::open(&bank_file).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let worlds: Vec<(WorldId, usize)> = write_worlds(&universe, &[2; 10])
        .into_iter()
        .map(|id| (id, 2))
        .collect();
    std::thread::sleep(Duration::from_millis(600));
    // The runner met the lock, and is waiting it out rather than failing.
    assert!(runner.failures().is_empty(), "{:?}", runner.failures());
    blocker.execute_batch("COMMIT").unwrap();
    finish(&universe, &bank, runner, &worlds, "sqlite");
}

/// What a runner tries again and what stops it, from real failures: a
/// server that refuses connections may come back; a database that does not
/// exist, or a policy's own error, will not.
#[test]
fn errors_say_whether_they_may_pass() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let universe = |extra: &[(&str, &str)]| {
        let env = with(
            &with(&backend.env(), &[("POSTGRES_CONNECT_TIMEOUT", "0.2")]),
            extra,
        );
        Application::isolated_with_defaults("Universe", Universe::DEFAULTS, pairs(&env))
    };
    // Port 1: nothing listens there.
    let refused = universe(&[("POSTGRES_PORT", "1")]).unwrap_err();
    assert!(refused.is_transient(), "{refused}");
    // Where it tried to connect, named.
    assert!(
        refused
            .to_string()
            .starts_with("PostgreSQL: connecting to 127.0.0.1:1: "),
        "{refused}"
    );
    let no_database = universe(&[("POSTGRES_DBNAME", "no_such_database_here")]).unwrap_err();
    assert!(!no_database.is_transient(), "{no_database}");
    // A policy's own error stops its pipe; one that is the runtime's
    // transient error, through `?`, does not.
    let universe = Arc::new(universe(&[]).unwrap());
    write_worlds(&universe, &[0]);
    let bank = Arc::new(follower(&backend));
    let own = eventsmith::system::process::<WorldEvent, _>(&bank, &universe, |_, _| {
        Err("a rule of the bank's".into())
    })
    .unwrap_err();
    assert!(!own.is_transient(), "{own}");
    let mut refused = Some(refused);
    let passing = eventsmith::system::process::<WorldEvent, _>(&bank, &universe, |_, _| {
        Err(Box::new(refused.take().unwrap()))
    })
    .unwrap_err();
    assert!(passing.is_transient(), "{passing}");
    // A projection's query that finds no row will find none next time:
    // the driver's client-side errors (no row, a type mismatch) do not
    // pass, only those of its socket do.
    let view = eventsmith::postgres::PostgresRecorder::from_env(
        &eventsmith::persistence::Environment::isolated("WorldCounts", pairs(&backend.env())),
    )
    .unwrap();
    let no_row = eventsmith::system::project::<WorldEvent, _, _>(&view, &universe, |_, client| {
        client
            .query_one("SELECT 1 WHERE false", &[])
            .map_err(eventsmith::Error::from)?;
        Ok(())
    })
    .unwrap_err();
    assert!(!no_row.is_transient(), "{no_row}");
}

/// A conflict that no retry can clear (the policy opens the same account
/// for every world, so the second opening always conflicts) stops its
/// pipe after a few tries, reported, rather than being tried for ever.
#[test]
fn a_conflict_that_persists_stops_its_pipe() {
    use eventsmith_generated::bank_accounts::Account;
    for backend in databases() {
        let universe = Arc::new(leader(&backend));
        let bank = Arc::new(follower(&backend));
        write_worlds(&universe, &[0, 0]);
        let pipe = Pipe::new::<WorldEvent, _>(bank.clone(), universe.clone(), |_, processing| {
            processing.save(Account::create("Same", "same@example.com"));
            Ok(())
        });
        let runner = MultiThreadedRunner::start(vec![pipe]).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while runner.failures().is_empty() {
            assert!(Instant::now() < deadline, "{}: never stopped", backend.name);
            std::thread::sleep(Duration::from_millis(50));
        }
        let failures = runner.failures();
        assert!(
            matches!(
                failures[0].error.kind(),
                eventsmith::ErrorKind::VersionConflict { .. }
            ),
            "{}: {failures:?}",
            backend.name
        );
        assert!(runner.stop().is_err());
        // The first world's account was opened; nothing of the second.
        assert_eq!(position(&bank), Some(1), "{}", backend.name);
    }
}
