//! The HTTP log's recorder against answers a service should not give, and
//! settings it cannot use (issue 21, point 5; found by an adversarial
//! review): each is a typed error, never a loop, a skipped or repeated
//! notification, or an error retried for ever. A server of the test's own
//! answers each GET as the test says.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eventsmith::persistence::NotificationQuery;
use eventsmith::{Application, ErrorKind};

mod common;

use common::http_leader as leader;

/// A notification as the Python library's service writes one, its state
/// `state_len` base64 digits (not an event: the recorder does not decode).
fn item(id: u64, state_len: usize) -> String {
    let state = "A".repeat(state_len);
    format!(
        "{{\"id\": {id}, \"originator_id\": \"{:032x}\", \"originator_version\": 1, \"topic\": \"universe:World.Started\", \"state\": \"{state}\"}}",
        id
    )
}

/// A server answering each GET with `answer(query)`; how many it answered.
fn server(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let answer = Arc::clone(&answer);
            let counted = Arc::clone(&counted);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let target = line.split(' ').nth(1).unwrap_or("").to_owned();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    counted.fetch_add(1, Ordering::SeqCst);
                    let query = target.split_once('?').map_or("", |(_, q)| q).to_owned();
                    let body = answer(&query);
                    if write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                    .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{address}"), count)
}

/// The query parameter `name`.
fn param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

/// Serves `ids` as the Python library does: from `start`, `limit` at most.
fn honest(ids: Arc<Mutex<Vec<u64>>>) -> impl Fn(&str) -> String + Send + Sync + 'static {
    move |q: &str| {
        let start: u64 = param(q, "start").unwrap().parse().unwrap();
        let limit: usize = param(q, "limit").unwrap().parse().unwrap();
        let inclusive = param(q, "inclusive_of_start").as_deref() != Some("false");
        let items: Vec<String> = ids
            .lock()
            .unwrap()
            .iter()
            .filter(|&&id| if inclusive { id >= start } else { id > start })
            .take(limit)
            .map(|&id| item(id, 0))
            .collect();
        format!("[{}]", items.join(", "))
    }
}

/// What `app`'s recorder gives for ids 1 to `n`, or its error.
fn select(app: &Application, start: u64, limit: usize) -> eventsmith::Result<Vec<u64>> {
    let found = app.log().select(&NotificationQuery::new(start, limit))?;
    Ok(found.iter().map(|n| n.id).collect())
}

#[test]
fn the_last_id_is_found_again_after_the_leaders_store_was_reset() {
    let ids = Arc::new(Mutex::new(vec![1, 2, 3, 4]));
    let (url, _) = server(honest(Arc::clone(&ids)));
    let app = leader(&url, &[]).unwrap();
    assert_eq!(app.log().max_notification_id().unwrap(), Some(4));
    *ids.lock().unwrap() = vec![1, 2];
    assert_eq!(app.log().max_notification_id().unwrap(), Some(2));
    ids.lock().unwrap().clear();
    assert_eq!(app.log().max_notification_id().unwrap(), None);
}

#[test]
fn the_last_id_of_a_long_log_takes_a_few_requests_whatever_its_gaps() {
    // 20,000 ids with gaps (every seventh missing, as a sequence skips).
    let ids: Vec<u64> = (1..=23_000).filter(|id| id % 7 != 0).take(20_000).collect();
    let last = *ids.last().unwrap();
    let (url, count) = server(honest(Arc::new(Mutex::new(ids))));
    let app = leader(&url, &[]).unwrap();
    assert_eq!(app.log().max_notification_id().unwrap(), Some(last));
    let first = count.load(Ordering::SeqCst);
    assert!(
        first <= 2 * 16 + 2,
        "{first} requests for 20,000 notifications"
    );
    // Again, with nothing new: from where the last search ended.
    assert_eq!(app.log().max_notification_id().unwrap(), Some(last));
    assert!(count.load(Ordering::SeqCst) - first <= 3);
}

#[test]
fn a_server_that_ignores_start_is_refused_not_followed_for_ever() {
    let (url, _) = server(|_q| {
        let items: Vec<String> = (1..=10).map(|id| item(id, 0)).collect();
        format!("[{}]", items.join(", "))
    });
    let app = leader(&url, &[]).unwrap();
    let err = app.log().max_notification_id().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Http(_)), "{err}");
    assert!(!err.is_transient(), "{err}");
    assert!(
        err.to_string()
            .contains("not the log as the Python library's service gives it"),
        "{err}"
    );
    let err = select(&app, 11, 10).unwrap_err();
    assert!(
        err.to_string().contains("notification 1 out of order"),
        "{err}"
    );
}

#[test]
fn a_server_that_ignores_inclusive_of_start_is_refused_not_repeated() {
    let ids = Arc::new(Mutex::new((1..=25).collect::<Vec<u64>>()));
    let (url, _) = server(move |q: &str| {
        let start: u64 = param(q, "start").unwrap().parse().unwrap();
        let limit: usize = param(q, "limit").unwrap().parse().unwrap();
        let items: Vec<String> = ids
            .lock()
            .unwrap()
            .iter()
            .filter(|&&id| id >= start)
            .take(limit)
            .map(|&id| item(id, 0))
            .collect();
        format!("[{}]", items.join(", "))
    });
    let app = leader(&url, &[]).unwrap();
    let err = select(&app, 1, 25).unwrap_err();
    assert!(
        err.to_string()
            .contains("notification 10 out of order (after 10)"),
        "{err}"
    );
    assert!(!err.is_transient());
}

#[test]
fn more_than_was_asked_for_is_refused() {
    let (url, _) = server(|_q| {
        let items: Vec<String> = (1..=11).map(|id| item(id, 0)).collect();
        format!("[{}]", items.join(", "))
    });
    let err = select(&leader(&url, &[]).unwrap(), 1, 10).unwrap_err();
    assert!(
        err.to_string()
            .contains("11 notifications, asked for 10 at most"),
        "{err}"
    );
}

#[test]
fn a_page_too_large_is_asked_for_in_halves_and_one_too_large_is_not_retried() {
    // Ten notifications of 7 MB of base64: a page of ten is above the
    // 64 MiB an answer may hold, a page of five is not.
    let (url, count) = server(|q: &str| {
        let start: u64 = param(q, "start").unwrap().parse().unwrap();
        let limit: u64 = param(q, "limit").unwrap().parse().unwrap();
        let inclusive = param(q, "inclusive_of_start").as_deref() != Some("false");
        let first = if inclusive { start.max(1) } else { start + 1 };
        let items: Vec<String> = (first..first + limit)
            .filter(|&id| id <= 10)
            .map(|id| item(id, 7_000_000))
            .collect();
        format!("[{}]", items.join(", "))
    });
    let app = leader(&url, &[]).unwrap();
    assert_eq!(select(&app, 1, 10).unwrap(), (1..=10).collect::<Vec<u64>>());
    assert_eq!(
        count.load(Ordering::SeqCst),
        3,
        "ten refused, then two of five"
    );

    let (url, _) = server(|_q| format!("[{}]", item(1, 70_000_000)));
    let err = select(&leader(&url, &[]).unwrap(), 1, 1).unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert!(err.to_string().contains("larger than"), "{err}");
}

#[test]
fn urls_that_cannot_be_used_are_refused_when_the_application_is_made() {
    for url in [
        "http://127.0.0.1:99999",
        "http://[::1",
        "http://h\u{7f}x",
        "http://h:port",
        "http://user@h",
    ] {
        let err = leader(url, &[]).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidSetting { .. }),
            "{url:?}: {err}"
        );
        assert!(
            err.to_string().contains("NOTIFICATION_LOG_URL"),
            "{url:?}: {err}"
        );
    }
    // A host that does not answer: transient, for a runner to retry.
    let err = leader("http://127.0.0.1:1", &[])
        .unwrap()
        .log()
        .max_notification_id()
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
}

#[test]
fn a_schema_that_turns_snapshots_on_can_still_be_a_leader_over_http() {
    let app = leader("http://127.0.0.1:1", &[("IS_SNAPSHOTTING_ENABLED", "y")]).unwrap();
    assert_eq!(app.name(), "Universe");
}

#[test]
fn a_subscription_to_a_log_that_is_down_waits_between_its_tries() {
    let app = leader("http://127.0.0.1:1", &[]).unwrap();
    let mut subscription = app.log().subscribe(None, &[]).unwrap();
    let stopper = subscription.stopper();
    let start = Instant::now();
    let mut errors = 0;
    while start.elapsed() < Duration::from_secs(1) {
        match subscription.next() {
            Some(Err(_)) => errors += 1,
            other => panic!("{other:?}"),
        }
    }
    // 50 ms, then twice as long each time: a handful in a second, not
    // hundreds.
    assert!((2..=8).contains(&errors), "{errors} tries in a second");
    stopper.stop();
    assert!(subscription.next().is_none());
}
