//! Where the in-memory recorder keeps event states: side by side in blocks,
//! not in an allocation each, and with no reference count taken per event
//! on the way in.

use bytes::Bytes;

/// The size of a block of states: each event's state is copied into the
/// current block, not into an allocation of its own.
pub(super) const STATE_BLOCK: usize = 64 * 1024;

/// A state larger than this is kept alone, not in a block, so that no
/// block is left more than a quarter empty.
pub(super) const STATE_ALONE: usize = STATE_BLOCK / 4;

// A span's start and length within a shared block are at most
// `STATE_BLOCK`, which a `u32` holds with room to spare.
const _: () = assert!(STATE_BLOCK < 0xFFFF_FFFF);

/// Every state the recorder keeps.
#[derive(Debug, Default)]
pub(super) struct States {
    /// Filled blocks.
    done: Vec<Bytes>,
    /// States larger than [`STATE_ALONE`], each kept alone: apart from the
    /// blocks, so that one does not end the block being filled (ending it
    /// early left a block's worth of room behind each, which the allocator
    /// could not reuse).
    alone: Vec<Bytes>,
    /// The block being filled, block number `done.len()`. It is shared
    /// with readers (as a [`Bytes`]) only once filled: until then a reader
    /// that takes one of its states out of the lock copies it.
    current: Vec<u8>,
}

/// Where one state is: in which block and where in it, or which of the
/// states kept alone it is.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    /// The block's number, or the number of the state kept alone.
    block: usize,
    /// [`Span::WHOLE`] for a state kept alone.
    start: u32,
    len: u32,
}

impl Span {
    /// The start of a state kept alone.
    const WHOLE: u32 = u32::MAX;

    /// The state's bytes in `block`, the block it names.
    fn of<'a>(&self, block: &'a [u8]) -> &'a [u8] {
        let start = widen(self.start);
        block
            .get(start..start.saturating_add(widen(self.len)))
            .unwrap_or_default()
    }
}

/// A span's `u32`, as a `usize`.
fn widen(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// `n`, at most [`STATE_BLOCK`], as a `u32`.
fn offset(n: usize) -> u32 {
    // Never the fallback: every caller's `n` is at most `STATE_BLOCK`.
    u32::try_from(n).unwrap_or(u32::MAX - 1)
}

impl States {
    /// Keeps a copy of `state`: in the current block when it fits (in a
    /// new block when not), alone when it is large.
    pub(super) fn keep(&mut self, state: &[u8]) -> Span {
        if state.len() > STATE_ALONE {
            self.alone.push(Bytes::copy_from_slice(state));
            return Span {
                block: self.alone.len().saturating_sub(1),
                start: Span::WHOLE,
                len: 0,
            };
        }
        if self.current.capacity().saturating_sub(self.current.len()) < state.len() {
            self.finish();
        }
        if self.current.capacity() == 0 {
            self.current = Vec::with_capacity(STATE_BLOCK);
        }
        let start = self.current.len();
        self.current.extend_from_slice(state);
        Span {
            block: self.done.len(),
            start: offset(start),
            len: offset(state.len()),
        }
    }

    /// Moves the current block, when there is one, into the filled ones
    /// (only once a state does not fit: it is then at least three quarters
    /// full).
    fn finish(&mut self) {
        if self.current.capacity() > 0 {
            self.done
                .push(Bytes::from(std::mem::take(&mut self.current)));
        }
    }

    /// The state at `span`.
    pub(super) fn get(&self, span: Span) -> &[u8] {
        if span.start == Span::WHOLE {
            return self.alone.get(span.block).map_or(&[], |state| state);
        }
        span.of(self.done.get(span.block).map_or(&self.current, |b| b))
    }

    /// The state at `span` when it is kept alone, shared.
    pub(super) fn alone(&self, span: Span) -> Option<Bytes> {
        (span.start == Span::WHOLE)
            .then(|| self.alone.get(span.block).cloned())
            .flatten()
    }

    /// The state at `span`, to keep out of the lock: shared with the
    /// recorder when it is kept alone or its block is filled, a copy when
    /// its block is still being filled.
    pub(super) fn share(&self, span: Span) -> Bytes {
        if let Some(state) = self.alone(span) {
            return state;
        }
        let Some(block) = self.done.get(span.block) else {
            return Bytes::copy_from_slice(self.get(span));
        };
        let state = span.of(block);
        // `state` lies within `block`: slice_ref shares it.
        if state.is_empty() {
            Bytes::new()
        } else {
            block.slice_ref(state)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state comes back as it went in, by `get` and by `share`,
    /// before its block is filled and after: empty, one byte, the largest
    /// kept in a block and the smallest kept alone, more than a block, and
    /// runs of states that fill blocks exactly and that leave room.
    #[test]
    fn every_state_comes_back_as_it_went_in() {
        let mut sizes = vec![0, 1, STATE_ALONE, STATE_ALONE + 1, 0, STATE_BLOCK + 1, 0];
        sizes.extend(std::iter::repeat_n(1_000, 2 * STATE_BLOCK / 1_000));
        sizes.extend(std::iter::repeat_n(STATE_ALONE, 4));
        sizes.extend([7, STATE_ALONE + 1, STATE_ALONE + 1, 3, 0]);
        let mut states = States::default();
        let mut kept = Vec::new();
        for (n, size) in sizes.iter().enumerate() {
            let state: Vec<u8> = (0..*size).map(|i| (i * 7 + n) as u8).collect();
            let span = states.keep(&state);
            kept.push((span, state));
            for (m, (span, state)) in kept.iter().enumerate() {
                assert_eq!(states.get(*span), &state[..], "state {m}, after {n}");
                assert_eq!(&states.share(*span)[..], &state[..], "state {m}, after {n}");
            }
        }
    }

    /// States kept alone do not end the block being filled: small states
    /// between large ones fill blocks to at least three quarters, as many
    /// blocks as their bytes need (it took a block per small state, and
    /// left most of each empty, when a large state ended the block).
    #[test]
    fn large_states_leave_the_blocks_to_the_small_ones() {
        let mut states = States::default();
        let (small, large) = (vec![1; 2_000], vec![2; STATE_BLOCK + 464]);
        for _ in 0..300 {
            states.keep(&small);
            states.keep(&large);
        }
        assert_eq!(states.alone.len(), 300);
        // 600,000 bytes of small states: 10 blocks, the tenth being filled.
        assert_eq!(states.done.len(), 9);
        assert!(
            states
                .done
                .iter()
                .all(|block| block.len() >= STATE_BLOCK / 4 * 3)
        );
    }
}
