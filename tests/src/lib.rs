//! Shared pieces of the end-to-end tests: the backends they run on, the
//! Python interpreter of the interoperability tests, the tutorial suite,
//! the recorder conformance suite, and the followers.

pub mod backends;
pub mod conformance;
pub mod follow;
pub mod proxy;
pub mod python;
pub mod tutorial;

use std::collections::BTreeMap;

use eventsmith::application::Saveable;
use eventsmith::{Aggregate, Application, Id, Notification, Uuid};

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

/// Checks that `log` (a whole log, from its first notification) is
/// numbered 1..=N with no gap and holds each aggregate's versions 1..=n
/// once each; returns each aggregate's versions, in log order.
///
/// # Panics
///
/// When it is not so.
pub fn check_log(log: &[Notification]) -> BTreeMap<Uuid, Vec<u64>> {
    assert_eq!(
        log.iter().map(|n| n.id).collect::<Vec<_>>(),
        (1..=log.len() as u64).collect::<Vec<_>>(),
        "notification ids are 1..=N with no gap"
    );
    let mut versions: BTreeMap<Uuid, Vec<u64>> = BTreeMap::new();
    for n in log {
        versions
            .entry(n.originator_id)
            .or_default()
            .push(n.originator_version);
    }
    for (id, v) in &versions {
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (1..=v.len() as u64).collect::<Vec<_>>(),
            "aggregate {id}: each version once"
        );
    }
    versions
}

/// Saves `aggregate`, just made, with `app`: its id.
///
/// # Panics
///
/// When the save fails.
pub fn save_new<A: Aggregate + Saveable>(app: &Application, mut aggregate: A) -> Id<A> {
    app.save(&mut aggregate).unwrap();
    aggregate.id()
}
