//! The shapes every generated aggregate, event and application facade
//! shares, as macros the generated code expands in the user's crate: so the
//! generated source says only what is particular to a schema (names, topics,
//! fields, state changes, commands and queries), and `pub(crate)` in an
//! expansion still means the user's crate, which is what keeps other crates
//! from saving around the rules written there. None of them is part of the
//! documented API; `codegen/tests/snapshots` shows them in use.

/// What an application facade (a struct of one field, `app`, and its
/// `DEFAULTS`) has besides its commands and queries: its name, its
/// constructors, its log, repository and snapshots, and the
/// crate-private way to the application itself. Generated code calls it;
/// it is not part of the documented API.
#[doc(hidden)]
#[macro_export]
macro_rules! __facade {
    ($facade:ident = $name:literal) => {
        impl $facade {
            /// The application's name: the prefix of its environment variables.
            pub const NAME: &'static str = $name;

            /// The application configured from the process environment, over
            /// the schema's defaults.
            ///
            /// # Errors
            ///
            /// Configuration and connection errors, naming the variable.
            pub fn from_env() -> $crate::Result<Self> {
                $crate::Application::with_defaults(Self::NAME, Self::DEFAULTS)
                    .map(|app| Self { app })
            }

            /// The application configured from `values` alone, over the
            /// schema's defaults, ignoring the process environment.
            ///
            /// # Errors
            ///
            /// Configuration and connection errors, naming the variable.
            pub fn isolated<'a>(
                values: impl ::std::iter::IntoIterator<Item = (&'a str, &'a str)>,
            ) -> $crate::Result<Self> {
                $crate::Application::isolated_with_defaults(Self::NAME, Self::DEFAULTS, values)
                    .map(|app| Self { app })
            }

            /// The application configured from `env`.
            ///
            /// # Errors
            ///
            /// Configuration and connection errors, naming the variable.
            pub fn with_env(env: $crate::Environment) -> $crate::Result<Self> {
                $crate::Application::from_env(env).map(|app| Self { app })
            }

            /// The notification log of every stored event.
            pub fn log(&self) -> &$crate::NotificationLog {
                self.app.log()
            }

            /// The repository, to get aggregates as they are or were.
            pub fn repository(&self) -> &$crate::Repository {
                self.app.repository()
            }

            /// Takes a snapshot of the aggregate `id` as stored at `version`
            /// (as it is now, when `None`), the Python library's
            /// `take_snapshot`: later gets of it at or above that version
            /// start from the snapshot.
            ///
            /// # Errors
            ///
            /// [`ErrorKind::SnapshottingDisabled`]($crate::ErrorKind::SnapshottingDisabled)
            /// unless `IS_SNAPSHOTTING_ENABLED` is true,
            /// [`ErrorKind::SnapshotConflict`]($crate::ErrorKind::SnapshotConflict)
            /// when there is a snapshot at that version already,
            /// [`ErrorKind::NoSuchVersion`]($crate::ErrorKind::NoSuchVersion)
            /// for a version above the aggregate's,
            /// [`ErrorKind::AggregateNotFound`]($crate::ErrorKind::AggregateNotFound),
            /// storage errors.
            pub fn take_snapshot<A>(
                &self,
                id: $crate::Id<A>,
                version: ::std::option::Option<u64>,
            ) -> $crate::Result<()>
            where
                A: $crate::Aggregate,
                A::Event: $crate::__private::Transcodable,
            {
                self.app.take_snapshot(id, version)
            }

            /// The same application, snapshotting aggregates of type `A`
            /// every `every` versions when they are saved (`None`: only when
            /// asked) rather than as the schema says: the Python library's
            /// `snapshotting_intervals`, set per application.
            ///
            /// # Errors
            ///
            /// [`ErrorKind::SnapshottingDisabled`]($crate::ErrorKind::SnapshottingDisabled)
            /// for an interval when the application keeps no snapshots.
            pub fn with_snapshot_interval<A: $crate::Aggregate>(
                mut self,
                every: ::std::option::Option<::std::num::NonZeroU64>,
            ) -> $crate::Result<Self> {
                self.app.set_snapshot_interval::<A>(every)?;
                ::std::result::Result::Ok(self)
            }

            /// The application itself, for the rules written in this crate:
            /// saving aggregates, the event store and the recorder. Other
            /// crates cannot reach it, so they cannot save what they changed
            /// around the rules.
            #[allow(dead_code)]
            pub(crate) fn application(&self) -> &$crate::Application {
                &self.app
            }
        }
    };
}

/// The async facades of a schema's applications and systems, as the
/// generator wrote them: given when the runtime's cargo feature `tokio` is
/// on, nothing when it is off. Generated code calls it; it is not part of
/// the documented API.
#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __async {
    ($($item:item)*) => {
        $($item)*
    };
}

/// Without the cargo feature `tokio`: no async facades.
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __async {
    ($($item:item)*) => {};
}

/// A `call:` step of an upcast: the constant `$name`, holding the
/// function `$path` as the schema at `$at` names it, with the step's
/// signature. A compiler error about the function (not there, or of
/// another signature) shows this line of the generated code, and so the
/// schema's file, line and column. Generated code calls it; it is not part
/// of the documented API.
#[doc(hidden)]
#[macro_export]
macro_rules! __upcast_call {
    ($name:ident = $path:path, $at:literal) => {
        #[doc = concat!("The `call:` step at ", $at, ".")]
        const $name: fn(
            &mut $crate::__private::serde_json::Map<
                ::std::string::String,
                $crate::__private::serde_json::Value,
            >,
        ) -> ::std::result::Result<(), ::std::string::String> = $path;
    };
}

/// An event struct: the header every event has (its aggregate's id and
/// version, its time; the aggregate's topic for a created event; the class
/// version last, above version 1), then its own fields, in the order they
/// are stored; and its `TOPIC`.
#[doc(hidden)]
#[macro_export]
macro_rules! __event {
    (
        $(#[$attr:meta])*
        pub struct $name:ident $kind:ident $aggregate:ident($noun:literal) = $topic:literal
            $(, version $version:literal)? {
            $($(#[$field_attr:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        $crate::__event!(@struct $kind
            [$(#[$attr])*] $name $aggregate $noun $topic [$($version)?]
            [$($(#[$field_attr])* pub $field: $ty,)*]
        );

        impl $name {
            /// The stored topic.
            pub const TOPIC: &'static str = $topic;
        }
    };
    (@struct creates
        [$($attr:tt)*] $name:ident $aggregate:ident $noun:literal $topic:literal
        [$($version:literal)?] [$($fields:tt)*]
    ) => {
        $crate::__event!(@fields [$($attr)*] $name $aggregate $noun [$($version)?] [
            #[doc = "The topic of the aggregate it creates, stored as the Python library"]
            #[doc = "stores it; reading checks it."]
            pub originator_topic: $crate::__private::OriginatorTopic<$aggregate>,
            $($fields)*
        ]);
    };
    (@struct of
        [$($attr:tt)*] $name:ident $aggregate:ident $noun:literal $topic:literal
        [$($version:literal)?] [$($fields:tt)*]
    ) => {
        $crate::__event!(@fields [$($attr)*] $name $aggregate $noun [$($version)?] [$($fields)*]);
    };
    (@fields
        [$($attr:tt)*] $name:ident $aggregate:ident $noun:literal
        [$($version:literal)?] [$($fields:tt)*]
    ) => {
        $($attr)*
        #[derive(Debug, Clone, PartialEq)]
        #[derive($crate::__private::serde::Serialize, $crate::__private::serde::Deserialize)]
        #[serde(crate = "::eventsmith::__private::serde")]
        pub struct $name {
            #[doc = ::std::concat!("The ", $noun, "'s id.")]
            #[serde(skip_serializing)]
            pub originator_id: $crate::Id<$aggregate>,
            #[doc = ::std::concat!("The ", $noun, "'s version once this event is applied.")]
            #[serde(skip_serializing)]
            pub originator_version: u64,
            /// When the event happened.
            #[serde(with = "::eventsmith::__private::event_time")]
            pub timestamp: $crate::Timestamp,
            $($fields)*
            $(
                /// The event's class version, stored last, as Python stores it.
                #[serde(skip_deserializing)]
                pub class_version: $crate::__private::ClassVersion<$version>,
            )?
        }
    };
}

/// An aggregate's event enum as a domain event and as stored: its header,
/// topic and creation, how it mutates the aggregate (each variant's state
/// change), and how it is written and read (each variant's topics, and
/// upcasting from older class versions).
///
/// Each variant says what applying it does: `created` (or `try_created`,
/// when making the aggregate can fail), `unchanged`, `apply f` (or
/// `try_apply f`) for the aggregate's method `f`, `custom Trait::f` for a
/// state change written in Rust.
#[doc(hidden)]
#[macro_export]
macro_rules! __events {
    (
        $enum:ident for $aggregate:ident $(, may_hold_floats $floats:literal)?;
        $(
            $variant:ident($event:ident) $(| $alias:literal)* $(, upcast $version:literal)?
                => $kind:ident $($apply:ident $(:: $method:ident)?)?;
        )+
    ) => {
        impl $crate::DomainEvent for $enum {
            type Aggregate = $aggregate;

            fn header(&self) -> ($crate::Id<$aggregate>, u64, $crate::Timestamp) {
                match self {
                    $(Self::$variant(e) => (e.originator_id, e.originator_version, e.timestamp),)+
                }
            }

            fn topic(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $event::TOPIC,)+
                }
            }

            fn is_created(&self) -> bool {
                match self {
                    $(Self::$variant(_) => $crate::__events!(@is_created $kind),)+
                }
            }

            #[allow(unreachable_patterns)]
            fn mutate(
                self,
                aggregate: ::std::option::Option<$aggregate>,
            ) -> $crate::Result<$aggregate> {
                let ::std::option::Option::Some(mut aggregate) = aggregate else {
                    return match self {
                        $(Self::$variant(event) => $crate::__events!(
                            @create $kind, $aggregate, Self::$variant(event), event
                        ),)+
                    };
                };
                // Refuses a created event, or one that is not the next.
                aggregate.core.advance(&self)?;
                match self {
                    $(Self::$variant(event) => $crate::__events!(
                        @apply $kind $($apply $(:: $method)?)?, aggregate, event
                    ),)+
                }
                ::std::result::Result::Ok(aggregate)
            }
        }

        impl $crate::__private::Transcodable for $enum {
            const TOPICS: &'static [&'static str] = &[$($event::TOPIC, $($alias,)*)+];
            $(const MAY_HOLD_FLOATS: bool = $floats;)?

            fn encode_state(
                &self,
                out: &mut ::std::vec::Vec<u8>,
            ) -> $crate::__private::serde_json::Result<()> {
                $crate::__private::write_state(out, self)
            }

            fn decode_state(
                topic: &str,
                decoder: $crate::__private::Decoder<'_>,
            ) -> $crate::__private::serde_json::Result<::std::option::Option<Self>> {
                ::std::result::Result::Ok(::std::option::Option::Some(match topic {
                    $($event::TOPIC $(| $alias)* => Self::$variant(
                        $crate::__events!(@decode decoder, $event $(, $version)?)
                    ),)+
                    _ => return ::std::result::Result::Ok(::std::option::Option::None),
                }))
            }
        }
    };
    (@is_created created) => { true };
    (@is_created try_created) => { true };
    (@is_created $other:ident) => { false };
    (@create created, $aggregate:ident, $whole:expr, $event:ident) => {
        ::std::result::Result::Ok($aggregate::created_by($event))
    };
    (@create try_created, $aggregate:ident, $whole:expr, $event:ident) => {
        $aggregate::created_by($event)
    };
    (@create $other:ident, $aggregate:ident, $whole:expr, $event:ident) => {
        ::std::result::Result::Err($crate::DomainEvent::creation_mismatch(&$whole))
    };
    (@apply created, $aggregate:ident, $event:ident) => { {} };
    (@apply try_created, $aggregate:ident, $event:ident) => { {} };
    (@apply unchanged, $aggregate:ident, $event:ident) => { {} };
    (@apply apply $f:ident, $aggregate:ident, $event:ident) => { $aggregate.$f($event) };
    (@apply try_apply $f:ident, $aggregate:ident, $event:ident) => { $aggregate.$f($event)? };
    (@apply custom $trait:ident :: $f:ident, $aggregate:ident, $event:ident) => {
        $trait::$f(&mut $aggregate, $event)?
    };
    (@decode $decoder:ident, $event:ident) => { $decoder.decode()? };
    (@decode $decoder:ident, $event:ident, $version:literal) => {
        $decoder.upcast($version, $event::upcast)?
    };
}

/// An aggregate as the runtime keeps it: its topic and aliases, when it is
/// snapshotted, and its state as a snapshot holds it (each field under its
/// stored key, the class version, and upcasting from older ones).
#[doc(hidden)]
#[macro_export]
macro_rules! __aggregate {
    (
        $aggregate:ident($enum:ident) = $topic:literal, version $version:literal
            $(, upcast $upcast:ident)?
            $(, aliases [$($alias:literal),* $(,)?])?
            $(, snapshot_every $every:literal)?
            $(, reads_event_times $reads:literal)?;
        fields { $($field:ident: $key:literal),* $(,)? }
    ) => {
        impl $crate::Aggregate for $aggregate {
            type Event = $enum;
            const TOPIC: &'static str = $topic;
            $(const ALIASES: &'static [&'static str] = &[$($alias),*];)?
            $(
                const SNAPSHOT_EVERY: ::std::option::Option<::std::num::NonZeroU64> =
                    ::std::num::NonZeroU64::new($every);
            )?
            $(const READS_EVENT_TIMES: bool = $reads;)?

            fn core(&self) -> &$crate::__private::AggregateCore<$enum> {
                &self.core
            }

            fn collect_events(&mut self) -> ::std::vec::Vec<$enum> {
                self.core.collect_events()
            }

            fn write_snapshot(&self, out: &mut ::std::vec::Vec<u8>) -> $crate::Result<()> {
                $crate::__private::SnapshotWriter::new(out, self)
                    $(.field($key, &self.$field)?)*
                    .finish($version)
            }

            fn from_snapshot(
                id: $crate::Id<$aggregate>,
                version: u64,
                state: &[u8],
            ) -> $crate::Result<Self> {
                #[allow(unused_mut)]
                let mut snapshot = $crate::__private::SnapshotReader::open(
                    id,
                    version,
                    state,
                    $version,
                    $crate::__aggregate!(@upcast $($upcast)?),
                )?;
                ::std::result::Result::Ok(Self {
                    core: snapshot.core(),
                    $($field: snapshot.field($key)?,)*
                })
            }
        }
    };
    (@upcast) => { ::std::option::Option::None };
    (@upcast $upcast:ident) => { ::std::option::Option::Some(Self::$upcast) };
}
