//! Stock items, suppliers and warehouses, generated from
//! `schemas/inventory.yaml`: every field type and every kind of state change
//! of the schema language, compiled.

eventsmith::include_generated!("inventory");

impl Inventory {
    /// Saves an item, supplier or warehouse changed by its commands. The
    /// inventory has no rules of its own to guard, so this crate lets any
    /// crate save what the commands changed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::VersionConflict`](eventsmith::ErrorKind::VersionConflict)
    /// when another save got there first; storage errors.
    pub fn save<A: eventsmith::application::Saveable>(
        &self,
        aggregate: &mut A,
    ) -> eventsmith::Result<Vec<u64>> {
        self.application().save(aggregate)
    }
}

/// The one state change of `inventory.yaml` written in Rust: a new price
/// replaces the old one and joins the price history.
impl ItemApply for Item {
    fn apply_repriced(&mut self, event: ItemRepriced) -> eventsmith::Result<()> {
        self.price = event.price;
        self.price_history.push(event.price);
        Ok(())
    }
}
