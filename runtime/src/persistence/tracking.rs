//! Tracking: how far an application has processed another application's
//! notification log, recorded as the Python library records it, and
//! recorded with the events that processing produced, in one transaction.
//!
//! A [`Tracking`] is an application's name and a notification id. Tracking
//! is single-row, as the Python library's default (`SINGLE_ROW_TRACKING`
//! true): one row per application name, holding the highest id recorded; a
//! tracking record at or below it is refused
//! ([`ErrorKind::TrackingConflict`], Python's `IntegrityError`). The tables:
//!
//! | backend | table | columns | primary key |
//! |---|---|---|---|
//! | SQLite | `tracking` (`WITHOUT ROWID`) | `application_name TEXT, notification_id INTEGER` | `(application_name)` |
//! | PostgreSQL | `<application name lowercased>_tracking` (`notification_tracking` unnamed), with the library's autovacuum options | `application_name text, notification_id bigint` | `(application_name)` |
//!
//! When it creates a table, the Python library records the tracking
//! `("__migration__", 1)` in it, to mark it single-row; so does the runtime
//! ([`MIGRATION_APPLICATION_NAME`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use super::{ApplicationRecorder, InMemoryRecorder, StoredEvent};
use crate::{Error, ErrorKind, Result};

/// The position of a notification in an application's notification log:
/// the application's name and the notification's id (Python's `Tracking`).
///
/// ```
/// use eventsmith::persistence::Tracking;
/// let tracking = Tracking::new("Universe", 3);
/// assert_eq!((tracking.application_name.as_str(), tracking.notification_id), ("Universe", 3));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tracking {
    /// The name of the application whose log was read.
    pub application_name: String,
    /// The id of the notification processed.
    pub notification_id: u64,
}

impl Tracking {
    /// The tracking of notification `notification_id` of `application_name`.
    pub fn new(application_name: impl Into<String>, notification_id: u64) -> Self {
        Self {
            application_name: application_name.into(),
            notification_id,
        }
    }
}

/// Records tracking (Python's `TrackingRecorder`).
///
/// ```
/// use std::time::Duration;
/// use eventsmith::persistence::{InMemoryRecorder, Tracking, TrackingRecorder};
/// let recorder = InMemoryRecorder::new();
/// assert_eq!(recorder.max_tracking_id("Upstream")?, None);
/// recorder.insert_tracking(&Tracking::new("Upstream", 2))?;
/// assert_eq!(recorder.max_tracking_id("Upstream")?, Some(2));
/// assert!(recorder.has_tracking_id("Upstream", Some(1))?);
/// assert!(recorder.insert_tracking(&Tracking::new("Upstream", 2)).is_err());
/// recorder.wait("Upstream", Some(2), Duration::from_millis(10))?;
/// assert!(recorder.wait("Upstream", Some(3), Duration::from_millis(10)).is_err());
/// # Ok::<(), eventsmith::Error>(())
/// ```
pub trait TrackingRecorder: fmt::Debug + Send + Sync + crate::sealed::Recorder {
    /// Records a tracking record, in a transaction of its own.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TrackingConflict`] when the application's recorded id is at
    /// or above the given one (nothing is recorded); backend errors.
    fn insert_tracking(&self, tracking: &Tracking) -> Result<()>;

    /// The highest notification id recorded for `application_name`, or
    /// `None` when none is.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTracking`] for a stored id below 0; backend errors.
    fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>>;

    /// Whether `notification_id` is `None`, or a tracking record of
    /// `application_name` at or above it is recorded (Python's
    /// `has_tracking_id`).
    ///
    /// # Errors
    ///
    /// As [`max_tracking_id`](Self::max_tracking_id).
    fn has_tracking_id(
        &self,
        application_name: &str,
        notification_id: Option<u64>,
    ) -> Result<bool> {
        let Some(notification_id) = notification_id else {
            return Ok(true);
        };
        Ok(self
            .max_tracking_id(application_name)?
            .is_some_and(|max| max >= notification_id))
    }

    /// Waits until [`has_tracking_id`](Self::has_tracking_id) holds, polling
    /// as Python's `wait` does: first at once, then after 100 ms, then
    /// after twice as long each time, at most 800 ms and no longer than the
    /// time left.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TrackingTimeout`] naming the application and the id when
    /// `timeout` passes first; the errors of
    /// [`max_tracking_id`](Self::max_tracking_id).
    fn wait(
        &self,
        application_name: &str,
        notification_id: Option<u64>,
        timeout: Duration,
    ) -> Result<()> {
        let mut pauses = WaitPauses::new(application_name, notification_id, timeout);
        loop {
            if self.has_tracking_id(application_name, notification_id)? {
                return Ok(());
            }
            std::thread::sleep(pauses.next()?);
        }
    }
}

/// The pauses of a wait for a tracking record, as Python's `wait` makes
/// them: 100 ms, then twice as long each time, at most 800 ms and never
/// past the timeout. The blocking wait sleeps them on its thread, the async
/// facades' on tokio's timer.
#[derive(Debug)]
pub(crate) struct WaitPauses {
    start: Instant,
    timeout: Duration,
    next: Duration,
    application_name: String,
    notification_id: Option<u64>,
}

impl WaitPauses {
    pub(crate) fn new(
        application_name: &str,
        notification_id: Option<u64>,
        timeout: Duration,
    ) -> Self {
        Self {
            start: Instant::now(),
            timeout,
            next: Duration::from_millis(100),
            application_name: application_name.to_owned(),
            notification_id,
        }
    }

    /// The next pause before asking again.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TrackingTimeout`] once the timeout has passed.
    pub(crate) fn next(&mut self) -> Result<Duration> {
        let left = self.timeout.saturating_sub(self.start.elapsed());
        if left.is_zero() {
            return Err(ErrorKind::TrackingTimeout {
                application_name: self.application_name.clone(),
                notification_id: self.notification_id,
                timeout: self.timeout,
            }
            .into());
        }
        let pause = self.next.min(left);
        self.next = self.next.saturating_mul(2).min(Duration::from_millis(800));
        Ok(pause)
    }
}

/// An [`ApplicationRecorder`] that also records tracking, atomically with
/// events (Python's `ProcessRecorder`).
///
/// ```
/// use eventsmith::persistence::{ApplicationRecorder, InMemoryRecorder, ProcessRecorder, StoredEvent, Tracking, TrackingRecorder};
/// let recorder = InMemoryRecorder::new();
/// let event = StoredEvent { originator_id: uuid::Uuid::new_v4(), originator_version: 1, topic: "t".into(), state: b"{}".to_vec() };
/// recorder.insert_events_tracked(&[event.clone()], Some(&Tracking::new("Upstream", 5)))?;
/// // A tracking record not above the recorded one: nothing is stored.
/// let other = StoredEvent { originator_id: uuid::Uuid::new_v4(), ..event };
/// assert!(recorder.insert_events_tracked(&[other], Some(&Tracking::new("Upstream", 5))).is_err());
/// assert_eq!(recorder.max_notification_id()?, Some(1));
/// # Ok::<(), eventsmith::Error>(())
/// ```
pub trait ProcessRecorder: ApplicationRecorder + TrackingRecorder {
    /// Stores a batch of events and, when given, a tracking record, in one
    /// transaction: both or neither. Returns the events' notification ids.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::VersionConflict`] or [`ErrorKind::VersionGap`] for the events,
    /// [`ErrorKind::TrackingConflict`] for the tracking record: either way
    /// nothing is stored. Backend errors.
    fn insert_events_tracked(
        &self,
        events: &[StoredEvent],
        tracking: Option<&Tracking>,
    ) -> Result<Vec<u64>>;
}

/// A recorder a read model (a view) is kept in, in tables of its own: what
/// a projection writes goes through the connection
/// [`record_view`](Self::record_view) gives it, in one transaction with the
/// tracking record of the notification it came from. The SQLite and
/// PostgreSQL recorders are view recorders;
/// [`system::project`](crate::system::project) keeps a view following a
/// leader.
pub trait ViewRecorder: TrackingRecorder {
    /// The connection a view's writes go through: `rusqlite::Connection`
    /// on SQLite, `postgres::Client` on PostgreSQL (their drivers are
    /// `sqlite::driver` and `postgres::driver`).
    type Connection: ?Sized;

    /// What the view is, for errors ("a SQLite view").
    #[doc(hidden)]
    const DESCRIPTION: &'static str;

    /// Stores what `write` writes and `tracking` in one transaction: both
    /// or neither. On PostgreSQL `write` is called again when the
    /// connection fails before anything is stored. The connection `write`
    /// is given is inside that transaction, and `write` must not end it:
    /// no `COMMIT` or `ROLLBACK` of its own, and on PostgreSQL no
    /// `Client::transaction` (its `BEGIN` is ignored inside a transaction,
    /// and its commit would end this one; a `SAVEPOINT` is what nests). On
    /// SQLite a write that ends it is
    /// [`ErrorKind::ViewTransactionEnded`], and the position is not
    /// recorded.
    ///
    /// # Errors
    ///
    /// What `write` fails with (nothing is stored);
    /// [`ErrorKind::ViewTransactionEnded`];
    /// [`ErrorKind::TrackingConflict`] when `tracking` is at or below the
    /// position recorded; the database's errors.
    fn record_view(
        &self,
        tracking: &Tracking,
        write: &mut (dyn FnMut(&mut Self::Connection) -> Result<()> + Send),
    ) -> Result<()>;
}

/// Each application's highest tracked notification id, in memory.
pub(crate) type InMemoryTracking = HashMap<String, u64>;

/// Refuses `tracking` unless it is above what `recorded` holds for its
/// application (Python's `_assert_tracking_uniqueness`).
pub(crate) fn check_tracking(recorded: &InMemoryTracking, tracking: &Tracking) -> Result<()> {
    match recorded.get(&tracking.application_name) {
        Some(&max) if max >= tracking.notification_id => Err(conflict(tracking)),
        _ => Ok(()),
    }
}

/// [`ErrorKind::TrackingConflict`] for `tracking`.
pub(crate) fn conflict(tracking: &Tracking) -> Error {
    ErrorKind::TrackingConflict {
        application_name: tracking.application_name.clone(),
        notification_id: tracking.notification_id,
    }
    .into()
}

impl TrackingRecorder for InMemoryRecorder {
    fn insert_tracking(&self, tracking: &Tracking) -> Result<()> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        check_tracking(&inner.tracking, tracking)?;
        inner
            .tracking
            .insert(tracking.application_name.clone(), tracking.notification_id);
        Ok(())
    }

    fn max_tracking_id(&self, application_name: &str) -> Result<Option<u64>> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(inner.tracking.get(application_name).copied())
    }
}
