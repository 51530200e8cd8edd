//! What the generated async facades stand on (cargo feature `tokio`): the
//! blocking API run on tokio's blocking pool, a bounded number of calls at
//! once, and subscriptions as streams.
//!
//! Why a blocking pool and not an async driver: docs/async.md gives the
//! measurement. In short, a call waits on the database either way; the
//! pool adds a thread hand-off (microseconds) to a save that takes a
//! round trip, and keeps one storage path (the one the Python-compatibility
//! tests check) for both APIs.

use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};

mod macros;

use crate::persistence::tracking::WaitPauses;
use crate::persistence::{Notification, Stopper, Subscription};
use crate::{Application, Error, ErrorKind, Result};

/// How many calls a [`BlockingPool`] runs at once unless told otherwise.
const DEFAULT_LIMIT: usize = 64;

/// How many notifications a subscription's stream holds ready before its
/// reader takes them: the subscription waits while the stream is full.
const STREAM_BUFFER: usize = 256;

/// Runs calls of the blocking API on tokio's blocking pool
/// (`spawn_blocking`), at most a fixed number at once, so that no worker
/// thread of the runtime waits on the database and a burst of requests
/// does not start a thread for each. The generated async facades hold one
/// (cargo feature `tokio`); clones share their limit.
///
/// A call's future may be dropped at any point: before the call starts,
/// nothing is done; once it has started it runs to its end on the pool, so
/// a command is stored whole or not at all, as a blocking call is, and the
/// aggregate cache changes only with what was stored.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> eventsmith::Result<()> {
/// use eventsmith::{Application, BlockingPool, Environment};
/// let app = Application::from_env(Environment::isolated("Universe", std::iter::empty::<(&str, &str)>()))?;
/// let pool = BlockingPool::default();
/// let log = app.log().clone();
/// let section = pool.run(move || log.section("1,10")).await?;
/// assert!(section.items.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BlockingPool {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl Default for BlockingPool {
    /// A pool of 64 calls at once: more than the connections a
    /// PostgreSQL application pools by default (`POSTGRES_POOL_SIZE` +
    /// `POSTGRES_MAX_OVERFLOW`, 15), so the database sets the pace.
    fn default() -> Self {
        Self::new(NonZeroUsize::new(DEFAULT_LIMIT).unwrap_or(NonZeroUsize::MIN))
    }
}

impl BlockingPool {
    /// A pool that runs at most `limit` calls at once; more wait their
    /// turn, without a thread, in the order they came.
    pub fn new(limit: NonZeroUsize) -> Self {
        let limit = limit.get().min(Semaphore::MAX_PERMITS);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// How many calls it runs at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Runs `call` on the blocking pool when a place is free, and gives
    /// its result. A panic in `call` is raised again here.
    ///
    /// # Errors
    ///
    /// `call`'s error; [`ErrorKind::ShutDown`] when the runtime shut down
    /// before `call` ran (nothing was done).
    pub async fn run<T, E, F>(&self, call: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        // Dropped while waiting here: nothing was started.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::from(ErrorKind::ShutDown))?;
        // Dropped from here on: the call runs to its end regardless.
        let task = tokio::task::spawn_blocking(move || {
            let result = call();
            drop(permit);
            result
        });
        match task.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Error::from(ErrorKind::ShutDown).into()),
        }
    }

    /// Waits until `follower` has processed `leader`'s notifications up to
    /// `notification_id`, asking as [`Application::wait_for`] does (at
    /// once, then after 100 ms, twice as long each time up to 800 ms) but
    /// sleeping on the runtime's timer between asks, so a long wait holds
    /// neither a thread nor a place in the pool. What the generated async
    /// facades' `wait_for_*` call.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TrackingTimeout`] when `timeout` passes first,
    /// [`ErrorKind::InvalidTracking`] for an application that records no
    /// tracking, storage errors.
    #[doc(hidden)]
    pub async fn wait_for(
        &self,
        follower: &Application,
        leader: &str,
        notification_id: u64,
        timeout: Duration,
    ) -> Result<()> {
        let recorder = Arc::clone(follower.require_process_recorder()?);
        let mut pauses = WaitPauses::new(leader, Some(notification_id), timeout);
        loop {
            let (recorder, name) = (Arc::clone(&recorder), leader.to_owned());
            let done = self
                .run(move || recorder.has_tracking_id(&name, Some(notification_id)))
                .await?;
            if done {
                return Ok(());
            }
            tokio::time::sleep(pauses.next()?).await;
        }
    }

    /// `application`'s notifications with ids above `gt` (of `topics`
    /// only, when any are given) as a stream: what
    /// [`Application::subscribe`] gives as a blocking iterator, with the
    /// same guarantees (those recorded first, then each new one as it is
    /// committed, in order, each once; an error is an item, and reading on
    /// tries again from the last notification given). Dropping the stream
    /// stops the subscription and ends its thread.
    ///
    /// The subscription waits on a thread of its own (it waits for as long
    /// as the stream lives: neither this pool's places nor tokio's blocking
    /// threads are taken by open streams), handing notifications over
    /// through a buffer of 256.
    ///
    /// # Errors
    ///
    /// As [`Application::subscribe`]: the subscription could not be opened.
    #[doc(hidden)]
    pub async fn subscribe(
        &self,
        application: &Application,
        gt: Option<u64>,
        topics: &[&str],
    ) -> Result<NotificationStream> {
        let app = application.clone();
        let topics: Vec<String> = topics.iter().map(|&t| t.to_owned()).collect();
        let subscription = self
            .run(move || {
                let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
                app.subscribe(gt, &topics)
            })
            .await?;
        let stopper = subscription.stopper();
        let (sender, receiver) = mpsc::channel(STREAM_BUFFER);
        // A thread of its own for as long as the stream lives (not one of
        // tokio's blocking threads, which the open streams would use up);
        // the stream's drop stops the subscription, so the thread ends
        // with it. Should no thread be had, tokio's blocking pool runs it.
        let slot = Arc::new(std::sync::Mutex::new(Some((subscription, sender))));
        let own = Arc::clone(&slot);
        let started = std::thread::Builder::new()
            .name("eventsmith-stream".to_owned())
            .spawn(move || {
                if let Some((subscription, sender)) = take(&own) {
                    relay(subscription, &sender);
                }
            });
        if started.is_err()
            && let Some((subscription, sender)) = take(&slot)
        {
            drop(tokio::task::spawn_blocking(move || {
                relay(subscription, &sender)
            }));
        }
        Ok(Box::pin(Relayed { receiver, stopper }))
    }
}

/// What `slot` holds, taken out of it.
fn take<T>(slot: &std::sync::Mutex<Option<T>>) -> Option<T> {
    slot.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
}

/// Hands what `subscription` gives to `sender` until either end stops.
fn relay(subscription: Subscription, sender: &mpsc::Sender<Result<Notification>>) {
    for item in subscription {
        if sender.blocking_send(item).is_err() {
            return;
        }
    }
}

/// A subscription as a stream, boxed: it borrows nothing, so it can be
/// moved into a task of its own.
pub type NotificationStream =
    Pin<Box<dyn futures_core::Stream<Item = Result<Notification>> + Send + 'static>>;

/// A subscription as a stream: what its thread handed over, in order.
struct Relayed {
    receiver: mpsc::Receiver<Result<Notification>>,
    stopper: Stopper,
}

impl futures_core::Stream for Relayed {
    type Item = Result<Notification>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}

impl Drop for Relayed {
    fn drop(&mut self) {
        // Wakes the subscription's thread, which then ends: its next send
        // finds the receiver closed, or its wait sees the stop.
        self.stopper.stop();
        self.receiver.close();
    }
}

/// `values` owned, to move onto the blocking pool.
pub fn owned_pairs<'a>(
    values: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, String)> {
    values
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `values` borrowed again, as the blocking constructors take them.
pub fn borrowed_pairs(values: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}
