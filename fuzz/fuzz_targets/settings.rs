//! Feeds arbitrary settings, section ids and reader positions to the code
//! that reads them: the factory choice, the mapper (compressor, cipher key,
//! decompression limit), the SQLite and PostgreSQL settings (parsed only:
//! nothing is opened or connected), the notification log's sections and the
//! reader.
//!
//! Input: lines of lossy UTF-8. The first line is the application's name;
//! each other line is `VARIABLE=VALUE` (a line without `=` is a section id,
//! read from a small in-memory log, and, if it parses as a number, a start
//! for the reader).
//!
//! Fails on: a panic, a hang or an out-of-memory; a secret (a variable named
//! like KEY, PASSWORD, SECRET or TOKEN) shown by `Debug` or in an
//! `InvalidSetting` error; a setting error that names no variable.

#![no_main]

use std::sync::{Arc, LazyLock};

use eventsmith::application::NotificationLog;
use eventsmith::__private::{InfrastructureFactory, is_secret};
use eventsmith::persistence::{
    AggregateRecorder, ApplicationRecorder, Environment, InMemoryRecorder, Mapper, StoredEvent,
};
use eventsmith::postgres::PostgresConfig;
use eventsmith::sqlite::SqliteConfig;
use eventsmith::{Error, ErrorKind, NotificationLogReader, Uuid};
use libfuzzer_sys::fuzz_target;

/// A log of 25 notifications.
static LOG: LazyLock<NotificationLog> = LazyLock::new(|| {
    let recorder = Arc::new(InMemoryRecorder::new());
    for _ in 0..5 {
        let id = Uuid::new_v4();
        let events: Vec<StoredEvent> = (1..=5)
            .map(|v| StoredEvent {
                originator_id: id,
                originator_version: v,
                topic: "t".into(),
                state: b"{}".to_vec(),
            })
            .collect();
        recorder.insert_events(&events).expect("a fresh recorder");
    }
    assert_eq!(recorder.max_notification_id().unwrap(), Some(25));
    NotificationLog::new(recorder, 10)
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let name = lines.next().unwrap_or_default();
    let mut values = Vec::new();
    let mut positions = Vec::new();
    for line in lines {
        match line.split_once('=') {
            Some((k, v)) => values.push((k.to_owned(), v.to_owned())),
            None => positions.push(line.to_owned()),
        }
    }
    let env = Environment::isolated(name, values);

    check(&env, InfrastructureFactory::from_env(&env).map(|_| ()));
    check(&env, Mapper::from_env(&env).map(|_| ()));
    check(&env, SqliteConfig::from_env(&env).map(|_| ()));
    check(&env, PostgresConfig::from_env(&env).map(|config| {
        let _ = format!("{config:?}");
        let _ = config.application_name();
        let _ = config.max_connections();
    }));
    for (variable, shown) in env.settings_read() {
        assert!(
            !is_secret(&variable) || shown == "<redacted>",
            "{variable} shown as {shown:?}"
        );
    }

    for position in positions.iter().take(8) {
        let _ = LOG.section(position);
        if let Ok(start) = position.trim().parse::<u64>() {
            let reader = NotificationLogReader::new(&LOG).with_section_size(7);
            let read = reader.read(start).take(30).count();
            assert!(read <= 25);
            let stop = start.checked_add(3);
            let _ = reader.select(start, stop, &["t"]).take(30).count();
        }
    }
});

/// A settings error names a variable, and never shows a secret's value.
fn check(env: &Environment, result: Result<(), Error>) {
    let Err(err) = result else { return };
    let message = err.to_string();
    match err.kind() {
        ErrorKind::InvalidSetting { variable, value, .. } => {
            assert!(!variable.is_empty(), "{message}");
            assert!(
                !is_secret(variable) || value == "<redacted>",
                "a secret shown: {message}"
            );
        }
        ErrorKind::MissingSetting { variable, .. } | ErrorKind::InvalidCipherKey { variable, .. } => {
            assert!(!variable.is_empty(), "{message}");
        }
        ErrorKind::InvalidIdentifier { .. } => {}
        other => panic!("not a settings error: {other:?} ({env:?})"),
    }
}
