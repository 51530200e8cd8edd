//! Following an application's log from elsewhere: the notification log reader.

use std::collections::VecDeque;

use crate::application::NotificationLog;
use crate::persistence::{Notification, NotificationQuery};
use crate::{Error, ErrorKind, Result};

/// Reads every notification of a log from a start id, a section at a time,
/// so memory stays flat however long the log is.
///
/// ```
/// # use eventsmith::application::NotificationLog;
/// # use eventsmith::persistence::InMemoryRecorder;
/// # use eventsmith::NotificationLogReader;
/// # let log = NotificationLog::new(std::sync::Arc::new(InMemoryRecorder::new()), 10);
/// let reader = NotificationLogReader::new(&log);
/// let all: Vec<_> = reader.read(1).collect::<Result<_, _>>()?;
/// assert!(all.is_empty());
/// # Ok::<(), eventsmith::Error>(())
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

    /// Every notification with id `start` or more, in order, a section at a
    /// time, until a section is not full.
    ///
    /// A row that cannot be read is yielded as its error
    /// ([`ErrorKind::InvalidStoredRow`] naming its notification id), in its
    /// place: the notifications before it come first, and reading carries on
    /// after it. Any other error ends the reading.
    pub fn read(&self, start: u64) -> impl Iterator<Item = Result<Notification>> + 'a {
        let log = self.log;
        let size = self.section_size.min(log.section_size());
        let span = u128::try_from(size).unwrap_or(u128::MAX);
        // Ids start at 1, as sections do.
        let mut pages = Pages::new(u128::from(start.max(1)), None);
        std::iter::from_fn(move || {
            pages.next(|first, last| {
                let last = last.min(first.saturating_add(span).saturating_sub(1));
                // As many as the section can hold: the range, at most a section.
                let limit = usize::try_from(last.saturating_sub(first).saturating_add(1))
                    .map_or(size, |n| n.min(size));
                // The section `"{first},{last}"`, with no text made and read.
                let bound = |id: u128| i128::try_from(id).unwrap_or(i128::MAX);
                log.items(bound(first), bound(last))
                    .map(|(items, _)| (items, limit))
            })
        })
    }

    /// Notifications from `start`, up to `stop` when given, of `topics` only
    /// when not empty, fetched `section_size` at a time. An unreadable row is
    /// yielded as its error and reading carries on after it, as
    /// [`read`](Self::read) does.
    pub fn select(
        &self,
        start: u64,
        stop: Option<u64>,
        topics: &[&str],
    ) -> impl Iterator<Item = Result<Notification>> + 'a {
        let log = self.log;
        let size = self.section_size;
        let query = NotificationQuery::new(start, size).topics(topics.iter().copied());
        let mut pages = Pages::new(u128::from(start), stop.map(u128::from));
        std::iter::from_fn(move || {
            pages.next(|first, last| {
                let mut query = query.clone();
                // Both fit: they come from u64 ids.
                query.start = u64::try_from(first).unwrap_or(u64::MAX);
                query.stop = u64::try_from(last).ok();
                log.select(&query).map(|items| (items, size))
            })
        })
    }
}

/// Where a reader is in the log: the next id to read from, a limit, and a
/// row that could not be read, to report once the rows before it are given.
#[derive(Debug)]
struct Pages {
    /// The next id to read from; `None` when done.
    next: Option<u128>,
    /// The last id to read.
    last: u128,
    /// The notifications read and not yet given.
    buffered: VecDeque<Notification>,
    /// An unreadable row's error, the id to carry on from after it, and the
    /// last id to read then.
    broken: Option<(Error, u128, u128)>,
}

impl Pages {
    fn new(start: u128, stop: Option<u128>) -> Self {
        Self {
            next: Some(start),
            last: stop.unwrap_or(u128::MAX),
            buffered: VecDeque::new(),
            broken: None,
        }
    }

    /// The next item, reading a page with `fetch(first, last)` when needed:
    /// it returns notifications with ids from `first` to `last`, in order,
    /// and how many the page could hold; a page that is not full is the last.
    fn next(
        &mut self,
        mut fetch: impl FnMut(u128, u128) -> Result<(Vec<Notification>, usize)>,
    ) -> Option<Result<Notification>> {
        loop {
            if let Some(item) = self.buffered.pop_front() {
                return Some(Ok(item));
            }
            let first = match self.next.take() {
                Some(first) if first <= self.last => first,
                _ => {
                    // Done, or done with the rows before an unreadable one.
                    let (error, resume, last) = self.broken.take()?;
                    self.next = Some(resume);
                    self.last = last;
                    return Some(Err(error));
                }
            };
            match fetch(first, self.last) {
                Ok((items, limit)) => {
                    if let Some(last) = items.last() {
                        let full = items.len() >= limit;
                        self.next = full.then(|| u128::from(last.id).saturating_add(1));
                    }
                    self.buffered.extend(items);
                }
                Err(error) => match broken_row(&error) {
                    Some(id) if id >= first && self.broken.is_none() => {
                        // The rows before it first, then the error, then on after it.
                        self.broken = Some((error, id.saturating_add(1), self.last));
                        self.last = id.saturating_sub(1);
                        self.next = (id > first).then_some(first);
                    }
                    _ => return Some(Err(error)),
                },
            }
        }
    }
}

/// The notification id of the row an error is about, if it is an
/// unreadable row of the log.
fn broken_row(error: &Error) -> Option<u128> {
    match error.kind() {
        ErrorKind::InvalidStoredRow {
            notification_id: Some(id),
            ..
        } => u128::try_from(*id).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::persistence::{AggregateRecorder, InMemoryRecorder, StoredEvent};

    /// Whatever the start (0, inside the log, at its end, past it, at the
    /// top of `u64`) and whatever the sizes of the log's and the reader's
    /// sections, the reader gives each notification from the start once, in
    /// order, and nothing else.
    #[test]
    fn a_reader_gives_every_notification_from_any_start_at_any_section_size() {
        let recorder = Arc::new(InMemoryRecorder::new());
        let id = uuid::Uuid::new_v4();
        let events: Vec<StoredEvent> = (1..=7)
            .map(|v| StoredEvent {
                originator_id: id,
                originator_version: v,
                topic: "m:E".into(),
                state: vec![],
            })
            .collect();
        recorder.insert_events(&events).unwrap();
        for log_size in [1, 2, 3, 7, 8, usize::MAX] {
            let log = NotificationLog::new(recorder.clone(), log_size);
            for reader_size in [1, 2, 3, 7, 8, 1_000, usize::MAX] {
                let reader = NotificationLogReader::new(&log).with_section_size(reader_size);
                for start in [0, 1, 2, 6, 7, 8, u64::MAX - 1, u64::MAX] {
                    let ids: Vec<u64> = reader.read(start).map(|n| n.unwrap().id).collect();
                    let expected: Vec<u64> = (start.max(1)..=7).collect();
                    assert_eq!(
                        ids, expected,
                        "log {log_size}, reader {reader_size}, from {start}"
                    );
                }
            }
        }
    }
}
