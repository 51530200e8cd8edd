//! The domain event trait.

use std::fmt;

use super::{Aggregate, Id, Timestamp};
use crate::{Error, ErrorKind, Result};

/// An event of one aggregate type: a decision that was made, with what is
/// needed to apply it again.
///
/// Generated code implements this for each aggregate's event enum
/// (`WorldEvent`), whose variants hold the event structs (`world::Started`,
/// `world::SomethingHappened`).
pub trait DomainEvent: Clone + fmt::Debug + PartialEq + Send + Sync + 'static {
    /// The aggregate type this event belongs to.
    type Aggregate: Aggregate<Event = Self>;

    /// What every event carries: the id of the aggregate it belongs to,
    /// the aggregate's version once it is applied, and when it happened.
    fn header(&self) -> (Id<Self::Aggregate>, u64, Timestamp);

    /// The id of the aggregate the event belongs to.
    fn originator_id(&self) -> Id<Self::Aggregate> {
        self.header().0
    }

    /// The aggregate's version once this event is applied (1 for the
    /// "created" event).
    fn originator_version(&self) -> u64 {
        self.header().1
    }

    /// When the event happened.
    fn timestamp(&self) -> Timestamp {
        self.header().2
    }

    /// The stored topic of the event, e.g. `universe:World.Started`.
    fn topic(&self) -> &'static str;

    /// Whether this is the event that creates the aggregate.
    fn is_created(&self) -> bool;

    /// Applies the event, by value: a "created" event builds the aggregate
    /// from nothing; any other event evolves the given aggregate.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::CreationMismatch`] when a created event is given an
    /// aggregate or another event none; [`ErrorKind::OriginatorIdMismatch`] and
    /// [`ErrorKind::OriginatorVersionMismatch`] when the event is not the next
    /// one of the given aggregate; an error of the aggregate's own state
    /// changes (such as [`ErrorKind::Overflow`]).
    fn mutate(self, aggregate: Option<Self::Aggregate>) -> Result<Self::Aggregate>;

    /// The error for this event applied where it cannot be: a created
    /// event to an aggregate, or another event to none.
    fn creation_mismatch(&self) -> Error {
        ErrorKind::CreationMismatch {
            topic: self.topic().to_owned(),
            originator_id: self.originator_id().uuid(),
            originator_version: self.originator_version(),
            is_created: self.is_created(),
        }
        .into()
    }
}
