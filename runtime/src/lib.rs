//! Event sourcing for Rust, compatible with the Python `eventsourcing`
//! library's stored format.
//!
//! - [`domain`]: aggregates and their events.
//! - [`persistence`]: mapper (JSON, zlib, AES-GCM), recorders, event store,
//!   configuration from the environment.
//! - [`application`]: the application, its repository and notification log.
//! - [`system`]: the notification log reader.
//! - `sqlite` and `postgres` (cargo features of the same names): the SQLite
//!   and PostgreSQL recorders.
//!
//! Most users do not implement the traits here by hand: the
//! `eventsmith-codegen` crate generates aggregates, events and application
//! facades from a YAML schema, standing on this crate. What it generates
//! looks like this small aggregate, written by hand:
//!
//! ```
//! use eventsmith::domain::{AggregateCore, Checked, now};
//! use eventsmith::persistence::transcoder::{StateWriter, tagged};
//! use eventsmith::persistence::{Decoder, Transcodable};
//! use eventsmith::{Aggregate, Application, DomainEvent, Environment, ErrorKind, Id, Timestamp};
//!
//! /// A counter that only goes up.
//! #[derive(Debug, Clone, PartialEq)]
//! pub struct Counter { core: AggregateCore<CounterEvent>, count: u64 }
//!
//! /// The counter's events: `Created`, then any number of `Incremented`.
//! #[derive(Debug, Clone, PartialEq)]
//! pub enum CounterEvent {
//!     Created { id: Id<Counter>, timestamp: Timestamp },
//!     Incremented { id: Id<Counter>, version: u64, timestamp: Timestamp, by: u64 },
//! }
//!
//! impl Counter {
//!     pub fn create() -> Self {
//!         let (id, timestamp) = (Id::new_v4(), now());
//!         let mut core = AggregateCore::created(id, timestamp);
//!         core.trigger(CounterEvent::Created { id, timestamp });
//!         Counter { core, count: 0 }
//!     }
//!     /// Adds `by`: an error, and no event, if the count would overflow.
//!     pub fn increment(&mut self, by: u64) -> eventsmith::Result<()> {
//!         let (id, version) = (self.id(), self.core.next_version());
//!         let topic = "example:Counter.Incremented";
//!         self.count = Checked::new(topic, id, version).increment("count", self.count, by)?;
//!         self.core.trigger(CounterEvent::Incremented { id, version, timestamp: now(), by });
//!         Ok(())
//!     }
//!     pub fn count(&self) -> u64 { self.count }
//! }
//!
//! impl Aggregate for Counter {
//!     type Event = CounterEvent;
//!     const TOPIC: &'static str = "example:Counter";
//!     fn core(&self) -> &AggregateCore<CounterEvent> { &self.core }
//!     fn collect_events(&mut self) -> Vec<CounterEvent> { self.core.collect_events() }
//! }
//!
//! impl DomainEvent for CounterEvent {
//!     type Aggregate = Counter;
//!     fn header(&self) -> (Id<Counter>, u64, Timestamp) {
//!         match self {
//!             Self::Created { id, timestamp } => (*id, 1, *timestamp),
//!             Self::Incremented { id, version, timestamp, .. } => (*id, *version, *timestamp),
//!         }
//!     }
//!     fn topic(&self) -> &'static str {
//!         match self { Self::Created { .. } => "example:Counter.Created", Self::Incremented { .. } => "example:Counter.Incremented" }
//!     }
//!     fn is_created(&self) -> bool { matches!(self, Self::Created { .. }) }
//!     fn mutate(self, counter: Option<Counter>) -> eventsmith::Result<Counter> {
//!         let Some(mut counter) = counter else {
//!             return match self {
//!                 Self::Created { id, timestamp } => Ok(Counter { core: AggregateCore::created(id, timestamp), count: 0 }),
//!                 event => Err(event.creation_mismatch()),
//!             };
//!         };
//!         counter.core.advance(&self)?;
//!         if let Self::Incremented { id, version, by, .. } = self {
//!             let checked = Checked::new("example:Counter.Incremented", id, version);
//!             counter.count = checked.increment("count", counter.count, by)?;
//!         }
//!         Ok(counter)
//!     }
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct IncrementedState { #[serde(with = "tagged")] timestamp: Timestamp, #[serde(with = "tagged")] by: u64 }
//! #[derive(serde::Deserialize)]
//! struct CreatedState { #[serde(with = "tagged")] timestamp: Timestamp }
//!
//! impl Transcodable for CounterEvent {
//!     const TOPICS: &'static [&'static str] = &["example:Counter.Created", "example:Counter.Incremented"];
//!     fn encode_state(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
//!         let mut state = StateWriter::new(out, &self.timestamp())?;
//!         match self {
//!             Self::Created { .. } => { state.originator_topic(Counter::TOPIC)?; }
//!             Self::Incremented { by, .. } => { state.field("by", by)?; }
//!         }
//!         state.finish();
//!         Ok(())
//!     }
//!     fn decode_state(topic: &str, decoder: Decoder<'_>) -> serde_json::Result<Option<Self>> {
//!         let (id, version) = (Id::from_uuid(decoder.originator_id()), decoder.originator_version());
//!         Ok(match topic {
//!             "example:Counter.Created" => {
//!                 let s: CreatedState = serde_json::from_slice(decoder.state())?;
//!                 Some(Self::Created { id, timestamp: s.timestamp })
//!             }
//!             "example:Counter.Incremented" => {
//!                 let s: IncrementedState = serde_json::from_slice(decoder.state())?;
//!                 Some(Self::Incremented { id, version, timestamp: s.timestamp, by: s.by })
//!             }
//!             _ => None,
//!         })
//!     }
//! }
//!
//! // An application on SQLite, with stored state compressed.
//! let app = Application::from_env(Environment::isolated("Counters", [
//!     ("INFRASTRUCTURE_FACTORY", "sqlite"),
//!     ("SQLITE_DBNAME", ":memory:"),
//!     ("COMPRESSOR_TOPIC", "zlib"),
//! ]))?;
//! let mut counter = Counter::create();
//! counter.increment(2)?;
//! counter.increment(3)?;
//! assert!(matches!(counter.increment(u64::MAX).map_err(|e| e.into_kind()), Err(ErrorKind::Overflow { field: "count", .. })));
//! app.save(&mut counter)?;
//!
//! let copy: Counter = app.repository().get(counter.id())?;
//! assert_eq!((copy.count(), copy.version()), (5, 3));
//! let earlier: Counter = app.repository().get_at(counter.id(), Some(2))?;
//! assert_eq!(earlier.count(), 2);
//!
//! // Optimistic concurrency: a stale copy cannot be saved.
//! let mut stale = earlier;
//! stale.increment(10)?;
//! assert!(matches!(app.save(&mut stale).map_err(|e| e.into_kind()), Err(ErrorKind::VersionConflict { .. })));
//!
//! // The notification log holds every event, in order.
//! let section = app.log().section("1,10")?;
//! assert_eq!(section.items.len(), 3);
//! assert_eq!(section.items[2].topic, "example:Counter.Incremented");
//! # Ok::<(), eventsmith::Error>(())
//! ```

// Library code never panics, aborts or wraps on input: no unchecked
// arithmetic, indexing, unwrapping, panicking or lossy casts (tests and
// examples may).
#![cfg_attr(
    not(test),
    warn(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        clippy::cast_sign_loss,
        clippy::as_conversions
    )
)]

/// The crate's README (its page on crates.io), its examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod application;
pub mod domain;
mod error;
pub mod persistence;
pub mod system;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use application::{
    Application, MultiThreadedRunner, NotificationLog, Pipe, PolicyError, Processing, Repository,
    Section, SingleThreadedRunner,
};
pub use domain::{Aggregate, DomainEvent, Id, Timestamp};
pub use error::{DriverError, Error, ErrorKind, Result};
pub use persistence::{Environment, Notification, StoredEvent};
pub use system::NotificationLogReader;

pub use bytes::{self, Bytes};
pub use chrono;
pub use rust_decimal::{self, Decimal};
pub use serde;
pub use serde_json;
pub use uuid::{self, Uuid};

/// Includes the code generated for a schema: `include_generated!("world")`
/// expands to `include!(concat!(env!("OUT_DIR"), "/world.rs"))`.
#[macro_export]
macro_rules! include_generated {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"));
    };
}
