//! How far a follower is behind its leader: its position in the leader's
//! log, the log's head, and the difference, for code to read and to alert
//! on.

use crate::Result;
use crate::application::Application;
use crate::persistence::TrackingRecorder;

/// Where a follower (a process application or a projection) is in its
/// leader's log.
///
/// ```
/// use eventsmith::system::Lag;
///
/// fn alert(lag: &Lag) -> bool {
///     lag.behind() > 1_000
/// }
/// # let _ = alert;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lag {
    /// The application (or view) that follows.
    pub follower: String,
    /// The application followed.
    pub leader: String,
    /// The last notification of the leader's the follower has processed
    /// (`None`: none yet).
    pub position: Option<u64>,
    /// The leader's last notification (`None`: its log is empty).
    pub head: Option<u64>,
}

impl Lag {
    /// How many of the leader's notifications the follower has still to
    /// process (the ones it passes over count until it has passed them).
    #[must_use]
    pub fn behind(&self) -> u64 {
        self.head
            .unwrap_or(0)
            .saturating_sub(self.position.unwrap_or(0))
    }
}

/// The lag of the follower `follower`, whose tracking records `tracker`
/// keeps (a follower application's process recorder, or a view), behind
/// `leader`. The position is read before the head, so the lag is never
/// shown smaller than it was.
///
/// # Errors
///
/// Storage errors of either.
pub fn lag(
    follower: &str,
    tracker: &(impl TrackingRecorder + ?Sized),
    leader: &Application,
) -> Result<Lag> {
    let position = tracker.max_tracking_id(leader.name())?;
    let head = leader.log().max_notification_id()?;
    let lag = Lag {
        follower: follower.to_owned(),
        leader: leader.name().to_owned(),
        position,
        head,
    };
    crate::observe::record_lag(follower, leader.name(), lag.behind());
    Ok(lag)
}
