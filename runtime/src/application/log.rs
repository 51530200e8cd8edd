//! The notification log: every stored event of an application, in order, in sections.

use std::sync::Arc;

use crate::persistence::{ApplicationRecorder, Notification, NotificationQuery};
use crate::{Error, Result};

/// The default number of notifications in a section.
pub const DEFAULT_SECTION_SIZE: usize = 10;

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
}

impl NotificationLog {
    /// A log over `recorder` with sections of at most `section_size` items.
    pub fn new(recorder: Arc<dyn ApplicationRecorder>, section_size: usize) -> Self {
        Self {
            recorder,
            section_size: section_size.max(1),
        }
    }

    /// The most notifications a section holds.
    pub fn section_size(&self) -> usize {
        self.section_size
    }

    /// The section `"first,last"`: notifications with ids from `first`, at
    /// most `last - first + 1` of them and never more than the section size.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSectionId`] when `section_id` is not two integers
    /// separated by a comma; backend errors.
    pub fn section(&self, section_id: &str) -> Result<Section> {
        let invalid = || Error::InvalidSectionId {
            section_id: section_id.to_owned(),
        };
        let (first, last) = section_id.split_once(',').ok_or_else(invalid)?;
        let first: i64 = first.trim().parse().map_err(|_| invalid())?;
        let last: i64 = last.trim().parse().map_err(|_| invalid())?;
        let start = first.max(1);
        let limit = usize::try_from((last - start + 1).max(0))
            .unwrap_or(0)
            .min(self.section_size);
        let items = if limit == 0 {
            Vec::new()
        } else {
            self.select(&NotificationQuery::new(start as u64, limit))?
        };
        let (id, next_id) = match (items.first(), items.last()) {
            (Some(first), Some(last)) => (
                Some(format!("{},{}", first.id, last.id)),
                (items.len() == limit)
                    .then(|| format!("{},{}", last.id + 1, last.id + limit as u64)),
            ),
            _ => (None, None),
        };
        Ok(Section { id, items, next_id })
    }

    /// Selects notifications directly.
    ///
    /// # Errors
    ///
    /// Backend errors.
    pub fn select(&self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        self.recorder.select_notifications(query)
    }
}
