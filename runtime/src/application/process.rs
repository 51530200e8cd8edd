//! Processing another application's events, exactly once: the Python
//! library's process application, as the runtime's part of it.
//!
//! A follower pulls the notifications of a leader it has not processed
//! (those above its tracking record of the leader), decodes each as the
//! leader's event, and hands it to a policy. What the policy saves is
//! stored with the tracking record of that notification, in one
//! transaction ([`ProcessRecorder::insert_events_tracked`]): the new
//! events and the position are stored together or not at all, so however
//! processing stops, each notification's outcome is stored once.

use std::sync::Arc;

use super::{Application, Saveable};
use crate::persistence::{
    Followed, Notification, ProcessRecorder, StoredEvent, Tracking, TrackingRecorder,
};
use crate::{ErrorKind, NotificationLogReader, Result};

/// What a policy may fail with: any error (a rule of the follower's, or
/// the runtime's).
pub type PolicyError = Box<dyn std::error::Error + Send + Sync>;

/// What a policy does with one of the leader's events: the follower's
/// aggregates it changed, saved with the event's tracking record once the
/// policy returns.
pub struct Processing<'p> {
    tracking: Tracking,
    aggregates: Vec<Box<dyn Saveable + 'p>>,
}

impl std::fmt::Debug for Processing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processing")
            .field("tracking", &self.tracking)
            .field("aggregates", &self.aggregates.len())
            .finish()
    }
}

impl<'p> Processing<'p> {
    /// The position of the event being processed: the leader's name and
    /// the notification's id.
    pub fn tracking(&self) -> &Tracking {
        &self.tracking
    }

    /// Saves `aggregate`'s pending events with this event's tracking
    /// record, once the policy returns `Ok` (the Python library's
    /// `processing_event.collect_events`).
    pub fn save<A: Saveable + 'p>(&mut self, aggregate: A) {
        self.aggregates.push(Box::new(aggregate));
    }
}

/// Gives `f` each notification of `leader` above `tracker`'s position
/// whose topic is one of `E`'s, decoded, with its tracking record, in
/// order: what a follower or a projection processes next. When the last
/// notifications read are passed over (their topics not `E`'s), the
/// position is recorded past them, so that a wait for them returns;
/// another process having recorded a later one already is no error (it is
/// ahead, which is all the record says). Returns how many `f` was given.
pub(crate) fn for_each_unprocessed<E: Followed>(
    tracker: &(impl TrackingRecorder + ?Sized),
    leader: &Application,
    mut f: impl FnMut(E, Tracking) -> Result<()>,
) -> Result<u64> {
    let Some(start) = tracker
        .max_tracking_id(leader.name())?
        .map_or(Some(1), |id| id.checked_add(1))
    else {
        return Ok(0);
    };
    let mut processed: u64 = 0;
    let mut passed_over: Option<u64> = None;
    for notification in NotificationLogReader::new(leader.log()).read(start) {
        let notification = notification?;
        if !E::FOLLOWED_TOPICS.contains(&&*notification.topic) {
            passed_over = Some(notification.id);
            continue;
        }
        let event = decode::<E>(leader, &notification)?;
        f(event, Tracking::new(leader.name(), notification.id))?;
        processed = processed.saturating_add(1);
        passed_over = None;
    }
    if let Some(id) = passed_over {
        match tracker.insert_tracking(&Tracking::new(leader.name(), id)) {
            Ok(()) => {}
            Err(e) if matches!(e.kind(), ErrorKind::TrackingConflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(processed)
}

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

    fn require_process_recorder(&self) -> Result<&Arc<dyn ProcessRecorder>> {
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
        let ids = process.insert_events_tracked(&stored, Some(tracking))?;
        self.after_store(aggregates, &stored, ids)
    }

    /// Processes the notifications of `leader` this application has not
    /// processed yet, in order (the Python library's `pull_and_process`):
    /// each is decoded as an `E` (with the leader's mapper) and given to
    /// `policy`, and what the policy saves is stored with the
    /// notification's tracking record. Notifications whose topic is not
    /// one of `E`'s are passed over; when the last ones read are, the
    /// position is recorded past them (so that a `wait` for them returns).
    /// `E` is an aggregate's event type, or the enum generated for a
    /// follower's `follow:` of a leader. Returns how many were processed.
    ///
    /// The policy may fail with any error (the follower's own rules', or
    /// the runtime's, through `?`): processing stops with
    /// [`ErrorKind::Policy`], naming the notification; nothing of it is
    /// stored, and the next call starts from it again.
    ///
    /// ```
    /// use eventsmith::__private::Followed;
    /// use eventsmith::{Application, Result};
    ///
    /// /// Processes what `leader` stored since `follower` last did, saving
    /// /// nothing but the position.
    /// fn catch_up<E: Followed>(follower: &Application, leader: &Application) -> Result<u64> {
    ///     follower.process::<E, _>(leader, |_event, _processing| Ok(()))
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Policy`]; [`ErrorKind::SharedLog`] when `leader` keeps its
    /// log where this application does; [`ErrorKind::UnreadableNotification`] for a
    /// notification that cannot be decoded; [`ErrorKind::TrackingConflict`] when another process recorded the
    /// position first; backend errors.
    pub fn process<E, P>(&self, leader: &Application, mut policy: P) -> Result<u64>
    where
        E: Followed,
        P: FnMut(E, &mut Processing<'_>) -> std::result::Result<(), PolicyError>,
    {
        let process = self.require_process_recorder()?;
        let leader_name = leader.name();
        self.check_not_sharing_log(leader)?;
        for_each_unprocessed::<E>(&**process, leader, |event, tracking| {
            let notification_id = tracking.notification_id;
            let mut processing = Processing {
                tracking,
                aggregates: Vec::new(),
            };
            policy(event, &mut processing).map_err(|source| ErrorKind::Policy {
                follower: self.name().to_owned(),
                leader: leader_name.to_owned(),
                notification_id,
                source,
            })?;
            let Processing {
                tracking,
                mut aggregates,
            } = processing;
            let mut saving: Vec<&mut dyn Saveable> = Vec::with_capacity(aggregates.len());
            for aggregate in &mut aggregates {
                saving.push(&mut **aggregate);
            }
            self.save_all_tracked(&mut saving, &tracking).map(|_| ())
        })
    }
}

/// `notification` decoded as an `E` with `leader`'s mapper.
pub(crate) fn decode<E: Followed>(leader: &Application, notification: &Notification) -> Result<E> {
    leader
        .event_store()
        .mapper()
        .decode_followed(
            notification.originator_id,
            notification.originator_version,
            &notification.topic,
            &notification.state,
        )
        .map_err(|source| {
            ErrorKind::UnreadableNotification {
                leader: leader.name().to_owned(),
                notification_id: notification.id,
                source,
            }
            .into()
        })
}
