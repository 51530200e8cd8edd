//! Changes dropped unsaved: while a follower's policy runs, an aggregate
//! dropped with events it triggered and nobody saved is noted here, on the
//! policy's thread, so that the change is not lost silently (the
//! notification would be recorded as processed without it). An aggregate
//! given to a save, whether the save succeeded or not, is excused: its
//! events were not forgotten.

use std::cell::RefCell;

use uuid::Uuid;

/// What a watch has seen: the aggregates dropped with pending events, and
/// those given to a save, each as its id and version.
#[derive(Debug, Default)]
struct Seen {
    dropped: Vec<(Uuid, u64)>,
    saved: Vec<(Uuid, u64)>,
}

thread_local! {
    /// The watch on this thread, if one is on.
    static WATCH: RefCell<Option<Seen>> = const { RefCell::new(None) };
}

/// Runs `f` on the watch of this thread, if one is on (and the thread's
/// locals are still there).
fn with_watch(f: impl FnOnce(&mut Seen)) {
    let _ = WATCH.try_with(|watch| {
        if let Ok(mut watch) = watch.try_borrow_mut()
            && let Some(seen) = watch.as_mut()
        {
            f(seen);
        }
    });
}

/// Notes that the aggregate `id`, at `version`, was dropped with events
/// nobody saved (called as its core is dropped).
pub(crate) fn dropped(id: Uuid, version: u64) {
    with_watch(|seen| seen.dropped.push((id, version)));
}

/// Notes that the aggregate, by its id and version, was given to a save (called
/// by the application's saves, whatever their outcome).
pub(crate) fn given_to_save(id_and_version: (Uuid, u64)) {
    with_watch(|seen| seen.saved.push(id_and_version));
}

/// A watch over the aggregates dropped unsaved on this thread, from its
/// start to [`finish`](Self::finish); a watch already on (a policy that
/// processes another follower) is put back after, as it was.
pub(crate) struct Watch {
    /// The watch this one replaced; `None` inside once put back.
    outer: Option<Option<Seen>>,
}

impl Watch {
    pub(crate) fn start() -> Self {
        let outer = WATCH
            .try_with(|watch| watch.borrow_mut().replace(Seen::default()))
            .ok();
        Self { outer }
    }

    /// The aggregates dropped unsaved since the start, each once, in the
    /// order dropped: not those given to a save at that version or later
    /// (a copy kept aside of an aggregate saved later is no loss), nor
    /// `also_saved`, the aggregates the caller saves next.
    pub(crate) fn finish(mut self, also_saved: &[(Uuid, u64)]) -> Vec<(Uuid, u64)> {
        let seen = self.restore().unwrap_or_default();
        let covered = |(id, version): &(Uuid, u64)| {
            seen.saved
                .iter()
                .chain(also_saved)
                .any(|(saved, at)| saved == id && at >= version)
        };
        let mut lost: Vec<(Uuid, u64)> = Vec::new();
        for entry in &seen.dropped {
            if !covered(entry) && !lost.contains(entry) {
                lost.push(*entry);
            }
        }
        lost
    }

    /// Puts back the watch this one replaced (once), and returns what this
    /// one saw.
    fn restore(&mut self) -> Option<Seen> {
        let outer = self.outer.take()?;
        WATCH
            .try_with(|watch| std::mem::replace(&mut *watch.borrow_mut(), outer))
            .ok()
            .flatten()
    }
}

/// A watch dropped unfinished (the policy panicked) puts back what it
/// replaced.
impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.restore();
    }
}
