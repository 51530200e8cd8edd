//! The domain event trait.

use std::fmt;

use uuid::Uuid;

use super::{Aggregate, Timestamp};
use crate::Result;

/// An event of one aggregate type: a decision that was made, with what is
/// needed to apply it again.
///
/// Generated code implements this for each aggregate's event enum
/// (`WorldEvent`), whose variants are the event structs (`Started`,
/// `SomethingHappened`).
pub trait DomainEvent: Clone + fmt::Debug + PartialEq + Send + Sync + 'static {
    /// The aggregate type this event belongs to.
    type Aggregate: Aggregate<Event = Self>;

    /// The id of the aggregate the event belongs to.
    fn originator_id(&self) -> Uuid;

    /// The aggregate's version once this event is applied (1 for the
    /// "created" event).
    fn originator_version(&self) -> u64;

    /// When the event happened.
    fn timestamp(&self) -> Timestamp;

    /// The stored topic of the event, e.g. `universe:World.Started`.
    fn topic(&self) -> &'static str;

    /// Whether this is the event that creates the aggregate.
    fn is_created(&self) -> bool;

    /// Applies the event: a "created" event builds the aggregate from
    /// nothing; any other event evolves the given aggregate.
    ///
    /// # Errors
    ///
    /// [`Error::CreationMismatch`](crate::Error::CreationMismatch) when a
    /// created event is given an aggregate or another event none;
    /// [`Error::OriginatorIdMismatch`](crate::Error::OriginatorIdMismatch) and
    /// [`Error::OriginatorVersionMismatch`](crate::Error::OriginatorVersionMismatch)
    /// when the event is not the next one of the given aggregate.
    fn mutate(&self, aggregate: Option<Self::Aggregate>) -> Result<Self::Aggregate>;
}
