//! Interoperability with the Python `eventsourcing` library: a Python
//! application and a Rust one share a SQLite file or a PostgreSQL table,
//! plain and with AES + zlib, and each reads what the other wrote.
//!
//! The Python interpreter is `EVENTSOURCING_PYTHON` (default `python3`) and
//! must have `eventsourcing[crypto,postgres]` installed; `.ci/run` makes such
//! a virtual environment. Without it the tests print `SKIPPED <test>: <reason>` (shown in
//! the normal `cargo test` output) and pass,
//! unless `EVENTSOURCING_REQUIRE_PYTHON` is set (as `.ci/run` sets it).

use std::process::Command;

use eventsourcing::persistence::AesCipher;
use eventsourcing::{NotificationLogReader, Uuid};
use eventsourcing_generated::world::Universe;
use eventsourcing_tests::backends::{PgSchema, SqliteFile, pairs};

fn python() -> Option<String> {
    let python = std::env::var("EVENTSOURCING_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let ok = Command::new(&python)
        .args(["-c", "import eventsourcing, Crypto, psycopg"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    if std::env::var_os("EVENTSOURCING_REQUIRE_PYTHON").is_some() {
        panic!(
            "{python} cannot import eventsourcing[crypto,postgres], and EVENTSOURCING_REQUIRE_PYTHON is set"
        );
    }
    eventsourcing_tests::skipped(&format!(
        "{python} cannot import eventsourcing[crypto,postgres]; set EVENTSOURCING_PYTHON"
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

    let from_python: Uuid = run_python(python, env, &["create", "Earth", "dinosaurs", "trucks"])
        .parse()
        .unwrap();
    assert_eq!(
        app.get_history(from_python).unwrap(),
        ["dinosaurs", "trucks"]
    );
    assert_eq!(app.get_world(from_python).unwrap().name(), "Earth");
    app.make_it_so(from_python, "internet").unwrap();
    assert_eq!(
        python_history(python, env, from_python),
        ["dinosaurs", "trucks", "internet"]
    );

    let from_rust = app.create_world("Mars").unwrap();
    app.make_it_so(from_rust, "plants").unwrap();
    assert_eq!(python_history(python, env, from_rust), ["plants"]);
    run_python(
        python,
        env,
        &["append", &from_rust.simple().to_string(), "fish", "mammals"],
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
