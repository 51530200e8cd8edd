//! Field types: their syntax in a schema, and what each becomes in Rust.

use std::fmt;

/// The built-in scalar types, as written in a schema.
pub(crate) const SCALARS: &[&str] = &[
    "String", "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f64", "Uuid",
    "Decimal", "DateTime",
];

/// The built-in generic types, as written in a schema.
pub(crate) const GENERICS: &[&str] = &["Option<T>", "Vec<T>", "Map<String, T>"];

/// A type as written: a name, where it starts in the text, and its type
/// arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Syntax {
    pub(crate) name: String,
    pub(crate) offset: usize,
    pub(crate) args: Vec<Syntax>,
}

/// Parses `Name` or `Name<Type, ...>`. On error, the offset (in characters)
/// and what was expected there.
pub(crate) fn parse(text: &str) -> Result<Syntax, (usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    let ty = parse_at(&chars, &mut at)?;
    skip_spaces(&chars, &mut at);
    if at < chars.len() {
        return Err((
            at,
            format!(
                "'{}' after the type",
                chars[at..].iter().collect::<String>()
            ),
        ));
    }
    Ok(ty)
}

fn skip_spaces(chars: &[char], at: &mut usize) {
    while chars.get(*at).is_some_and(|c| c.is_whitespace()) {
        *at += 1;
    }
}

fn parse_at(chars: &[char], at: &mut usize) -> Result<Syntax, (usize, String)> {
    skip_spaces(chars, at);
    let offset = *at;
    while chars
        .get(*at)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        *at += 1;
    }
    if *at == offset {
        let found = chars
            .get(*at)
            .map_or("the end".to_owned(), |c| format!("'{c}'"));
        return Err((offset, format!("{found} where a type name should be")));
    }
    let name: String = chars[offset..*at].iter().collect();
    let mut args = Vec::new();
    skip_spaces(chars, at);
    if chars.get(*at) == Some(&'<') {
        *at += 1;
        loop {
            args.push(parse_at(chars, at)?);
            skip_spaces(chars, at);
            match chars.get(*at) {
                Some(',') => *at += 1,
                Some('>') => {
                    *at += 1;
                    break;
                }
                Some(c) => return Err((*at, format!("'{c}' in the type arguments of {name}"))),
                None => {
                    return Err((
                        *at,
                        format!("the end before '>' closes the type arguments of {name}"),
                    ));
                }
            }
        }
    }
    Ok(Syntax { name, offset, args })
}

/// A resolved field type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    String,
    Bool,
    /// An integer type, by its Rust name.
    Int(&'static str),
    F64,
    Uuid,
    Decimal,
    DateTime,
    Option(Box<Ty>),
    Vec(Box<Ty>),
    /// `Map<String, T>`.
    Map(Box<Ty>),
    /// A type that did not resolve (already reported): accepted anywhere,
    /// so that one mistake is not reported again where the field is used.
    Unknown,
    /// A value type of the schema.
    Named {
        /// The name in the schema.
        schema: String,
        /// The Rust name.
        rust: String,
    },
}

/// What the validator knows of the schema's own types.
pub(crate) trait TypeTable {
    /// Whether the value type has a `Default`.
    fn has_default(&self, schema_name: &str) -> bool;
}

impl Ty {
    /// The built-in scalar named `name`.
    pub(crate) fn scalar(name: &str) -> Option<Ty> {
        Some(match name {
            "String" => Ty::String,
            "bool" => Ty::Bool,
            "i8" => Ty::Int("i8"),
            "i16" => Ty::Int("i16"),
            "i32" => Ty::Int("i32"),
            "i64" => Ty::Int("i64"),
            "u8" => Ty::Int("u8"),
            "u16" => Ty::Int("u16"),
            "u32" => Ty::Int("u32"),
            "u64" => Ty::Int("u64"),
            "f64" => Ty::F64,
            "Uuid" => Ty::Uuid,
            "Decimal" => Ty::Decimal,
            "DateTime" => Ty::DateTime,
            _ => return None,
        })
    }

    /// The Rust type.
    pub(crate) fn rust(&self) -> String {
        match self {
            Ty::String => "String".to_owned(),
            Ty::Bool => "bool".to_owned(),
            Ty::Int(name) => (*name).to_owned(),
            Ty::F64 => "f64".to_owned(),
            Ty::Uuid => "::eventsourcing::Uuid".to_owned(),
            Ty::Decimal => "::eventsourcing::Decimal".to_owned(),
            Ty::DateTime => "::eventsourcing::Timestamp".to_owned(),
            Ty::Option(inner) => format!("Option<{}>", inner.rust()),
            Ty::Vec(inner) => format!("Vec<{}>", inner.rust()),
            Ty::Map(inner) => format!("::std::collections::BTreeMap<String, {}>", inner.rust()),
            Ty::Named { rust, .. } => rust.clone(),
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
            Ty::String | Ty::Vec(_) | Ty::Map(_) | Ty::Named { .. } => false,
        }
    }

    /// Whether the type can be added to and subtracted from.
    pub(crate) fn is_number(&self) -> bool {
        matches!(self, Ty::Int(_) | Ty::F64 | Ty::Decimal)
    }

    /// Whether the type, or a type inside it, did not resolve.
    pub(crate) fn is_unknown(&self) -> bool {
        match self {
            Ty::Unknown => true,
            Ty::Option(inner) | Ty::Vec(inner) | Ty::Map(inner) => inner.is_unknown(),
            _ => false,
        }
    }

    /// Whether the type has a `Default`, so that a state field of it starts
    /// at a value.
    pub(crate) fn has_default(&self, table: &dyn TypeTable) -> bool {
        match self {
            Ty::Named { schema, .. } => table.has_default(schema),
            _ => true,
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

/// The type as a schema writes it.
impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::String => f.write_str("String"),
            Ty::Bool => f.write_str("bool"),
            Ty::Int(name) => f.write_str(name),
            Ty::F64 => f.write_str("f64"),
            Ty::Uuid => f.write_str("Uuid"),
            Ty::Decimal => f.write_str("Decimal"),
            Ty::DateTime => f.write_str("DateTime"),
            Ty::Option(inner) => write!(f, "Option<{inner}>"),
            Ty::Vec(inner) => write!(f, "Vec<{inner}>"),
            Ty::Map(inner) => write!(f, "Map<String, {inner}>"),
            Ty::Named { schema, .. } => f.write_str(schema),
            Ty::Unknown => f.write_str("?"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_with_offsets() {
        let ty = parse("Map<String,  Vec<Strng>>").unwrap();
        assert_eq!(ty.name, "Map");
        assert_eq!(ty.args[1].name, "Vec");
        assert_eq!(ty.args[1].offset, 13);
        assert_eq!(ty.args[1].args[0].offset, 17);
        assert_eq!(parse("Vec<String").unwrap_err().0, 10);
        assert_eq!(parse("Vec<>").unwrap_err().0, 4);
        assert_eq!(parse("String x").unwrap_err().0, 7);
    }

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
        assert_eq!(Ty::Map(Box::new(Ty::F64)).to_string(), "Map<String, f64>");
    }
}
