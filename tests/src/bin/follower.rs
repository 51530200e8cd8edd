//! A follower process for the crash tests: the bank of
//! `eventsmith_tests::follow` following the universe, both on the
//! storage the environment selects (`UNIVERSE_*` and `BANK_*` variables
//! for what differs), processing whatever is new, again and again, until
//! killed. Prints the id of each notification as its policy runs (before
//! it is stored), so a test knows it is mid-stream.

use std::io::Write;

use eventsmith::Application;
use eventsmith::persistence::Environment;
use eventsmith::system::process;
use eventsmith_generated::bank_accounts::Bank;
use eventsmith_generated::world::{Universe, WorldEvent};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let universe = Application::from_env(Environment::new(
        "Universe",
        Universe::DEFAULTS.iter().copied(),
    ))?;
    let bank = Application::from_env(Environment::new("Bank", Bank::DEFAULTS.iter().copied()))?;
    let mut policy = eventsmith_tests::follow::policy(&bank);
    loop {
        let processed = process::<WorldEvent, _>(&bank, &universe, |event, processing| {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", processing.tracking().notification_id)?;
            out.flush()?;
            policy(event, processing)
        })?;
        if processed == 0 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}
