//! A bank that follows the tutorial's universe, for the tests of followers
//! and systems: it opens an account for each world started (its id made
//! from the world's, so a second opening would be a conflict) and pays a
//! cent into it for each thing that happens there. Each of the universe's
//! events gives exactly one of the bank's.

use eventsmith::{Aggregate, Application, Decimal, PolicyError, Processing};
use eventsmith_generated::bank_accounts::Bank;
use eventsmith_generated::world::Universe;

use crate::backends::{Backend, pairs};
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

/// The leader, on `backend`'s store.
pub fn leader(backend: &Backend) -> Application {
    Application::isolated_with_defaults("Universe", Universe::DEFAULTS, pairs(&backend.env()))
        .unwrap()
}

/// The follower, on a store of its own beside the leader's (SQLite's table
/// is always `stored_events`, as in the Python library; PostgreSQL's are
/// the application's own by name).
pub fn follower(backend: &Backend) -> Application {
    Application::isolated_with_defaults("Bank", Bank::DEFAULTS, pairs(&backend.env_of("Bank")))
        .unwrap()
}

/// What the bank's account of `world` holds.
pub fn balance(bank: &Application, world: WorldId) -> Decimal {
    let account: Account = bank
        .repository()
        .get(Account::create_id(&email(world)))
        .unwrap();
    account.balance()
}

/// The bank's position in the universe's log.
pub fn position(bank: &Application) -> Option<u64> {
    bank.process_recorder()
        .unwrap()
        .max_tracking_id("Universe")
        .unwrap()
}

/// The settings of a child process running the bank following the
/// universe: it reads them as an application does, `UNIVERSE_*` and
/// `BANK_*` first, then the plain names.
pub fn child_env(
    leader_env: &[(String, String)],
    follower_env: &[(String, String)],
) -> Vec<(String, String)> {
    leader_env
        .iter()
        .map(|(k, v)| (format!("UNIVERSE_{k}"), v.clone()))
        .chain(
            follower_env
                .iter()
                .map(|(k, v)| (format!("BANK_{k}"), v.clone())),
        )
        .collect()
}

/// Starts `program` with `env` alone (and `PATH`), its standard output
/// piped to the test, its errors to the test's.
///
/// # Panics
///
/// When it cannot be started.
pub fn spawn_child(program: &str, env: &[(String, String)]) -> std::process::Child {
    std::process::Command::new(program)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().cloned())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}
