//! The repository: aggregates rebuilt from their stored events.

use std::sync::Arc;

use crate::domain::{Aggregate, DomainEvent, Id};
use crate::persistence::{
    EventQuery, EventStore, SNAPSHOT_TOPIC, SnapshotRecorder, Transcodable, rewrite_non_finite,
};
use crate::{Error, Result};

/// Gets aggregates by replaying their stored events, from their latest
/// snapshot when the application keeps snapshots.
#[derive(Debug, Clone)]
pub struct Repository {
    events: EventStore,
    snapshots: Option<Arc<dyn SnapshotRecorder>>,
}

impl Repository {
    /// A repository over an event store.
    pub fn new(events: EventStore) -> Self {
        Self {
            events,
            snapshots: None,
        }
    }

    /// The same repository, starting from the latest snapshot in
    /// `snapshots` at or below the version asked for.
    pub fn with_snapshots(mut self, snapshots: Arc<dyn SnapshotRecorder>) -> Self {
        self.snapshots = Some(snapshots);
        self
    }

    /// The aggregate `id` as it is now.
    ///
    /// # Errors
    ///
    /// [`Error::AggregateNotFound`] when no event is stored for `id`; decoding
    /// and mutation errors naming the event; backend errors.
    pub fn get<A>(&self, id: Id<A>) -> Result<A>
    where
        A: Aggregate,
        A::Event: Transcodable,
    {
        self.get_at(id, None)
    }

    /// The aggregate `id` as it was at `version` (the tutorial's
    /// `repository.get(world_id, version=3)`), or as it is now when `None`:
    /// read from its latest snapshot at or below that version, if there is
    /// one, then each later event applied.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get); [`Error::AggregateNotFound`] also when the
    /// aggregate has no event at or below `version`; a snapshot that
    /// cannot be read, naming it.
    pub fn get_at<A>(&self, id: Id<A>, version: Option<u64>) -> Result<A>
    where
        A: Aggregate,
        A::Event: Transcodable,
    {
        let mut aggregate = self.snapshot(id, version)?;
        let query = EventQuery {
            gt: aggregate.as_ref().map(Aggregate::version),
            lte: version,
            ..EventQuery::new()
        };
        // Each event is applied as it is decoded, and dropped.
        self.events.for_each(id.uuid(), query, |event: A::Event| {
            aggregate = Some(event.mutate(aggregate.take())?);
            Ok(())
        })?;
        aggregate.ok_or(Error::AggregateNotFound {
            aggregate_id: id.uuid(),
            version,
        })
    }

    /// The aggregate from its latest snapshot at or below `version`, if it
    /// has one and its type reads snapshots.
    fn snapshot<A: Aggregate>(&self, id: Id<A>, version: Option<u64>) -> Result<Option<A>> {
        let Some(snapshots) = &self.snapshots else {
            return Ok(None);
        };
        let Some(snapshot) = snapshots.latest_snapshot(id.uuid(), version)? else {
            return Ok(None);
        };
        let (at, topic) = (snapshot.originator_version, snapshot.topic.as_str());
        if topic != SNAPSHOT_TOPIC {
            return Err(Error::UnknownTopic {
                topic: topic.to_owned(),
                originator_id: id.uuid(),
                originator_version: at,
                expected: SNAPSHOT_TOPIC.to_owned(),
            });
        }
        let json = self
            .events
            .mapper()
            .decode_bytes(id.uuid(), at, &snapshot.state)?;
        match A::from_snapshot(id, at, &rewrite_non_finite(&json)) {
            Ok(aggregate) => Ok(Some(aggregate)),
            Err(Error::SnapshotUnsupported { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether any event is stored for `id`.
    ///
    /// # Errors
    ///
    /// Backend errors.
    pub fn contains<A: ?Sized>(&self, id: Id<A>) -> Result<bool> {
        Ok(!self
            .events
            .recorder()
            .select_events(id.uuid(), EventQuery::new().limit(1))?
            .is_empty())
    }
}
