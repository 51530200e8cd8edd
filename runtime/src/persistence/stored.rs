//! What recorders keep: stored events and notifications.

use bytes::Bytes;
use std::borrow::Cow;

use uuid::Uuid;

/// A domain event as a recorder keeps it: the aggregate's id and version, the
/// event's topic, and its state as bytes (JSON, perhaps compressed and
/// encrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The id of the aggregate the event belongs to.
    pub originator_id: Uuid,
    /// The aggregate's version once the event is applied.
    pub originator_version: u64,
    /// The event's topic, e.g. `universe:World.Started`: borrowed when it
    /// is the static topic of an event type (as the mapper writes it, with
    /// no copy per event), owned when read from storage.
    pub topic: Cow<'static, str>,
    /// The event's state, as the mapper encoded it.
    pub state: Vec<u8>,
}

impl StoredEvent {
    /// The stored event, borrowed.
    pub fn as_borrowed(&self) -> StoredEventRef<'_> {
        StoredEventRef {
            originator_id: self.originator_id,
            originator_version: self.originator_version,
            topic: &self.topic,
            state: &self.state,
        }
    }
}

/// A stored event lent by a recorder, as it reads it: see
/// [`AggregateRecorder::for_each_event`](super::AggregateRecorder::for_each_event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredEventRef<'a> {
    /// The id of the aggregate the event belongs to.
    pub originator_id: Uuid,
    /// The aggregate's version once the event is applied.
    pub originator_version: u64,
    /// The event's topic.
    pub topic: &'a str,
    /// The event's state, as the mapper encoded it.
    pub state: &'a [u8],
}

impl StoredEventRef<'_> {
    /// The stored event, copied.
    pub fn to_stored_event(&self) -> StoredEvent {
        StoredEvent {
            originator_id: self.originator_id,
            originator_version: self.originator_version,
            topic: self.topic.to_owned().into(),
            state: self.state.to_vec(),
        }
    }
}

/// A stored event in an application's log, with its position there.
///
/// Notification ids start at 1 and increase in the order events were
/// recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Position in the log, from 1.
    pub id: u64,
    /// The id of the aggregate the event belongs to.
    pub originator_id: Uuid,
    /// The aggregate's version once the event is applied.
    pub originator_version: u64,
    /// The event's topic: borrowed when the recorder has it as a static
    /// string (the in-memory recorder, for generated event types).
    pub topic: Cow<'static, str>,
    /// The event's state, as the mapper encoded it; shared with the
    /// recorder where it keeps the bytes itself (in memory), so a reader
    /// copies none.
    pub state: Bytes,
}

impl Notification {
    /// The stored event this notification carries.
    pub fn stored_event(&self) -> StoredEvent {
        StoredEvent {
            originator_id: self.originator_id,
            originator_version: self.originator_version,
            topic: self.topic.clone(),
            state: self.state.to_vec(),
        }
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
/// Where a stored row is, as far as it could be read, so that an error about
/// one of its columns can name it. Nothing is formatted or copied until
/// there is an error: a row read well costs no allocation here.
#[derive(Debug, Default)]
pub(crate) struct RowPosition<'r> {
    pub(crate) notification_id: Option<i64>,
    pub(crate) originator_id: Option<RowOriginator<'r>>,
    pub(crate) originator_version: Option<i64>,
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
/// A row's aggregate id: known, or its text as stored (perhaps not a UUID).
#[derive(Debug, Clone, Copy)]
pub(crate) enum RowOriginator<'r> {
    Id(Uuid),
    Text(&'r str),
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl RowPosition<'_> {
    /// [`Error::InvalidStoredRow`](crate::Error::InvalidStoredRow) for `column`.
    pub(crate) fn error(&self, column: &'static str, problem: String) -> crate::Error {
        crate::Error::InvalidStoredRow {
            notification_id: self.notification_id,
            originator_id: self.originator_id.map(|id| match id {
                RowOriginator::Id(id) => id.to_string(),
                RowOriginator::Text(text) => text.to_owned(),
            }),
            originator_version: self.originator_version,
            column,
            problem,
        }
    }

    /// A stored version or notification id in `column`: 0 to `i64::MAX`.
    pub(crate) fn non_negative(&self, column: &'static str, value: i64) -> crate::Result<u64> {
        u64::try_from(value).map_err(|_| self.error(column, format!("is {value}, below 0")))
    }
}
