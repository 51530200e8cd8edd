//! Saving with a tracking record: what a follower's processing stores, an
//! application's events and its position in another's log, in one
//! transaction ([`ProcessRecorder::insert_events_tracked`]).

use std::sync::Arc;

use super::{Application, Saveable};
use crate::persistence::{ProcessRecorder, StoredEvent, Tracking};
use crate::{ErrorKind, Result};

impl Application {
    /// The recorder that stores events with tracking records, when this
    /// application's infrastructure has one (every built-in backend does).
    #[doc(hidden)]
    pub fn process_recorder(&self) -> Option<&Arc<dyn ProcessRecorder>> {
        self.process.as_ref()
    }

    /// Waits until this application has processed the notifications of
    /// the application `leader` up to `notification_id` (its tracking
    /// record of it is at or past it), as [`TrackingRecorder::wait`]
    /// polls.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TrackingTimeout`] when `timeout` passes first;
    /// [`ErrorKind::InvalidTracking`] without a process recorder; storage
    /// errors.
    ///
    /// [`TrackingRecorder::wait`]: crate::persistence::TrackingRecorder::wait
    #[doc(hidden)]
    pub fn wait_for(
        &self,
        leader: &str,
        notification_id: u64,
        timeout: std::time::Duration,
    ) -> Result<()> {
        self.require_process_recorder()?
            .wait(leader, Some(notification_id), timeout)
    }

    pub(crate) fn require_process_recorder(&self) -> Result<&Arc<dyn ProcessRecorder>> {
        self.process.as_ref().ok_or_else(|| ErrorKind::InvalidTracking {
            application_name: self.name().to_owned(),
            problem: "its recorder does not record tracking (an infrastructure made without a process recorder)".to_owned(),
        }.into())
    }

    /// Refuses a leader whose log is kept where this application's is.
    pub(crate) fn check_not_sharing_log(&self, leader: &Application) -> Result<()> {
        match (self.recorder().location(), leader.recorder().location()) {
            (Some(own), Some(theirs)) if own == theirs => Err(ErrorKind::SharedLog {
                follower: self.name().to_owned(),
                leader: leader.name().to_owned(),
                follower_upper: self.name().to_uppercase(),
                location: own.to_owned(),
            }
            .into()),
            _ => Ok(()),
        }
    }

    /// Saves the pending events of `aggregates` and `tracking` in one
    /// transaction: all or nothing. The tracking record is stored even when
    /// there are no events, so the position moves on.
    ///
    /// ```
    /// use eventsmith::persistence::{Tracking, TrackingRecorder};
    /// use eventsmith::{Application, Environment};
    /// let follower = Application::from_env(Environment::isolated("Follower", std::iter::empty::<(&str, &str)>()))?;
    /// follower.save_all_tracked(&mut [], &Tracking::new("Leader", 1))?;
    /// let recorder = follower.process_recorder().expect("every built-in recorder tracks");
    /// assert_eq!(recorder.max_tracking_id("Leader")?, Some(1));
    /// assert!(follower.save_all_tracked(&mut [], &Tracking::new("Leader", 1)).is_err());
    /// # Ok::<(), eventsmith::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TrackingConflict`] when the position is at or past
    /// `tracking` already (nothing is stored); as [`save_all`](Self::save_all).
    pub fn save_all_tracked(
        &self,
        aggregates: &mut [&mut dyn Saveable],
        tracking: &Tracking,
    ) -> Result<Vec<u64>> {
        let process = self.require_process_recorder()?;
        let mut stored: Vec<StoredEvent> = Vec::new();
        for aggregate in aggregates.iter() {
            aggregate.encode_pending(self.events.mapper(), &mut stored)?;
        }
        let ids = self
            .events
            .instruments()
            .save(&stored, || {
                process.insert_events_tracked(&stored, Some(tracking))
            })
            .inspect_err(|e| self.repository().conflicted(e))?;
        self.after_store(aggregates, &stored, ids)
    }
}
