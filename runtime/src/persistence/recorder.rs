//! The recorder traits: what every storage backend provides.

use std::fmt;

use uuid::Uuid;

use super::{Notification, StoredEvent, StoredEventRef, Subscription};
use crate::ErrorKind;
use crate::Result;

/// Which of an aggregate's stored events to select.
///
/// ```
/// use eventsmith::persistence::EventQuery;
/// let q = EventQuery::new().gt(2).lte(5).desc().limit(2);
/// assert_eq!((q.gt, q.lte, q.desc, q.limit), (Some(2), Some(5), true, Some(2)));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only versions greater than this.
    pub gt: Option<u64>,
    /// Only versions less than or equal to this.
    pub lte: Option<u64>,
    /// Highest version first.
    pub desc: bool,
    /// At most this many events.
    pub limit: Option<usize>,
}

impl EventQuery {
    /// All events, lowest version first.
    pub fn new() -> Self {
        Self::default()
    }
    /// Only versions greater than `version`.
    pub fn gt(mut self, version: u64) -> Self {
        self.gt = Some(version);
        self
    }
    /// Only versions up to and including `version`.
    pub fn lte(mut self, version: u64) -> Self {
        self.lte = Some(version);
        self
    }
    /// Highest version first.
    pub fn desc(mut self) -> Self {
        self.desc = true;
        self
    }
    /// At most `limit` events.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// Which notifications to select from an application's log.
///
/// ```
/// use eventsmith::persistence::NotificationQuery;
/// let q = NotificationQuery::new(5, 10).stop(12).topics(["universe:World.Started"]).exclusive();
/// assert_eq!((q.start, q.limit, q.stop, q.inclusive_of_start), (5, 10, Some(12), false));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationQuery {
    /// The first notification id (see `inclusive_of_start`).
    pub start: u64,
    /// At most this many notifications.
    pub limit: usize,
    /// No id greater than this.
    pub stop: Option<u64>,
    /// Only these topics (all topics when empty).
    pub topics: Vec<String>,
    /// Whether `start` itself may be selected (default true).
    pub inclusive_of_start: bool,
}

impl NotificationQuery {
    /// Up to `limit` notifications from id `start` on.
    pub fn new(start: u64, limit: usize) -> Self {
        Self {
            start,
            limit,
            stop: None,
            topics: Vec::new(),
            inclusive_of_start: true,
        }
    }
    /// No id greater than `stop`.
    pub fn stop(mut self, stop: u64) -> Self {
        self.stop = Some(stop);
        self
    }
    /// Only these topics.
    pub fn topics<I, S>(mut self, topics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.topics = topics.into_iter().map(Into::into).collect();
        self
    }
    /// Ids strictly greater than `start`.
    pub fn exclusive(mut self) -> Self {
        self.inclusive_of_start = false;
        self
    }
    /// Whether a notification with this id and topic is selected, limit aside.
    pub(crate) fn matches(&self, id: u64, topic: &str) -> bool {
        let after_start = if self.inclusive_of_start {
            id >= self.start
        } else {
            id > self.start
        };
        after_start
            && self.stop.is_none_or(|stop| id <= stop)
            && (self.topics.is_empty() || self.topics.iter().any(|t| t == topic))
    }
}

/// Keeps stored events by aggregate id and version.
///
/// Implementations must make [`insert_events`](Self::insert_events) atomic:
/// every event of the batch is stored, or none is; and must keep each
/// aggregate's versions contiguous: for each aggregate, the first of its
/// events in a batch follows its highest stored version (or is 1), and each
/// next one follows the one before it.
pub trait AggregateRecorder: fmt::Debug + Send + Sync + crate::sealed::Recorder {
    /// Stores a batch of events atomically and returns their notification
    /// ids, in the order given (empty for recorders that keep no log).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::VersionConflict`] when an
    /// event's version is not above every version of its aggregate stored or
    /// before it in the batch (it is already stored, or repeated, or stale);
    /// [`ErrorKind::VersionGap`] when it is above the
    /// next version. Either way nothing of the batch is stored. Backend
    /// errors otherwise.
    fn insert_events(&self, events: &[StoredEvent]) -> Result<Vec<u64>>;

    /// Selects an aggregate's stored events.
    ///
    /// # Errors
    ///
    /// Backend errors.
    fn select_events(&self, originator_id: Uuid, query: EventQuery) -> Result<Vec<StoredEvent>>;

    /// Selects an aggregate's stored events as
    /// [`select_events`](Self::select_events) does, and lends each to `f` in
    /// order rather than copying it out: how the event store reads them.
    /// Stops at the first error `f` returns.
    ///
    /// The provided implementation selects them and lends each; recorders
    /// override it to lend what they read without copying. `f` must not
    /// call back into the recorder: it may hold a connection or a lock.
    ///
    /// # Errors
    ///
    /// Backend errors, or the first error of `f`.
    fn for_each_event(
        &self,
        originator_id: Uuid,
        query: EventQuery,
        f: &mut dyn FnMut(StoredEventRef<'_>) -> Result<()>,
    ) -> Result<()> {
        for event in self.select_events(originator_id, query)? {
            f(event.as_borrowed())?;
        }
        Ok(())
    }
}

/// Each aggregate's last version so far in a batch being stored, to check
/// that its versions follow one another (see [`check_next_version`]): in a
/// list while the batch has few aggregates (searched from its end, where
/// the aggregate of the event before usually is), in a hash map once it has
/// more than [`BatchVersions::FEW`], so that a batch of many aggregates is
/// checked in time linear in its length.
#[derive(Debug, Default)]
pub(crate) struct BatchVersions {
    few: Vec<(Uuid, u64)>,
    many: std::collections::HashMap<Uuid, u64, foldhash::fast::RandomState>,
}

impl BatchVersions {
    /// The most aggregates kept in the list.
    const FEW: usize = 16;

    /// The version of the aggregate's last event so far in the batch.
    pub(crate) fn previous(&self, originator_id: Uuid) -> Option<u64> {
        if !self.many.is_empty() {
            return self.many.get(&originator_id).copied();
        }
        self.few
            .iter()
            .rev()
            .find(|(id, _)| *id == originator_id)
            .map(|&(_, v)| v)
    }

    /// Records the version of the aggregate's event just taken.
    pub(crate) fn set(&mut self, originator_id: Uuid, version: u64) {
        if !self.many.is_empty() {
            self.many.insert(originator_id, version);
            return;
        }
        if let Some(entry) = self
            .few
            .iter_mut()
            .rev()
            .find(|(id, _)| *id == originator_id)
        {
            entry.1 = version;
        } else if self.few.len() < Self::FEW {
            self.few.push((originator_id, version));
        } else {
            self.many.extend(self.few.drain(..));
            self.many.insert(originator_id, version);
        }
    }
}

/// Checks that an event at `version` may follow `previous`, the version
/// before it (the highest stored, 0 when none, or the one before it in the
/// batch): it must be `previous + 1`.
///
/// # Errors
///
/// [`ErrorKind::VersionConflict`] for a version
/// at or below `previous` (above 0), [`ErrorKind::VersionGap`]
/// for any other.
pub(crate) fn check_next_version(
    originator_id: Uuid,
    originator_version: u64,
    previous: u64,
) -> Result<()> {
    match previous.checked_add(1) {
        Some(expected) if originator_version == expected => Ok(()),
        _ if originator_version != 0 && originator_version <= previous => {
            Err(ErrorKind::VersionConflict {
                originator_id,
                originator_version,
            }
            .into())
        }
        expected => Err(ErrorKind::VersionGap {
            originator_id,
            originator_version,
            expected: expected.unwrap_or(u64::MAX),
        }
        .into()),
    }
}

/// An [`AggregateRecorder`] that also keeps every event in one totally
/// ordered log of notifications, with ids from 1.
pub trait ApplicationRecorder: AggregateRecorder {
    /// Selects notifications in id order.
    ///
    /// # Errors
    ///
    /// Backend errors.
    fn select_notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>>;

    /// The highest notification id, or `None` when nothing is stored.
    ///
    /// # Errors
    ///
    /// Backend errors.
    fn max_notification_id(&self) -> Result<Option<u64>>;

    /// Where the log is kept, when another recorder may keep its log in the
    /// same place: the same text for two recorders of one table (for
    /// SQLite, the file's canonical path and the table). `None` when no
    /// other recorder can share it (a private in-memory store; PostgreSQL,
    /// whose tables are named after each application). A follower refuses
    /// to follow a leader in the same place, which would be following its
    /// own events.
    fn location(&self) -> Option<&str> {
        None
    }

    /// Follows the log: a blocking iterator over the notifications with
    /// ids above `gt` (all when `None`), of `topics` only when any are
    /// given, in id order, each once. It catches up with those recorded,
    /// then waits for new ones without using the CPU, until stopped (see
    /// [`Subscription`]).
    ///
    /// The in-memory recorder wakes it with a condition variable on each
    /// insert. SQLite does so for its own inserts, and sees other
    /// connections' and processes' commits by polling `PRAGMA data_version`
    /// with backoff (within `POLL_MAX`, 250 ms).
    /// PostgreSQL opens a connection of the subscription's own (outside
    /// the pool) and runs `LISTEN` on the table's channel here, before it
    /// catches up, so that no commit falls between the two; it waits on
    /// it `PG_WAIT_SLICE` (100 ms) at a time to
    /// notice a stop, and when the connection is lost it connects,
    /// listens and catches up again from the last id yielded.
    ///
    /// A recorder that cannot be told of commits may return
    /// [`Subscription::polling`] over itself.
    ///
    /// # Errors
    ///
    /// Backend errors opening what the subscription needs (PostgreSQL: its
    /// connection, or `LISTEN`).
    fn subscribe(&self, gt: Option<u64>, topics: &[&str]) -> Result<Subscription>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Across the list's limit and past it, each aggregate's previous
    /// version is the last one set for it, and none for one never set:
    /// batches of 1 to 100 aggregates, each aggregate's events spread
    /// through the batch.
    #[test]
    fn batch_versions_give_each_aggregate_its_last_version() {
        for aggregates in [1, 2, BatchVersions::FEW, BatchVersions::FEW + 1, 100] {
            let ids: Vec<Uuid> = (0..aggregates).map(|_| Uuid::new_v4()).collect();
            let mut batch = BatchVersions::default();
            let mut last = std::collections::HashMap::new();
            for round in 1..=3_u64 {
                for (n, id) in ids.iter().enumerate() {
                    assert_eq!(
                        batch.previous(*id),
                        last.get(id).copied(),
                        "{aggregates}, {n}"
                    );
                    let version = round * 10 + n as u64;
                    batch.set(*id, version);
                    last.insert(*id, version);
                    assert_eq!(batch.previous(*id), Some(version));
                }
            }
            assert_eq!(batch.previous(Uuid::new_v4()), None);
        }
    }
}
