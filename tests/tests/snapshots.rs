//! Snapshots on every backend: taken every N versions as the schema says
//! (`schemas/world_v2.yaml`: every 100) and when asked, in the Python
//! library's tables and format, and read back: a get starts from the
//! latest snapshot at or below the version asked for, and gives what
//! replaying every event gives. Snapshots stored by version 1 of a model
//! are upcast. Rows that cannot be read are errors naming the snapshot.

use std::sync::Arc;

use eventsmith::__private::SnapshotWriter;
use eventsmith::persistence::{AesCipher, SNAPSHOT_TOPIC, SnapshotRecorder, StoredEvent};
use eventsmith::{Aggregate, Application, Error, ErrorKind, Repository};
use eventsmith_generated::world_v2::{Universe, World, WorldId};
use eventsmith_tests::backends::{
    Backend, PgSchema, SqliteFile, backends, pairs, postgres_client, with,
};
use eventsmith_tests::save_new;

/// The application the `Universe` facade of `world_v2.yaml` stands on,
/// with its defaults (snapshots every 100), on `env`: the runtime's own
/// API, which these tests read the snapshot store through.
fn universe(env: &[(String, String)]) -> Application {
    Application::isolated_with_defaults(Universe::NAME, Universe::DEFAULTS, pairs(env)).unwrap()
}

/// Creates a world, as the facade's `create_world` does.
fn create(app: &Application, name: &str) -> WorldId {
    save_new(app, World::create(name))
}

/// Something happens, as the facade's `make_it_so` does.
fn happen(app: &Application, id: WorldId, what: &str, why: &str) {
    let mut world: World = app.repository().get(id).unwrap();
    world.make_it_so(what, why);
    app.save(&mut world).unwrap();
}

/// The world `id` rebuilt from its events alone.
fn replayed(app: &Application, id: WorldId, version: Option<u64>) -> World {
    Repository::new(app.event_store().clone())
        .get_at(id, version)
        .unwrap()
}

fn snapshots(app: &Application) -> Arc<dyn SnapshotRecorder> {
    app.snapshots().expect("snapshotting is enabled").clone()
}

fn taken_every_100_and_read_back(backend: &Backend) {
    let app = universe(&backend.env());
    let id = create(&app, "Earth");
    for i in 2..=250 {
        happen(&app, id, &format!("thing {i}"), "because");
    }
    let snapshots = snapshots(&app);
    let versions = |lte| {
        snapshots
            .latest_snapshot(id.uuid(), lte)
            .unwrap()
            .map(|s| s.originator_version)
    };
    assert_eq!(versions(None), Some(200), "{}", backend.name);
    assert_eq!(versions(Some(199)), Some(100), "{}", backend.name);
    assert_eq!(versions(Some(99)), None, "{}", backend.name);

    // From the snapshot, or from the events alone: the same world.
    let world: World = app.repository().get(id).unwrap();
    assert_eq!(world.version(), 250);
    assert_eq!(world, replayed(&app, id, None), "{}", backend.name);
    for version in [1, 99, 100, 101, 150, 200, 201, 250] {
        let at: World = app.repository().get_at(id, Some(version)).unwrap();
        assert_eq!(at.version(), version);
        assert_eq!(at, replayed(&app, id, Some(version)), "{}", backend.name);
    }

    // Asked for: at a version, or as it is now; once per version.
    app.take_snapshot(id, Some(150)).unwrap();
    app.take_snapshot(id, None).unwrap();
    assert_eq!(versions(None), Some(250));
    assert_eq!(versions(Some(160)), Some(150));
    assert!(matches!(
        app.take_snapshot(id, Some(150)).map_err(|e| e.into_kind()),
        Err(ErrorKind::SnapshotConflict {
            originator_version: 150,
            ..
        })
    ));
    let err = app.take_snapshot(id, Some(150)).unwrap_err();
    assert!(
        err.to_string().starts_with("a snapshot of aggregate"),
        "{err}"
    );
    // A version the aggregate has not reached is refused, not taken at its last.
    assert!(matches!(
        app.take_snapshot(id, Some(251)).map_err(|e| e.into_kind()),
        Err(ErrorKind::NoSuchVersion {
            version: 251,
            latest: 250,
            ..
        })
    ));
    let missing = WorldId::new_v4();
    assert!(matches!(
        app.take_snapshot(missing, None).map_err(|e| e.into_kind()),
        Err(ErrorKind::AggregateNotFound { .. })
    ));

    // The stored snapshot is Python's: its topic, and its state's keys in order.
    let stored = snapshots.latest_snapshot(id.uuid(), None).unwrap().unwrap();
    assert_eq!(stored.topic, SNAPSHOT_TOPIC);
    let state = String::from_utf8(stored.state).unwrap();
    assert!(
        state.starts_with(r#"{"timestamp":{"_type_":"datetime_iso","_data_":""#),
        "{state}"
    );
    assert!(
        state.contains(r#"},"topic":"universe:World","state":{"_created_on":{"_type_":"datetime_iso","_data_":""#),
        "{state}"
    );
    assert!(
        state.contains(r#""_modified_on":{"_type_":"datetime_iso","_data_":""#)
            && state.contains(r#""},"name":"Earth","history":["thing 2","#)
            && state.ends_with(r#""because"],"class_version":2}}"#),
        "{state}"
    );
}

#[test]
fn snapshots_are_taken_every_n_versions_and_read_back_on_every_backend() {
    for backend in backends() {
        taken_every_100_and_read_back(&backend);
    }
}

/// A snapshot stored at the world's last version, holding what `edit`
/// makes of its own: later gets start from it (and so show the edit).
fn forge(app: &Application, id: WorldId, edit: impl FnOnce(&str) -> String) {
    let world: World = app.repository().get(id).unwrap();
    let mut json = Vec::new();
    SnapshotWriter::new(&mut json, &world)
        .field("name", &world.name().to_owned())
        .unwrap()
        .field("history", &world.history().to_vec())
        .unwrap()
        .field("reasons", &world.reasons().to_vec())
        .unwrap()
        .finish(2)
        .unwrap();
    let json = edit(std::str::from_utf8(&json).unwrap());
    snapshots(app)
        .insert_snapshot(&StoredEvent {
            originator_id: id.uuid(),
            originator_version: world.version(),
            topic: SNAPSHOT_TOPIC.to_owned().into(),
            state: json.into_bytes(),
        })
        .unwrap();
}

#[test]
fn a_get_starts_from_the_latest_snapshot() {
    for backend in backends() {
        let app = universe(&backend.env());
        let id = create(&app, "Earth");
        happen(&app, id, "dinosaurs", "asteroid");
        forge(&app, id, |json| json.replace("dinosaurs", "forged"));
        let history = |app: &Application| {
            app.repository()
                .get(id)
                .map(|w: World| w.history().to_vec())
                .unwrap()
        };
        assert_eq!(history(&app), ["forged"], "{}", backend.name);
        // Later events are applied to it.
        happen(&app, id, "trucks", "roads");
        assert_eq!(history(&app), ["forged", "trucks"]);
        // Below it, the events alone.
        let at: World = app.repository().get_at(id, Some(1)).unwrap();
        assert!(at.history().is_empty());
    }
}

#[test]
fn without_snapshotting_nothing_is_taken_or_read() {
    for backend in backends() {
        let off = with(&backend.env(), &[("IS_SNAPSHOTTING_ENABLED", "no")]);
        let app = universe(&off);
        assert!(app.snapshots().is_none());
        let id = create(&app, "Earth");
        for _ in 0..120 {
            happen(&app, id, "rain", "clouds");
        }
        assert!(matches!(
            app.take_snapshot(id, None).map_err(|e| e.into_kind()),
            Err(ErrorKind::SnapshottingDisabled)
        ));
        if !backend.shared() {
            continue; // another application's memory is not this one's
        }
        // None was taken at 100: with snapshotting on, there is none to read.
        let on = universe(&backend.env());
        assert_eq!(
            snapshots(&on).latest_snapshot(id.uuid(), None).unwrap(),
            None,
            "{}",
            backend.name
        );
        let bad = with(&backend.env(), &[("IS_SNAPSHOTTING_ENABLED", "maybe")]);
        let err = Universe::isolated(pairs(&bad)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"UNIVERSE_IS_SNAPSHOTTING_ENABLED="maybe" is not valid"#)
                || err
                    .to_string()
                    .starts_with(r#"IS_SNAPSHOTTING_ENABLED="maybe" is not valid"#),
            "{err}"
        );
    }
}

#[test]
fn encrypted_snapshots_hold_no_plain_text() {
    let key = AesCipher::create_key(16).unwrap();
    for backend in backends() {
        let env = with(
            &backend.env(),
            &[
                ("CIPHER_TOPIC", "eventsourcing.cipher:AESCipher"),
                ("CIPHER_KEY", &key),
                (
                    "COMPRESSOR_TOPIC",
                    "eventsourcing.compressor:ZlibCompressor",
                ),
            ],
        );
        let app = universe(&env);
        let id = create(&app, "Earth");
        happen(&app, id, "dinosaurs", "asteroid");
        app.take_snapshot(id, None).unwrap();
        let stored = snapshots(&app)
            .latest_snapshot(id.uuid(), None)
            .unwrap()
            .unwrap();
        assert!(
            !stored.state.windows(9).any(|w| w == b"dinosaurs"),
            "{}",
            backend.name
        );
        happen(&app, id, "trucks", "roads");
        let world: World = app.repository().get(id).unwrap();
        assert_eq!(world.history(), ["dinosaurs", "trucks"]);
    }
}

/// What a test makes of a good snapshot's state.
type Edit = Box<dyn FnOnce(&str) -> String>;

/// A snapshot whose state `edit` makes of a good one, read: the error.
fn read_forged(backend: &Backend, edit: impl FnOnce(&str) -> String) -> (WorldId, Error) {
    let app = universe(&backend.env());
    let id = create(&app, "Earth");
    happen(&app, id, "dinosaurs", "asteroid");
    forge(&app, id, edit);
    (id, app.repository().get::<World>(id).unwrap_err())
}

/// A snapshot written by a newer version of the model (its class version
/// above this code's, with an attribute this code does not know) is read
/// as the Python library reads it: what this code knows is taken, the rest
/// passed over. So a rolling deployment's old readers read what the new
/// writers snapshot.
#[test]
fn a_snapshot_of_a_newer_class_version_is_read_as_python_reads_it() {
    for backend in backends() {
        let app = universe(&backend.env());
        let id = create(&app, "Earth");
        happen(&app, id, "dinosaurs", "asteroid");
        // Its history says what only the snapshot holds, so the world read
        // is the snapshot's, not a replay of the events.
        forge(&app, id, |j| {
            j.replace(r#""class_version":2"#, r#""moons":1,"class_version":3"#)
                .replace("dinosaurs", "moon landing")
        });
        let world: World = app.repository().get(id).unwrap();
        assert_eq!(world.name(), "Earth", "{}", backend.name);
        assert_eq!(world.history(), ["moon landing"], "{}", backend.name);
        assert_eq!(world.version(), 2, "{}", backend.name);
    }
}

#[test]
fn a_snapshot_that_cannot_be_read_is_an_error_naming_it() {
    for backend in backends() {
        let cases: Vec<(&str, Edit, &str)> = vec![
            ("not JSON", Box::new(|_| "{".to_owned()), "EOF"),
            (
                "another aggregate",
                Box::new(|j| j.replace("universe:World", "universe:Planet")),
                r#"the snapshot is of the aggregate "universe:Planet", not "universe:World""#,
            ),
            (
                "a class version that is no number",
                Box::new(|j| j.replace(r#""class_version":2"#, r#""class_version":"2""#)),
                "not a class version",
            ),
            (
                "a class version below 1",
                Box::new(|j| j.replace(r#""class_version":2"#, r#""class_version":0"#)),
                "not a class version",
            ),
            (
                "a newer class version without an attribute this one needs",
                Box::new(|j| {
                    j.replace(r#""class_version":2"#, r#""class_version":3"#)
                        .replace(r#""name":"Earth","#, "")
                }),
                r#"the snapshot has no attribute "name""#,
            ),
            (
                "an attribute missing",
                Box::new(|j| j.replace(r#""name":"Earth","#, "")),
                r#"the snapshot has no attribute "name""#,
            ),
            (
                "an attribute of another type",
                Box::new(|j| j.replace(r#""name":"Earth""#, r#""name":7"#)),
                r#"attribute "name": invalid type: integer `7`"#,
            ),
            (
                "no creation time",
                Box::new(|j| j.replace("_created_on", "_born_on")),
                r#"the snapshot has no attribute "_created_on""#,
            ),
            (
                "a time that is no time",
                Box::new(|j| {
                    let at = j.find("_modified_on").unwrap();
                    let data = j[at..].find("_data_\":\"").unwrap() + at + 9;
                    format!("{}yesterday{}", &j[..data], &j[data + 32..])
                }),
                r#"attribute "_modified_on""#,
            ),
        ];
        for (case, edit, expected) in cases {
            let (id, err) = read_forged(&backend, edit);
            let text = err.to_string();
            assert!(
                matches!(
                    *err.kind(),
                    ErrorKind::Decode {
                        originator_version: 2,
                        ..
                    }
                ),
                "{} {case}: {err:?}",
                backend.name
            );
            assert!(
                text.starts_with(&format!(
                    "cannot decode event {SNAPSHOT_TOPIC} of aggregate {} version 2: ",
                    id.uuid()
                )) && text.contains(expected),
                "{} {case}: {text}",
                backend.name
            );
        }
    }
}

#[test]
fn a_snapshot_of_another_topic_is_refused() {
    for backend in backends() {
        let app = universe(&backend.env());
        let id = create(&app, "Earth");
        snapshots(&app)
            .insert_snapshot(&StoredEvent {
                originator_id: id.uuid(),
                originator_version: 1,
                topic: "myapp:MySnapshot".to_owned().into(),
                state: b"{}".to_vec(),
            })
            .unwrap();
        let err = app.repository().get::<World>(id).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::UnknownTopic { topic, originator_version: 1, .. } if topic == "myapp:MySnapshot"),
            "{}: {err}",
            backend.name
        );
    }
}

/// Snapshot rows as a database may hold them, read: NULLs, a negative
/// version; each an error naming the aggregate and the column.
#[test]
fn snapshot_rows_that_cannot_be_read_name_the_row() {
    let file = SqliteFile::new();
    let app = Universe::isolated(pairs(&file.env())).unwrap();
    let id = app.create_world("Earth").unwrap();
    let conn = rusqlite::Connection::open(&file.path).unwrap();
    let hex = id.uuid().simple().to_string();
    for (row, column) in [
        (format!("('{hex}', 1, NULL, x'7b7d')"), "topic"),
        (format!("('{hex}', 1, '{SNAPSHOT_TOPIC}', NULL)"), "state"),
        (
            format!("('{hex}', -1, '{SNAPSHOT_TOPIC}', x'7b7d')"),
            "originator_version",
        ),
        (
            format!("('{hex}', 1.5, '{SNAPSHOT_TOPIC}', x'7b7d')"),
            "originator_version",
        ),
    ] {
        conn.execute_batch(&format!(
            "DELETE FROM stored_snapshots; INSERT INTO stored_snapshots VALUES {row}"
        ))
        .unwrap();
        let err = app.get_world(id).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidStoredRow { column: c, originator_id: Some(o), .. } if *c == column && *o == id.uuid().to_string()),
            "{row}: {err}"
        );
    }

    let Some(pg) = PgSchema::new() else { return };
    let app = Universe::isolated(pairs(&pg.env())).unwrap();
    let id = app.create_world("Earth").unwrap();
    let mut client = postgres_client().unwrap();
    let table = format!("\"{}\".\"universe_snapshots\"", pg.schema);
    for (row, column) in [
        (format!("('{}', 1, NULL, '\\x7b7d')", id.uuid()), "topic"),
        (
            format!("('{}', 1, '{SNAPSHOT_TOPIC}', NULL)", id.uuid()),
            "state",
        ),
        (
            format!("('{}', -1, '{SNAPSHOT_TOPIC}', '\\x7b7d')", id.uuid()),
            "originator_version",
        ),
    ] {
        client
            .batch_execute(&format!(
                "DELETE FROM {table}; INSERT INTO {table} VALUES {row}"
            ))
            .unwrap();
        let err = app.get_world(id).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidStoredRow { column: c, .. } if *c == column),
            "{row}: {err}"
        );
    }
}

/// Version 1 of the world (`schemas/world.yaml`, no class version) takes
/// snapshots; version 2 (`world_v2.yaml`, at class version 2) reads them,
/// upcast by its `upgrades::reasons_unknown`.
#[test]
fn snapshots_of_version_1_are_upcast() {
    use eventsmith_generated::world as v1;
    for backend in backends() {
        if !backend.shared() {
            continue; // another application's memory is not this one's
        }
        let on = with(&backend.env(), &[("IS_SNAPSHOTTING_ENABLED", "y")]);
        let old = v1::Universe::isolated(pairs(&on)).unwrap();
        let id = old.create_world("Earth").unwrap();
        old.make_it_so(id, "dinosaurs").unwrap();
        old.make_it_so(id, "trucks").unwrap();
        old.take_snapshot(id, None).unwrap();
        let new = universe(&backend.env());
        let id = WorldId::from_uuid_unchecked(id.uuid());
        let stored = snapshots(&new)
            .latest_snapshot(id.uuid(), None)
            .unwrap()
            .unwrap();
        assert!(
            !String::from_utf8(stored.state)
                .unwrap()
                .contains("class_version")
        );
        let world: World = new.repository().get(id).unwrap();
        assert_eq!(world.reasons(), ["unknown", "unknown"], "{}", backend.name);
        assert_eq!(world.history(), ["dinosaurs", "trucks"]);
        // The events alone say so too: version 1's events upcast alike.
        assert_eq!(world, replayed(&new, id, None));
    }
}

/// A snapshot interval set for one application, over the schema's (the
/// Python library's `snapshotting_intervals`, per application class): the
/// tutorial's world, which its schema never snapshots, every 2 versions;
/// world_v2's, every 100 in its schema, never; and an interval where no
/// snapshots are kept is refused.
#[test]
fn a_snapshot_interval_is_set_per_application() {
    use eventsmith_generated::world as tutorial;
    use std::num::NonZeroU64;
    for backend in backends() {
        let env = with(&backend.env(), &[("IS_SNAPSHOTTING_ENABLED", "y")]);
        let app = tutorial::Universe::isolated(pairs(&env))
            .unwrap()
            .with_snapshot_interval::<tutorial::World>(NonZeroU64::new(2))
            .unwrap();
        let id = app.create_world("Earth").unwrap();
        for what in ["a", "b", "c", "d"] {
            app.make_it_so(id, what).unwrap();
        }
        let store = snapshots(app.as_application());
        let at = |lte| {
            store
                .latest_snapshot(id.uuid(), lte)
                .unwrap()
                .map(|s| s.originator_version)
        };
        assert_eq!(
            (at(None), at(Some(3))),
            (Some(4), Some(2)),
            "{}",
            backend.name
        );

        // The runtime's API, on world_v2 (snapshots every 100 in its schema).
        let mut never = universe(&env);
        never.set_snapshot_interval::<World>(None).unwrap();
        let id = create(&never, "Mars");
        for n in 0..100 {
            happen(&never, id, &format!("{n}"), "why");
        }
        assert_eq!(
            snapshots(&never).latest_snapshot(id.uuid(), None).unwrap(),
            None,
            "{}",
            backend.name
        );

        let err = tutorial::Universe::isolated(pairs(&backend.env()))
            .unwrap()
            .with_snapshot_interval::<tutorial::World>(NonZeroU64::new(2))
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::SnapshottingDisabled),
            "{err}"
        );
    }
}
