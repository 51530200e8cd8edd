//! Writes the seed corpus of the `stored_event` fuzz target into
//! `fuzz/seeds/stored_event/`: one real stored event per event type of every
//! generated domain, made by the generated aggregates and the runtime's
//! mapper, plain and zlib-compressed, and for a few of them also AES-GCM
//! encrypted (with and without zlib) under the target's fixed key.
//!
//! Each file is laid out as the target reads its input: the mapper byte
//! (`0` plain, `1` zlib, `2` AES, `3` AES+zlib), the topic, a newline, then
//! the stored state.
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example make_seeds
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use eventsmith::__private::Transcodable;
use eventsmith::persistence::{AesCipher, Mapper, ZlibCompressor};
use eventsmith::{Aggregate, Decimal, Uuid};
use eventsmith_generated::names;
use eventsmith_generated::{bank_accounts, inventory, world};

/// The same key as in `fuzz_targets/stored_event.rs`.
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/stored_event");
    std::fs::create_dir_all(&dir).unwrap();
    let cipher = AesCipher::new(KEY).unwrap();
    let mappers = [
        ("plain", b'0', Mapper::new(None, None)),
        ("zlib", b'1', Mapper::new(Some(ZlibCompressor), None)),
        ("aes", b'2', Mapper::new(None, Some(cipher.clone()))),
        (
            "aes-zlib",
            b'3',
            Mapper::new(Some(ZlibCompressor), Some(cipher)),
        ),
    ];
    let mut seeds = Seeds {
        dir: &dir,
        mappers: &mappers,
        count: 0,
    };

    let mut w = world::World::create("Earth");
    w.make_it_so("dinosaurs");
    seeds.write(w.collect_events(), true);

    // Payments are the bank's crate's own (its rules), so its events come
    // through the bank, then back from its log.
    let bank = bank_accounts::Bank::isolated([("COMPRESSOR_TOPIC", "")]).unwrap();
    let alice = bank.open_account("Alice", "alice@example.com").unwrap();
    bank.deposit(alice, Decimal::new(10_050, 2)).unwrap();
    bank.set_overdraft_limit(alice, Decimal::new(50, 0)).unwrap();
    bank.withdraw(alice, Decimal::new(125, 0)).unwrap();
    bank.pay_interest(alice, Decimal::new(1, 2)).unwrap();
    bank.close_account(alice).unwrap();
    let plain = Mapper::new(None, None);
    let events: Vec<bank_accounts::AccountEvent> = bank
        .log()
        .section("1,100")
        .unwrap()
        .items
        .iter()
        .map(|n| {
            plain
                .decode_event(n.originator_id, n.originator_version, &n.topic, &n.state)
                .unwrap()
        })
        .collect();
    seeds.write(events, true);

    let mut i = inventory::Item::create(
        "SKU-1",
        "Widget \u{1F527}",
        Decimal::new(1999, 2),
        inventory::Condition::Refurbished,
    );
    i.rename("Gadget");
    i.list();
    i.delist();
    i.receive(12, Uuid::from_u128(42), "north", -3).unwrap();
    i.reserve().unwrap();
    i.release().unwrap();
    i.sell(2, u64::MAX).unwrap();
    i.write_off().unwrap();
    i.weigh(
        1.5e-3,
        inventory::Dimensions {
            width: 10.0,
            height: -0.0,
            depth: 1e300,
        },
    );
    i.adjust_weight(-0.25).unwrap();
    i.discount(Decimal::new(5, 1)).unwrap();
    i.reprice(Decimal::MAX).unwrap();
    i.count();
    i.tag("fragile");
    i.untag("fragile");
    i.add_barcodes(vec![0, 1, u64::MAX]);
    i.set_attributes(BTreeMap::from([
        ("colour".to_owned(), "red".to_owned()),
        ("\"quoted\"".to_owned(), "line\nbreak".to_owned()),
    ]));
    i.remove_attribute("colour");
    i.move_to(inventory::Location::Shelf {
        aisle: 255,
        level: -128,
        bay: 7,
    });
    i.move_to(inventory::Location::Offsite {
        warehouse: Uuid::from_u128(7),
        note: Some("back room".to_owned()),
    });
    i.move_to(inventory::Location::Unplaced);
    i.annotate(None);
    i.annotate(Some("note".to_owned()));
    i.restore();
    i.reset();
    seeds.write(i.collect_events(), true);

    let mut s = inventory::Supplier::create("Acme", "sales@acme.example");
    s.classify("wholesale");
    s.supply(Uuid::from_u128(1));
    seeds.write(s.collect_events(), false);

    let mut h = inventory::Warehouse::create("LHR-1");
    seeds.write(h.collect_events(), false);

    let mut r = names::Result::create("made", names::Error::Err);
    r.some("first", "event");
    r.default(-1).unwrap();
    r.none();
    seeds.write(r.collect_events(), false);

    println!("wrote {} seeds to {}", seeds.count, dir.display());
}

struct Seeds<'a> {
    dir: &'a Path,
    mappers: &'a [(&'static str, u8, Mapper)],
    count: usize,
}

impl Seeds<'_> {
    /// Writes each event plain and zlib-compressed; the first one (the
    /// created event) also encrypted when `encrypt_first` is set.
    fn write<E: Transcodable>(&mut self, events: Vec<E>, encrypt_first: bool) {
        let mut seen = std::collections::BTreeSet::new();
        for (n, event) in events.iter().enumerate() {
            let topic = event.topic();
            // Moved and Annotated appear more than once: one file per shape.
            let name = if seen.insert(topic) {
                topic.replace([':', '.'], "_")
            } else {
                format!("{}_{n}", topic.replace([':', '.'], "_"))
            };
            for (suffix, selector, mapper) in self.mappers {
                let encrypted = suffix.starts_with("aes");
                if encrypted && !(encrypt_first && n == 0) {
                    continue;
                }
                let stored = mapper.to_stored_event(event).unwrap();
                let mut bytes = vec![*selector];
                bytes.extend_from_slice(stored.topic.as_bytes());
                bytes.push(b'\n');
                bytes.extend_from_slice(&stored.state);
                std::fs::write(self.dir.join(format!("{name}.{suffix}")), bytes).unwrap();
                self.count += 1;
            }
        }
    }
}
