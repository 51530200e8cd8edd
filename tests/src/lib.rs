//! Shared pieces of the end-to-end tests: the hand-written tutorial domain,
//! the tutorial suite and the recorder conformance suite.

pub mod backends;
pub mod conformance;
pub mod handwritten;
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
