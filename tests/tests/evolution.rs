//! A model that evolves: events stored by version 1 of the notes model
//! (`schemas/evolution_v1.yaml`, kept in `generated/tests/fixtures/
//! evolution_v1.db`) read by version 3 (`schemas/evolution_v3.yaml`), on a
//! SQLite file and on PostgreSQL: the module, aggregate and an event
//! renamed (read under their old topics), a created event upcast from
//! version 1 to 3 through every kind of step, and new arguments filled with
//! their defaults.

use eventsmith::persistence::{EventQuery, Notification, StoredEvent};
use eventsmith::{Aggregate, Application, NotificationLogReader};
use eventsmith_generated::evolution_v3::{Memo, MemoId, Memos};
use eventsmith_tests::backends::{SqliteFile, Store, databases, pairs};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../generated/tests/fixtures/evolution_v1.db"
);

/// Every stored event of the application `Memos` on `env`, in log order
/// (on SQLite, of the file: its table is `stored_events` whatever the
/// application's name).
fn stored_events(env: &[(String, String)]) -> Vec<Notification> {
    let app = Application::isolated_with_defaults("Memos", &[], pairs(env)).unwrap();
    NotificationLogReader::new(app.log())
        .read(1)
        .collect::<Result<_, _>>()
        .unwrap()
}

/// What version 3 reads of the two notes version 1 wrote.
fn reads_version_1(app: &Memos, notifications: &[Notification]) {
    let ids: Vec<MemoId> = notifications
        .iter()
        .filter(|n| n.topic == "notes:Note.Written")
        .map(|n| MemoId::from_uuid_unchecked(n.originator_id))
        .collect();
    assert_eq!(ids.len(), 2);

    let shopping: Memo = app.get_memo(ids[0]).unwrap();
    assert_eq!(
        (shopping.heading(), shopping.text(), shopping.words()),
        ("Shopping", "eggs milk bread", 3),
        "renamed (v1 to v2), then counted by a Rust step (v2 to v3)"
    );
    assert_eq!(
        shopping.labels(),
        ["home", "urgent"],
        "Tagged, read as Labelled"
    );
    assert_eq!(
        (shopping.stars(), shopping.weight(), shopping.comment()),
        (4, 1, None),
        "the defaults of the arguments version 1 did not have"
    );
    assert_eq!(shopping.version(), 4);

    let ideas = app.get_memo(ids[1]).unwrap();
    assert_eq!(
        (ideas.heading(), ideas.text(), ideas.words()),
        ("Ideas", "", 0)
    );
    assert_eq!((ideas.stars(), ideas.weight()), (2, 1));

    // Version 3 carries on: new events under the new topics, the created
    // event stored with its class version, as Python stores it.
    app.label(ids[0], "done").unwrap();
    app.rate(ids[1], 5, 3, Some("better".into())).unwrap();
    let id = app.write("Plans", "one two", 2, "fr").unwrap();
    let shopping = app.get_memo(ids[0]).unwrap();
    assert_eq!(shopping.labels(), ["home", "urgent", "done"]);
    let ideas = app.get_memo(ids[1]).unwrap();
    assert_eq!(
        (ideas.stars(), ideas.weight(), ideas.comment()),
        (5, 3, Some("better"))
    );
    assert_eq!(app.get_memo(id).unwrap().words(), 2);
    let written = app
        .repository()
        .get_at(id, Some(1))
        .map(|memo: Memo| memo.version())
        .unwrap();
    assert_eq!(written, 1);
}

#[test]
fn version_3_reads_what_version_1_stored_in_both_databases() {
    for backend in databases() {
        let env = backend.env();
        let notifications = if let Store::SqliteFile(file) = &backend.store {
            // The file version 1 wrote, as it is (a copy: reading a SQLite
            // file may write beside it).
            std::fs::copy(FIXTURE, &file.path).unwrap();
            stored_events(&env)
        } else {
            // The same events, inserted into the table version 3's
            // application uses.
            let file = SqliteFile::new();
            std::fs::copy(FIXTURE, &file.path).unwrap();
            let notifications = stored_events(&file.env());
            let stored: Vec<StoredEvent> = notifications
                .iter()
                .map(|n| StoredEvent {
                    originator_id: n.originator_id,
                    originator_version: n.originator_version,
                    topic: n.topic.clone(),
                    state: n.state.to_vec(),
                })
                .collect();
            let memos = Application::isolated_with_defaults("Memos", &[], pairs(&env)).unwrap();
            memos.recorder().insert_events(&stored).unwrap();
            notifications
        };
        assert_eq!(notifications.len(), 6, "{}", backend.name);
        let memos = Application::isolated_with_defaults("Memos", &[], pairs(&env)).unwrap();
        assert_eq!(
            memos
                .recorder()
                .select_events(notifications[0].originator_id, EventQuery::new())
                .unwrap()
                .len(),
            4,
            "{}",
            backend.name
        );
        let app = Memos::isolated(pairs(&env)).unwrap();
        reads_version_1(&app, &notifications);
        // The new created event: class_version 3, last, as Python writes it.
        let last = stored_events(&env).pop().unwrap();
        assert_eq!(last.topic, "memos:Memo.Written", "{}", backend.name);
        let state = String::from_utf8(last.state.to_vec()).unwrap();
        assert!(
            state.ends_with(r#""language":"fr","class_version":3}"#),
            "{}: {state}",
            backend.name
        );
    }
}
