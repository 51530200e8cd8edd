//! The aggregate cache: aggregates kept in memory after they are got, and
//! brought up to date from the store ("fast-forwarded") rather than rebuilt.
//!
//! Configured as the Python library configures it:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `AGGREGATE_CACHE_MAXSIZE` | unset or empty: no cache; 0 or below: no limit; above: the most aggregates kept, the least recently used dropped first | unset |
//! | `AGGREGATE_CACHE_FASTFORWARD` | whether a cached aggregate is brought up to date from the store each time it is got; without, it is updated only by this application's saves | `y` |
//! | `AGGREGATE_CACHE_FASTFORWARD_SKIPPING` | whether a get that finds another thread bringing the aggregate up to date returns it as cached rather than wait | `n` |
//!
//! A cached aggregate never lets a save through that the store would
//! refuse: every save is checked by the store, and an aggregate whose save
//! failed is dropped from the cache. Nor does a get return a version older
//! than one this application saved. A get returns a copy; a command run
//! through [`Application::update`](super::Application::update) changes the
//! cached aggregate itself, under the aggregate's lock, and puts it back only
//! once its events are saved.

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, TryLockError};

use lru::LruCache;
use uuid::Uuid;

use crate::Result;
use crate::persistence::Environment;

/// How an application caches aggregates (see the module docs).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    /// The most aggregates kept; `None` for no limit.
    pub maxsize: Option<NonZeroUsize>,
    /// Bring a cached aggregate up to date from the store each time it is got.
    pub fastforward: bool,
    /// Rather than wait for another thread to bring it up to date, return
    /// the aggregate as cached (never older than this application saved it).
    pub fastforward_skipping: bool,
}

impl CacheSettings {
    /// Reads `AGGREGATE_CACHE_MAXSIZE`, `AGGREGATE_CACHE_FASTFORWARD` and
    /// `AGGREGATE_CACHE_FASTFORWARD_SKIPPING`; `None` when there is to be
    /// no cache.
    ///
    /// ```
    /// use eventsmith::application::CacheSettings;
    /// use eventsmith::Environment;
    /// let env = Environment::isolated("Universe", [("AGGREGATE_CACHE_MAXSIZE", "100")]);
    /// let settings = CacheSettings::from_env(&env)?.unwrap();
    /// assert_eq!(settings.maxsize.map(|n| n.get()), Some(100));
    /// assert!(settings.fastforward && !settings.fastforward_skipping);
    /// let none: [(&str, &str); 0] = [];
    /// assert_eq!(CacheSettings::from_env(&Environment::isolated("Universe", none))?, None);
    /// # Ok::<(), eventsmith::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSetting`](crate::ErrorKind::InvalidSetting) naming the
    /// variable: a size that is not a whole number from -2^63 to 2^63 - 1,
    /// a flag that is not yes or no.
    pub fn from_env(env: &Environment) -> Result<Option<Self>> {
        let Some(maxsize) = env.integer("AGGREGATE_CACHE_MAXSIZE", i64::MIN, i64::MAX)? else {
            return Ok(None);
        };
        Ok(Some(Self {
            maxsize: usize::try_from(maxsize).ok().and_then(NonZeroUsize::new),
            fastforward: env.flag("AGGREGATE_CACHE_FASTFORWARD")?.unwrap_or(true),
            fastforward_skipping: env
                .flag("AGGREGATE_CACHE_FASTFORWARD_SKIPPING")?
                .unwrap_or(false),
        }))
    }
}

/// One cached aggregate.
#[derive(Debug, Default)]
pub(crate) struct Entry {
    /// Held while the aggregate is brought up to date, or changed.
    busy: Mutex<()>,
    /// The aggregate; `None` until it is got, and while a command runs on it.
    value: RwLock<Option<Box<dyn Any + Send + Sync>>>,
    /// The highest version of it this application saved.
    saved: AtomicU64,
}

impl Entry {
    /// Locks the entry for bringing it up to date or changing it.
    pub(crate) fn lock(&self) -> MutexGuard<'_, ()> {
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the entry if no other thread has it.
    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, ()>> {
        match self.busy.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// A copy of the cached aggregate, if it is an `A` and cached.
    pub(crate) fn copy<A: Clone + 'static>(&self) -> Option<A> {
        let value = self.value.read().unwrap_or_else(PoisonError::into_inner);
        value.as_ref()?.downcast_ref::<A>().cloned()
    }

    /// Takes the cached aggregate out, if it is an `A` (leaving nothing).
    pub(crate) fn take<A: Send + Sync + 'static>(&self) -> Option<Box<A>> {
        let mut value = self.value.write().unwrap_or_else(PoisonError::into_inner);
        match value.take()?.downcast::<A>() {
            Ok(aggregate) => Some(aggregate),
            Err(other) => {
                *value = Some(other);
                None
            }
        }
    }

    /// Empties the entry: the next get rebuilds the aggregate.
    pub(crate) fn clear(&self) {
        *self.value.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Puts the aggregate in.
    pub(crate) fn put<A: Send + Sync + 'static>(&self, aggregate: Box<A>) {
        *self.value.write().unwrap_or_else(PoisonError::into_inner) = Some(aggregate);
    }

    /// The version of the cached aggregate, if it is an `A` and cached.
    pub(crate) fn version<A: crate::domain::Aggregate>(&self) -> Option<u64> {
        let value = self.value.read().unwrap_or_else(PoisonError::into_inner);
        value.as_ref()?.downcast_ref::<A>().map(A::version)
    }

    /// Whether something other than an `A` is cached here.
    pub(crate) fn holds_other<A: 'static>(&self) -> bool {
        let value = self.value.read().unwrap_or_else(PoisonError::into_inner);
        value.as_ref().is_some_and(|v| !v.is::<A>())
    }

    /// Records that this application saved the aggregate at `version`.
    pub(crate) fn saved(&self, version: u64) {
        self.saved.fetch_max(version, Ordering::SeqCst);
    }

    /// The highest version of the aggregate this application saved.
    pub(crate) fn last_saved(&self) -> u64 {
        self.saved.load(Ordering::SeqCst)
    }
}

/// The cached aggregates of one application, by id.
#[derive(Debug)]
pub(crate) struct AggregateCache {
    settings: CacheSettings,
    entries: Mutex<LruCache<Uuid, Arc<Entry>>>,
}

impl AggregateCache {
    pub(crate) fn new(settings: CacheSettings) -> Self {
        Self {
            settings,
            // Unbounded, and trimmed by hand: a bounded one would set room
            // aside for `maxsize` entries at once, however large.
            entries: Mutex::new(LruCache::unbounded()),
        }
    }

    pub(crate) fn settings(&self) -> CacheSettings {
        self.settings
    }

    fn entries(&self) -> MutexGuard<'_, LruCache<Uuid, Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The entry of aggregate `id`, made (empty) when missing.
    ///
    /// A cache left over its size by entries held when it was trimmed is
    /// brought back to it here (the entry returned is held, so it stays).
    pub(crate) fn entry(&self, id: Uuid) -> Arc<Entry> {
        let mut entries = self.entries();
        // Trimmed to the size before an entry is added, and past it only
        // once the entry is filled: an aggregate that cannot be got (and is
        // forgotten) drops none.
        let found = entries.get(&id).map(Arc::clone);
        // `found` is held, so it stays.
        self.trim_entries(&mut entries);
        if let Some(entry) = found {
            return entry;
        }
        let entry = Arc::new(Entry::default());
        entries.put(id, Arc::clone(&entry));
        entry
    }

    /// Drops the least recently used entries past the size: called once
    /// an entry is filled, so that an aggregate that cannot be got drops
    /// none.
    ///
    /// An entry another thread holds (a command running on it, a get
    /// bringing it up to date, or about to) is not dropped: what that
    /// command saved would go into an entry no later get finds, while a get
    /// made a new one from the store's copy of before the save, and without
    /// fast-forwarding served it, older than this application saved it.
    /// The cache holds more than its size while every entry past it is
    /// held, and is trimmed again when the next entry is filled.
    pub(crate) fn trim(&self) {
        self.trim_entries(&mut self.entries());
    }

    /// Drops idle entries, least recently used first, until the cache is
    /// within its size.
    fn trim_entries(&self, entries: &mut LruCache<Uuid, Arc<Entry>>) {
        let Some(max) = self.settings.maxsize else {
            return;
        };
        while entries.len() > max.get() {
            // The map's own reference is the only one: nobody holds it.
            let idle = entries
                .iter()
                .rev()
                .find(|(_, entry)| Arc::strong_count(entry) == 1)
                .map(|(id, _)| *id);
            let Some(id) = idle else { break };
            entries.pop(&id);
        }
    }

    /// Drops the entry of aggregate `id`, if it is still `entry` (an
    /// aggregate that could not be got is not kept).
    pub(crate) fn forget(&self, id: Uuid, entry: &Arc<Entry>) {
        let mut entries = self.entries();
        if entries.peek(&id).is_some_and(|e| Arc::ptr_eq(e, entry)) {
            entries.pop(&id);
        }
    }

    /// The entry of aggregate `id`, if it is cached.
    pub(crate) fn existing(&self, id: Uuid) -> Option<Arc<Entry>> {
        self.entries().peek(&id).cloned()
    }

    /// How many aggregates are cached.
    pub(crate) fn len(&self) -> usize {
        self.entries().len()
    }
}
