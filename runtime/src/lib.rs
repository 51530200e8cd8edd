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
//! `eventsourcing-codegen` crate generates aggregates, events and application
//! facades from a YAML schema, standing on this crate.

pub mod application;
pub mod domain;
mod error;
pub mod persistence;
pub mod system;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use application::{Application, NotificationLog, Repository, Section};
pub use domain::{Aggregate, DomainEvent, Timestamp};
pub use error::{Error, Result};
pub use persistence::{Environment, Notification, StoredEvent};
pub use system::NotificationLogReader;

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
