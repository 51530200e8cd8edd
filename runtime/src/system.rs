//! Following an application's log from elsewhere: the notification log reader.

use std::collections::VecDeque;

use crate::Result;
use crate::application::NotificationLog;
use crate::persistence::{Notification, NotificationQuery};

/// Reads every notification of a log from a start id, a section at a time,
/// so memory stays flat however long the log is.
///
/// ```
/// # use eventsourcing::application::NotificationLog;
/// # use eventsourcing::persistence::InMemoryRecorder;
/// # use eventsourcing::NotificationLogReader;
/// # let log = NotificationLog::new(std::sync::Arc::new(InMemoryRecorder::new()), 10);
/// let reader = NotificationLogReader::new(&log);
/// let all: Vec<_> = reader.read(1).collect::<Result<_, _>>()?;
/// assert!(all.is_empty());
/// # Ok::<(), eventsourcing::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct NotificationLogReader<'a> {
    log: &'a NotificationLog,
    section_size: usize,
}

impl<'a> NotificationLogReader<'a> {
    /// A reader of `log` that reads sections of the log's own size.
    pub fn new(log: &'a NotificationLog) -> Self {
        Self {
            log,
            section_size: log.section_size(),
        }
    }

    /// The same reader fetching `section_size` notifications at a time.
    pub fn with_section_size(mut self, section_size: usize) -> Self {
        self.section_size = section_size.max(1);
        self
    }

    /// Every notification with id `start` or more, in order, following the
    /// sections' `next_id` links until a section is not full.
    pub fn read(&self, start: u64) -> impl Iterator<Item = Result<Notification>> + 'a {
        let log = self.log;
        let size = self.section_size.min(log.section_size()) as u64;
        let mut next = Some(format!("{},{}", start, start + size - 1));
        let mut buffered = VecDeque::new();
        std::iter::from_fn(move || {
            loop {
                if let Some(item) = buffered.pop_front() {
                    return Some(Ok(item));
                }
                let section_id = next.take()?;
                match log.section(&section_id) {
                    Ok(section) => {
                        next = section.next_id;
                        buffered.extend(section.items);
                    }
                    Err(e) => return Some(Err(e)),
                }
            }
        })
    }

    /// Notifications from `start`, up to `stop` when given, of `topics` only
    /// when not empty, fetched `section_size` at a time.
    pub fn select(
        &self,
        start: u64,
        stop: Option<u64>,
        topics: &[&str],
    ) -> impl Iterator<Item = Result<Notification>> + 'a {
        let log = self.log;
        let size = self.section_size;
        let mut query = NotificationQuery::new(start, size).topics(topics.iter().copied());
        query.stop = stop;
        let mut buffered = VecDeque::new();
        let mut done = false;
        std::iter::from_fn(move || {
            loop {
                if let Some(item) = buffered.pop_front() {
                    return Some(Ok(item));
                }
                if done {
                    return None;
                }
                match log.select(&query) {
                    Ok(items) => {
                        done = items.len() < size;
                        if let Some(last) = items.last() {
                            query.start = last.id + 1;
                        }
                        buffered.extend(items);
                    }
                    Err(e) => {
                        done = true;
                        return Some(Err(e));
                    }
                }
            }
        })
    }
}
