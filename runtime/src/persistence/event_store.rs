//! The event store: a mapper in front of a recorder.

use std::sync::Arc;

use uuid::Uuid;

use super::{ApplicationRecorder, EventQuery, Mapper, StoredEvent, Transcodable};
use crate::Result;
use crate::observe::Instruments;

/// Puts domain events into a recorder and gets them back, through a mapper.
#[derive(Debug, Clone)]
pub struct EventStore {
    mapper: Mapper,
    recorder: Arc<dyn ApplicationRecorder>,
    instruments: Instruments,
}

impl EventStore {
    /// An event store over `recorder`, encoding with `mapper`.
    pub fn new(mapper: Mapper, recorder: Arc<dyn ApplicationRecorder>) -> Self {
        let instruments = Instruments::unnamed(recorder.backend());
        Self {
            mapper,
            recorder,
            instruments,
        }
    }

    /// The same store, reporting as the application `name`'s.
    pub(crate) fn named(mut self, name: &str) -> Self {
        self.instruments = Instruments::new(name, self.recorder.backend());
        self
    }

    /// What the store reports with (spans and metrics).
    pub(crate) fn instruments(&self) -> &Instruments {
        &self.instruments
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
        self.instruments
            .save(events, || self.recorder.insert_events(events))
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

    /// As [`for_each`](Self::for_each), for a replay that keeps only the
    /// first and last events' timestamps: the events between are decoded
    /// without theirs (each is given [`UNTIMED`](crate::domain::UNTIMED)).
    /// Each event is decoded once the next one shows it is not the last,
    /// from a copy of its stored bytes.
    ///
    /// # Errors
    ///
    /// As [`for_each`](Self::for_each).
    pub(crate) fn for_each_untimed<E: Transcodable>(
        &self,
        originator_id: Uuid,
        query: EventQuery,
        mut f: impl FnMut(E) -> Result<()>,
    ) -> Result<()> {
        // The event read before: id, version, topic and stored state.
        let mut held: Option<(Uuid, u64, String, Vec<u8>)> = None;
        let mut first = true;
        let decode = |(id, version, topic, state): &(Uuid, u64, String, Vec<u8>)| {
            self.mapper.decode_event::<E>(*id, *version, topic, state)
        };
        self.recorder
            .for_each_event(originator_id, query, &mut |stored| {
                if let Some(previous) = &held {
                    let event = if first {
                        decode(previous)?
                    } else {
                        super::transcoder::decoding_untimed(|| decode(previous))?
                    };
                    first = false;
                    f(event)?;
                }
                let slot = held.get_or_insert_with(Default::default);
                slot.0 = stored.originator_id;
                slot.1 = stored.originator_version;
                slot.2.clear();
                slot.2.push_str(stored.topic);
                slot.3.clear();
                slot.3.extend_from_slice(stored.state);
                Ok(())
            })?;
        match &held {
            Some(last) => f(decode(last)?),
            None => Ok(()),
        }
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
