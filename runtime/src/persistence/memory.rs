//! The in-memory recorder ("plain old objects" in the Python library).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{PoisonError, RwLock};

use uuid::Uuid;

use super::{
    AggregateRecorder, ApplicationRecorder, EventQuery, Notification, NotificationQuery,
    StoredEvent,
};
use crate::{Error, Result};

/// Keeps stored events in memory; the default when `INFRASTRUCTURE_FACTORY`
/// is not set. Safe to share between threads; state bytes are kept as the
/// mapper made them, so compression and encryption apply here too.
///
/// ```
/// use eventsourcing::persistence::{AggregateRecorder, ApplicationRecorder, EventQuery, InMemoryRecorder, StoredEvent};
/// let recorder = InMemoryRecorder::new();
/// let id = uuid::Uuid::new_v4();
/// let event = StoredEvent { originator_id: id, originator_version: 1, topic: "t".into(), state: b"{}".to_vec() };
/// assert_eq!(recorder.insert_events(&[event.clone()]).unwrap(), vec![1]);
/// assert!(recorder.insert_events(&[event]).is_err());
/// assert_eq!(recorder.select_events(id, EventQuery::new()).unwrap().len(), 1);
/// assert_eq!(recorder.max_notification_id().unwrap(), Some(1));
/// ```
#[derive(Debug, Default)]
pub struct InMemoryRecorder {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The log: notification id `n` is at index `n - 1`.
    log: Vec<StoredEvent>,
    /// For each aggregate, its versions and where each is in the log.
    index: HashMap<Uuid, BTreeMap<u64, usize>>,
}

impl InMemoryRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }
}

impl AggregateRecorder for InMemoryRecorder {
    fn insert_events(&self, events: &[StoredEvent]) -> Result<Vec<u64>> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let mut seen = HashSet::with_capacity(events.len());
        for e in events {
            let taken = inner
                .index
                .get(&e.originator_id)
                .is_some_and(|versions| versions.contains_key(&e.originator_version));
            if taken || !seen.insert((e.originator_id, e.originator_version)) {
                return Err(Error::VersionConflict {
                    originator_id: e.originator_id,
                    originator_version: e.originator_version,
                });
            }
        }
        let mut ids = Vec::with_capacity(events.len());
        for e in events {
            let position = inner.log.len();
            inner
                .index
                .entry(e.originator_id)
                .or_default()
                .insert(e.originator_version, position);
            inner.log.push(e.clone());
            ids.push(position as u64 + 1);
        }
        Ok(ids)
    }

    fn select_events(&self, originator_id: Uuid, query: EventQuery) -> Result<Vec<StoredEvent>> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let Some(versions) = inner.index.get(&originator_id) else {
            return Ok(Vec::new());
        };
        let low = query
            .gt
            .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let high = query
            .lte
            .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included);
        if let (Some(gt), Some(lte)) = (query.gt, query.lte)
            && gt >= lte
        {
            return Ok(Vec::new());
        }
        let range = versions.range((low, high));
        let limit = query.limit.unwrap_or(usize::MAX);
        let pick = |(_, &position): (&u64, &usize)| inner.log[position].clone();
        Ok(if query.desc {
            range.rev().take(limit).map(pick).collect()
        } else {
            range.take(limit).map(pick).collect()
        })
    }
}

impl ApplicationRecorder for InMemoryRecorder {
    fn select_notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let first = query.start.saturating_sub(1) as usize;
        Ok(inner
            .log
            .iter()
            .enumerate()
            .skip(first)
            .map(|(i, e)| (i as u64 + 1, e))
            .take_while(|(id, _)| query.stop.is_none_or(|stop| *id <= stop))
            .filter(|(id, e)| query.matches(*id, &e.topic))
            .take(query.limit)
            .map(|(id, e)| Notification {
                id,
                originator_id: e.originator_id,
                originator_version: e.originator_version,
                topic: e.topic.clone(),
                state: e.state.clone(),
            })
            .collect())
    }

    fn max_notification_id(&self) -> Result<Option<u64>> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok((!inner.log.is_empty()).then_some(inner.log.len() as u64))
    }
}
