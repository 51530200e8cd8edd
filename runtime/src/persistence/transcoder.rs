//! JSON transcoding of event state, in the Python library's byte format.
//!
//! An event's state is compact JSON (no spaces, UTF-8 unescaped) of its
//! fields without `originator_id` and `originator_version`: first
//! `"timestamp"`, then on created events `"originator_topic"`, then the
//! event's own fields in schema order. Values the JSON types cannot hold are
//! tagged `{"_type_": NAME, "_data_": VALUE}`: a UUID as `uuid_hex`, a decimal
//! as `decimal_str`, a timestamp as `datetime_iso`.
//!
//! [`StateValue`] is how each field type is written and read; [`Tagged`]
//! writes one, [`Decoded`] reads one, and the [`tagged`] module lets serde's
//! `#[serde(with = ...)]` do either on a struct field.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;

use rust_decimal::Decimal;
use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use uuid::Uuid;

use super::Decoder;
use super::pyjson::{
    FLOAT_TAG, Marked, PythonFloats, PythonFormatter, marked, python_floats, tagged_float,
};
use super::{parse_python_decimal, python_decimal_str};
use crate::domain::timestamp::with_formatted;
use crate::domain::{DomainEvent, Timestamp, parse_timestamp};

/// A domain event type that the JSON transcoder can turn into state bytes and
/// back. Generated code implements it for each aggregate's event enum.
pub trait Transcodable: DomainEvent {
    /// The topics of every event of this type.
    const TOPICS: &'static [&'static str];

    /// Whether the events' state may hold a float, which Python writes as a
    /// bare `NaN`, `Infinity` or `-Infinity` when it is not finite (and
    /// which are then rewritten before the JSON is read). Generated code
    /// says `false` for event types with no float anywhere in them, which
    /// spares reading each event's JSON one more time; the default is
    /// `true`.
    const MAY_HOLD_FLOATS: bool = true;

    /// Writes the event's state as JSON into `out`.
    ///
    /// # Errors
    ///
    /// The JSON encoder's error (only for values JSON cannot hold, such as a
    /// map key that is not a string).
    fn encode_state(&self, out: &mut Vec<u8>) -> serde_json::Result<()>;

    /// Reads an event from its topic and the stored state, which `decoder`
    /// holds with the aggregate's id and version. Returns `Ok(None)` when the
    /// topic is not one of [`Self::TOPICS`].
    ///
    /// # Errors
    ///
    /// The JSON decoder's error when the state does not hold the event's
    /// fields.
    fn decode_state(topic: &str, decoder: Decoder<'_>) -> serde_json::Result<Option<Self>>;
}

/// Events a follower reads from its leader's notification log: every
/// [`Transcodable`] event type, and the enums generated for a follower's
/// `follow:` of the events it handles (which need not all belong to one
/// aggregate).
pub trait Followed: Sized + Send + 'static {
    /// The topics of the events it reads; notifications of other topics are
    /// passed over.
    const FOLLOWED_TOPICS: &'static [&'static str];

    /// As [`Transcodable::MAY_HOLD_FLOATS`].
    const FOLLOWED_MAY_HOLD_FLOATS: bool = true;

    /// Reads an event from its topic and the stored state; `Ok(None)` when
    /// the topic is not one of [`Self::FOLLOWED_TOPICS`].
    ///
    /// # Errors
    ///
    /// The JSON decoder's error when the state does not hold the event's
    /// fields.
    fn decode_followed(topic: &str, decoder: Decoder<'_>) -> serde_json::Result<Option<Self>>;

    /// The name of the policy this event goes to (a method of the
    /// follower's generated policy trait), for the errors and failures
    /// that name it; `None` where no such method is known.
    fn policy(&self) -> Option<&'static str> {
        None
    }
}

impl<E: Transcodable> Followed for E {
    const FOLLOWED_TOPICS: &'static [&'static str] = E::TOPICS;
    const FOLLOWED_MAY_HOLD_FLOATS: bool = E::MAY_HOLD_FLOATS;

    fn decode_followed(topic: &str, decoder: Decoder<'_>) -> serde_json::Result<Option<Self>> {
        E::decode_state(topic, decoder)
    }
}

/// A value that can be a field of event state: written and read in the
/// Python library's JSON form.
pub trait StateValue: Sized {
    /// Writes the value.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// Reads the value.
    ///
    /// # Errors
    ///
    /// The deserializer's error.
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// Writes a [`StateValue`] with serde: `serde_json::to_writer(out, &Tagged(&value))`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tagged<'a, T>(pub &'a T);

impl<T: StateValue> Serialize for Tagged<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_state(serializer)
    }
}

/// Reads a [`StateValue`] with serde.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decoded<T>(pub T);

impl<'de, T: StateValue> Deserialize<'de> for Decoded<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize_state(deserializer).map(Decoded)
    }
}

/// For `#[serde(with = "eventsmith::__private::tagged")]` on
/// a field whose type is a [`StateValue`].
pub mod tagged {
    use super::StateValue;
    use serde::{Deserializer, Serializer};

    /// Writes the field in state form.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    pub fn serialize<T: StateValue, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize_state(serializer)
    }

    /// Reads the field from state form.
    ///
    /// # Errors
    ///
    /// The deserializer's error.
    pub fn deserialize<'de, T: StateValue, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        T::deserialize_state(deserializer)
    }
}

/// The `timestamp` of an event: written and read as [`tagged`] writes and
/// reads a [`Timestamp`], except while a replay that keeps only its first
/// and last events' times decodes the events between (see
/// [`Aggregate::READS_EVENT_TIMES`](crate::Aggregate::READS_EVENT_TIMES)):
/// then the value is passed over unparsed, and read as
/// `UNTIMED`. Generated event structs use it
/// for their timestamp.
pub mod event_time {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::StateValue;
    use crate::domain::{Timestamp, UNTIMED};

    /// Writes the timestamp in state form.
    ///
    /// # Errors
    ///
    /// The serializer's error.
    pub fn serialize<S: Serializer>(value: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        value.serialize_state(serializer)
    }

    /// Reads the timestamp from state form, or passes over it in an
    /// untimed replay.
    ///
    /// # Errors
    ///
    /// The deserializer's error.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        if super::UNTIMED_DECODING.with(std::cell::Cell::get) {
            serde::de::IgnoredAny::deserialize(deserializer)?;
            return Ok(UNTIMED);
        }
        Timestamp::deserialize_state(deserializer)
    }
}

thread_local! {
    /// Whether this thread is decoding events whose timestamps a replay
    /// discards.
    static UNTIMED_DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with event timestamps passed over (see [`event_time`]); the
/// setting ends with `f`, however it ends.
pub(crate) fn decoding_untimed<R>(f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            UNTIMED_DECODING.with(|flag| flag.set(false));
        }
    }
    UNTIMED_DECODING.with(|flag| flag.set(true));
    let _reset = Reset;
    f()
}

/// Implements [`StateValue`] for a type through its own `Serialize` and
/// `Deserialize` (a schema's value types use this, with `tagged` fields).
#[doc(hidden)]
#[macro_export]
macro_rules! impl_state_value_via_serde {
    ($($ty:ty),+ $(,)?) => {$(
        impl $crate::__private::StateValue for $ty {
            fn serialize_state<S: $crate::__private::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                $crate::__private::serde::Serialize::serialize(self, serializer)
            }
            fn deserialize_state<'de, D: $crate::__private::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                <Self as $crate::__private::serde::Deserialize<'de>>::deserialize(deserializer)
            }
        }
    )+};
}

impl_state_value_via_serde!(String, bool, i8, i16, i32, i64, u8, u16, u32, u64);

/// Floats: through [`StateWriter`], written as Python's `json` writes them
/// (`repr`, and `NaN`, `Infinity`, `-Infinity`); elsewhere, finite floats as
/// `serde_json` writes them, and NaN and infinities refused. Read from
/// numbers, exactly (an integer beyond the float's precision is refused),
/// and from what the mapper makes of Python's non-finite tokens.
impl StateValue for f64 {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_float(serializer, Marked::F64(*self))
    }
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FloatVisitor)
    }
}

/// As `f64`, with the shortest digits that read back as the same `f32`.
/// A number that is not an `f32` (neither exactly, nor as those digits) is
/// refused.
impl StateValue for f32 {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_float(serializer, Marked::F32(*self))
    }
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wide = deserializer.deserialize_any(FloatVisitor)?;
        // No `From<f64>` for `f32`: the cast rounds, and the checks below
        // refuse whatever it changed.
        #[allow(clippy::as_conversions, clippy::cast_possible_truncation)]
        let narrow = wide as f32;
        let same = narrow.is_nan() && wide.is_nan()
            || f64::from(narrow) == wide
            || format!("{narrow:e}").parse::<f64>().ok() == Some(wide);
        if same {
            Ok(narrow)
        } else {
            Err(de::Error::custom(format_args!(
                "{wide} cannot be held by an f32 without rounding"
            )))
        }
    }
}

fn serialize_float<S: Serializer>(serializer: S, value: Marked) -> Result<S::Ok, S::Error> {
    if python_floats() {
        return serializer.serialize_i128(marked(value));
    }
    match value {
        Marked::F64(v) if v.is_finite() => serializer.serialize_f64(v),
        Marked::F32(v) if v.is_finite() => serializer.serialize_f32(v),
        _ => Err(serde::ser::Error::custom(
            "NaN and infinities are written only by StateWriter, as Python's json writes them",
        )),
    }
}

struct FloatVisitor;

impl<'de> de::Visitor<'de> for FloatVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number, NaN, Infinity or -Infinity")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        exact_integer(i128::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        exact_integer(i128::from(v))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<f64, A::Error> {
        let tag = TagRepr::deserialize(de::value::MapAccessDeserializer::new(map))?;
        match (tag.type_ == FLOAT_TAG)
            .then(|| tagged_float(&tag.data))
            .flatten()
        {
            Some(v) => Ok(v),
            None => Err(de::Error::custom(format_args!(
                "expected a number, found a value tagged {:?}",
                tag.type_
            ))),
        }
    }
}

/// An integer read as a float, when the float holds it exactly.
fn exact_integer<E: de::Error>(v: i128) -> Result<f64, E> {
    // Integers up to 2^53 are all floats; above, only some are.
    #[allow(clippy::as_conversions, clippy::cast_precision_loss)]
    let float = v as f64;
    #[allow(clippy::as_conversions, clippy::cast_possible_truncation)]
    let back = float as i128;
    if back == v {
        Ok(float)
    } else {
        Err(de::Error::custom(format_args!(
            "{v} cannot be held by a float without rounding"
        )))
    }
}

/// Any JSON: read as `serde_json` reads it, except that a NaN or infinity
/// Python wrote, which a `serde_json::Value` cannot hold, is refused.
impl StateValue for serde_json::Value {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize(serializer)
    }
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if holds_float_tag(&value) {
            return Err(de::Error::custom(
                "NaN, Infinity or -Infinity cannot be held by a JSON value",
            ));
        }
        Ok(value)
    }
}

fn holds_float_tag(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Array(items) => items.iter().any(holds_float_tag),
        serde_json::Value::Object(map) => {
            map.get("_type_").and_then(serde_json::Value::as_str) == Some(FLOAT_TAG)
                || map.values().any(holds_float_tag)
        }
        _ => false,
    }
}

/// Writes `{"_type_":NAME,"_data_":DATA}`.
fn serialize_tag<S: Serializer>(
    serializer: S,
    name: &'static str,
    data: &str,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry("_type_", name)?;
    map.serialize_entry("_data_", data)?;
    map.end()
}

#[derive(serde::Deserialize)]
struct TagRepr<'a> {
    #[serde(rename = "_type_", borrow)]
    type_: Cow<'a, str>,
    #[serde(rename = "_data_", borrow)]
    data: Cow<'a, str>,
}

/// Reads `{"_type_":NAME,"_data_":DATA}` and parses DATA.
fn deserialize_tag<'de, D, T>(
    deserializer: D,
    name: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let repr = TagRepr::deserialize(deserializer)?;
    if repr.type_ != name {
        return Err(de::Error::custom(format_args!(
            "expected a value tagged {name:?}, found one tagged {:?}",
            repr.type_
        )));
    }
    parse(&repr.data)
        .ok_or_else(|| de::Error::custom(format_args!("invalid {name} value {:?}", repr.data)))
}

impl StateValue for Uuid {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_tag(
            serializer,
            "uuid_hex",
            self.simple().encode_lower(&mut Uuid::encode_buffer()),
        )
    }
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_tag(deserializer, "uuid_hex", |s| Uuid::try_parse(s).ok())
    }
}

/// An aggregate's id, as a field of another's state or event (`Id<Book>`
/// in a schema): stored as the UUID it is, as the Python library stores
/// one.
impl<A: ?Sized> StateValue for crate::Id<A> {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.uuid().serialize_state(serializer)
    }
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Uuid::deserialize_state(deserializer).map(crate::Id::from_uuid_unchecked)
    }
}

/// Decimals: written as Python's `str(Decimal)` writes them; read exactly
/// (same sign, digits and exponent) or refused, never rounded (see
/// [`parse_python_decimal`]).
impl StateValue for Decimal {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_tag(serializer, "decimal_str", &python_decimal_str(self))
    }
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr = TagRepr::deserialize(deserializer)?;
        if repr.type_ != "decimal_str" {
            return Err(de::Error::custom(format_args!(
                "expected a value tagged \"decimal_str\", found one tagged {:?}",
                repr.type_
            )));
        }
        parse_python_decimal(&repr.data).map_err(de::Error::custom)
    }
}

impl StateValue for Timestamp {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        with_formatted(self, |text| serialize_tag(serializer, "datetime_iso", text))
    }
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_tag(deserializer, "datetime_iso", parse_timestamp)
    }
}

impl<T: StateValue> StateValue for Option<T> {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(value) => value.serialize_state(serializer),
            None => serializer.serialize_none(),
        }
    }
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Decoded<T>>::deserialize(deserializer)?.map(|d| d.0))
    }
}

impl<T: StateValue> StateValue for Vec<T> {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Tagged))
    }
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Decoded<T>>::deserialize(deserializer)?
            .into_iter()
            .map(|d| d.0)
            .collect())
    }
}

impl<T: StateValue> StateValue for BTreeMap<String, T> {
    fn serialize_state<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(k, v)| (k, Tagged(v))))
    }
    fn deserialize_state<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(BTreeMap::<String, Decoded<T>>::deserialize(deserializer)?
            .into_iter()
            .map(|(k, v)| (k, v.0))
            .collect())
    }
}

/// Writes a whole event state, serialized by its own `Serialize` (generated
/// event structs derive it, in the stored key order), with floats written
/// as Python's `json` writes them (see [`StateWriter`]). Generated
/// `encode_state` implementations call it.
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Weighed { #[serde(with = "eventsmith::__private::tagged")] kg: f64 }
/// let mut out = Vec::new();
/// eventsmith::__private::write_state(&mut out, &Weighed { kg: 1e16 }).unwrap();
/// assert_eq!(out, br#"{"kg":1e+16}"#);
/// let mut out = Vec::new();
/// eventsmith::__private::write_state(&mut out, &Weighed { kg: f64::NAN }).unwrap();
/// assert_eq!(out, br#"{"kg":NaN}"#);
/// ```
///
/// # Errors
///
/// The JSON encoder's error.
pub fn write_state<T: Serialize>(out: &mut Vec<u8>, state: &T) -> serde_json::Result<()> {
    let _floats = PythonFloats::start();
    let mut serializer = serde_json::Serializer::with_formatter(out, PythonFormatter);
    state.serialize(&mut serializer)
}

/// Writes one value in state form, floats as Python's `json` writes them.
pub(crate) fn write_value<T: StateValue>(out: &mut Vec<u8>, value: &T) -> serde_json::Result<()> {
    let _floats = PythonFloats::start();
    let mut serializer = serde_json::Serializer::with_formatter(out, PythonFormatter);
    value.serialize_state(&mut serializer)
}

/// Writes an event's state object field by field, in the stored key order.
/// Generated `encode_state` implementations use it.
///
/// ```
/// use eventsmith::__private::StateWriter;
/// let t = eventsmith::domain::parse_timestamp("2026-11-27T06:51:30.251580+00:00").unwrap();
/// let mut out = Vec::new();
/// let mut w = StateWriter::new(&mut out, &t).unwrap();
/// w.field("originator_topic", &"universe:World".to_string()).unwrap();
/// w.field("name", &"Earth".to_string()).unwrap();
/// w.finish();
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     r#"{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-27T06:51:30.251580+00:00"},"originator_topic":"universe:World","name":"Earth"}"#
/// );
/// ```
#[derive(Debug)]
pub struct StateWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> StateWriter<'a> {
    /// Starts the object with its `"timestamp"`.
    ///
    /// # Errors
    ///
    /// The JSON encoder's error.
    pub fn new(out: &'a mut Vec<u8>, timestamp: &Timestamp) -> serde_json::Result<Self> {
        // As `Tagged(timestamp)` writes it: the text needs no escaping.
        out.extend_from_slice(b"{\"timestamp\":{\"_type_\":\"datetime_iso\",\"_data_\":\"");
        with_formatted(timestamp, |text| out.extend_from_slice(text.as_bytes()));
        out.extend_from_slice(b"\"}");
        Ok(Self { out })
    }

    /// Writes the `"originator_topic"` of a created event.
    ///
    /// # Errors
    ///
    /// The JSON encoder's error.
    pub fn originator_topic(&mut self, topic: &str) -> serde_json::Result<&mut Self> {
        self.key("originator_topic")?;
        serde_json::to_writer(&mut *self.out, topic)?;
        Ok(self)
    }

    /// Writes one field.
    ///
    /// # Errors
    ///
    /// The JSON encoder's error.
    pub fn field<T: StateValue>(&mut self, name: &str, value: &T) -> serde_json::Result<&mut Self> {
        self.key(name)?;
        write_value(self.out, value)?;
        Ok(self)
    }

    /// Writes `"class_version"` when it is above 1, as Python does.
    ///
    /// # Errors
    ///
    /// The JSON encoder's error.
    pub fn class_version(&mut self, version: u32) -> serde_json::Result<&mut Self> {
        if version > 1 {
            self.key("class_version")?;
            serde_json::to_writer(&mut *self.out, &version)?;
        }
        Ok(self)
    }

    /// Closes the object.
    pub fn finish(self) {
        self.out.push(b'}');
    }

    fn key(&mut self, name: &str) -> serde_json::Result<()> {
        self.out.push(b',');
        serde_json::to_writer(&mut *self.out, name)?;
        self.out.write_all(b":").map_err(serde_json::Error::io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn round_trip<T: StateValue + PartialEq + std::fmt::Debug>(value: T, json: &str) {
        assert_eq!(serde_json::to_string(&Tagged(&value)).unwrap(), json);
        let back: Decoded<T> = serde_json::from_str(json).unwrap();
        assert_eq!(back.0, value);
    }

    #[test]
    fn special_values_are_tagged_as_python_tags_them() {
        round_trip(
            Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            r#"{"_type_":"uuid_hex","_data_":"0123456789abcdef0123456789abcdef"}"#,
        );
        round_trip(
            "12.50".parse::<Decimal>().unwrap(),
            r#"{"_type_":"decimal_str","_data_":"12.50"}"#,
        );
        round_trip(
            chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            r#"{"_type_":"datetime_iso","_data_":"2026-01-02T03:04:05+00:00"}"#,
        );
        round_trip(Some(vec![1i64, 2]), "[1,2]");
        round_trip(None::<String>, "null");
        round_trip(
            BTreeMap::from([("k".to_string(), "ü\"".to_string())]),
            "{\"k\":\"ü\\\"\"}",
        );
    }

    #[test]
    fn the_state_writer_writes_timestamps_as_tagged_values_are_written() {
        for t in [
            crate::domain::now(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            chrono::Utc.with_ymd_and_hms(12026, 1, 2, 3, 4, 5).unwrap(),
        ] {
            let mut out = Vec::new();
            StateWriter::new(&mut out, &t).unwrap().finish();
            let tagged = serde_json::to_string(&Tagged(&t)).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{{\"timestamp\":{tagged}}}")
            );
        }
    }

    #[test]
    fn wrongly_tagged_values_are_refused() {
        let err = serde_json::from_str::<Decoded<Uuid>>(r#"{"_type_":"decimal_str","_data_":"1"}"#)
            .unwrap_err();
        assert!(err.to_string().contains("uuid_hex"), "{err}");
        let err = serde_json::from_str::<Decoded<Uuid>>(r#"{"_type_":"uuid_hex","_data_":"zz"}"#)
            .unwrap_err();
        assert!(err.to_string().contains("invalid uuid_hex"), "{err}");
        assert!(serde_json::from_str::<Decoded<Uuid>>(r#""0123""#).is_err());
    }

    #[test]
    fn tagged_values_are_as_python_tags_them() {
        use super::{Decoded, Tagged};
        use uuid::Uuid;

        let id = Uuid::parse_str("3f2a6c4e-0a4b-4b8e-9d51-7f6f2f0c2a11").unwrap();
        let json = serde_json::to_string(&Tagged(&vec![id])).unwrap();
        assert_eq!(
            json,
            r#"[{"_type_":"uuid_hex","_data_":"3f2a6c4e0a4b4b8e9d517f6f2f0c2a11"}]"#
        );
        let back: Decoded<Vec<Uuid>> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, vec![id]);
    }
}
