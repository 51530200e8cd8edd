//! Storing events: the bytes they become, and the recorders that keep them.
//!
//! A [`Mapper`] turns a domain event into a [`StoredEvent`] (JSON transcoding,
//! then optional zlib compression, then optional AES-GCM encryption) and back.
//! Recorders keep stored events: an [`AggregateRecorder`] by aggregate and
//! version, an [`ApplicationRecorder`] also as a totally ordered log of
//! [`Notification`]s. The [`EventStore`] puts the two together.
//!
//! Recorders know nothing of aggregates: they store bytes under an id, a
//! version and a topic. The in-memory recorder is always here; the SQLite
//! and PostgreSQL recorders are behind the `sqlite` and `postgres` features.

mod cipher;
mod compressor;
mod environment;
mod event_store;
mod factory;
mod mapper;
mod memory;
mod recorder;
mod stored;
pub mod transcoder;

pub use cipher::{AesCipher, DecryptError, decode_base64};
pub use compressor::ZlibCompressor;
pub use environment::{Environment, is_secret, redact_urls};
pub use event_store::EventStore;
pub use factory::{Infrastructure, InfrastructureFactory};
pub use mapper::Mapper;
pub use memory::InMemoryRecorder;
pub use recorder::{AggregateRecorder, ApplicationRecorder, EventQuery, NotificationQuery};
pub use stored::{Notification, StoredEvent, StoredEventRef};
pub use transcoder::{StateValue, Transcodable};

/// Checks that `name` is a plain SQL identifier (letters, digits and
/// underscores, not starting with a digit, at most 63 bytes), so that it can
/// be written into a statement without quoting.
///
/// ```
/// use eventsourcing::persistence::validate_identifier;
/// assert!(validate_identifier("table", "universe_events").is_ok());
/// assert!(validate_identifier("schema", "public; DROP TABLE x").is_err());
/// ```
///
/// # Errors
///
/// [`Error::InvalidIdentifier`](crate::Error::InvalidIdentifier) naming what
/// the name was for.
pub fn validate_identifier(what: &'static str, name: &str) -> crate::Result<()> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63;
    if ok {
        Ok(())
    } else {
        Err(crate::Error::InvalidIdentifier {
            what,
            name: name.to_owned(),
        })
    }
}
