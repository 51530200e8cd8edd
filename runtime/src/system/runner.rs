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

use super::{PolicyError, Processing, process};
use crate::application::Application;
use crate::persistence::{Followed, Stopper};
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
    follower: String,
    leader: String,
    thread: JoinHandle<Result<u64>>,
}

/// Runs each pipe in a thread of its own, woken by a subscription to its
/// leader's log, until stopped (the Python library's
/// `MultiThreadedRunner`).
#[derive(Debug)]
pub struct MultiThreadedRunner {
    threads: Vec<Running>,
    failures: Arc<Mutex<Vec<String>>>,
}

impl MultiThreadedRunner {
    /// Starts a thread for each of `pipes`: it processes what its leader
    /// has stored, then waits on a subscription to the leader's log and
    /// processes again each time something new is stored. A pipe whose
    /// step fails stops (its follower keeps its position before the failed
    /// notification); the others go on.
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
        for mut pipe in pipes {
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
            let (follower, leader) = (
                pipe.follower.name().to_owned(),
                pipe.leader.name().to_owned(),
            );
            let thread = std::thread::spawn(move || {
                let mut total: u64 = 0;
                let run = || -> Result<()> {
                    total = total.saturating_add(pipe.step()?);
                    // Each wake-up: whatever is new, processed from the
                    // follower's position (the subscription only wakes it).
                    for notification in subscription {
                        notification?;
                        total = total.saturating_add(pipe.step()?);
                    }
                    Ok(())
                };
                let outcome = run();
                if let Err(e) = &outcome {
                    failures
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(format!(
                            "{} following {}: {e}",
                            pipe.follower.name(),
                            pipe.leader.name()
                        ));
                }
                outcome.map(|()| total)
            });
            runner.threads.push(Running {
                stopper,
                follower,
                leader,
                thread,
            });
        }
        Ok(runner)
    }

    /// The pipes that have stopped on an error so far, each as the
    /// follower, the leader and the error.
    pub fn failures(&self) -> Vec<String> {
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
    /// The first pipe's error, when one stopped on an error.
    pub fn stop(self) -> Result<u64> {
        for running in &self.threads {
            running.stopper.stop();
        }
        let mut total: u64 = 0;
        let mut first: Option<Error> = None;
        for running in self.threads {
            match running.thread.join() {
                Ok(Ok(n)) => total = total.saturating_add(n),
                Ok(Err(e)) => {
                    first.get_or_insert(e);
                }
                Err(_) => {
                    first.get_or_insert(
                        ErrorKind::PipePanicked {
                            follower: running.follower,
                            leader: running.leader,
                        }
                        .into(),
                    );
                }
            }
        }
        first.map_or(Ok(total), Err)
    }
}
