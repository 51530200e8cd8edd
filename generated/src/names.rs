//! Generated from `schemas/names.yaml`: value types, aggregates, events,
//! fields, arguments and an application named like Rust's prelude and the
//! generated code's own words (`Result`, `Option`, `Some`, `None`, `Error`,
//! `Iterator`, `event`, `checked`, ...). That it compiles, here, beside the
//! prelude, is the point; `tests/names.rs` round-trips its events.

eventsourcing::include_generated!("names");

impl String {
    /// Saves an aggregate changed by its commands: none of these has rules.
    ///
    /// # Errors
    ///
    /// [`Error::VersionConflict`](eventsourcing::Error::VersionConflict),
    /// storage errors.
    pub fn save<A: eventsourcing::application::Saveable>(
        &self,
        aggregate: &mut A,
    ) -> eventsourcing::Result<std::vec::Vec<u64>> {
        self.application().save(aggregate)
    }
}
