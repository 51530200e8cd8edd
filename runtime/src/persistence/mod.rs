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

pub(crate) mod cipher;
pub(crate) mod compressor;
pub(crate) mod decoder;
pub(crate) mod environment;
mod event_store;
mod mapper;
mod memory;
pub(crate) mod pyjson;
pub(crate) mod recorder;
pub(crate) mod snapshot;
pub(crate) mod stored;
pub(crate) mod subscription;
pub(crate) mod tracking;
pub(crate) mod transcoder;

pub use cipher::AesCipher;
pub use compressor::ZlibCompressor;
pub(crate) use compressor::{
    DEFAULT_COMPRESSION_LEVEL, DEFAULT_MAX_DECOMPRESSED_SIZE, DecompressError,
    MAX_COMPRESSION_LEVEL,
};
pub(crate) use decoder::Decoder;
pub use environment::Environment;
pub(crate) use environment::parse_python_int;
pub use event_store::EventStore;
pub use mapper::Mapper;
pub use memory::InMemoryRecorder;
pub(crate) use pyjson::{parse_python_decimal, python_decimal_str, rewrite_non_finite};
pub use recorder::{AggregateRecorder, ApplicationRecorder, EventQuery, NotificationQuery};
pub use snapshot::{SNAPSHOT_TOPIC, SnapshotRecorder};
pub use stored::{Notification, StoredEvent, StoredEventRef};
pub use subscription::{Stopper, Subscription};
pub use tracking::{ProcessRecorder, Tracking, TrackingRecorder, ViewRecorder};
pub(crate) use transcoder::{Followed, Transcodable};
