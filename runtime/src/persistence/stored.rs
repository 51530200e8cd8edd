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
    pub(crate) fn as_borrowed(&self) -> StoredEventRef<'_> {
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
