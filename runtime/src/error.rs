//! The one error type of the runtime: [`Error`], a pointer to its
//! [`ErrorKind`].

use std::fmt;

use uuid::Uuid;

/// Everything that can go wrong in the runtime: a box around an
/// [`ErrorKind`], so that a `Result` costs a pointer, whatever the error.
///
/// [`Error::kind`] tells which error it is. The kind a caller most often
/// matches on is [`ErrorKind::VersionConflict`]: the optimistic-concurrency
/// failure that the Python library calls `IntegrityError`. It means another
/// writer got there first; reload the aggregate and try the command again.
///
/// ```
/// use eventsmith::{Error, ErrorKind};
///
/// fn retry_on_conflict(error: &Error) -> bool {
///     matches!(error.kind(), ErrorKind::VersionConflict { .. })
/// }
/// # let error = Error::from(ErrorKind::SnapshottingDisabled);
/// # assert!(!retry_on_conflict(&error));
/// # assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
/// ```
pub struct Error(Box<ErrorKind>);

impl Error {
    /// Which error this is, with what it names.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Which error this is, taken out of its box.
    #[must_use]
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// Whether the same call may succeed if made again later, with nothing
    /// changed but time: a lost or refused connection, a busy or locked
    /// database, a lock not granted in time, a pool with no connection to
    /// spare, or a conflict with another writer (a command made again reads
    /// the aggregate anew), and a policy's failure on one of these. The
    /// runners try such errors again, with a growing pause; every other
    /// error (a policy's own, an unreadable row, a setting, a missing table)
    /// stays what it is however often it is tried.
    ///
    /// ```
    /// use eventsmith::{Error, ErrorKind, Uuid};
    ///
    /// let conflict = Error::from(ErrorKind::VersionConflict {
    ///     originator_id: Uuid::nil(),
    ///     originator_version: 2,
    /// });
    /// assert!(conflict.is_transient());
    /// assert!(!Error::from(ErrorKind::SnapshottingDisabled).is_transient());
    /// ```
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self.kind() {
            ErrorKind::Sqlite(driver)
            | ErrorKind::Postgres(driver)
            | ErrorKind::Pool(driver)
            | ErrorKind::Http(driver) => driver.transient,
            ErrorKind::VersionConflict { .. }
            | ErrorKind::TrackingConflict { .. }
            | ErrorKind::LockTimeout { .. }
            | ErrorKind::TooManyWaiting { .. } => true,
            // A policy that failed on the runtime's error that may pass (its
            // read of an aggregate lost the connection), through `?`.
            ErrorKind::Policy { source, .. } => source
                .downcast_ref::<Self>()
                .is_some_and(Self::is_transient),
            _ => false,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self(Box::new(kind))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.kind() {
            ErrorKind::Sqlite(driver)
            | ErrorKind::Postgres(driver)
            | ErrorKind::Pool(driver)
            | ErrorKind::Http(driver) => Some(&*driver.source),
            ErrorKind::PipeFailed(failure) => Some(&*failure.error),
            kind => std::error::Error::source(kind),
        }
    }
}

/// An error of a database driver: its message, and the driver's own error
/// as the [`source`](std::error::Error::source) of the [`Error`] that holds
/// it, and as its own (a `rusqlite::Error` or a `postgres::Error`, which the
/// `sqlite::driver` and `postgres::driver` re-exports name).
pub struct DriverError {
    /// What the driver's error says, as a person needs it.
    pub(crate) message: String,
    /// The driver's error (made by the backends, in `sql.rs`).
    pub(crate) source: Box<dyn std::error::Error + Send + Sync + 'static>,
    /// Whether the driver's error may pass ([`Error::is_transient`]).
    pub(crate) transient: bool,
}

impl fmt::Debug for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.source, f)
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Its source is the driver's error, so an [`ErrorKind`] taken out of its
/// [`Error`] still leads to it.
impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// Which error an [`Error`] is: one variant per thing a caller may want to
/// handle differently, each naming what it is about (the aggregate and
/// version, the notification, the setting).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An event of aggregate `originator_id` at `originator_version` is
    /// already stored: the aggregate was changed by someone else since it was
    /// read (the tutorial's `IntegrityError`), or, at version 1, it exists
    /// already (a second creation under a deterministic id). Nothing of the
    /// save was written.
    #[error("version conflict: {}", conflict(*.originator_id, *.originator_version))]
    VersionConflict {
        /// The aggregate whose event collided.
        originator_id: Uuid,
        /// The version that was already taken.
        originator_version: u64,
    },

    /// A snapshot of aggregate `originator_id` at `originator_version` is
    /// stored already (by this process or another): the same state, so
    /// nothing was stored.
    #[error(
        "a snapshot of aggregate {originator_id} at version {originator_version} is stored \
         already; nothing was stored"
    )]
    SnapshotConflict {
        /// The aggregate.
        originator_id: Uuid,
        /// The version of the snapshot.
        originator_version: u64,
    },

    /// A snapshot was asked of a version the aggregate has not reached.
    #[error(
        "aggregate {originator_id} has no version {version} (its latest is {latest}): no \
         snapshot was taken"
    )]
    NoSuchVersion {
        /// The aggregate.
        originator_id: Uuid,
        /// The version asked for.
        version: u64,
        /// The aggregate's latest version.
        latest: u64,
    },

    /// An aggregate's events to be saved do not continue its versions one by
    /// one: the first does not follow the highest version stored, or one does
    /// not follow the event before it in the batch. Nothing of the save was
    /// written. This happens when events are collected from an aggregate
    /// (`collect_events()`) and not saved, and later events are saved.
    #[error(
        "version gap: aggregate {originator_id} cannot store an event at version \
         {originator_version}, its next version is {expected}; nothing was saved \
         (were its earlier events collected and not saved?)"
    )]
    VersionGap {
        /// The aggregate.
        originator_id: Uuid,
        /// The version of the event that does not follow.
        originator_version: u64,
        /// The version it should have had.
        expected: u64,
    },

    /// No stored event was found for the aggregate (at or below `version`,
    /// when one was asked for).
    #[error("aggregate {aggregate_id} not found{}", version.map(|v| format!(" at version {v}")).unwrap_or_default())]
    AggregateNotFound {
        /// The aggregate that was asked for.
        aggregate_id: Uuid,
        /// The version that was asked for, if any.
        version: Option<u64>,
    },

    /// An event was applied to an aggregate it does not belong to.
    #[error(
        "event {topic} (version {originator_version}) belongs to aggregate {event_originator_id}, \
         not to aggregate {aggregate_id}"
    )]
    OriginatorIdMismatch {
        /// The event's topic.
        topic: String,
        /// The id of the aggregate it was applied to.
        aggregate_id: Uuid,
        /// The id the event carries.
        event_originator_id: Uuid,
        /// The version the event carries.
        originator_version: u64,
    },

    /// An event's version is not the aggregate's version plus one.
    #[error(
        "event {topic} for aggregate {aggregate_id} has version {originator_version}, \
         but the aggregate is at version {aggregate_version} (expected {})",
        next_version(*aggregate_version)
    )]
    OriginatorVersionMismatch {
        /// The event's topic.
        topic: String,
        /// The aggregate's id.
        aggregate_id: Uuid,
        /// The aggregate's current version.
        aggregate_version: u64,
        /// The version the event carries.
        originator_version: u64,
    },

    /// A non-created event was applied to no aggregate, or a created event to
    /// an aggregate that already exists.
    #[error(
        "event {topic} for aggregate {originator_id} at version {originator_version} {}",
        if *is_created { "creates an aggregate, but one was given" } else { "needs an existing aggregate, but none was given" }
    )]
    CreationMismatch {
        /// The event's topic.
        topic: String,
        /// The aggregate id the event carries.
        originator_id: Uuid,
        /// The version the event carries.
        originator_version: u64,
        /// Whether the event is a "created" event.
        is_created: bool,
    },

    /// A state change would take a number out of its type's range: an
    /// integer past its largest or smallest value (an unsigned one below
    /// zero), a decimal past its range, or a float to infinity or NaN. The
    /// event that would do it is not triggered; a stored one cannot be
    /// applied.
    #[error(
        "{change} of {field} by event {topic} of aggregate {aggregate_id} at version {version} \
         would take it out of range"
    )]
    Overflow {
        /// The event's topic.
        topic: String,
        /// The aggregate's id.
        aggregate_id: Uuid,
        /// The event's version.
        version: u64,
        /// The state field.
        field: &'static str,
        /// What was done: `increment`, `decrement`, or what a state change
        /// written in Rust says.
        change: &'static str,
    },

    /// A stored event's topic is not one of the aggregate's event topics.
    #[error(
        "unknown topic {topic:?} for aggregate {originator_id} version {originator_version} \
         (expected one of: {expected})"
    )]
    UnknownTopic {
        /// The stored topic.
        topic: String,
        /// The aggregate id of the stored event.
        originator_id: Uuid,
        /// The version of the stored event.
        originator_version: u64,
        /// The topics this aggregate type knows, comma separated.
        expected: String,
    },

    /// A snapshot was asked for, and the application keeps none
    /// (`IS_SNAPSHOTTING_ENABLED` is not set, and no aggregate of its
    /// schema says `snapshot: { every: N }`).
    #[error(
        "cannot take a snapshot: snapshotting is not enabled (set IS_SNAPSHOTTING_ENABLED=y, \
         or give an aggregate `snapshot: {{ every: N }}` in the schema)"
    )]
    SnapshottingDisabled,

    /// The events of a save were stored, and the snapshot the aggregate
    /// takes at `originator_version` (its `snapshot: { every: N }`) was
    /// not: the save itself succeeded, and must not be repeated.
    #[error(
        "the events were saved (notifications {notification_ids:?}), but the snapshot of \
         aggregate {originator_id} at version {originator_version} was not: {source}"
    )]
    SnapshotNotTaken {
        /// The aggregate.
        originator_id: Uuid,
        /// The version of the snapshot.
        originator_version: u64,
        /// The notification ids of the events the save stored.
        notification_ids: Vec<u64>,
        /// Why the snapshot was not stored.
        #[source]
        source: Error,
    },

    /// A stored event's state could not be decoded as the event's fields.
    #[error(
        "cannot decode event {topic} of aggregate {originator_id} version {originator_version}: {source}"
    )]
    Decode {
        /// The stored topic.
        topic: String,
        /// The aggregate id of the stored event.
        originator_id: Uuid,
        /// The version of the stored event.
        originator_version: u64,
        /// What the JSON decoder said.
        #[source]
        source: serde_json::Error,
    },

    /// An event could not be encoded as JSON.
    #[error(
        "cannot encode event {topic} of aggregate {originator_id} version {originator_version}: {source}"
    )]
    Encode {
        /// The event's topic.
        topic: String,
        /// The aggregate id.
        originator_id: Uuid,
        /// The event's version.
        originator_version: u64,
        /// What the JSON encoder said.
        #[source]
        source: serde_json::Error,
    },

    /// A stored row cannot be read as a stored event: a column is NULL, of
    /// another type, or holds a value out of range (a negative version or
    /// notification id, an aggregate id that is not a UUID, a topic that is
    /// not UTF-8). What could be read of the row's position is named, so the
    /// row can be found; a reader of the notification log can carry on after
    /// `notification_id`.
    #[error(
        "cannot read the stored event at {}: {column} {problem}",
        row_location(*notification_id, originator_id.as_deref(), *originator_version)
    )]
    InvalidStoredRow {
        /// The row's notification id, when it was read from the log.
        notification_id: Option<i64>,
        /// The aggregate id as stored, when it could be read as text.
        originator_id: Option<String>,
        /// The version as stored, when it could be read as a number.
        originator_version: Option<i64>,
        /// The column that cannot be read.
        column: &'static str,
        /// What is wrong with it.
        problem: String,
    },

    /// Stored bytes could not be decrypted. AES-GCM cannot tell a wrong key
    /// from bytes that were changed: either the configured `CIPHER_KEY` is not
    /// the one the event was written with, or the stored bytes were altered.
    #[error(
        "cannot decrypt event of aggregate {originator_id} version {originator_version}: \
         authentication failed (wrong CIPHER_KEY, or the stored bytes were altered)"
    )]
    Decrypt {
        /// The aggregate id of the stored event.
        originator_id: Uuid,
        /// The version of the stored event.
        originator_version: u64,
    },

    /// Stored bytes are too short to hold a nonce and a tag: they were cut
    /// short, or were never encrypted.
    #[error(
        "cannot decrypt event of aggregate {originator_id} version {originator_version}: \
         {len} bytes is shorter than nonce and tag (28 bytes); the data is truncated or not encrypted"
    )]
    CiphertextTruncated {
        /// The aggregate id of the stored event.
        originator_id: Uuid,
        /// The version of the stored event.
        originator_version: u64,
        /// How many bytes were stored.
        len: usize,
    },

    /// Stored bytes could not be decompressed with zlib.
    #[error(
        "cannot decompress event of aggregate {originator_id} version {originator_version}: {source} \
         (is COMPRESSOR_TOPIC set as it was when the event was written?)"
    )]
    Decompress {
        /// The aggregate id of the stored event.
        originator_id: Uuid,
        /// The version of the stored event.
        originator_version: u64,
        /// What zlib said.
        #[source]
        source: std::io::Error,
    },

    /// Stored bytes inflate to more than `MAX_DECOMPRESSED_SIZE` bytes: a
    /// row altered to exhaust memory, or a genuine event larger than the
    /// limit (then raise it).
    #[error(
        "cannot decompress event of aggregate {originator_id} version {originator_version}: \
         it inflates to more than {limit} bytes (MAX_DECOMPRESSED_SIZE)"
    )]
    DecompressedTooLarge {
        /// The aggregate id of the stored event.
        originator_id: Uuid,
        /// The version of the stored event.
        originator_version: u64,
        /// The limit, in bytes.
        limit: usize,
    },

    /// A follower was asked to follow a leader whose log is kept in the
    /// same place as its own (one SQLite file and table): it would follow
    /// its own events as the leader's. Nothing was processed.
    #[error(
        "{follower} cannot follow {leader}: both keep their events in {location}, so {follower} \
         would follow its own events too; give each a store of its own (e.g. \
         {follower_upper}_SQLITE_DBNAME)"
    )]
    SharedLog {
        /// The follower.
        follower: String,
        /// The leader.
        leader: String,
        /// The follower's name upper-cased: its settings' prefix.
        follower_upper: String,
        /// Where both logs are ([`ApplicationRecorder::location`](crate::persistence::ApplicationRecorder::location)).
        location: String,
    },

    /// A follower with its position in a database follows a leader whose
    /// events are in memory (gone with its process, or out of reach in
    /// another): it would process nothing, or skip the leader's next
    /// events. Nothing was processed.
    #[error(
        "{follower} cannot follow {leader}: {leader} keeps its events in memory, which do not \
         outlive its process nor reach another, while {follower} keeps its position in \
         {backend}; give {leader} a database (PERSISTENCE_MODULE and its settings, e.g. \
         {leader_upper}_SQLITE_DBNAME)"
    )]
    LeaderInMemory {
        /// The follower (or projection).
        follower: String,
        /// The leader.
        leader: String,
        /// The leader's name upper-cased: its settings' prefix.
        leader_upper: String,
        /// Where the follower keeps its position: `sqlite` or `postgres`.
        backend: &'static str,
    },

    /// A tracking record was refused: the application's recorded
    /// notification id is already at or above it (the Python library's
    /// `IntegrityError` "Failed to record tracking"). Nothing was stored:
    /// neither the tracking record nor the events recorded with it.
    #[error(
        "tracking conflict: failed to record tracking for {application_name} {notification_id}: \
         notification {notification_id} of {application_name:?} or a later one is already \
         recorded; nothing was saved"
    )]
    TrackingConflict {
        /// The application whose log was processed.
        application_name: String,
        /// The notification id that was refused.
        notification_id: u64,
    },

    /// Waiting for a tracking record took longer than the timeout (the
    /// Python library's `TimeoutError` of `TrackingRecorder.wait`).
    #[error(
        "timed out after {timeout:?} waiting for notification {} from application \
         {application_name:?} to be processed",
        notification_id.map_or_else(|| "None".to_owned(), |id| id.to_string())
    )]
    TrackingTimeout {
        /// The application whose log is processed.
        application_name: String,
        /// The notification id waited for.
        notification_id: Option<u64>,
        /// How long was waited.
        timeout: std::time::Duration,
    },

    /// A follower's policy failed on one of a leader's notifications.
    /// Nothing of that notification was stored, and the follower's position
    /// is still the one before it: processing it again starts from it.
    #[error(
        "the policy{} of {follower} failed on notification {notification_id} of {leader} \
         ({topic}; nothing of it was stored): {source}",
        named(*.policy)
    )]
    Policy {
        /// The application that follows.
        follower: String,
        /// The application followed.
        leader: String,
        /// The notification the policy failed on.
        notification_id: u64,
        /// The notification's topic.
        topic: String,
        /// The policy's method in the follower's policy trait, when known.
        policy: Option<&'static str>,
        /// What the policy returned.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A follower's policy changed one of the follower's aggregates (it
    /// triggered events) and dropped it without giving it to
    /// `processing.save`: the change would be lost while the notification
    /// was recorded as processed, so nothing of the notification is stored
    /// and the follower's position stays before it.
    #[error(
        "the policy{} of {follower} changed aggregate {originator_id} (to version \
         {originator_version}) on notification {notification_id} of {leader} and did not give \
         it to processing.save; nothing of the notification was stored",
        named(*.policy)
    )]
    PolicyLeftChanges {
        /// The application that follows.
        follower: String,
        /// The application followed.
        leader: String,
        /// The notification the policy was given.
        notification_id: u64,
        /// The policy's method, when known.
        policy: Option<&'static str>,
        /// The aggregate changed and dropped.
        originator_id: Uuid,
        /// Its version with the dropped events.
        originator_version: u64,
    },

    /// A follower cannot read one of its leader's notifications (it does
    /// not decrypt, decompress or decode): processing stops before it, the
    /// follower's position unchanged.
    #[error("notification {notification_id} of {leader} cannot be read: {source}")]
    UnreadableNotification {
        /// The application whose log holds it.
        leader: String,
        /// Its id in that log.
        notification_id: u64,
        /// Why, naming the aggregate and version.
        #[source]
        source: Error,
    },

    /// The thread of a pipe of a [`MultiThreadedRunner`](crate::MultiThreadedRunner)
    /// panicked (its policy, most likely). What it had processed is stored;
    /// the notification it panicked on is not.
    #[error("the thread of {follower} following {leader} panicked")]
    PipePanicked {
        /// The application that follows.
        follower: String,
        /// The application followed.
        leader: String,
    },

    /// A pipe of a [`MultiThreadedRunner`](crate::MultiThreadedRunner)
    /// stopped on an error that does not pass with time: its follower,
    /// leader, notification and policy, and the error (also its
    /// [`source`](std::error::Error::source)).
    #[error("the pipe of {} following {} stopped: {}", .0.follower, .0.leader, .0.error)]
    PipeFailed(Box<crate::system::PipeFailure>),

    /// A tracking record cannot be stored or read: a notification id above
    /// what the database stores, a stored id below 0, or a tracking table
    /// that is not single-row.
    #[error("tracking of application {application_name:?}: {problem}")]
    InvalidTracking {
        /// The application named by the tracking record.
        application_name: String,
        /// What is wrong.
        problem: String,
    },

    /// A configuration variable has a value that is not understood.
    #[error("{variable}={value:?} is not valid: expected {expected}")]
    InvalidSetting {
        /// The environment variable, as looked up (with the application prefix if one matched).
        variable: String,
        /// The value found (cipher keys are never shown).
        value: String,
        /// What would have been accepted.
        expected: String,
    },

    /// A configuration variable that is required was not set.
    #[error("{variable} is not set: {reason}")]
    MissingSetting {
        /// The environment variable.
        variable: String,
        /// Why it is needed.
        reason: String,
    },

    /// The cipher key is malformed. The key itself is never shown.
    #[error("{variable} is not a valid AES key: {reason}")]
    InvalidCipherKey {
        /// The environment variable the key came from.
        variable: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A notification log section id is not of the form `"first,last"`.
    #[error(
        "invalid notification log section id {section_id:?}: expected \"first,last\", e.g. \"1,10\""
    )]
    InvalidSectionId {
        /// The section id that was given.
        section_id: String,
    },

    /// More notifications were asked of a log at once than its section
    /// holds (the Python library refuses the same).
    #[error("requested limit {limit} greater than section size {section_size}")]
    LimitAboveSectionSize {
        /// The limit asked for.
        limit: usize,
        /// The log's section size.
        section_size: usize,
    },

    /// A table or schema name cannot be used.
    #[error("invalid {what} name {name:?}: {reason}")]
    InvalidIdentifier {
        /// What the name is for (table, schema).
        what: &'static str,
        /// The name that was refused.
        name: String,
        /// Why.
        reason: String,
    },

    /// An error from SQLite.
    #[error("SQLite: {0}")]
    Sqlite(#[source] DriverError),

    /// A view's write ended the transaction it was given (a `COMMIT`, a
    /// `ROLLBACK`, or a statement the database rolls back on conflict), so
    /// its writes and the notification's position cannot be stored
    /// together: the position is not recorded.
    #[error(
        "the write of {view} for notification {notification_id} of {leader} ended the transaction it \
         was given (a COMMIT, a ROLLBACK, or a conflict the database rolls back): what it wrote \
         before is stored or lost with it, and the position is not recorded"
    )]
    ViewTransactionEnded {
        /// What the view is (`a SQLite view`).
        view: &'static str,
        /// The leader whose notification it was writing.
        leader: String,
        /// The notification.
        notification_id: u64,
    },

    /// A table the application needs does not exist, and it was told not
    /// to create tables (`CREATE_TABLE=n`, as a role with data rights only
    /// runs).
    #[error(
        "the table {table} does not exist, and CREATE_TABLE is off: run the application once \
         with CREATE_TABLE=y as a role that may create tables (docs/operations.md), or let it \
         create them"
    )]
    MissingTable {
        /// The table, as the database names it (schema-qualified on
        /// PostgreSQL).
        table: String,
    },

    /// Waiting for the table lock took longer than `POSTGRES_LOCK_TIMEOUT`.
    #[error(
        "PostgreSQL: timed out waiting for the lock on table {table} (POSTGRES_LOCK_TIMEOUT); nothing was saved"
    )]
    LockTimeout {
        /// The table whose lock was not granted in time.
        table: String,
    },

    /// An error from PostgreSQL or the connection to it. Its message says
    /// what the server said, with the SQLSTATE code (`ERROR 42P01: relation
    /// ... does not exist`), or why the connection failed.
    #[error("PostgreSQL: {0}")]
    Postgres(#[source] DriverError),

    /// `POSTGRES_MAX_WAITING` callers were already waiting for a connection
    /// from the pool, so this one did not wait.
    #[error(
        "PostgreSQL connection pool: {max_waiting} callers are already waiting for a connection \
         (POSTGRES_MAX_WAITING); nothing was done"
    )]
    TooManyWaiting {
        /// The limit, `POSTGRES_MAX_WAITING`.
        max_waiting: u32,
    },

    /// No PostgreSQL connection could be had from the pool.
    #[error("PostgreSQL connection pool: {0}")]
    Pool(#[source] DriverError),

    /// A leader's notification log could not be read over HTTP (cargo
    /// feature `http`): the service did not answer, or refused, or answered
    /// with something else than the Python library's JSON; or something
    /// other than reading its log was asked of it.
    #[error("notification log over HTTP: {0}")]
    Http(#[source] DriverError),

    /// The tokio runtime shut down before an async facade's call ran on its
    /// blocking pool: nothing was done.
    #[error("the tokio runtime shut down before the call ran; nothing was done")]
    ShutDown,
}

/// The runtime's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
mod text;
use text::{conflict, named, next_version, row_location};
