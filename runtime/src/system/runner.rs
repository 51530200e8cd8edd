//! Systems of applications that follow one another, and the runners that
//! keep them following: the Python library's `System`,
//! `SingleThreadedRunner` and `MultiThreadedRunner`, as the runtime's part
//! of them.
//!
//! A [`Pipe`] is one follower following one leader with a policy. A
//! [`SingleThreadedRunner`] runs its pipes in turn until none has anything
//! left to do: deterministic, for tests. A [`MultiThreadedRunner`] gives
//! each pipe a thread, woken by a subscription to its leader's log, until
//! stopped. Either way a pipe processes through
//! [`process`](super::process), so each of the leader's events is processed
//! once, and a failing policy stops its pipe with [`ErrorKind::Policy`] and its
//! position intact.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{PolicyError, Processing, process};
use crate::application::Application;
use crate::persistence::{Followed, Stopper, Subscription};
use crate::{Error, ErrorKind, Result};

type Step = Box<dyn FnMut() -> Result<u64> + Send>;

/// A follower following a leader with a policy: one pipe of a system.
pub struct Pipe {
    follower: Arc<Application>,
    leader: Arc<Application>,
    step: Step,
}

impl std::fmt::Debug for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipe")
            .field("leader", &self.leader.name())
            .field("follower", &self.follower.name())
            .finish_non_exhaustive()
    }
}

impl Pipe {
    /// `follower` processing `leader`'s events of type `E` with `policy`
    /// (see [`process`](super::process)).
    pub fn new<E, P>(follower: Arc<Application>, leader: Arc<Application>, mut policy: P) -> Self
    where
        E: Followed + 'static,
        P: FnMut(E, &mut Processing<'_>) -> std::result::Result<(), PolicyError> + Send + 'static,
    {
        let (f, l) = (follower.clone(), leader.clone());
        Self {
            follower,
            leader,
            step: Box::new(move || process::<E, _>(&f, &l, &mut policy)),
        }
    }

    /// How far the follower is behind the leader.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidTracking`] when the follower keeps no tracking
    /// records; storage errors.
    pub fn lag(&self) -> Result<super::Lag> {
        follower_lag(&self.follower, &self.leader)
    }

    /// Processes what the leader has stored since the follower last did;
    /// how many notifications.
    ///
    /// # Errors
    ///
    /// As [`Application::process`].
    pub(crate) fn step(&mut self) -> Result<u64> {
        (self.step)()
    }
}

/// How far the follower application `follower` is behind `leader`, by its
/// process recorder's tracking.
fn follower_lag(follower: &Application, leader: &Application) -> Result<super::Lag> {
    let tracker = follower.require_process_recorder()?;
    super::lag(follower.name(), &**tracker, leader)
}

/// Runs a system's pipes in turn, in this thread, until none has anything
/// left to do (the Python library's `SingleThreadedRunner`).
///
/// ```
/// use eventsmith::SingleThreadedRunner;
/// let mut runner = SingleThreadedRunner::new(Vec::new());
/// assert_eq!(runner.run()?, 0);
/// # Ok::<(), eventsmith::Error>(())
/// ```
#[derive(Debug)]
pub struct SingleThreadedRunner {
    pipes: Vec<Pipe>,
}

impl SingleThreadedRunner {
    /// A runner of `pipes`, in the order given.
    pub fn new(pipes: Vec<Pipe>) -> Self {
        Self { pipes }
    }

    /// A runner of `pipes` that has run them until nothing was left to do
    /// (the Python library's `runner.start()`); [`run`](Self::run) it again
    /// once the leaders have stored more.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    #[doc(hidden)]
    pub fn start(pipes: Vec<Pipe>) -> Result<Self> {
        let mut runner = Self::new(pipes);
        runner.run()?;
        Ok(runner)
    }

    /// Stops the runner, giving back its pipes. Nothing runs between calls
    /// of [`run`](Self::run), so there is nothing to wait for.
    pub fn stop(self) -> Vec<Pipe> {
        self.pipes
    }

    /// Runs every pipe, again and again, until a whole round processes
    /// nothing: what one follower saves, another following it processes in
    /// the same run. Returns how many notifications were processed.
    ///
    /// # Errors
    ///
    /// The first pipe's error ([`ErrorKind::Policy`], storage errors): that
    /// pipe's follower keeps its position before the failed notification;
    /// the others keep theirs. Running again starts from there.
    pub fn run(&mut self) -> Result<u64> {
        let mut total: u64 = 0;
        loop {
            let mut round: u64 = 0;
            for pipe in &mut self.pipes {
                round = round.saturating_add(pipe.step()?);
            }
            if round == 0 {
                return Ok(total);
            }
            total = total.saturating_add(round);
        }
    }
}

/// A pipe's thread, and how to stop it.
#[derive(Debug)]
struct Running {
    stopper: Stopper,
    follower: Arc<Application>,
    leader: Arc<Application>,
    thread: JoinHandle<std::result::Result<u64, ()>>,
}

/// Why a pipe of a [`MultiThreadedRunner`] stopped before it was stopped:
/// which follower and leader, where in the leader's log (when the error
/// names a notification), and the error.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PipeFailure {
    /// The application that follows.
    pub follower: String,
    /// The application followed.
    pub leader: String,
    /// The notification it stopped before, when the error names one.
    pub notification_id: Option<u64>,
    /// That notification's topic, when the policy failed on it.
    pub topic: Option<String>,
    /// The policy that failed (a method of the follower's policy trait),
    /// when known.
    pub policy: Option<&'static str>,
    /// The error ([`ErrorKind::Policy`], [`ErrorKind::UnreadableNotification`],
    /// an error that does not pass with time, or
    /// [`ErrorKind::PipePanicked`]).
    pub error: Arc<Error>,
}

impl PipeFailure {
    fn new(follower: &str, leader: &str, error: Error) -> Self {
        let (notification_id, topic, policy) = match error.kind() {
            ErrorKind::Policy {
                notification_id,
                topic,
                policy,
                ..
            } => (Some(*notification_id), Some(topic.clone()), *policy),
            ErrorKind::UnreadableNotification {
                notification_id, ..
            } => (Some(*notification_id), None, None),
            ErrorKind::PolicyLeftChanges {
                notification_id,
                policy,
                ..
            } => (Some(*notification_id), None, *policy),
            _ => (None, None, None),
        };
        Self {
            follower: follower.to_owned(),
            leader: leader.to_owned(),
            notification_id,
            topic,
            policy,
            error: Arc::new(error),
        }
    }
}

impl std::fmt::Display for PipeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} following {}: {}",
            self.follower, self.leader, self.error
        )
    }
}

/// The pause before a pipe tries again after an error that may pass: 10 ms,
/// doubled each time it fails again, at most 1 s; back to 10 ms once a
/// step succeeds.
#[derive(Debug)]
struct Backoff(Duration);

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MOST: Duration = Duration::from_secs(1);

    fn new() -> Self {
        Self(Self::FIRST)
    }

    fn reset(&mut self) {
        self.0 = Self::FIRST;
    }

    /// Waits the pause, or until `stopper` is stopped (`false` then).
    fn wait(&mut self, stopper: &Stopper) -> bool {
        let pause = self.0;
        self.0 = self.0.saturating_mul(2).min(Self::MOST);
        let start = Instant::now();
        while !stopper.is_stopped() {
            let left = pause.saturating_sub(start.elapsed());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(20)));
        }
        false
    }
}

/// Runs each pipe in a thread of its own, woken by a subscription to its
/// leader's log, until stopped (the Python library's
/// `MultiThreadedRunner`).
///
/// Replicas of a follower may run on one store, in threads or processes:
/// each notification is processed by one of them, and a replica that
/// finds another got there first reads on from the new position (see
/// [`process`]). An error that may pass with time
/// ([`Error::is_transient`]: a lost connection, a busy database, a
/// conflict) is tried again after a pause that grows from 10 ms to 1 s; a
/// pipe stops only when stopped, or on an error that will not pass (a
/// policy's, an unreadable notification), which [`failures`](Self::failures)
/// then reports.
#[derive(Debug)]
pub struct MultiThreadedRunner {
    threads: Vec<Running>,
    failures: Arc<Mutex<Vec<PipeFailure>>>,
}

impl MultiThreadedRunner {
    /// Starts a thread for each of `pipes`: it processes what its leader
    /// has stored, then waits on a subscription to the leader's log and
    /// processes again each time something new is stored. A pipe whose
    /// step fails with an error that will not pass stops (its follower
    /// keeps its position before the failed notification); the others go
    /// on.
    ///
    /// # Errors
    ///
    /// A subscription that cannot be opened (the threads started so far
    /// are stopped).
    pub fn start(pipes: Vec<Pipe>) -> Result<Self> {
        let mut runner = Self {
            threads: Vec::new(),
            failures: Arc::new(Mutex::new(Vec::new())),
        };
        for pipe in pipes {
            // Woken for what is stored from now on; what is stored already
            // the first step processes.
            let subscribed = pipe
                .leader
                .recorder()
                .max_notification_id()
                .and_then(|gt| pipe.leader.subscribe(gt, &[]));
            let subscription = match subscribed {
                Ok(subscription) => subscription,
                Err(e) => {
                    let _ = runner.stop();
                    return Err(e);
                }
            };
            let stopper = subscription.stopper();
            let failures = runner.failures.clone();
            let (follower, leader) = (pipe.follower.clone(), pipe.leader.clone());
            let thread = std::thread::spawn(move || run_pipe(pipe, subscription, &failures));
            runner.threads.push(Running {
                stopper,
                follower,
                leader,
                thread,
            });
        }
        Ok(runner)
    }

    /// How far each pipe's follower is behind its leader, in the order the
    /// pipes were given: each read now, from the stores (a pipe that
    /// stopped on a failure still reports where it stopped).
    pub fn lags(&self) -> Vec<Result<super::Lag>> {
        self.threads
            .iter()
            .map(|running| follower_lag(&running.follower, &running.leader))
            .collect()
    }

    /// The pipes that have stopped on an error so far, each with its
    /// follower, leader, notification, policy and error.
    pub fn failures(&self) -> Vec<PipeFailure> {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops every pipe and waits for its thread; how many notifications
    /// they processed in all.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PipeFailed`] with the first pipe that stopped on an
    /// error, as [`failures`](Self::failures) reports it.
    pub fn stop(self) -> Result<u64> {
        for running in &self.threads {
            running.stopper.stop();
        }
        let mut total: u64 = 0;
        for running in self.threads {
            if let Ok(Ok(n)) = running.thread.join() {
                total = total.saturating_add(n);
            }
        }
        let first = self
            .failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .first()
            .cloned();
        first.map_or(Ok(total), |failure| {
            Err(ErrorKind::PipeFailed(Box::new(failure)).into())
        })
    }
}

/// A pipe's thread: a step, then another each time the subscription wakes
/// it, until it is stopped or fails on an error that will not pass (which
/// is added to `failures`, as a panic is). How many notifications it
/// processed, or `Err` when it failed.
fn run_pipe(
    mut pipe: Pipe,
    subscription: Subscription,
    failures: &Mutex<Vec<PipeFailure>>,
) -> std::result::Result<u64, ()> {
    let follower = pipe.follower.name().to_owned();
    let leader = pipe.leader.name().to_owned();
    let stopper = subscription.stopper();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        steps(&mut pipe, subscription, &stopper)
    }));
    let error = match outcome {
        Ok(Ok(total)) => return Ok(total),
        Ok(Err(error)) => error,
        Err(_) => Error::from(ErrorKind::PipePanicked {
            follower: follower.clone(),
            leader: leader.clone(),
        }),
    };
    failures
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(PipeFailure::new(&follower, &leader, error));
    Err(())
}

/// How many times in a row a step that conflicts is tried again before
/// the pipe stops on the conflict. A replica that loses a race reads on
/// without an error ([`process`]), and a stale cached copy is dropped when
/// the store refuses it; a conflict that persists is the policy's (it
/// creates an aggregate that exists, or saves one twice), and trying it
/// again forever would hide it.
const MOST_CONFLICTS_IN_A_ROW: u32 = 10;

/// Whether `error` is a conflict with what is stored, or a policy's
/// failure on one.
fn is_conflict(error: &Error) -> bool {
    match error.kind() {
        ErrorKind::VersionConflict { .. } | ErrorKind::TrackingConflict { .. } => true,
        ErrorKind::Policy { source, .. } => source.downcast_ref::<Error>().is_some_and(is_conflict),
        _ => false,
    }
}

/// Steps `pipe` each time `subscription` wakes it, trying again after a
/// pause on an error that may pass, until stopped (how many it processed)
/// or an error that will not pass (or a conflict that persists).
fn steps(pipe: &mut Pipe, mut subscription: Subscription, stopper: &Stopper) -> Result<u64> {
    let mut total: u64 = 0;
    // Each source of errors its own pause: a subscription that keeps
    // failing is not polled every 10 ms because the steps between succeed.
    let (mut step_pause, mut wake_pause) = (Backoff::new(), Backoff::new());
    let mut conflicts: u32 = 0;
    loop {
        // Whatever is new, processed from the follower's position (the
        // subscription only wakes it).
        match pipe.step() {
            Ok(n) => {
                total = total.saturating_add(n);
                step_pause.reset();
                conflicts = 0;
            }
            Err(e) if e.is_transient() => {
                if is_conflict(&e) {
                    conflicts = conflicts.saturating_add(1);
                    if conflicts > MOST_CONFLICTS_IN_A_ROW {
                        return Err(e);
                    }
                }
                if !step_pause.wait(stopper) {
                    return Ok(total);
                }
                continue;
            }
            Err(e) => return Err(e),
        }
        match subscription.next() {
            None => return Ok(total),
            Some(Ok(_)) => wake_pause.reset(),
            // The step after the pause catches up with what was missed.
            Some(Err(e)) if e.is_transient() => {
                if !wake_pause.wait(stopper) {
                    return Ok(total);
                }
            }
            Some(Err(e)) => return Err(e),
        }
    }
}
