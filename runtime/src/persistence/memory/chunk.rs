//! A replay's chunk: an aggregate's events taken out of the in-memory
//! recorder's lock a chunk at a time.

use bytes::Bytes;
use uuid::Uuid;

use super::index::in_range;
use super::{Inner, Topic};
use crate::persistence::StoredEventRef;

/// How many events an aggregate's replay takes out of the lock at a time.
pub(super) const EVENTS_AT_A_TIME: usize = 1_000;

/// How many bytes of state a replay copies out of the lock at a time
/// (large states, which it shares, not counted).
pub(super) const STATE_BYTES_AT_A_TIME: usize = 256 * 1024;

/// A chunk of an aggregate's events taken out of the lock: their states
/// copied side by side into one buffer, kept from chunk to chunk, so that
/// a replay takes no reference count per event (each one an atomic
/// operation to take and another to give back); a large state, kept
/// alone, is shared rather than copied.
#[derive(Debug, Default)]
pub(super) struct Chunk {
    heads: Vec<(Uuid, u64, Topic, Held)>,
    states: Vec<u8>,
}

/// Where a chunk holds an event's state.
#[derive(Debug)]
enum Held {
    /// At this range of the chunk's buffer.
    Copied(std::ops::Range<usize>),
    /// Shared with the recorder.
    Shared(Bytes),
}

impl Chunk {
    /// Replaces what the chunk held with the aggregate's next events
    /// (`gt < version <= lte`): up to [`EVENTS_AT_A_TIME`] of them, or as
    /// many as reach [`STATE_BYTES_AT_A_TIME`] of state. Returns whether
    /// it stopped at either bound (there may be more).
    pub(super) fn fill(
        &mut self,
        inner: &Inner,
        originator_id: Uuid,
        gt: Option<u64>,
        lte: Option<u64>,
    ) -> bool {
        self.heads.clear();
        self.states.clear();
        for &position in in_range(inner.positions(&originator_id), gt, lte) {
            let Some(e) = inner.log.get(position) else {
                continue;
            };
            let state = match inner.states.alone(e.state) {
                Some(shared) => Held::Shared(shared),
                None => {
                    let start = self.states.len();
                    self.states.extend_from_slice(inner.states.get(e.state));
                    Held::Copied(start..self.states.len())
                }
            };
            let topic = e.topic.clone();
            self.heads
                .push((e.originator_id, e.originator_version, topic, state));
            let full = self.heads.len() == EVENTS_AT_A_TIME;
            if full || self.states.len() >= STATE_BYTES_AT_A_TIME {
                return true;
            }
        }
        false
    }

    /// The events the chunk holds, in order.
    pub(super) fn events(&self) -> impl Iterator<Item = StoredEventRef<'_>> {
        self.heads.iter().map(
            |(originator_id, originator_version, topic, state)| StoredEventRef {
                originator_id: *originator_id,
                originator_version: *originator_version,
                topic: topic.as_str(),
                state: match state {
                    Held::Copied(range) => self.states.get(range.clone()).unwrap_or_default(),
                    Held::Shared(state) => state,
                },
            },
        )
    }

    /// The version of the chunk's last event.
    pub(super) fn last_version(&self) -> Option<u64> {
        self.heads.last().map(|head| head.1)
    }
}
