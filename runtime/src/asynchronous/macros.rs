//! What every async facade has besides its commands and queries, as macros
//! the generated code expands in the user's crate (as `__facade!` is for
//! the blocking facades). Not part of the documented API.

/// An application's async facade `$facade` over its blocking facade
/// `$blocking`: the struct, its constructors, the way back to the blocking
/// facade, `call`, `take_snapshot` and `subscribe`.
#[doc(hidden)]
#[macro_export]
macro_rules! __async_facade {
    ($facade:ident for $blocking:ident) => {
        #[doc = concat!(
            "[`", stringify!($blocking), "`](struct@", stringify!($blocking), ") for async code ",
            "(the runtime's cargo feature `tokio`): each method runs the blocking one on a ",
            "[`BlockingPool`](eventsmith::BlockingPool), so no worker thread of the runtime ",
            "waits on the database. A future dropped before its call starts does nothing; ",
            "once started, the call runs to its end, so a command is stored whole or not at all."
        )]
        #[derive(Debug, Clone)]
        pub struct $facade {
            app: $blocking,
            pool: $crate::BlockingPool,
        }

        impl $facade {
            /// `app` for async code, on a pool of its own (64 calls at once).
            pub fn new(app: $blocking) -> Self {
                Self::with_pool(app, ::std::default::Default::default())
            }

            /// `app` for async code, on `pool` (which its clones share).
            pub fn with_pool(app: $blocking, pool: $crate::BlockingPool) -> Self {
                Self { app, pool }
            }

            /// The blocking facade's `from_env`, on the blocking pool.
            ///
            /// # Errors
            ///
            /// Configuration and connection errors, naming the variable.
            pub async fn from_env() -> $crate::Result<Self> {
                let pool = $crate::BlockingPool::default();
                let app = pool.run($blocking::from_env).await?;
                ::std::result::Result::Ok(Self::with_pool(app, pool))
            }

            /// The blocking facade's `isolated`, on the blocking pool.
            ///
            /// # Errors
            ///
            /// Configuration and connection errors, naming the variable.
            pub async fn isolated<'a>(
                values: impl ::std::iter::IntoIterator<Item = (&'a str, &'a str)>,
            ) -> $crate::Result<Self> {
                let values = $crate::__private::owned_pairs(values);
                let pool = $crate::BlockingPool::default();
                let app = pool
                    .run(move || $blocking::isolated($crate::__private::borrowed_pairs(&values)))
                    .await?;
                ::std::result::Result::Ok(Self::with_pool(app, pool))
            }

            /// The blocking facade, for what has no async form here (its
            /// log, repository and pipes).
            pub fn blocking(&self) -> &$blocking {
                &self.app
            }

            /// Runs `call` with the blocking facade on the blocking pool:
            /// for the methods written in Rust beside the generated code.
            ///
            /// # Errors
            ///
            /// `call`'s error;
            /// [`ErrorKind::ShutDown`]($crate::ErrorKind::ShutDown) when the
            /// runtime shut down before it ran.
            pub async fn call<T, E>(
                &self,
                call: impl ::std::ops::FnOnce(&$blocking) -> ::std::result::Result<T, E>
                    + ::std::marker::Send
                    + 'static,
            ) -> ::std::result::Result<T, E>
            where
                T: ::std::marker::Send + 'static,
                E: ::std::convert::From<$crate::Error> + ::std::marker::Send + 'static,
            {
                let app = ::std::clone::Clone::clone(&self.app);
                self.pool.run(move || call(&app)).await
            }

            /// The blocking facade's `take_snapshot`, on the blocking pool.
            ///
            /// # Errors
            ///
            /// As the blocking facade's `take_snapshot`.
            pub async fn take_snapshot<A>(
                &self,
                id: $crate::Id<A>,
                version: ::std::option::Option<u64>,
            ) -> $crate::Result<()>
            where
                A: $crate::Aggregate + 'static,
                A::Event: $crate::__private::Transcodable,
            {
                let app = ::std::clone::Clone::clone(&self.app);
                self.pool.run(move || app.take_snapshot(id, version)).await
            }

            /// The application's notifications with ids above `gt` (of
            /// `topics` only, when any are given) as a stream: those stored
            /// first, then each new one as it is committed, in order, each
            /// once, as the blocking
            /// [`Subscription`]($crate::persistence::Subscription) gives
            /// them. Dropping the stream stops the subscription.
            ///
            /// # Errors
            ///
            /// The subscription could not be opened.
            pub async fn subscribe(
                &self,
                gt: ::std::option::Option<u64>,
                topics: &[&str],
            ) -> $crate::Result<$crate::__private::NotificationStream> {
                self.pool.subscribe(self.app.application(), gt, topics).await
            }
        }
    };
}

/// A system's async facade `$facade` over the system `$blocking`: the
/// struct, its constructors, and its runners started, run and stopped on
/// the blocking pool. Its applications' accessors are generated.
#[doc(hidden)]
#[macro_export]
macro_rules! __async_system {
    ($facade:ident for $blocking:ident) => {
        #[doc = concat!(
            "[`", stringify!($blocking), "`](struct@", stringify!($blocking), ") for async code ",
            "(the runtime's cargo feature `tokio`): its applications' async facades, sharing ",
            "one [`BlockingPool`](eventsmith::BlockingPool), and its runners started and ",
            "stopped on that pool."
        )]
        #[derive(Debug, Clone)]
        pub struct $facade {
            system: $blocking,
            pool: $crate::BlockingPool,
        }

        impl $facade {
            /// `system` for async code, on a pool of its own (64 calls at once).
            pub fn new(system: $blocking) -> Self {
                Self { system, pool: ::std::default::Default::default() }
            }

            /// The system's `from_env`, on the blocking pool.
            ///
            /// # Errors
            ///
            /// Configuration and connection errors, naming the variable.
            pub async fn from_env() -> $crate::Result<Self> {
                let pool = $crate::BlockingPool::default();
                let system = pool.run($blocking::from_env).await?;
                ::std::result::Result::Ok(Self { system, pool })
            }

            /// The system's `isolated`, on the blocking pool.
            ///
            /// # Errors
            ///
            /// Configuration and connection errors, naming the variable.
            pub async fn isolated<'a>(
                values: impl ::std::iter::IntoIterator<Item = (&'a str, &'a str)>,
            ) -> $crate::Result<Self> {
                let values = $crate::__private::owned_pairs(values);
                let pool = $crate::BlockingPool::default();
                let system = pool
                    .run(move || $blocking::isolated($crate::__private::borrowed_pairs(&values)))
                    .await?;
                ::std::result::Result::Ok(Self { system, pool })
            }

            /// The blocking system.
            pub fn blocking(&self) -> &$blocking {
                &self.system
            }

            /// The system's `single_threaded`, on the blocking pool: a
            /// runner that has processed everything stored so far.
            ///
            /// # Errors
            ///
            /// As the system's `single_threaded`.
            pub async fn single_threaded(&self) -> $crate::Result<$crate::SingleThreadedRunner> {
                let system = ::std::clone::Clone::clone(&self.system);
                self.pool.run(move || system.single_threaded()).await
            }

            /// Runs `runner` again on the blocking pool (until nothing is
            /// left to do), giving it back with how many notifications it
            /// processed.
            ///
            /// # Errors
            ///
            /// As [`SingleThreadedRunner::run`]($crate::SingleThreadedRunner::run).
            pub async fn run(
                &self,
                mut runner: $crate::SingleThreadedRunner,
            ) -> $crate::Result<($crate::SingleThreadedRunner, u64)> {
                self.pool.run(move || runner.run().map(|n| (runner, n))).await
            }

            /// The system's `multi_threaded`, on the blocking pool: a
            /// thread for each pipe, woken by a subscription to its leader,
            /// until it is stopped.
            ///
            /// # Errors
            ///
            /// As the system's `multi_threaded`.
            pub async fn multi_threaded(&self) -> $crate::Result<$crate::MultiThreadedRunner> {
                let system = ::std::clone::Clone::clone(&self.system);
                self.pool.run(move || system.multi_threaded()).await
            }

            /// Stops `runner` on the blocking pool: each pipe's thread
            /// finishes the notification it is processing and ends. Returns
            /// how many notifications its pipes processed.
            ///
            /// # Errors
            ///
            /// As [`MultiThreadedRunner::stop`]($crate::MultiThreadedRunner::stop).
            pub async fn stop(&self, runner: $crate::MultiThreadedRunner) -> $crate::Result<u64> {
                self.pool.run(move || runner.stop()).await
            }
        }
    };
}
