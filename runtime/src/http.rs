//! A leader's notification log read over HTTP (cargo feature `http`): the
//! recorder of an application whose events another process stores and
//! serves in the Python library's JSON (`NotificationLogJSONService`'s
//! `get_notifications`, as the example service and a Python service serve
//! it). An application made on it is a leader a follower can process,
//! exactly once, with its tracking in the follower's own store: the
//! follower reads this log as it reads a local one.
//!
//! `PERSISTENCE_MODULE=eventsmith.http` (or `http`) chooses it;
//! `NOTIFICATION_LOG_URL` is where the service is (`http://host:port`, or a
//! prefix under which `/notifications` is), and
//! `NOTIFICATION_LOG_SECTION_SIZE` the most it gives at a time (its
//! section size: 10 by default, as the Python library's). Nothing can be
//! stored through it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use serde::Deserialize;
use uuid::Uuid;

use crate::persistence::environment::invalid;
use crate::persistence::{
    AggregateRecorder, ApplicationRecorder, Environment, EventQuery, Notification,
    NotificationQuery, StoredEvent, Subscription,
};
use crate::{DriverError, Error, ErrorKind, Result};

/// How long a request may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The most an answer may hold: a page larger than this is asked for again
/// in halves, down to one notification.
const MAX_ANSWER: u64 = 64 * 1024 * 1024;

/// The most notifications a request asks for, by default: the Python
/// library's section size.
const DEFAULT_SECTION_SIZE: usize = 10;

/// A notification log served over HTTP.
#[derive(Debug, Clone)]
pub(crate) struct HttpLog(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// The URL before `/notifications`, without a trailing slash.
    base: String,
    agent: ureq::Agent,
    section_size: usize,
    /// The highest notification id seen so far: where a search for the
    /// last one starts.
    seen: AtomicU64,
}

/// A notification as the Python library's JSON service writes it.
#[derive(Deserialize)]
struct Item {
    id: u64,
    originator_id: String,
    originator_version: u64,
    topic: String,
    state: String,
}

impl HttpLog {
    /// The log at `NOTIFICATION_LOG_URL`.
    pub(crate) fn from_env(env: &Environment) -> Result<Self> {
        let url = env.require(
            "NOTIFICATION_LOG_URL",
            "where the leader's notification log is served (http://host:port)",
        )?;
        let variable = env
            .lookup("NOTIFICATION_LOG_URL")?
            .map_or_else(|| "NOTIFICATION_LOG_URL".to_owned(), |(v, _)| v);
        let base = url.trim().trim_end_matches('/').to_owned();
        let rest = base.strip_prefix("http://").unwrap_or_default();
        let parsed = format!("{base}/notifications").parse::<ureq::http::Uri>();
        let authority_ok = parsed.as_ref().is_ok_and(|uri| {
            uri.authority().is_some_and(|a| {
                // A port, when one is given (after the last ':' outside an
                // IPv6 address's brackets), is a number from 1 to 65535.
                let port_ok = match a.as_str().rsplit_once(':') {
                    Some((_, port)) if !port.contains(']') => {
                        port.parse::<u16>().is_ok_and(|p| p > 0)
                    }
                    _ => true,
                };
                !a.host().is_empty() && port_ok
            })
        });
        if rest.is_empty() || rest.contains(['?', '#', ' ', '@']) || !authority_ok {
            return Err(invalid(
                &variable,
                &url,
                "an http:// URL with a host, before /notifications (https is not supported: \
                 put a TLS proxy in front, or read the leader's database)",
            ));
        }
        let section_size = env
            .integer("NOTIFICATION_LOG_SECTION_SIZE", 1_u32, 10_000)?
            .map_or(DEFAULT_SECTION_SIZE, |n| {
                usize::try_from(n).unwrap_or(DEFAULT_SECTION_SIZE)
            });
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .build()
            .new_agent();
        Ok(Self(Arc::new(Inner {
            base,
            agent,
            section_size,
            seen: AtomicU64::new(0),
        })))
    }

    /// Up to `limit` notifications from `start` (after it, unless
    /// `inclusive`), of `topics` only when not empty: one request.
    fn page(
        &self,
        start: u64,
        limit: usize,
        topics: &[String],
        inclusive: bool,
    ) -> Result<Vec<Notification>> {
        let mut url = format!(
            "{}/notifications?start={start}&limit={limit}&inclusive_of_start={inclusive}",
            self.0.base
        );
        if !topics.is_empty() {
            url.push_str("&topics=");
            url.push_str(&percent_encode(&topics.join(",")));
        }
        let items: Vec<Item> = self.get(&url)?;
        if items.len() > limit {
            let what = format!("{} notifications, asked for {limit} at most", items.len());
            return Err(self.misread(&url, &what));
        }
        let mut notifications: Vec<Notification> = Vec::with_capacity(items.len());
        for item in items {
            let notification = self.notification(item)?;
            // In order, each once, from where it was asked: an answer that
            // is not would skip or repeat notifications.
            let after = notifications.last().map_or(start, |n| n.id);
            let in_order = if notifications.is_empty() && inclusive {
                notification.id >= start
            } else {
                notification.id > after
            };
            if !in_order {
                let what = format!(
                    "notification {} out of order (after {after})",
                    notification.id
                );
                return Err(self.misread(&url, &what));
            }
            notifications.push(notification);
        }
        Ok(notifications)
    }

    /// An answer that breaks the service's promise: not transient.
    fn misread(&self, url: &str, what: &str) -> Error {
        let message =
            format!("GET {url}: not the log as the Python library's service gives it: {what}");
        http_error(message.clone(), false, Status(message))
    }

    /// The JSON answer to a GET of `url`.
    fn get<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T> {
        let mut response = self
            .0
            .agent
            .get(url)
            .call()
            .map_err(|e| http_error(format!("GET {url}: {e}"), may_pass(&e), e))?;
        let status = response.status();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(|e| {
                http_error(
                    format!("GET {url}: reading the answer: {e}"),
                    may_pass(&e),
                    e,
                )
            })?;
        if !status.is_success() {
            let reason: String = body.trim().chars().take(500).collect();
            let message = format!("GET {url}: {status}: {reason}");
            let transient = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
            return Err(http_error(message.clone(), transient, Status(message)));
        }
        serde_json::from_str(&body).map_err(|e| {
            http_error(
                format!("GET {url}: not the Python library's JSON of notifications: {e}"),
                false,
                e,
            )
        })
    }

    /// `item` as a notification, or an error naming it.
    fn notification(&self, item: Item) -> Result<Notification> {
        let bad = |column: &'static str, what: &str| {
            Error::from(ErrorKind::InvalidStoredRow {
                notification_id: i64::try_from(item.id).ok(),
                originator_id: Some(item.originator_id.clone()),
                originator_version: i64::try_from(item.originator_version).ok(),
                column,
                problem: format!("{what} (read from {})", self.0.base),
            })
        };
        let originator_id =
            Uuid::parse_str(&item.originator_id).map_err(|_| bad("originator_id", "not a UUID"))?;
        let state = base64::engine::general_purpose::STANDARD
            .decode(&item.state)
            .map_err(|_| bad("state", "not base64"))?;
        Ok(Notification {
            id: item.id,
            originator_id,
            originator_version: item.originator_version,
            topic: item.topic.into(),
            state: state.into(),
        })
    }

    /// An error for what cannot be done through a log read over HTTP.
    fn read_only(&self, what: &str) -> Error {
        http_error(
            format!(
                "the notification log at {} is read over HTTP: {what} cannot be done through it",
                self.0.base
            ),
            false,
            Status(what.to_owned()),
        )
    }
}

/// Whether a transport error may pass: the service down, slow or
/// restarting; not an answer too large, or a URL it cannot take.
fn may_pass(error: &ureq::Error) -> bool {
    matches!(
        error,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_)
    )
}

/// Whether `error` is an answer above [`MAX_ANSWER`].
fn too_large(error: &Error) -> bool {
    matches!(error.kind(), ErrorKind::Http(driver)
        if matches!(driver.source.downcast_ref(), Some(ureq::Error::BodyExceedsLimit(_))))
}

/// An error of the HTTP transport.
fn http_error(
    message: String,
    transient: bool,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    ErrorKind::Http(DriverError {
        message,
        source: Box::new(source),
        transient,
    })
    .into()
}

/// A status or refusal, as an error of its own.
#[derive(Debug)]
struct Status(String);

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Status {}

/// `text` with everything but unreserved characters and `,` percent-encoded.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~,".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl crate::sealed::Recorder for HttpLog {
    fn backend(&self) -> &'static str {
        "http"
    }
}

impl AggregateRecorder for HttpLog {
    fn insert_events(&self, _events: &[StoredEvent]) -> Result<Vec<u64>> {
        Err(self.read_only("storing events"))
    }

    fn select_events(&self, _originator_id: Uuid, _query: EventQuery) -> Result<Vec<StoredEvent>> {
        Err(self.read_only("reading an aggregate's events"))
    }
}

impl ApplicationRecorder for HttpLog {
    fn select_notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        let mut found: Vec<Notification> = Vec::new();
        let (mut start, mut inclusive) = (query.start, query.inclusive_of_start);
        let mut size = self.0.section_size;
        while found.len() < query.limit {
            let want = query.limit.saturating_sub(found.len()).min(size);
            let page = match self.page(start, want, &query.topics, inclusive) {
                // A page too large to take: its halves, down to one.
                Err(e) if too_large(&e) && want > 1 => {
                    size = want / 2;
                    continue;
                }
                other => other?,
            };
            let short = page.len() < want;
            for notification in page {
                if query.stop.is_some_and(|stop| notification.id > stop) {
                    return Ok(found);
                }
                start = notification.id;
                inclusive = false;
                found.push(notification);
            }
            if short {
                break;
            }
        }
        Ok(found)
    }

    fn max_notification_id(&self) -> Result<Option<u64>> {
        // The first id at or after `id`, if any: one request.
        let first_from = |id: u64| -> Result<Option<u64>> {
            Ok(self.page(id, 1, &[], true)?.first().map(|n| n.id))
        };
        // Where the last search ended, if the log still has it (a service
        // restarted on a new store may not): else from the start.
        let mut last = match self.0.seen.load(Ordering::Relaxed) {
            0 => 0,
            seen if first_from(seen)? == Some(seen) => seen,
            _ => 0,
        };
        if last == 0 {
            match first_from(1)? {
                Some(first) => last = first,
                None => {
                    self.0.seen.store(0, Ordering::Relaxed);
                    return Ok(None);
                }
            }
        }
        // Leaps of doubling length past the last id known, then halving
        // between the last id found and the first leap that found none:
        // about 2 log2(N) requests, whatever gaps the ids have.
        let mut step: u64 = 1;
        let mut beyond = loop {
            let probe = last.saturating_add(step);
            if probe == last {
                break probe;
            }
            match first_from(probe)? {
                Some(id) => {
                    last = id;
                    step = step.saturating_mul(2);
                }
                None => break probe,
            }
        };
        while beyond.saturating_sub(last) > 1 {
            let middle = last.saturating_add(beyond.saturating_sub(last) / 2);
            match first_from(middle)? {
                Some(id) if id < beyond => last = id,
                // Stored since the leap that found none: the last, for now.
                Some(id) => {
                    last = id;
                    beyond = id.saturating_add(1);
                }
                None => beyond = middle,
            }
        }
        self.0.seen.store(last, Ordering::Relaxed);
        Ok(Some(last))
    }

    fn location(&self) -> Option<&str> {
        Some(&self.0.base)
    }

    fn subscribe(&self, gt: Option<u64>, topics: &[&str]) -> Result<Subscription> {
        Ok(Subscription::polling(Arc::new(self.clone()), gt, topics))
    }
}
