//! The application layer on the in-memory store: saving, the repository, the
//! notification log and its reader, configuration, and threads.

use std::sync::Arc;

use eventsmith::persistence::{AesCipher, NotificationQuery};
use eventsmith::{Aggregate, Application, ErrorKind, NotificationLogReader};
use eventsmith_generated::world::{Universe, World, WorldId};

#[test]
fn application_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Application>();
    assert_send_sync::<Universe>();
}

#[test]
fn missing_aggregate_is_not_found() {
    let app = Universe::isolated([]).unwrap();
    let id = WorldId::new_v4();
    let err = app.repository().get(id).unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::AggregateNotFound { aggregate_id, version: None } if aggregate_id == id.uuid())
    );
    assert!(matches!(
        app.make_it_so(id, "x").map_err(|e| e.into_kind()),
        Err(ErrorKind::AggregateNotFound { .. })
    ));
    // Asking for version 0 of an existing aggregate finds nothing either.
    let world_id = app.create_world("Earth").unwrap();
    let err = app
        .repository()
        .get_at::<World>(world_id, Some(0))
        .unwrap_err();
    assert!(
        matches!(
            *err.kind(),
            ErrorKind::AggregateNotFound {
                version: Some(0),
                ..
            }
        ),
        "{err}"
    );
    assert!(app.repository().contains(world_id).unwrap());
    assert!(!app.repository().contains(id).unwrap());
}

#[test]
fn repository_gets_every_version() {
    let app = Universe::isolated([]).unwrap();
    let id = app.create_world("Earth").unwrap();
    for what in ["dinosaurs", "trucks", "internet"] {
        app.make_it_so(id, what).unwrap();
    }
    for version in 1..=4 {
        let world: World = app.repository().get_at(id, Some(version)).unwrap();
        assert_eq!(world.version(), version);
        assert_eq!(world.history().len() as u64, version - 1);
    }
    let world: World = app.repository().get_at(id, Some(99)).unwrap();
    assert_eq!(world.version(), 4);
}

#[test]
fn save_all_is_atomic_across_aggregates() {
    let app = Universe::isolated([]).unwrap();
    let mut earth = World::create("Earth");
    let mut mars = World::create("Mars");
    let ids = app
        .as_application()
        .save_all(&mut [&mut earth, &mut mars])
        .unwrap();
    assert_eq!(ids, vec![1, 2]);
    assert!(earth.pending_events().is_empty() && mars.pending_events().is_empty());

    // A stale copy of Mars makes the whole batch fail: Earth's event is not stored either.
    let mut stale_mars: World = app.repository().get(mars.id()).unwrap();
    mars.make_it_so("rovers");
    app.save(&mut mars).unwrap();
    earth.make_it_so("dinosaurs");
    stale_mars.make_it_so("canals");
    let err = app
        .as_application()
        .save_all(&mut [&mut earth, &mut stale_mars])
        .unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::VersionConflict { originator_id, originator_version: 2 } if originator_id == mars.id().uuid())
    );
    assert_eq!(app.log().max_notification_id().unwrap(), Some(3));
    assert_eq!(app.get_history(earth.id()).unwrap(), Vec::<String>::new());
    // A failed save leaves the pending events in place, so nothing is lost.
    assert_eq!(earth.pending_events().len(), 1);
    app.save(&mut earth).unwrap();
    assert_eq!(app.get_history(earth.id()).unwrap(), ["dinosaurs"]);
}

#[test]
fn saving_nothing_stores_nothing() {
    let app = Universe::isolated([]).unwrap();
    let mut world = World::create("Earth");
    app.save(&mut world).unwrap();
    assert_eq!(app.save(&mut world).unwrap(), Vec::<u64>::new());
    assert_eq!(app.log().max_notification_id().unwrap(), Some(1));
}

#[test]
fn log_sections_follow_the_python_library() {
    let app = Universe::isolated([]).unwrap();
    let empty = app.log().section("1,10").unwrap();
    assert_eq!(
        (empty.id, empty.items.len(), empty.next_id),
        (None, 0, None)
    );
    let id = app.create_world("Earth").unwrap();
    for i in 0..24 {
        app.make_it_so(id, format!("thing {i}")).unwrap();
    }
    // 25 notifications.
    let s = app.log().section("1,10").unwrap();
    assert_eq!(s.items.len(), 10);
    assert_eq!(s.id.as_deref(), Some("1,10"));
    assert_eq!(s.next_id.as_deref(), Some("11,20"));
    // At most the section size (10), whatever is asked.
    let s = app.log().section("1,100").unwrap();
    assert_eq!(
        (s.id.as_deref(), s.items.len(), s.next_id.as_deref()),
        (Some("1,10"), 10, Some("11,20"))
    );
    // A smaller request is honoured, and a full one links to the next of the same size.
    let s = app.log().section("3,5").unwrap();
    assert_eq!(
        (s.id.as_deref(), s.items.len(), s.next_id.as_deref()),
        (Some("3,5"), 3, Some("6,8"))
    );
    // The last section is not full: no next id, and its id names what was returned.
    let s = app.log().section("21,30").unwrap();
    assert_eq!(
        (s.id.as_deref(), s.items.len(), s.next_id),
        (Some("21,25"), 5, None)
    );
    // Backwards is empty.
    let s = app.log().section("3,2").unwrap();
    assert_eq!((s.id, s.items.len(), s.next_id), (None, 0, None));
    // Start below 1 reads from 1.
    let s = app.log().section("0,4").unwrap();
    assert_eq!(s.id.as_deref(), Some("1,4"));
    // Beyond the end is empty.
    assert!(app.log().section("26,35").unwrap().items.is_empty());
    for bad in ["", "1", "a,b", "1;10", "1.0,2", ",", "1,", "0x1,2"] {
        let err = app.log().section(bad).unwrap_err();
        assert!(
            matches!(*err.kind(), ErrorKind::InvalidSectionId { .. }),
            "{bad}: {err}"
        );
    }
    // Read as Python's LocalNotificationLog reads them: int() of the parts
    // before and after the first comma, of any size, never a panic.
    for (section_id, expected) in [
        ("1,2,3", Some("1,2")),
        (" 1 , 2 ", Some("1,2")),
        ("+1,2_0", Some("1,10")),
        ("-5,3", Some("1,3")),
        ("1,-9223372036854775808", None),
        ("-9223372036854775808,9223372036854775807", Some("1,10")),
        ("9223372036854775807,-9223372036854775808", None),
        ("18446744073709551615,18446744073709551615", None),
        ("18446744073709551616,99999999999999999999999", None),
        ("-99999999999999999999999999999999999999,1", Some("1,1")),
    ] {
        let s = app.log().section(section_id).unwrap();
        assert_eq!(s.id.as_deref(), expected, "{section_id}");
    }
}

#[test]
fn reader_reads_from_any_start_and_selects_by_topic() {
    let app = Universe::isolated([]).unwrap();
    for name in ["Earth", "Mars", "Venus"] {
        let id = app.create_world(name).unwrap();
        for i in 0..4 {
            app.make_it_so(id, format!("{name} {i}")).unwrap();
        }
    }
    let reader = NotificationLogReader::new(app.log());
    let ids = |it: Box<dyn Iterator<Item = eventsmith::Result<eventsmith::Notification>>>| {
        it.map(|n| n.unwrap().id).collect::<Vec<_>>()
    };
    assert_eq!(ids(Box::new(reader.read(1))), (1..=15).collect::<Vec<_>>());
    assert_eq!(
        ids(Box::new(reader.read(11))),
        (11..=15).collect::<Vec<_>>()
    );
    assert_eq!(ids(Box::new(reader.read(16))), Vec::<u64>::new());
    let small = reader.clone().with_section_size(4);
    assert_eq!(ids(Box::new(small.read(2))), (2..=15).collect::<Vec<_>>());
    let started = ids(Box::new(reader.select(
        1,
        None,
        &["universe:World.Started"],
    )));
    assert_eq!(started, vec![1, 6, 11]);
    let started = ids(Box::new(small.select(
        2,
        Some(10),
        &["universe:World.Started"],
    )));
    assert_eq!(started, vec![6]);
    assert_eq!(ids(Box::new(small.select(1, None, &[]))).len(), 15);
}

#[test]
fn compression_and_encryption_apply_in_memory() {
    let key = AesCipher::create_key(16).unwrap();
    let zipped = Universe::isolated([("UNIVERSE_COMPRESSOR_TOPIC", "zlib")]).unwrap();
    zipped.create_world("Earth").unwrap();
    let state = &zipped.log().section("1,1").unwrap().items[0].state;
    assert_eq!(state[0], 0x78, "zlib header");
    let sealed = Universe::isolated([("CIPHER_KEY", key.as_str())]).unwrap();
    let id = sealed.create_world("Earth").unwrap();
    let state = &sealed.log().section("1,1").unwrap().items[0].state;
    assert!(!state.windows(5).any(|w| w == b"Earth"));
    assert_eq!(sealed.get_world(id).unwrap().name(), "Earth");
}

#[test]
fn a_wrong_key_is_a_typed_error_naming_the_event() {
    let key = AesCipher::create_key(32).unwrap();
    let app = Universe::isolated([("CIPHER_KEY", key.as_str())]).unwrap();
    let id = app.create_world("Earth").unwrap();
    // Another application over the same recorder, with another key.
    let other_key = AesCipher::create_key(32).unwrap();
    let mapper =
        eventsmith::persistence::Mapper::new(None, Some(AesCipher::new(&other_key).unwrap()));
    let other = Application::with_infrastructure(
        app.as_application().env().clone(),
        eventsmith::__private::Infrastructure {
            mapper,
            recorder: app.as_application().recorder().clone(),
            snapshots: None,
            process: None,
        },
    );
    let err = other.repository().get::<World>(id).unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::Decrypt { originator_id, originator_version: 1 } if originator_id == id.uuid()),
        "{err}"
    );
    assert!(err.to_string().contains("CIPHER_KEY"), "{err}");
}

#[test]
fn configuration_errors_name_the_variable() {
    let err = Universe::isolated([("UNIVERSE_INFRASTRUCTURE_FACTORY", "oracle")]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("UNIVERSE_INFRASTRUCTURE_FACTORY=\"oracle\" is not valid"),
        "{err}"
    );
    let err = Universe::isolated([("COMPRESSOR_TOPIC", "bz2")]).unwrap_err();
    assert!(
        err.to_string().starts_with("COMPRESSOR_TOPIC=\"bz2\""),
        "{err}"
    );
    let err = Universe::isolated([("CIPHER_KEY", "short")]).unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::InvalidCipherKey { .. }),
        "{err}"
    );
    let err = Universe::isolated([("CIPHER_TOPIC", "eventsourcing.cipher:AESCipher")]).unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::MissingSetting { .. }),
        "{err}"
    );
}

#[test]
fn eight_threads_lose_nothing() {
    const THREADS: usize = 8;
    const WORLDS: usize = 5;
    const COMMANDS: usize = 10;
    let app = Arc::new(Universe::isolated([]).unwrap());
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let app = app.clone();
            std::thread::spawn(move || {
                let mut ids = Vec::new();
                for w in 0..WORLDS {
                    let id = app.create_world(format!("world {t}.{w}")).unwrap();
                    for c in 0..COMMANDS {
                        app.make_it_so(id, format!("{t}.{w}.{c}")).unwrap();
                    }
                    ids.push(id);
                }
                ids
            })
        })
        .collect();
    let ids: Vec<WorldId> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let total = (THREADS * WORLDS * (COMMANDS + 1)) as u64;
    let all: Vec<_> = NotificationLogReader::new(app.log())
        .read(1)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len() as u64, total);
    eventsmith_tests::check_log(&all);
    for id in ids {
        assert_eq!(app.get_history(id).unwrap().len(), COMMANDS);
    }
    let q = NotificationQuery::new(1, 1000).topics(["universe:World.Started"]);
    assert_eq!(app.log().select(&q).unwrap().len(), THREADS * WORLDS);
}

/// The writer process (`src/bin/writer.rs`) configured from the process
/// environment, with `extra` variables beside the SQLite settings.
fn run_writer(
    file: &eventsmith_tests::backends::SqliteFile,
    extra: &[(&std::ffi::OsStr, &std::ffi::OsStr)],
) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_writer"));
    command.args(["2", "3"]).env_clear();
    for (key, value) in file.env() {
        command.env(key, value);
    }
    for (key, value) in extra {
        command.env(key, value);
    }
    command.output().expect("run the writer")
}

#[test]
fn a_non_utf8_variable_matters_only_when_it_is_a_setting() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let file = eventsmith_tests::backends::SqliteFile::new();
    let bad = OsStr::from_bytes(b"caf\xe9");
    // Non-UTF-8 names and values of variables the application does not read.
    let output = run_writer(
        &file,
        &[
            (bad, OsStr::new("x")),
            (OsStr::new("LANG_OF_NOTHING"), bad),
            (OsStr::new("UNIVERSE_NOT_A_SETTING"), bad),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 2);
    // One it reads is an error naming the variable.
    let output = run_writer(&file, &[(OsStr::new("UNIVERSE_COMPRESSOR_TOPIC"), bad)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("UNIVERSE_COMPRESSOR_TOPIC") && stderr.contains("UTF-8"),
        "{stderr}"
    );
}

#[test]
fn debug_shows_only_the_settings_read_with_secrets_redacted() {
    let key = AesCipher::create_key(16).unwrap();
    let app = Universe::isolated([
        ("UNIVERSE_CIPHER_KEY", key.as_str()),
        ("COMPRESSOR_TOPIC", "zlib"),
        ("SQLITE_DBNAME", "postgres://ignored:not-read@h/db"),
        ("DATABASE_URL", "postgres://app:url-password@db/es"),
        ("GITHUB_TOKEN", "ghp-token-value"),
        ("AWS_SECRET_ACCESS_KEY", "aws-secret-value"),
        ("HOME", "/home/unread"),
    ])
    .unwrap();
    let shown = format!("{app:?}");
    assert!(
        shown.contains("UNIVERSE_CIPHER_KEY") && shown.contains("\"COMPRESSOR_TOPIC\": \"zlib\""),
        "{shown}"
    );
    // A database named while events are kept in memory is said, its
    // password redacted.
    assert!(
        shown.contains("SQLITE_DBNAME is set, but PERSISTENCE_MODULE is not")
            && shown.contains("postgres://ignored:<redacted>@h/db"),
        "{shown}"
    );
    for unread in ["DATABASE_URL", "GITHUB_TOKEN", "AWS_SECRET", "HOME"] {
        assert!(!shown.contains(unread), "{unread} in {shown}");
    }
    for secret in [
        key.as_str(),
        "not-read",
        "url-password",
        "ghp-token-value",
        "aws-secret-value",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    // Settings read later (by a recorder made from the same settings) show,
    // their secrets redacted.
    let env = app.as_application().env().clone();
    assert!(env.get("DATABASE_URL").unwrap().is_some());
    assert!(env.get("GITHUB_TOKEN").unwrap().is_some());
    let shown = format!("{env:?}");
    assert!(
        shown.contains("postgres://app:<redacted>@db/es")
            && shown.contains("\"GITHUB_TOKEN\": \"<redacted>\""),
        "{shown}"
    );
}

/// Events collected from an aggregate and not saved leave a gap that a later
/// save must not store: on every backend, the save is a `VersionGap` and
/// writes nothing, and the aggregate keeps its pending events.
#[test]
fn a_save_that_skips_a_version_is_refused_on_every_backend() {
    use eventsmith_tests::backends::{backends, pairs};
    for backend in backends() {
        let env = backend.env();
        let app = Universe::isolated(pairs(&env)).unwrap();
        let mut world = World::create("Earth");
        world.make_it_so("dinosaurs");
        app.save(&mut world).unwrap();
        // Version 3 is collected and dropped; version 4 would follow nothing.
        world.make_it_so("trucks");
        let _lost = world.collect_events();
        world.make_it_so("internet");
        let before = app.log().max_notification_id().unwrap();
        let err = app.save(&mut world).unwrap_err();
        assert!(
            matches!(*err.kind(), ErrorKind::VersionGap { originator_id, originator_version: 4, expected: 3 }
                if originator_id == world.id().uuid()),
            "{env:?}: {err}"
        );
        assert_eq!(app.log().max_notification_id().unwrap(), before);
        assert_eq!(world.pending_events().len(), 1);
        assert_eq!(app.get_history(world.id()).unwrap(), ["dinosaurs"]);
        // Saved with another aggregate, nothing of either is stored.
        let mut mars = World::create("Mars");
        let err = app
            .as_application()
            .save_all(&mut [&mut mars, &mut world])
            .unwrap_err();
        assert!(matches!(*err.kind(), ErrorKind::VersionGap { .. }), "{err}");
        assert!(app.get_world(mars.id()).is_err());
        assert_eq!(app.log().max_notification_id().unwrap(), before);
    }
}

/// A created event stored at a version other than 1 (as a store the
/// Python library wrote with another `INITIAL_VERSION` holds it; the
/// Python library reads the aggregate at the created event's version) is
/// read at that version, and the next command follows it. It used to be
/// read as version 1, and every command then failed.
#[test]
fn a_created_event_stored_at_another_version_reads_at_that_version() {
    use eventsmith::DomainEvent;
    use eventsmith_generated::world::WorldEvent;
    use eventsmith_tests::backends::{SqliteFile, pairs};
    for created_at in [1, 3, 1_000_000] {
        let file = SqliteFile::new();
        let app = Universe::isolated(pairs(&file.env())).unwrap();
        let mut world = World::create("Earth");
        let mut events = world.collect_events();
        let WorldEvent::Started(started) = &mut events[0] else {
            panic!("not the created event")
        };
        started.originator_version = created_at;
        assert_eq!(events[0].header().1, created_at);
        let mapper = app.as_application().event_store().mapper();
        let stored = mapper.to_stored_event(&events[0]).unwrap();
        // Written as the other library wrote it: the recorder refuses a
        // first event at a version other than 1.
        app.as_application()
            .recorder()
            .max_notification_id()
            .unwrap();
        rusqlite::Connection::open(&file.path)
            .unwrap()
            .execute(
                "INSERT INTO stored_events VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![
                    stored.originator_id.simple().to_string(),
                    i64::try_from(created_at).unwrap(),
                    &*stored.topic,
                    stored.state
                ],
            )
            .unwrap();
        let read = app.get_world(world.id()).unwrap();
        assert_eq!(read.version(), created_at);
        assert_eq!(read.name(), "Earth");
        app.make_it_so(world.id(), "dinosaurs").unwrap();
        let read = app.get_world(world.id()).unwrap();
        assert_eq!(read.version(), created_at + 1);
        assert_eq!(read.history(), ["dinosaurs"]);
    }
}

/// A subscriber of the test's own: the message and fields of each event
/// the runtime emits, as text.
#[derive(Default)]
struct Seen(std::sync::Mutex<Vec<String>>);

impl tracing::Subscriber for Seen {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Text(String);
        impl tracing::field::Visit for Text {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={value:?} ", field.name()));
            }
        }
        let mut text = Text(format!("{} ", event.metadata().level()));
        event.record(&mut text);
        self.0.lock().unwrap().push(text.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Settings that name a database while no `PERSISTENCE_MODULE` chooses
/// one keep the events in memory (as the Python library does), and say so:
/// a `tracing` warning at construction, naming the application and the
/// variable, and the application's `Debug`. Chosen storage says nothing.
#[test]
fn a_database_named_while_events_are_kept_in_memory_is_a_warning() {
    use eventsmith::persistence::Environment;
    for key in ["SQLITE_DBNAME", "POSTGRES_DBNAME", "POSTGRES_HOST"] {
        let seen = Arc::new(Seen::default());
        let app = tracing::subscriber::with_default(seen.clone(), || {
            Universe::isolated([(key, "bank.sqlite")]).unwrap()
        });
        let events = seen.0.lock().unwrap().clone();
        assert_eq!(events.len(), 1, "{key}: {events:?}");
        assert!(
            events[0].starts_with("WARN ")
                && events[0].contains("application=\"Universe\"")
                && events[0].contains(&format!("variable={key}")),
            "{events:?}"
        );
        assert!(
            format!("{app:?}").contains(&format!("{key} is set, but PERSISTENCE_MODULE is not"))
        );
    }
    let file = eventsmith_tests::backends::SqliteFile::new();
    let seen = Arc::new(Seen::default());
    tracing::subscriber::with_default(seen.clone(), || {
        Application::from_env(Environment::isolated(
            "Universe",
            eventsmith_tests::backends::pairs(&file.env()),
        ))
        .unwrap();
        Universe::isolated([]).unwrap();
    });
    assert!(seen.0.lock().unwrap().is_empty());
}
