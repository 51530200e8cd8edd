//! The repository: aggregates rebuilt from their stored events.

use crate::domain::{Aggregate, DomainEvent, Id};
use crate::persistence::{EventQuery, EventStore, Transcodable};
use crate::{Error, Result};

/// Gets aggregates by replaying their stored events.
#[derive(Debug, Clone)]
pub struct Repository {
    events: EventStore,
}

impl Repository {
    /// A repository over an event store.
    pub fn new(events: EventStore) -> Self {
        Self { events }
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
    /// `repository.get(world_id, version=3)`), or as it is now when `None`.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get); [`Error::AggregateNotFound`] also when the
    /// aggregate has no event at or below `version`.
    pub fn get_at<A>(&self, id: Id<A>, version: Option<u64>) -> Result<A>
    where
        A: Aggregate,
        A::Event: Transcodable,
    {
        let query = EventQuery {
            lte: version,
            ..EventQuery::new()
        };
        // Each event is applied as it is decoded, and dropped.
        let mut aggregate = None;
        self.events.for_each(id.uuid(), query, |event: A::Event| {
            aggregate = Some(event.mutate(aggregate.take())?);
            Ok(())
        })?;
        aggregate.ok_or(Error::AggregateNotFound {
            aggregate_id: id.uuid(),
            version,
        })
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
