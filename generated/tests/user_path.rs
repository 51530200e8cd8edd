//! The generated code, used as a user would: the tutorial, business rules
//! beside generated code, and every state change replayed from storage.

use std::collections::BTreeMap;

use eventsmith::persistence::Mapper;
use eventsmith::{Aggregate, Decimal, DomainEvent, Error, ErrorKind};
use eventsmith_generated::bank_accounts::{Account, Bank, BankError};
use eventsmith_generated::inventory::{
    Condition, Dimensions, Inventory, Item, Location, Supplier, SupplierCreated, WarehouseCreated,
};
use eventsmith_generated::world::{
    Universe, World, WorldEvent, WorldId, WorldSomethingHappened, WorldStarted,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Replaces the timestamp's value in stored JSON, to compare the rest.
fn without_timestamp(state: &[u8]) -> String {
    let text = String::from_utf8(state.to_vec()).unwrap();
    let start = text.find("\"_data_\":\"").unwrap() + 10;
    let end = start + text[start..].find('"').unwrap();
    format!("{}T{}", &text[..start], &text[end..])
}

#[test]
fn the_tutorial_runs_on_the_generated_universe() -> TestResult {
    let app = Universe::isolated([])?;
    let world_id = app.create_world("Earth")?;
    app.make_it_so(world_id, "dinosaurs")?;
    app.make_it_so(world_id, "trucks")?;
    app.make_it_so(world_id, "internet")?;
    assert_eq!(
        app.get_history(world_id)?,
        ["dinosaurs", "trucks", "internet"]
    );

    let world: World = app.get_world(world_id)?;
    assert_eq!(
        (world.name(), world.version(), world.id()),
        ("Earth", 4, world_id)
    );
    let earlier: World = app.repository().get_at(world_id, Some(2))?;
    assert_eq!(earlier.history(), ["dinosaurs"]);

    let section = app.log().section("1,10")?;
    let topics: Vec<&str> = section.items.iter().map(|n| &*n.topic).collect();
    assert_eq!(
        topics,
        [
            "universe:World.Started",
            "universe:World.SomethingHappened",
            "universe:World.SomethingHappened",
            "universe:World.SomethingHappened"
        ]
    );
    // The Python library's bytes, but for the time.
    assert_eq!(
        without_timestamp(&section.items[0].state),
        r#"{"timestamp":{"_type_":"datetime_iso","_data_":"T"},"originator_topic":"universe:World","name":"Earth"}"#
    );
    assert_eq!(
        without_timestamp(&section.items[1].state),
        r#"{"timestamp":{"_type_":"datetime_iso","_data_":"T"},"what":"dinosaurs"}"#
    );
    assert!(matches!(
        app.get_world(WorldId::new_v4()).map_err(|e| e.into_kind()),
        Err(ErrorKind::AggregateNotFound { .. })
    ));
    Ok(())
}

#[test]
fn events_are_structs_in_an_enum_and_mutate_checks_them() -> TestResult {
    let mut world = World::create("Mars");
    world.make_it_so("rovers");
    let events = world.collect_events();
    assert!(world.pending_events().is_empty());
    let WorldEvent::Started(WorldStarted { name, .. }) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(name, "Mars");
    assert!(events[0].is_created() && !events[1].is_created());
    assert_eq!(events[1].topic(), WorldSomethingHappened::TOPIC);

    let rebuilt = events[1]
        .clone()
        .mutate(Some(events[0].clone().mutate(None)?))?;
    assert_eq!(rebuilt, world);
    assert!(matches!(
        events[1].clone().mutate(None).map_err(|e| e.into_kind()),
        Err(ErrorKind::CreationMismatch { .. })
    ));
    assert!(matches!(
        events[0]
            .clone()
            .mutate(Some(world.clone()))
            .map_err(|e| e.into_kind()),
        Err(ErrorKind::CreationMismatch { .. })
    ));
    let skipped = events[1].clone().mutate(Some(world));
    assert!(
        matches!(
            skipped.as_ref().map_err(Error::kind),
            Err(ErrorKind::OriginatorVersionMismatch { .. })
        ),
        "{skipped:?}"
    );

    let mapper = Mapper::default();
    for event in &events {
        let stored = mapper.to_stored_event(event)?;
        assert_eq!(&mapper.to_domain_event::<WorldEvent>(&stored)?, event);
    }
    Ok(())
}

#[test]
fn bank_rules_are_checked_before_the_generated_commands() -> TestResult {
    let bank = Bank::isolated([])?;
    // The schema's env, and snapshots on for an account's `snapshot: { every: 100 }`.
    assert_eq!(
        Bank::DEFAULTS,
        [
            ("COMPRESSOR_TOPIC", "zlib"),
            ("IS_SNAPSHOTTING_ENABLED", "y")
        ]
    );
    let alice = bank.open_account("Alice", "alice@example.com")?;
    let bob = bank.open_account("Bob", "bob@example.com")?;

    bank.deposit(alice, Decimal::new(100, 0))?;
    assert!(matches!(
        bank.withdraw(alice, Decimal::new(101, 0)),
        Err(BankError::InsufficientFunds { .. })
    ));
    bank.set_overdraft_limit(alice, Decimal::new(50, 0))?;
    bank.withdraw(alice, Decimal::new(120, 0))?;
    assert_eq!(bank.get_balance(alice)?, Decimal::new(-20, 0));
    assert!(matches!(
        bank.deposit(alice, Decimal::ZERO),
        Err(BankError::NotPositive { .. })
    ));

    bank.transfer(alice, bob, Decimal::new(30, 0))?;
    assert_eq!(bank.get_balance(alice)?, Decimal::new(-50, 0));
    assert_eq!(bank.get_balance(bob)?, Decimal::new(30, 0));
    let refused = bank.transfer(alice, bob, Decimal::new(1, 0));
    assert!(
        matches!(refused, Err(BankError::InsufficientFunds { .. })),
        "{refused:?}"
    );
    assert_eq!(
        bank.get_balance(bob)?,
        Decimal::new(30, 0),
        "a refused transfer saves nothing"
    );

    // The custom state change: interest on a positive balance, in cents.
    bank.pay_interest(bob, Decimal::new(15, 3))?;
    bank.pay_interest(alice, Decimal::new(15, 3))?;
    assert_eq!(bank.get_balance(bob)?, Decimal::new(3045, 2));
    assert_eq!(bank.get_balance(alice)?, Decimal::new(-50, 0));

    bank.close_account(bob)?;
    assert!(matches!(
        bank.deposit(bob, Decimal::ONE),
        Err(BankError::AccountClosed { .. })
    ));
    assert!(matches!(
        bank.close_account(bob),
        Err(BankError::AccountClosed { .. })
    ));
    let account: Account = bank.get_account(bob)?;
    assert_eq!((account.owner(), account.transactions()), ("Bob", 1));
    let topics: Vec<String> = bank
        .log()
        .section("1,20")?
        .items
        .into_iter()
        .map(|n| n.topic.into_owned())
        .collect();
    assert_eq!(
        topics.last().map(String::as_str),
        Some("bank:Account.AccountClosed"),
        "the schema's own topic"
    );
    Ok(())
}

#[test]
fn an_account_id_is_made_from_its_email_so_a_second_account_is_a_conflict() -> TestResult {
    let bank = Bank::isolated([])?;
    let alice = bank.open_account("Alice", "alice@example.com")?;
    assert_eq!(alice, Account::create_id("alice@example.com"));
    assert_eq!(alice.uuid().get_version_num(), 5);
    bank.deposit(alice, Decimal::new(10, 0))?;
    let again = bank.open_account("Mallory", "alice@example.com");
    assert!(
        matches!(again.as_ref().map_err(Error::kind), Err(ErrorKind::VersionConflict { originator_id, originator_version: 1 }) if *originator_id == alice.uuid()),
        "{again:?}"
    );
    // Said as what it is: the account exists, not "reload and retry".
    let message = again.unwrap_err().to_string();
    assert!(
        message.contains("already exists") && !message.contains("retry"),
        "{message}"
    );
    let account = bank.get_account(alice)?;
    assert_eq!(
        (account.owner(), account.balance()),
        ("Alice", Decimal::new(10, 0))
    );
    Ok(())
}

#[test]
fn every_state_change_replays_to_the_same_item() -> TestResult {
    let app = Inventory::isolated([])?;
    let supplier_id = app.add_supplier("Acme", "sales@acme.example")?;
    let mut item = Item::create("SKU-1", "Teapot", Decimal::new(1999, 2), Condition::New);
    item.rename("Teapot, large");
    item.list();
    item.receive(10, supplier_id.uuid(), "north", 7)?;
    item.receive(5, supplier_id.uuid(), "south", 5)?;
    item.reserve()?;
    item.reserve()?;
    item.release()?;
    item.sell(3, 3)?;
    item.write_off()?;
    item.weigh(
        1.25,
        Dimensions {
            width: 20.0,
            height: 15.5,
            depth: 20.0,
        },
    );
    item.adjust_weight(0.5)?;
    item.discount(Decimal::new(500, 2))?;
    item.reprice(Decimal::new(2499, 2))?;
    item.count();
    item.tag("kitchen");
    item.tag("gift");
    item.tag("sale");
    item.untag("gift");
    item.add_barcodes(vec![4006381333931, 5901234123457]);
    item.set_attributes(BTreeMap::from([
        ("colour".to_owned(), "blue".to_owned()),
        ("lid".to_owned(), "yes".to_owned()),
    ]));
    item.remove_attribute("lid");
    item.move_to(Location::Shelf {
        aisle: 3,
        level: -1,
        bay: 12,
    });
    item.annotate(Some("fragile".to_owned()));
    item.delist();

    assert_eq!(item.title(), "Teapot, large");
    assert!(!item.listed());
    assert_eq!(
        (
            item.on_hand(),
            item.reserved(),
            item.sold_total(),
            item.shrinkage()
        ),
        (10, 1, 3, 2)
    );
    assert_eq!(item.weight_kg(), 1.75);
    assert_eq!(item.price(), Decimal::new(2499, 2));
    assert_eq!(
        item.price_history(),
        [Decimal::new(1999, 2), Decimal::new(2499, 2)]
    );
    assert_eq!(item.supplier(), Some(supplier_id.uuid()));
    assert!(item.received_on().is_some());
    assert_eq!(item.tags(), ["kitchen", "sale"]);
    assert_eq!(item.barcodes().len(), 2);
    assert_eq!(item.attributes().keys().collect::<Vec<_>>(), ["colour"]);
    assert_eq!(item.stock_by_site()["north"], 7);
    assert_eq!(item.size().map(|s| s.height), Some(15.5));
    assert_eq!(
        item.location(),
        &Location::Shelf {
            aisle: 3,
            level: -1,
            bay: 12
        }
    );
    assert_eq!(item.notes(), Some("fragile"));

    app.save(&mut item)?;
    let replayed: Item = app.get_item(item.id())?;
    assert_eq!(
        replayed, item,
        "events stored and replayed give the same item"
    );
    assert_eq!(app.get_on_hand(item.id())?, 10);

    item.restore();
    assert_eq!(item.title(), "Untitled: {draft}");
    assert_eq!(
        (item.listed(), item.shrinkage(), item.sold_total()),
        (false, -1, u64::MAX)
    );
    assert_eq!(
        (item.weight_kg(), item.price()),
        (0.5, Decimal::new(999, 2))
    );
    assert_eq!(
        item.supplier().map(|id| id.to_string()).as_deref(),
        Some("6d9a2a3e-5c0e-4b7f-9d1a-2f4b8c6e0a11")
    );
    assert_eq!(item.received_on(), None);
    assert_eq!(
        eventsmith::domain::format_timestamp(&item.last_counted()),
        "2026-01-01T00:00:00.000001+00:00"
    );
    assert_eq!(
        (item.location(), item.condition()),
        (&Location::Unplaced, &Condition::Refurbished)
    );
    item.reset();
    app.save(&mut item)?;
    let replayed: Item = app.get_item(item.id())?;
    assert_eq!(replayed, item);
    assert!(replayed.tags().is_empty() && replayed.size().is_none() && replayed.notes().is_none());
    assert_eq!(replayed.on_hand(), 0);
    assert_eq!(replayed.version(), 27);
    Ok(())
}

#[test]
fn names_are_cased_for_rust_and_stored_as_written() -> TestResult {
    let app = Inventory::isolated([])?;
    let id = app.add_supplier("Acme", "sales@acme.example")?;
    let mut supplier: Supplier = app.get_supplier(id)?;
    supplier.classify("wholesale");
    app.save(&mut supplier)?;
    assert_eq!(app.get_supplier_type(id)?.as_deref(), Some("wholesale"));
    assert_eq!(supplier.contact_email(), "sales@acme.example");
    assert_eq!(supplier.r#type(), Some("wholesale"));

    // Two aggregates have a `Created` event: the structs are always
    // prefixed, the topics keep the event's name, as Python's would.
    assert_eq!(SupplierCreated::TOPIC, "shop.inventory:Supplier.Created");
    assert_eq!(WarehouseCreated::TOPIC, "shop.inventory:Warehouse.Created");
    let stored = app.log().section("1,1")?.items.remove(0);
    let mapper = Mapper::new(Some(eventsmith::persistence::ZlibCompressor), None);
    let json = mapper.decode_bytes(stored.originator_id, 1, &stored.state)?;
    assert!(without_timestamp(&json).ends_with(r#""originator_topic":"shop.inventory:Supplier","name":"Acme","contactEmail":"sales@acme.example"}"#));
    Ok(())
}

#[test]
fn arithmetic_that_would_leave_its_range_is_an_error_and_triggers_nothing() -> TestResult {
    let mut item = Item::create("SKU-2", "Kettle", Decimal::new(2500, 2), Condition::Used);
    // An unsigned field below zero.
    let err = item.release().unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Overflow {
                field: "reserved",
                change: "decrement",
                version: 2,
                ..
            }
        ),
        "{err}"
    );
    // A signed field past its largest value.
    item.receive(i64::MAX, WorldId::new_v4().uuid(), "north", 1)?;
    let err = item
        .receive(1, WorldId::new_v4().uuid(), "north", 1)
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Overflow {
                field: "on_hand",
                ..
            }
        ),
        "{err}"
    );
    // A float to infinity, a decimal past its range.
    item.adjust_weight(f64::MAX)?;
    assert!(matches!(
        item.adjust_weight(f64::MAX).map_err(|e| e.into_kind()),
        Err(ErrorKind::Overflow {
            field: "weight_kg",
            ..
        })
    ));
    assert!(matches!(item.discount(Decimal::MAX), Ok(())));
    assert!(matches!(
        item.discount(Decimal::MAX).map_err(|e| e.into_kind()),
        Err(ErrorKind::Overflow { field: "price", .. })
    ));
    // Nothing was triggered by the refused commands, and the state is as
    // the accepted ones left it.
    assert_eq!(item.version(), 4);
    assert_eq!(item.pending_events().len(), 4);
    assert_eq!((item.reserved(), item.on_hand()), (0, i64::MAX));
    Ok(())
}

#[test]
fn a_stored_event_that_would_overflow_is_an_error_naming_aggregate_and_version() -> TestResult {
    use eventsmith_generated::inventory::{ItemEvent, ItemReceived};
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("store.sqlite");
    let env = [
        ("INFRASTRUCTURE_FACTORY", "sqlite"),
        ("SQLITE_DBNAME", file.to_str().unwrap()),
    ];
    let app = Inventory::isolated(env)?;
    let mut item = Item::create("SKU-3", "Anvil", Decimal::new(100, 0), Condition::New);
    item.receive(i64::MAX, WorldId::new_v4().uuid(), "north", 1)?;
    app.save(&mut item)?;
    // Another program stores a third event, which no command here would
    // have triggered: one more on hand than an i64 holds.
    let event = ItemEvent::Received(ItemReceived {
        originator_id: item.id(),
        originator_version: 3,
        timestamp: eventsmith::domain::now(),
        quantity: 1,
        supplier: WorldId::new_v4().uuid(),
        site: "south".into(),
        site_quantity: 1,
    });
    let other =
        eventsmith::Application::isolated_with_defaults(Inventory::NAME, Inventory::DEFAULTS, env)?;
    let stored = other.event_store().mapper().to_stored_event(&event)?;
    other.recorder().insert_events(&[stored])?;
    let err = app.get_item(item.id()).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Overflow { aggregate_id, version: 3, field: "on_hand", change: "increment", .. }
                if *aggregate_id == item.id().uuid()
        ),
        "{err}"
    );
    assert!(err.to_string().contains(&item.id().to_string()), "{err}");
    // As it was before the event, it is read.
    let before: Item = app.repository().get_at(item.id(), Some(2))?;
    assert_eq!(before.on_hand(), i64::MAX);
    Ok(())
}

/// An account takes a snapshot every 100 events (its schema says so), with
/// its decimals and its custom-applied interest, and a get from the latest
/// snapshot is the account its events give.
#[test]
fn an_account_is_snapshotted_every_100_events_and_reads_the_same_from_them() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("bank.sqlite");
    let file = file.to_str().ok_or("a UTF-8 path")?;
    let sqlite = [("PERSISTENCE_MODULE", "sqlite"), ("SQLITE_DBNAME", file)];
    let bank = Bank::isolated(sqlite)?;
    let alice = bank.open_account("Alice", "alice@example.com")?;
    for i in 1..250 {
        if i % 50 == 0 {
            bank.pay_interest(alice, Decimal::new(1, 2))?;
        } else {
            bank.deposit(alice, Decimal::new(1234, 2))?;
        }
    }
    let versions: Vec<i64> = rusqlite::Connection::open(file)?
        .prepare("SELECT originator_version FROM stored_snapshots ORDER BY originator_version")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    assert_eq!(versions, [100, 200]);
    let from_snapshot = bank.get_account(alice)?;
    let replayed = Bank::isolated(sqlite.into_iter().chain([("IS_SNAPSHOTTING_ENABLED", "n")]))?
        .get_account(alice)?;
    assert_eq!(from_snapshot, replayed);
    assert_eq!(from_snapshot.version(), 250);
    assert!(from_snapshot.balance() > Decimal::new(1234 * 245, 2));
    Ok(())
}
