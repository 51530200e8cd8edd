//! The aggregate trait, and the core every aggregate carries beside its
//! state.

use std::fmt;
use std::num::NonZeroU64;

use super::{DomainEvent, Id, Timestamp};
use crate::{ErrorKind, Result};

/// An event-sourced aggregate: state that changes only by its own events.
///
/// Generated code implements this for each aggregate in a schema. Commands
/// on the aggregate trigger events, which are applied at once and kept as
/// pending until [`collect_events`](Aggregate::collect_events) drains them
/// (an application's `save` does that). Identity, version and pending
/// events live in the aggregate's [`AggregateCore`], which the provided
/// methods read.
pub trait Aggregate: Clone + fmt::Debug + PartialEq + Send + Sync + 'static {
    /// The aggregate's event type.
    type Event: DomainEvent<Aggregate = Self>;

    /// The aggregate's topic, e.g. `universe:World`; stored in its "created"
    /// event as `originator_topic`.
    const TOPIC: &'static str;

    /// Topics the aggregate was stored under before it was renamed (the
    /// Python library's `register_topic`): a created event naming one of
    /// them is read as this aggregate's.
    const ALIASES: &'static [&'static str] = &[];

    /// Every how many versions an application takes a snapshot of the
    /// aggregate when it saves it (the schema's `snapshot: { every: N }`,
    /// the Python library's `snapshotting_intervals`): at each saved
    /// version divisible by it. `None`, the default: only when asked.
    const SNAPSHOT_EVERY: Option<NonZeroU64> = None;

    /// Whether applying its events reads their timestamps (a state field
    /// set to the event's time, or a state change written in Rust). When
    /// not (generated code says so), a replay reads the timestamps of the
    /// first and last events only, the two the aggregate keeps
    /// (`created_on`, `modified_on`); the others are given
    /// `UNTIMED`. The default, `true`,
    /// reads every one.
    const READS_EVENT_TIMES: bool = true;

    /// The aggregate's identity, version and pending events.
    fn core(&self) -> &AggregateCore<Self::Event>;

    /// Drains and returns the pending events.
    fn collect_events(&mut self) -> Vec<Self::Event>;

    /// The id, given when the aggregate was created.
    fn id(&self) -> Id<Self> {
        self.core().id()
    }

    /// The version: the number of events applied so far (1 once created).
    fn version(&self) -> u64 {
        self.core().version()
    }

    /// When the aggregate was created (its first event's timestamp).
    fn created_on(&self) -> Timestamp {
        self.core().created_on()
    }

    /// When the aggregate last changed (its last event's timestamp).
    fn modified_on(&self) -> Timestamp {
        self.core().modified_on()
    }

    /// Events triggered since the aggregate was last saved.
    fn pending_events(&self) -> &[Self::Event] {
        self.core().pending_events()
    }

    /// Writes the state of a snapshot of the aggregate as it is now, as
    /// the Python library's `Snapshot.take` writes it (see
    /// `SnapshotWriter`,
    /// which generated aggregates call).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Encode`].
    fn write_snapshot(&self, out: &mut Vec<u8>) -> Result<()>;

    /// The aggregate `id` at `version`, read from the JSON state of a
    /// snapshot (see
    /// `SnapshotReader`,
    /// which generated aggregates call).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Decode`] naming the snapshot.
    fn from_snapshot(id: Id<Self>, version: u64, state: &[u8]) -> Result<Self>;
}

/// What every aggregate carries beside its state: its id, version, created
/// and modified times, and the events it triggered that are not saved yet.
/// Generated aggregates hold one in a private field, so that only their own
/// commands can trigger events.
pub struct AggregateCore<E: DomainEvent> {
    id: Id<E::Aggregate>,
    version: u64,
    created_on: Timestamp,
    modified_on: Timestamp,
    pending: Vec<E>,
}

impl<E: DomainEvent> AggregateCore<E> {
    /// The core of an aggregate made by a "created" event with this id,
    /// version and timestamp: at the event's version (1 for an event this
    /// code triggers; what is stored, for one read, as Python reads it),
    /// with nothing pending.
    pub fn created(id: Id<E::Aggregate>, version: u64, timestamp: Timestamp) -> Self {
        Self {
            id,
            version,
            created_on: timestamp,
            modified_on: timestamp,
            pending: Vec::new(),
        }
    }

    /// The core of an aggregate read from a snapshot: at `version`, with
    /// nothing pending.
    pub fn restored(
        id: Id<E::Aggregate>,
        version: u64,
        created_on: Timestamp,
        modified_on: Timestamp,
    ) -> Self {
        Self {
            id,
            version,
            created_on,
            modified_on,
            pending: Vec::new(),
        }
    }

    /// Checks that `event` is the next event of the aggregate (the same id,
    /// the version after this one, and not a "created" event), and moves
    /// the version and modified time on.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::CreationMismatch`] for a "created" event,
    /// [`ErrorKind::OriginatorIdMismatch`] when the ids differ,
    /// [`ErrorKind::OriginatorVersionMismatch`] when the event's version is not
    /// the current version plus one. The core is left as it was.
    pub fn advance(&mut self, event: &E) -> Result<()> {
        if event.is_created() {
            return Err(event.creation_mismatch());
        }
        let originator_version = event.originator_version();
        if event.originator_id() != self.id {
            return Err(ErrorKind::OriginatorIdMismatch {
                topic: event.topic().to_owned(),
                aggregate_id: self.id.uuid(),
                event_originator_id: event.originator_id().uuid(),
                originator_version,
            }
            .into());
        }
        if Some(originator_version) != self.version.checked_add(1) {
            return Err(ErrorKind::OriginatorVersionMismatch {
                topic: event.topic().to_owned(),
                aggregate_id: self.id.uuid(),
                aggregate_version: self.version,
                originator_version,
            }
            .into());
        }
        self.version = originator_version;
        self.modified_on = event.timestamp();
        Ok(())
    }

    /// Records an event the aggregate triggered itself, already applied to
    /// its state: the version and modified time move on, and the event is
    /// pending until saved.
    pub fn trigger(&mut self, event: E) {
        self.version = event.originator_version();
        self.modified_on = event.timestamp();
        self.pending.push(event);
    }

    /// The aggregate's id.
    pub fn id(&self) -> Id<E::Aggregate> {
        self.id
    }

    /// The aggregate's version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The version the next event will have. Stored versions are at most
    /// `i64::MAX` (the databases' integers), so this never overflows; were
    /// the version `u64::MAX`, it would stay there, and the save of the
    /// next event would be refused as a conflict rather than wrap.
    pub fn next_version(&self) -> u64 {
        self.version.saturating_add(1)
    }

    /// When the aggregate was created.
    pub fn created_on(&self) -> Timestamp {
        self.created_on
    }

    /// When the aggregate last changed.
    pub fn modified_on(&self) -> Timestamp {
        self.modified_on
    }

    /// The events triggered since the aggregate was last saved.
    pub fn pending_events(&self) -> &[E] {
        &self.pending
    }

    /// Drains and returns the pending events.
    pub fn collect_events(&mut self) -> Vec<E> {
        std::mem::take(&mut self.pending)
    }
}

/// An aggregate dropped with events nobody saved is noted while a
/// follower's policy runs (see `unsaved`): its change would be lost.
impl<E: DomainEvent> Drop for AggregateCore<E> {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            super::unsaved::dropped(self.id.uuid(), self.version);
        }
    }
}

impl<E: DomainEvent> Clone for AggregateCore<E> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            version: self.version,
            created_on: self.created_on,
            modified_on: self.modified_on,
            pending: self.pending.clone(),
        }
    }
}

impl<E: DomainEvent> PartialEq for AggregateCore<E> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.version == other.version
            && self.created_on == other.created_on
            && self.modified_on == other.modified_on
            && self.pending == other.pending
    }
}

impl<E: DomainEvent> fmt::Debug for AggregateCore<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AggregateCore")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("created_on", &self.created_on)
            .field("modified_on", &self.modified_on)
            .field("pending", &self.pending)
            .finish()
    }
}
