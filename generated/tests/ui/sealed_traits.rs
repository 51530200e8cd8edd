// The runtime's recorder traits, `Saveable` and `Number` are sealed: another
// crate can call them, not implement them (so the runtime may add methods).
use eventsmith::application::Saveable;
use eventsmith::domain::Number;
use eventsmith::persistence::{StoredEvent, TrackingRecorder, Tracking};

#[derive(Debug)]
struct MyRecorder;

impl TrackingRecorder for MyRecorder {
    fn insert_tracking(&self, _: &Tracking) -> eventsmith::Result<()> {
        Ok(())
    }
    fn max_tracking_id(&self, _: &str) -> eventsmith::Result<Option<u64>> {
        Ok(None)
    }
}

#[derive(Clone, Copy)]
struct Money(i64);

impl Number for Money {
    fn checked_increment(self, by: Self) -> Option<Self> {
        self.0.checked_add(by.0).map(Money)
    }
    fn checked_decrement(self, by: Self) -> Option<Self> {
        self.0.checked_sub(by.0).map(Money)
    }
}

struct NotAnAggregate;

impl Saveable for NotAnAggregate {
    fn encode_pending(
        &self,
        _: &eventsmith::persistence::Mapper,
        _: &mut Vec<StoredEvent>,
    ) -> eventsmith::Result<()> {
        Ok(())
    }
    fn clear_pending(&mut self) {}
    fn cache_saved(&self, _: &eventsmith::Repository) {}
    fn take_snapshots(&self, _: &eventsmith::Application, _: &[StoredEvent]) -> eventsmith::Result<()> {
        Ok(())
    }
}

fn main() {}
