//! What follows applications, above them: processing a leader's events
//! exactly once ([`process`]), keeping a read model in tables of its own
//! ([`project`]), pipes of followers and the runners that keep them
//! following, and the [`NotificationLogReader`] they read a log with. The
//! Python library's `eventsourcing.system`, as the runtime's part of it.

mod lag;
mod process;
mod projection;
mod reader;
mod runner;

pub use lag::{Lag, lag};
pub use process::{PolicyError, Processing, ProcessingOf, process};
pub use projection::project;
pub use reader::NotificationLogReader;
pub use runner::{MultiThreadedRunner, Pipe, PipeFailure, SingleThreadedRunner};
