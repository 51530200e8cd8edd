//! Event timestamps: UTC, microsecond precision, as Python's `datetime`.
//!
//! Python writes a UTC `datetime` as `2026-11-27T06:51:30.251580+00:00`
//! (no fraction when the microseconds are zero). That form is written and
//! read here directly, byte by byte, since every stored event carries one;
//! anything else (another offset, another number of fraction digits, years
//! outside 1–9999, leap seconds) goes through chrono's RFC 3339 support.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, SubsecRound, Timelike, Utc};

/// When an event happened: a UTC time with microsecond precision.
pub type Timestamp = DateTime<Utc>;

/// The time a replay gives the events whose timestamps it does not read
/// (those between an aggregate's first and last, when applying them reads
/// no timestamp: see
/// [`Aggregate::READS_EVENT_TIMES`](crate::Aggregate::READS_EVENT_TIMES)):
/// the Unix epoch, which no event of this library is written at.
pub(crate) const UNTIMED: Timestamp = DateTime::<Utc>::UNIX_EPOCH;

/// The current time, truncated to microseconds so that it survives a round
/// trip through the stored format unchanged.
///
/// ```
/// let t = eventsmith::domain::now();
/// assert_eq!(t.timestamp_subsec_nanos() % 1_000, 0);
/// ```
pub fn now() -> Timestamp {
    // The system clock's microseconds since the epoch, as `Utc::now` reads
    // them, with no second pass to drop the nanoseconds (one clock read an
    // event a command triggers).
    from_system_clock(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|before| before.duration()),
    )
}

/// The time the system clock gives as how long after the epoch it is (or,
/// as an error, before it), to the microsecond, rounded down. A clock set
/// before 1970 gives a time before it; one past what a timestamp holds
/// (the year 262,143) gives the latest there is, one before it the
/// earliest: no clock panics here, as `Utc::now` does for a clock before
/// 1970.
fn from_system_clock(since_epoch: Result<std::time::Duration, std::time::Duration>) -> Timestamp {
    let time = match since_epoch {
        Ok(since) => i64::try_from(since.as_secs())
            .ok()
            .and_then(|seconds| {
                DateTime::from_timestamp(seconds, since.subsec_micros().saturating_mul(1_000))
            })
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
        Err(before) => chrono::TimeDelta::from_std(before)
            .ok()
            .and_then(|before| DateTime::UNIX_EPOCH.checked_sub_signed(before))
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
    };
    to_micros(time)
}

/// `t` with its nanoseconds rounded down to whole microseconds: what
/// chrono's `trunc_subsecs(6)` gives, in fewer instructions. Rounded down,
/// the nanoseconds stay in range, a leap second's too, so this cannot fail.
fn to_micros(t: Timestamp) -> Timestamp {
    let micros = t.timestamp_subsec_nanos() / 1_000;
    t.with_nanosecond(micros.saturating_mul(1_000)).unwrap_or(t)
}

/// The longest form written directly: `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`.
const LONG: usize = 32;
/// Without the fraction: `YYYY-MM-DDTHH:MM:SS+00:00`.
const SHORT: usize = 25;

/// Formats a timestamp exactly as Python's `datetime.isoformat()` does for a
/// UTC time: microseconds when there are any, and `+00:00`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use eventsmith::domain::format_timestamp;
/// let t = Utc.with_ymd_and_hms(2026, 11, 27, 6, 51, 30).unwrap();
/// assert_eq!(format_timestamp(&t), "2026-11-27T06:51:30+00:00");
/// let t = t + chrono::Duration::microseconds(251_580);
/// assert_eq!(format_timestamp(&t), "2026-11-27T06:51:30.251580+00:00");
/// ```
pub fn format_timestamp(t: &Timestamp) -> String {
    let mut buffer = [0; LONG];
    match write_iso(t, &mut buffer) {
        Some(text) => text.to_owned(),
        None => format_with_chrono(t),
    }
}

/// Calls `f` with the timestamp formatted as [`format_timestamp`] does,
/// without allocating in the common case.
pub(crate) fn with_formatted<R>(t: &Timestamp, f: impl FnOnce(&str) -> R) -> R {
    let mut buffer = [0; LONG];
    match write_iso(t, &mut buffer) {
        Some(text) => f(text),
        None => f(&format_with_chrono(t)),
    }
}

fn format_with_chrono(t: &Timestamp) -> String {
    let format = if t.timestamp_subsec_micros() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Micros
    };
    t.to_rfc3339_opts(format, false)
}

/// Writes years 1–9999 without a leap second; `None` for the rest.
fn write_iso<'b>(t: &Timestamp, buffer: &'b mut [u8; LONG]) -> Option<&'b str> {
    let year = u32::try_from(t.year())
        .ok()
        .filter(|y| (1..=9999).contains(y))?;
    let nanos = t.timestamp_subsec_nanos();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let micros = nanos / 1_000;
    *buffer = *b"0000-00-00T00:00:00.000000+00:00";
    put_digits(buffer.get_mut(0..4)?, year);
    put_digits(buffer.get_mut(5..7)?, t.month());
    put_digits(buffer.get_mut(8..10)?, t.day());
    put_digits(buffer.get_mut(11..13)?, t.hour());
    put_digits(buffer.get_mut(14..16)?, t.minute());
    put_digits(buffer.get_mut(17..19)?, t.second());
    if micros == 0 {
        // No fraction: the offset moves up to where the fraction was.
        buffer.get_mut(19..SHORT)?.copy_from_slice(b"+00:00");
        std::str::from_utf8(buffer.get(..SHORT)?).ok()
    } else {
        put_digits(buffer.get_mut(20..26)?, micros);
        std::str::from_utf8(buffer).ok()
    }
}

/// Writes `value` in decimal into all of `slot`, with leading zeros.
fn put_digits(slot: &mut [u8], value: u32) {
    let mut v = value;
    for byte in slot.iter_mut().rev() {
        *byte = b'0' | u8::try_from(v % 10).unwrap_or(0);
        v /= 10;
    }
}

/// Parses an ISO 8601 timestamp with an offset, as written by
/// [`format_timestamp`] or Python's `isoformat()`, into UTC.
///
/// Fraction digits past the sixth are dropped, as Python's
/// `datetime.fromisoformat` drops them: a [`Timestamp`] holds microseconds,
/// so that what is read is written back unchanged.
///
/// ```
/// use eventsmith::domain::{format_timestamp, parse_timestamp};
/// let t = parse_timestamp("2026-11-27T06:51:30.251580+00:00").unwrap();
/// assert_eq!(format_timestamp(&t), "2026-11-27T06:51:30.251580+00:00");
/// assert!(parse_timestamp("yesterday").is_none());
/// ```
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    read_iso(s.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc).trunc_subsecs(6))
    })
}

/// Reads exactly `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00` with a valid date
/// and time; `None` for anything else, which chrono then reads.
fn read_iso(s: &[u8]) -> Option<Timestamp> {
    let at = |i: usize| s.get(i).copied();
    if !(s.len() == SHORT || s.len() == LONG && at(19) == Some(b'.')) {
        return None;
    }
    let digits = |from: usize, to: usize| -> Option<u32> {
        s.get(from..to)?.iter().try_fold(0u32, |n, &c| {
            if c.is_ascii_digit() {
                n.checked_mul(10)?.checked_add(u32::from(c & 0x0f))
            } else {
                None
            }
        })
    };
    let punctuated = at(4) == Some(b'-')
        && at(7) == Some(b'-')
        && at(10) == Some(b'T')
        && at(13) == Some(b':')
        && at(16) == Some(b':')
        && s.get(s.len().saturating_sub(6)..) == Some(b"+00:00".as_slice());
    if !punctuated {
        return None;
    }
    let micros = if s.len() == LONG { digits(20, 26)? } else { 0 };
    let year = i32::try_from(digits(0, 4)?).ok().filter(|y| *y >= 1)?;
    NaiveDate::from_ymd_opt(year, digits(5, 7)?, digits(8, 10)?)?
        .and_hms_micro_opt(digits(11, 13)?, digits(14, 16)?, digits(17, 19)?, micros)
        // A second of 60 is a leap second: chrono's to read.
        .filter(|t| t.nanosecond() < 1_000_000_000)
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Any reading of the system clock is a time, to the microsecond and
    /// rounded down: after the epoch, at it, before it (to the
    /// nanosecond and by centuries), and past what a timestamp holds
    /// either way.
    #[test]
    fn every_clock_reading_is_a_time() {
        use std::time::Duration;
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        for (reading, expected) in [
            (Ok(Duration::ZERO), at("1970-01-01T00:00:00Z")),
            (
                Ok(Duration::new(1_700_000_000, 999_999_999)),
                at("2023-11-14T22:13:20.999999Z"),
            ),
            (
                Err(Duration::from_nanos(1)),
                at("1969-12-31T23:59:59.999999Z"),
            ),
            (
                Err(Duration::from_nanos(1_000)),
                at("1969-12-31T23:59:59.999999Z"),
            ),
            (
                Err(Duration::from_nanos(1_001)),
                at("1969-12-31T23:59:59.999998Z"),
            ),
            (
                Err(Duration::from_secs(86_400 * 365 * 300)),
                at("1670-03-14T00:00:00Z"),
            ),
            (Ok(Duration::MAX), to_micros(DateTime::<Utc>::MAX_UTC)),
            (
                Ok(Duration::from_secs(u64::MAX / 2)),
                to_micros(DateTime::<Utc>::MAX_UTC),
            ),
            (Err(Duration::MAX), to_micros(DateTime::<Utc>::MIN_UTC)),
        ] {
            let time = from_system_clock(reading);
            assert_eq!(time, expected, "{reading:?}");
            assert_eq!(time.timestamp_subsec_nanos() % 1_000, 0, "{reading:?}");
        }
    }

    /// `now()` is the clock's time to the microsecond: between two readings
    /// of chrono's clock taken around it (the first rounded down the same
    /// way).
    #[test]
    fn now_is_the_clock_to_the_microsecond() {
        for _ in 0..1_000 {
            let before = Utc::now().trunc_subsecs(6);
            let t = now();
            let after = Utc::now();
            assert!(before <= t && t <= after, "{before} <= {t} <= {after}");
            assert_eq!(t.timestamp_subsec_nanos() % 1_000, 0);
        }
    }

    /// Rounding down to microseconds gives what chrono's `trunc_subsecs(6)`
    /// does, at every edge of the nanoseconds: none, the last of a
    /// microsecond, the last of a second, and within a leap second.
    #[test]
    fn to_micros_is_trunc_subsecs_6() {
        let second = Utc.with_ymd_and_hms(2016, 12, 31, 23, 59, 59).unwrap();
        for nanos in [
            0,
            1,
            999,
            1_000,
            1_001,
            251_580_000,
            251_580_999,
            999_999_000,
            999_999_999,
            1_000_000_000,
            1_999_999_999,
        ] {
            let t = second.with_nanosecond(nanos).unwrap();
            assert_eq!(to_micros(t), t.trunc_subsecs(6), "{nanos} ns");
            assert_eq!(to_micros(t).timestamp_subsec_nanos() % 1_000, 0);
        }
        for t in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, UNTIMED] {
            assert_eq!(to_micros(t), t.trunc_subsecs(6));
        }
    }

    /// Timestamps from a fixed pseudo-random walk over years 1–9999, with
    /// and without microseconds.
    fn samples() -> Vec<Timestamp> {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let first = NaiveDate::from_ymd_opt(1, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        let last = NaiveDate::from_ymd_opt(9999, 12, 31)
            .unwrap()
            .and_hms_micro_opt(23, 59, 59, 999_999)
            .unwrap()
            .and_utc();
        let span = (last - first).num_microseconds().unwrap() as u64;
        let mut samples = vec![first, last, now(), now().trunc_subsecs(0)];
        for i in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut t = first + chrono::Duration::microseconds((seed % span) as i64);
            if i % 3 == 0 {
                t = t.trunc_subsecs(0);
            }
            samples.push(t);
        }
        samples
    }

    #[test]
    fn written_and_read_as_chrono_writes_and_reads_them() {
        for t in samples() {
            let text = format_timestamp(&t);
            assert_eq!(text, format_with_chrono(&t));
            let chrono = DateTime::parse_from_rfc3339(&text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(read_iso(text.as_bytes()), Some(chrono), "{text}");
            assert_eq!(parse_timestamp(&text), Some(t));
        }
    }

    #[test]
    fn other_forms_are_left_to_chrono() {
        let same = |s: &str| {
            let chrono = DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc).trunc_subsecs(6));
            assert_eq!(parse_timestamp(s), chrono, "{s}");
        };
        for s in [
            "2026-11-27T06:51:30.251580+00:00",
            "2026-11-27T06:51:30+00:00",
            "2026-11-27T06:51:30.25+00:00",
            "2026-11-27T06:51:30.251580123+00:00",
            "2026-11-27T06:51:30.251580Z",
            "2026-11-27t06:51:30.251580+00:00",
            "2026-11-27 06:51:30.251580+00:00",
            "2026-11-27T06:51:30.251580+01:00",
            "2026-11-27T06:51:30.251580-00:00",
            "2016-12-31T23:59:60+00:00",
            "2026-02-29T06:51:30+00:00",
            "2024-02-29T06:51:30+00:00",
            "2026-13-01T06:51:30+00:00",
            "2026-11-31T06:51:30+00:00",
            "2026-11-27T24:00:00+00:00",
            "2026-11-27T06:60:00+00:00",
            "0000-01-01T00:00:00+00:00",
            "2026-11-27T06:51:3a+00:00",
            "2026-11-27T06:51:30.2515a0+00:00",
            "2026-11-27T06:51:30x251580+00:00",
            "+2026-11-27T06:51:30+00:00",
            "",
        ] {
            same(s);
        }
    }

    /// Found by the `stored_event` fuzz target: nine fraction digits were
    /// kept as nanoseconds, then written back as six, so a decoded event
    /// changed on a round trip through the stored format.
    #[test]
    fn fraction_digits_past_microseconds_are_dropped_as_python_drops_them() {
        for (text, written) in [
            (
                "2025-11-27T07:47:44.466666666+00:00",
                "2025-11-27T07:47:44.466666+00:00",
            ),
            (
                "2025-11-27T07:47:44.000000999+00:00",
                "2025-11-27T07:47:44+00:00",
            ),
            (
                "2025-11-27T07:47:44.4666669999999Z",
                "2025-11-27T07:47:44.466666+00:00",
            ),
            (
                "2025-11-27T08:47:44.1234567+01:00",
                "2025-11-27T07:47:44.123456+00:00",
            ),
        ] {
            let t = parse_timestamp(text).unwrap();
            assert_eq!(t.timestamp_subsec_nanos() % 1_000, 0, "{text}");
            assert_eq!(format_timestamp(&t), written, "{text}");
            assert_eq!(parse_timestamp(&format_timestamp(&t)), Some(t), "{text}");
        }
    }
}
