//! Following an application's log: a [`Subscription`] catches up with the
//! notifications already recorded, then waits for new ones.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{ApplicationRecorder, Notification, NotificationQuery};
use crate::Result;

/// How many notifications a subscription selects at a time (as the Python
/// library's `ListenNotifySubscription`).
pub(crate) const SUBSCRIPTION_SECTION_SIZE: usize = 500;

/// The first pause of a subscription that polls, after a look that found
/// nothing new.
pub(crate) const POLL_MIN: Duration = Duration::from_millis(10);

/// The longest pause of a subscription that polls: the longest a write it
/// cannot be told of (another process's) waits to be seen.
pub(crate) const POLL_MAX: Duration = Duration::from_millis(250);

/// The pause after `quiet` looks in a row that found nothing: [`POLL_MIN`],
/// doubled each time, up to [`POLL_MAX`].
pub(crate) fn backoff(quiet: u32) -> Duration {
    POLL_MIN
        .checked_mul(1_u32.checked_shl(quiet.min(16)).unwrap_or(u32::MAX))
        .unwrap_or(POLL_MAX)
        .min(POLL_MAX)
}

/// Rung when a recorder's inserts commit: a count of them, and a condition
/// variable its subscriptions wait on.
///
/// A ring with nobody waiting is one atomic addition and one load, with no
/// lock (the in-memory recorder rings on every save). The count and the
/// number of waiters are sequentially consistent, so a ring and a waiter
/// cannot miss each other: the waiter counts itself, then reads the count;
/// the ring adds to the count, then reads the waiters. Of the two reads
/// that come later, one sees the other's write: either the waiter sees the
/// new count and does not wait, or the ring sees a waiter and notifies it
/// under the mutex, which the waiter holds from counting itself until it
/// waits.
#[derive(Debug, Default)]
pub(crate) struct Bell {
    /// Commits counted so far.
    count: AtomicU64,
    /// Threads waiting (or about to): a ring with none skips the mutex and
    /// the condition variable's system call.
    waiters: AtomicUsize,
    lock: Mutex<()>,
    rung: Condvar,
}

impl Bell {
    /// Counts a commit and wakes every waiting subscription.
    pub(crate) fn ring(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _lock = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
            self.rung.notify_all();
        }
    }

    /// The count of commits so far.
    pub(crate) fn rings(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Waits until the count differs from `seen`, `stopped` is set, or
    /// `timeout` (when given) has passed; returns the count then.
    pub(crate) fn wait(&self, seen: u64, stopped: &AtomicBool, timeout: Option<Duration>) -> u64 {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut lock = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.waiters.fetch_add(1, Ordering::SeqCst);
        while self.count.load(Ordering::SeqCst) == seen && !stopped.load(Ordering::SeqCst) {
            lock = match (timeout, deadline) {
                (Some(_), Some(deadline)) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    self.rung
                        .wait_timeout(lock, left)
                        .map(|(lock, _)| lock)
                        .unwrap_or_else(|e| e.into_inner().0)
                }
                _ => self.rung.wait(lock).unwrap_or_else(PoisonError::into_inner),
            };
        }
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        drop(lock);
        self.count.load(Ordering::SeqCst)
    }

    /// Wakes every waiter without counting a commit (they see `stopped`).
    fn wake(&self) {
        let _lock = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.rung.notify_all();
    }
}

#[derive(Debug)]
struct StopState {
    stopped: AtomicBool,
    /// The bell the subscription waits on, rung to wake it.
    bell: Option<Arc<Bell>>,
}

/// Stops a [`Subscription`] from any thread: cheap to clone, `Send` and
/// `Sync`. A `next()` blocked waiting returns `None` promptly (at once on
/// the in-memory and SQLite recorders; within `PG_WAIT_SLICE` on
/// PostgreSQL), and so does every later one.
///
/// ```
/// use eventsmith::persistence::{ApplicationRecorder, InMemoryRecorder};
/// let recorder = InMemoryRecorder::new();
/// let mut subscription = recorder.subscribe(None, &[])?;
/// let stopper = subscription.stopper();
/// let waiter = std::thread::spawn(move || subscription.next().is_none());
/// std::thread::sleep(std::time::Duration::from_millis(50));
/// stopper.stop();
/// assert!(waiter.join().unwrap());
/// # Ok::<(), eventsmith::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Stopper(Arc<StopState>);

impl Stopper {
    fn new(bell: Option<Arc<Bell>>) -> Self {
        Self(Arc::new(StopState {
            stopped: AtomicBool::new(false),
            bell,
        }))
    }

    /// Stops the subscription and wakes it.
    pub fn stop(&self) {
        self.0.stopped.store(true, Ordering::SeqCst);
        if let Some(bell) = &self.0.bell {
            bell.wake();
        }
    }

    /// Whether the subscription was stopped.
    pub fn is_stopped(&self) -> bool {
        self.0.stopped.load(Ordering::SeqCst)
    }
}

/// Where a subscription reads notifications, and how it waits for new ones.
pub(crate) trait Source: Send {
    /// Marks the moment from which a commit must end the next
    /// [`wait`](Self::wait); called just before each select.
    fn arm(&mut self) -> Result<()>;
    /// Selects notifications as `query` says.
    fn select(&mut self, query: &NotificationQuery) -> Result<Vec<Notification>>;
    /// Blocks until something may have been committed since the last
    /// [`arm`](Self::arm), or `stopped` is set.
    fn wait(&mut self, stopped: &AtomicBool) -> Result<()>;
}

/// A blocking iterator over an application's notifications with ids above
/// a given one (of the given topics only, when any are given), in id order,
/// each once: it catches up with those already recorded, section by
/// section, then waits for new ones without using the CPU. It ends (`None`)
/// once stopped, by its [`Stopper`] from any thread or [`stop`](Self::stop);
/// dropping it stops it.
///
/// An error is yielded as it happens; calling `next()` again tries again
/// from the last notification yielded, so that nothing is missed or
/// repeated.
///
/// Recorders make subscriptions with
/// [`ApplicationRecorder::subscribe`]: the in-memory recorder wakes them
/// with a condition variable; SQLite with one for its own inserts, and by
/// polling `PRAGMA data_version` (at most every `POLL_MAX`) for other
/// connections' and processes' ones; PostgreSQL with `LISTEN`.
///
/// ```
/// use eventsmith::persistence::{AggregateRecorder, ApplicationRecorder, InMemoryRecorder, StoredEvent};
/// let recorder = std::sync::Arc::new(InMemoryRecorder::new());
/// let event = |v| StoredEvent { originator_id: uuid::Uuid::nil(), originator_version: v, topic: "t".into(), state: b"{}".to_vec() };
/// recorder.insert_events(&[event(1)])?;
/// let mut subscription = recorder.subscribe(None, &[])?;
/// assert_eq!(subscription.next().unwrap()?.id, 1);
/// let writer = { let r = recorder.clone(); std::thread::spawn(move || r.insert_events(&[event(2)])) };
/// assert_eq!(subscription.next().unwrap()?.id, 2);
/// writer.join().unwrap()?;
/// subscription.stop();
/// assert!(subscription.next().is_none());
/// # Ok::<(), eventsmith::Error>(())
/// ```
pub struct Subscription {
    source: Box<dyn Source>,
    stopper: Stopper,
    /// Ids above `query.start` (the last yielded), the topics asked for.
    query: NotificationQuery,
    section: VecDeque<Notification>,
    /// Whether to select again before waiting: catching up, after a full
    /// section, or after an error.
    select_first: bool,
    /// Errors in a row: the next try waits 50 ms, doubling to 2 s, so that
    /// a store that is down is not asked again and again at once.
    failures: u32,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("after", &self.query.start)
            .field("topics", &self.query.topics)
            .field("stopped", &self.stopper.is_stopped())
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// A subscription reading from `source`, stopped by `stopper`.
    pub(crate) fn new(
        source: Box<dyn Source>,
        bell: Option<Arc<Bell>>,
        gt: Option<u64>,
        topics: &[&str],
    ) -> Self {
        Self {
            source,
            stopper: Stopper::new(bell),
            query: NotificationQuery::new(gt.unwrap_or(0), SUBSCRIPTION_SECTION_SIZE)
                .topics(topics.iter().copied())
                .exclusive(),
            section: VecDeque::new(),
            select_first: true,
            failures: 0,
        }
    }

    /// A subscription to any recorder that polls it: it selects again
    /// after `POLL_MIN`, doubling the pause while nothing comes, up to
    /// `POLL_MAX`. For recorders that cannot be told of new commits;
    /// those of this crate do better (see [`ApplicationRecorder::subscribe`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use eventsmith::persistence::{AggregateRecorder, InMemoryRecorder, StoredEvent, Subscription};
    /// let recorder = Arc::new(InMemoryRecorder::new());
    /// let mut subscription = Subscription::polling(recorder.clone(), Some(0), &["t"]);
    /// let event = StoredEvent { originator_id: uuid::Uuid::nil(), originator_version: 1, topic: "t".into(), state: b"{}".to_vec() };
    /// recorder.insert_events(&[event])?;
    /// assert_eq!(subscription.next().unwrap()?.id, 1);
    /// # Ok::<(), eventsmith::Error>(())
    /// ```
    pub fn polling(
        recorder: Arc<dyn ApplicationRecorder>,
        gt: Option<u64>,
        topics: &[&str],
    ) -> Self {
        let bell = Arc::new(Bell::default());
        let source = Polling {
            recorder,
            bell: Arc::clone(&bell),
            quiet: 0,
        };
        Self::new(Box::new(source), Some(bell), gt, topics)
    }

    /// A handle that stops this subscription from another thread.
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Stops the subscription: `next()` returns `None` from now on.
    pub fn stop(&self) {
        self.stopper.stop();
    }
}

impl Iterator for Subscription {
    type Item = Result<Notification>;

    fn next(&mut self) -> Option<Result<Notification>> {
        loop {
            if self.stopper.is_stopped() {
                return None;
            }
            if let Some(notification) = self.section.pop_front() {
                self.query.start = notification.id;
                return Some(Ok(notification));
            }
            if !self.select_first {
                if let Err(e) = self.source.wait(&self.stopper.0.stopped) {
                    self.select_first = true;
                    self.failures = self.failures.saturating_add(1);
                    return Some(Err(e));
                }
                if self.stopper.is_stopped() {
                    return None;
                }
            }
            if self.failures > 0 {
                self.pause();
                if self.stopper.is_stopped() {
                    return None;
                }
            }
            let section = self
                .source
                .arm()
                .and_then(|()| self.source.select(&self.query));
            match section {
                Ok(section) => {
                    self.failures = 0;
                    self.select_first = section.len() >= self.query.limit;
                    self.section.extend(section);
                }
                Err(e) => {
                    self.select_first = true;
                    self.failures = self.failures.saturating_add(1);
                    return Some(Err(e));
                }
            }
        }
    }
}

impl Subscription {
    /// Waits before trying again after errors in a row: 50 ms, doubling up
    /// to 2 s; a stop (or a commit, where one rings) ends the wait.
    fn pause(&self) {
        let exponent = self.failures.saturating_sub(1).min(6);
        let pause = Duration::from_millis(50)
            .saturating_mul(1_u32 << exponent)
            .min(Duration::from_secs(2));
        let stopped = &self.stopper.0.stopped;
        match &self.stopper.0.bell {
            Some(bell) => {
                bell.wait(bell.rings(), stopped, Some(pause));
            }
            None => {
                let until = Instant::now().checked_add(pause);
                while !stopped.load(Ordering::SeqCst) && until.is_some_and(|u| Instant::now() < u) {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.stopper.stop();
    }
}

/// Polls a recorder with backoff.
struct Polling {
    recorder: Arc<dyn ApplicationRecorder>,
    /// Rung by nothing but the stopper.
    bell: Arc<Bell>,
    quiet: u32,
}

impl Source for Polling {
    fn arm(&mut self) -> Result<()> {
        Ok(())
    }

    fn select(&mut self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        let section = self.recorder.select_notifications(query)?;
        self.quiet = if section.is_empty() {
            self.quiet.saturating_add(1)
        } else {
            0
        };
        Ok(section)
    }

    fn wait(&mut self, stopped: &AtomicBool) -> Result<()> {
        let seen = self.bell.rings();
        self.bell.wait(seen, stopped, Some(backoff(self.quiet)));
        Ok(())
    }
}

/// Waits on a recorder's bell alone: for recorders every commit of which
/// rings it (the in-memory recorder).
pub(crate) struct BellSource<S> {
    pub(crate) bell: Arc<Bell>,
    pub(crate) seen: u64,
    pub(crate) select: S,
}

impl<S> Source for BellSource<S>
where
    S: FnMut(&NotificationQuery) -> Result<Vec<Notification>> + Send,
{
    fn arm(&mut self) -> Result<()> {
        self.seen = self.bell.rings();
        Ok(())
    }

    fn select(&mut self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        (self.select)(query)
    }

    fn wait(&mut self, stopped: &AtomicBool) -> Result<()> {
        self.bell.wait(self.seen, stopped, None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_ceiling() {
        assert_eq!(backoff(0), POLL_MIN);
        assert_eq!(backoff(1), POLL_MIN * 2);
        assert_eq!(backoff(4), Duration::from_millis(160));
        assert_eq!(backoff(5), POLL_MAX);
        assert_eq!(backoff(u32::MAX), POLL_MAX);
    }

    /// No ring is missed by a waiter with no timeout. Round by round, one
    /// ring races the waiter's next wait (after a pause that differs from
    /// round to round, so that the ring lands before, during and after the
    /// waiter's arrival), and the waiter must wake for it. A lost wakeup
    /// leaves the waiter blocked for good, which the deadline on its
    /// answer turns into a failure.
    #[test]
    fn no_ring_is_missed_whenever_it_comes() {
        const ROUNDS: u64 = 20_000;
        let bell = Arc::new(Bell::default());
        let stopped = Arc::new(AtomicBool::new(false));
        let (answer, answers) = std::sync::mpsc::channel();
        let waiter = {
            let (bell, stopped) = (bell.clone(), stopped.clone());
            std::thread::spawn(move || {
                for round in 1..=ROUNDS {
                    let count = bell.wait(round - 1, &stopped, None);
                    answer.send((round, count)).unwrap();
                }
            })
        };
        for round in 1..=ROUNDS {
            for _ in 0..(round * 37) % 500 {
                std::hint::spin_loop();
            }
            bell.ring();
            let (woken, count) = answers
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("the waiter missed ring {round}"));
            assert_eq!((woken, count), (round, round));
        }
        waiter.join().unwrap();
        assert_eq!(bell.waiters.load(Ordering::SeqCst), 0);
    }

    /// A stop wakes a waiter that no ring will wake.
    #[test]
    fn a_stop_wakes_a_waiter() {
        let bell = Arc::new(Bell::default());
        let stopped = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (bell, stopped) = (bell.clone(), stopped.clone());
            std::thread::spawn(move || bell.wait(0, &stopped, None))
        };
        std::thread::sleep(Duration::from_millis(20));
        stopped.store(true, Ordering::SeqCst);
        bell.wake();
        assert_eq!(waiter.join().unwrap(), 0);
        assert_eq!(bell.waiters.load(Ordering::SeqCst), 0);
    }
}
