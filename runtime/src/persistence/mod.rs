//! Storing events: the bytes they become, and the recorders that keep them.
//!
//! A [`Mapper`] turns a domain event into a [`StoredEvent`] (JSON transcoding,
//! then optional zlib compression, then optional AES-GCM encryption) and back.
//! Recorders keep stored events: an [`AggregateRecorder`] by aggregate and
//! version, an [`ApplicationRecorder`] also as a totally ordered log of
//! [`Notification`]s. The [`EventStore`] puts the two together.
//!
//! A [`TrackingRecorder`] records how far an application has processed
//! another's log; a [`ProcessRecorder`] records that with the events the
//! processing produced, in one transaction.
//!
//! Recorders know nothing of aggregates: they store bytes under an id, a
//! version and a topic. The in-memory recorder is always here; the SQLite
//! and PostgreSQL recorders are behind the `sqlite` and `postgres` features.

use crate::ErrorKind;

mod cipher;
mod compressor;
mod decoder;
mod environment;
mod event_store;
mod factory;
mod mapper;
mod memory;
mod pyjson;
pub(crate) mod recorder;
pub mod snapshot;
pub(crate) mod stored;
pub(crate) mod subscription;
pub(crate) mod tracking;
pub mod transcoder;

pub use cipher::{AesCipher, DecryptError, decode_base64};
pub use compressor::{
    DEFAULT_COMPRESSION_LEVEL, DEFAULT_MAX_DECOMPRESSED_SIZE, DecompressError,
    MAX_COMPRESSION_LEVEL, ZlibCompressor,
};
pub use decoder::{Decoder, tagged_value};
pub(crate) use environment::parse_python_int;
pub use environment::{Environment, is_secret, redact_urls};
pub use event_store::EventStore;
pub use factory::{Infrastructure, InfrastructureFactory, Recorders};
pub use mapper::Mapper;
pub use memory::InMemoryRecorder;
pub(crate) use pyjson::rewrite_non_finite;
pub use pyjson::{parse_python_decimal, python_decimal_str, python_float_repr};
pub use recorder::{AggregateRecorder, ApplicationRecorder, EventQuery, NotificationQuery};
pub use snapshot::{SNAPSHOT_TOPIC, SnapshotReader, SnapshotRecorder, SnapshotWriter, Upcast};
pub use stored::{Notification, StoredEvent, StoredEventRef};
pub use subscription::{
    PG_WAIT_SLICE, POLL_MAX, POLL_MIN, SUBSCRIPTION_SECTION_SIZE, Stopper, Subscription,
};
pub use tracking::{
    MIGRATION_APPLICATION_NAME, ProcessRecorder, Tracking, TrackingRecorder,
    check_single_row_tracking,
};
pub use transcoder::{Followed, StateValue, Transcodable};

/// Quotes `name` as an SQL identifier, as the Python library's `psycopg`
/// `Identifier` quotes it: in double quotes, each double quote doubled. So
/// any name reaches the table or schema of exactly that name, case and all
/// (`SharedStore`, a keyword such as `user`, or `a; DROP TABLE b`), as it
/// does from Python.
///
/// ```
/// use eventsmith::persistence::quote_identifier;
/// assert_eq!(quote_identifier("table", "universe_events")?, "\"universe_events\"");
/// assert_eq!(quote_identifier("schema", "Shared\"Store")?, "\"Shared\"\"Store\"");
/// assert!(quote_identifier("schema", "").is_err());
/// # Ok::<(), eventsmith::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::InvalidIdentifier`] naming what
/// the name was for, when it is empty, holds a NUL character (which no SQL
/// identifier can), or is longer than 63 bytes (PostgreSQL would cut it
/// short, and so use another name than the one given).
pub fn quote_identifier(what: &'static str, name: &str) -> crate::Result<String> {
    let problem = if name.is_empty() {
        Some("it is empty".to_owned())
    } else if name.contains('\0') {
        Some("it holds a NUL character".to_owned())
    } else if name.len() > 63 {
        Some(format!(
            "it is {} bytes long; at most 63 are kept by PostgreSQL",
            name.len()
        ))
    } else {
        None
    };
    match problem {
        Some(reason) => Err(ErrorKind::InvalidIdentifier {
            what,
            name: name.to_owned(),
            reason,
        }
        .into()),
        None => Ok(format!("\"{}\"", name.replace('"', "\"\""))),
    }
}
