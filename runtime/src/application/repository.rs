//! The repository: aggregates rebuilt from their stored events.

use std::sync::Arc;

use super::cache::{AggregateCache, CacheSettings, Entry};
use crate::domain::{Aggregate, DomainEvent, Id};
use crate::persistence::{
    EventQuery, EventStore, SNAPSHOT_TOPIC, SnapshotRecorder, Transcodable, rewrite_non_finite,
};
use crate::{ErrorKind, Result};

/// Gets aggregates by replaying their stored events, from their latest
/// snapshot when the application keeps snapshots, and keeps them in its
/// cache when the application has one.
#[derive(Debug, Clone)]
pub struct Repository {
    events: EventStore,
    snapshots: Option<Arc<dyn SnapshotRecorder>>,
    cache: Option<Arc<AggregateCache>>,
}

impl Repository {
    /// A repository over an event store.
    #[doc(hidden)]
    pub fn new(events: EventStore) -> Self {
        Self {
            events,
            snapshots: None,
            cache: None,
        }
    }

    /// The same repository, keeping the aggregates it gets in a cache.
    pub(crate) fn with_cache(mut self, settings: CacheSettings) -> Self {
        self.cache = Some(Arc::new(AggregateCache::new(settings)));
        self
    }

    /// How the repository caches aggregates, if it does.
    #[doc(hidden)]
    pub fn cache_settings(&self) -> Option<CacheSettings> {
        self.cache.as_ref().map(|c| c.settings())
    }

    /// How many aggregates the cache holds (0 without one).
    #[doc(hidden)]
    pub fn cached(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.len())
    }

    pub(crate) fn cache(&self) -> Option<&AggregateCache> {
        self.cache.as_deref()
    }

    /// The same repository, starting from the latest snapshot in
    /// `snapshots` at or below the version asked for.
    pub(crate) fn with_snapshots(mut self, snapshots: Arc<dyn SnapshotRecorder>) -> Self {
        self.snapshots = Some(snapshots);
        self
    }

    /// The aggregate `id` as it is now: a copy of the cached one, brought
    /// up to date, when the application caches aggregates.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AggregateNotFound`] when no event is stored for `id`; decoding
    /// and mutation errors naming the event; backend errors.
    pub fn get<A>(&self, id: Id<A>) -> Result<A>
    where
        A: Aggregate,
        A::Event: Transcodable,
    {
        match &self.cache {
            Some(cache) => self.get_cached(cache, id),
            None => self.rebuild(id, None),
        }
    }

    /// A copy of the cached aggregate `id`, brought up to date first (unless
    /// another thread is at it and skipping is on).
    fn get_cached<A>(&self, cache: &AggregateCache, id: Id<A>) -> Result<A>
    where
        A: Aggregate,
        A::Event: Transcodable,
    {
        let entry = cache.entry(id.uuid());
        if entry.holds_other::<A>() {
            return self.rebuild(id, None);
        }
        let settings = cache.settings();
        if settings.fastforward && settings.fastforward_skipping && entry.try_lock().is_none() {
            // Another thread is bringing it up to date: as cached will do,
            // unless this application saved a later version.
            if let Some(aggregate) = entry.copy::<A>()
                && aggregate.version() >= entry.last_saved()
            {
                return Ok(aggregate);
            }
        }
        let _busy = entry.lock();
        self.refresh::<A>(cache, &entry, id, settings.fastforward)?;
        entry.copy::<A>().ok_or(
            ErrorKind::AggregateNotFound {
                aggregate_id: id.uuid(),
                version: None,
            }
            .into(),
        )
    }

    /// Brings the cached aggregate up to date, with the entry locked:
    /// rebuilds it when it is not cached, and reads the events after its
    /// version when `fastforward`. An aggregate that cannot be brought up
    /// to date is dropped from the cache.
    pub(crate) fn refresh<A>(
        &self,
        cache: &AggregateCache,
        entry: &Arc<Entry>,
        id: Id<A>,
        fastforward: bool,
    ) -> Result<()>
    where
        A: Aggregate,
        A::Event: Transcodable,
    {
        let Some(version) = entry.version::<A>() else {
            return match self.rebuild(id, None) {
                Ok(aggregate) => {
                    entry.put(Box::new(aggregate));
                    cache.trim();
                    Ok(())
                }
                Err(e) => {
                    cache.forget(id.uuid(), entry);
                    Err(e)
                }
            };
        };
        if !fastforward {
            return Ok(());
        }
        let newer: Vec<A::Event> = self.events.get(id.uuid(), EventQuery::new().gt(version))?;
        if newer.is_empty() {
            return Ok(());
        }
        let Some(aggregate) = entry.take::<A>() else {
            return Ok(());
        };
        let mut aggregate = *aggregate;
        for event in newer {
            // On an error the aggregate is dropped, and got again next time.
            aggregate = event.mutate(Some(aggregate))?;
        }
        entry.put(Box::new(aggregate));
        Ok(())
    }

    /// After a save refused with `error`: when it is a version conflict,
    /// the cached copy of that aggregate is stale (another writer got
    /// there first), so it is emptied, under its lock, and the next get
    /// rebuilds it from the store. Without fast-forwarding, every retry
    /// of a command would otherwise get the same stale copy and conflict
    /// again.
    pub(crate) fn conflicted(&self, error: &crate::Error) {
        let (Some(cache), ErrorKind::VersionConflict { originator_id, .. }) =
            (&self.cache, error.kind())
        else {
            return;
        };
        if let Some(entry) = cache.existing(*originator_id) {
            let _busy = entry.lock();
            entry.clear();
        }
    }

    /// Records that this application saved `aggregate`: a cached copy is
    /// not served older than it, and without fast-forwarding it is cached
    /// as saved.
    pub(crate) fn saved<A: Aggregate>(&self, aggregate: &A) {
        let Some(cache) = &self.cache else { return };
        let Some(entry) = cache.existing(aggregate.id().uuid()) else {
            return;
        };
        entry.saved(aggregate.version());
        if !cache.settings().fastforward {
            let _busy = entry.lock();
            if entry.version::<A>().is_none_or(|v| v < aggregate.version()) {
                let mut copy = aggregate.clone();
                copy.collect_events();
                entry.put(Box::new(copy));
            }
        }
    }

    /// The aggregate `id` as it was at `version` (the tutorial's
    /// `repository.get(world_id, version=3)`), or as it is now when `None`:
    /// read from its latest snapshot at or below that version, if there is
    /// one, then each later event applied.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get); [`ErrorKind::AggregateNotFound`] also when the
    /// aggregate has no event at or below `version`; a snapshot that
    /// cannot be read, naming it.
    pub fn get_at<A>(&self, id: Id<A>, version: Option<u64>) -> Result<A>
    where
        A: Aggregate,
        A::Event: Transcodable,
    {
        match version {
            None => self.get(id),
            Some(_) => self.rebuild(id, version),
        }
    }

    /// The aggregate from its latest snapshot at or below `version`, and
    /// the events after it.
    fn rebuild<A>(&self, id: Id<A>, version: Option<u64>) -> Result<A>
    where
        A: Aggregate,
        A::Event: Transcodable,
    {
        self.events.instruments().get(id.uuid(), version, || {
            let mut aggregate = self.snapshot(id, version)?;
            let query = EventQuery {
                gt: aggregate.as_ref().map(Aggregate::version),
                lte: version,
                ..EventQuery::new()
            };
            // Each event is applied as it is decoded, and dropped.
            let mut replayed: u64 = 0;
            let apply = |event: A::Event| {
                aggregate = Some(event.mutate(aggregate.take())?);
                replayed = replayed.saturating_add(1);
                Ok(())
            };
            if A::READS_EVENT_TIMES {
                self.events.for_each(id.uuid(), query, apply)?;
            } else {
                self.events.for_each_untimed(id.uuid(), query, apply)?;
            }
            let aggregate = aggregate.ok_or(ErrorKind::AggregateNotFound {
                aggregate_id: id.uuid(),
                version,
            })?;
            Ok((aggregate, replayed))
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
        let (at, topic) = (snapshot.originator_version, &*snapshot.topic);
        if topic != SNAPSHOT_TOPIC {
            return Err(ErrorKind::UnknownTopic {
                topic: topic.to_owned(),
                originator_id: id.uuid(),
                originator_version: at,
                expected: SNAPSHOT_TOPIC.to_owned(),
            }
            .into());
        }
        let json = self
            .events
            .mapper()
            .decode_bytes(id.uuid(), at, &snapshot.state)?;
        A::from_snapshot(id, at, &rewrite_non_finite(&json)).map(Some)
    }

    /// Whether any event is stored for `id`.
    ///
    /// # Errors
    ///
    /// Backend errors.
    #[doc(hidden)]
    pub fn contains<A: ?Sized>(&self, id: Id<A>) -> Result<bool> {
        Ok(!self
            .events
            .recorder()
            .select_events(id.uuid(), EventQuery::new().limit(1))?
            .is_empty())
    }
}
