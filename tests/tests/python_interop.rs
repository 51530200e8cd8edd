//! Interoperability with the Python `eventsourcing` library: a Python
//! application and a Rust one share a SQLite file or a PostgreSQL table,
//! plain and with AES + zlib, and each reads what the other wrote.
//!
//! The Python interpreter is the one `eventsmith_tests::python::Python::find`
//! finds: `EVENTSMITH_PYTHON` (default `python3`), which must have
//! `eventsourcing[crypto,cryptography,postgres]` installed; `.ci/run` makes such
//! a virtual environment. Without it the tests print `SKIPPED <test>: <reason>` (shown in
//! the normal `cargo test` output) and pass,
//! unless `EVENTSMITH_REQUIRE_PYTHON` is set (as `.ci/run` sets it).

use eventsmith::persistence::AesCipher;
use eventsmith::{ErrorKind, NotificationLogReader, Uuid};
use eventsmith_generated::world::{Universe, WorldId};
use eventsmith_tests::backends::{
    Backend, PgSchema, SqliteFile, databases, pairs, postgres_client, with,
};
use eventsmith_tests::python::Python;

fn python_history(python: &Python, env: &[(String, String)], id: Uuid) -> Vec<String> {
    serde_json::from_str(&python.run_script(
        "interop.py",
        &["history", &id.simple().to_string()],
        env,
    ))
    .unwrap()
}

/// Python writes, Rust reads and writes, Python reads; then the reverse;
/// both see the same log.
fn both_ways(python: &Python, env: &[(String, String)]) {
    let app = Universe::isolated(pairs(env)).unwrap();

    let from_python: WorldId = python
        .run_script(
            "interop.py",
            &["create", "Earth", "dinosaurs", "trucks"],
            env,
        )
        .parse::<Uuid>()
        .map(WorldId::from_uuid_unchecked)
        .unwrap();
    assert_eq!(
        app.get_history(from_python).unwrap(),
        ["dinosaurs", "trucks"]
    );
    assert_eq!(app.get_world(from_python).unwrap().name(), "Earth");
    app.make_it_so(from_python, "internet").unwrap();
    assert_eq!(
        python_history(python, env, from_python.uuid()),
        ["dinosaurs", "trucks", "internet"]
    );

    let from_rust = app.create_world("Mars").unwrap();
    app.make_it_so(from_rust, "plants").unwrap();
    assert_eq!(python_history(python, env, from_rust.uuid()), ["plants"]);
    python.run_script(
        "interop.py",
        &[
            "append",
            &from_rust.uuid().simple().to_string(),
            "fish",
            "mammals",
        ],
        env,
    );
    assert_eq!(
        app.get_history(from_rust).unwrap(),
        ["plants", "fish", "mammals"]
    );

    // One log, numbered 1..=8 with no gap, the same seen from either side.
    let python_log: Vec<(u64, String, u64, String)> =
        serde_json::from_str(&python.run_script("interop.py", &["log"], env)).unwrap();
    let rust_log: Vec<(u64, String, u64, String)> = NotificationLogReader::new(app.log())
        .read(1)
        .map(|n| {
            let n = n.unwrap();
            (
                n.id,
                n.originator_id.simple().to_string(),
                n.originator_version,
                n.topic.into_owned(),
            )
        })
        .collect();
    assert_eq!(python_log, rust_log);
    assert_eq!(
        rust_log.iter().map(|n| n.0).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
}

fn encrypted(mut env: Vec<(String, String)>) -> Vec<(String, String)> {
    env.push((
        "CIPHER_TOPIC".into(),
        "eventsourcing.cipher:AESCipher".into(),
    ));
    env.push(("CIPHER_KEY".into(), AesCipher::create_key(32).unwrap()));
    env.push((
        "COMPRESSOR_TOPIC".into(),
        "eventsourcing.compressor:ZlibCompressor".into(),
    ));
    env
}

/// Runs `check` with the Python library's interpreter on the settings of
/// each database (the backend named in the test's output, shown when it
/// fails); nothing, with a skip reported, without the library.
fn with_python_in_both_databases(check: impl Fn(&Python, &[(String, String)])) {
    let Some(python) = Python::find() else { return };
    for backend in databases() {
        eprintln!("{}:", backend.name);
        check(&python, &backend.env());
    }
}

#[test]
fn python_and_rust_share_a_store_in_both_databases() {
    with_python_in_both_databases(both_ways);
}

#[test]
fn python_and_rust_share_an_encrypted_compressed_store_in_both_databases() {
    with_python_in_both_databases(|python, env| both_ways(python, &encrypted(env.to_vec())));
}

#[test]
fn python_reads_what_rust_compresses_at_every_level() {
    let Some(python) = Python::find() else { return };
    for level in ["0", "1", "9"] {
        let backend = Backend::sqlite_file().unwrap();
        let mut env = backend.env();
        env.push(("COMPRESSOR_TOPIC".into(), "zlib".into()));
        // Python ignores the setting; Rust writes at that level.
        env.push(("COMPRESSOR_LEVEL".into(), level.into()));
        both_ways(&python, &env);
        // The level shows in each stored zlib header's FLEVEL bits (zlib
        // writes 0 for levels 0 and 1, 3 for 7 to 9); Python writes 2.
        let states = backend.stored_states("Universe");
        let flevel = |state: &[u8]| state[1] >> 6;
        let expected = if level == "9" { 3 } else { 0 };
        // Row 3 (Rust's append to Python's world) and 4, 5 (Rust's world).
        for row in [3, 4, 5] {
            assert_eq!(flevel(&states[row]), expected, "level {level}, row {row}");
        }
        assert_eq!(flevel(&states[0]), 2, "Python's default level");
    }
}

/// The Python library's other topics and its lenient key reading: the
/// factory class topic in `PERSISTENCE_MODULE` (which both sides read before
/// `INFRASTRUCTURE_FACTORY`, here naming a backend that could not start),
/// the `cryptography` package's cipher, the `zlib` module as compressor,
/// and a key with whitespace inside it.
#[test]
fn python_and_rust_read_the_python_librarys_other_topics_alike() {
    let Some(python) = Python::find() else { return };
    let file = SqliteFile::new();
    let key = AesCipher::create_key(32).unwrap();
    let (head, tail) = key.split_at(10);
    let env: Vec<(String, String)> = [
        (
            "PERSISTENCE_MODULE",
            "eventsourcing.sqlite:SQLiteFactory".to_owned(),
        ),
        (
            "INFRASTRUCTURE_FACTORY",
            "eventsourcing.postgres:Factory".to_owned(),
        ),
        ("SQLITE_DBNAME", file.path.clone()),
        (
            "CIPHER_TOPIC",
            "eventsourcing.cryptography:AESCipher".to_owned(),
        ),
        ("CIPHER_KEY", format!(" {head}\n {tail}\t")),
        ("COMPRESSOR_TOPIC", "zlib".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    both_ways(&python, &env);
}

/// A schema whose name PostgreSQL would fold to lower case unquoted: the
/// Rust application's table is the one the Python library reads. (The
/// Python library 9.5.6 cannot write there itself: it looks up its
/// composite type by the unquoted name.)
#[test]
fn python_reads_from_a_schema_whose_name_needs_quoting() {
    let Some(python) = Python::find() else { return };
    let Some(pg) = PgSchema::new() else { return };
    let schema = format!("Shared{}", pg.schema);
    let mut env = pg.env();
    env.retain(|(k, _)| k != "POSTGRES_SCHEMA");
    env.push(("POSTGRES_SCHEMA".into(), schema.clone()));
    let app = Universe::isolated(pairs(&env)).unwrap();
    let id = app.create_world("Earth").unwrap();
    app.make_it_so(id, "dinosaurs").unwrap();
    let python_log = python.run_script("interop.py", &["log"], &env);
    let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
    let history = python_history(&python, &env, id.uuid());
    postgres_client().unwrap().batch_execute(&drop).unwrap();
    assert_eq!(history, ["dinosaurs"]);
    let log: Vec<(u64, String, u64, String)> = serde_json::from_str(&python_log).unwrap();
    assert_eq!(log.len(), 2);
}

/// The table the Rust recorder creates is the one the Python library
/// creates: columns, constraints, index and storage options.
#[test]
fn rust_creates_the_table_python_creates() {
    let Some(python) = Python::find() else { return };
    let Some(pg) = PgSchema::new() else { return };
    let Some(other) = PgSchema::new() else { return };
    let mut client = postgres_client().unwrap();
    // Python creates its table in a schema that exists; Rust in another.
    other.create();
    let mut python_env = other.env();
    python_env.push(("PERSISTENCE_MODULE".into(), "eventsourcing.postgres".into()));
    python.run_script("interop.py", &["create", "Earth"], &python_env);
    Universe::isolated(pairs(&pg.env())).unwrap();
    let describe = |client: &mut postgres::Client, schema: &str| -> Vec<String> {
        let sql = "SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || \
                   CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || ' ' || \
                   coalesce(pg_get_expr(d.adbin, d.adrelid), '') \
                   FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                   WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 ORDER BY a.attnum";
        let table = format!("{schema}.universe_events");
        let mut lines: Vec<String> = client
            .query(sql, &[&table])
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0).replace(schema, "SCHEMA"))
            .collect();
        let options: Option<Vec<String>> = client
            .query_one(
                "SELECT reloptions::text[] FROM pg_class WHERE oid = $1::text::regclass",
                &[&table],
            )
            .unwrap()
            .get(0);
        lines.extend(options.unwrap_or_default());
        for r in client
            .query(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname",
                &[&schema],
            )
            .unwrap()
        {
            lines.push(r.get::<_, String>(0).replace(schema, "SCHEMA"));
        }
        // The composite type Python inserts through, and its function.
        let type_sql = "SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) \
                        FROM pg_attribute a JOIN pg_type t ON t.typrelid = a.attrelid \
                        JOIN pg_namespace n ON n.oid = t.typnamespace \
                        WHERE n.nspname = $1 AND t.typname = 'stored_event_uuid' AND a.attnum > 0 \
                        ORDER BY a.attnum";
        for r in client.query(type_sql, &[&schema]).unwrap() {
            lines.push(format!("type {}", r.get::<_, String>(0)));
        }
        // Python's (the recorder's own insert function is not Python's).
        let function_sql = "SELECT pg_get_functiondef(p.oid) FROM pg_proc p \
                            JOIN pg_namespace n ON n.oid = p.pronamespace \
                            WHERE n.nspname = $1 AND p.proname LIKE 'es\\_%' ORDER BY p.proname";
        for r in client.query(function_sql, &[&schema]).unwrap() {
            lines.push(r.get::<_, String>(0).replace(schema, "SCHEMA"));
        }
        lines
    };
    let python_table = describe(&mut client, &other.schema);
    let rust_table = describe(&mut client, &pg.schema);
    assert!(
        python_table
            .iter()
            .any(|l| l.starts_with("autovacuum_enabled")),
        "{python_table:?}"
    );
    assert!(
        python_table
            .iter()
            .any(|l| l.contains("es_insert_events_uuid")),
        "{python_table:?}"
    );
    assert_eq!(rust_table, python_table);
}

/// Python services with `CREATE_TABLE=n` write to a store that Rust created,
/// through the composite type (their plain inserts) and through the
/// function (`POSTGRES_ENABLE_DB_FUNCTIONS=y`), events and snapshots; Rust
/// reads what they wrote.
#[test]
fn python_writes_with_create_table_off_to_a_store_rust_created() {
    let Some(python) = Python::find() else { return };
    let Some(pg) = PgSchema::new() else { return };
    let env = with(&pg.env(), &[("IS_SNAPSHOTTING_ENABLED", "y")]);
    let app = Universe::isolated(pairs(&env)).unwrap();
    let earth = app.create_world("Earth").unwrap();
    for functions in ["n", "y"] {
        let python_env = with(
            &env,
            &[
                ("PERSISTENCE_MODULE", "eventsourcing.postgres"),
                ("CREATE_TABLE", "n"),
                ("POSTGRES_ENABLE_DB_FUNCTIONS", functions),
            ],
        );
        let created = python.run_script("interop.py", &["create", "Mars", "plants"], &python_env);
        let id = Uuid::parse_str(created.trim()).unwrap();
        let hex = id.simple().to_string();
        python.run_script("interop.py", &["snapshot", &hex], &python_env);
        python.run_script("interop.py", &["append", &hex, "rivers"], &python_env);
        let mars = WorldId::from_uuid_unchecked(id);
        assert_eq!(
            app.get_history(mars).unwrap(),
            ["plants", "rivers"],
            "{functions}"
        );
        let snapshots = app.as_application().snapshots().unwrap();
        let snapshot = snapshots.latest_snapshot(id, None).unwrap();
        assert_eq!(
            snapshot.map(|s| s.originator_version),
            Some(2),
            "{functions}"
        );
    }
    app.make_it_so(earth, "dinosaurs").unwrap();
    let log = app.log().section("1,10").unwrap();
    assert_eq!(log.items.len(), 8);
}

/// A schema's deterministic ids (`id: { uuid5: "/accounts/{email}" }`) are
/// the ids Python's `create_id` makes with `uuid5(NAMESPACE_URL, ...)`.
#[test]
fn deterministic_ids_are_the_ids_python_makes() {
    use eventsmith_generated::bank_accounts::Account;
    let Some(python) = Python::find() else { return };
    let emails = [
        "alice@example.com",
        "bob+tag@example.org",
        "zoë@例え.jp",
        "",
        "{braces} and spaces",
    ];
    let script = "import json, sys\nfrom uuid import NAMESPACE_URL, uuid5\n\
                  print(json.dumps([str(uuid5(NAMESPACE_URL, f'/accounts/{e}')) for e in json.loads(sys.argv[1])]))";
    let output = python.run(
        &["-c", script, &serde_json::to_string(&emails).unwrap()],
        &[],
        "",
    );
    let ids: Vec<String> = serde_json::from_str(&output).unwrap();
    assert_eq!(ids.len(), emails.len());
    for (email, id) in emails.iter().zip(ids) {
        assert_eq!(Account::create_id(email).to_string(), id, "{email:?}");
    }
    // A Uuid argument as `{warehouse.hex}`: Python's `uuid.hex`, as its
    // process applications name aggregates ("/worldcounters/" + id.hex).
    use eventsmith_generated::inventory::Bin;
    let bins: Vec<(Uuid, u16)> = vec![
        (Uuid::nil(), 0),
        (Uuid::max(), u16::MAX),
        (Uuid::new_v4(), 7),
    ];
    let script = "import json, sys\nfrom uuid import NAMESPACE_URL, UUID, uuid5\n\
                  print(json.dumps([str(uuid5(NAMESPACE_URL, f'/bins/{UUID(w).hex}/{n}')) for w, n in json.loads(sys.argv[1])]))";
    let arg: Vec<(String, u16)> = bins.iter().map(|(w, n)| (w.to_string(), *n)).collect();
    let output = python.run(
        &["-c", script, &serde_json::to_string(&arg).unwrap()],
        &[],
        "",
    );
    let ids: Vec<String> = serde_json::from_str(&output).unwrap();
    for ((warehouse, number), id) in bins.iter().zip(ids) {
        assert_eq!(
            Bin::create_id(*warehouse, *number).to_string(),
            id,
            "{warehouse}"
        );
    }
}

/// Versioned events, both ways, with version 1 and 2 on each side: the
/// Python library's `World` with `SomethingHappened.class_version = 2` and
/// `upcast_v1_v2` (tests/python/v2), and the Rust of `schemas/world_v2.yaml`.
fn versions_both_ways(python: &Python, env: &[(String, String)]) {
    use eventsmith_generated::world_v2;
    let v1 = Universe::isolated(pairs(env)).unwrap();
    let v2 = world_v2::Universe::isolated(pairs(env)).unwrap();
    let reasons = |id: Uuid| -> Vec<String> {
        serde_json::from_str(&python.run_script(
            "interop.py",
            &["--v2", "reasons", &id.simple().to_string()],
            env,
        ))
        .unwrap()
    };

    // Rust writes version 1 and 2; Python's version 2 reads both.
    let from_rust = v1.create_world("Earth").unwrap();
    v1.make_it_so(from_rust, "dinosaurs").unwrap();
    let id = world_v2::WorldId::from_uuid_unchecked(from_rust.uuid());
    v2.make_it_so(id, "trucks", "roads").unwrap();
    assert_eq!(reasons(from_rust.uuid()), ["unknown", "roads"]);
    assert_eq!(
        python_history(python, env, from_rust.uuid()),
        ["dinosaurs", "trucks"]
    );

    // Python writes version 1 and 2; Rust's version 2 reads both.
    let from_python: Uuid = python
        .run_script("interop.py", &["create", "Mars", "plants"], env)
        .parse()
        .unwrap();
    python.run_script(
        "interop.py",
        &[
            "--v2",
            "append2",
            &from_python.simple().to_string(),
            "fish",
            "water",
        ],
        env,
    );
    let id = world_v2::WorldId::from_uuid_unchecked(from_python);
    assert_eq!(v2.get_history(id).unwrap(), ["plants", "fish"]);
    assert_eq!(v2.get_reasons(id).unwrap(), ["unknown", "water"]);
    // The bytes Python stored at version 2 are the ones Rust stores.
    let log: Vec<_> = NotificationLogReader::new(v2.log())
        .read(1)
        .collect::<Result<_, _>>()
        .unwrap();
    let python_v2 = log
        .iter()
        .find(|n| n.originator_id == from_python && n.originator_version == 3)
        .unwrap();
    let state = String::from_utf8(python_v2.state.to_vec()).unwrap();
    assert!(
        state.ends_with(r#""what":"fish","why":"water","class_version":2}"#),
        "{state}"
    );
    let rust_v2 = log
        .iter()
        .find(|n| n.originator_id == from_rust.uuid() && n.originator_version == 3)
        .unwrap();
    let state = String::from_utf8(rust_v2.state.to_vec()).unwrap();
    assert!(
        state.ends_with(r#""what":"trucks","why":"roads","class_version":2}"#),
        "{state}"
    );
}

#[test]
fn versioned_events_both_ways_in_both_databases() {
    with_python_in_both_databases(versions_both_ways);
}

/// A world as `interop.py` describes one: id, version, times, attributes.
fn described(
    id: Uuid,
    version: u64,
    (created_on, modified_on): (eventsmith::Timestamp, eventsmith::Timestamp),
    (name, history, reasons): (&str, &[String], Option<&[String]>),
) -> serde_json::Value {
    use eventsmith::domain::format_timestamp;
    serde_json::json!({
        "id": id.simple().to_string(),
        "version": version,
        "created_on": format_timestamp(&created_on),
        "modified_on": format_timestamp(&modified_on),
        "name": name,
        "history": history,
        "reasons": reasons,
    })
}

fn describe_v1(world: &eventsmith_generated::world::World) -> serde_json::Value {
    use eventsmith::Aggregate;
    described(
        world.id().uuid(),
        world.version(),
        (world.created_on(), world.modified_on()),
        (world.name(), world.history(), None),
    )
}

fn describe_v2(world: &eventsmith_generated::world_v2::World) -> serde_json::Value {
    use eventsmith::Aggregate;
    described(
        world.id().uuid(),
        world.version(),
        (world.created_on(), world.modified_on()),
        (world.name(), world.history(), Some(world.reasons())),
    )
}

/// A snapshot's state with the time it was taken blanked out.
fn untimed(state: &[u8]) -> String {
    let state = String::from_utf8(state.to_vec()).unwrap();
    let prefix = r#"{"timestamp":{"_type_":"datetime_iso","_data_":""#;
    let rest = state.strip_prefix(prefix).expect("a snapshot's state");
    let end = rest.find('"').unwrap();
    format!("{prefix}…{}", &rest[end..])
}

/// Snapshots both ways, at class version 1 and 2: the Python library
/// takes snapshots that Rust reads, byte for byte the snapshots Rust
/// takes, and reads Rust's; each upcasts the other's version 1.
fn snapshots_both_ways(python: &Python, env: &[(String, String)]) {
    use eventsmith::{Aggregate, Application, Repository};
    use eventsmith_generated::{world, world_v2};
    let mut env = env.to_vec();
    env.push(("IS_SNAPSHOTTING_ENABLED".into(), "y".into()));
    let env = &env;
    let app = Application::isolated_with_defaults("Universe", &[], pairs(env)).unwrap();
    let snapshots = app.snapshots().unwrap().clone();
    let replay = Repository::new(app.event_store().clone());
    let latest = |id: Uuid| snapshots.latest_snapshot(id, None).unwrap().unwrap();
    let python_json = |args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&python.run_script("interop.py", args, env)).unwrap()
    };

    // Python takes a snapshot; Rust reads it, as it reads the events.
    let id: Uuid = python
        .run_script(
            "interop.py",
            &["create", "Earth", "dinosaurs", "trucks"],
            env,
        )
        .parse()
        .unwrap();
    python.run_script("interop.py", &["snapshot", &id.simple().to_string()], env);
    let stored = latest(id);
    assert_eq!(stored.originator_version, 3);
    let from_snapshot =
        world::World::from_snapshot(world::WorldId::from_uuid_unchecked(id), 3, &stored.state)
            .unwrap();
    let replayed: world::World = replay.get(world::WorldId::from_uuid_unchecked(id)).unwrap();
    assert_eq!(from_snapshot, replayed);
    // What Rust writes of the same world is what Python wrote.
    let mut ours = Vec::new();
    replayed.write_snapshot(&mut ours).unwrap();
    assert_eq!(untimed(&ours), untimed(&stored.state));
    // Version 2 upcasts it.
    let v2 = world_v2::World::from_snapshot(
        world_v2::WorldId::from_uuid_unchecked(id),
        3,
        &stored.state,
    )
    .unwrap();
    assert_eq!(v2.reasons(), ["unknown", "unknown"]);
    assert_eq!(
        world::Universe::isolated(pairs(env))
            .unwrap()
            .get_world(world::WorldId::from_uuid_unchecked(id))
            .unwrap(),
        replayed
    );

    // Rust takes a snapshot; Python reads it, and its version 2 upcasts it.
    let v1 = world::Universe::isolated(pairs(env)).unwrap();
    let mars = v1.create_world("Mars").unwrap();
    v1.make_it_so(mars, "plants").unwrap();
    v1.make_it_so(mars, "fish").unwrap();
    v1.take_snapshot(mars, None).unwrap();
    let hex = mars.uuid().simple().to_string();
    let world = v1.get_world(mars).unwrap();
    assert_eq!(python_json(&["read-snapshot", &hex]), describe_v1(&world));
    assert_eq!(python_json(&["world", &hex]), describe_v1(&world));
    let mut upcast = describe_v1(&world);
    upcast["reasons"] = serde_json::json!(["unknown", "unknown"]);
    assert_eq!(python_json(&["--v2", "read-snapshot", &hex]), upcast);

    // Version 2 both ways: the snapshot's state holds class_version 2.
    let v2 = world_v2::Universe::isolated(pairs(env)).unwrap();
    let venus = v2.create_world("Venus").unwrap();
    v2.make_it_so(venus, "clouds", "acid").unwrap();
    v2.take_snapshot(venus, None).unwrap();
    assert!(
        String::from_utf8(latest(venus.uuid()).state)
            .unwrap()
            .ends_with(r#""reasons":["acid"],"class_version":2}}"#)
    );
    let hex = venus.uuid().simple().to_string();
    let world = v2.get_world(venus).unwrap();
    assert_eq!(
        python_json(&["--v2", "read-snapshot", &hex]),
        describe_v2(&world)
    );
    let pluto: Uuid = python
        .run_script("interop.py", &["create", "Pluto", "ice"], env)
        .parse()
        .unwrap();
    let hex = pluto.simple().to_string();
    python.run_script(
        "interop.py",
        &["--v2", "append2", &hex, "rocks", "cold"],
        env,
    );
    python.run_script("interop.py", &["--v2", "snapshot", &hex], env);
    let stored = latest(pluto);
    let id = world_v2::WorldId::from_uuid_unchecked(pluto);
    let world = world_v2::World::from_snapshot(id, 3, &stored.state).unwrap();
    assert_eq!(world.reasons(), ["unknown", "cold"]);
    assert_eq!(world, replay.get(id).unwrap());
    let mut ours = Vec::new();
    world.write_snapshot(&mut ours).unwrap();
    assert_eq!(untimed(&ours), untimed(&stored.state));
    assert_eq!(v2.get_world(id).unwrap(), world);
}

#[test]
fn snapshots_both_ways_in_both_databases() {
    with_python_in_both_databases(snapshots_both_ways);
}

/// The Python library's subscription (LISTEN on the table's channel, a pull
/// on each NOTIFY, no timeout) wakes for events Rust inserts. The second
/// event is saved once the subscription has delivered the first and waits:
/// only a NOTIFY can wake it then.
#[test]
fn a_python_subscription_wakes_for_what_rust_inserts_into_postgres() {
    use std::io::{BufRead, BufReader};
    let Some(python) = Python::find() else { return };
    let Some(pg) = PgSchema::new() else { return };
    let env = pg.env();
    // An application of its own, so its channel is this test's alone.
    let name = format!("Follow{}", Uuid::new_v4().simple());
    let channel = format!("{}_events", name.to_lowercase());
    let app =
        eventsmith::Application::isolated_with_defaults(&name, Universe::DEFAULTS, pairs(&env))
            .unwrap();
    let mut child = python
        .command(&[&Python::script("interop.py"), "follow", &name, "2"], &env)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run python");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_line = || lines.next().expect("a line from python").unwrap();
    assert_eq!(next_line(), "subscribed");
    // Until the subscription's connection is listening.
    let mut client = postgres_client().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while client
        .query_opt(
            "SELECT 1 FROM pg_stat_activity WHERE query = $1 LIMIT 1",
            &[&format!("LISTEN \"{channel}\"")],
        )
        .unwrap()
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "python never listened"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for (n, world_name) in [(1_u64, "Earth"), (2, "Mars")] {
        let mut world = eventsmith_generated::world::World::create(world_name);
        let id = eventsmith::Aggregate::id(&world);
        app.save(&mut world).unwrap();
        let line = next_line();
        let notification: (u64, String, u64, String) = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("python printed {line:?}, not a notification"));
        assert_eq!(
            notification,
            (
                n,
                id.uuid().simple().to_string(),
                1,
                "universe:World.Started".to_owned()
            )
        );
        // Let the subscription go back to waiting on its channel.
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert!(child.wait().unwrap().success());
}

/// The log as JSON (issue 21, point 5): the sections and selections Rust
/// writes are, byte for byte, what the Python library's
/// `NotificationLogJSONService` writes for the same store: empty, partial
/// and full sections, a section past the end, selections by start, limit,
/// topics and inclusiveness. (Topics here are ASCII; the escapes of one
/// that is not are checked against Python's `json.dumps` in the runtime's
/// unit tests.)
fn log_json_both_ways(python: &Python, env: &[(String, String)]) {
    let app = Universe::isolated(pairs(env)).unwrap();
    let python_section = |id: &str| {
        python
            .run_script("interop.py", &["section", id], env)
            .trim_end()
            .to_owned()
    };
    assert_eq!(
        app.log().section_json("1,10").unwrap(),
        python_section("1,10")
    );
    let earth = app.create_world("Earth ☃").unwrap();
    for what in ["dinosaurs", "trucks", "internet"] {
        app.make_it_so(earth, what).unwrap();
    }
    let mars = app.create_world("Mars").unwrap();
    app.make_it_so(mars, "plants").unwrap();
    for id in ["1,10", "2,3", "1,3", "5,20", "7,10", "0,2"] {
        assert_eq!(
            app.log().section_json(id).unwrap(),
            python_section(id),
            "{id}"
        );
    }
    let started = "universe:World.Started";
    for (start, limit, topics, inclusive) in [
        ("-", 10, "", "y"),
        ("2", 3, "", "y"),
        ("2", 3, "", "n"),
        ("1", 10, started, "y"),
        ("5", 2, started, "n"),
        ("9", 5, "", "y"),
    ] {
        let python_json = python
            .run_script(
                "interop.py",
                &[
                    "notifications",
                    start,
                    &limit.to_string(),
                    topics,
                    inclusive,
                ],
                env,
            )
            .trim_end()
            .to_owned();
        let topics: Vec<&str> = topics.split(',').filter(|t| !t.is_empty()).collect();
        let rust_json = app
            .log()
            .notifications_json(start.parse().ok(), limit, &topics, inclusive == "y")
            .unwrap();
        assert_eq!(
            rust_json, python_json,
            "{start} {limit} {topics:?} {inclusive}"
        );
    }
    // A limit above the section size is refused, as Python refuses it.
    let err = app
        .log()
        .notifications_json(None, 11, &[], true)
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LimitAboveSectionSize {
                limit: 11,
                section_size: 10
            }
        ),
        "{err}"
    );
}

#[test]
fn the_log_as_json_is_the_python_services_in_both_databases() {
    with_python_in_both_databases(log_json_both_ways);
}
