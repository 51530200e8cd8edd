//! What went wrong with PostgreSQL, and what may be tried again: errors
//! described as a person needs them, and the classes the recorder acts on
//! (a connection that failed, a stale plan, a conflicting key).

use std::fmt;

use postgres::error::SqlState;
use uuid::Uuid;

use crate::{DriverError, Error, ErrorKind};

/// What PostgreSQL said, as a person needs it: the severity, the SQLSTATE
/// code and the server's message (with its detail and hint) for an error
/// from the server; otherwise the client's description and its causes
/// (`connection refused`, a timeout).
pub(crate) fn describe(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" (DETAIL: {detail})"));
        }
        if let Some(hint) = db.hint() {
            text.push_str(&format!(" (HINT: {hint})"));
        }
        return text;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// A connection that could not be opened: the driver's failure, shown as
/// [`describe`] shows it (the pool reports the last one when it gives up
/// waiting), or the password provider's.
#[derive(Debug)]
pub(super) enum ConnectError {
    Postgres(postgres::Error),
    Password(Box<dyn std::error::Error + Send + Sync>),
}

impl ConnectError {
    /// Whether it may pass if tried again later (see [`is_transient`]); a
    /// password provider's failure may (its service may be back).
    pub(super) fn is_transient(&self) -> bool {
        match self {
            Self::Postgres(error) => is_transient(error),
            Self::Password(_) => true,
        }
    }

    /// The error, naming where the connection was to be made.
    pub(super) fn at(self, endpoint: &str) -> Error {
        match self {
            Self::Postgres(error) => connect_error(error, endpoint),
            Self::Password(source) => ErrorKind::Postgres(DriverError {
                message: format!(
                    "connecting to {endpoint}: the password provider failed: {source}"
                ),
                source,
                transient: true,
            })
            .into(),
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(error) => f.write_str(&describe(error)),
            Self::Password(error) => write!(f, "the password provider failed: {error}"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Postgres(error) => Some(error),
            Self::Password(error) => Some(&**error),
        }
    }
}

/// Whether a failure to connect may pass if tried again (the server is not
/// up yet, or has no free connection), unlike a wrong password, user or
/// database.
pub(super) fn may_pass(error: &postgres::Error) -> bool {
    match error.code() {
        Some(code) => [
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
        ]
        .contains(code),
        None => is_io(error),
    }
}

/// A failed attempt, and whether it may be tried again on another connection.
pub(super) enum Failure {
    /// From PostgreSQL or the connection to it. Tried again on another
    /// connection when the connection failed and `may_retry` holds: nothing
    /// can have been committed, and nothing was handed to the caller.
    Postgres {
        error: postgres::Error,
        may_retry: bool,
    },
    /// Not PostgreSQL's (a row that cannot be read, an error of the caller's
    /// function): never tried again.
    Other(Error),
}

impl From<postgres::Error> for Failure {
    fn from(error: postgres::Error) -> Self {
        Self::Postgres {
            error,
            may_retry: true,
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        if !matches!(error.kind(), ErrorKind::Postgres(_)) {
            return Self::Other(error);
        }
        match error.into_kind() {
            ErrorKind::Postgres(driver) => match driver.source.downcast::<postgres::Error>() {
                Ok(error) => Self::from(*error),
                Err(source) => {
                    Self::Other(ErrorKind::Postgres(DriverError { source, ..driver }).into())
                }
            },
            other => Self::Other(other.into()),
        }
    }
}

/// A PostgreSQL error, described by its SQLSTATE and message, the driver's error
/// kept as its source: so `?` works on the driver's calls, in the recorder
/// and in a projection's writes.
impl From<postgres::Error> for Error {
    fn from(error: postgres::Error) -> Self {
        let transient = is_transient(&error);
        ErrorKind::Postgres(DriverError::new(describe(&error), error, transient)).into()
    }
}

/// The pool's error: no connection could be had within the connect
/// timeout, naming where the pool connects. It may pass (the server is
/// down, or every connection is busy) unless the last connection the pool
/// tried to open failed for good (`lasting`: a wrong password, a database
/// or role that is gone), whose message it ends with.
pub(super) fn pool_error(
    error: r2d2::Error,
    config: &super::PostgresConfig,
    lasting: bool,
) -> Error {
    let message = format!(
        "no connection to {} within {:?} (POSTGRES_CONNECT_TIMEOUT): {error}",
        config.endpoint(),
        config.connect_timeout
    );
    ErrorKind::Pool(DriverError::new(message, error, !lasting)).into()
}

/// A connection that could not be made, naming where it was to be made.
pub(super) fn connect_error(error: postgres::Error, endpoint: &str) -> Error {
    let transient = is_transient(&error);
    let message = format!("connecting to {endpoint}: {}", describe(&error));
    ErrorKind::Postgres(DriverError::new(message, error, transient)).into()
}

/// Whether an error may pass if the call is made again later: a lost or
/// refused connection, a server shutting down or starting, too many
/// connections, a serialization failure, a deadlock, a lock not available.
pub(super) fn is_transient(error: &postgres::Error) -> bool {
    is_disconnect(error)
        || error.code().is_some_and(|code| {
            [
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::T_R_DEADLOCK_DETECTED,
                SqlState::TOO_MANY_CONNECTIONS,
                SqlState::LOCK_NOT_AVAILABLE,
            ]
            .contains(code)
        })
}

/// The driver's error inside a PostgreSQL error.
pub(super) fn as_postgres(error: &Error) -> Option<&postgres::Error> {
    match error.kind() {
        ErrorKind::Postgres(driver) => driver.source.downcast_ref(),
        _ => None,
    }
}

/// The SQLSTATE code of a PostgreSQL error, if it is one from the server.
pub(super) fn sqlstate(error: &Error) -> Option<&SqlState> {
    as_postgres(error)?.code()
}

/// Whether the connection, not the statement, failed: worth another try.
pub(super) fn is_disconnect(error: &postgres::Error) -> bool {
    if error.is_closed() {
        return true;
    }
    match error.code() {
        Some(code) => {
            code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                ]
                .contains(code)
        }
        // No SQL state: a failure of the socket, not of the statement or
        // its values (a type mismatch, no row where one was expected, a
        // setting missing), which would fail the same way again.
        None => is_io(error),
    }
}

/// Whether the client failed on its socket (refused, reset, timed out):
/// an I/O error among the error's causes.
fn is_io(error: &postgres::Error) -> bool {
    let mut cause = std::error::Error::source(error);
    while let Some(error) = cause {
        if error.is::<std::io::Error>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Whether a prepared statement failed because the table it reads changed
/// since it was prepared (`cached plan must not change result type`).
pub(super) fn is_stale_plan(error: &postgres::Error) -> bool {
    error.code() == Some(&SqlState::FEATURE_NOT_SUPPORTED)
        && error
            .as_db_error()
            .is_some_and(|db| db.message().contains("cached plan"))
}

/// Reads `(id, version)` from "Key (originator_id, originator_version)=(ID, VERSION) already exists."
pub(super) fn conflicting_key(error: &postgres::Error) -> Option<(Uuid, u64)> {
    let detail = error.as_db_error()?.detail()?;
    let values = detail.split_once("=(")?.1.split_once(')')?.0;
    let (id, version) = values.split_once(", ")?;
    Some((
        Uuid::try_parse(id.trim()).ok()?,
        version.trim().parse().ok()?,
    ))
}
