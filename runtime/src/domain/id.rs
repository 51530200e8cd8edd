//! Typed aggregate ids: a UUID that knows which aggregate it names.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};
use uuid::Uuid;

/// The id of an aggregate of type `A`: stored as a plain UUID, but typed, so
/// that a cart's id cannot be passed where a world's is expected.
///
/// Conversions to and from [`Uuid`] are explicit: [`Id::from_uuid_unchecked`]
/// (there is no `From<Uuid>`, which `.into()` would take unseen) and
/// [`Id::uuid`] (or `From<Id<A>> for Uuid`).
///
/// ```
/// use eventsmith::{Id, Uuid};
///
/// struct World;
/// let uuid = Uuid::new_v4();
/// let id: Id<World> = Id::from_uuid_unchecked(uuid);
/// assert_eq!(id.uuid(), uuid);
/// assert_eq!(id.to_string(), uuid.to_string());
/// assert_eq!(Uuid::from(id), uuid);
/// ```
pub struct Id<A: ?Sized> {
    uuid: Uuid,
    aggregate: PhantomData<fn() -> A>,
}

impl<A: ?Sized> Id<A> {
    /// The id holding `uuid`, unchecked: nothing says `uuid` is an `A`'s
    /// (a member's id made a book's compiles, and fails at run time), so it
    /// is for UUIDs that come from outside the typed API (a stored row, a
    /// request), read as the type they are known to be. There is no
    /// `From<Uuid>`, so that `.into()` cannot do this unseen.
    pub const fn from_uuid_unchecked(uuid: Uuid) -> Self {
        Self {
            uuid,
            aggregate: PhantomData,
        }
    }

    /// A new random (version 4) id, as aggregates are given when created.
    pub fn new_v4() -> Self {
        Self::from_uuid_unchecked(Uuid::new_v4())
    }

    /// The id made from `name`: a version 5 UUID in the URL namespace, as
    /// the Python library's docs make deterministic ids in `create_id`
    /// (`uuid5(NAMESPACE_URL, f"/accounts/{email}")`), so that both make
    /// the same id from the same name.
    ///
    /// ```
    /// use eventsmith::{Id, Uuid};
    /// let id = Id::<()>::from_name("/accounts/alice@example.com");
    /// assert_eq!(id.uuid().get_version_num(), 5);
    /// assert_eq!(id, Id::from_name("/accounts/alice@example.com"));
    /// assert_ne!(id, Id::from_name("/accounts/bob@example.com"));
    /// ```
    #[doc(hidden)]
    pub fn from_name(name: &str) -> Self {
        Self::from_uuid_unchecked(Uuid::new_v5(&Uuid::NAMESPACE_URL, name.as_bytes()))
    }

    /// The nil id (all zeros): a placeholder, never an aggregate's id.
    #[doc(hidden)]
    pub const fn nil() -> Self {
        Self::from_uuid_unchecked(Uuid::nil())
    }

    /// The UUID.
    pub const fn uuid(self) -> Uuid {
        self.uuid
    }
}

impl<A: ?Sized> Clone for Id<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: ?Sized> Copy for Id<A> {}

impl<A: ?Sized> PartialEq for Id<A> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}

impl<A: ?Sized> Eq for Id<A> {}

impl<A: ?Sized> PartialOrd for Id<A> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<A: ?Sized> Ord for Id<A> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.uuid.cmp(&other.uuid)
    }
}

impl<A: ?Sized> Hash for Id<A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.uuid.hash(state);
    }
}

/// `Id(<uuid>)`.
impl<A: ?Sized> fmt::Debug for Id<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.uuid)
    }
}

/// The UUID, hyphenated.
impl<A: ?Sized> fmt::Display for Id<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.uuid, f)
    }
}

impl<A: ?Sized> From<Id<A>> for Uuid {
    fn from(id: Id<A>) -> Self {
        id.uuid
    }
}

/// As a UUID string, hyphenated.
impl<A: ?Sized> Serialize for Id<A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(
            self.uuid
                .hyphenated()
                .encode_lower(&mut Uuid::encode_buffer()),
        )
    }
}

/// From a UUID string (any form [`Uuid::try_parse`] reads), or a 128-bit
/// number (how decoding gives a stored event its originator id).
impl<'de, A: ?Sized> Deserialize<'de> for Id<A> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor<A: ?Sized>(PhantomData<fn() -> A>);

        impl<A: ?Sized> Visitor<'_> for IdVisitor<A> {
            type Value = Id<A>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a UUID")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Id<A>, E> {
                Uuid::try_parse(text)
                    .map(Id::from_uuid_unchecked)
                    .map_err(E::custom)
            }

            fn visit_u128<E: de::Error>(self, n: u128) -> Result<Id<A>, E> {
                Ok(Id::from_uuid_unchecked(Uuid::from_u128(n)))
            }
        }

        deserializer.deserialize_str(IdVisitor(PhantomData))
    }
}
