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

use crate::application::{Application, Saveable};
use crate::domain::unsaved::Watch;
use crate::persistence::{Followed, Notification, Tracking, TrackingRecorder};
use crate::system::NotificationLogReader;
use crate::{ErrorKind, Result};

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

/// What a generated follower's policy is given: the [`Processing`] of the
/// event, which saves only aggregates of the follower `F` (those its schema
/// lists under `aggregates:`), so that a policy cannot store another
/// application's aggregate, the leader's say, into the follower's store.
/// Only the generated code makes one.
pub struct ProcessingOf<'a, 'p, F> {
    processing: &'a mut Processing<'p>,
    follower: std::marker::PhantomData<fn() -> F>,
}

impl<F> std::fmt::Debug for ProcessingOf<'_, '_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.processing, f)
    }
}

impl<'a, 'p, F> ProcessingOf<'a, 'p, F> {
    /// The policy's view of `processing` (for generated code).
    #[doc(hidden)]
    pub fn __new(processing: &'a mut Processing<'p>) -> Self {
        Self {
            processing,
            follower: std::marker::PhantomData,
        }
    }

    /// The position of the event being processed: the leader's name and
    /// the notification's id.
    pub fn tracking(&self) -> &Tracking {
        self.processing.tracking()
    }

    /// Saves `aggregate`'s pending events with this event's tracking
    /// record, once the policy returns `Ok`: one of the follower's own
    /// aggregates only.
    pub fn save<A>(&mut self, aggregate: A)
    where
        A: Saveable + crate::__private::AggregateOf<F> + 'p,
    {
        self.processing.save(aggregate);
    }
}

/// What a policy or projection is given an event in: its notification's
/// tracking record and topic, and the policy it goes to.
pub(crate) struct Unprocessed<'n> {
    pub(crate) tracking: Tracking,
    pub(crate) topic: &'n str,
    pub(crate) policy: Option<&'static str>,
}

impl Unprocessed<'_> {
    /// The policy error `source`, naming this notification.
    pub(crate) fn policy_error(&self, follower: &str, source: super::PolicyError) -> crate::Error {
        ErrorKind::Policy {
            follower: follower.to_owned(),
            leader: self.tracking.application_name.clone(),
            notification_id: self.tracking.notification_id,
            topic: self.topic.to_owned(),
            policy: self.policy,
            source,
        }
        .into()
    }
}

/// Gives `f` each notification of `leader` above `tracker`'s position
/// whose topic is one of `E`'s, decoded, with its tracking record, in
/// order: what a follower or a projection processes next. When the last
/// notifications read are passed over (their topics not `E`'s), the
/// position is recorded past them, so that a wait for them returns;
/// another process having recorded a later one already is no error (it is
/// ahead, which is all the record says). Returns how many `f` was given
/// and stored.
///
/// Replicas of one follower on one store race: when what `f` stores
/// conflicts because another replica stored that notification first (its
/// position is now at or past it), this one has lost the race, which is no
/// error: it reads on from the new position.
pub(crate) fn for_each_unprocessed<E: Followed>(
    follower: &str,
    tracker: &(impl TrackingRecorder + ?Sized),
    leader: &Application,
    mut f: impl FnMut(E, Unprocessed<'_>) -> Result<()>,
) -> Result<u64> {
    check_leader_outlives(follower, tracker, leader)?;
    let following = crate::observe::Following::new(follower, leader.name());
    let mut processed: u64 = 0;
    'from_the_position: loop {
        let Some(start) = tracker
            .max_tracking_id(leader.name())?
            .map_or(Some(1), |id| id.checked_add(1))
        else {
            return Ok(processed);
        };
        let mut passed_over: Option<u64> = None;
        for notification in NotificationLogReader::new(leader.log()).read(start) {
            let notification = notification?;
            if !E::FOLLOWED_TOPICS.contains(&&*notification.topic) {
                passed_over = Some(notification.id);
                continue;
            }
            let event = decode::<E>(leader, &notification)?;
            let unprocessed = Unprocessed {
                tracking: Tracking::new(leader.name(), notification.id),
                topic: &notification.topic,
                policy: event.policy(),
            };
            match following.process(notification.id, &notification.topic, || {
                f(event, unprocessed)
            }) {
                Ok(()) => {}
                Err(e) if lost_race(tracker, leader, &e, notification.id)? => {
                    continue 'from_the_position;
                }
                Err(e) => return Err(e),
            }
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
        return Ok(processed);
    }
}

/// Refuses a leader whose events are kept in memory to a follower whose
/// position (kept by `tracker`) outlives the process: see
/// [`ErrorKind::LeaderInMemory`].
fn check_leader_outlives(
    follower: &str,
    tracker: &(impl TrackingRecorder + ?Sized),
    leader: &Application,
) -> Result<()> {
    if tracker.durable() && !leader.recorder().durable() {
        return Err(ErrorKind::LeaderInMemory {
            follower: follower.to_owned(),
            leader: leader.name().to_owned(),
            leader_upper: leader.name().to_uppercase(),
            backend: tracker.backend(),
        }
        .into());
    }
    Ok(())
}

/// Whether `error`, from storing what notification `id` of `leader` gave,
/// is another replica having stored that notification first: a conflict
/// (of the tracking record, or of an aggregate both saved), with the
/// position now at or past `id`.
fn lost_race(
    tracker: &(impl TrackingRecorder + ?Sized),
    leader: &Application,
    error: &crate::Error,
    id: u64,
) -> Result<bool> {
    if !matches!(
        error.kind(),
        ErrorKind::TrackingConflict { .. } | ErrorKind::VersionConflict { .. }
    ) {
        return Ok(false);
    }
    Ok(tracker
        .max_tracking_id(leader.name())?
        .is_some_and(|at| at >= id))
}

/// Processes the notifications of `leader` that `follower` has not
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
/// use eventsmith::system::process;
/// use eventsmith::{Application, Result};
///
/// /// Processes what `leader` stored since `follower` last did, saving
/// /// nothing but the position.
/// fn catch_up<E: Followed>(follower: &Application, leader: &Application) -> Result<u64> {
///     process::<E, _>(follower, leader, |_event, _processing| Ok(()))
/// }
/// ```
///
/// # Errors
///
/// [`ErrorKind::Policy`]; [`ErrorKind::LeaderInMemory`] when `leader` keeps its
/// events in memory and `follower` its position in a database;
/// [`ErrorKind::SharedLog`] when `leader` keeps its
/// log where this application does; [`ErrorKind::UnreadableNotification`] for a
/// notification that cannot be decoded; [`ErrorKind::TrackingConflict`] when another process recorded the
/// position first; backend errors.
pub fn process<E, P>(follower: &Application, leader: &Application, mut policy: P) -> Result<u64>
where
    E: Followed,
    P: FnMut(E, &mut Processing<'_>) -> std::result::Result<(), PolicyError>,
{
    let process = follower.require_process_recorder()?;
    follower.check_not_sharing_log(leader)?;
    for_each_unprocessed::<E>(follower.name(), &**process, leader, |event, unprocessed| {
        let mut processing = Processing {
            tracking: unprocessed.tracking.clone(),
            aggregates: Vec::new(),
        };
        // A change the policy made and dropped, unsaved, is an error: the
        // notification would be recorded as processed without it.
        let watch = Watch::start();
        let outcome = policy(event, &mut processing);
        let saving: Vec<(uuid::Uuid, u64)> = processing
            .aggregates
            .iter()
            .map(|aggregate| aggregate.id_and_version())
            .collect();
        let dropped = watch.finish(&saving);
        outcome.map_err(|source| unprocessed.policy_error(follower.name(), source))?;
        if let Some(&(originator_id, originator_version)) = dropped.first() {
            return Err(ErrorKind::PolicyLeftChanges {
                follower: follower.name().to_owned(),
                leader: unprocessed.tracking.application_name.clone(),
                notification_id: unprocessed.tracking.notification_id,
                policy: unprocessed.policy,
                originator_id,
                originator_version,
            }
            .into());
        }
        let Processing {
            tracking,
            mut aggregates,
        } = processing;
        let mut saving: Vec<&mut dyn Saveable> = Vec::with_capacity(aggregates.len());
        for aggregate in &mut aggregates {
            saving.push(&mut **aggregate);
        }
        match follower.save_all_tracked(&mut saving, &tracking) {
            // The events and the position are stored: the notification is
            // processed, whether or not a snapshot due could be taken (the
            // next one due is taken as usual).
            Ok(_) => Ok(()),
            Err(e) if matches!(e.kind(), ErrorKind::SnapshotNotTaken { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    })
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
