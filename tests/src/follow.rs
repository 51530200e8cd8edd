//! A bank that follows the tutorial's universe, for the tests of followers
//! and systems: it opens an account for each world started (its id made
//! from the world's, so a second opening would be a conflict) and pays a
//! cent into it for each thing that happens there. Each of the universe's
//! events gives exactly one of the bank's.

use eventsmith::{Aggregate, Application, Decimal, PolicyError, Processing};
use eventsmith_generated::bank_accounts::Account;
use eventsmith_generated::world::{World, WorldEvent, WorldId};

/// The email of the account of `world`.
pub fn email(world: WorldId) -> String {
    format!("{}@worlds.example", world.uuid().simple())
}

/// What is paid in for each thing that happens.
pub fn cent() -> Decimal {
    Decimal::new(1, 2)
}

/// The bank's policy over the universe's events.
pub fn policy(
    bank: &Application,
) -> impl FnMut(WorldEvent, &mut Processing<'_>) -> Result<(), PolicyError> + '_ {
    move |event, processing| {
        match event {
            WorldEvent::Started(started) => {
                processing.save(Account::create(started.name, email(started.originator_id)));
            }
            WorldEvent::SomethingHappened(happened) => {
                let id = Account::create_id(&email(happened.originator_id));
                let mut account: Account = bank.repository().get(id)?;
                account.deposit(cent())?;
                processing.save(account);
            }
        }
        Ok(())
    }
}

/// Worlds written to `universe`, one for each of `things`, with that many
/// things happening in it; their ids.
///
/// # Panics
///
/// When a save fails.
pub fn write_worlds(universe: &Application, things: &[usize]) -> Vec<WorldId> {
    things
        .iter()
        .map(|&n| {
            let mut world = World::create("Earth");
            for i in 0..n {
                world.make_it_so(format!("thing {i}"));
            }
            universe.save(&mut world).unwrap();
            world.id()
        })
        .collect()
}
