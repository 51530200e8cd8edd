//! Snapshots: an aggregate's state at one of its versions, stored as the
//! Python library stores its `Snapshot` events, so that getting the
//! aggregate replays only the events after it.
//!
//! A snapshot is stored under the topic [`SNAPSHOT_TOPIC`], in a table of
//! its own (`stored_snapshots` in SQLite, `<application>_snapshots` in
//! PostgreSQL), with the aggregate's id and version. Its state is
//! `{"timestamp": …, "topic": <the aggregate's topic>, "state": {…}}`, where
//! the inner state holds `_created_on` and `_modified_on`, then the
//! aggregate's attributes in order, then `"class_version": N` when the
//! aggregate's class version is above 1: what Python's `Snapshot.take`
//! writes.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock};

use serde::Deserialize;
use serde::de;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::decoder::{class_version as class_version_of, upcast_state};
use super::transcoder::{StateValue, write_value};
use super::{InMemoryRecorder, StoredEvent};
use crate::domain::{Aggregate, AggregateCore, Id, Timestamp, now};
use crate::{Error, ErrorKind, Result};

/// The topic of every snapshot: the Python library's `Snapshot` class,
/// which its `Aggregate.Snapshot` is.
pub const SNAPSHOT_TOPIC: &str = "eventsourcing.domain:Snapshot";

/// A function that brings a stored state from class version `from` to the
/// next (Python's `upcast_vN_vN+1`), or says why it cannot.
pub(crate) type Upcast = fn(from: u32, state: &mut Map<String, Value>) -> Result<(), String>;

/// Keeps snapshots, by aggregate id and version.
///
/// Unlike events, an aggregate's snapshots need not follow one another: any
/// version may have one, and at most one.
pub trait SnapshotRecorder: fmt::Debug + Send + Sync + crate::sealed::Recorder {
    /// Stores a snapshot.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::VersionConflict`] when the aggregate has a snapshot at that
    /// version already (nothing is stored); backend errors.
    fn insert_snapshot(&self, snapshot: &StoredEvent) -> Result<()>;

    /// The aggregate's latest snapshot at or below version `lte` (at any
    /// version, when `None`).
    ///
    /// # Errors
    ///
    /// Backend errors; a stored row that cannot be read, naming it.
    fn latest_snapshot(&self, originator_id: Uuid, lte: Option<u64>)
    -> Result<Option<StoredEvent>>;
}

/// An aggregate's snapshots in memory: topic and state by version.
type Versions = BTreeMap<u64, (String, Vec<u8>)>;

/// Snapshots kept in memory, beside an [`InMemoryRecorder`]'s events.
#[derive(Debug, Default)]
pub(crate) struct InMemorySnapshots(RwLock<HashMap<Uuid, Versions>>);

impl SnapshotRecorder for InMemoryRecorder {
    fn insert_snapshot(&self, snapshot: &StoredEvent) -> Result<()> {
        let mut all = self
            .snapshots
            .0
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let versions = all.entry(snapshot.originator_id).or_default();
        if versions.contains_key(&snapshot.originator_version) {
            return Err(ErrorKind::VersionConflict {
                originator_id: snapshot.originator_id,
                originator_version: snapshot.originator_version,
            }
            .into());
        }
        versions.insert(
            snapshot.originator_version,
            (snapshot.topic.to_string(), snapshot.state.clone()),
        );
        Ok(())
    }

    fn latest_snapshot(
        &self,
        originator_id: Uuid,
        lte: Option<u64>,
    ) -> Result<Option<StoredEvent>> {
        let all = self
            .snapshots
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let latest = all
            .get(&originator_id)
            .and_then(|versions| versions.range(..=lte.unwrap_or(u64::MAX)).next_back());
        Ok(latest.map(|(&version, (topic, state))| StoredEvent {
            originator_id,
            originator_version: version,
            topic: topic.clone().into(),
            state: state.clone(),
        }))
    }
}

/// Writes the state of a snapshot of an aggregate as Python's
/// `Snapshot.take` writes it: its `"timestamp"` (now) and `"topic"` (the
/// aggregate's), then its `"state"`: `_created_on` and `_modified_on`, the
/// aggregate's attributes field by field, in order, and
/// `"class_version"` when above 1. Generated `write_snapshot`
/// implementations use it:
///
/// ```text
/// SnapshotWriter::new(out, self)
///     .field("name", &self.name)?
///     .field("history", &self.history)?
///     .finish(1)
/// ```
#[derive(Debug)]
pub struct SnapshotWriter<'a, A> {
    out: &'a mut Vec<u8>,
    aggregate: &'a A,
}

impl<'a, A: Aggregate> SnapshotWriter<'a, A> {
    /// Starts the snapshot of `aggregate`, up to its attributes.
    pub fn new(out: &'a mut Vec<u8>, aggregate: &'a A) -> Self {
        out.extend_from_slice(b"{\"timestamp\":");
        write_timestamp(out, &now());
        out.extend_from_slice(b",\"topic\":");
        write_string(out, A::TOPIC);
        out.extend_from_slice(b",\"state\":{\"_created_on\":");
        write_timestamp(out, &aggregate.created_on());
        out.extend_from_slice(b",\"_modified_on\":");
        write_timestamp(out, &aggregate.modified_on());
        Self { out, aggregate }
    }

    /// Writes one attribute.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Encode`] naming the snapshot.
    pub fn field<T: StateValue>(&mut self, key: &str, value: &T) -> Result<&mut Self> {
        self.out.push(b',');
        write_string(self.out, key);
        self.out.push(b':');
        write_value(self.out, value).map_err(|source| self.error(source))?;
        Ok(self)
    }

    /// Writes `"class_version"` when `class_version` is above 1, and
    /// closes the snapshot.
    ///
    /// # Errors
    ///
    /// None in practice: the result is the same as [`field`](Self::field)'s.
    pub fn finish(&mut self, class_version: u32) -> Result<()> {
        if class_version > 1 {
            self.field("class_version", &u64::from(class_version))?;
        }
        self.out.extend_from_slice(b"}}");
        Ok(())
    }

    fn error(&self, source: serde_json::Error) -> Error {
        ErrorKind::Encode {
            topic: SNAPSHOT_TOPIC.to_owned(),
            originator_id: self.aggregate.id().uuid(),
            originator_version: self.aggregate.version(),
            source,
        }
        .into()
    }
}

/// Writes a timestamp tagged as Python writes it.
fn write_timestamp(out: &mut Vec<u8>, timestamp: &Timestamp) {
    // Writing a timestamp into a Vec cannot fail.
    let _ = write_value(out, timestamp);
}

/// Writes a JSON string.
fn write_string(out: &mut Vec<u8>, text: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// A snapshot's state, as read: the aggregate's topic, and its attributes
/// as the stored text.
#[derive(Deserialize)]
struct Stored<'a> {
    topic: String,
    #[serde(borrow)]
    state: HashMap<String, &'a RawValue>,
}

/// Whether a snapshot stored at the code's class version is read straight
/// from its stored text, each attribute into its field (on unless a
/// benchmark turns it off, to measure what it saves).
static READ_RAW: AtomicBool = AtomicBool::new(true);

/// Turns reading snapshots straight from their stored text on or off (on
/// by default): for the benchmark that compares the two ways.
pub fn set_raw_snapshot_reads(on: bool) {
    READ_RAW.store(on, Ordering::Relaxed);
}

/// A snapshot's attributes: as stored text, each read into its field when
/// asked for; or as JSON values, when an upcast had to change them.
#[derive(Debug)]
enum Attributes<'a> {
    Raw(HashMap<String, &'a RawValue>),
    Values(Map<String, Value>),
}

/// Reads a snapshot of an aggregate, attribute by attribute. Generated
/// `from_snapshot` implementations use it.
#[derive(Debug)]
pub struct SnapshotReader<'a, A: Aggregate> {
    id: Id<A>,
    version: u64,
    created_on: Timestamp,
    modified_on: Timestamp,
    attributes: Attributes<'a>,
}

impl<'a, A: Aggregate> SnapshotReader<'a, A> {
    /// Opens the snapshot of the aggregate `id` at `version` from its JSON
    /// `state`: checks that it is a snapshot of `A` (its topic, or one of
    /// its aliases), and brings its attributes from the class version they
    /// were stored at up to `class_version` with `upcast` (Python's
    /// `upcast_vN_vN+1`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Decode`] naming the snapshot when the state is not a
    /// snapshot's, is a snapshot of another aggregate, was stored at a
    /// class version above `class_version`, or cannot be upcast.
    pub fn open(
        id: Id<A>,
        version: u64,
        state: &'a [u8],
        class_version: u32,
        upcast: Option<Upcast>,
    ) -> Result<Self> {
        let error = |source| {
            ErrorKind::Decode {
                topic: SNAPSHOT_TOPIC.to_owned(),
                originator_id: id.uuid(),
                originator_version: version,
                source,
            }
            .into()
        };
        let Stored {
            topic,
            state: mut raw,
        } = serde_json::from_slice(state).map_err(error)?;
        if topic != A::TOPIC && !A::ALIASES.contains(&topic.as_str()) {
            return Err(error(de::Error::custom(format_args!(
                "the snapshot is of the aggregate {topic:?}, not {:?}",
                A::TOPIC
            ))));
        }
        let stored_version = match raw.get("class_version") {
            None => 1,
            Some(text) => {
                let value: Value = serde_json::from_str(text.get()).map_err(error)?;
                class_version_of(&value, "snapshot").map_err(error)?
            }
        };
        // At the code's class version (or a newer one, read as it is): each
        // attribute straight from its text. Older: as values, upcast.
        let attributes =
            if stored_version >= u64::from(class_version) && READ_RAW.load(Ordering::Relaxed) {
                raw.remove("class_version");
                Attributes::Raw(raw)
            } else {
                let mut state = Map::new();
                for (key, text) in raw {
                    let value: Value = serde_json::from_str(text.get()).map_err(error)?;
                    state.insert(key, value);
                }
                let upcast = upcast.unwrap_or(|_, _| Ok(()));
                upcast_state(&mut state, class_version, upcast, "snapshot").map_err(error)?;
                Attributes::Values(state)
            };
        let mut reader = Self {
            id,
            version,
            created_on: Timestamp::default(),
            modified_on: Timestamp::default(),
            attributes,
        };
        reader.created_on = reader.field("_created_on")?;
        reader.modified_on = reader.field("_modified_on")?;
        Ok(reader)
    }

    /// The aggregate's core: its id, version, and created and modified
    /// times, with nothing pending.
    pub fn core(&self) -> AggregateCore<A::Event> {
        AggregateCore::restored(self.id, self.version, self.created_on, self.modified_on)
    }

    /// Reads the attribute `key` (and takes it out of the state).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Decode`] naming the snapshot and the attribute, when the
    /// state lacks it or it does not hold a `T`.
    pub fn field<T: StateValue>(&mut self, key: &str) -> Result<T> {
        let missing = || {
            de::Error::custom(format_args!(
                "the snapshot has no attribute {key:?} (a state field added since it was \
                 taken needs the aggregate's `version:` raised, and an upcast step)"
            ))
        };
        let read = match &mut self.attributes {
            Attributes::Raw(raw) => raw.remove(key).map(|text| {
                T::deserialize_state(&mut serde_json::Deserializer::from_str(text.get()))
            }),
            Attributes::Values(values) => values.remove(key).map(T::deserialize_state),
        };
        let read = match read {
            None => Err(missing()),
            Some(read) => {
                read.map_err(|e| de::Error::custom(format_args!("attribute {key:?}: {e}")))
            }
        };
        read.map_err(|source| {
            ErrorKind::Decode {
                topic: SNAPSHOT_TOPIC.to_owned(),
                originator_id: self.id.uuid(),
                originator_version: self.version,
                source,
            }
            .into()
        })
    }
}
