//! Rows no writer of this library makes, written with plain SQL: a negative
//! or out-of-range version, NULL and wrongly typed columns, an id that is not
//! a UUID; and positions nothing stores: section ids and reader starts at and
//! past the ends of the number types. Each gives a typed error naming what
//! could be read of the row's position, never a panic or a wrapped value,
//! and a reader of the log carries on after the row it cannot read.

use eventsmith::persistence::EventQuery;
use eventsmith::{Error, ErrorKind, NotificationLogReader, Uuid};
use eventsmith_generated::world::{Universe, World, WorldId};
use eventsmith_tests::backends::{PgSchema, SqliteFile, pairs, postgres_client};

/// What a read of one broken aggregate, or of the log, must say: the column,
/// and the aggregate and version as stored when they could be read.
struct Expected {
    column: &'static str,
    version: Option<i64>,
    problem: &'static str,
}

fn check_row_error(err: &Error, id: Option<&str>, expected: &Expected) {
    let text = err.to_string();
    match err.kind() {
        ErrorKind::InvalidStoredRow {
            originator_id,
            originator_version,
            column,
            ..
        } => {
            assert_eq!(*column, expected.column, "{text}");
            assert_eq!(*originator_version, expected.version, "{text}");
            if let Some(id) = id {
                assert_eq!(originator_id.as_deref(), Some(id), "{text}");
                assert!(text.contains(id), "{text}");
            }
        }
        other => panic!("expected InvalidStoredRow, got {other:?}"),
    }
    assert!(text.contains(expected.problem), "{text}");
    if let Some(v) = expected.version {
        assert!(text.contains(&format!("version {v}")), "{text}");
    }
}

/// Reads the whole log with a reader: the notifications it gives, and the
/// notification ids of the rows it reports as unreadable, in order.
fn read_log(app: &Universe, section_size: usize) -> (Vec<u64>, Vec<i64>) {
    let mut good = Vec::new();
    let mut broken = Vec::new();
    for item in NotificationLogReader::new(app.log())
        .with_section_size(section_size)
        .read(1)
    {
        match item.map_err(Error::into_kind) {
            Ok(n) => good.push(n.id),
            Err(ErrorKind::InvalidStoredRow {
                notification_id: Some(n),
                ..
            }) => broken.push(n),
            Err(other) => panic!("{other}"),
        }
    }
    (good, broken)
}

#[test]
fn unreadable_sqlite_rows_are_typed_errors_naming_the_row() {
    let file = SqliteFile::new();
    let app = Universe::isolated(pairs(&file.env())).unwrap();
    // A good world first, so the log has readable rows around the broken ones.
    let good_world = app.create_world("Earth").unwrap();
    let conn = rusqlite::Connection::open(&file.path).unwrap();
    let state = conn
        .query_row(
            "SELECT state FROM stored_events WHERE rowid = 1",
            [],
            |row| row.get::<_, Vec<u8>>(0),
        )
        .unwrap();
    let cases: [(&str, Expected); 9] = [
        (
            "-1, 'universe:World.Started', ?2",
            Expected {
                column: "originator_version",
                version: Some(-1),
                problem: "is -1, below 0",
            },
        ),
        (
            "-5, 'universe:World.Started', ?2",
            Expected {
                column: "originator_version",
                version: Some(-5),
                problem: "below 0",
            },
        ),
        (
            "NULL, 'universe:World.Started', ?2",
            Expected {
                column: "originator_version",
                version: None,
                problem: "is NULL",
            },
        ),
        (
            "'one', 'universe:World.Started', ?2",
            Expected {
                column: "originator_version",
                version: None,
                problem: "is text, not an integer",
            },
        ),
        (
            "1.5, 'universe:World.Started', ?2",
            Expected {
                column: "originator_version",
                version: None,
                problem: "a real number",
            },
        ),
        (
            "1, NULL, ?2",
            Expected {
                column: "topic",
                version: Some(1),
                problem: "is NULL, not text",
            },
        ),
        (
            "1, CAST(X'FFFE' AS TEXT), ?2",
            Expected {
                column: "topic",
                version: Some(1),
                problem: "is not UTF-8 text",
            },
        ),
        (
            "1, 'universe:World.Started', NULL",
            Expected {
                column: "state",
                version: Some(1),
                problem: "is NULL, not a blob",
            },
        ),
        (
            "1, 'universe:World.Started', 'text'",
            Expected {
                column: "state",
                version: Some(1),
                problem: "is text, not a blob",
            },
        ),
    ];
    let mut broken_ids = Vec::new();
    for (values, expected) in &cases {
        let id = Uuid::new_v4();
        let hex = id.simple().to_string();
        let mut statement = conn
            .prepare(&format!(
                "INSERT INTO stored_events (originator_id, originator_version, topic, state) \
                 VALUES (?1, {values})"
            ))
            .unwrap();
        if values.contains("?2") {
            statement.execute(rusqlite::params![hex, state]).unwrap();
        } else {
            statement.execute(rusqlite::params![hex]).unwrap();
        }
        broken_ids.push(conn.last_insert_rowid());
        // Getting the aggregate names it, and the version when it could be read.
        let err = app.get_world(WorldId::from_uuid_unchecked(id)).unwrap_err();
        check_row_error(&err, Some(&id.to_string()), expected);
        let err = app
            .as_application()
            .recorder()
            .select_events(id, EventQuery::new())
            .unwrap_err();
        check_row_error(&err, Some(&id.to_string()), expected);
    }
    // An aggregate id that is not a UUID shows only in the log.
    conn.execute(
        "INSERT INTO stored_events (originator_id, originator_version, topic, state) \
         VALUES ('not-a-uuid', 1, 't', X'00')",
        [],
    )
    .unwrap();
    broken_ids.push(conn.last_insert_rowid());
    app.make_it_so(good_world, "after").unwrap();
    let last_good = conn.last_insert_rowid() + 1;

    // Every section holding a broken row fails naming its notification id.
    let err = app.log().section("2,2").unwrap_err();
    assert!(
        matches!(
            *err.kind(),
            ErrorKind::InvalidStoredRow {
                notification_id: Some(2),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("notification 2"), "{err}");
    let err = app.log().section("11,11").unwrap_err();
    assert!(
        matches!(
            *err.kind(),
            ErrorKind::InvalidStoredRow {
                notification_id: Some(11),
                column: "originator_id",
                ..
            }
        ),
        "{err}"
    );
    // A reader gives every readable notification and reports each broken
    // row in its place, whatever the section size.
    for size in [1, 2, 3, 10, 100] {
        let (good, broken) = read_log(&app, size);
        assert_eq!(good, [1, u64::try_from(last_good).unwrap()], "size {size}");
        assert_eq!(broken, broken_ids, "size {size}");
    }
    // The good world is still readable.
    assert_eq!(app.get_history(good_world).unwrap(), ["after"]);
}

#[test]
fn unreadable_postgres_rows_are_typed_errors_naming_the_row() {
    let Some(pg) = PgSchema::new() else { return };
    let app = Universe::isolated(pairs(&pg.env())).unwrap();
    let good_world = app.create_world("Earth").unwrap();
    let mut client = postgres_client().unwrap();
    let table = format!("{}.universe_events", pg.schema);
    let cases = [
        (
            "-1, 'universe:World.Started', (SELECT state FROM T WHERE notification_id = 1)",
            Expected {
                column: "originator_version",
                version: Some(-1),
                problem: "is -1, below 0",
            },
        ),
        (
            "-9223372036854775808, 't', ''::bytea",
            Expected {
                column: "originator_version",
                version: Some(i64::MIN),
                problem: "below 0",
            },
        ),
        (
            "1, NULL, ''::bytea",
            Expected {
                column: "topic",
                version: Some(1),
                problem: "is NULL",
            },
        ),
        (
            "1, 'universe:World.Started', NULL",
            Expected {
                column: "state",
                version: Some(1),
                problem: "is NULL",
            },
        ),
    ];
    let mut broken_ids = Vec::new();
    for (values, expected) in &cases {
        let id = Uuid::new_v4();
        let values = values.replace(" T ", &format!(" {table} "));
        let row = client
            .query_one(
                &format!(
                    "INSERT INTO {table} (originator_id, originator_version, topic, state) \
                     VALUES ($1, {values}) RETURNING notification_id"
                ),
                &[&id],
            )
            .unwrap();
        broken_ids.push(row.get::<_, i64>(0));
        let err = app.get_world(WorldId::from_uuid_unchecked(id)).unwrap_err();
        check_row_error(&err, Some(&id.to_string()), expected);
    }
    app.make_it_so(good_world, "after").unwrap();
    for size in [1, 2, 10] {
        let (good, broken) = read_log(&app, size);
        assert_eq!(good.len(), 2, "size {size}");
        assert_eq!(broken, broken_ids, "size {size}");
    }
    // A table whose ids are text (the Python library's ORIGINATOR_ID_TYPE=text)
    // is read as what it is: a typed error naming the column.
    client
        .batch_execute(&format!(
            "ALTER TABLE {table} ALTER COLUMN originator_id TYPE text USING originator_id::text"
        ))
        .unwrap();
    let err = app.log().section("1,1").unwrap_err();
    assert!(
        matches!(
            *err.kind(),
            ErrorKind::InvalidStoredRow {
                notification_id: Some(1),
                column: "originator_id",
                ..
            }
        ),
        "{err}"
    );
    // Getting an aggregate by its UUID from it is an error saying so.
    let err = app.get_world(good_world).unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::Postgres(_)) && err.to_string().contains("type `text`"),
        "{err}"
    );
}

/// A stored version of -1 used to panic the error's `Display` (as
/// `u64::MAX + 1`); one of `u64::MAX` in an aggregate must not either.
#[test]
fn an_aggregate_at_the_last_version_displays_its_errors() {
    use eventsmith::{Aggregate, DomainEvent};
    let mut world = World::create("Earth");
    world.make_it_so("dinosaurs");
    let events = world.collect_events();
    let err = ErrorKind::OriginatorVersionMismatch {
        topic: events[1].topic().to_owned(),
        aggregate_id: world.id().uuid(),
        aggregate_version: u64::MAX,
        originator_version: 2,
    };
    assert!(err.to_string().contains("no version follows it"), "{err}");
}

#[test]
fn positions_at_the_ends_of_the_number_types_read_nothing() {
    let app = Universe::isolated([]).unwrap();
    let id = app.create_world("Earth").unwrap();
    app.make_it_so(id, "dinosaurs").unwrap();
    let reader = NotificationLogReader::new(app.log());
    for start in [u64::MAX, u64::MAX - 1, i64::MAX as u64, i64::MAX as u64 + 1] {
        assert_eq!(reader.read(start).count(), 0, "{start}");
        assert_eq!(reader.select(start, None, &[]).count(), 0, "{start}");
        assert_eq!(
            reader.select(start, Some(u64::MAX), &[]).count(),
            0,
            "{start}"
        );
    }
    assert_eq!(reader.read(0).count(), 2);
    assert_eq!(reader.select(0, Some(u64::MAX), &[]).count(), 2);
    assert_eq!(reader.select(2, Some(1), &[]).count(), 0);
    let section = app.log().section("1,18446744073709551615").unwrap();
    assert_eq!(section.items.len(), 2);
    let section = app.log().section("1,1").unwrap();
    assert_eq!(section.next_id.as_deref(), Some("2,2"));
}

/// A row that inflates past `MAX_DECOMPRESSED_SIZE` is a typed error naming
/// the event, found without inflating it all; the setting is range-checked.
#[test]
fn a_row_that_inflates_past_the_limit_is_a_typed_error() {
    let writer = Universe::isolated([("COMPRESSOR_TOPIC", "zlib")]).unwrap();
    let id = writer.create_world("x".repeat(1 << 20)).unwrap();
    let stored = writer.log().section("1,1").unwrap().items.remove(0);
    assert!(stored.state.len() < 5_000, "{}", stored.state.len());
    let limited = eventsmith::Application::with_infrastructure(
        writer.as_application().env().clone(),
        eventsmith::__private::Infrastructure {
            mapper: eventsmith::persistence::Mapper::new(
                Some(eventsmith::persistence::ZlibCompressor),
                None,
            )
            .with_max_decompressed_size(64 << 10),
            recorder: writer.as_application().recorder().clone(),
            snapshots: None,
            process: None,
        },
    );
    let err = limited.repository().get::<World>(id).unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::DecompressedTooLarge { originator_id, originator_version: 1, limit: 65_536 } if originator_id == id.uuid()),
        "{err}"
    );
    assert!(err.to_string().contains("MAX_DECOMPRESSED_SIZE"), "{err}");
    // The same limit from the setting; the default reads it.
    let app = Universe::isolated([
        ("COMPRESSOR_TOPIC", "zlib"),
        ("MAX_DECOMPRESSED_SIZE", "65_536"),
    ])
    .unwrap();
    assert_eq!(
        app.as_application()
            .event_store()
            .mapper()
            .max_decompressed_size(),
        65_536
    );
    let id = app.create_world("x".repeat(100_000)).unwrap();
    assert!(matches!(
        app.get_world(id).map_err(|e| e.into_kind()),
        Err(ErrorKind::DecompressedTooLarge { limit: 65_536, .. })
    ));
    assert_eq!(writer.get_world(id).ok(), None, "another store");
    assert_eq!(
        writer
            .as_application()
            .event_store()
            .mapper()
            .max_decompressed_size(),
        256 << 20
    );
    for bad in ["0", "-1", "1e6", "9223372036854775808", "lots"] {
        let err = Universe::isolated([("MAX_DECOMPRESSED_SIZE", bad)]).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("a whole number from 1 to 9223372036854775807"),
            "{bad}: {err}"
        );
    }
}
