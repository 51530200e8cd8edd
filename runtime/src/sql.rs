//! What the SQL backends share: where a stored row is, as far as it could
//! be read, for errors that name it.

use uuid::Uuid;

use crate::persistence::{Environment, StoredEvent, StoredEventRef, Tracking};
use crate::{ErrorKind, Result};

/// Where a stored row is, as far as it could be read, so that an error about
/// one of its columns can name it. Nothing is formatted or copied until
/// there is an error: a row read well costs no allocation here.
#[derive(Debug, Default)]
pub(crate) struct RowPosition<'r> {
    pub(crate) notification_id: Option<i64>,
    pub(crate) originator_id: Option<RowOriginator<'r>>,
    pub(crate) originator_version: Option<i64>,
}

/// A row's aggregate id: known, or its text as stored (perhaps not a UUID).
#[derive(Debug, Clone, Copy)]
pub(crate) enum RowOriginator<'r> {
    Id(Uuid),
    /// Only SQLite stores ids as text.
    #[cfg_attr(not(feature = "sqlite"), expect(dead_code))]
    Text(&'r str),
}

impl RowPosition<'_> {
    /// [`ErrorKind::InvalidStoredRow`] for `column`.
    pub(crate) fn error(&self, column: &'static str, problem: String) -> crate::Error {
        ErrorKind::InvalidStoredRow {
            notification_id: self.notification_id,
            originator_id: self.originator_id.map(|id| match id {
                RowOriginator::Id(id) => id.to_string(),
                RowOriginator::Text(text) => text.to_owned(),
            }),
            originator_version: self.originator_version,
            column,
            problem,
        }
        .into()
    }

    /// A stored version or notification id in `column`: 0 to `i64::MAX`.
    pub(crate) fn non_negative(&self, column: &'static str, value: i64) -> crate::Result<u64> {
        u64::try_from(value).map_err(|_| self.error(column, format!("is {value}, below 0")))
    }
}

/// A lent stored event, copied.
pub(crate) fn owned(event: StoredEventRef<'_>) -> StoredEvent {
    StoredEvent {
        originator_id: event.originator_id,
        originator_version: event.originator_version,
        topic: event.topic.to_owned().into(),
        state: event.state.to_vec(),
    }
}

/// The stored events that `lend` lends, copied: how a recorder whose
/// [`AggregateRecorder::for_each_event`](crate::persistence::AggregateRecorder::for_each_event) lends rows implements
/// [`AggregateRecorder::select_events`](crate::persistence::AggregateRecorder::select_events).
pub(crate) fn collect_lent(
    lend: impl FnOnce(&mut dyn FnMut(StoredEventRef<'_>) -> Result<()>) -> Result<()>,
) -> Result<Vec<StoredEvent>> {
    let mut events = Vec::new();
    lend(&mut |e| {
        events.push(owned(e));
        Ok(())
    })?;
    Ok(events)
}

/// A tracked notification id as stored (`i64`), checked.
pub(crate) fn stored_tracking_id(
    application_name: &str,
    value: Option<i64>,
) -> Result<Option<u64>> {
    value
        .map(|id| {
            u64::try_from(id).map_err(|_| {
                ErrorKind::InvalidTracking {
                    application_name: application_name.to_owned(),
                    problem: format!("the stored notification_id is {id}, below 0"),
                }
                .into()
            })
        })
        .transpose()
}

/// A tracked notification id as the databases store it (`i64`).
pub(crate) fn tracking_id_to_store(tracking: &Tracking) -> Result<i64> {
    i64::try_from(tracking.notification_id).map_err(|_| {
        ErrorKind::InvalidTracking {
            application_name: tracking.application_name.clone(),
            problem: format!(
                "notification id {} is above {}, the most the database stores; nothing was stored",
                tracking.notification_id,
                i64::MAX
            ),
        }
        .into()
    })
}

impl crate::DriverError {
    /// The driver's `error`, described by `message`; `transient` when it may
    /// pass ([`Error::is_transient`](crate::Error::is_transient)).
    pub(crate) fn new(
        message: String,
        error: impl std::error::Error + Send + Sync + 'static,
        transient: bool,
    ) -> Self {
        Self {
            message,
            source: Box::new(error),
            transient,
        }
    }
}

/// The application name of the tracking record the Python library puts in
/// a tracking table it creates (with notification id 1), to mark the table
/// as single-row.
pub(crate) const MIGRATION_APPLICATION_NAME: &str = "__migration__";

/// Quotes `name` as an SQL identifier, as the Python library's `psycopg`
/// `Identifier` quotes it: in double quotes, each double quote doubled. So
/// any name reaches the table or schema of exactly that name, case and all
/// (`SharedStore`, a keyword such as `user`, or `a; DROP TABLE b`), as it
/// does from Python.
///
/// # Errors
///
/// [`ErrorKind::InvalidIdentifier`] naming what
/// the name was for, when it is empty, holds a NUL character (which no SQL
/// identifier can), or is longer than 63 bytes (PostgreSQL would cut it
/// short, and so use another name than the one given).
pub(crate) fn quote_identifier(what: &'static str, name: &str) -> crate::Result<String> {
    let problem = if name.is_empty() {
        Some("it is empty".to_owned())
    } else if name.contains('\0') {
        Some("it holds a NUL character".to_owned())
    } else if name.len() > 63 {
        Some(format!(
            "it is {} bytes long; at most 63 are kept by PostgreSQL",
            name.len()
        ))
    } else {
        None
    };
    match problem {
        Some(reason) => Err(ErrorKind::InvalidIdentifier {
            what,
            name: name.to_owned(),
            reason,
        }
        .into()),
        None => Ok(format!("\"{}\"", name.replace('"', "\"\""))),
    }
}

/// Checks `SINGLE_ROW_TRACKING` as the Python library reads it (true when
/// unset): only single-row tracking is implemented, so a false value is
/// refused rather than ignored.
///
/// # Errors
///
/// [`ErrorKind::InvalidSetting`] naming the variable, for a value that is not
/// a truth value, or is false.
pub(crate) fn check_single_row_tracking(env: &Environment) -> Result<()> {
    match env.flag("SINGLE_ROW_TRACKING")? {
        Some(false) => Err(ErrorKind::InvalidSetting {
            variable: env.variables("SINGLE_ROW_TRACKING").join(" or "),
            value: env
                .get("SINGLE_ROW_TRACKING")?
                .unwrap_or_else(|| "n".to_owned()),
            expected: "true (the default): only single-row tracking, one row per application \
                       name, is implemented; the Python library's legacy multi-row tracking is not"
                .to_owned(),
        }
        .into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_as_psycopg_quotes_them() {
        assert_eq!(
            quote_identifier("table", "universe_events").unwrap(),
            "\"universe_events\""
        );
        assert_eq!(
            quote_identifier("schema", "Shared\"Store").unwrap(),
            "\"Shared\"\"Store\""
        );
        for bad in ["", "a\0b", "x".repeat(64).as_str()] {
            let err = quote_identifier("schema", bad).unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::InvalidIdentifier { what: "schema", .. }
                ),
                "{err}"
            );
        }
        assert!(quote_identifier("table", &"x".repeat(63)).is_ok());
    }

    #[test]
    fn only_single_row_tracking_is_accepted() {
        let env = |value: &str| Environment::isolated("App", [("SINGLE_ROW_TRACKING", value)]);
        assert!(check_single_row_tracking(&env("y")).is_ok());
        let unset: [(&str, &str); 0] = [];
        assert!(check_single_row_tracking(&Environment::isolated("App", unset)).is_ok());
        let err = check_single_row_tracking(&env("n")).unwrap_err();
        assert!(err.to_string().contains("SINGLE_ROW_TRACKING"), "{err}");
    }
}
