//! Shared pieces of the end-to-end tests: the hand-written tutorial domain,
//! the tutorial suite and the recorder conformance suite.

pub mod backends;
pub mod conformance;
pub mod handwritten;
pub mod tutorial;
