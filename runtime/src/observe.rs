//! What the runtime reports as it works: `tracing` spans at its boundaries
//! (a save, a get, a snapshot, a notification processed, a subscription, a
//! connection), and metrics through the `metrics` facade. A service sees
//! them by installing a `tracing` subscriber and a `metrics` recorder
//! (before it makes its applications: an application registers its metrics
//! when it is made). With neither installed, each costs a check of a
//! static. No field holds a secret: no password, key, state or setting.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use metrics::{Counter, Gauge, Histogram};

use crate::persistence::StoredEvent;
use crate::{ErrorKind, Result};

/// Whether the runtime reports anything: on, unless a benchmark turns it
/// off to measure what reporting costs.
static REPORTING: AtomicBool = AtomicBool::new(true);

/// Turns reporting (spans and metrics) on or off, for the benchmark that
/// measures its cost side by side.
pub fn set_reporting(on: bool) {
    REPORTING.store(on, Ordering::Relaxed);
}

fn reporting() -> bool {
    REPORTING.load(Ordering::Relaxed)
}

/// The metrics' names, and what each measures.
pub(crate) mod names {
    /// Saves that stored events (counter; `application`, `backend`).
    pub(crate) const SAVES: &str = "eventsmith_saves_total";
    /// Events stored (counter; `application`, `backend`).
    pub(crate) const EVENTS_SAVED: &str = "eventsmith_events_saved_total";
    /// Saves refused because another got there first (counter).
    pub(crate) const CONFLICTS: &str = "eventsmith_save_conflicts_total";
    /// How long a save to a database took, in seconds (histogram).
    pub(crate) const SAVE_SECONDS: &str = "eventsmith_save_seconds";
    /// Aggregates read from the store (counter).
    pub(crate) const GETS: &str = "eventsmith_gets_total";
    /// How long reading an aggregate from a database took (histogram).
    pub(crate) const GET_SECONDS: &str = "eventsmith_get_seconds";
    /// Events replayed into aggregates (counter).
    pub(crate) const EVENTS_REPLAYED: &str = "eventsmith_events_replayed_total";
    /// Notifications a follower processed (counter; `follower`, `leader`).
    pub(crate) const PROCESSED: &str = "eventsmith_notifications_processed_total";
    /// The last notification a follower processed (gauge).
    pub(crate) const POSITION: &str = "eventsmith_follower_position";
    /// The leader's notifications a follower has still to process, when
    /// last asked (gauge; set by each `lag()`).
    pub(crate) const LAG: &str = "eventsmith_follower_lag";
}

/// An application's instruments, registered when it is made.
#[derive(Clone)]
pub(crate) struct Instruments {
    application: Arc<str>,
    backend: &'static str,
    saves: Counter,
    events_saved: Counter,
    conflicts: Counter,
    save_seconds: Histogram,
    gets: Counter,
    get_seconds: Histogram,
    events_replayed: Counter,
}

impl std::fmt::Debug for Instruments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instruments")
            .field("application", &self.application)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Instruments {
    /// The instruments of the application `application` on `backend`.
    pub(crate) fn new(application: &str, backend: &'static str) -> Self {
        let labels = [
            ("application", application.to_owned()),
            ("backend", backend.to_owned()),
        ];
        Self {
            application: application.into(),
            backend,
            saves: metrics::counter!(names::SAVES, &labels),
            events_saved: metrics::counter!(names::EVENTS_SAVED, &labels),
            conflicts: metrics::counter!(names::CONFLICTS, &labels),
            save_seconds: metrics::histogram!(names::SAVE_SECONDS, &labels),
            gets: metrics::counter!(names::GETS, &labels),
            get_seconds: metrics::histogram!(names::GET_SECONDS, &labels),
            events_replayed: metrics::counter!(names::EVENTS_REPLAYED, &labels),
        }
    }

    /// Spans only, no metrics: for an event store or log made on its own,
    /// outside an application (which registers its metrics by name).
    pub(crate) fn unnamed(backend: &'static str) -> Self {
        Self {
            application: "".into(),
            backend,
            saves: Counter::noop(),
            events_saved: Counter::noop(),
            conflicts: Counter::noop(),
            save_seconds: Histogram::noop(),
            gets: Counter::noop(),
            get_seconds: Histogram::noop(),
            events_replayed: Counter::noop(),
        }
    }

    /// A clock reading, where the backend is a database: in memory a save
    /// takes a few clock readings' time, and its latency means nothing.
    fn start(&self) -> Option<Instant> {
        (self.backend != "memory").then(Instant::now)
    }

    /// Stores `events` by `store`, inside a span `eventsmith.save` (the
    /// application, backend, first aggregate id and version, how many
    /// events, and the first notification id once stored), counted.
    pub(crate) fn save(
        &self,
        events: &[StoredEvent],
        store: impl FnOnce() -> Result<Vec<u64>>,
    ) -> Result<Vec<u64>> {
        // A follower's position moving on alone stores no event: not a save.
        if !reporting() || events.is_empty() {
            return store();
        }
        let first = events.first();
        let span = tracing::debug_span!(
            "eventsmith.save",
            application = &*self.application,
            backend = self.backend,
            aggregate_id = first.map(|e| tracing::field::display(e.originator_id)),
            version = first.map(|e| e.originator_version),
            events = events.len(),
            notification_id = tracing::field::Empty,
        );
        let _entered = span.enter();
        let started = self.start();
        let result = store();
        match &result {
            Ok(ids) => {
                self.saves.increment(1);
                self.events_saved
                    .increment(u64::try_from(ids.len()).unwrap_or(u64::MAX));
                if let Some(id) = ids.first() {
                    span.record("notification_id", id);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::VersionConflict { .. } | ErrorKind::TrackingConflict { .. }
                ) =>
            {
                self.conflicts.increment(1);
            }
            Err(_) => {}
        }
        if let Some(started) = started {
            self.save_seconds.record(started.elapsed());
        }
        result
    }

    /// Reads an aggregate by `read`, which returns how many events it
    /// replayed, inside a span `eventsmith.get` (the application, backend,
    /// aggregate id, the version asked for, and the events replayed).
    pub(crate) fn get<T>(
        &self,
        aggregate_id: uuid::Uuid,
        version: Option<u64>,
        read: impl FnOnce() -> Result<(T, u64)>,
    ) -> Result<T> {
        if !reporting() {
            return read().map(|(value, _)| value);
        }
        let span = tracing::debug_span!(
            "eventsmith.get",
            application = &*self.application,
            backend = self.backend,
            aggregate_id = %aggregate_id,
            version,
            replayed = tracing::field::Empty,
        );
        let _entered = span.enter();
        let started = self.start();
        let result = read();
        if let Ok((_, replayed)) = &result {
            self.gets.increment(1);
            self.events_replayed.increment(*replayed);
            span.record("replayed", replayed);
        }
        if let Some(started) = started {
            self.get_seconds.record(started.elapsed());
        }
        result.map(|(value, _)| value)
    }

    /// A span `eventsmith.snapshot` for a snapshot of `aggregate_id`.
    pub(crate) fn snapshot_span(&self, aggregate_id: uuid::Uuid) -> tracing::Span {
        if !reporting() {
            return tracing::Span::none();
        }
        tracing::debug_span!(
            "eventsmith.snapshot",
            application = &*self.application,
            backend = self.backend,
            aggregate_id = %aggregate_id,
        )
    }

    /// A span `eventsmith.subscribe`, for opening a subscription.
    pub(crate) fn subscribe_span(&self, after: Option<u64>) -> tracing::Span {
        if !reporting() {
            return tracing::Span::none();
        }
        tracing::debug_span!(
            "eventsmith.subscribe",
            application = &*self.application,
            backend = self.backend,
            after,
        )
    }
}

/// A follower's instruments for one pass over its leader's log.
pub(crate) struct Following {
    follower: Arc<str>,
    leader: Arc<str>,
    processed: Counter,
    position: Gauge,
}

impl Following {
    /// Registers (or finds) the metrics of `follower` following `leader`.
    pub(crate) fn new(follower: &str, leader: &str) -> Self {
        let labels = [
            ("follower", follower.to_owned()),
            ("leader", leader.to_owned()),
        ];
        Self {
            follower: follower.into(),
            leader: leader.into(),
            processed: metrics::counter!(names::PROCESSED, &labels),
            position: metrics::gauge!(names::POSITION, &labels),
        }
    }

    /// Processes one notification by `process`, inside a span
    /// `eventsmith.process` (follower, leader, notification id, topic),
    /// counted and recorded as the position when it is processed.
    pub(crate) fn process(
        &self,
        notification_id: u64,
        topic: &str,
        process: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        if !reporting() {
            return process();
        }
        let span = tracing::debug_span!(
            "eventsmith.process",
            follower = &*self.follower,
            leader = &*self.leader,
            notification_id,
            topic,
        );
        let _entered = span.enter();
        let result = process();
        if result.is_ok() {
            self.processed.increment(1);
            self.position.set(gauge_value(notification_id));
        }
        result
    }
}

/// `n` as a gauge's `f64`: exact to 2^53, the nearest above.
fn gauge_value(n: u64) -> f64 {
    let high = u32::try_from(n >> 32).unwrap_or(u32::MAX);
    let low = u32::try_from(n & u64::from(u32::MAX)).unwrap_or(u32::MAX);
    f64::from(high) * 4_294_967_296.0 + f64::from(low)
}

/// Sets the lag gauge of `follower` following `leader`.
pub(crate) fn record_lag(follower: &str, leader: &str, lag: u64) {
    if !reporting() {
        return;
    }
    let labels = [
        ("follower", follower.to_owned()),
        ("leader", leader.to_owned()),
    ];
    metrics::gauge!(names::LAG, &labels).set(gauge_value(lag));
}

/// A span `eventsmith.connect`, for opening a connection to `host:port`
/// (never the password).
#[cfg_attr(not(feature = "postgres"), expect(dead_code))]
pub(crate) fn connect_span(endpoint: &str, database: &str, user: &str) -> tracing::Span {
    if !reporting() {
        return tracing::Span::none();
    }
    tracing::debug_span!(
        "eventsmith.connect",
        backend = "postgres",
        endpoint,
        database,
        user,
    )
}
