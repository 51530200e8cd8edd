//! Interoperability with the Python `eventsourcing` library: a Python
//! application and a Rust one share a SQLite file or a PostgreSQL table,
//! plain and with AES + zlib, and each reads what the other wrote.
//!
//! The Python interpreter is `EVENTSOURCING_PYTHON` (default `python3`) and
//! must have `eventsourcing[crypto,cryptography,postgres]` installed; `.ci/run` makes such
//! a virtual environment. Without it the tests print `SKIPPED <test>: <reason>` (shown in
//! the normal `cargo test` output) and pass,
//! unless `EVENTSOURCING_REQUIRE_PYTHON` is set (as `.ci/run` sets it).

use std::process::Command;

use eventsourcing::persistence::AesCipher;
use eventsourcing::{NotificationLogReader, Uuid};
use eventsourcing_generated::world::{Universe, WorldId};
use eventsourcing_tests::backends::{PgSchema, SqliteFile, pairs};

fn python() -> Option<String> {
    let python = std::env::var("EVENTSOURCING_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let ok = Command::new(&python)
        .args(["-c", "import eventsourcing, Crypto, cryptography, psycopg"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    if std::env::var_os("EVENTSOURCING_REQUIRE_PYTHON").is_some() {
        panic!(
            "{python} cannot import eventsourcing[crypto,cryptography,postgres], and EVENTSOURCING_REQUIRE_PYTHON is set"
        );
    }
    eventsourcing_tests::skipped(&format!(
        "{python} cannot import eventsourcing[crypto,cryptography,postgres]; set EVENTSOURCING_PYTHON"
    ));
    None
}

fn run_python(python: &str, env: &[(String, String)], args: &[&str]) -> String {
    let output = Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/python/interop.py"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().cloned())
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "python {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn python_history(python: &str, env: &[(String, String)], id: Uuid) -> Vec<String> {
    serde_json::from_str(&run_python(
        python,
        env,
        &["history", &id.simple().to_string()],
    ))
    .unwrap()
}

/// Python writes, Rust reads and writes, Python reads; then the reverse;
/// both see the same log.
fn both_ways(python: &str, env: &[(String, String)]) {
    let app = Universe::isolated(pairs(env)).unwrap();

    let from_python: WorldId = run_python(python, env, &["create", "Earth", "dinosaurs", "trucks"])
        .parse::<Uuid>()
        .map(WorldId::from_uuid)
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
    run_python(
        python,
        env,
        &[
            "append",
            &from_rust.uuid().simple().to_string(),
            "fish",
            "mammals",
        ],
    );
    assert_eq!(
        app.get_history(from_rust).unwrap(),
        ["plants", "fish", "mammals"]
    );

    // One log, numbered 1..=8 with no gap, the same seen from either side.
    let python_log: Vec<(u64, String, u64, String)> =
        serde_json::from_str(&run_python(python, env, &["log"])).unwrap();
    let rust_log: Vec<(u64, String, u64, String)> = NotificationLogReader::new(app.log())
        .read(1)
        .map(|n| {
            let n = n.unwrap();
            (
                n.id,
                n.originator_id.simple().to_string(),
                n.originator_version,
                n.topic,
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

#[test]
fn python_and_rust_share_a_sqlite_file() {
    let Some(python) = python() else { return };
    let file = SqliteFile::new();
    both_ways(&python, &file.env());
}

#[test]
fn python_and_rust_share_an_encrypted_compressed_sqlite_file() {
    let Some(python) = python() else { return };
    let file = SqliteFile::new();
    both_ways(&python, &encrypted(file.env()));
}

#[test]
fn python_and_rust_share_a_postgres_table() {
    let Some(python) = python() else { return };
    let Some(pg) = PgSchema::new() else { return };
    both_ways(&python, &pg.env());
}

#[test]
fn python_and_rust_share_an_encrypted_compressed_postgres_table() {
    let Some(python) = python() else { return };
    let Some(pg) = PgSchema::new() else { return };
    both_ways(&python, &encrypted(pg.env()));
}

/// The Python library's other topics and its lenient key reading: the
/// factory class topic in `PERSISTENCE_MODULE` (which both sides read before
/// `INFRASTRUCTURE_FACTORY`, here naming a backend that could not start),
/// the `cryptography` package's cipher, the `zlib` module as compressor,
/// and a key with whitespace inside it.
#[test]
fn python_and_rust_read_the_python_librarys_other_topics_alike() {
    let Some(python) = python() else { return };
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
    let Some(python) = python() else { return };
    let Some(pg) = PgSchema::new() else { return };
    let schema = format!("Shared{}", pg.schema);
    let mut env = pg.env();
    env.retain(|(k, _)| k != "POSTGRES_SCHEMA");
    env.push(("POSTGRES_SCHEMA".into(), schema.clone()));
    let app = Universe::isolated(pairs(&env)).unwrap();
    let id = app.create_world("Earth").unwrap();
    app.make_it_so(id, "dinosaurs").unwrap();
    let python_log = run_python(&python, &env, &["log"]);
    let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
    let history = python_history(&python, &env, id.uuid());
    eventsourcing_tests::backends::postgres_client()
        .unwrap()
        .batch_execute(&drop)
        .unwrap();
    assert_eq!(history, ["dinosaurs"]);
    let log: Vec<(u64, String, u64, String)> = serde_json::from_str(&python_log).unwrap();
    assert_eq!(log.len(), 2);
}

/// The table the Rust recorder creates is the one the Python library
/// creates: columns, constraints, index and storage options.
#[test]
fn rust_creates_the_table_python_creates() {
    let Some(python) = python() else { return };
    let Some(pg) = PgSchema::new() else { return };
    let Some(other) = PgSchema::new() else { return };
    let mut client = eventsourcing_tests::backends::postgres_client().unwrap();
    // Python creates its table in a schema that exists; Rust in another.
    client
        .batch_execute(&format!("CREATE SCHEMA {}", other.schema))
        .unwrap();
    let mut python_env = other.env();
    python_env.push(("PERSISTENCE_MODULE".into(), "eventsourcing.postgres".into()));
    run_python(&python, &python_env, &["create", "Earth"]);
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
    assert_eq!(rust_table, python_table);
}

/// A schema's deterministic ids (`id: { uuid5: "/accounts/{email}" }`) are
/// the ids Python's `create_id` makes with `uuid5(NAMESPACE_URL, ...)`.
#[test]
fn deterministic_ids_are_the_ids_python_makes() {
    use eventsourcing_generated::bank_accounts::Account;
    let Some(python) = python() else { return };
    let emails = [
        "alice@example.com",
        "bob+tag@example.org",
        "zoë@例え.jp",
        "",
        "{braces} and spaces",
    ];
    let script = "import json, sys\nfrom uuid import NAMESPACE_URL, uuid5\n\
                  print(json.dumps([str(uuid5(NAMESPACE_URL, f'/accounts/{e}')) for e in json.loads(sys.argv[1])]))";
    let output = Command::new(&python)
        .args(["-c", script, &serde_json::to_string(&emails).unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let ids: Vec<String> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(ids.len(), emails.len());
    for (email, id) in emails.iter().zip(ids) {
        assert_eq!(Account::create_id(email).to_string(), id, "{email:?}");
    }
}

/// Versioned events, both ways, with version 1 and 2 on each side: the
/// Python library's `World` with `SomethingHappened.class_version = 2` and
/// `upcast_v1_v2` (tests/python/v2), and the Rust of `schemas/world_v2.yaml`.
fn versions_both_ways(python: &str, env: &[(String, String)]) {
    use eventsourcing_generated::world_v2;
    let v1 = Universe::isolated(pairs(env)).unwrap();
    let v2 = world_v2::Universe::isolated(pairs(env)).unwrap();
    let reasons = |id: Uuid| -> Vec<String> {
        serde_json::from_str(&run_python(
            python,
            env,
            &["--v2", "reasons", &id.simple().to_string()],
        ))
        .unwrap()
    };

    // Rust writes version 1 and 2; Python's version 2 reads both.
    let from_rust = v1.create_world("Earth").unwrap();
    v1.make_it_so(from_rust, "dinosaurs").unwrap();
    let id = world_v2::WorldId::from_uuid(from_rust.uuid());
    v2.make_it_so(id, "trucks", "roads").unwrap();
    assert_eq!(reasons(from_rust.uuid()), ["unknown", "roads"]);
    assert_eq!(
        python_history(python, env, from_rust.uuid()),
        ["dinosaurs", "trucks"]
    );

    // Python writes version 1 and 2; Rust's version 2 reads both.
    let from_python: Uuid = run_python(python, env, &["create", "Mars", "plants"])
        .parse()
        .unwrap();
    run_python(
        python,
        env,
        &[
            "--v2",
            "append2",
            &from_python.simple().to_string(),
            "fish",
            "water",
        ],
    );
    let id = world_v2::WorldId::from_uuid(from_python);
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
    let state = String::from_utf8(python_v2.state.clone()).unwrap();
    assert!(
        state.ends_with(r#""what":"fish","why":"water","class_version":2}"#),
        "{state}"
    );
    let rust_v2 = log
        .iter()
        .find(|n| n.originator_id == from_rust.uuid() && n.originator_version == 3)
        .unwrap();
    let state = String::from_utf8(rust_v2.state.clone()).unwrap();
    assert!(
        state.ends_with(r#""what":"trucks","why":"roads","class_version":2}"#),
        "{state}"
    );
}

#[test]
fn versioned_events_both_ways_on_a_sqlite_file() {
    let Some(python) = python() else { return };
    let file = SqliteFile::new();
    versions_both_ways(&python, &file.env());
}

#[test]
fn versioned_events_both_ways_on_postgres() {
    let Some(python) = python() else { return };
    let Some(pg) = PgSchema::new() else { return };
    versions_both_ways(&python, &pg.env());
}
