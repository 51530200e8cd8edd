//! Checked arithmetic for state changes: a change that would take a number
//! out of its type's range is an error naming the event, never a panic or
//! a wrap.

use rust_decimal::Decimal;
use uuid::Uuid;

use super::Id;
use crate::{Error, ErrorKind, Result};

/// Checked arithmetic on the state of one event's aggregate: the event's
/// topic, aggregate id and version, for the error when a change overflows.
/// Generated state changes use it; so can state changes written in Rust.
///
/// ```
/// use eventsmith::domain::Checked;
/// use eventsmith::{ErrorKind, Id};
///
/// struct Account;
/// let checked = Checked::new("bank:Account.Debited", Id::<Account>::new_v4(), 7);
/// assert_eq!(checked.decrement("balance", 5u32, 3).unwrap(), 2);
/// let err = checked.decrement("balance", 2u32, 3).unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::Overflow { field: "balance", version: 7, .. }));
/// assert!(checked.increment("total", f64::MAX, f64::MAX).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    topic: &'static str,
    aggregate_id: Uuid,
    version: u64,
}

impl Checked {
    /// Checked arithmetic for the event `topic` of aggregate `id` at
    /// `version`.
    pub fn new<A: ?Sized>(topic: &'static str, id: Id<A>, version: u64) -> Self {
        Self {
            topic,
            aggregate_id: id.uuid(),
            version,
        }
    }

    /// `value + by`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Overflow`] naming `field` when the sum is out of range.
    pub fn increment<T: Number>(&self, field: &'static str, value: T, by: T) -> Result<T> {
        value
            .checked_increment(by)
            .ok_or_else(|| self.overflow(field, "increment"))
    }

    /// `value - by`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Overflow`] naming `field` when the difference is out of
    /// range (for an unsigned type, below zero).
    pub fn decrement<T: Number>(&self, field: &'static str, value: T, by: T) -> Result<T> {
        value
            .checked_decrement(by)
            .ok_or_else(|| self.overflow(field, "decrement"))
    }

    /// The error for `change` of `field` going out of range, for state
    /// changes written in Rust.
    pub fn overflow(&self, field: &'static str, change: &'static str) -> Error {
        ErrorKind::Overflow {
            topic: self.topic.to_owned(),
            aggregate_id: self.aggregate_id,
            version: self.version,
            field,
            change,
        }
        .into()
    }
}

/// A number that state changes add to and subtract from, checked: integers
/// within their range, decimals within theirs, floats finite.
pub trait Number: Copy + crate::sealed::Number {
    /// `self + by`, or `None` when out of range.
    fn checked_increment(self, by: Self) -> Option<Self>;

    /// `self - by`, or `None` when out of range.
    fn checked_decrement(self, by: Self) -> Option<Self>;
}

macro_rules! integers {
    ($($int:ty),*) => {$(
        impl crate::sealed::Number for $int {}
        impl Number for $int {
            fn checked_increment(self, by: Self) -> Option<Self> {
                self.checked_add(by)
            }
            fn checked_decrement(self, by: Self) -> Option<Self> {
                self.checked_sub(by)
            }
        }
    )*};
}

integers!(i8, i16, i32, i64, u8, u16, u32, u64);

impl crate::sealed::Number for Decimal {}
impl Number for Decimal {
    fn checked_increment(self, by: Self) -> Option<Self> {
        self.checked_add(by)
    }
    fn checked_decrement(self, by: Self) -> Option<Self> {
        self.checked_sub(by)
    }
}

impl crate::sealed::Number for f64 {}
impl Number for f64 {
    fn checked_increment(self, by: Self) -> Option<Self> {
        Some(self + by).filter(|sum| sum.is_finite())
    }
    fn checked_decrement(self, by: Self) -> Option<Self> {
        Some(self - by).filter(|difference| difference.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked() -> Checked {
        Checked::new("t:A.E", Id::<()>::nil(), 2)
    }

    #[test]
    fn integers_stay_in_range_at_both_ends() {
        let c = checked();
        assert_eq!(c.increment("f", i64::MAX - 1, 1).unwrap(), i64::MAX);
        assert!(c.increment("f", i64::MAX, 1).is_err());
        assert!(c.decrement("f", i64::MIN, 1).is_err());
        assert!(c.increment("f", i8::MIN, -1).is_err());
        assert!(c.decrement("f", 0u32, 1).is_err());
        assert!(c.decrement("f", 0u64, u64::MAX).is_err());
        assert_eq!(c.decrement("f", u64::MAX, u64::MAX).unwrap(), 0);
        assert!(c.decrement("f", 5i16, i16::MIN).is_err());
    }

    #[test]
    fn decimals_stay_in_range_and_floats_finite() {
        let c = checked();
        assert!(c.increment("f", Decimal::MAX, Decimal::ONE).is_err());
        assert!(c.decrement("f", Decimal::MIN, Decimal::ONE).is_err());
        assert_eq!(
            c.increment("f", Decimal::new(5, 1), Decimal::new(5, 1))
                .unwrap(),
            Decimal::ONE
        );
        assert!(c.increment("f", f64::MAX, f64::MAX).is_err());
        assert!(c.decrement("f", f64::MIN, f64::MAX).is_err());
        assert!(c.increment("f", f64::NAN, 1.0).is_err());
        assert!(c.increment("f", 1.0, f64::INFINITY).is_err());
        assert_eq!(c.increment("f", 0.5, 0.25).unwrap(), 0.75);
    }

    #[test]
    fn the_error_names_the_event_and_the_field() {
        let err = checked().decrement("stock", 0u8, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "decrement of stock by event t:A.E of aggregate 00000000-0000-0000-0000-000000000000 \
             at version 2 would take it out of range"
        );
    }
}
