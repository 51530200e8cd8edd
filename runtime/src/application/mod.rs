//! Applications: saving aggregates, getting them back, and the notification log.

mod app;
mod cache;
mod facade;
mod interface;
mod log;
mod repository;
mod tracked;

pub use app::{Application, Saveable};
pub use cache::CacheSettings;
pub(crate) use log::DEFAULT_SECTION_SIZE;
pub use log::{NotificationLog, Section};
pub use repository::Repository;
