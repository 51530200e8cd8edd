#![doc = include_str!("../README.md")]
//!
//! ## Where things are
//!
//! - [`domain`]: aggregates, their events and ids.
//! - [`persistence`]: the environment's settings, the mapper (JSON, zlib,
//!   AES-GCM), recorders and their traits, subscriptions, tracking.
//! - [`application`]: the application, its repository and aggregate cache,
//!   and its notification log.
//! - [`system`]: what follows applications: processing a leader's events,
//!   pipes and their runners, the notification log reader.
//! - `sqlite` and `postgres` (cargo features of the same names): the
//!   SQLite and PostgreSQL recorders, and their drivers.
//! - `BlockingPool` (cargo feature `tokio`): what the generated async
//!   facades run the blocking API on, and subscriptions as streams.
//! - [`Error`], with its [`ErrorKind`]: every error, naming what it is about.

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

pub mod application;
#[cfg(feature = "tokio")]
mod asynchronous;
pub mod domain;
mod error;
#[cfg(feature = "http")]
mod http;
pub(crate) mod infrastructure;
mod macros;
mod observe;

/// Traits of the public API that only this crate implements: each is a
/// supertrait that no other crate can name, so none can implement it, and
/// the traits it seals may gain methods in any release.
mod sealed {
    /// Implemented by this crate's recorders only.
    #[allow(unreachable_pub, reason = "public, in a private module: the seal")]
    pub trait Recorder {
        /// The backend's name, for spans and metrics: `memory`, `sqlite`
        /// or `postgres`.
        fn backend(&self) -> &'static str;

        /// Whether what it stores outlives the process (not in memory).
        fn durable(&self) -> bool {
            self.backend() != "memory"
        }
    }

    /// Implemented by the numbers [`Checked`](crate::domain::Checked) works on only.
    #[allow(unreachable_pub, reason = "public, in a private module: the seal")]
    pub trait Number {}

    /// Implemented by aggregates only.
    #[allow(unreachable_pub, reason = "public, in a private module: the seal")]
    pub trait Saveable {
        /// The aggregate's id and version, to tell it from a copy dropped
        /// unsaved.
        fn id_and_version(&self) -> (uuid::Uuid, u64);
    }
}
pub mod persistence;
pub mod system;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use application::{Application, NotificationLog, Repository, Section};
#[cfg(feature = "tokio")]
pub use asynchronous::BlockingPool;
pub use domain::{Aggregate, DomainEvent, Id, Timestamp};
pub use error::{DriverError, Error, ErrorKind, Result};
pub use persistence::{Environment, Notification, StoredEvent};
pub use system::{
    MultiThreadedRunner, NotificationLogReader, Pipe, PolicyError, Processing, ProcessingOf,
    SingleThreadedRunner,
};

/// The bytes of a [`Notification`]'s state.
pub use bytes::Bytes;
/// [`Timestamp`] is chrono's `DateTime<Utc>`.
pub use chrono;
/// Decimal numbers, as the schema's `Decimal` type and Python's `Decimal`.
pub use rust_decimal::Decimal;
/// Aggregate ids, and every id stored.
pub use uuid::Uuid;

/// Includes the code generated for a schema: `include_generated!("world")`
/// expands to `include!(concat!(env!("OUT_DIR"), "/world.rs"))`.
#[macro_export]
macro_rules! include_generated {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"));
    };
}
