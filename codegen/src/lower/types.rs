//! Field types in Rust: the type itself, how a getter lends it, how a
//! method takes it, and number literals of it. Every path is absolute, so
//! that no name in the schema or in the including module can shadow what
//! the generated code means.

use crate::model::Ty;

/// `String` in generated code.
pub(super) const STRING: &str = "::std::string::String";

impl Ty {
    /// The Rust type.
    pub(crate) fn rust(&self) -> String {
        match self {
            Ty::String => STRING.to_owned(),
            Ty::Bool => "bool".to_owned(),
            Ty::Int(int) => int.name().to_owned(),
            Ty::F64 => "f64".to_owned(),
            Ty::Uuid => "::eventsmith::Uuid".to_owned(),
            Ty::Decimal => "::eventsmith::Decimal".to_owned(),
            Ty::DateTime => "::eventsmith::Timestamp".to_owned(),
            Ty::Option(inner) => format!("::std::option::Option<{}>", inner.rust()),
            Ty::Vec(inner) => format!("::std::vec::Vec<{}>", inner.rust()),
            Ty::Map(inner) => format!("::std::collections::BTreeMap<{STRING}, {}>", inner.rust()),
            Ty::Named(name, _) => super::ident(&name.cased),
            Ty::Id(name) => format!("::eventsmith::Id<{}>", super::ident(&name.cased)),
            Ty::Unknown => "()".to_owned(),
        }
    }

    /// Whether the Rust type is `Copy`.
    pub(crate) fn is_copy(&self) -> bool {
        match self {
            Ty::Bool
            | Ty::Int(_)
            | Ty::F64
            | Ty::Uuid
            | Ty::Id(_)
            | Ty::Decimal
            | Ty::DateTime
            | Ty::Unknown => true,
            Ty::Option(inner) => inner.is_copy(),
            Ty::String | Ty::Vec(_) | Ty::Map(_) | Ty::Named(..) => false,
        }
    }

    /// Whether the runtime's `tagged` must write and read it: serde alone
    /// stores strings, booleans, integers and value types (and options,
    /// vectors and maps of them) as the Python library does, but not UUIDs,
    /// decimals, timestamps or floats.
    pub(crate) fn is_tagged(&self) -> bool {
        match self {
            // A value type is stored through its own serde derive.
            Ty::String | Ty::Bool | Ty::Int(_) | Ty::Named(..) => false,
            Ty::Option(inner) | Ty::Vec(inner) | Ty::Map(inner) => inner.is_tagged(),
            Ty::F64 | Ty::Uuid | Ty::Id(_) | Ty::Decimal | Ty::DateTime | Ty::Unknown => true,
        }
    }

    /// What a state field of this type holds before anything sets it: its
    /// default, or for an aggregate's id (which has none), the nil id.
    pub(crate) fn initial(&self) -> String {
        match self {
            Ty::Id(_) => {
                "::eventsmith::Id::from_uuid_unchecked(::eventsmith::Uuid::nil())".to_owned()
            }
            _ => "::std::default::Default::default()".to_owned(),
        }
    }

    /// `n` as a value of this number type.
    pub(crate) fn number_literal(&self, n: u64) -> String {
        match self {
            Ty::F64 => format!("{n}.0"),
            Ty::Decimal => format!("::eventsmith::Decimal::from_i128_with_scale({n}, 0)"),
            _ => n.to_string(),
        }
    }

    /// The type of a getter for a state field of this type, and the
    /// expression it returns, given the field's identifier.
    pub(crate) fn getter(&self, field: &str) -> (String, String) {
        match self {
            Ty::String => ("&str".to_owned(), format!("&self.{field}")),
            Ty::Vec(item) => (format!("&[{}]", item.rust()), format!("&self.{field}")),
            _ if self.is_copy() => (self.rust(), format!("self.{field}")),
            Ty::Option(inner) => match &**inner {
                Ty::String => (
                    "::std::option::Option<&str>".to_owned(),
                    format!("self.{field}.as_deref()"),
                ),
                Ty::Vec(item) => (
                    format!("::std::option::Option<&[{}]>", item.rust()),
                    format!("self.{field}.as_deref()"),
                ),
                _ => (
                    format!("::std::option::Option<&{}>", inner.rust()),
                    format!("self.{field}.as_ref()"),
                ),
            },
            _ => (format!("&{}", self.rust()), format!("&self.{field}")),
        }
    }

    /// The type of a method parameter that takes a value of this type.
    pub(crate) fn param(&self) -> String {
        match self {
            Ty::String => format!("impl ::std::convert::Into<{STRING}>"),
            _ => self.rust(),
        }
    }

    /// An owned copy of `expr`, a place of this type.
    pub(crate) fn owned(&self, expr: &str) -> String {
        if self.is_copy() {
            expr.to_owned()
        } else {
            format!("::std::clone::Clone::clone(&{expr})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Int, Name};

    #[test]
    fn getters_borrow_what_is_not_copy() {
        assert_eq!(
            Ty::String.getter("name"),
            ("&str".into(), "&self.name".into())
        );
        assert_eq!(
            Ty::Vec(Box::new(Ty::String)).getter("h"),
            ("&[::std::string::String]".into(), "&self.h".into())
        );
        assert_eq!(
            Ty::Option(Box::new(Ty::Uuid)).getter("o"),
            (
                "::std::option::Option<::eventsmith::Uuid>".into(),
                "self.o".into()
            )
        );
        assert_eq!(
            Ty::Option(Box::new(Ty::String)).getter("o"),
            (
                "::std::option::Option<&str>".into(),
                "self.o.as_deref()".into()
            )
        );
        assert_eq!(
            Ty::Option(Box::new(Ty::Map(Box::new(Ty::Bool)))).getter("o"),
            (
                "::std::option::Option<&::std::collections::BTreeMap<::std::string::String, bool>>"
                    .into(),
                "self.o.as_ref()".into()
            )
        );
    }

    #[test]
    fn std_types_are_named_by_absolute_paths() {
        let named = Ty::Vec(Box::new(Ty::Named(
            Name {
                written: "dims".into(),
                cased: "Dims".into(),
            },
            crate::model::TypeRef(0),
        )));
        assert_eq!(named.rust(), "::std::vec::Vec<Dims>");
        assert_eq!(Ty::Int(Int::U8).rust(), "u8");
        assert_eq!(
            Ty::Option(Box::new(Ty::String)).param(),
            "::std::option::Option<::std::string::String>"
        );
    }
}
