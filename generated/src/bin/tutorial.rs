//! Runs the tutorial's application on the storage the environment selects
//! (in memory by default; see README.md for SQLite and PostgreSQL).

use std::process::ExitCode;

use eventsmith::NotificationLogReader;
use eventsmith_generated::world::Universe;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> eventsmith::Result<()> {
    let app = Universe::from_env()?;
    let world_id = app.create_world("Earth")?;
    for what in ["dinosaurs", "trucks", "internet"] {
        app.make_it_so(world_id, what)?;
    }
    println!("world {world_id}: {:?}", app.get_history(world_id)?);
    for notification in NotificationLogReader::new(app.log()).read(1) {
        let n = notification?;
        println!(
            "{:>4} {} v{} {}",
            n.id, n.originator_id, n.originator_version, n.topic
        );
    }
    Ok(())
}
