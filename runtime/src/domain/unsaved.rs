//! Changes dropped unsaved: while a follower's policy runs, an aggregate
//! dropped with events it triggered and nobody saved is noted here, on the
//! policy's thread, so that the change is not lost silently (the
//! notification would be recorded as processed without it).

use std::cell::RefCell;

use uuid::Uuid;

thread_local! {
    /// The aggregates dropped with pending events while a watch is on
    /// (`None`: no watch on this thread).
    static DROPPED: RefCell<Option<Vec<(Uuid, u64)>>> = const { RefCell::new(None) };
}

/// Notes that the aggregate `id`, at `version`, was dropped with events
/// nobody saved (called as its core is dropped). Nothing happens when no
/// watch is on.
pub(crate) fn dropped(id: Uuid, version: u64) {
    // `try_with`: the thread may be ending, its locals gone.
    let _ = DROPPED.try_with(|dropped| {
        if let Ok(mut dropped) = dropped.try_borrow_mut()
            && let Some(list) = dropped.as_mut()
        {
            list.push((id, version));
        }
    });
}

/// A watch over the aggregates dropped unsaved on this thread, from its
/// start to [`finish`](Self::finish); a watch already on (a policy that
/// processes another follower) is put back after.
pub(crate) struct Watch {
    outer: Option<Vec<(Uuid, u64)>>,
}

impl Watch {
    pub(crate) fn start() -> Self {
        let outer = DROPPED
            .try_with(|dropped| dropped.borrow_mut().replace(Vec::new()))
            .ok()
            .flatten();
        Self { outer }
    }

    /// The aggregates dropped unsaved since the start, each once, in the
    /// order dropped.
    pub(crate) fn finish(mut self) -> Vec<(Uuid, u64)> {
        let outer = self.outer.take();
        let mut seen = DROPPED
            .try_with(|dropped| std::mem::replace(&mut *dropped.borrow_mut(), outer))
            .ok()
            .flatten()
            .unwrap_or_default();
        let mut unique = Vec::with_capacity(seen.len());
        for entry in seen.drain(..) {
            if !unique.contains(&entry) {
                unique.push(entry);
            }
        }
        unique
    }
}

/// A watch dropped unfinished (the policy panicked) puts back what it
/// replaced.
impl Drop for Watch {
    fn drop(&mut self) {
        let outer = self.outer.take();
        let _ = DROPPED.try_with(|dropped| {
            if let Ok(mut dropped) = dropped.try_borrow_mut() {
                *dropped = outer;
            }
        });
    }
}
