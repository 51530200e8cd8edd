//! The event store: a mapper in front of a recorder.

use std::sync::Arc;

use uuid::Uuid;

use super::{ApplicationRecorder, EventQuery, Mapper, StoredEvent, Transcodable};
use crate::Result;

/// Puts domain events into a recorder and gets them back, through a mapper.
#[derive(Debug, Clone)]
pub struct EventStore {
    mapper: Mapper,
    recorder: Arc<dyn ApplicationRecorder>,
}

impl EventStore {
    /// An event store over `recorder`, encoding with `mapper`.
    pub fn new(mapper: Mapper, recorder: Arc<dyn ApplicationRecorder>) -> Self {
        Self { mapper, recorder }
    }

    /// The mapper.
    pub fn mapper(&self) -> &Mapper {
        &self.mapper
    }

    /// The recorder.
    pub fn recorder(&self) -> &Arc<dyn ApplicationRecorder> {
        &self.recorder
    }

    /// Stores already-mapped events atomically; returns their notification ids.
    ///
    /// # Errors
    ///
    /// As [`AggregateRecorder::insert_events`](super::AggregateRecorder::insert_events).
    pub fn put_stored(&self, events: &[StoredEvent]) -> Result<Vec<u64>> {
        self.recorder.insert_events(events)
    }

    /// Maps and stores domain events atomically; returns their notification ids.
    ///
    /// # Errors
    ///
    /// Encoding errors, or as [`put_stored`](Self::put_stored).
    pub fn put<E: Transcodable>(&self, events: &[E]) -> Result<Vec<u64>> {
        let stored = events
            .iter()
            .map(|e| self.mapper.to_stored_event(e))
            .collect::<Result<Vec<_>>>()?;
        self.put_stored(&stored)
    }

    /// Gets an aggregate's events as domain events of type `E`.
    ///
    /// # Errors
    ///
    /// Backend errors, or decoding errors naming the event.
    pub fn get<E: Transcodable>(&self, originator_id: Uuid, query: EventQuery) -> Result<Vec<E>> {
        let mut events = Vec::new();
        self.for_each(originator_id, query, |event| {
            events.push(event);
            Ok(())
        })?;
        Ok(events)
    }

    /// Decodes an aggregate's events one by one, as the recorder lends them,
    /// and gives each to `f` in order; stops at the first error. `f` must not
    /// call back into the recorder (see
    /// [`AggregateRecorder::for_each_event`](super::AggregateRecorder::for_each_event)).
    ///
    /// # Errors
    ///
    /// Backend errors, decoding errors naming the event, or the first error
    /// of `f`.
    pub fn for_each<E: Transcodable>(
        &self,
        originator_id: Uuid,
        query: EventQuery,
        mut f: impl FnMut(E) -> Result<()>,
    ) -> Result<()> {
        self.recorder
            .for_each_event(originator_id, query, &mut |stored| {
                f(self.mapper.decode_event(
                    stored.originator_id,
                    stored.originator_version,
                    stored.topic,
                    stored.state,
                )?)
            })
    }
}
