//! Calls into the `postgres` driver from any thread, including one that is
//! driving a tokio runtime.
//!
//! The driver is blocking: it runs each call on a tokio runtime of its own,
//! and tokio refuses to start a runtime on a thread that is driving another
//! ("Cannot start a runtime from within a runtime"), so every call from an
//! `async fn` (an axum handler, `#[tokio::main]`, `#[tokio::test]`)
//! panicked. Each entry into the driver goes through [`outside_async`], and
//! each client the recorder drops (closing it is a call) through
//! [`drop_outside_async`]:
//!
//! - on a thread with no runtime (a plain thread, a runner's thread), the
//!   call is made as it is, at no cost but a thread-local read;
//! - on a thread of a multi-thread runtime (a worker, or its
//!   `spawn_blocking` pool), through [`tokio::task::block_in_place`], which
//!   hands a worker's other tasks to another worker while this one blocks,
//!   and on a pool thread just makes the call;
//! - on a thread of a current-thread runtime (which has no other worker to
//!   hand its tasks to; tokio gives no way to tell its `spawn_blocking`
//!   threads from the one driving it), on a scoped thread of its own, which
//!   the caller waits for.
//!
//! Not handled: a `LocalSet` run inside a multi-thread runtime's
//! `block_on`, where tokio refuses `block_in_place` (it panics); call the
//! blocking API there from `spawn_blocking`.
//!
//! In each case the calling thread blocks until the driver answers, as the
//! blocking API promises; an async service that must not block its workers
//! runs the blocking API on `spawn_blocking`'s pool.

use tokio::runtime::{Handle, RuntimeFlavor};

use crate::error::DriverError;
use crate::{Error, ErrorKind, Result};

/// How the current thread may block on the driver.
enum Thread {
    /// It drives no tokio runtime: the driver may be called as it is.
    Free,
    /// A worker of a multi-thread runtime: it may block in place.
    MultiThreadWorker,
    /// It may be driving a current-thread runtime: the driver is called on
    /// another thread.
    CurrentThreadRuntime,
}

fn this_thread() -> Thread {
    match Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Err(_) => Thread::Free,
        Ok(RuntimeFlavor::MultiThread) => Thread::MultiThreadWorker,
        Ok(_) => Thread::CurrentThreadRuntime,
    }
}

/// Runs `f`, which calls the driver, where the driver can run: see the
/// module's documentation.
///
/// # Errors
///
/// `f`'s, and [`ErrorKind::Postgres`] when no thread could be started for it
/// on a current-thread runtime.
pub(super) fn outside_async<T: Send>(f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    match this_thread() {
        Thread::Free => f(),
        Thread::MultiThreadWorker => tokio::task::block_in_place(f),
        Thread::CurrentThreadRuntime => std::thread::scope(|scope| {
            let thread = std::thread::Builder::new()
                .name("eventsmith-postgres".to_owned())
                .spawn_scoped(scope, f)
                .map_err(|error| {
                    Error::from(ErrorKind::Postgres(DriverError {
                        message: format!(
                            "no thread could be started to call the driver outside the \
                             current-thread tokio runtime: {error}"
                        ),
                        source: Box::new(error),
                        transient: true,
                    }))
                })?;
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }),
    }
}

/// Drops `value`, which holds a driver's client (dropping one closes it, a
/// call into the driver), where the driver can run. Should no thread be
/// had for it, the client is leaked rather than closed: its socket stays
/// open until the process ends, and nothing panics.
pub(super) fn drop_outside_async<T: Send>(value: T) {
    match this_thread() {
        Thread::Free => drop(value),
        Thread::MultiThreadWorker => tokio::task::block_in_place(|| drop(value)),
        Thread::CurrentThreadRuntime => {
            let cell = std::sync::Mutex::new(Some(value));
            let dropped = std::thread::scope(|scope| {
                std::thread::Builder::new()
                    .name("eventsmith-postgres".to_owned())
                    .spawn_scoped(scope, || {
                        drop(cell.lock().map(|mut value| value.take()));
                    })
                    .map(|thread| thread.join().is_ok())
            });
            if !matches!(dropped, Ok(true)) {
                // Not dropped on a thread of its own: never here either.
                if let Ok(mut value) = cell.into_inner() {
                    std::mem::forget(value.take());
                }
            }
        }
    }
}
