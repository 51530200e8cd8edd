//! The notification log as JSON, in the Python library's shapes: what its
//! `NotificationLogJSONService` writes for `get_log_section` and
//! `get_notifications`, byte for byte (`json.dumps` with its default
//! separators and `ensure_ascii`), so that a client of either library reads
//! a log served by the other.

use std::fmt::Write as _;

use base64::Engine as _;

use super::NotificationLog;
use crate::persistence::{Notification, NotificationQuery};
use crate::{ErrorKind, Result};

impl NotificationLog {
    /// The section `section_id` (`"1,10"`) as the Python library's
    /// `NotificationLogJSONService.get_log_section` writes it: `id`,
    /// `next_id` (each `null` when there is none), and `items`, each with
    /// its `id`, `originator_id` as 32 hex digits, `originator_version`,
    /// `topic` and `state` in base64.
    ///
    /// ```
    /// # use eventsmith::application::NotificationLog;
    /// # use eventsmith::persistence::InMemoryRecorder;
    /// let log = NotificationLog::new(std::sync::Arc::new(InMemoryRecorder::new()), 10);
    /// assert_eq!(log.section_json("1,10")?, r#"{"id": null, "next_id": null, "items": []}"#);
    /// # Ok::<(), eventsmith::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`section`](Self::section).
    pub fn section_json(&self, section_id: &str) -> Result<String> {
        let section = self.section(section_id)?;
        let mut out = String::from("{\"id\": ");
        write_optional(&mut out, section.id.as_deref());
        out.push_str(", \"next_id\": ");
        write_optional(&mut out, section.next_id.as_deref());
        out.push_str(", \"items\": ");
        write_items(&mut out, &section.items);
        out.push('}');
        Ok(out)
    }

    /// Up to `limit` notifications from `start` (from the first when
    /// `None`; after it when not `inclusive_of_start`), of `topics` only
    /// when any are given, as the Python library's
    /// `NotificationLogJSONService.get_notifications` writes them: a list
    /// of items as in [`section_json`](Self::section_json).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LimitAboveSectionSize`] for a `limit` above the log's
    /// section size (as the Python library refuses it); backend errors.
    pub fn notifications_json(
        &self,
        start: Option<u64>,
        limit: usize,
        topics: &[&str],
        inclusive_of_start: bool,
    ) -> Result<String> {
        if limit > self.section_size() {
            return Err(ErrorKind::LimitAboveSectionSize {
                limit,
                section_size: self.section_size(),
            }
            .into());
        }
        let mut query =
            NotificationQuery::new(start.unwrap_or(1), limit).topics(topics.iter().copied());
        query.inclusive_of_start = inclusive_of_start || start.is_none();
        let mut out = String::new();
        write_items(&mut out, &self.select(&query)?);
        Ok(out)
    }
}

/// `null`, or the string as Python's `json.dumps` writes it.
fn write_optional(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => write_str(out, text),
        None => out.push_str("null"),
    }
}

/// The items, as a JSON list in the Python service's shape.
fn write_items(out: &mut String, items: &[Notification]) {
    out.push('[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        let _ = write!(
            out,
            "{{\"id\": {}, \"originator_id\": \"{}\", \"originator_version\": {}, \"topic\": ",
            item.id,
            item.originator_id.simple(),
            item.originator_version
        );
        write_str(out, &item.topic);
        out.push_str(", \"state\": \"");
        base64::engine::general_purpose::STANDARD.encode_string(&item.state, out);
        out.push_str("\"}");
    }
    out.push(']');
}

/// A string as Python's `json.dumps` writes it by default (`ensure_ascii`):
/// quotes, backslashes and control characters escaped, and every character
/// beyond ASCII as `\uXXXX` (two, a surrogate pair, above U+FFFF).
fn write_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::write_str;

    /// Strings as Python's `json.dumps` writes them by default: these are
    /// its outputs (Python 3.11), quotes included.
    #[test]
    fn strings_are_escaped_as_pythons_json_dumps_escapes_them() {
        for (text, python) in [
            ("é☃😀", r#""\u00e9\u2603\ud83d\ude00""#),
            (
                "\"\\\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}",
                r#""\"\\\n\r\t\b\f\u0001\u001f\u007f""#,
            ),
            ("plain: ~ ok", r#""plain: ~ ok""#),
            ("", r#""""#),
        ] {
            let mut out = String::new();
            write_str(&mut out, text);
            assert_eq!(out, python, "{text:?}");
        }
    }
}
