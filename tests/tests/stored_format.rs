//! The stored byte format: exactly the Python library's, as the generated
//! code writes and reads it.

use eventsmith::persistence::{AesCipher, Mapper, StoredEvent, ZlibCompressor};
use eventsmith::{DomainEvent, ErrorKind, Uuid};
use eventsmith_generated::world::{
    WorldEvent, WorldId, WorldSomethingHappened as SomethingHappened, WorldStarted as Started,
};

fn id() -> Uuid {
    Uuid::parse_str("6d9a2a3e-5c0e-4b7f-9d1a-2f4b8c6e0a11").unwrap()
}

fn started() -> WorldEvent {
    WorldEvent::Started(Started {
        originator_id: WorldId::from_uuid_unchecked(id()),
        originator_version: 1,
        originator_topic: Default::default(),
        timestamp: eventsmith::domain::parse_timestamp("2026-11-27T06:51:30.251580+00:00").unwrap(),
        name: "Earth".into(),
    })
}

fn happened(what: &str) -> WorldEvent {
    WorldEvent::SomethingHappened(SomethingHappened {
        originator_id: WorldId::from_uuid_unchecked(id()),
        originator_version: 2,
        timestamp: eventsmith::domain::parse_timestamp("2026-11-27T06:51:31+00:00").unwrap(),
        what: what.into(),
    })
}

/// What the Python library writes for the tutorial's first event.
const PYTHON_STARTED: &str = r#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-27T06:51:30.251580+00:00"},"originator_topic":"universe:World","name":"Earth"}"#;

#[test]
fn created_event_bytes_are_exactly_pythons() {
    let stored = Mapper::default().to_stored_event(&started()).unwrap();
    assert_eq!(stored.topic, "universe:World.Started");
    assert_eq!(stored.originator_id, id());
    assert_eq!(stored.originator_version, 1);
    assert_eq!(String::from_utf8(stored.state).unwrap(), PYTHON_STARTED);
}

#[test]
fn other_event_bytes_are_exactly_pythons() {
    let stored = Mapper::default()
        .to_stored_event(&happened("dinosaurs"))
        .unwrap();
    assert_eq!(stored.topic, "universe:World.SomethingHappened");
    assert_eq!(
        String::from_utf8(stored.state).unwrap(),
        r#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-27T06:51:31+00:00"},"what":"dinosaurs"}"#
    );
    // Non-ASCII text is written as UTF-8, not escaped; quotes and control characters are escaped.
    let stored = Mapper::default()
        .to_stored_event(&happened("Ünïcödé \"quoted\"\n"))
        .unwrap();
    assert!(
        String::from_utf8(stored.state)
            .unwrap()
            .ends_with(r#""what":"Ünïcödé \"quoted\"\n"}"#),
        "unexpected bytes"
    );
}

#[test]
fn python_written_events_decode() {
    let stored = StoredEvent {
        originator_id: id(),
        originator_version: 1,
        topic: "universe:World.Started".into(),
        state: PYTHON_STARTED.as_bytes().to_vec(),
    };
    let event: WorldEvent = Mapper::default().to_domain_event(&stored).unwrap();
    assert_eq!(event, started());
    // Python may add keys we do not know (class_version of 1 is never written, but tolerate others).
    let stored = StoredEvent {
        state: br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-27T06:51:31+00:00"},"what":"x","extra":1}"#.to_vec(),
        originator_version: 2,
        topic: "universe:World.SomethingHappened".into(),
        ..stored
    };
    let event: WorldEvent = Mapper::default().to_domain_event(&stored).unwrap();
    assert_eq!(event, happened("x"));
}

#[test]
fn compressed_bytes_are_zlib_of_the_json() {
    let mapper = Mapper::new(Some(ZlibCompressor), None);
    let stored = mapper.to_stored_event(&started()).unwrap();
    assert_eq!(
        ZlibCompressor.decompress(&stored.state).unwrap(),
        PYTHON_STARTED.as_bytes()
    );
    assert_eq!(
        mapper.to_domain_event::<WorldEvent>(&stored).unwrap(),
        started()
    );
}

#[test]
fn encrypted_bytes_are_nonce_tag_ciphertext_of_the_compressed_json() {
    let key = AesCipher::create_key(32).unwrap();
    let cipher = AesCipher::new(&key).unwrap();
    let mapper = Mapper::new(Some(ZlibCompressor), Some(cipher.clone()));
    let stored = mapper.to_stored_event(&started()).unwrap();
    let compressed = ZlibCompressor.compress(PYTHON_STARTED.as_bytes());
    assert_eq!(stored.state.len(), 12 + 16 + compressed.len());
    // Decrypting by hand then decompressing gives the JSON: compression happened before encryption.
    let opened = cipher.decrypt(&stored.state).unwrap();
    assert_eq!(
        ZlibCompressor.decompress(&opened).unwrap(),
        PYTHON_STARTED.as_bytes()
    );
    assert_eq!(
        mapper.to_domain_event::<WorldEvent>(&stored).unwrap(),
        started()
    );
}

#[test]
fn corrupt_stored_events_give_their_own_errors() {
    let key = AesCipher::create_key(32).unwrap();
    let mapper = Mapper::new(Some(ZlibCompressor), Some(AesCipher::new(&key).unwrap()));
    let good = mapper.to_stored_event(&happened("trucks")).unwrap();

    let wrong_key = Mapper::new(
        Some(ZlibCompressor),
        Some(AesCipher::new(&AesCipher::create_key(32).unwrap()).unwrap()),
    );
    let err = wrong_key.to_domain_event::<WorldEvent>(&good).unwrap_err();
    assert!(
        matches!(
            *err.kind(),
            ErrorKind::Decrypt {
                originator_version: 2,
                ..
            }
        ),
        "{err}"
    );

    let mut tampered = good.clone();
    let last = tampered.state.len() - 1;
    tampered.state[last] ^= 0x55;
    let err = mapper.to_domain_event::<WorldEvent>(&tampered).unwrap_err();
    assert!(matches!(*err.kind(), ErrorKind::Decrypt { .. }), "{err}");

    let truncated = StoredEvent {
        state: good.state[..20].to_vec(),
        ..good.clone()
    };
    let err = mapper
        .to_domain_event::<WorldEvent>(&truncated)
        .unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::CiphertextTruncated { len: 20, .. }),
        "{err}"
    );

    let not_zlib = StoredEvent {
        state: b"{\"what\":1}".to_vec(),
        ..good.clone()
    };
    let err = Mapper::new(Some(ZlibCompressor), None)
        .to_domain_event::<WorldEvent>(&not_zlib)
        .unwrap_err();
    assert!(matches!(*err.kind(), ErrorKind::Decompress { .. }), "{err}");

    let bad_json = StoredEvent {
        state: b"{\"timestamp\":".to_vec(),
        ..good.clone()
    };
    let err = Mapper::default()
        .to_domain_event::<WorldEvent>(&bad_json)
        .unwrap_err();
    assert!(
        matches!(
            *err.kind(),
            ErrorKind::Decode {
                originator_version: 2,
                ..
            }
        ),
        "{err}"
    );

    let wrong_type = StoredEvent {
        state: br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-27T06:51:31+00:00"},"what":7}"#.to_vec(),
        ..good.clone()
    };
    let err = Mapper::default()
        .to_domain_event::<WorldEvent>(&wrong_type)
        .unwrap_err();
    assert!(matches!(*err.kind(), ErrorKind::Decode { .. }), "{err}");
    assert!(err.to_string().contains(&id().to_string()), "{err}");

    // A bare NaN where a world's event holds no float (its JSON is read
    // without the rewrite of Python's non-finite floats): a typed error.
    const { assert!(!<WorldEvent as eventsmith::__private::Transcodable>::MAY_HOLD_FLOATS) };
    let bare_nan = StoredEvent {
        state: br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-27T06:51:31+00:00"},"what":NaN}"#.to_vec(),
        ..good.clone()
    };
    let err = Mapper::default()
        .to_domain_event::<WorldEvent>(&bare_nan)
        .unwrap_err();
    assert!(
        matches!(
            *err.kind(),
            ErrorKind::Decode {
                originator_version: 2,
                ..
            }
        ),
        "{err}"
    );

    let unknown = StoredEvent {
        topic: "universe:World.Exploded".into(),
        ..good
    };
    let err = Mapper::default()
        .to_domain_event::<WorldEvent>(&unknown)
        .unwrap_err();
    assert!(
        matches!(*err.kind(), ErrorKind::UnknownTopic { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("universe:World.Started"),
        "lists the expected topics: {err}"
    );
}

#[test]
fn event_topics_and_ids() {
    assert_eq!(started().topic(), "universe:World.Started");
    assert_eq!(happened("x").topic(), "universe:World.SomethingHappened");
    assert!(started().is_created() && !happened("x").is_created());
}

/// NaN and the infinities are written as Python's `json` writes them, bare,
/// and read back; so are `-0.0` and exponent forms.
#[test]
fn non_finite_floats_are_written_and_read_as_pythons_json_does() {
    use eventsmith_generated::inventory::{Dimensions, ItemEvent, ItemWeighed as Weighed};
    let mapper = Mapper::default();
    let timestamp = started().timestamp();
    for (value, written) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
        (-0.0, "-0.0"),
        (1e16, "1e+16"),
        (1e-7, "1e-07"),
        (2.5, "2.5"),
    ] {
        let event = ItemEvent::Weighed(Weighed {
            originator_id: eventsmith::Id::from_uuid_unchecked(id()),
            originator_version: 2,
            timestamp,
            weight_kg: value,
            size: Dimensions {
                width: value,
                height: 1.0,
                depth: value,
            },
        });
        let stored = mapper.to_stored_event(&event).unwrap();
        let json = String::from_utf8(stored.state.clone()).unwrap();
        assert!(
            json.ends_with(&format!(
                "\"weight_kg\":{written},\"size\":{{\"width\":{written},\"height\":1.0,\"depth\":{written}}}}}"
            )),
            "{json}"
        );
        let ItemEvent::Weighed(back) = mapper.to_domain_event::<ItemEvent>(&stored).unwrap() else {
            panic!("not Weighed");
        };
        assert_eq!(back.weight_kg.to_bits(), value.to_bits(), "{written}");
        assert_eq!(back.size.depth.to_bits(), value.to_bits(), "{written}");
    }
    // The `null` this library wrote for NaN before is an error, not a value.
    let null = StoredEvent {
        originator_id: id(),
        originator_version: 2,
        topic: Weighed::TOPIC.to_owned().into(),
        state: br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-27T06:51:31+00:00"},"weight_kg":null,"size":{"width":1,"height":1,"depth":1}}"#.to_vec(),
    };
    let err = mapper.to_domain_event::<ItemEvent>(&null).unwrap_err();
    assert!(
        matches!(
            *err.kind(),
            ErrorKind::Decode {
                originator_version: 2,
                ..
            }
        ),
        "{err}"
    );
}
