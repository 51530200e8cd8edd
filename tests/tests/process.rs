//! A follower processes a leader's events exactly once: what its policy
//! saves is stored with the notification's tracking record, in one
//! transaction, on every backend. The leader is the tutorial's `Universe`;
//! the follower a bank that opens an account for each world (its id made
//! from the world's, so a second opening would be a conflict) and pays a
//! cent into it for each thing that happens there.

use std::sync::Arc;

use eventsmith::persistence::Tracking;
use eventsmith::system::process;
use eventsmith::{
    Aggregate, Application, Decimal, ErrorKind, MultiThreadedRunner, Pipe, PolicyError, Processing,
    SingleThreadedRunner,
};
use eventsmith_generated::bank_accounts::{Account, AccountEvent, Bank};
use eventsmith_generated::world::{Universe, WorldEvent, WorldId};
use eventsmith_tests::backends::{Backend, backends, databases, pairs};
use eventsmith_tests::follow::{
    balance, cent, child_env, email, follower, leader, policy, position, spawn_child, write_worlds,
};

#[test]
fn a_follower_processes_each_notification_once_and_carries_on_from_its_position() {
    for backend in backends() {
        let (universe, bank) = (leader(&backend), follower(&backend));
        let worlds = write_worlds(&universe, &[2, 0, 3]);
        // 3 created, 5 happened: 8 notifications.
        assert_eq!(
            process(&bank, &universe, policy(&bank)).unwrap(),
            8,
            "{}",
            backend.name
        );
        assert_eq!(position(&bank), Some(8), "{}", backend.name);
        for (world, cents) in worlds.iter().zip([2, 0, 3]) {
            assert_eq!(balance(&bank, *world), cent() * Decimal::from(cents));
        }
        // Nothing new: nothing processed, nothing changed.
        let stored = bank.recorder().max_notification_id().unwrap();
        assert_eq!(process(&bank, &universe, policy(&bank)).unwrap(), 0);
        assert_eq!(bank.recorder().max_notification_id().unwrap(), stored);
        // More: only the new ones.
        let more = write_worlds(&universe, &[1]);
        assert_eq!(process(&bank, &universe, policy(&bank)).unwrap(), 2);
        assert_eq!(position(&bank), Some(10));
        assert_eq!(balance(&bank, more[0]), cent());
        assert_eq!(balance(&bank, worlds[2]), cent() * Decimal::from(3));
        // A second follower of the same store starts where the first
        // stopped (in memory, a second application has a store of its own).
        if backend.shared() {
            let second = follower(&backend);
            assert_eq!(process(&second, &universe, policy(&second)).unwrap(), 0);
        }
    }
}

#[test]
fn a_failing_policy_stores_nothing_of_its_notification_and_is_retried_from_it() {
    for backend in backends() {
        let (universe, bank) = (leader(&backend), follower(&backend));
        let worlds = write_worlds(&universe, &[4]);
        // The policy fails at the third notification (the second thing
        // that happened), once by an error and once by a panic.
        let failing = |panic: bool| {
            let mut inner = policy(&bank);
            move |event: WorldEvent, processing: &mut Processing<'_>| {
                inner(event, processing)?;
                if processing.tracking().notification_id == 3 {
                    assert!(!panic, "the policy panics after saving");
                    return Err("the policy failed after saving".into());
                }
                Ok(())
            }
        };
        let err = process(&bank, &universe, failing(false)).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Policy { notification_id: 3, leader, .. } if leader == "Universe"),
            "{err}"
        );
        assert!(err.to_string().contains("the policy failed"), "{err}");
        assert_eq!(position(&bank), Some(2), "{}", backend.name);
        assert_eq!(balance(&bank, worlds[0]), cent());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            process(&bank, &universe, failing(true))
        }));
        assert!(panicked.is_err());
        assert_eq!(position(&bank), Some(2), "{}", backend.name);
        assert_eq!(balance(&bank, worlds[0]), cent());
        // Fixed, it carries on from the third: each cent paid once.
        assert_eq!(process(&bank, &universe, policy(&bank)).unwrap(), 3);
        assert_eq!(position(&bank), Some(5));
        assert_eq!(balance(&bank, worlds[0]), cent() * Decimal::from(4));
    }
}

/// A policy that changes one of the follower's aggregates and forgets to
/// save it: nothing of the notification is stored, the error names the
/// aggregate and the notification, and the position stays before it. A
/// copy of an aggregate that is saved as it is, dropped, is no such loss.
#[test]
fn a_policy_that_drops_a_changed_aggregate_stores_nothing_and_says_which() {
    for backend in backends() {
        let (universe, bank) = (leader(&backend), follower(&backend));
        let worlds = write_worlds(&universe, &[2]);
        let account_id = Account::create_id(&email(worlds[0]));
        let forgetful = |event: WorldEvent, processing: &mut Processing<'_>| {
            match event {
                WorldEvent::Started(started) => {
                    let account = Account::create(started.name, email(started.originator_id));
                    // A copy kept aside, as saved: no loss.
                    let copy = account.clone();
                    processing.save(account);
                    drop(copy);
                }
                WorldEvent::SomethingHappened(_) => {
                    let mut account: Account = bank.repository().get(account_id)?;
                    account.deposit(cent())?;
                    // Not given to processing.save.
                }
            }
            Ok(())
        };
        let err = process(&bank, &universe, forgetful).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::PolicyLeftChanges {
                    notification_id: 2,
                    originator_id,
                    originator_version: 2,
                    ..
                } if *originator_id == account_id.uuid()
            ),
            "{}: {err}",
            backend.name
        );
        assert!(!err.is_transient());
        assert_eq!(position(&bank), Some(1), "{}", backend.name);
        assert_eq!(balance(&bank, worlds[0]), Decimal::ZERO);
        // Fixed, it carries on from the second.
        assert_eq!(process(&bank, &universe, policy(&bank)).unwrap(), 2);
        assert_eq!(balance(&bank, worlds[0]), cent() * Decimal::from(2));
    }
}

/// What is not a loss: a copy kept aside of an aggregate saved later at a
/// higher version, and an aggregate given to a save that failed. And a
/// policy that processes another follower inside it is still watched
/// after: what it drops unsaved, before or after, is an error.
#[test]
fn the_unsaved_check_tells_a_loss_from_what_was_saved_or_tried() {
    for backend in backends() {
        let (universe, bank) = (leader(&backend), follower(&backend));
        let worlds = write_worlds(&universe, &[1]);
        let account_id = Account::create_id(&email(worlds[0]));
        let careful = |event: WorldEvent, processing: &mut Processing<'_>| {
            match event {
                WorldEvent::Started(started) => {
                    let mut account = Account::create(started.name, email(started.originator_id));
                    // A copy at version 1, dropped; the account saved at 2.
                    let preview = account.clone();
                    account.deposit(cent())?;
                    processing.save(account);
                    drop(preview);
                }
                WorldEvent::SomethingHappened(_) => {
                    let mut account: Account = bank.repository().get(account_id)?;
                    account.deposit(cent())?;
                    processing.save(account);
                    // A second opening, tried and refused: not forgotten.
                    let mut again = Account::create("Again", email(worlds[0]));
                    assert!(bank.save(&mut again).is_err());
                }
            }
            Ok(())
        };
        assert_eq!(
            process(&bank, &universe, careful).unwrap(),
            2,
            "{}",
            backend.name
        );
        assert_eq!(balance(&bank, worlds[0]), cent() * Decimal::from(2));

        // Nested: the outer policy drops a changed aggregate after an inner
        // follower (in memory) processed the universe.
        let more = write_worlds(&universe, &[0]);
        let inner = Application::isolated_with_defaults("Inner", Bank::DEFAULTS, []).unwrap();
        let nesting = |event: WorldEvent, processing: &mut Processing<'_>| {
            let WorldEvent::Started(started) = event else {
                return Ok(());
            };
            let account = Account::create(started.name, email(started.originator_id));
            process(&inner, &universe, policy(&inner))?;
            drop(account);
            let _ = processing;
            Ok(())
        };
        let err = process(&bank, &universe, nesting).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::PolicyLeftChanges { originator_id, .. }
                    if *originator_id == Account::create_id(&email(more[0])).uuid()
            ),
            "{}: {err}",
            backend.name
        );
        assert_eq!(position(&bank), Some(2), "{}", backend.name);
    }
}

#[test]
fn two_followers_racing_over_one_store_process_each_notification_once() {
    for backend in backends() {
        let universe = leader(&backend);
        let worlds = write_worlds(&universe, &[5, 5, 5, 5]);
        // Two followers over one store: on the in-memory backend, the same
        // application twice (its recorder is its own).
        let banks: Vec<Arc<Application>> = if !backend.shared() {
            let bank = Arc::new(follower(&backend));
            vec![bank.clone(), bank]
        } else {
            vec![Arc::new(follower(&backend)), Arc::new(follower(&backend))]
        };
        std::thread::scope(|scope| {
            for bank in &banks {
                let universe = &universe;
                scope.spawn(move || {
                    // When the other follower stores a position (or an
                    // account) first, this one reads on from there: no
                    // error reaches the caller.
                    while process(bank, universe, policy(bank)).unwrap() > 0 {}
                });
            }
        });
        let bank = &banks[0];
        assert_eq!(position(bank), Some(24), "{}", backend.name);
        for world in &worlds {
            assert_eq!(
                balance(bank, *world),
                cent() * Decimal::from(5),
                "{}",
                backend.name
            );
        }
        // 4 accounts opened and 20 cents paid in: 24 events, one per notification.
        assert_eq!(bank.recorder().max_notification_id().unwrap(), Some(24));
    }
}

#[test]
fn a_recorded_position_is_not_recorded_again() {
    for backend in backends() {
        let bank = follower(&backend);
        let tracking = Tracking::new("Universe", 3);
        bank.save_all_tracked(&mut [], &tracking).unwrap();
        let err = bank.save_all_tracked(&mut [], &tracking).unwrap_err();
        assert!(
            matches!(*err.kind(), ErrorKind::TrackingConflict { .. }),
            "{err}"
        );
        // A save with events at that position stores none of them.
        let mut account = Account::create("Alice", "alice@example.com");
        let err = bank
            .save_all_tracked(&mut [&mut account], &Tracking::new("Universe", 2))
            .unwrap_err();
        assert!(
            matches!(*err.kind(), ErrorKind::TrackingConflict { .. }),
            "{err}"
        );
        assert_eq!(bank.recorder().max_notification_id().unwrap(), None);
        assert_eq!(account.pending_events().len(), 1);
    }
}

/// The ledger's policy, following the bank: a shadow account for each
/// account opened, and each credit paid into it too.
fn ledger_policy(
    ledger: Arc<Application>,
) -> impl FnMut(AccountEvent, &mut Processing<'_>) -> Result<(), PolicyError> + Send {
    move |event, processing| {
        match event {
            AccountEvent::Opened(opened) => {
                processing.save(Account::create(
                    opened.owner,
                    format!("shadow-{}", opened.email),
                ));
            }
            AccountEvent::Credited(credited) => {
                let shadow_of: Account = ledger_bank_view(&ledger, credited.originator_id)?;
                let mut shadow: Account = ledger
                    .repository()
                    .get(Account::create_id(&format!("shadow-{}", shadow_of.email())))?;
                shadow.deposit(credited.amount)?;
                processing.save(shadow);
            }
            _ => {}
        }
        Ok(())
    }
}

/// The ledger keeps no copy of the bank's accounts; its shadow is found by
/// the email in the bank's own account, read through the ledger's view of
/// the bank (the bank application, shared).
fn ledger_bank_view(
    ledger: &Application,
    account: eventsmith_generated::bank_accounts::AccountId,
) -> Result<Account, PolicyError> {
    let bank = BANKS
        .lock()
        .unwrap()
        .iter()
        .find(|(name, _)| name == ledger.name())
        .map(|(_, bank)| bank.clone())
        .ok_or("no bank for this ledger")?;
    Ok(bank.repository().get(account)?)
}

/// Each ledger's bank, by the ledger's name (unique per test run).
static BANKS: std::sync::Mutex<Vec<(String, Arc<Application>)>> = std::sync::Mutex::new(Vec::new());

/// Universe → Bank → Ledger, on one backend: the three applications.
fn system(backend: &Backend) -> (Arc<Application>, Arc<Application>, Arc<Application>) {
    let universe = Arc::new(leader(backend));
    let bank = Arc::new(follower(backend));
    let name = format!("Ledger{}", eventsmith::Uuid::new_v4().simple());
    let ledger = Arc::new(
        Application::isolated_with_defaults(
            &name,
            Bank::DEFAULTS,
            pairs(&backend.env_of("Ledger")),
        )
        .unwrap(),
    );
    BANKS.lock().unwrap().push((name, bank.clone()));
    (universe, bank, ledger)
}

fn pipes(
    universe: &Arc<Application>,
    bank: &Arc<Application>,
    ledger: &Arc<Application>,
) -> Vec<Pipe> {
    let b = bank.clone();
    vec![
        Pipe::new::<WorldEvent, _>(bank.clone(), universe.clone(), move |e, p| policy(&b)(e, p)),
        Pipe::new::<AccountEvent, _>(ledger.clone(), bank.clone(), ledger_policy(ledger.clone())),
    ]
}

fn shadow_balance(ledger: &Application, world: WorldId) -> Decimal {
    let shadow: Account = ledger
        .repository()
        .get(Account::create_id(&format!("shadow-{}", email(world))))
        .unwrap();
    shadow.balance()
}

#[test]
fn a_single_threaded_runner_runs_a_system_until_nothing_is_left() {
    for backend in backends() {
        let (universe, bank, ledger) = system(&backend);
        let worlds = write_worlds(&universe, &[3, 1]);
        let mut runner = SingleThreadedRunner::new(pipes(&universe, &bank, &ledger));
        // 6 notifications of the universe, then the bank's 6 for the ledger.
        assert_eq!(runner.run().unwrap(), 12, "{}", backend.name);
        assert_eq!(runner.run().unwrap(), 0);
        assert_eq!(
            shadow_balance(&ledger, worlds[0]),
            cent() * Decimal::from(3)
        );
        assert_eq!(shadow_balance(&ledger, worlds[1]), cent());
        let more = write_worlds(&universe, &[2]);
        assert_eq!(runner.run().unwrap(), 6);
        assert_eq!(shadow_balance(&ledger, more[0]), cent() * Decimal::from(2));
    }
}

#[test]
fn a_multi_threaded_runner_follows_as_events_are_stored_and_stops() {
    for backend in backends() {
        let (universe, bank, ledger) = system(&backend);
        let before = write_worlds(&universe, &[2]);
        let runner = MultiThreadedRunner::start(pipes(&universe, &bank, &ledger)).unwrap();
        let after = write_worlds(&universe, &[1, 4]);
        // The ledger sees the bank's 3 openings and 7 credits.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while ledger
            .process_recorder()
            .unwrap()
            .max_tracking_id(bank.name())
            .unwrap()
            < Some(10)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: the ledger never caught up",
                backend.name
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(runner.failures().is_empty());
        assert_eq!(runner.stop().unwrap(), 20, "{}", backend.name);
        assert_eq!(
            shadow_balance(&ledger, before[0]),
            cent() * Decimal::from(2)
        );
        assert_eq!(shadow_balance(&ledger, after[1]), cent() * Decimal::from(4));
    }
}

#[test]
fn a_failing_policy_stops_its_pipe_with_a_typed_error_and_its_position() {
    for backend in backends() {
        let (universe, bank) = (Arc::new(leader(&backend)), Arc::new(follower(&backend)));
        write_worlds(&universe, &[4]);
        let b = bank.clone();
        let inner = move |e: WorldEvent, p: &mut Processing<'_>| policy(&b)(e, p);
        let failing = Pipe::new::<WorldEvent, _>(bank.clone(), universe.clone(), move |e, p| {
            if p.tracking().notification_id == 3 {
                return Err("no third".into());
            }
            inner(e, p)
        });
        let runner = MultiThreadedRunner::start(vec![failing]).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while runner.failures().is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: no failure",
                backend.name
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // Its lag: stopped before the third of five.
        let lags = runner.lags();
        let lag = lags[0].as_ref().unwrap();
        assert_eq!(
            (lag.position, lag.head, lag.behind()),
            (Some(2), Some(5), 3)
        );
        assert_eq!(
            (lag.follower.as_str(), lag.leader.as_str()),
            ("Bank", "Universe")
        );
        // Typed: the pipe, the notification, its topic, and the error.
        let failures = runner.failures();
        assert_eq!(failures.len(), 1, "{}", backend.name);
        let failure = &failures[0];
        assert_eq!(
            (failure.follower.as_str(), failure.leader.as_str()),
            ("Bank", "Universe")
        );
        assert_eq!(failure.notification_id, Some(3));
        assert!(
            failure
                .topic
                .as_deref()
                .is_some_and(|t| t.ends_with("World.SomethingHappened")),
            "{failure}"
        );
        assert!(
            matches!(
                failure.error.kind(),
                ErrorKind::Policy {
                    notification_id: 3,
                    ..
                }
            ),
            "{failure}"
        );
        let err = runner.stop().unwrap_err();
        let ErrorKind::PipeFailed(stopped) = err.kind() else {
            panic!("{}: {err}", backend.name);
        };
        assert_eq!(stopped.notification_id, Some(3));
        assert!(err.to_string().contains("no third"), "{err}");
        assert_eq!(position(&bank), Some(2), "{}", backend.name);
    }
}

#[test]
fn a_notification_that_cannot_be_read_stops_the_follower_before_it_naming_it() {
    use eventsmith::persistence::StoredEvent;
    use eventsmith_generated::world::WorldStarted;
    for backend in backends() {
        let (universe, bank) = (leader(&backend), follower(&backend));
        write_worlds(&universe, &[1]);
        let broken = eventsmith::Uuid::new_v4();
        universe
            .recorder()
            .insert_events(&[StoredEvent {
                originator_id: broken,
                originator_version: 1,
                topic: WorldStarted::TOPIC.to_owned().into(),
                state: b"not what Universe writes".to_vec(),
            }])
            .unwrap();
        let err = process(&bank, &universe, policy(&bank)).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::UnreadableNotification { notification_id: 3, leader, .. } if leader == "Universe"),
            "{}: {err}",
            backend.name
        );
        assert!(err.to_string().contains(&broken.to_string()), "{err}");
        // The two before it are processed; it stays next.
        assert_eq!(position(&bank), Some(2), "{}", backend.name);
    }
}

/// A follower process killed (SIGKILL) 20 times in the middle of
/// processing, with the leader writing more each time: every one of the
/// leader's notifications is processed exactly once. Each gives the bank
/// exactly one event, stored with its tracking record, so at every point
/// the bank's log is exactly as long as its position, and at the end
/// every account holds what its world's events say.
fn followers_killed_mid_processing(
    leader_env: &[(String, String)],
    follower_env: &[(String, String)],
    name: &str,
) {
    use std::io::{BufRead, BufReader};
    const KILLS: usize = 20;
    let universe =
        Application::isolated_with_defaults("Universe", Universe::DEFAULTS, pairs(leader_env))
            .unwrap();
    let bank =
        Application::isolated_with_defaults("Bank", Bank::DEFAULTS, pairs(follower_env)).unwrap();
    let child_env = child_env(leader_env, follower_env);
    let mut worlds = Vec::new();
    let mut mid_stream = 0;
    for kill in 0..KILLS {
        worlds.extend(write_worlds(&universe, &[1; 40]));
        let mut child = spawn_child(env!("CARGO_BIN_EXE_follower"), &child_env);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next()
            .expect("the follower processed nothing")
            .unwrap();
        // A pause shorter than the 40 worlds take to process, so that most
        // kills land mid-stream however fast the follower is (at up to 40
        // ms, a faster follower on PostgreSQL was done first in half).
        std::thread::sleep(std::time::Duration::from_millis(
            eventsmith::Uuid::new_v4().as_u128() as u64 % 15,
        ));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let leader_max = universe.recorder().max_notification_id().unwrap();
        // PostgreSQL may still commit the killed follower's last
        // transaction after the process is gone (the server had its
        // COMMIT): the position and the bank's log are read between two
        // reads of the log that agree, so that no commit lands between them.
        let (at, bank_max) = loop {
            let before = bank.recorder().max_notification_id().unwrap();
            let at = position(&bank);
            if bank.recorder().max_notification_id().unwrap() == before {
                break (at, before);
            }
        };
        if at < leader_max {
            mid_stream += 1;
        }
        assert!(first.parse::<u64>().unwrap() >= 1, "{name}: kill {kill}");
        // Exactly one of the bank's events for each position passed.
        assert_eq!(
            bank_max, at,
            "{name}: kill {kill}: the bank's log and its position disagree"
        );
    }
    assert!(
        mid_stream >= KILLS / 2,
        "{name}: only {mid_stream} of {KILLS} kills landed mid-stream"
    );
    // What is left, processed here; then everything once.
    process(&bank, &universe, policy(&bank)).unwrap();
    let leader_max = universe.recorder().max_notification_id().unwrap();
    assert_eq!(leader_max, Some(2 * worlds.len() as u64), "{name}");
    assert_eq!(position(&bank), leader_max);
    assert_eq!(bank.recorder().max_notification_id().unwrap(), leader_max);
    for world in &worlds {
        assert_eq!(balance(&bank, *world), cent(), "{name}: {world}");
    }
}

#[test]
fn followers_killed_mid_processing_process_each_event_once_in_both_databases() {
    for backend in databases() {
        followers_killed_mid_processing(&backend.env(), &backend.env_of("Bank"), backend.name);
    }
}
