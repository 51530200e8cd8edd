//! The application: where aggregates are saved and got back.

use std::num::NonZeroU64;
use std::sync::Arc;

use super::{CacheSettings, DEFAULT_SECTION_SIZE, NotificationLog, Repository};
use crate::domain::{Aggregate, Id};
use crate::infrastructure::Infrastructure;
use crate::persistence::{
    ApplicationRecorder, Environment, EventStore, Mapper, ProcessRecorder, SNAPSHOT_TOPIC,
    SnapshotRecorder, StoredEvent, Subscription, Transcodable,
};
use crate::{Error, ErrorKind, Result};

thread_local! {
    /// The list a save encodes its events into, kept empty between saves on
    /// this thread (a save that runs inside another, as a snapshot's might,
    /// finds none and makes its own).
    static ENCODED: std::cell::Cell<Vec<StoredEvent>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The most events whose list a thread keeps between saves: a big batch's
/// is let go rather than held.
const ENCODED_KEPT: usize = 64;

/// Runs `f` with this thread's list from its last save, emptied (a save of
/// a few events allocates no list for them), and keeps the list for the
/// next save unless it grew past [`ENCODED_KEPT`]. A save made while the
/// thread's locals are being destroyed (from another thread-local's
/// destructor) uses a list of its own.
fn with_encoded_list<R>(f: impl FnOnce(&mut Vec<StoredEvent>) -> R) -> R {
    let mut stored = ENCODED.try_with(std::cell::Cell::take).unwrap_or_default();
    let out = f(&mut stored);
    stored.clear();
    if stored.capacity() <= ENCODED_KEPT {
        // Gone when the thread's locals are: the list is then dropped.
        let _ = ENCODED.try_with(|list| list.set(stored));
    }
    out
}

/// Something whose pending events an application can save: every
/// [`Aggregate`] whose events are [`Transcodable`]. Object safe, so that
/// aggregates of different types can be saved together with
/// [`Application::save_all`].
pub trait Saveable: crate::sealed::Saveable {
    /// Encodes the pending events, without removing them.
    ///
    /// # Errors
    ///
    /// Encoding errors.
    fn encode_pending(&self, mapper: &Mapper, out: &mut Vec<StoredEvent>) -> Result<()>;

    /// Drops the pending events, once they are stored.
    fn clear_pending(&mut self);

    /// Tells the repository's cache that the aggregate was saved as it is.
    fn cache_saved(&self, repository: &Repository);

    /// Takes the snapshots the aggregate's type asks for (see
    /// [`Aggregate::SNAPSHOT_EVERY`]) at the versions of `saved`, the
    /// events just stored, once they are: from the aggregate itself at its
    /// own version, from the store at an earlier one.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::SnapshotNotTaken`], naming the snapshot, with the error of
    /// [`Application::take_snapshot`] as its source (a snapshot taken
    /// already, by another process, is no error).
    fn take_snapshots(&self, app: &Application, saved: &[StoredEvent]) -> Result<()>;
}

impl<A> crate::sealed::Saveable for A
where
    A: Aggregate,
    A::Event: Transcodable,
{
    fn id_and_version(&self) -> (uuid::Uuid, u64) {
        (self.id().uuid(), self.version())
    }
}

impl<A> Saveable for A
where
    A: Aggregate,
    A::Event: Transcodable,
{
    fn encode_pending(&self, mapper: &Mapper, out: &mut Vec<StoredEvent>) -> Result<()> {
        out.reserve(self.pending_events().len());
        for event in self.pending_events() {
            out.push(mapper.to_stored_event(event)?);
        }
        Ok(())
    }

    fn clear_pending(&mut self) {
        self.collect_events();
    }

    fn cache_saved(&self, repository: &Repository) {
        repository.saved(self);
    }

    fn take_snapshots(&self, app: &Application, saved: &[StoredEvent]) -> Result<()> {
        let (Some(every), Some(snapshots)) = (app.snapshot_interval::<A>(), &app.snapshots) else {
            return Ok(());
        };
        let id = self.id();
        for event in saved {
            let version = event.originator_version;
            if event.originator_id != id.uuid() || version.checked_rem(every.get()) != Some(0) {
                continue;
            }
            let taken = if version == self.version() {
                app.put_snapshot(snapshots, self)
            } else {
                app.take_snapshot(id, Some(version))
            };
            match taken {
                Ok(()) => {}
                // Taken already, by another process: the same state.
                Err(e) if matches!(e.kind(), ErrorKind::SnapshotConflict { .. }) => {}
                Err(e) => {
                    return Err(ErrorKind::SnapshotNotTaken {
                        originator_id: id.uuid(),
                        originator_version: version,
                        notification_ids: Vec::new(),
                        source: e,
                    }
                    .into());
                }
            }
        }
        Ok(())
    }
}

/// An event-sourced application: an event store, a repository over it, and
/// the notification log of everything stored.
///
/// Storage is chosen by the environment (see
/// `InfrastructureFactory`): in
/// memory by default, SQLite or PostgreSQL, optionally compressed and
/// encrypted. `Application` is `Send + Sync`; share it between threads with
/// an `Arc` or by reference.
#[derive(Debug, Clone)]
pub struct Application {
    env: Environment,
    pub(super) events: EventStore,
    pub(super) process: Option<Arc<dyn ProcessRecorder>>,
    snapshots: Option<Arc<dyn SnapshotRecorder>>,
    repository: Repository,
    log: NotificationLog,
    /// What the application says of its settings: a database named while
    /// events are kept in memory (see `infrastructure::memory_warning`).
    warning: Option<String>,
    /// Snapshot intervals set for this application, by aggregate type,
    /// over the schema's ([`Aggregate::SNAPSHOT_EVERY`]).
    snapshot_intervals: std::collections::HashMap<std::any::TypeId, Option<NonZeroU64>>,
}

impl Application {
    /// An application named `name` (its environment prefix is `name`
    /// upper-cased), configured from the process environment.
    ///
    /// # Errors
    ///
    /// An unknown value, a missing required variable or a malformed key,
    /// naming the variable; connection errors.
    #[doc(hidden)]
    pub fn new(name: &str) -> Result<Self> {
        Self::from_env(Environment::new(
            name,
            std::iter::empty::<(String, String)>(),
        ))
    }

    /// An application configured from `env`.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn from_env(env: Environment) -> Result<Self> {
        let infrastructure = Infrastructure::from_env(&env)?;
        let cache = CacheSettings::from_env(&env)?;
        let warning = crate::infrastructure::memory_warning(&env)?;
        let mut app = Self::with_infrastructure(env, infrastructure);
        app.warning = warning;
        if let Some(settings) = cache {
            app.repository = app.repository.with_cache(settings);
        }
        Ok(app)
    }

    /// An application over infrastructure made elsewhere.
    #[doc(hidden)]
    pub fn with_infrastructure(env: Environment, infrastructure: Infrastructure) -> Self {
        let Infrastructure {
            mapper,
            recorder,
            snapshots,
            process,
        } = infrastructure;
        let events = EventStore::new(mapper, recorder.clone()).named(env.name());
        let mut repository = Repository::new(events.clone());
        if let Some(snapshots) = &snapshots {
            repository = repository.with_snapshots(snapshots.clone());
        }
        Self {
            env,
            repository,
            log: NotificationLog::new(recorder, DEFAULT_SECTION_SIZE)
                .reporting_with(events.instruments()),
            events,
            snapshots,
            process,
            warning: None,
            snapshot_intervals: std::collections::HashMap::new(),
        }
    }

    /// The application's name.
    pub fn name(&self) -> &str {
        self.env.name()
    }

    /// The settings the application was made with.
    #[doc(hidden)]
    pub fn env(&self) -> &Environment {
        &self.env
    }

    /// The repository, to get aggregates back.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The notification log of every stored event.
    pub fn log(&self) -> &NotificationLog {
        &self.log
    }

    /// Follows the application's log: every notification with an id above
    /// `gt` (all when `None`), of `topics` only when any are given, in
    /// order, each once; it catches up, then blocks for new ones until
    /// stopped (see [`Subscription`] and [`ApplicationRecorder::subscribe`]
    /// for what each backend does). How another application follows this
    /// one's events.
    ///
    /// ```
    /// use eventsmith::{Application, Environment};
    /// let app = Application::from_env(Environment::isolated("Followed", std::iter::empty::<(&str, &str)>()))?;
    /// let mut subscription = app.subscribe(None, &[])?;
    /// let stopper = subscription.stopper();
    /// let follower = std::thread::spawn(move || subscription.next().is_none());
    /// stopper.stop();
    /// assert!(follower.join().unwrap());
    /// # Ok::<(), eventsmith::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Backend errors opening the subscription.
    pub fn subscribe(&self, gt: Option<u64>, topics: &[&str]) -> Result<Subscription> {
        self.log.subscribe(gt, topics)
    }

    /// The event store.
    #[doc(hidden)]
    pub fn event_store(&self) -> &EventStore {
        &self.events
    }

    /// The recorder.
    pub fn recorder(&self) -> &Arc<dyn ApplicationRecorder> {
        self.events.recorder()
    }

    /// Saves an aggregate's pending events, all or none, and returns their
    /// notification ids. The pending events are dropped only once stored: a
    /// failed save leaves the aggregate as it was. Then, when the
    /// application keeps snapshots, takes those the aggregate's type asks
    /// for (see [`Aggregate::SNAPSHOT_EVERY`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::VersionConflict`] when another save got there first
    /// (nothing is stored); encoding and backend errors.
    /// [`ErrorKind::SnapshotNotTaken`] when the events were stored and a
    /// snapshot was not: the save must not be repeated.
    pub fn save<A: Saveable + ?Sized>(&self, aggregate: &mut A) -> Result<Vec<u64>> {
        self.store(aggregate, true)
    }

    /// Saves, telling the cache when `tell_cache` (not when the cache's
    /// own entry is being saved, locked).
    fn store<A: Saveable + ?Sized>(&self, aggregate: &mut A, tell_cache: bool) -> Result<Vec<u64>> {
        with_encoded_list(|stored| self.store_encoded(aggregate, tell_cache, stored))
    }

    /// Encodes the aggregate's pending events into `stored` (empty) and
    /// saves them, as [`store`](Self::store).
    fn store_encoded<A: Saveable + ?Sized>(
        &self,
        aggregate: &mut A,
        tell_cache: bool,
        stored: &mut Vec<StoredEvent>,
    ) -> Result<Vec<u64>> {
        aggregate.encode_pending(self.events.mapper(), stored)?;
        if stored.is_empty() {
            return Ok(Vec::new());
        }
        // Given to a save: however it ends, its events were not forgotten.
        crate::domain::unsaved::given_to_save(aggregate.id_and_version());
        let ids = self.events.put_stored(stored).inspect_err(|e| {
            // The cache's own entry, being saved, is locked by this thread
            // (and dropped by `update` when the save fails).
            if tell_cache {
                self.repository.conflicted(e);
            }
        })?;
        aggregate.clear_pending();
        if tell_cache {
            aggregate.cache_saved(&self.repository);
        }
        match aggregate.take_snapshots(self, stored) {
            Ok(()) => Ok(ids),
            Err(e) => Err(snapshot_not_taken(e, ids)),
        }
    }

    /// Saves the pending events of several aggregates in one atomic batch:
    /// all are stored, or none.
    ///
    /// # Errors
    ///
    /// As [`save`](Self::save).
    pub fn save_all(&self, aggregates: &mut [&mut dyn Saveable]) -> Result<Vec<u64>> {
        with_encoded_list(|stored| {
            for aggregate in aggregates.iter() {
                aggregate.encode_pending(self.events.mapper(), stored)?;
                crate::domain::unsaved::given_to_save(aggregate.id_and_version());
            }
            if stored.is_empty() {
                return Ok(Vec::new());
            }
            let ids = self
                .events
                .put_stored(stored)
                .inspect_err(|e| self.repository.conflicted(e))?;
            self.after_store(aggregates, stored, ids)
        })
    }

    /// Once `stored`, the aggregates' pending events, are stored (as
    /// `ids`): drops them, tells the cache, takes the snapshots due.
    pub(super) fn after_store(
        &self,
        aggregates: &mut [&mut dyn Saveable],
        stored: &[StoredEvent],
        ids: Vec<u64>,
    ) -> Result<Vec<u64>> {
        for aggregate in aggregates.iter_mut() {
            aggregate.clear_pending();
            aggregate.cache_saved(&self.repository);
        }
        for aggregate in aggregates.iter() {
            if let Err(e) = aggregate.take_snapshots(self, stored) {
                return Err(snapshot_not_taken(e, ids));
            }
        }
        Ok(ids)
    }

    /// Runs `command` on the aggregate `id` and saves the events it
    /// triggers: what a generated facade's command methods do. With the
    /// aggregate cache, the command runs on the cached aggregate itself,
    /// locked (so commands on one aggregate run one at a time in this
    /// application), brought up to date first when fast-forwarding; it is
    /// put back only once its events are saved, and dropped otherwise (then
    /// got again from the store next time). Without the cache, the
    /// aggregate is got, changed and saved.
    ///
    /// # Errors
    ///
    /// As [`Repository::get`]; the error `command` returns (nothing is
    /// saved); as [`save`](Self::save).
    pub fn update<A, T>(&self, id: Id<A>, command: impl FnOnce(&mut A) -> Result<T>) -> Result<T>
    where
        A: Aggregate,
        A::Event: Transcodable,
    {
        let Some(cache) = self.repository.cache() else {
            let mut aggregate = self.repository.get(id)?;
            let out = command(&mut aggregate)?;
            self.save(&mut aggregate)?;
            return Ok(out);
        };
        let entry = cache.entry(id.uuid());
        let _busy = entry.lock();
        let fastforward = cache.settings().fastforward;
        self.repository
            .refresh::<A>(cache, &entry, id, fastforward)?;
        let Some(mut aggregate) = entry.take::<A>() else {
            // Something other than an `A` is cached under this id.
            let mut aggregate = self.repository.get(id)?;
            let out = command(&mut aggregate)?;
            self.save(&mut aggregate)?;
            return Ok(out);
        };
        let before = aggregate.version();
        let unchanged = |a: &A| a.version() == before && a.pending_events().is_empty();
        let out = match command(&mut aggregate) {
            Ok(out) => out,
            Err(e) => {
                // Put back only what the command left as it was.
                if unchanged(&aggregate) {
                    entry.put(aggregate);
                }
                return Err(e);
            }
        };
        let triggered = u64::try_from(aggregate.pending_events().len()).unwrap_or(u64::MAX);
        let result = self.store(&mut *aggregate, false);
        let stored = match &result {
            Ok(_) => Some(triggered),
            Err(e) if matches!(e.kind(), ErrorKind::SnapshotNotTaken { .. }) => Some(triggered),
            Err(_) => None,
        };
        // Kept only as the store has it: every event it triggered saved,
        // none collected and dropped.
        if stored.is_some_and(|n| before.checked_add(n) == Some(aggregate.version())) {
            entry.saved(aggregate.version());
            entry.put(aggregate);
        }
        result.map(|_| out)
    }

    /// Where the application keeps snapshots, when it does
    /// (`IS_SNAPSHOTTING_ENABLED`, or a schema whose aggregates take them).
    /// Like the recorder, not for generated facades to hand out: a
    /// snapshot stored here is what later gets start from.
    #[doc(hidden)]
    pub fn snapshots(&self) -> Option<&Arc<dyn SnapshotRecorder>> {
        self.snapshots.as_ref()
    }

    /// Snapshots aggregates of type `A` every `every` versions when they
    /// are saved (`None`: only when asked), in this application, rather
    /// than as the schema says: the Python library's
    /// `snapshotting_intervals`, which each application class sets.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::SnapshottingDisabled`] for an interval when the
    /// application keeps no snapshots (`IS_SNAPSHOTTING_ENABLED`).
    pub fn set_snapshot_interval<A: Aggregate>(&mut self, every: Option<NonZeroU64>) -> Result<()> {
        if every.is_some() && self.snapshots.is_none() {
            return Err(ErrorKind::SnapshottingDisabled.into());
        }
        self.snapshot_intervals
            .insert(std::any::TypeId::of::<A>(), every);
        Ok(())
    }

    /// Every how many versions aggregates of type `A` are snapshotted when
    /// saved: as set for this application, or as the schema says.
    pub(crate) fn snapshot_interval<A: Aggregate>(&self) -> Option<NonZeroU64> {
        self.snapshot_intervals
            .get(&std::any::TypeId::of::<A>())
            .copied()
            .unwrap_or(A::SNAPSHOT_EVERY)
    }

    /// Takes a snapshot of the aggregate `id` as stored at `version` (as it
    /// is now, when `None`) and stores it: the Python library's
    /// `take_snapshot`. Later gets of the aggregate at or above that
    /// version start from it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::SnapshottingDisabled`] when the application keeps no
    /// snapshots; [`ErrorKind::SnapshotConflict`] when the aggregate has a
    /// snapshot at that version already; [`ErrorKind::NoSuchVersion`] for
    /// a version above the aggregate's; as [`Repository::get_at`].
    pub fn take_snapshot<A>(&self, id: Id<A>, version: Option<u64>) -> Result<()>
    where
        A: Aggregate,
        A::Event: Transcodable,
    {
        let Some(snapshots) = &self.snapshots else {
            return Err(ErrorKind::SnapshottingDisabled.into());
        };
        let aggregate = self.repository.get_at(id, version)?;
        if let Some(version) = version.filter(|v| *v > aggregate.version()) {
            return Err(ErrorKind::NoSuchVersion {
                originator_id: id.uuid(),
                version,
                latest: aggregate.version(),
            }
            .into());
        }
        self.put_snapshot(snapshots, &aggregate)
    }

    /// Stores a snapshot of `aggregate` as it is.
    fn put_snapshot<A: Aggregate>(
        &self,
        snapshots: &Arc<dyn SnapshotRecorder>,
        aggregate: &A,
    ) -> Result<()> {
        let _span = self
            .events
            .instruments()
            .snapshot_span(aggregate.id().uuid())
            .entered();
        let mut json = Vec::with_capacity(256);
        aggregate.write_snapshot(&mut json)?;
        snapshots
            .insert_snapshot(&StoredEvent {
                originator_id: aggregate.id().uuid(),
                originator_version: aggregate.version(),
                topic: std::borrow::Cow::Borrowed(SNAPSHOT_TOPIC),
                state: self.events.mapper().encode_bytes(json),
            })
            .map_err(|e| match e.into_kind() {
                // The recorders' conflict, said as what it is.
                ErrorKind::VersionConflict {
                    originator_id,
                    originator_version,
                } => ErrorKind::SnapshotConflict {
                    originator_id,
                    originator_version,
                }
                .into(),
                other => other.into(),
            })
    }
}

/// The error of a save whose events were stored and whose snapshot was
/// not, with the notification ids of the events.
fn snapshot_not_taken(error: Error, ids: Vec<u64>) -> Error {
    if !matches!(error.kind(), ErrorKind::SnapshotNotTaken { .. }) {
        return error;
    }
    match error.into_kind() {
        ErrorKind::SnapshotNotTaken {
            originator_id,
            originator_version,
            source,
            ..
        } => ErrorKind::SnapshotNotTaken {
            originator_id,
            originator_version,
            notification_ids: ids,
            source,
        }
        .into(),
        other => other.into(),
    }
}
