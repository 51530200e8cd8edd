//! Generated from `schemas/names.yaml`: value types, aggregates, events,
//! fields, arguments and an application named like Rust's prelude and the
//! generated code's own words (`Result`, `Option`, `Some`, `None`, `Error`,
//! `Iterator`, `event`, `checked`, ...). That it compiles, here, beside the
//! prelude, is the point; `tests/names.rs` round-trips its events.

eventsmith::include_generated!("names");

impl String {
    /// Saves an aggregate changed by its commands: none of these has rules.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::VersionConflict`](eventsmith::ErrorKind::VersionConflict),
    /// storage errors.
    pub fn save<A: eventsmith::application::Saveable>(
        &self,
        aggregate: &mut A,
    ) -> eventsmith::Result<std::vec::Vec<u64>> {
        self.application().save(aggregate)
    }
}

/// `Box`'s policies, named like std's trait methods, each doing nothing:
/// the generated code calls them by their trait, so the names clash with
/// nothing (`tests/names.rs` runs them).
impl BoxPolicy for Box {
    fn clone(
        &self,
        _: ResultOk,
        _: &mut eventsmith::ProcessingOf<'_, '_, Box>,
    ) -> std::result::Result<(), eventsmith::PolicyError> {
        std::result::Result::Ok(())
    }

    fn fmt(
        &self,
        _: ResultErr,
        _: &mut eventsmith::ProcessingOf<'_, '_, Box>,
    ) -> std::result::Result<(), eventsmith::PolicyError> {
        std::result::Result::Ok(())
    }

    fn eq(
        &self,
        _: ResultSome,
        _: &mut eventsmith::ProcessingOf<'_, '_, Box>,
    ) -> std::result::Result<(), eventsmith::PolicyError> {
        std::result::Result::Ok(())
    }

    fn from(
        &self,
        _: ResultNone,
        _: &mut eventsmith::ProcessingOf<'_, '_, Box>,
    ) -> std::result::Result<(), eventsmith::PolicyError> {
        std::result::Result::Ok(())
    }

    fn handle(
        &self,
        _: ResultDefault,
        _: &mut eventsmith::ProcessingOf<'_, '_, Box>,
    ) -> std::result::Result<(), eventsmith::PolicyError> {
        std::result::Result::Ok(())
    }

    fn into(
        &self,
        _: ResultInto,
        _: &mut eventsmith::ProcessingOf<'_, '_, Box>,
    ) -> std::result::Result<(), eventsmith::PolicyError> {
        std::result::Result::Ok(())
    }

    fn default(
        &self,
        _: VecBox,
        _: &mut eventsmith::ProcessingOf<'_, '_, Box>,
    ) -> std::result::Result<(), eventsmith::PolicyError> {
        std::result::Result::Ok(())
    }
}
