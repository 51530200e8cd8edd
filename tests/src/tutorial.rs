//! The tutorial, assert by assert, as a suite that runs against any module
//! providing `World`, `WorldEvent`, `Started`, `SomethingHappened` and
//! `Universe` (the generated ones, `eventsmith_generated::world`).

/// Expands to the tutorial's `test()` function, ported, as
/// `tutorial_test(app, expect_visible_in_db)`, for the domain module `$domain`.
#[macro_export]
macro_rules! tutorial_test_fn {
    ($domain:ident) => {
        /// The tutorial's `test()` function.
        pub fn tutorial_test(app: &$domain::Universe, expect_visible_in_db: bool) {
            use eventsmith::{Error, ErrorKind, NotificationLogReader};

            // Check app has zero event notifications.
            assert_eq!(app.log().section("1,10").unwrap().items.len(), 0);

            // Create a new aggregate.
            let world_id = app.create_world("Earth").unwrap();

            // Execute application commands.
            app.make_it_so(world_id, "dinosaurs").unwrap();
            app.make_it_so(world_id, "trucks").unwrap();

            // Check recorded state of the aggregate.
            assert_eq!(
                app.get_history(world_id).unwrap(),
                vec!["dinosaurs", "trucks"]
            );

            // Execute another command.
            app.make_it_so(world_id, "internet").unwrap();

            // Check recorded state of the aggregate.
            assert_eq!(
                app.get_history(world_id).unwrap(),
                vec!["dinosaurs", "trucks", "internet"]
            );

            // Check values are (or aren't visible) in the database.
            let values: [&[u8]; 3] = [b"dinosaurs", b"trucks", b"internet"];
            let expected_num_visible = if expect_visible_in_db {
                values.len()
            } else {
                0
            };
            let mut actual_num_visible = 0;
            let reader = NotificationLogReader::new(app.log());
            for notification in reader.read(1) {
                let notification = notification.unwrap();
                if values
                    .iter()
                    .any(|what| notification.state.windows(what.len()).any(|w| w == *what))
                {
                    actual_num_visible += 1;
                }
            }
            assert_eq!(expected_num_visible, actual_num_visible);

            // Get historical state (at version 3, before 'internet' happened).
            let mut old: $domain::World = app.repository().get_at(world_id, Some(3)).unwrap();
            assert_eq!(old.history().len(), 2);
            assert_eq!(old.history().last().unwrap(), "trucks");

            // Check app has four event notifications.
            assert_eq!(app.log().section("1,10").unwrap().items.len(), 4);

            // Optimistic concurrency control (no branches).
            old.make_it_so("future");
            match app.save(&mut old).map_err(Error::into_kind) {
                Err(ErrorKind::VersionConflict {
                    originator_id,
                    originator_version,
                }) => {
                    assert_eq!((originator_id, originator_version), (world_id.uuid(), 4));
                }
                other => panic!("Shouldn't get here: {other:?}"),
            }

            // Check app still has only four event notifications.
            assert_eq!(app.log().section("1,10").unwrap().items.len(), 4);

            // Read event notifications.
            let reader = NotificationLogReader::new(app.log());
            let notifications: Vec<_> = reader.read(1).collect::<Result<_, _>>().unwrap();
            assert_eq!(notifications.len(), 4);

            // Create eight more aggregate events.
            let world_id = app.create_world("Mars").unwrap();
            app.make_it_so(world_id, "plants").unwrap();
            app.make_it_so(world_id, "fish").unwrap();
            app.make_it_so(world_id, "mammals").unwrap();

            let world_id = app.create_world("Venus").unwrap();
            app.make_it_so(world_id, "morning").unwrap();
            app.make_it_so(world_id, "afternoon").unwrap();
            app.make_it_so(world_id, "evening").unwrap();

            // Get the new event notifications from the reader.
            let last_id = notifications.last().unwrap().id;
            let notifications: Vec<_> = reader.read(last_id + 1).collect::<Result<_, _>>().unwrap();
            assert_eq!(notifications.len(), 8);

            // Get all the event notifications from the application log.
            let notifications: Vec<_> = reader.read(1).collect::<Result<_, _>>().unwrap();
            assert_eq!(notifications.len(), 12);
        }
    };
}

/// Expands to the tutorial's walkthrough (aggregate, events, application,
/// log) and its `test()` on every backend (its development, SQLite and
/// PostgreSQL environments), plain and with AES + zlib, and on SQLite's
/// in-memory databases, as `#[test]` functions for the domain module
/// `$domain`.
#[macro_export]
macro_rules! tutorial_suite {
    ($domain:ident) => {
        $crate::tutorial_test_fn!($domain);

        #[test]
        fn event_sourced_aggregate() {
            use eventsmith::{Aggregate, DomainEvent};
            use $domain::World;

            let mut world = World::create("Earth");
            assert_eq!(world.name(), "Earth");
            assert!(world.history().is_empty());
            // The id is a version 4 (random) UUID.
            assert_eq!(world.id().uuid().get_version_num(), 4);
            assert_eq!(world.version(), 1);

            world.make_it_so("Python");
            assert_eq!(world.history(), ["Python"]);
            assert_eq!(world.version(), 2);

            let events = world.collect_events();
            assert!(world.pending_events().is_empty());
            let copy = events[0].clone().mutate(None).unwrap();
            let copy = events[1].clone().mutate(Some(copy)).unwrap();
            assert_eq!(copy, world);
        }

        #[test]
        fn aggregate_events_in_more_detail() {
            use eventsmith::{Aggregate, DomainEvent};
            use $domain::{World, WorldEvent};

            // A created event alone builds the aggregate.
            let mut world = World::create("Earth");
            let events = world.collect_events();
            assert_eq!(events.len(), 1);
            let copy = events[0].clone().mutate(None).unwrap();
            assert_eq!(copy, world);
            assert!(events[0].is_created());
            let WorldEvent::Started(started) = &events[0] else {
                panic!("expected Started, got {:?}", events[0]);
            };
            assert_eq!(started.name, "Earth");
            assert!(events[0].topic().ends_with("World.Started"));

            let mut world = World::create("Earth");
            assert_eq!(world.name(), "Earth");
            assert!(world.history().is_empty());
            world.make_it_so("Python");
            assert_eq!(world.history(), ["Python"]);
            let events = world.collect_events();
            assert_eq!(events.len(), 2);
            assert!(matches!(&events[0], WorldEvent::Started(e) if e.name == "Earth"));
            assert!(matches!(&events[1], WorldEvent::SomethingHappened(e) if e.what == "Python"));
            assert!(events[1].topic().ends_with("World.SomethingHappened"));

            let mut copy = None;
            for event in events {
                copy = Some(event.mutate(copy).unwrap());
            }
            assert_eq!(copy.unwrap(), world);
        }

        #[test]
        fn aggregate_times_and_versions() {
            use eventsmith::{Aggregate, DomainEvent};
            use $domain::World;

            let mut world = World::create("Earth");
            assert_eq!(world.created_on(), world.modified_on());
            assert_eq!(world.created_on().timestamp_subsec_nanos() % 1_000, 0, "microsecond precision");
            std::thread::sleep(std::time::Duration::from_millis(2));
            world.make_it_so("dinosaurs");
            assert!(world.modified_on() > world.created_on());
            let events = world.pending_events().to_vec();
            assert_eq!(events[0].originator_version(), 1);
            assert_eq!(events[1].originator_version(), 2);
            assert_eq!(events[1].originator_id(), world.id());
            assert_eq!(events[1].timestamp(), world.modified_on());
        }

        #[test]
        fn mutate_checks_id_version_and_creation() {
            use eventsmith::{Aggregate, DomainEvent, ErrorKind};
            use $domain::World;

            let mut earth = World::create("Earth");
            earth.make_it_so("dinosaurs");
            earth.make_it_so("trucks");
            let earth_events = earth.collect_events();
            let mut mars = World::create("Mars");
            let mars_events = mars.collect_events();

            // A non-created event needs an aggregate.
            let err = earth_events[1].clone().mutate(None).unwrap_err();
            assert!(matches!(*err.kind(), ErrorKind::CreationMismatch { is_created: false, .. }), "{err}");
            // A created event needs none.
            let err = mars_events[0].clone().mutate(Some(earth.clone())).unwrap_err();
            assert!(matches!(*err.kind(), ErrorKind::CreationMismatch { is_created: true, .. }), "{err}");
            // An event of another aggregate.
            let err = earth_events[1].clone().mutate(Some(mars.clone())).unwrap_err();
            assert!(
                matches!(*err.kind(), ErrorKind::OriginatorIdMismatch { aggregate_id, .. } if aggregate_id == mars.id().uuid()),
                "{err}"
            );
            // An event out of order: version 3 on an aggregate at version 1.
            let v1 = earth_events[0].clone().mutate(None).unwrap();
            let err = earth_events[2].clone().mutate(Some(v1.clone())).unwrap_err();
            assert!(
                matches!(*err.kind(), ErrorKind::OriginatorVersionMismatch { aggregate_version: 1, originator_version: 3, .. }),
                "{err}"
            );
            assert!(err.to_string().contains("expected 2"), "{err}");
            // The same event twice.
            let v2 = earth_events[1].clone().mutate(Some(v1)).unwrap();
            assert!(earth_events[1].clone().mutate(Some(v2)).is_err());
        }

        #[test]
        fn event_sourced_application() {
            use eventsmith::Aggregate;
            use $domain::{Universe, World};

            let application = Universe::isolated([]).unwrap();
            let world_id = application.create_world("Earth").unwrap();
            application.make_it_so(world_id, "dinosaurs").unwrap();
            application.make_it_so(world_id, "trucks").unwrap();
            application.make_it_so(world_id, "internet").unwrap();
            let history = application.get_history(world_id).unwrap();
            assert_eq!(history, ["dinosaurs", "trucks", "internet"]);

            let world: World = application.repository().get(world_id).unwrap();
            assert_eq!(world.version(), 4);

            let log_section = application.log().section("1,4").unwrap();
            let notifications = &log_section.items;
            assert_eq!(notifications.iter().map(|n| n.id).collect::<Vec<_>>(), [1, 2, 3, 4]);
            assert!(notifications[0].topic.contains("World.Started"));
            assert!(notifications[1].topic.contains("World.SomethingHappened"));
            assert!(notifications[2].topic.contains("World.SomethingHappened"));
            assert!(notifications[3].topic.contains("World.SomethingHappened"));
            let contains = |state: &[u8], what: &[u8]| state.windows(what.len()).any(|w| w == what);
            assert!(contains(&notifications[0].state, b"Earth"));
            assert!(contains(&notifications[1].state, b"dinosaurs"));
            assert!(contains(&notifications[2].state, b"trucks"));
            assert!(contains(&notifications[3].state, b"internet"));
            for n in notifications {
                assert_eq!(n.originator_id, world_id.uuid());
            }
        }

        #[test]
        fn the_tutorial_runs_on_every_backend() {
            for backend in $crate::backends::backends() {
                eprintln!("{}:", backend.name);
                let app = $domain::Universe::isolated($crate::backends::pairs(&backend.env())).unwrap();
                tutorial_test(&app, true);
            }
        }

        #[test]
        fn the_tutorial_runs_on_every_backend_with_aes_and_zlib() {
            for backend in $crate::backends::backends() {
                eprintln!("{}:", backend.name);
                let key = eventsmith::persistence::AesCipher::create_key(32).unwrap();
                let mut env = backend.env();
                if matches!(backend.store, $crate::backends::Store::Postgres(_)) {
                    // The topics written out, and the pool's settings.
                    env.extend([
                        ("CIPHER_KEY".to_owned(), key),
                        ("CIPHER_TOPIC".to_owned(), "eventsourcing.cipher:AESCipher".to_owned()),
                        ("COMPRESSOR_TOPIC".to_owned(), "eventsourcing.compressor:ZlibCompressor".to_owned()),
                        ("POSTGRES_CONN_MAX_AGE".to_owned(), "60".to_owned()),
                        ("POSTGRES_PRE_PING".to_owned(), "y".to_owned()),
                        ("POSTGRES_LOCK_TIMEOUT".to_owned(), "10".to_owned()),
                        ("POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT".to_owned(), "10".to_owned()),
                    ]);
                } else {
                    env.extend([
                        ("CIPHER_KEY".to_owned(), key),
                        ("COMPRESSOR_TOPIC".to_owned(), "zlib".to_owned()),
                    ]);
                }
                let app = $domain::Universe::isolated($crate::backends::pairs(&env)).unwrap();
                tutorial_test(&app, false);
                if !matches!(backend.store, $crate::backends::Store::Memory) {
                    // The raw rows, read with plain SQL, hold none of the values.
                    let states = backend.stored_states("Universe");
                    assert_eq!(states.len(), 12, "{}", backend.name);
                    for what in [&b"dinosaurs"[..], b"trucks", b"internet", b"Earth", b"Mars"] {
                        assert!(!states.iter().any(|s| s.windows(what.len()).any(|w| w == what)), "{}", backend.name);
                    }
                }
            }
        }

        #[test]
        fn sqlite_environment_in_memory() {
            for dbname in [":memory:", ":memory:?mode=memory&cache=shared"] {
                let app = $domain::Universe::isolated([
                    ("INFRASTRUCTURE_FACTORY", "eventsourcing.sqlite:Factory"),
                    ("SQLITE_DBNAME", dbname),
                    ("SQLITE_LOCK_TIMEOUT", "10"),
                ])
                .unwrap();
                tutorial_test(&app, true);
            }
        }

        #[test]
        fn sqlite_named_memory_databases_stay_apart() {
            let name = |n: &str| format!("file:{n}_{}?mode=memory&cache=shared", eventsmith::Uuid::new_v4().simple());
            let (db1, db2) = (name("application1"), name("application2"));
            let app1 = $domain::Universe::isolated([("INFRASTRUCTURE_FACTORY", "sqlite"), ("SQLITE_DBNAME", db1.as_str())]).unwrap();
            let app2 = $domain::Universe::isolated([("INFRASTRUCTURE_FACTORY", "sqlite"), ("SQLITE_DBNAME", db2.as_str())]).unwrap();
            let id = app1.create_world("Earth").unwrap();
            assert_eq!(app1.log().section("1,10").unwrap().items.len(), 1);
            assert_eq!(app2.log().section("1,10").unwrap().items.len(), 0);
            assert!(app2.get_world(id).is_err());
            // A second application on the same name shares the database.
            let again = $domain::Universe::isolated([("INFRASTRUCTURE_FACTORY", "sqlite"), ("SQLITE_DBNAME", db1.as_str())]).unwrap();
            assert_eq!(again.get_world(id).unwrap().name(), "Earth");
        }
    };
}
