//! Stock items, suppliers and warehouses, generated from
//! `schemas/inventory.yaml`: every field type and every kind of state change
//! of the schema language, compiled.

eventsourcing::include_generated!("inventory");

/// The one state change of `inventory.yaml` written in Rust: a new price
/// replaces the old one and joins the price history.
impl ItemApply for Item {
    fn apply_repriced(&mut self, event: &Repriced) {
        self.price = event.price;
        self.price_history.push(event.price);
    }
}
