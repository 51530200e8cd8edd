//! The in-memory recorder ("plain old objects" in the Python library).

use std::borrow::Cow;
use std::collections::hash_map::Entry::{Occupied, Vacant};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

use uuid::Uuid;

mod chunk;
mod index;
mod states;
use chunk::Chunk;
use index::{Slot, in_range, version_count};
use states::{Span, States};

use super::recorder::{BatchVersions, check_next_version};
use super::subscription::{Bell, BellSource};
use super::tracking::{InMemoryTracking, check_tracking};
use super::{
    AggregateRecorder, ApplicationRecorder, EventQuery, Notification, NotificationQuery,
    ProcessRecorder, StoredEvent, StoredEventRef, Subscription, Tracking,
};
use crate::Result;

/// Keeps stored events in memory; the default when `INFRASTRUCTURE_FACTORY`
/// is not set. Safe to share between threads; state bytes are kept as the
/// mapper made them, so compression and encryption apply here too.
///
/// ```
/// use eventsmith::persistence::{AggregateRecorder, ApplicationRecorder, EventQuery, InMemoryRecorder, StoredEvent};
/// let recorder = InMemoryRecorder::new();
/// let id = uuid::Uuid::new_v4();
/// let event = StoredEvent { originator_id: id, originator_version: 1, topic: "t".into(), state: b"{}".to_vec() };
/// assert_eq!(recorder.insert_events(&[event.clone()]).unwrap(), vec![1]);
/// assert!(recorder.insert_events(&[event]).is_err());
/// assert_eq!(recorder.select_events(id, EventQuery::new()).unwrap().len(), 1);
/// assert_eq!(recorder.max_notification_id().unwrap(), Some(1));
/// ```
#[derive(Debug, Default)]
pub struct InMemoryRecorder {
    /// Shared with subscriptions, which read it.
    pub(super) inner: Arc<RwLock<Inner>>,
    /// Rung on each insert, to wake subscriptions.
    bell: Arc<Bell>,
    /// Snapshots, when the application takes them.
    pub(super) snapshots: super::snapshot::InMemorySnapshots,
}

#[derive(Debug, Default)]
pub(super) struct Inner {
    /// The log: notification id `n` is at index `n - 1`.
    log: Vec<Entry>,
    /// For each aggregate, where its events are in the log.
    /// (foldhash: SipHash cost more than the rest of an insert.)
    index: HashMap<Uuid, Slot, foldhash::fast::RandomState>,
    /// The positions of each aggregate with more than one event, in
    /// version order; a [`Slot`] has the number of its list.
    runs: Vec<Vec<usize>>,
    /// The entries' states, side by side in blocks.
    states: States,
    /// Each topic that is not static once, shared by the entries that have it.
    topics: HashSet<Arc<str>, foldhash::fast::RandomState>,
    /// Each application's highest tracked notification id.
    pub(super) tracking: InMemoryTracking,
}

/// A stored event in the log; its state is in [`Inner::states`].
#[derive(Debug, Clone)]
struct Entry {
    originator_id: Uuid,
    originator_version: u64,
    topic: Topic,
    state: Span,
}

/// An entry's topic: a static one (as generated event types have) kept as
/// it is, with no hashing, counting or copying; any other shared by the
/// entries that have it.
#[derive(Debug, Clone)]
enum Topic {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Topic {
    fn as_str(&self) -> &str {
        match self {
            Self::Static(topic) => topic,
            Self::Shared(topic) => topic,
        }
    }

    /// The topic for a reader: still borrowed when static.
    fn to_cow(&self) -> Cow<'static, str> {
        match self {
            Self::Static(topic) => Cow::Borrowed(topic),
            Self::Shared(topic) => Cow::Owned(String::from(&**topic)),
        }
    }
}

impl Entry {
    /// The stored event, copied out of the log.
    fn to_stored(&self, states: &States) -> StoredEvent {
        StoredEvent {
            originator_id: self.originator_id,
            originator_version: self.originator_version,
            topic: self.topic.to_cow(),
            state: states.get(self.state).to_vec(),
        }
    }
}

impl InMemoryRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events an [`EventQuery`] selects, copied out of the lock.
    fn select(&self, originator_id: Uuid, query: EventQuery) -> Vec<StoredEvent> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let range = in_range(inner.positions(&originator_id), query.gt, query.lte).iter();
        let limit = query.limit.unwrap_or(usize::MAX);
        let pick = |&position: &usize| {
            let entry = inner.log.get(position)?;
            Some(entry.to_stored(&inner.states))
        };
        if query.desc {
            range.rev().filter_map(pick).take(limit).collect()
        } else {
            range.filter_map(pick).take(limit).collect()
        }
    }
}

impl Inner {
    /// The positions of an aggregate's events, in version order.
    fn positions(&self, originator_id: &Uuid) -> &[usize] {
        self.index
            .get(originator_id)
            .map_or(&[], |slot| slot.positions(&self.runs))
    }

    /// An aggregate's highest stored version (0 when it has none): how
    /// many events it has.
    fn stored_version(&self, originator_id: &Uuid) -> u64 {
        version_count(self.positions(originator_id))
    }

    /// Records that an aggregate's next `count` events are at the
    /// positions from `start`.
    fn index(&mut self, originator_id: Uuid, start: usize, count: usize) {
        match self.index.entry(originator_id) {
            Vacant(vacant) => {
                vacant.insert(Slot::new(&mut self.runs, start, count));
            }
            Occupied(mut occupied) => occupied.get_mut().grow(&mut self.runs, start, count),
        }
    }

    /// Refuses a batch in which an aggregate's versions do not follow its
    /// stored ones, and one another, one by one.
    fn check(&self, events: &[StoredEvent]) -> Result<()> {
        let stored = |id: &Uuid| self.stored_version(id);
        // One event, the commonest save: nothing in the batch before it.
        if let [only] = events {
            return check_next_version(
                only.originator_id,
                only.originator_version,
                stored(&only.originator_id),
            );
        }
        let mut batch = BatchVersions::default();
        for e in events {
            let previous = batch
                .previous(e.originator_id)
                .unwrap_or_else(|| stored(&e.originator_id));
            check_next_version(e.originator_id, e.originator_version, previous)?;
            batch.set(e.originator_id, e.originator_version);
        }
        Ok(())
    }

    /// Appends checked events; returns their notification ids.
    fn append(&mut self, events: &[StoredEvent]) -> Vec<u64> {
        let mut ids = Vec::with_capacity(events.len());
        self.log.reserve(events.len());
        // An aggregate's events come together in a save: its index entry
        // is looked up, and grown, once for each run of them.
        let mut rest = events;
        while let Some(first) = rest.first() {
            let run = rest
                .iter()
                .take_while(|e| e.originator_id == first.originator_id)
                .count();
            let (same, after) = rest.split_at(run);
            let start = self.log.len();
            self.index(first.originator_id, start, run);
            for (position, e) in (start..).zip(same) {
                self.push(e, position);
                ids.push(notification_id(position));
            }
            rest = after;
        }
        ids
    }

    /// Checks and appends one event, looking its aggregate up once (the
    /// commonest save); returns its notification id.
    fn check_and_append_one(&mut self, event: &StoredEvent) -> Result<u64> {
        let position = self.log.len();
        let (id, version) = (event.originator_id, event.originator_version);
        // One probe of the index, whether the aggregate is new or not.
        match self.index.entry(id) {
            Vacant(vacant) => {
                check_next_version(id, version, 0)?;
                vacant.insert(Slot::lone(position));
            }
            Occupied(mut occupied) => {
                let stored = version_count(occupied.get().positions(&self.runs));
                check_next_version(id, version, stored)?;
                occupied.get_mut().grow(&mut self.runs, position, 1);
            }
        }
        self.push(event, position);
        Ok(notification_id(position))
    }

    /// Pushes an event onto the log at `position`, its index entry made.
    fn push(&mut self, e: &StoredEvent, position: usize) {
        debug_assert_eq!(position, self.log.len());
        let topic = match &e.topic {
            Cow::Borrowed(topic) => Topic::Static(topic),
            Cow::Owned(topic) => Topic::Shared(match self.topics.get(topic.as_str()) {
                Some(shared) => Arc::clone(shared),
                None => {
                    let shared: Arc<str> = Arc::from(topic.as_str());
                    self.topics.insert(Arc::clone(&shared));
                    shared
                }
            }),
        };
        let state = self.states.keep(&e.state);
        self.log.push(Entry {
            originator_id: e.originator_id,
            originator_version: e.originator_version,
            topic,
            state,
        });
    }
}

impl crate::sealed::Recorder for InMemoryRecorder {
    fn backend(&self) -> &'static str {
        "memory"
    }
}

impl AggregateRecorder for InMemoryRecorder {
    fn insert_events(&self, events: &[StoredEvent]) -> Result<Vec<u64>> {
        let ids = {
            let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
            if let [only] = events {
                vec![inner.check_and_append_one(only)?]
            } else {
                inner.check(events)?;
                inner.append(events)
            }
        };
        self.rang(ids)
    }

    fn select_events(&self, originator_id: Uuid, query: EventQuery) -> Result<Vec<StoredEvent>> {
        Ok(self.select(originator_id, query))
    }

    fn for_each_event(
        &self,
        originator_id: Uuid,
        query: EventQuery,
        f: &mut dyn FnMut(StoredEventRef<'_>) -> Result<()>,
    ) -> Result<()> {
        // Out of the lock before `f` runs (the guard is dropped at the end
        // of `fill`'s statement), and in chunks, so that a long history is
        // not held twice (copied out as well as what `f` makes of it).
        if query.desc || query.limit.is_some() {
            for event in self.select(originator_id, query) {
                f(event.as_borrowed())?;
            }
            return Ok(());
        }
        let mut chunk = Chunk::default();
        let mut gt = query.gt;
        loop {
            let full = chunk.fill(
                &self.inner.read().unwrap_or_else(PoisonError::into_inner),
                originator_id,
                gt,
                query.lte,
            );
            for event in chunk.events() {
                f(event)?;
            }
            match chunk.last_version() {
                Some(last) if full => gt = Some(last),
                _ => return Ok(()),
            }
        }
    }
}

impl ApplicationRecorder for InMemoryRecorder {
    fn select_notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        Ok(self
            .inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .select_notifications(query))
    }

    fn max_notification_id(&self) -> Result<Option<u64>> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(inner.log.len().checked_sub(1).map(notification_id))
    }

    fn subscribe(&self, gt: Option<u64>, topics: &[&str]) -> Result<Subscription> {
        let inner = Arc::clone(&self.inner);
        let source = BellSource {
            bell: Arc::clone(&self.bell),
            seen: 0,
            // A section at a time under the read lock, then yielded out of it.
            select: move |query: &NotificationQuery| {
                Ok(inner
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .select_notifications(query))
            },
        };
        Ok(Subscription::new(
            Box::new(source),
            Some(Arc::clone(&self.bell)),
            gt,
            topics,
        ))
    }
}

impl InMemoryRecorder {
    /// Wakes subscriptions when `ids` were stored; returns them.
    fn rang(&self, ids: Vec<u64>) -> Result<Vec<u64>> {
        if !ids.is_empty() {
            self.bell.ring();
        }
        Ok(ids)
    }
}

impl Inner {
    fn select_notifications(&self, query: &NotificationQuery) -> Vec<Notification> {
        let inner = self;
        let first = usize::try_from(query.start.saturating_sub(1)).unwrap_or(usize::MAX);
        let candidates = inner.log.get(first..).unwrap_or_default();
        let mut selected = Vec::with_capacity(query.limit.min(candidates.len()));
        let ids = candidates
            .iter()
            .enumerate()
            .map(|(i, e)| (notification_id(first.saturating_add(i)), e));
        for (id, e) in ids.take_while(|(id, _)| query.stop.is_none_or(|stop| *id <= stop)) {
            if selected.len() == query.limit {
                break;
            }
            if query.matches(id, e.topic.as_str()) {
                selected.push(Notification {
                    id,
                    originator_id: e.originator_id,
                    originator_version: e.originator_version,
                    topic: e.topic.to_cow(),
                    state: inner.states.share(e.state),
                });
            }
        }
        selected
    }
}

impl ProcessRecorder for InMemoryRecorder {
    fn insert_events_tracked(
        &self,
        events: &[StoredEvent],
        tracking: Option<&Tracking>,
    ) -> Result<Vec<u64>> {
        let ids = {
            let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
            inner.check(events)?;
            if let Some(tracking) = tracking {
                check_tracking(&inner.tracking, tracking)?;
            }
            let ids = inner.append(events);
            if let Some(tracking) = tracking {
                inner
                    .tracking
                    .insert(tracking.application_name.clone(), tracking.notification_id);
            }
            ids
        };
        self.rang(ids)
    }
}

/// The notification id of the entry at `position` in the log: one more.
fn notification_id(position: usize) -> u64 {
    u64::try_from(position)
        .unwrap_or(u64::MAX)
        .saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::chunk::{EVENTS_AT_A_TIME, STATE_BYTES_AT_A_TIME};
    use super::states::{STATE_ALONE, STATE_BLOCK};
    use super::*;

    /// A static topic (kept as it is) and the same topic owned (shared by
    /// its entries) read back alike, in events and notifications, and a
    /// topic filter matches both.
    #[test]
    fn static_and_owned_topics_read_back_alike() {
        let recorder = InMemoryRecorder::new();
        let id = Uuid::new_v4();
        let event = |version: u64, topic: Cow<'static, str>| StoredEvent {
            originator_id: id,
            originator_version: version,
            topic,
            state: vec![u8::try_from(version).unwrap()],
        };
        let owned = || Cow::Owned("m:E".to_owned());
        recorder
            .insert_events(&[event(1, Cow::Borrowed("m:E")), event(2, owned())])
            .unwrap();
        recorder.insert_events(&[event(3, owned())]).unwrap();
        recorder
            .insert_events(&[event(4, Cow::Borrowed("m:F"))])
            .unwrap();
        let events = recorder.select_events(id, EventQuery::new()).unwrap();
        let topics: Vec<&str> = events.iter().map(|e| &*e.topic).collect();
        assert_eq!(topics, ["m:E", "m:E", "m:E", "m:F"]);
        assert!(matches!(events[0].topic, Cow::Borrowed(_)));
        assert!(matches!(events[1].topic, Cow::Owned(_)));
        let query = NotificationQuery::new(1, 10).topics(["m:E"]);
        let notifications = recorder.select_notifications(&query).unwrap();
        let read: Vec<(u64, &str, &[u8])> = notifications
            .iter()
            .map(|n| (n.id, &*n.topic, &*n.state))
            .collect();
        assert_eq!(
            read,
            [(1, "m:E", &[1][..]), (2, "m:E", &[2]), (3, "m:E", &[3])]
        );
        // The owned topic is held once, however many entries have it.
        let inner = recorder.inner.read().unwrap();
        assert_eq!(inner.topics.len(), 1);
    }

    /// The index moves an aggregate from a lone position to a list as it
    /// gains events, whether they come one a save or in batches mixed with
    /// another aggregate's; every range reads back the versions it holds;
    /// a refused event leaves the index as it was.
    #[test]
    fn the_index_follows_an_aggregate_from_one_event_to_many() {
        let recorder = InMemoryRecorder::new();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let event = |originator_id: Uuid, originator_version: u64| StoredEvent {
            originator_id,
            originator_version,
            topic: "t".into(),
            state: format!("{originator_id}/{originator_version}").into_bytes(),
        };
        let versions = |id: Uuid, query: EventQuery| -> Vec<u64> {
            let events = recorder.select_events(id, query).unwrap();
            for e in &events {
                let state = format!("{id}/{}", e.originator_version).into_bytes();
                assert_eq!((e.originator_id, &e.state), (id, &state));
            }
            events.iter().map(|e| e.originator_version).collect()
        };
        // A new aggregate whose first event is not version 1 is refused,
        // and leaves no trace.
        assert!(recorder.insert_events(&[event(a, 2)]).is_err());
        assert!(recorder.insert_events(&[event(a, 0)]).is_err());
        assert_eq!(versions(a, EventQuery::new()), Vec::<u64>::new());
        assert_eq!(recorder.inner.read().unwrap().index.len(), 0);
        // One event: a lone position.
        recorder.insert_events(&[event(a, 1)]).unwrap();
        assert!(recorder.insert_events(&[event(a, 1)]).is_err());
        assert!(recorder.insert_events(&[event(a, 3)]).is_err());
        assert_eq!(versions(a, EventQuery::new()), [1]);
        // A second, one a save: a list. A batch mixing a new aggregate's
        // events with a's: each gets its own, in order.
        recorder.insert_events(&[event(a, 2)]).unwrap();
        let ids = recorder
            .insert_events(&[
                event(b, 1),
                event(a, 3),
                event(b, 2),
                event(a, 4),
                event(b, 3),
            ])
            .unwrap();
        assert_eq!(ids, [3, 4, 5, 6, 7]);
        // A batch one of whose events conflicts stores none of them.
        assert!(recorder.insert_events(&[event(a, 5), event(b, 3)]).is_err());
        assert_eq!(recorder.max_notification_id().unwrap(), Some(7));
        assert_eq!(versions(a, EventQuery::new()), [1, 2, 3, 4]);
        assert_eq!(versions(b, EventQuery::new()), [1, 2, 3]);
        for (gt, lte, expected) in [
            (Some(0), None, &[1, 2, 3, 4][..]),
            (Some(2), None, &[3, 4]),
            (Some(4), None, &[]),
            (Some(u64::MAX), None, &[]),
            (None, Some(0), &[]),
            (None, Some(2), &[1, 2]),
            (None, Some(u64::MAX), &[1, 2, 3, 4]),
            (Some(1), Some(3), &[2, 3]),
            (Some(3), Some(1), &[]),
            (Some(u64::MAX), Some(u64::MAX), &[]),
        ] {
            let mut query = EventQuery::new();
            query.gt = gt;
            query.lte = lte;
            assert_eq!(versions(a, query), expected, "gt {gt:?}, lte {lte:?}");
        }
        assert_eq!(versions(a, EventQuery::new().desc().limit(2)), [4, 3]);
        assert_eq!(
            versions(Uuid::new_v4(), EventQuery::new()),
            Vec::<u64>::new()
        );
    }

    /// Stores one event a save for `id`, versions from 1, with a state of
    /// each size (bytes that differ from state to state); returns the states.
    fn insert_states_of_sizes(
        recorder: &InMemoryRecorder,
        id: Uuid,
        sizes: &[usize],
    ) -> Vec<Vec<u8>> {
        let states: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| (0..size).map(|b| (b * 7 + i) as u8).collect())
            .collect();
        for (version, state) in (1..).zip(&states) {
            let event = StoredEvent {
                originator_id: id,
                originator_version: version,
                topic: "t".into(),
                state: state.clone(),
            };
            recorder.insert_events(&[event]).unwrap();
        }
        states
    }

    /// States of every size read back as they were stored, whether they
    /// share a block (many small ones, across the end of a block), fill one
    /// exactly, or have their own allocation: empty, one byte, the largest
    /// that goes in a block, one more, more than a block.
    #[test]
    fn states_of_every_size_read_back_as_stored() {
        let recorder = InMemoryRecorder::new();
        let id = Uuid::new_v4();
        let mut sizes = vec![0, 1, STATE_ALONE, STATE_ALONE + 1, STATE_BLOCK + 1, 0];
        // Small states past the end of the first block and into the next,
        // and one to fill what is left of a block to the byte.
        sizes.extend(std::iter::repeat_n(1_000, 2 * STATE_BLOCK / 1_000));
        sizes.extend([STATE_ALONE, STATE_ALONE, STATE_ALONE, 7]);
        let states = insert_states_of_sizes(&recorder, id, &sizes);
        let selected = recorder.select_events(id, EventQuery::new()).unwrap();
        let selected: Vec<&[u8]> = selected.iter().map(|e| &*e.state).collect();
        assert!(selected.iter().eq(states.iter()), "select_events");
        let query = NotificationQuery::new(1, states.len() + 1);
        let notifications = recorder.select_notifications(&query).unwrap();
        let read: Vec<&[u8]> = notifications.iter().map(|n| &*n.state).collect();
        assert!(read.iter().eq(states.iter()), "select_notifications");
        let mut replayed = Vec::new();
        recorder
            .for_each_event(id, EventQuery::new(), &mut |e| {
                replayed.push(e.state.to_vec());
                Ok(())
            })
            .unwrap();
        assert_eq!(replayed, states, "for_each_event");
        // Notifications read out outlive the recorder.
        drop(recorder);
        assert!(read.iter().eq(states.iter()));
    }

    /// A replay whose copied states outgrow a chunk's bytes before its
    /// count (runs of the largest states kept in blocks, which it copies,
    /// with states kept alone between, which it shares and does not count:
    /// of 100 KiB, of a whole chunk's bytes and more; empty ones too) sees
    /// every event once, in order, with its own state, from any start.
    #[test]
    fn a_replay_of_large_states_goes_chunk_by_chunk_and_misses_nothing() {
        let recorder = InMemoryRecorder::new();
        let id = Uuid::new_v4();
        let mut sizes = vec![STATE_ALONE; 20];
        sizes.extend([
            100 << 10,
            0,
            STATE_BYTES_AT_A_TIME,
            0,
            STATE_BYTES_AT_A_TIME + 1,
            1,
            0,
        ]);
        sizes.extend(std::iter::repeat_n(STATE_ALONE - 1, 17));
        sizes.extend([STATE_ALONE + 1, STATE_ALONE]);
        sizes.extend(std::iter::repeat_n(STATE_ALONE, 16));
        let states = insert_states_of_sizes(&recorder, id, &sizes);
        for gt in 0..states.len() as u64 {
            let mut seen = Vec::new();
            recorder
                .for_each_event(id, EventQuery::new().gt(gt), &mut |e| {
                    seen.push((e.originator_version, e.state.to_vec()));
                    Ok(())
                })
                .unwrap();
            let expected: Vec<(u64, Vec<u8>)> = (1..)
                .zip(states.iter().cloned())
                .skip(gt as usize)
                .collect();
            assert!(seen == expected, "from version {gt}");
        }
    }

    /// A replay longer than a chunk sees every event of its range once, in
    /// order, whatever the range.
    #[test]
    fn a_long_replay_goes_chunk_by_chunk_and_misses_nothing() {
        let recorder = InMemoryRecorder::new();
        let (id, other) = (Uuid::new_v4(), Uuid::new_v4());
        let n = 2 * EVENTS_AT_A_TIME as u64 + 500;
        let events: Vec<StoredEvent> = (1..=n)
            .flat_map(|v| {
                [id, other].map(|originator_id| StoredEvent {
                    originator_id,
                    originator_version: v,
                    topic: "t".into(),
                    state: v.to_string().into_bytes(),
                })
            })
            .collect();
        recorder.insert_events(&events).unwrap();
        let seen = |query: EventQuery| {
            let mut versions = Vec::new();
            recorder
                .for_each_event(id, query, &mut |e| {
                    assert_eq!(e.originator_id, id);
                    assert_eq!(e.state, e.originator_version.to_string().as_bytes());
                    versions.push(e.originator_version);
                    Ok(())
                })
                .unwrap();
            versions
        };
        assert_eq!(seen(EventQuery::new()), (1..=n).collect::<Vec<_>>());
        let chunk = EVENTS_AT_A_TIME as u64;
        for (gt, lte) in [
            (0, chunk),
            (chunk, 2 * chunk),
            (7, 2 * chunk + 1),
            (chunk - 1, n),
        ] {
            assert_eq!(
                seen(EventQuery::new().gt(gt).lte(lte)),
                (gt + 1..=lte).collect::<Vec<_>>(),
                "{gt}..={lte}"
            );
        }
        assert_eq!(seen(EventQuery::new().gt(n)), Vec::<u64>::new());
        assert_eq!(
            seen(EventQuery::new().desc().limit(3)),
            vec![n, n - 1, n - 2]
        );
    }
}
