//! Event timestamps: UTC, microsecond precision, as Python's `datetime`.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

/// When an event happened: a UTC time with microsecond precision.
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to microseconds so that it survives a round
/// trip through the stored format unchanged.
///
/// ```
/// let t = eventsourcing::domain::now();
/// assert_eq!(t.timestamp_subsec_nanos() % 1_000, 0);
/// ```
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

/// Formats a timestamp exactly as Python's `datetime.isoformat()` does for a
/// UTC time: microseconds when there are any, and `+00:00`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use eventsourcing::domain::format_timestamp;
/// let t = Utc.with_ymd_and_hms(2026, 11, 27, 6, 51, 30).unwrap();
/// assert_eq!(format_timestamp(&t), "2026-11-27T06:51:30+00:00");
/// let t = t + chrono::Duration::microseconds(251_580);
/// assert_eq!(format_timestamp(&t), "2026-11-27T06:51:30.251580+00:00");
/// ```
pub fn format_timestamp(t: &Timestamp) -> String {
    let format = if t.timestamp_subsec_micros() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Micros
    };
    t.to_rfc3339_opts(format, false)
}

/// Parses an ISO 8601 timestamp with an offset, as written by
/// [`format_timestamp`] or Python's `isoformat()`, into UTC.
///
/// ```
/// use eventsourcing::domain::{format_timestamp, parse_timestamp};
/// let t = parse_timestamp("2026-11-27T06:51:30.251580+00:00").unwrap();
/// assert_eq!(format_timestamp(&t), "2026-11-27T06:51:30.251580+00:00");
/// assert!(parse_timestamp("yesterday").is_none());
/// ```
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
