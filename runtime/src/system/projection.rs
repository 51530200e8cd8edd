//! Projections: read models a follower keeps in tables of its own, each
//! change written in the same transaction as the tracking record of the
//! notification it came from (the Python library's `Projection` with a
//! tracking recorder of its own). A projection is given the open
//! transaction's connection; what it writes and the position are stored
//! together or not at all. [`TrackingRecorder::wait`] gives
//! read-your-writes: wait for the notification id a save returned.
//!
//! [`TrackingRecorder::wait`]: crate::persistence::TrackingRecorder::wait

use super::PolicyError;
use super::process::for_each_unprocessed;
use crate::Result;
use crate::application::Application;
use crate::persistence::{Followed, ViewRecorder};

/// Projects `leader`'s notifications above `view`'s tracking record of it
/// into tables of `view`'s database: `project` is given each event and the
/// connection of a transaction that the notification's tracking record is
/// stored in too (on PostgreSQL it may be given the same event again, when
/// the connection fails before anything is stored). Returns how many were
/// projected.
///
/// `generated/src/world_counts.rs` in the repository is a read model kept
/// this way: how many things happened in each world of the tutorial.
///
/// # Errors
///
/// [`ErrorKind::Policy`](crate::ErrorKind::Policy) when `project` fails (nothing of that notification
/// is stored); [`ErrorKind::UnreadableNotification`](crate::ErrorKind::UnreadableNotification); the database's errors.
pub fn project<E, V, P>(view: &V, leader: &Application, mut project: P) -> Result<u64>
where
    E: Followed + Clone + Sync,
    V: ViewRecorder + ?Sized,
    P: FnMut(E, &mut V::Connection) -> std::result::Result<(), PolicyError> + Send,
{
    for_each_unprocessed::<E>(V::DESCRIPTION, view, leader, |event, unprocessed| {
        view.record_view(&unprocessed.tracking, &mut |conn| {
            project(event.clone(), conn)
                .map_err(|source| unprocessed.policy_error(V::DESCRIPTION, source))
        })
    })
}
