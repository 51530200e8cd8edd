//! What the SQL backends share: where a stored row is, as far as it could
//! be read, for errors that name it.

use uuid::Uuid;

use crate::persistence::{StoredEvent, StoredEventRef, Tracking};
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

/// The stored events that `lend` lends, copied: how a recorder whose
/// [`AggregateRecorder::for_each_event`](crate::persistence::AggregateRecorder::for_each_event) lends rows implements
/// [`AggregateRecorder::select_events`](crate::persistence::AggregateRecorder::select_events).
pub(crate) fn collect_lent(
    lend: impl FnOnce(&mut dyn FnMut(StoredEventRef<'_>) -> Result<()>) -> Result<()>,
) -> Result<Vec<StoredEvent>> {
    let mut events = Vec::new();
    lend(&mut |e| {
        events.push(e.to_stored_event());
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
    /// The driver's `error`, described by `message`.
    pub(crate) fn new(
        message: String,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message,
            source: Box::new(error),
        }
    }
}
