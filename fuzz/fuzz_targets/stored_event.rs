//! Feeds arbitrary stored events to the mapper's read path: decrypt (AES-GCM),
//! decompress (zlib), decode (JSON into the generated event enums).
//!
//! Input: `M TOPIC \n STATE`: the first byte picks the mapper (its low two
//! bits: 0 plain, 1 zlib, 2 AES, 3 AES+zlib, so seeds start with an ASCII
//! `0`..`3`), the bytes up to the first newline are the topic (lossy UTF-8),
//! and the rest is the stored state. Every input is decoded as each event
//! type of every generated domain: `world::WorldEvent`,
//! `bank_accounts::AccountEvent`, `inventory::{ItemEvent, SupplierEvent,
//! WarehouseEvent}`, and through `Mapper::decode_bytes`.
//!
//! Fails on: a panic, a hang or an out-of-memory; an error whose message does
//! not name the aggregate id and version; and an event that decodes but does
//! not survive a round trip (encode, then decode again, must give it back).

#![no_main]

use std::fmt::Debug;
use std::sync::LazyLock;

use eventsourcing::persistence::{AesCipher, Mapper, Transcodable, ZlibCompressor};
use eventsourcing::{Error, Uuid};
use eventsourcing_generated::{bank_accounts, inventory, world};
use libfuzzer_sys::fuzz_target;

/// The fixed key the AES seeds were made with: base64 of the bytes 0..32.
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ID: Uuid = Uuid::from_u128(0x3f2a_6c4e_0a4b_4b8e_9d51_7f6f_2f0c_2a11);
const VERSION: u64 = 7;

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
    decode::<world::WorldEvent>(mapper, &topic, state);
    decode::<bank_accounts::AccountEvent>(mapper, &topic, state);
    decode::<inventory::ItemEvent>(mapper, &topic, state);
    decode::<inventory::SupplierEvent>(mapper, &topic, state);
    decode::<inventory::WarehouseEvent>(mapper, &topic, state);
});

fn decode<E: Transcodable + Debug>(mapper: &Mapper, topic: &str, state: &[u8]) {
    match mapper.decode_event::<E>(ID, VERSION, topic, state) {
        Ok(event) => {
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
