//! Applications: saving aggregates, getting them back, and the notification log.

mod app;
mod cache;
mod facade;
mod log;
mod process;
mod projection;
mod repository;
mod runner;

pub use app::{Application, Saveable};
pub use cache::CacheSettings;
pub(crate) use log::DEFAULT_SECTION_SIZE;
pub use log::{NotificationLog, Section};
pub use process::{PolicyError, Processing};
pub use repository::Repository;
pub use runner::{MultiThreadedRunner, Pipe, SingleThreadedRunner};
