//! The notification log: every stored event of an application, in order, in sections.

use crate::observe::Instruments;
use std::sync::Arc;

use crate::persistence::{
    ApplicationRecorder, Notification, NotificationQuery, Subscription, parse_python_int,
};
use crate::{ErrorKind, Result};

/// The default number of notifications in a section.
pub(crate) const DEFAULT_SECTION_SIZE: usize = 10;

/// A section of the notification log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `"first,last"` of the items actually returned; `None` when empty.
    pub id: Option<String>,
    /// The notifications.
    pub items: Vec<Notification>,
    /// The id of the next section; present only when this one is full.
    pub next_id: Option<String>,
}

/// An application's notification log, read in sections such as `"1,10"`,
/// as the Python library's `LocalNotificationLog` presents it.
#[derive(Debug, Clone)]
pub struct NotificationLog {
    recorder: Arc<dyn ApplicationRecorder>,
    section_size: usize,
    /// What it reports with: its application's.
    instruments: Instruments,
}

impl NotificationLog {
    /// A log over `recorder` with sections of at most `section_size` items.
    #[doc(hidden)]
    pub fn new(recorder: Arc<dyn ApplicationRecorder>, section_size: usize) -> Self {
        let instruments = Instruments::unnamed(recorder.backend());
        Self {
            recorder,
            section_size: section_size.max(1),
            instruments,
        }
    }

    /// The same log, reporting with `instruments` (its application's).
    pub(crate) fn reporting_with(mut self, instruments: &Instruments) -> Self {
        self.instruments = instruments.clone();
        self
    }

    /// The most notifications a section holds.
    pub(crate) fn section_size(&self) -> usize {
        self.section_size
    }

    /// The id of the last notification, or `None` when there is none (the
    /// Python library's `recorder.max_notification_id()`): how far the log
    /// has grown, e.g. for a caller waiting for a follower to catch up.
    ///
    /// ```
    /// # use eventsmith::application::NotificationLog;
    /// # use eventsmith::persistence::InMemoryRecorder;
    /// let log = NotificationLog::new(std::sync::Arc::new(InMemoryRecorder::new()), 10);
    /// assert_eq!(log.max_notification_id()?, None);
    /// # Ok::<(), eventsmith::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Backend errors.
    pub fn max_notification_id(&self) -> Result<Option<u64>> {
        self.recorder.max_notification_id()
    }

    /// The section `"first,last"`: notifications with ids from `first`, at
    /// most `last - first + 1` of them and never more than the section size,
    /// as the Python library's `LocalNotificationLog` reads a section id:
    /// two whole numbers (any size, read as Python's `int()` reads them)
    /// before and after the first comma; anything after a second comma is
    /// ignored. A `first` below 1 counts as 1, and a `last` below `first`
    /// selects nothing.
    ///
    /// ```
    /// # use eventsmith::application::NotificationLog;
    /// # use eventsmith::persistence::InMemoryRecorder;
    /// let log = NotificationLog::new(std::sync::Arc::new(InMemoryRecorder::new()), 10);
    /// assert!(log.section("1,-9223372036854775808")?.items.is_empty());
    /// assert!(log.section("99999999999999999999,1")?.items.is_empty());
    /// assert!(log.section("one,ten").is_err());
    /// # Ok::<(), eventsmith::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSectionId`] when `section_id` is not two integers
    /// separated by a comma; backend errors, and
    /// [`ErrorKind::InvalidStoredRow`] naming the notification id of a row that
    /// cannot be read.
    pub fn section(&self, section_id: &str) -> Result<Section> {
        let invalid = || ErrorKind::InvalidSectionId {
            section_id: section_id.to_owned(),
        };
        let mut parts = section_id.split(',');
        let mut number = || parts.next().and_then(parse_python_int).ok_or_else(invalid);
        let first = number()?;
        let last = number()?;
        let (items, limit) = self.items(first, last)?;
        let (id, next_id) = match (items.first(), items.last()) {
            (Some(first), Some(last)) => {
                let last_id = u128::from(last.id);
                let span = u128::try_from(limit).unwrap_or(u128::MAX);
                (
                    Some(format!("{},{}", first.id, last.id)),
                    (items.len() == limit).then(|| {
                        format!(
                            "{},{}",
                            last_id.saturating_add(1),
                            last_id.saturating_add(span)
                        )
                    }),
                )
            }
            _ => (None, None),
        };
        Ok(Section { id, items, next_id })
    }

    /// The notifications of the section from `first` to `last` (as
    /// [`section`](Self::section) reads them), and how many it could hold.
    pub(crate) fn items(&self, first: i128, last: i128) -> Result<(Vec<Notification>, usize)> {
        let start = first.max(1);
        let size = i128::try_from(self.section_size).unwrap_or(i128::MAX);
        let limit = last
            .checked_sub(start)
            .and_then(|n| n.checked_add(1))
            .map_or(0, |n| n.clamp(0, size));
        // Ids beyond u64 select nothing: no notification has one.
        let (Ok(start), Ok(limit)) = (u64::try_from(start), usize::try_from(limit)) else {
            return Ok((Vec::new(), 0));
        };
        if limit == 0 {
            return Ok((Vec::new(), 0));
        }
        Ok((self.select(&NotificationQuery::new(start, limit))?, limit))
    }

    /// Selects notifications directly.
    ///
    /// # Errors
    ///
    /// Backend errors.
    pub fn select(&self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        self.recorder.select_notifications(query)
    }

    /// Follows the log from after `gt`, of `topics` only when any are
    /// given (see [`ApplicationRecorder::subscribe`]).
    ///
    /// # Errors
    ///
    /// Backend errors opening the subscription.
    pub fn subscribe(&self, gt: Option<u64>, topics: &[&str]) -> Result<Subscription> {
        let _span = self.instruments.subscribe_span(gt).entered();
        self.recorder.subscribe(gt, topics)
    }
}
