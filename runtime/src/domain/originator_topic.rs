//! The `originator_topic` of a created event: the aggregate it creates.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use super::Aggregate;

/// The topic of the aggregate a "created" event creates, as the Python
/// library stores it in the event's state (`"originator_topic"`). It holds
/// nothing: writing it writes `A::TOPIC`, and reading it checks that the
/// stored topic is `A::TOPIC` or one of `A::ALIASES` (the aggregate's old
/// topics), so that an event stored for another aggregate type is an error
/// rather than silently read as this one.
///
/// ```
/// use eventsmith::__private::OriginatorTopic;
/// # use eventsmith::__private::AggregateCore;
/// # #[derive(Debug, Clone, PartialEq)] struct World;
/// # impl eventsmith::Aggregate for World {
/// #     type Event = Never; const TOPIC: &'static str = "universe:World";
/// #     fn core(&self) -> &AggregateCore<Never> { unreachable!() }
/// #     fn collect_events(&mut self) -> Vec<Never> { Vec::new() }
/// #     fn write_snapshot(&self, _: &mut Vec<u8>) -> eventsmith::Result<()> { Ok(()) }
/// #     fn from_snapshot(_: eventsmith::Id<World>, _: u64, _: &[u8]) -> eventsmith::Result<World> { Ok(World) }
/// # }
/// # #[derive(Debug, Clone, PartialEq)] enum Never {}
/// # impl eventsmith::DomainEvent for Never {
/// #     type Aggregate = World;
/// #     fn header(&self) -> (eventsmith::Id<World>, u64, eventsmith::Timestamp) { match *self {} }
/// #     fn topic(&self) -> &'static str { match *self {} }
/// #     fn is_created(&self) -> bool { match *self {} }
/// #     fn mutate(self, _: Option<World>) -> eventsmith::Result<World> { match self {} }
/// # }
/// let topic = OriginatorTopic::<World>::default();
/// assert_eq!(serde_json::to_string(&topic).unwrap(), r#""universe:World""#);
/// assert!(serde_json::from_str::<OriginatorTopic<World>>(r#""universe:World""#).is_ok());
/// let err = serde_json::from_str::<OriginatorTopic<World>>(r#""bank:Account""#).unwrap_err();
/// assert!(err.to_string().contains("bank:Account"));
/// ```
pub struct OriginatorTopic<A: ?Sized>(PhantomData<fn() -> A>);

impl<A: ?Sized> Default for OriginatorTopic<A> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<A: ?Sized> Clone for OriginatorTopic<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: ?Sized> Copy for OriginatorTopic<A> {}

impl<A: ?Sized> PartialEq for OriginatorTopic<A> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<A: ?Sized> Eq for OriginatorTopic<A> {}

impl<A: Aggregate> fmt::Debug for OriginatorTopic<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OriginatorTopic({:?})", A::TOPIC)
    }
}

impl<A: Aggregate> Serialize for OriginatorTopic<A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(A::TOPIC)
    }
}

impl<'de, A: Aggregate> Deserialize<'de> for OriginatorTopic<A> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Topic<A>(PhantomData<fn() -> A>);

        impl<A: Aggregate> Visitor<'_> for Topic<A> {
            type Value = OriginatorTopic<A>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "the topic {:?}", A::TOPIC)
            }

            fn visit_str<E: de::Error>(self, topic: &str) -> Result<Self::Value, E> {
                if topic == A::TOPIC || A::ALIASES.contains(&topic) {
                    Ok(OriginatorTopic::default())
                } else {
                    Err(E::custom(format_args!(
                        "the created event names the aggregate {topic:?}, not {:?}",
                        A::TOPIC
                    )))
                }
            }
        }

        deserializer.deserialize_str(Topic(PhantomData))
    }
}

/// The version of an event's class, `N`, written into its stored state as
/// Python writes it (`"class_version": N`, last, only when `N` is above 1,
/// so only versioned events hold one). Reading takes it out of the state
/// before the state is upcast, so it holds nothing.
///
/// ```
/// use eventsmith::__private::ClassVersion;
/// assert_eq!(serde_json::to_string(&ClassVersion::<3>).unwrap(), "3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClassVersion<const N: u32>;

impl<const N: u32> Serialize for ClassVersion<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(N)
    }
}
