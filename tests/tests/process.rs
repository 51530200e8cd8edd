//! A follower processes a leader's events exactly once: what its policy
//! saves is stored with the notification's tracking record, in one
//! transaction, on every backend. The leader is the tutorial's `Universe`;
//! the follower a bank that opens an account for each world (its id made
//! from the world's, so a second opening would be a conflict) and pays a
//! cent into it for each thing that happens there.

use std::sync::Arc;

use eventsourcing::persistence::Tracking;
use eventsourcing::{Aggregate, Application, Decimal, Error, PolicyError, Processing};
use eventsourcing_generated::bank_accounts::{Account, Bank};
use eventsourcing_generated::world::{Universe, World, WorldEvent, WorldId};
use eventsourcing_tests::backends::{PgSchema, SqliteFile, pairs};

/// Settings of a leader and a follower on one backend, each its own store.
struct Backend {
    name: &'static str,
    leader: Vec<(String, String)>,
    follower: Vec<(String, String)>,
    _guards: Vec<Box<dyn std::any::Any>>,
}

fn backends() -> Vec<Backend> {
    let mut all = vec![Backend {
        name: "memory",
        leader: Vec::new(),
        follower: Vec::new(),
        _guards: Vec::new(),
    }];
    let (leader, follower) = (SqliteFile::new(), SqliteFile::new());
    all.push(Backend {
        name: "sqlite",
        leader: leader.env(),
        follower: follower.env(),
        _guards: vec![Box::new(leader), Box::new(follower)],
    });
    if let Some(pg) = PgSchema::new() {
        // One schema: the two applications' tables are their own by name.
        all.push(Backend {
            name: "postgres",
            leader: pg.env(),
            follower: pg.env(),
            _guards: vec![Box::new(pg)],
        });
    }
    all
}

fn leader(backend: &Backend) -> Application {
    Application::isolated_with_defaults("Universe", Universe::DEFAULTS, pairs(&backend.leader))
        .unwrap()
}

fn follower(backend: &Backend) -> Application {
    Application::isolated_with_defaults("Bank", Bank::DEFAULTS, pairs(&backend.follower)).unwrap()
}

fn email(world: WorldId) -> String {
    format!("{}@worlds.example", world.uuid().simple())
}

fn cent() -> Decimal {
    Decimal::new(1, 2)
}

/// The bank's policy: an account for each world started, a cent for each
/// thing that happened.
fn policy(
    bank: &Application,
) -> impl FnMut(WorldEvent, &mut Processing<'_>) -> Result<(), PolicyError> + '_ {
    move |event, processing| {
        match event {
            WorldEvent::Started(started) => {
                processing.save(Account::create(started.name, email(started.originator_id)));
            }
            WorldEvent::SomethingHappened(happened) => {
                let id = Account::create_id(&email(happened.originator_id));
                let mut account: Account = bank.repository().get(id)?;
                account.deposit(cent())?;
                processing.save(account);
            }
        }
        Ok(())
    }
}

/// Worlds with `things` things happening in each; their ids.
fn write_worlds(universe: &Application, things: &[usize]) -> Vec<WorldId> {
    things
        .iter()
        .map(|&n| {
            let mut world = World::create("Earth");
            for i in 0..n {
                world.make_it_so(format!("thing {i}"));
            }
            universe.save(&mut world).unwrap();
            world.id()
        })
        .collect()
}

fn balance(bank: &Application, world: WorldId) -> Decimal {
    let account: Account = bank
        .repository()
        .get(Account::create_id(&email(world)))
        .unwrap();
    account.balance()
}

fn position(bank: &Application) -> Option<u64> {
    bank.process_recorder()
        .unwrap()
        .max_tracking_id("Universe")
        .unwrap()
}

#[test]
fn a_follower_processes_each_notification_once_and_carries_on_from_its_position() {
    for backend in backends() {
        let (universe, bank) = (leader(&backend), follower(&backend));
        let worlds = write_worlds(&universe, &[2, 0, 3]);
        // 3 created, 5 happened: 8 notifications.
        assert_eq!(
            bank.process(&universe, policy(&bank)).unwrap(),
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
        assert_eq!(bank.process(&universe, policy(&bank)).unwrap(), 0);
        assert_eq!(bank.recorder().max_notification_id().unwrap(), stored);
        // More: only the new ones.
        let more = write_worlds(&universe, &[1]);
        assert_eq!(bank.process(&universe, policy(&bank)).unwrap(), 2);
        assert_eq!(position(&bank), Some(10));
        assert_eq!(balance(&bank, more[0]), cent());
        assert_eq!(balance(&bank, worlds[2]), cent() * Decimal::from(3));
        // A second follower of the same store starts where the first
        // stopped (in memory, a second application has a store of its own).
        if backend.name != "memory" {
            let second = follower(&backend);
            assert_eq!(second.process(&universe, policy(&second)).unwrap(), 0);
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
        let err = bank.process(&universe, failing(false)).unwrap_err();
        assert!(
            matches!(&err, Error::Policy { notification_id: 3, leader, .. } if leader == "Universe"),
            "{err}"
        );
        assert!(err.to_string().contains("the policy failed"), "{err}");
        assert_eq!(position(&bank), Some(2), "{}", backend.name);
        assert_eq!(balance(&bank, worlds[0]), cent());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            bank.process(&universe, failing(true))
        }));
        assert!(panicked.is_err());
        assert_eq!(position(&bank), Some(2), "{}", backend.name);
        assert_eq!(balance(&bank, worlds[0]), cent());
        // Fixed, it carries on from the third: each cent paid once.
        assert_eq!(bank.process(&universe, policy(&bank)).unwrap(), 3);
        assert_eq!(position(&bank), Some(5));
        assert_eq!(balance(&bank, worlds[0]), cent() * Decimal::from(4));
    }
}

#[test]
fn two_followers_racing_over_one_store_process_each_notification_once() {
    for backend in backends() {
        let universe = leader(&backend);
        let worlds = write_worlds(&universe, &[5, 5, 5, 5]);
        // Two followers over one store: on the in-memory backend, the same
        // application twice (its recorder is its own).
        let banks: Vec<Arc<Application>> = if backend.name == "memory" {
            let bank = Arc::new(follower(&backend));
            vec![bank.clone(), bank]
        } else {
            vec![Arc::new(follower(&backend)), Arc::new(follower(&backend))]
        };
        std::thread::scope(|scope| {
            for bank in &banks {
                let universe = &universe;
                scope.spawn(move || {
                    loop {
                        match bank.process(universe, policy(bank)) {
                            Ok(0) => break,
                            Ok(_) => {}
                            // The other follower stored this position (or
                            // the account) first: read on from there.
                            Err(Error::TrackingConflict { .. } | Error::VersionConflict { .. }) => {
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
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
        assert!(matches!(err, Error::TrackingConflict { .. }), "{err}");
        // A save with events at that position stores none of them.
        let mut account = Account::create("Alice", "alice@example.com");
        let err = bank
            .save_all_tracked(&mut [&mut account], &Tracking::new("Universe", 2))
            .unwrap_err();
        assert!(matches!(err, Error::TrackingConflict { .. }), "{err}");
        assert_eq!(bank.recorder().max_notification_id().unwrap(), None);
        assert_eq!(account.pending_events().len(), 1);
    }
}
