//! Aggregates and their events: what an event-sourced domain model is made of.
//!
//! This module knows nothing of storage. An [`Aggregate`] holds state that only
//! changes by its own events; each [`DomainEvent`] knows how to [`mutate`]
//! an aggregate (or nothing, for a "created" event) into the next state.
//!
//! [`mutate`]: DomainEvent::mutate

// `AggregateMeta::triggered` and `next_version` add 1 to a version unchecked
// (a version would have to reach u64::MAX first); left to the code
// generator's rewrite of this file.
#[allow(clippy::arithmetic_side_effects)]
pub(crate) mod aggregate;
mod checked;
mod event;
mod id;
pub(crate) mod originator_topic;
pub(crate) mod timestamp;
pub(crate) mod unsaved;

pub use aggregate::Aggregate;
pub(crate) use aggregate::AggregateCore;
pub use checked::{Checked, Number};
pub use event::DomainEvent;
pub use id::Id;
pub(crate) use timestamp::UNTIMED;
pub use timestamp::{Timestamp, format_timestamp, now, parse_timestamp};
