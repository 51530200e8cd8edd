//! Where the in-memory recorder keeps event states: side by side in blocks,
//! not in an allocation each, and with no reference count taken per event
//! on the way in.

use bytes::Bytes;

/// The size of a block of states: each event's state is copied into the
/// current block, not into an allocation of its own.
pub(super) const STATE_BLOCK: usize = 64 * 1024;

/// A state larger than this has a block of its own, so that no block is
/// left more than a quarter empty.
pub(super) const STATE_ALONE: usize = STATE_BLOCK / 4;

// A span's start and length within a shared block are at most
// `STATE_BLOCK`, which a `u32` holds with room to spare.
const _: () = assert!(STATE_BLOCK < 0xFFFF_FFFF);

/// Every state the recorder keeps.
#[derive(Debug, Default)]
pub(super) struct States {
    /// Filled blocks, and states kept alone, in the order they were made.
    done: Vec<Bytes>,
    /// The block being filled, block number `done.len()`. It is shared
    /// with readers (as a [`Bytes`]) only once filled: until then a reader
    /// that takes one of its states out of the lock copies it.
    current: Vec<u8>,
}

/// Where one state is: in which block, and where in it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    block: usize,
    /// [`Span::WHOLE`] for a state kept alone: the whole of its block.
    start: u32,
    len: u32,
}

impl Span {
    /// The start of a state that has its block to itself.
    const WHOLE: u32 = u32::MAX;

    /// The state's bytes in `block`, the block it names.
    fn of<'a>(&self, block: &'a [u8]) -> &'a [u8] {
        if self.start == Self::WHOLE {
            return block;
        }
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
    /// new block when not), in a block of its own when it is large.
    pub(super) fn keep(&mut self, state: &[u8]) -> Span {
        if state.len() > STATE_ALONE {
            // The current block's number is `done.len()`: it is finished
            // first, so that the state alone takes the number after it.
            self.finish();
            let block = self.done.len();
            self.done.push(Bytes::copy_from_slice(state));
            return Span {
                block,
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

    /// Moves the current block, when there is one, into the filled ones.
    /// One finished early (before a state kept alone) gives back the room
    /// it did not use.
    fn finish(&mut self) {
        if self.current.capacity() == 0 {
            return;
        }
        let mut block = std::mem::take(&mut self.current);
        if block.len().saturating_mul(4) < block.capacity().saturating_mul(3) {
            block.shrink_to_fit();
        }
        self.done.push(Bytes::from(block));
    }

    /// The state at `span`.
    pub(super) fn get(&self, span: Span) -> &[u8] {
        span.of(self.done.get(span.block).map_or(&self.current, |b| b))
    }

    /// The state at `span`, to keep out of the lock: shared with the
    /// recorder when its block is filled, a copy when not.
    pub(super) fn share(&self, span: Span) -> Bytes {
        let Some(block) = self.done.get(span.block) else {
            return Bytes::copy_from_slice(self.get(span));
        };
        if span.start == Span::WHOLE {
            return block.clone();
        }
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
}
