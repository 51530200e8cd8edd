//! The in-memory recorder's index: where each aggregate's events are in
//! the log.

/// Where an aggregate's events are in the log. The recorder stores an
/// aggregate's versions as 1, 2, 3… with no gap (it refuses any other), so
/// positions alone are kept, in version order, and version `v` is the
/// `v`-th. An aggregate with one event has its position here, in one word
/// (the index stays small: fewer cache misses on a probe, less to move
/// when it grows); one with more has the number of its list of positions
/// in [`Inner::runs`], its top bit set.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot(usize);

impl Slot {
    /// The top bit: set for a list in `runs`, clear for a lone position.
    /// (A position is below it: a `Vec` holds at most `isize::MAX` bytes.)
    const RUN: usize = 1 << (usize::BITS - 1);

    pub(super) fn lone(position: usize) -> Self {
        debug_assert_eq!(position & Self::RUN, 0);
        Self(position)
    }

    fn run(run: usize) -> Self {
        Self(run | Self::RUN)
    }

    /// The list's number in `runs`, when this is one.
    fn run_number(self) -> Option<usize> {
        (self.0 & Self::RUN != 0).then_some(self.0 & !Self::RUN)
    }

    /// The slot of a new aggregate whose `count` events are at the
    /// positions from `start`.
    pub(super) fn new(runs: &mut Vec<Vec<usize>>, start: usize, count: usize) -> Self {
        if count == 1 {
            return Self::lone(start);
        }
        let run = runs.len();
        runs.push((start..start.saturating_add(count)).collect());
        Self::run(run)
    }

    /// The aggregate's positions, in version order.
    pub(super) fn positions<'a>(&'a self, runs: &'a [Vec<usize>]) -> &'a [usize] {
        match self.run_number() {
            Some(run) => runs.get(run).map_or(&[], Vec::as_slice),
            None => std::slice::from_ref(&self.0),
        }
    }

    /// Adds the aggregate's next `count` events, at the positions from
    /// `start`.
    pub(super) fn grow(&mut self, runs: &mut Vec<Vec<usize>>, start: usize, count: usize) {
        let positions = start..start.saturating_add(count);
        match self.run_number() {
            Some(run) => {
                if let Some(run) = runs.get_mut(run) {
                    run.extend(positions);
                }
            }
            None => {
                let run = runs.len();
                runs.push(std::iter::once(self.0).chain(positions).collect());
                *self = Self::run(run);
            }
        }
    }
}

/// How many versions an aggregate with these positions has: its highest.
pub(super) fn version_count(positions: &[usize]) -> u64 {
    u64::try_from(positions.len()).unwrap_or(u64::MAX)
}

/// The positions with `gt < version <= lte` of those an aggregate has (its
/// versions 1 to `positions.len()`).
pub(super) fn in_range(positions: &[usize], gt: Option<u64>, lte: Option<u64>) -> &[usize] {
    let len = positions.len();
    let at = |version: u64| usize::try_from(version).map_or(len, |v| v.min(len));
    let from = gt.map_or(0, at);
    let to = lte.map_or(len, at);
    positions.get(from..to).unwrap_or_default()
}
