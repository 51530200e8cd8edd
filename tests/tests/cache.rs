//! The aggregate cache on every backend: configured as the Python library
//! configures it, brought up to date from the store ("fast-forwarded"),
//! never letting through a save the store would refuse, never serving a
//! version older than one the application saved, and safe for 8 threads.

use std::sync::{Arc, Barrier};
use std::thread;

use eventsmith::application::CacheSettings;
use eventsmith::{Aggregate, Application, ErrorKind, Result};
use eventsmith_generated::world::{Universe, World, WorldId};
use eventsmith_tests::backends::{backends, pairs, with};
use eventsmith_tests::save_new;

/// The tutorial's application on `env`, through the runtime's API.
fn universe(env: &[(String, String)]) -> Application {
    Application::isolated_with_defaults(Universe::NAME, Universe::DEFAULTS, pairs(env)).unwrap()
}

fn create(app: &Application, name: &str) -> WorldId {
    save_new(app, World::create(name))
}

/// Something happens, through `update`; the world's version after it.
fn happen(app: &Application, id: WorldId, what: &str) -> Result<u64> {
    app.update(id, |world: &mut World| {
        world.make_it_so(what);
        Ok(world.version())
    })
}

fn get(app: &Application, id: WorldId) -> World {
    app.repository().get(id).unwrap()
}

#[test]
fn settings_are_read_as_python_reads_them() {
    let settings = |values: &[(&str, &str)]| {
        CacheSettings::from_env(&eventsmith::Environment::isolated(
            "Universe",
            values.iter().copied(),
        ))
    };
    assert_eq!(settings(&[]).unwrap(), None);
    assert_eq!(settings(&[("AGGREGATE_CACHE_MAXSIZE", "")]).unwrap(), None);
    for unbounded in ["0", "-1", " -9223372036854775808 "] {
        let s = settings(&[("AGGREGATE_CACHE_MAXSIZE", unbounded)])
            .unwrap()
            .unwrap();
        assert_eq!(s.maxsize, None, "{unbounded}");
        assert!(s.fastforward && !s.fastforward_skipping);
    }
    // As large as Python's int allows here, and nothing set aside for it.
    let s = settings(&[("UNIVERSE_AGGREGATE_CACHE_MAXSIZE", "9223372036854775807")])
        .unwrap()
        .unwrap();
    assert_eq!(s.maxsize.map(|n| n.get() as u64), Some(i64::MAX as u64));
    let s = settings(&[
        ("AGGREGATE_CACHE_MAXSIZE", "1_000"),
        ("AGGREGATE_CACHE_FASTFORWARD", "no"),
        ("AGGREGATE_CACHE_FASTFORWARD_SKIPPING", "TRUE"),
    ])
    .unwrap()
    .unwrap();
    assert_eq!(
        (
            s.maxsize.map(|n| n.get()),
            s.fastforward,
            s.fastforward_skipping
        ),
        (Some(1000), false, true)
    );
    for (variable, value) in [
        ("AGGREGATE_CACHE_MAXSIZE", "ten"),
        ("AGGREGATE_CACHE_MAXSIZE", "1e3"),
        ("AGGREGATE_CACHE_MAXSIZE", "9223372036854775808"),
        ("AGGREGATE_CACHE_MAXSIZE", "NaN"),
        ("AGGREGATE_CACHE_FASTFORWARD", "maybe"),
        ("AGGREGATE_CACHE_FASTFORWARD_SKIPPING", "2"),
    ] {
        let mut values = vec![(variable, value)];
        if variable != "AGGREGATE_CACHE_MAXSIZE" {
            values.push(("AGGREGATE_CACHE_MAXSIZE", "10"));
        }
        let err = settings(&values).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("{variable}={value:?} is not valid")),
            "{err}"
        );
    }
    // An application without the variable has no cache; the facade's has.
    assert_eq!(universe(&[]).repository().cache_settings(), None);
    let facade = Universe::isolated([("AGGREGATE_CACHE_MAXSIZE", "5")]).unwrap();
    assert_eq!(
        facade
            .repository()
            .cache_settings()
            .and_then(|s| s.maxsize)
            .map(|n| n.get()),
        Some(5)
    );
}

#[test]
fn gets_are_cached_least_recently_used_first_out() {
    for backend in backends() {
        let app = universe(&with(&backend.env(), &[("AGGREGATE_CACHE_MAXSIZE", "2")]));
        let ids: Vec<WorldId> = ["Earth", "Mars", "Venus"]
            .iter()
            .map(|name| create(&app, name))
            .collect();
        assert_eq!(app.repository().cached(), 0, "saving caches nothing");
        for &id in &ids {
            happen(&app, id, "rain").unwrap();
        }
        assert_eq!(app.repository().cached(), 2, "{}", backend.name);
        for &id in &ids {
            assert_eq!(get(&app, id).history(), ["rain"]);
        }
        // A world that is not there is not kept.
        assert!(matches!(
            app.repository()
                .get::<World>(WorldId::new_v4())
                .map_err(|e| e.into_kind()),
            Err(ErrorKind::AggregateNotFound { .. })
        ));
        assert_eq!(app.repository().cached(), 2);
        if backend.shared() {
            let unbounded = universe(&with(&backend.env(), &[("AGGREGATE_CACHE_MAXSIZE", "0")]));
            for &id in &ids {
                get(&unbounded, id);
            }
            assert_eq!(unbounded.repository().cached(), 3, "{}", backend.name);
        }
    }
}

/// What another application saves is seen by fast-forwarding; without
/// fast-forwarding it is not, until a save the store refuses drops the
/// stale copy.
#[test]
fn fast_forwarding_sees_other_writers_and_the_store_refuses_stale_saves() {
    for backend in backends().into_iter().filter(|b| b.shared()) {
        let writer = universe(&backend.env());
        let id = create(&writer, "Earth");
        happen(&writer, id, "dinosaurs").unwrap();

        let forward = universe(&with(&backend.env(), &[("AGGREGATE_CACHE_MAXSIZE", "10")]));
        let stale = universe(&with(
            &backend.env(),
            &[
                ("AGGREGATE_CACHE_MAXSIZE", "10"),
                ("AGGREGATE_CACHE_FASTFORWARD", "n"),
            ],
        ));
        assert_eq!(get(&forward, id).version(), 2);
        assert_eq!(get(&stale, id).version(), 2);
        happen(&writer, id, "trucks").unwrap();
        assert_eq!(get(&forward, id).history(), ["dinosaurs", "trucks"]);
        // Python's meaning: not brought up to date...
        assert_eq!(get(&stale, id).version(), 2, "{}", backend.name);
        // ...so its next save is refused by the store, and the copy dropped.
        assert!(matches!(
            happen(&stale, id, "internet").map_err(|e| e.into_kind()),
            Err(ErrorKind::VersionConflict {
                originator_version: 3,
                ..
            })
        ));
        assert_eq!(get(&stale, id).version(), 3);
        assert_eq!(happen(&stale, id, "internet").unwrap(), 4);
        assert_eq!(
            get(&writer, id).history(),
            ["dinosaurs", "trucks", "internet"]
        );
        // Its own saves it sees at once, through `update` or `save`.
        let mut world = get(&stale, id);
        world.make_it_so("robots");
        stale.save(&mut world).unwrap();
        assert_eq!(get(&stale, id).version(), 5);
        assert!(get(&stale, id).pending_events().is_empty());
        assert_eq!(get(&forward, id).version(), 5);
        // A stale copy saved through `save` (or `save_all`, or a
        // follower's tracked save) is dropped when the store refuses it
        // too: the next get rebuilds it, so a retry is not refused forever.
        happen(&writer, id, "volcanoes").unwrap();
        let mut world = get(&stale, id);
        assert_eq!(world.version(), 5, "{}", backend.name);
        world.make_it_so("comets");
        let err = stale.save(&mut world).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::VersionConflict { .. }),
            "{err}"
        );
        assert_eq!(get(&stale, id).version(), 6, "{}", backend.name);
    }
}

/// A command that fails, panics, or leaves its events unsaved leaves the
/// cached aggregate as the store has it.
#[test]
fn a_failed_command_leaves_the_cache_as_the_store_has_it() {
    for backend in backends() {
        let app = universe(&with(&backend.env(), &[("AGGREGATE_CACHE_MAXSIZE", "10")]));
        let id = create(&app, "Earth");
        happen(&app, id, "dinosaurs").unwrap();
        let err = app
            .update(id, |world: &mut World| -> Result<()> {
                world.make_it_so("half done");
                Err(ErrorKind::SnapshottingDisabled.into())
            })
            .unwrap_err();
        assert!(matches!(*err.kind(), ErrorKind::SnapshottingDisabled));
        assert_eq!(get(&app, id).history(), ["dinosaurs"], "{}", backend.name);
        // Refused before anything happened: the copy is kept as it is.
        assert!(
            app.update(id, |_: &mut World| -> Result<()> {
                Err(ErrorKind::SnapshottingDisabled.into())
            })
            .is_err()
        );
        assert_eq!(get(&app, id).history(), ["dinosaurs"]);
        // Events collected and dropped are not saved, and not cached.
        app.update(id, |world: &mut World| {
            world.make_it_so("lost");
            world.collect_events();
            Ok(())
        })
        .unwrap();
        assert_eq!(get(&app, id).history(), ["dinosaurs"], "{}", backend.name);
        // A command that panics.
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            app.update(id, |world: &mut World| -> Result<()> {
                world.make_it_so("panic");
                panic!("a bug in a command");
            })
        }));
        assert!(panicked.is_err());
        assert_eq!(get(&app, id).history(), ["dinosaurs"]);
        assert_eq!(happen(&app, id, "trucks").unwrap(), 3);
        assert_eq!(get(&app, id).history(), ["dinosaurs", "trucks"]);
    }
}

/// 8 threads of one application on one world: every command saved once, in
/// turn, with no conflict; readers meanwhile never see a version older than
/// one their application saved before they read.
fn eight_threads_on_one_world(env: &[(String, String)], name: &str) {
    const THREADS: usize = 8;
    const COMMANDS: usize = 25;
    let app = Arc::new(universe(env));
    let id = create(&app, "Earth");
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (app, start) = (Arc::clone(&app), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                for c in 0..COMMANDS {
                    let saved = happen(&app, id, &format!("{t}-{c}")).unwrap();
                    let seen = get(&app, id).version();
                    assert!(seen >= saved, "saw {seen} after saving {saved}");
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let world = get(&app, id);
    assert_eq!(world.version(), 1 + (THREADS * COMMANDS) as u64, "{name}");
    let mut history = world.history().to_vec();
    history.sort();
    history.dedup();
    assert_eq!(
        history.len(),
        THREADS * COMMANDS,
        "{name}: each command once"
    );
    // The cache holds what the store holds.
    let plain = eventsmith::Repository::new(app.event_store().clone());
    assert_eq!(plain.get::<World>(id).unwrap(), world, "{name}");
}

#[test]
fn eight_threads_on_one_world_on_every_backend() {
    for backend in backends() {
        for extra in [
            &[("AGGREGATE_CACHE_MAXSIZE", "10")][..],
            &[
                ("AGGREGATE_CACHE_MAXSIZE", "10"),
                ("AGGREGATE_CACHE_FASTFORWARD_SKIPPING", "y"),
            ],
            &[
                ("AGGREGATE_CACHE_MAXSIZE", "-1"),
                ("AGGREGATE_CACHE_FASTFORWARD", "n"),
            ],
        ] {
            eight_threads_on_one_world(&with(&backend.env(), extra), backend.name);
        }
    }
}

/// 8 threads, each on a world of its own and reading the others', with a
/// cache of one: every get a miss, every entry dropped as soon as made.
/// Each thread commands a world of its own and gets every world after
/// each command, with a cache of one, fast-forwarding and not: each thread
/// always gets its own world at the version its command saved (without
/// fast-forwarding, another thread's get once dropped the entry a command
/// was running on, and the next get served the store's copy from before
/// the save), and no world goes back.
#[test]
fn eight_threads_on_eight_worlds_with_a_cache_of_one() {
    const THREADS: usize = 8;
    let runs = backends()
        .into_iter()
        .flat_map(|backend| {
            let backend = Arc::new(backend);
            [(backend.clone(), "y"), (backend, "n")]
        })
        .collect::<Vec<_>>();
    for (backend, fastforward) in runs {
        let app = Arc::new(universe(&with(
            &backend.env(),
            &[
                ("AGGREGATE_CACHE_MAXSIZE", "1"),
                ("AGGREGATE_CACHE_FASTFORWARD", fastforward),
            ],
        )));
        let ids: Arc<Vec<WorldId>> = Arc::new(
            (0..THREADS)
                .map(|t| create(&app, &format!("w{t}")))
                .collect(),
        );
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (app, ids) = (Arc::clone(&app), Arc::clone(&ids));
                thread::spawn(move || {
                    let mut seen = [0; THREADS];
                    for c in 0..20 {
                        let saved = happen(&app, ids[t], &format!("{c}")).unwrap();
                        assert_eq!(get(&app, ids[t]).version(), saved, "older than saved");
                        for (i, &id) in ids.iter().enumerate() {
                            let version = get(&app, id).version();
                            assert!(version >= seen[i], "a world went back");
                            seen[i] = version;
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        for &id in ids.iter() {
            assert_eq!(
                get(&app, id).version(),
                21,
                "{} {fastforward}",
                backend.name
            );
        }
        assert!(app.repository().cached() <= 1);
    }
}

/// Two applications with caches on one store, 4 threads each on one world:
/// the store refuses what one saves over the other, and a command retried
/// after a conflict is saved once.
#[test]
fn two_applications_eight_threads_one_world() {
    for backend in backends().into_iter().filter(|b| b.shared()) {
        for fastforward in ["y", "n"] {
            let env = with(
                &backend.env(),
                &[
                    ("AGGREGATE_CACHE_MAXSIZE", "10"),
                    ("AGGREGATE_CACHE_FASTFORWARD", fastforward),
                    ("SQLITE_LOCK_TIMEOUT", "30"),
                ],
            );
            let apps = [Arc::new(universe(&env)), Arc::new(universe(&env))];
            let id = create(&apps[0], "Earth");
            let start = Arc::new(Barrier::new(8));
            let handles: Vec<_> = (0..8)
                .map(|t| {
                    let app = Arc::clone(&apps[t % 2]);
                    let start = Arc::clone(&start);
                    thread::spawn(move || {
                        start.wait();
                        let mut conflicts = 0;
                        for c in 0..10 {
                            let what = format!("{t}-{c}");
                            let saved = loop {
                                match happen(&app, id, &what) {
                                    Ok(version) => break version,
                                    Err(e)
                                        if matches!(
                                            e.kind(),
                                            ErrorKind::VersionConflict { .. }
                                        ) =>
                                    {
                                        conflicts += 1
                                    }
                                    Err(e) => panic!("{e}"),
                                }
                            };
                            assert!(get(&app, id).version() >= saved || fastforward == "n");
                        }
                        conflicts
                    })
                })
                .collect();
            let conflicts: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
            let world = get(&apps[0], id);
            let plain = eventsmith::Repository::new(apps[0].event_store().clone());
            let stored: World = plain.get(id).unwrap();
            assert_eq!(stored.version(), 81, "{} ff={fastforward}", backend.name);
            let mut history = stored.history().to_vec();
            history.sort();
            history.dedup();
            assert_eq!(history.len(), 80, "each command once");
            if fastforward == "y" {
                assert_eq!(world, stored);
            }
            eprintln!(
                "{} ff={fastforward}: {conflicts} conflicts refused by the store and retried",
                backend.name
            );
        }
    }
}

/// An id got as another aggregate type than the one cached under it.
#[test]
fn another_type_under_a_cached_id_is_an_error_not_a_panic() {
    use eventsmith_generated::world_v2;
    let app = universe(&[("AGGREGATE_CACHE_MAXSIZE".into(), "10".into())]);
    let id = create(&app, "Earth");
    happen(&app, id, "dinosaurs").unwrap();
    let other = world_v2::WorldId::from_uuid_unchecked(id.uuid());
    // The same topics: version 2 reads version 1's events.
    let v2: world_v2::World = app.repository().get(other).unwrap();
    assert_eq!(v2.reasons(), ["unknown"]);
    let err = app
        .update(other, |w: &mut world_v2::World| {
            w.make_it_so("trucks", "roads");
            Ok(())
        })
        .map(|()| get(&app, id).history().to_vec());
    assert_eq!(err.unwrap(), ["dinosaurs", "trucks"]);
}
