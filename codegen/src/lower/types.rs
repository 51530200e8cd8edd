//! Field types in Rust: the type itself, how a getter lends it, how a
//! method takes it, and number literals of it.

use crate::model::Ty;

impl Ty {
    /// The Rust type.
    pub(crate) fn rust(&self) -> String {
        match self {
            Ty::String => "String".to_owned(),
            Ty::Bool => "bool".to_owned(),
            Ty::Int(int) => int.name().to_owned(),
            Ty::F64 => "f64".to_owned(),
            Ty::Uuid => "::eventsourcing::Uuid".to_owned(),
            Ty::Decimal => "::eventsourcing::Decimal".to_owned(),
            Ty::DateTime => "::eventsourcing::Timestamp".to_owned(),
            Ty::Option(inner) => format!("Option<{}>", inner.rust()),
            Ty::Vec(inner) => format!("Vec<{}>", inner.rust()),
            Ty::Map(inner) => format!("::std::collections::BTreeMap<String, {}>", inner.rust()),
            Ty::Named(name) => name.cased.clone(),
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
            | Ty::Decimal
            | Ty::DateTime
            | Ty::Unknown => true,
            Ty::Option(inner) => inner.is_copy(),
            Ty::String | Ty::Vec(_) | Ty::Map(_) | Ty::Named(_) => false,
        }
    }

    /// `n` as a value of this number type.
    pub(crate) fn number_literal(&self, n: u64) -> String {
        match self {
            Ty::F64 => format!("{n}.0"),
            Ty::Decimal => format!("::eventsourcing::Decimal::from({n}u64)"),
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
                    "Option<&str>".to_owned(),
                    format!("self.{field}.as_deref()"),
                ),
                Ty::Vec(item) => (
                    format!("Option<&[{}]>", item.rust()),
                    format!("self.{field}.as_deref()"),
                ),
                _ => (
                    format!("Option<&{}>", inner.rust()),
                    format!("self.{field}.as_ref()"),
                ),
            },
            _ => (format!("&{}", self.rust()), format!("&self.{field}")),
        }
    }

    /// The type of a method parameter that takes a value of this type.
    pub(crate) fn param(&self) -> String {
        match self {
            Ty::String => "impl Into<String>".to_owned(),
            _ => self.rust(),
        }
    }

    /// An owned copy of `expr`, a place of this type.
    pub(crate) fn owned(&self, expr: &str) -> String {
        if self.is_copy() {
            expr.to_owned()
        } else {
            format!("{expr}.clone()")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_borrow_what_is_not_copy() {
        assert_eq!(
            Ty::String.getter("name"),
            ("&str".into(), "&self.name".into())
        );
        assert_eq!(
            Ty::Vec(Box::new(Ty::String)).getter("h"),
            ("&[String]".into(), "&self.h".into())
        );
        assert_eq!(
            Ty::Option(Box::new(Ty::Uuid)).getter("o"),
            ("Option<::eventsourcing::Uuid>".into(), "self.o".into())
        );
        assert_eq!(
            Ty::Option(Box::new(Ty::String)).getter("o"),
            ("Option<&str>".into(), "self.o.as_deref()".into())
        );
        assert_eq!(
            Ty::Option(Box::new(Ty::Vec(Box::new(Ty::Bool)))).getter("o"),
            ("Option<&[bool]>".into(), "self.o.as_deref()".into())
        );
        assert_eq!(
            Ty::Option(Box::new(Ty::Map(Box::new(Ty::Bool)))).getter("o"),
            (
                "Option<&::std::collections::BTreeMap<String, bool>>".into(),
                "self.o.as_ref()".into()
            )
        );
    }
}
