//! Projections: read models a follower keeps in tables of its own, each
//! change written in the same transaction as the tracking record of the
//! notification it came from (the Python library's `Projection` with a
//! tracking recorder of its own). A projection is given the open
//! transaction's connection; what it writes and the position are stored
//! together or not at all. [`TrackingRecorder::wait`] gives
//! read-your-writes: wait for the notification id a save returned.
//!
//! [`TrackingRecorder::wait`]: crate::persistence::TrackingRecorder::wait

#[cfg(any(feature = "sqlite", feature = "postgres"))]
use super::process::for_each_unprocessed;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use super::{Application, PolicyError};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use crate::persistence::Followed;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use crate::{Error, ErrorKind, Result};

#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn failed(view: &str, leader: &str, notification_id: u64, source: PolicyError) -> Error {
    ErrorKind::Policy {
        follower: view.to_owned(),
        leader: leader.to_owned(),
        notification_id,
        source,
    }
    .into()
}

#[cfg(feature = "sqlite")]
impl crate::sqlite::SqliteRecorder {
    /// Projects `leader`'s notifications above this database's tracking
    /// record of it into tables of this database: `project` is given each
    /// event and the connection of a transaction that the notification's
    /// tracking record is stored in too. Returns how many were projected.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Policy`] when `project` fails (nothing of that
    /// notification is stored); [`ErrorKind::UnreadableNotification`];
    /// SQLite errors.
    pub fn project<E, P>(&self, leader: &Application, mut project: P) -> Result<u64>
    where
        E: Followed,
        P: FnMut(E, &rusqlite::Connection) -> std::result::Result<(), PolicyError>,
    {
        for_each_unprocessed::<E>(self, leader, |event, tracking| {
            self.record_view(&tracking, |conn| {
                project(event, conn).map_err(|source| {
                    failed(
                        "a SQLite view",
                        leader.name(),
                        tracking.notification_id,
                        source,
                    )
                })
            })
        })
    }
}

#[cfg(feature = "postgres")]
impl crate::postgres::PostgresRecorder {
    /// Projects `leader`'s notifications above this recorder's tracking
    /// record of it into tables of this database: `project` is given each
    /// event and the client of a transaction that the notification's
    /// tracking record is stored in too (it may be called again for the
    /// same event when the connection fails before anything is stored).
    /// Returns how many were projected.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Policy`] when `project` fails (nothing of that
    /// notification is stored); [`ErrorKind::UnreadableNotification`];
    /// PostgreSQL errors.
    pub fn project<E, P>(&self, leader: &Application, mut project: P) -> Result<u64>
    where
        E: Followed + Clone,
        P: FnMut(E, &mut postgres::Client) -> std::result::Result<(), PolicyError>,
    {
        for_each_unprocessed::<E>(self, leader, |event, tracking| {
            self.record_view(&tracking, |client| {
                project(event.clone(), client).map_err(|source| {
                    failed(
                        "a PostgreSQL view",
                        leader.name(),
                        tracking.notification_id,
                        source,
                    )
                })
            })
        })
    }
}
