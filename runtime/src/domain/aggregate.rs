//! The aggregate trait and the identity every aggregate carries.

use std::fmt;

use uuid::Uuid;

use super::{DomainEvent, Timestamp};
use crate::{Error, Result};

/// An event-sourced aggregate: state that changes only by its own events.
///
/// Generated code implements this for each aggregate in a schema. Commands
/// on the aggregate trigger events, which are applied at once and kept as
/// pending until [`collect_events`](Aggregate::collect_events) drains them
/// (an application's `save` does that).
pub trait Aggregate: Clone + fmt::Debug + PartialEq + Send + Sync + 'static {
    /// The aggregate's event type.
    type Event: DomainEvent<Aggregate = Self>;

    /// The aggregate's topic, e.g. `universe:World`; stored in its "created"
    /// event as `originator_topic`.
    const TOPIC: &'static str;

    /// The id, a version 4 UUID given when the aggregate was created.
    fn id(&self) -> Uuid;

    /// The version: the number of events applied so far (1 once created).
    fn version(&self) -> u64;

    /// When the aggregate was created (its first event's timestamp).
    fn created_on(&self) -> Timestamp;

    /// When the aggregate last changed (its last event's timestamp).
    fn modified_on(&self) -> Timestamp;

    /// Events triggered since the aggregate was last saved.
    fn pending_events(&self) -> &[Self::Event];

    /// Drains and returns the pending events.
    fn collect_events(&mut self) -> Vec<Self::Event>;
}

/// The identity and version that every aggregate carries beside its state:
/// generated aggregates hold one and delegate to it.
///
/// ```
/// use eventsourcing::domain::{AggregateMeta, now};
/// use uuid::Uuid;
///
/// let id = Uuid::new_v4();
/// let t = now();
/// let mut meta = AggregateMeta::created(id, 1, t);
/// assert_eq!(meta.version(), 1);
/// // The next event must have the same id and version 2.
/// assert!(meta.advance("app:A.Changed", id, 3, t).is_err());
/// meta.advance("app:A.Changed", id, 2, t).unwrap();
/// assert_eq!(meta.version(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregateMeta {
    id: Uuid,
    version: u64,
    created_on: Timestamp,
    modified_on: Timestamp,
}

impl AggregateMeta {
    /// The identity of an aggregate made by a "created" event.
    pub fn created(id: Uuid, version: u64, timestamp: Timestamp) -> Self {
        Self {
            id,
            version,
            created_on: timestamp,
            modified_on: timestamp,
        }
    }

    /// Checks that an event with this id and version is the next one of the
    /// aggregate, and moves the version and modified time on.
    ///
    /// # Errors
    ///
    /// [`Error::OriginatorIdMismatch`] when the ids differ,
    /// [`Error::OriginatorVersionMismatch`] when `version` is not the current
    /// version plus one. The aggregate is left as it was.
    pub fn advance(
        &mut self,
        topic: &str,
        originator_id: Uuid,
        originator_version: u64,
        timestamp: Timestamp,
    ) -> Result<()> {
        if originator_id != self.id {
            return Err(Error::OriginatorIdMismatch {
                topic: topic.to_owned(),
                aggregate_id: self.id,
                event_originator_id: originator_id,
                originator_version,
            });
        }
        if Some(originator_version) != self.version.checked_add(1) {
            return Err(Error::OriginatorVersionMismatch {
                topic: topic.to_owned(),
                aggregate_id: self.id,
                aggregate_version: self.version,
                originator_version,
            });
        }
        self.version = originator_version;
        self.modified_on = timestamp;
        Ok(())
    }

    /// Moves the version on by one for an event the aggregate triggered
    /// itself (so it is the next one by construction), at `timestamp`.
    pub fn triggered(&mut self, timestamp: Timestamp) {
        self.version += 1;
        self.modified_on = timestamp;
    }

    /// The aggregate's id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The aggregate's version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The version the next event will have.
    pub fn next_version(&self) -> u64 {
        self.version + 1
    }

    /// When the aggregate was created.
    pub fn created_on(&self) -> Timestamp {
        self.created_on
    }

    /// When the aggregate last changed.
    pub fn modified_on(&self) -> Timestamp {
        self.modified_on
    }
}
