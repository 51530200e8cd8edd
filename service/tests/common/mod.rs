//! What the service's tests share: the binary, started.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

use eventsmith_tests::backends::pairs;

/// The tutorial's Universe, its log read over HTTP from `url`, with `more`
/// settings.
#[allow(dead_code, reason = "not every test file follows a leader")]
pub(crate) fn http_leader(
    url: &str,
    more: &[(&str, &str)],
) -> eventsmith::Result<eventsmith::Application> {
    let mut values = vec![
        ("PERSISTENCE_MODULE", "http"),
        ("NOTIFICATION_LOG_URL", url),
    ];
    values.extend_from_slice(more);
    eventsmith::Application::isolated_with_defaults(
        eventsmith_generated::world::Universe::NAME,
        eventsmith_generated::world::Universe::DEFAULTS,
        values,
    )
}

/// Starts the service's binary listening on `listen`, with `env` alone
/// (and `PATH`): the process, its standard output after the line that says
/// where it listens, and that address.
#[allow(dead_code, reason = "not every test file starts the service")]
pub(crate) fn spawn(
    env: &[(String, String)],
    listen: &str,
) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_service"))
        .args(["--listen", listen])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(pairs(env))
        .stdout(Stdio::piped())
        .spawn()
        .expect("the service starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("the service said {line:?}"))
        .to_owned();
    (child, stdout, address)
}
