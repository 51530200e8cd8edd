//! Reading an event struct from its stored state.

use std::fmt;

use serde::de::value::{StrDeserializer, U64Deserializer, U128Deserializer};
use serde::de::{
    self, Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor,
};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Reads event structs from a stored event's state, giving each the
/// originator id and version that the state does not hold (they are the
/// stored event's columns). Generated `decode_state` implementations use it:
/// an event struct derives `Deserialize`, with `originator_id` and
/// `originator_version` among its fields.
///
/// ```
/// use eventsmith::__private::Decoder;
/// use eventsmith::{Id, Uuid};
///
/// #[derive(serde::Deserialize)]
/// struct Renamed { originator_id: Id<()>, originator_version: u64, name: String }
///
/// let id = Uuid::new_v4();
/// let decoder = Decoder::new(br#"{"name":"Earth"}"#, id, 7);
/// let event: Renamed = decoder.decode().unwrap();
/// assert_eq!((event.originator_id.uuid(), event.originator_version), (id, 7));
/// assert_eq!(event.name, "Earth");
///
/// // A state that holds an originator id of its own is refused.
/// let decoder = Decoder::new(br#"{"originator_id":"x","name":"Earth"}"#, id, 7);
/// assert!(decoder.decode::<Renamed>().is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Decoder<'a> {
    state: &'a [u8],
    originator_id: Uuid,
    originator_version: u64,
}

impl<'a> Decoder<'a> {
    /// A decoder of `state`, stored for the aggregate `originator_id` at
    /// `originator_version`.
    pub fn new(state: &'a [u8], originator_id: Uuid, originator_version: u64) -> Self {
        Self {
            state,
            originator_id,
            originator_version,
        }
    }

    /// The stored state: compact JSON.
    pub fn state(&self) -> &'a [u8] {
        self.state
    }

    /// The id of the aggregate the event belongs to.
    pub fn originator_id(&self) -> Uuid {
        self.originator_id
    }

    /// The aggregate's version once the event is applied.
    pub fn originator_version(&self) -> u64 {
        self.originator_version
    }

    /// The event struct `T` (of class version 1), read from the state. A
    /// state stored at a newer class version is read as Python reads it:
    /// the fields `T` does not know are passed over.
    ///
    /// # Errors
    ///
    /// The JSON decoder's error when the state is not an object holding
    /// `T`'s fields (or holds an originator id or version of its own), or
    /// its `"class_version"` is not a class version (a whole number from 1).
    pub fn decode<T: Deserialize<'a>>(&self) -> serde_json::Result<T> {
        if holds_class_version(self.state) {
            // Only the state's own, at the top: a nested object's is its own.
            #[derive(serde::Deserialize)]
            struct Stored {
                // `null` is there (and no class version), unlike no entry.
                #[serde(default, deserialize_with = "present")]
                class_version: Option<Value>,
            }
            fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
                Value::deserialize(d).map(Some)
            }
            let stored: Stored = serde_json::from_slice(self.state)?;
            if let Some(version) = stored.class_version {
                class_version(&version, "event")?;
            }
        }
        self.read()
    }

    /// The event struct `T`, read from the state as it is.
    fn read<T: Deserialize<'a>>(&self) -> serde_json::Result<T> {
        let mut json = serde_json::Deserializer::from_slice(self.state);
        let event = T::deserialize(WithOrigin {
            json: &mut json,
            decoder: *self,
        })?;
        json.end()?;
        Ok(event)
    }

    /// Whether the state ends with `"class_version": N` as Python writes it
    /// (last, compact): the state's own, not a nested object's, which
    /// would end in a second `}`.
    fn is_at(&self, class_version: u32) -> bool {
        let tail = format!("\"class_version\":{class_version}}}");
        self.state
            .strip_suffix(tail.as_bytes())
            .is_some_and(|before| matches!(before.last(), Some(b',' | b'{')))
    }

    /// The event struct `T` of class version `class_version`, read from a
    /// state stored at any version up to it: the stored `"class_version"`
    /// (1 when there is none, as Python writes it) is taken out, then
    /// `upcast(v, state)` brings the state from each version `v` to the
    /// next, as Python's `upcast_vN_vN+1` methods do, before `T` is read.
    ///
    /// ```
    /// use eventsmith::__private::Decoder;
    /// use eventsmith::{Id, Uuid};
    /// use serde_json::{Map, Value};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Renamed { originator_id: Id<()>, originator_version: u64, title: String, size: u32 }
    ///
    /// fn upcast(from: u32, state: &mut Map<String, Value>) -> Result<(), String> {
    ///     match from {
    ///         1 => { let name = state.remove("name").ok_or("no name")?; state.insert("title".into(), name); }
    ///         2 => { state.entry("size").or_insert(Value::from(1)); }
    ///         _ => {}
    ///     }
    ///     Ok(())
    /// }
    ///
    /// let (id, v1) = (Uuid::new_v4(), br#"{"name":"Earth"}"#);
    /// let event: Renamed = Decoder::new(v1, id, 2).upcast(3, upcast).unwrap();
    /// assert_eq!((event.title.as_str(), event.size), ("Earth", 1));
    /// let v3 = br#"{"title":"Mars","size":7,"class_version":3}"#;
    /// let event: Renamed = Decoder::new(v3, id, 2).upcast(3, upcast).unwrap();
    /// assert_eq!((event.title.as_str(), event.size), ("Mars", 7));
    /// // A state from a newer version than the code knows is read as Python
    /// // reads it: what the code does not know is passed over.
    /// let v4 = br#"{"title":"Mars","size":7,"colour":"red","class_version":4}"#;
    /// let event: Renamed = Decoder::new(v4, id, 2).upcast(3, upcast).unwrap();
    /// assert_eq!((event.title.as_str(), event.size), ("Mars", 7));
    /// ```
    ///
    /// # Errors
    ///
    /// The JSON decoder's error when the state is not an object, its
    /// `"class_version"` is not a class version (a whole number from 1), an
    /// upcast step fails (its message), or the upcast state does not hold
    /// `T`'s fields (naming the one missing).
    pub fn upcast<T: DeserializeOwned>(
        &self,
        class_version: u32,
        upcast: fn(u32, &mut Map<String, Value>) -> Result<(), String>,
    ) -> serde_json::Result<T> {
        if self.is_at(class_version) {
            // Stored at this version: nothing to upcast, read as it is.
            return self.read();
        }
        let mut state = match serde_json::from_slice(self.state)? {
            Value::Object(state) => state,
            other => {
                return Err(de::Error::invalid_type(
                    unexpected(&other),
                    &"an object: an event's state",
                ));
            }
        };
        upcast_state(&mut state, class_version, upcast, "event")?;
        for key in ["originator_id", "originator_version"] {
            if state.contains_key(key) {
                return Err(de::Error::duplicate_field(key));
            }
        }
        state.insert(
            "originator_id".into(),
            Value::from(self.originator_id.hyphenated().to_string()),
        );
        state.insert(
            "originator_version".into(),
            Value::from(self.originator_version),
        );
        T::deserialize(Value::Object(state))
    }
}

/// Whether a state holds the key `"class_version"` anywhere: the one check
/// every event read makes, so a vectorized search.
fn holds_class_version(state: &[u8]) -> bool {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"class_version\""));
    FINDER.find(state).is_some()
}

/// A stored `"class_version"`, as Python reads one: a whole number from 1
/// (Python's upcast loop fails on anything else). `what` names the state in
/// the error.
pub(crate) fn class_version(version: &Value, what: &str) -> serde_json::Result<u64> {
    version.as_u64().filter(|v| *v >= 1).ok_or_else(|| {
        de::Error::custom(format_args!(
            "the {what}'s class_version is {version}, which is not a class version (a whole number from 1)"
        ))
    })
}

/// Takes the stored `"class_version"` out of `state` (1 when there is none,
/// as Python writes it) and brings the state from it up to `class_version`
/// with `upcast`, one version at a time; a state stored at a newer version
/// is left as it is, as Python leaves it (what the code does not know is
/// then passed over). `what` names the state in errors.
pub(crate) fn upcast_state(
    state: &mut Map<String, Value>,
    class_version: u32,
    upcast: fn(u32, &mut Map<String, Value>) -> Result<(), String>,
    what: &str,
) -> serde_json::Result<()> {
    let stored = match state.remove("class_version") {
        None => 1,
        Some(version) => self::class_version(&version, what)?,
    };
    // Newer than this code: nothing to upcast (`stored..` is empty).
    let stored = u32::try_from(stored).unwrap_or(u32::MAX);
    for from in stored..class_version {
        upcast(from, state).map_err(|message| {
            de::Error::custom(format_args!(
                "cannot upcast the {what} from class version {from} to {}: {message}",
                from.saturating_add(1)
            ))
        })?;
    }
    Ok(())
}

/// A value tagged as the Python library tags what JSON cannot hold:
/// `{"_type_": type_name, "_data_": data}` (a UUID as `uuid_hex`, a decimal
/// as `decimal_str`, a time as `datetime_iso`). Generated upcast steps add
/// such values to old states.
///
/// ```
/// let value = eventsmith::__private::tagged_value("decimal_str", "12.50");
/// assert_eq!((value["_type_"].as_str(), value["_data_"].as_str()), (Some("decimal_str"), Some("12.50")));
/// ```
pub fn tagged_value(type_name: &str, data: &str) -> Value {
    let mut map = Map::new();
    map.insert("_type_".into(), Value::from(type_name));
    map.insert("_data_".into(), Value::from(data));
    Value::Object(map)
}

/// What a JSON value is, for an error.
fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("a number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

/// The JSON deserializer, presenting a struct with two more entries first:
/// `originator_id` and `originator_version`.
struct WithOrigin<'d, 'a> {
    json: &'d mut serde_json::Deserializer<serde_json::de::SliceRead<'a>>,
    decoder: Decoder<'a>,
}

impl<'de> Deserializer<'de> for WithOrigin<'_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> serde_json::Result<V::Value> {
        self.json.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> serde_json::Result<V::Value> {
        self.json.deserialize_struct(
            name,
            fields,
            OriginVisitor {
                visitor,
                decoder: self.decoder,
            },
        )
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct OriginVisitor<'a, V> {
    visitor: V,
    decoder: Decoder<'a>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for OriginVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(OriginMap {
            map,
            decoder: self.decoder,
            next: Origin::Id,
        })
    }
}

/// Which entry an [`OriginMap`] gives next.
#[derive(Clone, Copy)]
enum Origin {
    Id,
    Version,
    Stored,
}

struct OriginMap<'a, A> {
    map: A,
    decoder: Decoder<'a>,
    next: Origin,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for OriginMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.next {
            Origin::Id => seed
                .deserialize(StrDeserializer::<A::Error>::new("originator_id"))
                .map(Some),
            Origin::Version => seed
                .deserialize(StrDeserializer::<A::Error>::new("originator_version"))
                .map(Some),
            Origin::Stored => self.map.next_key_seed(seed),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match self.next {
            Origin::Id => {
                self.next = Origin::Version;
                seed.deserialize(U128Deserializer::<A::Error>::new(
                    self.decoder.originator_id.as_u128(),
                ))
            }
            Origin::Version => {
                self.next = Origin::Stored;
                seed.deserialize(U64Deserializer::<A::Error>::new(
                    self.decoder.originator_version,
                ))
            }
            Origin::Stored => self.map.next_value_seed(seed),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint().map(|n| n.saturating_add(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Event {
        originator_id: crate::Id<()>,
        originator_version: u64,
        size: u32,
        inner: Option<Value>,
    }

    fn upcast(from: u32, state: &mut Map<String, Value>) -> Result<(), String> {
        if from == 1 {
            state.insert("size".into(), Value::from(100));
        }
        Ok(())
    }

    fn read(state: &str) -> serde_json::Result<Event> {
        Decoder::new(state.as_bytes(), Uuid::nil(), 2).upcast(2, upcast)
    }

    #[test]
    fn only_a_state_that_ends_with_its_own_class_version_is_read_as_it_is() {
        // Stored at version 2: read as it is.
        assert_eq!(read(r#"{"size":7,"class_version":2}"#).unwrap().size, 7);
        let err = read(r#"{"class_version":2}"#).unwrap_err().to_string();
        assert!(err.contains("size"), "{err}");
        // A nested object's class version is not the state's: version 1, upcast.
        let nested = read(r#"{"size":7,"inner":{"class_version":2}}"#).unwrap();
        assert_eq!(nested.size, 100);
        // Nor is a string's text.
        let text = read(r#"{"size":7,"inner":"\"class_version\":2}"}"#).unwrap();
        assert_eq!(text.size, 100);
        // Another version, or none: upcast; a newer one: read as it is.
        assert_eq!(read(r#"{"size":7}"#).unwrap().size, 100);
        assert_eq!(read(r#"{"size":7,"class_version":3}"#).unwrap().size, 7);
        assert_eq!(
            read(r#"{"size":7,"more":1,"class_version":9}"#)
                .unwrap()
                .size,
            7
        );
        let err = read(r#"{"more":1,"class_version":9}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `size`"), "{err}");
    }

    /// As Python's upcast loop does, anything but a whole number from 1 is
    /// refused, by an event of any class version; a nested object's is its
    /// own.
    #[test]
    fn a_class_version_is_a_whole_number_from_1() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct V1 {
            originator_id: crate::Id<()>,
            originator_version: u64,
            size: u32,
            inner: Option<Value>,
        }
        let v1 = |state: &str| Decoder::new(state.as_bytes(), Uuid::nil(), 2).decode::<V1>();
        for bad in [
            "\"x\"", "-1", "0", "1.5", "2.0", "true", "null", "[]", "{}", "1e3",
        ] {
            let state = format!(r#"{{"size":7,"class_version":{bad}}}"#);
            let err = v1(&state).unwrap_err().to_string();
            assert!(err.contains("not a class version"), "{bad}: {err}");
            let err = read(&state).unwrap_err().to_string();
            assert!(err.contains("not a class version"), "{bad}: {err}");
        }
        for good in ["1", "2", "18446744073709551615"] {
            let state = format!(r#"{{"size":7,"class_version":{good}}}"#);
            assert_eq!(v1(&state).unwrap().size, 7, "{good}");
            read(&state).unwrap();
        }
        let nested = v1(r#"{"size":7,"inner":{"class_version":"x"}}"#).unwrap();
        assert_eq!(nested.size, 7);
    }
}
