//! Shared pieces of the end-to-end tests: the tutorial suite, the recorder
//! conformance suite, the backends and the followers they run on.

pub mod backends;
pub mod conformance;
pub mod follow;
pub mod tutorial;

/// Reports that the running test skipped its work, and why, in the normal
/// `cargo test` output: the line goes straight to the process's standard
/// error, which the test harness does not capture (`eprintln!` output of a
/// passing test would be hidden). The test itself then passes.
pub fn skipped(reason: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let line = format!("SKIPPED {test}: {reason}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The Python interpreter of the interoperability tests, when it has the
/// library: `EVENTSMITH_PYTHON` (default `python3`), which must import
/// `eventsourcing` with its `crypto`, `cryptography` and `postgres` extras.
/// `None` (and a skip reported) when it cannot, unless
/// `EVENTSMITH_REQUIRE_PYTHON` is set, which makes that a failure.
///
/// # Panics
///
/// When the interpreter cannot import the library and
/// `EVENTSMITH_REQUIRE_PYTHON` is set.
pub fn python() -> Option<String> {
    let python = std::env::var("EVENTSMITH_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import eventsourcing, Crypto, cryptography, psycopg"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    assert!(
        std::env::var_os("EVENTSMITH_REQUIRE_PYTHON").is_none(),
        "{python} cannot import eventsourcing[crypto,cryptography,postgres], and EVENTSMITH_REQUIRE_PYTHON is set"
    );
    skipped(&format!(
        "{python} cannot import eventsourcing[crypto,cryptography,postgres]; set EVENTSMITH_PYTHON"
    ));
    None
}
