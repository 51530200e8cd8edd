//! A replica of a follower, for the failover tests: the bank of
//! `eventsmith_tests::follow` following the universe under a
//! `MultiThreadedRunner`, both on the storage the environment selects
//! (`UNIVERSE_*` and `BANK_*` variables for what differs), until killed.
//! Several run at once on one store. Prints `processing N` as its policy
//! runs on notification N (before anything of it is stored), and
//! `failed: ...` for each pipe failure the runner reports (then exits 1):
//! a replica that loses a race must read on, not fail.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use eventsmith::persistence::Environment;
use eventsmith::{Application, MultiThreadedRunner, Pipe};
use eventsmith_generated::bank_accounts::Bank;
use eventsmith_generated::world::{Universe, WorldEvent};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let universe = Arc::new(Application::from_env(Environment::new(
        "Universe",
        Universe::DEFAULTS.iter().copied(),
    ))?);
    let bank = Arc::new(Application::from_env(Environment::new(
        "Bank",
        Bank::DEFAULTS.iter().copied(),
    ))?);
    let for_policy = bank.clone();
    let pipe = Pipe::new::<WorldEvent, _>(bank, universe, move |event, processing| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "processing {}", processing.tracking().notification_id)?;
        out.flush()?;
        eventsmith_tests::follow::policy(&for_policy)(event, processing)
    });
    let runner = MultiThreadedRunner::start(vec![pipe])?;
    writeln!(std::io::stdout().lock(), "started")?;
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let failures = runner.failures();
        if !failures.is_empty() {
            let mut out = std::io::stdout().lock();
            for failure in failures {
                writeln!(out, "failed: {failure}")?;
            }
            out.flush()?;
            std::process::exit(1);
        }
    }
}
