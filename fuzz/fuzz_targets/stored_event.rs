//! Feeds arbitrary stored events to the mapper's read path: decrypt (AES-GCM),
//! decompress (zlib), decode (JSON into the generated event enums).
//!
//! Input: `M TOPIC \n STATE`: the first byte picks the mapper (its low two
//! bits: 0 plain, 1 zlib, 2 AES, 3 AES+zlib, so seeds start with an ASCII
//! `0`..`3`), the bytes up to the first newline are the topic (lossy UTF-8),
//! and the rest is the stored state. Every input is decoded as each event
//! type of every generated domain: `world::WorldEvent`,
//! `bank_accounts::AccountEvent`, `inventory::{ItemEvent, SupplierEvent,
//! WarehouseEvent}`, `names::ResultEvent`, and through
//! `Mapper::decode_bytes`.
//!
//! Each event that decodes is then applied: a created event to nothing, any
//! other to an aggregate of its type at the version before it (made from a
//! created event with the same id), as reading an aggregate does.
//!
//! Fails on: a panic, a hang or an out-of-memory; an error whose message does
//! not name the aggregate id and version (decoding, or applying: an
//! overflowing change included); and an event that decodes but does not
//! survive a round trip (encode, then decode again, must give it back).

#![no_main]

use std::fmt::Debug;
use std::sync::LazyLock;

use eventsmith::domain::now;
use eventsmith::__private::Transcodable;
use eventsmith::persistence::{AesCipher, Mapper, ZlibCompressor};
use eventsmith::{Decimal, Error, Id, Uuid};
use eventsmith_generated::{bank_accounts, inventory, names, world};
use libfuzzer_sys::fuzz_target;

/// The fixed key the AES seeds were made with: base64 of the bytes 0..32.
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ID: Uuid = Uuid::from_u128(0x3f2a_6c4e_0a4b_4b8e_9d51_7f6f_2f0c_2a11);
/// The version every input is decoded at: the one after a created event's.
const VERSION: u64 = 2;

static MAPPERS: LazyLock<[Mapper; 4]> = LazyLock::new(|| {
    let cipher = AesCipher::new(KEY).expect("the fixed key is valid");
    [
        Mapper::new(None, None),
        Mapper::new(Some(ZlibCompressor), None),
        Mapper::new(None, Some(cipher.clone())),
        Mapper::new(Some(ZlibCompressor), Some(cipher)),
    ]
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mapper = &MAPPERS[usize::from(selector & 3)];
    let (topic, state) = match rest.iter().position(|&b| b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let topic = String::from_utf8_lossy(topic);

    match mapper.decode_bytes(ID, VERSION, state) {
        Ok(_) => {}
        Err(err) => check_error(&err),
    }
    decode(mapper, &topic, state, world_created());
    decode(mapper, &topic, state, account_created());
    decode(mapper, &topic, state, item_created());
    decode(mapper, &topic, state, supplier_created());
    decode(mapper, &topic, state, warehouse_created());
    decode(mapper, &topic, state, result_created());
});

/// Decodes the input as an `E`; applies what decodes to an aggregate made by
/// `created`.
fn decode<E: Transcodable + Debug>(mapper: &Mapper, topic: &str, state: &[u8], created: E) {
    match mapper.decode_event::<E>(ID, VERSION, topic, state) {
        Ok(event) => {
            let applied = if event.is_created() {
                event.clone().mutate(None)
            } else {
                let aggregate = created.mutate(None).expect("a created event builds");
                event.clone().mutate(Some(aggregate))
            };
            if let Err(err) = applied {
                check_error(&err);
            }
            let stored = mapper
                .to_stored_event(&event)
                .unwrap_or_else(|err| panic!("decoded {event:?} but cannot encode it: {err}"));
            assert_eq!(stored.topic, topic);
            let again: E = mapper
                .to_domain_event(&stored)
                .unwrap_or_else(|err| panic!("encoded {event:?} but cannot decode it: {err}"));
            // Compared as Debug shows them: a NaN is not equal to itself.
            assert_eq!(
                format!("{again:?}"),
                format!("{event:?}"),
                "the event changed on a round trip"
            );
        }
        Err(err) => check_error(&err),
    }
}

fn check_error(err: &Error) {
    let message = err.to_string();
    assert!(
        message.contains(&ID.to_string()) && message.contains(&VERSION.to_string()),
        "the error does not name the aggregate id and version: {message}"
    );
}

fn id<A>() -> Id<A> {
    Id::from_uuid_unchecked(ID)
}

fn world_created() -> world::WorldEvent {
    world::WorldEvent::Started(world::WorldStarted {
        originator_id: id(),
        originator_version: 1,
        timestamp: now(),
        originator_topic: Default::default(),
        name: "Earth".into(),
    })
}

fn account_created() -> bank_accounts::AccountEvent {
    bank_accounts::AccountEvent::Opened(bank_accounts::AccountOpened {
        originator_id: id(),
        originator_version: 1,
        timestamp: now(),
        originator_topic: Default::default(),
        owner: "Alice".into(),
        email: "alice@example.com".into(),
    })
}

fn item_created() -> inventory::ItemEvent {
    inventory::ItemEvent::Registered(inventory::ItemRegistered {
        originator_id: id(),
        originator_version: 1,
        timestamp: now(),
        originator_topic: Default::default(),
        sku: "SKU".into(),
        title: "Widget".into(),
        price: Decimal::ONE,
        condition: inventory::Condition::New,
    })
}

fn supplier_created() -> inventory::SupplierEvent {
    inventory::SupplierEvent::Created(inventory::SupplierCreated {
        originator_id: id(),
        originator_version: 1,
        timestamp: now(),
        originator_topic: Default::default(),
        name: "Acme".into(),
        contact_email: "sales@acme.example".into(),
    })
}

fn warehouse_created() -> inventory::WarehouseEvent {
    inventory::WarehouseEvent::Created(inventory::WarehouseCreated {
        originator_id: id(),
        originator_version: 1,
        timestamp: now(),
        originator_topic: Default::default(),
        code: "LHR".into(),
    })
}

fn result_created() -> names::ResultEvent {
    names::ResultEvent::Ok(names::ResultOk {
        originator_id: id(),
        originator_version: 1,
        timestamp: now(),
        originator_topic: Default::default(),
        string: "made".into(),
        error: names::Error::Ok,
    })
}
