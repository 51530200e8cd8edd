//! A role with data rights only (issue 25, point 2): with `CREATE_TABLE=n`
//! nothing is created, and a role granted `SELECT`, `INSERT` and `UPDATE`
//! on tables that exist (and `USAGE` on their schema and sequences) runs
//! every application feature: commands and queries, the log, snapshots, a
//! subscription, and a follower's processing and tracking. A missing table
//! is a typed error naming it. `.ci/run` creates the role.

use std::time::Duration;

use eventsmith::{Application, ErrorKind};
use eventsmith_generated::bank_accounts::Bank;
use eventsmith_generated::world::{Universe, WorldEvent};
use eventsmith_tests::backends::{PgSchema, pairs, with};
use eventsmith_tests::follow::{policy, write_worlds};

fn universe(env: &[(String, String)]) -> eventsmith::Result<Universe> {
    Universe::isolated(pairs(&with(env, &[("IS_SNAPSHOTTING_ENABLED", "y")])))
}

fn bank(env: &[(String, String)]) -> eventsmith::Result<Application> {
    Application::isolated_with_defaults("Bank", Bank::DEFAULTS, pairs(env))
}

/// Processing `app`'s events in `follower` fails with `MissingTable`
/// naming `table`.
fn assert_missing(follower: &Application, app: &Universe, table: &str) {
    let err =
        eventsmith::system::process::<WorldEvent, _>(follower, app.as_application(), |_, _| Ok(()))
            .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MissingTable { table: missing } if missing == table),
        "{err}"
    );
}

#[test]
fn a_role_with_data_rights_only_runs_every_feature_on_tables_that_exist() {
    let Some(pg) = PgSchema::new() else { return };
    // The owner makes the tables, as a migration would: events, snapshots,
    // the follower's events and tracking.
    let owner = pg.env();
    let setup = universe(&owner).unwrap();
    let setup_bank = bank(&owner).unwrap();
    eventsmith::system::process::<WorldEvent, _>(
        &setup_bank,
        setup.as_application(),
        |_, _| Ok(()),
    )
    .unwrap();
    drop((setup, setup_bank));
    pg.grant_data_rights();
    let data = pg.data_role_env();

    // Told to create tables, the role is refused: it may not.
    let mut creating = data.clone();
    creating.retain(|(k, _)| k != "CREATE_TABLE");
    let refused = universe(&creating).unwrap_err();
    assert!(
        refused.to_string().contains("permission denied"),
        "{refused}"
    );

    // With CREATE_TABLE=n, everything works.
    let app = universe(&data).unwrap();
    let world = app.create_world("Earth").unwrap();
    app.make_it_so(world, "dinosaurs").unwrap();
    assert_eq!(app.get_history(world).unwrap(), ["dinosaurs"]);
    app.take_snapshot(world, None).unwrap();
    assert_eq!(app.get_history(world).unwrap(), ["dinosaurs"]);
    assert_eq!(app.log().section("1,10").unwrap().items.len(), 2);
    let mut subscription = app.log().subscribe(None, &[]).unwrap();
    assert_eq!(subscription.next().unwrap().unwrap().id, 1);
    let worlds = write_worlds(app.as_application(), &[1]);
    let follower = bank(&data).unwrap();
    assert_eq!(
        eventsmith::system::process::<WorldEvent, _>(
            &follower,
            app.as_application(),
            policy(&follower)
        )
        .unwrap(),
        4
    );
    follower
        .wait_for("Universe", 4, Duration::from_secs(5))
        .unwrap();
    assert_eq!(eventsmith_tests::follow::position(&follower), Some(4));
    assert_eq!(
        eventsmith_tests::follow::balance(&follower, worlds[0]),
        eventsmith_tests::follow::cent()
    );
}

/// With `CREATE_TABLE=n`, a table that does not exist is an error naming
/// it, at construction (the events table) or at first use (tracking).
#[test]
fn with_create_table_off_a_missing_table_is_an_error_naming_it() {
    let Some(pg) = PgSchema::new() else { return };
    pg.create();
    let env = with(&pg.env(), &[("CREATE_TABLE", "n")]);
    let err = universe(&env).unwrap_err();
    let ErrorKind::MissingTable { table } = err.kind() else {
        panic!("{err}");
    };
    assert_eq!(table, &format!("\"{}\".\"universe_events\"", pg.schema));
    assert!(err.to_string().contains("CREATE_TABLE"), "{err}");
    // The events and snapshot tables made, the tracking table still missing.
    universe(&pg.env()).unwrap();
    let app = universe(&env).unwrap();
    let follower = bank(&with(&env, &[("CREATE_TABLE", "y")])).unwrap();
    drop(follower);
    let follower = bank(&env).unwrap();
    assert_missing(
        &follower,
        &app,
        &format!("\"{}\".\"bank_tracking\"", pg.schema),
    );
}

/// SQLite reads `CREATE_TABLE` as the Python library does too: off, a
/// missing table is an error naming it, and tables that exist are used.
#[test]
fn with_create_table_off_sqlite_creates_nothing_and_names_what_is_missing() {
    let file = eventsmith_tests::backends::SqliteFile::new();
    let env = with(&file.env(), &[("CREATE_TABLE", "n")]);
    // A database file that does not exist is not made.
    let path = file.dir.path().join("no such.sqlite");
    let err = universe(&with(&env, &[("SQLITE_DBNAME", path.to_str().unwrap())])).unwrap_err();
    assert!(!path.exists(), "{err}");
    assert!(err.to_string().contains("unable to open"), "{err}");
    // A file with no table.
    rusqlite::Connection::open(&file.path).unwrap();
    let err = universe(&env).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MissingTable { table } if table == "stored_events"),
        "{err}"
    );
    universe(&file.env()).unwrap();
    let app = universe(&env).unwrap();
    let world = app.create_world("Earth").unwrap();
    app.take_snapshot(world, None).unwrap();
    // The follower's file has its events table, not its tracking table.
    let bank_file = file.dir.path().join("bank.sqlite");
    let bank_env = with(&env, &[("SQLITE_DBNAME", bank_file.to_str().unwrap())]);
    drop(bank(&with(&bank_env, &[("CREATE_TABLE", "y")])).unwrap());
    let follower = bank(&bank_env).unwrap();
    assert_missing(&follower, &app, "tracking");
}

/// With `CREATE_TABLE=n` a tracking table that exists is checked as one
/// just created is: a legacy multi-row table (no `__migration__` row) is
/// `InvalidTracking`, not accepted to fail later with a driver's error.
#[test]
fn with_create_table_off_a_legacy_tracking_table_is_refused() {
    let file = eventsmith_tests::backends::SqliteFile::new();
    let env = with(&file.env(), &[("CREATE_TABLE", "n")]);
    universe(&file.env()).unwrap();
    let bank_file = file.dir.path().join("bank.sqlite");
    let bank_env = with(&env, &[("SQLITE_DBNAME", bank_file.to_str().unwrap())]);
    drop(bank(&with(&bank_env, &[("CREATE_TABLE", "y")])).unwrap());
    rusqlite::Connection::open(&bank_file)
        .unwrap()
        .execute_batch(
            "CREATE TABLE tracking (application_name TEXT, notification_id INTEGER, \
             PRIMARY KEY (application_name, notification_id)); \
             INSERT INTO tracking VALUES ('Universe', 1);",
        )
        .unwrap();
    let app = universe(&env).unwrap();
    let follower = bank(&bank_env).unwrap();
    let err = eventsmith::system::process::<WorldEvent, _>(
        &follower,
        app.as_application(),
        |_, _| Ok(()),
    )
    .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidTracking { .. }),
        "{err}"
    );
}
