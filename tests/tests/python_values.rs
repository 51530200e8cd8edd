//! Values as the Python library writes them, crossing both ways: floats
//! and decimals through its transcoder and the Rust mapper, and zlib bytes
//! through its `zlib` module and the Rust compressor. The interpreter is
//! the one `eventsmith_tests::python::Python::find` finds
//! (`EVENTSMITH_PYTHON`); without the library the tests print `SKIPPED` and
//! pass, unless `EVENTSMITH_REQUIRE_PYTHON` is set.

use eventsmith::Uuid;
use eventsmith_tests::python::Python;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Floats (NaN, infinities, -0.0, exponent forms, 2,000 random bit
/// patterns) and decimals (-0, exponent forms, 28 digits) cross between the
/// Python library's transcoder and the Rust mapper both ways, with the same
/// values and the same bytes; the decimals Python holds and a
/// `rust_decimal::Decimal` cannot (1E+3, 5E+28, 29 digits, NaN) are typed
/// errors naming the event, never rounded.
#[test]
fn floats_and_decimals_cross_as_python_writes_them() {
    use eventsmith::__private::{python_decimal_str, python_float_repr};
    use eventsmith::persistence::{Mapper, StoredEvent};
    use eventsmith::{Decimal, ErrorKind};
    use eventsmith_generated::inventory::{
        Dimensions, ItemEvent, ItemRepriced as Repriced, ItemWeighed as Weighed,
    };

    let Some(python) = Python::find() else { return };
    let mapper = Mapper::default();
    let id = Uuid::new_v4();
    let timestamp =
        eventsmith::domain::parse_timestamp("2026-11-27T06:51:30.251580+00:00").unwrap();

    // Python writes, Rust reads the same values and writes the same bytes.
    let (mut floats, mut decimals, mut refused) = (0, 0, Vec::new());
    for line in python
        .run_script("floats_decimals.py", &["write"], &[])
        .lines()
    {
        let mut parts = line.split(' ');
        let (kind, shown, state) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            unhex(parts.next().unwrap()),
        );
        let topic = if kind == "float" {
            Weighed::TOPIC
        } else {
            Repriced::TOPIC
        };
        let stored = StoredEvent {
            originator_id: id,
            originator_version: 2,
            topic: topic.to_owned().into(),
            state,
        };
        match mapper.to_domain_event::<ItemEvent>(&stored) {
            Ok(event) => {
                match &event {
                    ItemEvent::Weighed(e) => {
                        floats += 1;
                        assert_eq!(python_float_repr(e.weight_kg), shown);
                        assert_eq!(python_float_repr(e.size.width), shown);
                        assert_eq!(python_float_repr(-e.size.height), shown);
                    }
                    ItemEvent::Repriced(e) => {
                        decimals += 1;
                        assert_eq!(python_decimal_str(&e.price), shown);
                    }
                    other => panic!("{other:?}"),
                }
                let again = mapper.to_stored_event(&event).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&again.state),
                    String::from_utf8_lossy(&stored.state),
                    "{kind} {shown}"
                );
            }
            Err(err) => {
                assert_eq!(kind, "decimal", "{shown}: {err}");
                assert!(
                    matches!(*err.kind(), ErrorKind::Decode { originator_id, originator_version: 2, .. } if originator_id == id),
                    "{shown}: {err}"
                );
                assert!(err.to_string().contains(&id.to_string()), "{err}");
                refused.push(shown.to_owned());
            }
        }
    }
    assert_eq!(floats, 2019);
    assert_eq!(decimals, 17);
    assert_eq!(
        refused,
        [
            "1E+3",
            "5E+28",
            "1.0E+29",
            "1E-29",
            "79228162514264337593543950336",
            "1.00000000000000000000000000000",
            "NaN",
            "-Infinity",
            "sNaN"
        ]
    );

    // Rust writes, Python reads the same values and writes the same bytes.
    let mut seed = 0x853c_49e6_748f_ea9b_u64;
    let mut values = vec![
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e16,
        1e-5,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
    ];
    for _ in 0..2000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let v = f64::from_bits(seed);
        values.push(if v.is_nan() { f64::NAN } else { v });
    }
    let prices: Vec<Decimal> = [
        "0",
        "-0",
        "-0.00",
        "0E-7",
        "-0E-7",
        "1E-7",
        "12.50",
        "1E-28",
        "79228162514264337593543950335",
        "-7.9228162514264337593543950335",
    ]
    .iter()
    .map(|s| eventsmith::__private::parse_python_decimal(s).unwrap())
    .collect();
    let mut input = String::new();
    let mut expected = Vec::new();
    for (i, &v) in values.iter().enumerate() {
        let event = ItemEvent::Weighed(Weighed {
            originator_id: eventsmith::Id::from_uuid_unchecked(id),
            originator_version: 2,
            timestamp,
            weight_kg: v,
            size: Dimensions {
                width: v,
                height: -v,
                depth: 1.5 + i as f64,
            },
        });
        let stored = mapper.to_stored_event(&event).unwrap();
        input.push_str(&format!("float {}\n", hex(&stored.state)));
        expected.push(format!(
            "{} {} {} {} True",
            python_float_repr(v),
            python_float_repr(v),
            python_float_repr(-v),
            python_float_repr(1.5 + i as f64)
        ));
    }
    for price in &prices {
        let event = ItemEvent::Repriced(Repriced {
            originator_id: eventsmith::Id::from_uuid_unchecked(id),
            originator_version: 2,
            timestamp,
            price: *price,
        });
        let stored = mapper.to_stored_event(&event).unwrap();
        input.push_str(&format!("decimal {}\n", hex(&stored.state)));
        expected.push(format!("{} True", python_decimal_str(price)));
    }
    let script = Python::script("floats_decimals.py");
    let read = python.run(&[&script, "read"], &[], &input);
    let read: Vec<&str> = read.lines().collect();
    assert_eq!(read.len(), expected.len());
    for (got, want) in read.iter().zip(&expected) {
        assert_eq!(got, want);
    }
}

/// The runtime deflates with miniz_oxide, Python with zlib: for states of
/// every size the two may write different bytes (the test says which), and
/// each side inflates what the other wrote to the same state.
#[test]
fn zlib_bytes_cross_between_python_and_rust() {
    let Some(python) = Python::find() else { return };
    use eventsmith::persistence::ZlibCompressor;
    let states: Vec<Vec<u8>> = vec![
        Vec::new(),
        br#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-28T05:43:12.123456+00:00"},"what":"dinosaurs"}"#.to_vec(),
        (0..2_000).map(|i| format!("\"thing {i}\",")).collect::<String>().into_bytes(),
        (0..70_000_u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect(),
    ];
    let script = "import sys, zlib\n\
        for line in sys.stdin:\n\
        \x20   data, theirs = (bytes.fromhex(x) for x in line.split(','))\n\
        \x20   print(zlib.compress(data).hex() + ',' + zlib.decompress(theirs).hex())\n";
    let input: String = states
        .iter()
        .map(|s| format!("{},{}\n", hex(s), hex(&ZlibCompressor.compress(s))))
        .collect();
    let lines: Vec<String> = python
        .run(&["-c", script], &[], &input)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), states.len());
    let mut same = 0;
    for (state, line) in states.iter().zip(&lines) {
        let (python_packed, python_read) = line.split_once(',').unwrap();
        let python_packed = unhex(python_packed);
        assert_eq!(&unhex(python_read), state, "Python inflates Rust's bytes");
        assert_eq!(
            &ZlibCompressor.decompress(&python_packed).unwrap(),
            state,
            "Rust inflates Python's bytes"
        );
        same += usize::from(python_packed == ZlibCompressor.compress(state));
    }
    println!(
        "{same} of {} states deflate to the same bytes on both sides",
        states.len()
    );
}
