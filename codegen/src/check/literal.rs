//! Checking literals: the values a `set` writes into a state field, read by
//! the field's type, each checked to fit it.

use chrono::DateTime;

use super::Checker;
use crate::model::{Int, Literal, Ty};
use crate::read::yaml::Spanned;

impl Checker<'_> {
    /// The literal `text` as a value of `ty` (a field's type, or the inner
    /// type of an `Option` field); `what` names the field in messages.
    pub(super) fn literal(
        &mut self,
        text: &Spanned<String>,
        ty: &Ty,
        what: &str,
    ) -> Option<Literal> {
        let value = text.value.trim();
        let parsed = match ty {
            Ty::String => Ok(Literal::String(text.value.clone())),
            Ty::Bool => match value {
                "true" => Ok(Literal::Bool(true)),
                "false" => Ok(Literal::Bool(false)),
                _ => Err("true or false".to_owned()),
            },
            Ty::Int(int) => int_literal(value, *int),
            Ty::F64 => match value.parse::<f64>() {
                Ok(f) if f.is_finite() && !value.contains(['n', 'N', 'i', 'I']) => {
                    Ok(Literal::Float(float_text(value)))
                }
                _ => Err("a finite number, such as 1.5 or -2e3".to_owned()),
            },
            Ty::Decimal => decimal_literal(value),
            Ty::Uuid => uuid_literal(value),
            Ty::DateTime => DateTime::parse_from_rfc3339(value)
                .ok()
                .and_then(|t| {
                    let micros = t.timestamp_micros();
                    // What the stored format keeps: microseconds.
                    (t.timestamp_subsec_nanos() % 1_000 == 0).then_some(micros)
                })
                .map(Literal::DateTime)
                .ok_or_else(|| {
                    "an RFC 3339 time with at most six fraction digits, such as 2026-11-27T06:51:30+00:00"
                        .to_owned()
                }),
            Ty::Named(name, _) => match self.variant(ty, value) {
                Some(literal) => Ok(literal),
                None => Err(format!("a unit variant of {}", name.written)),
            },
            Ty::Unknown => return None,
            Ty::Id(name) => Err(format!(
                "no literal: an id of a {} comes from an argument (a UUID written here would name no {} the schema knows)",
                name.written, name.written
            )),
            Ty::Option(_) | Ty::Vec(_) | Ty::Map(_) => {
                Err("no literal: set it from an argument".to_owned())
            }
        };
        match parsed {
            Ok(literal) => Some(literal),
            Err(expected) => {
                self.err(
                    text.pos,
                    format!("'{}' is not a value of {what}", text.value),
                    expected,
                );
                None
            }
        }
    }

    /// The unit variant `name` of `ty`, when `ty` is an enum value type
    /// that has one.
    pub(super) fn variant(&self, ty: &Ty, name: &str) -> Option<Literal> {
        let Ty::Named(ty, _) = ty else {
            return None;
        };
        let info = self.types.get(&ty.written)?;
        let variant = info.unit_variants.iter().find(|v| v.written == name)?;
        Some(Literal::Variant {
            ty: ty.clone(),
            variant: variant.clone(),
        })
    }
}

/// A whole number within `int`'s range.
fn int_literal(value: &str, int: Int) -> Result<Literal, String> {
    let expected = || format!("a whole number from {} to {}", int.min(), int.max());
    let n = value.parse::<i128>().map_err(|_| expected())?;
    if n < int.min() || n > i128::from(int.max()) {
        return Err(expected());
    }
    Ok(Literal::Int(n))
}

/// A float literal Rust reads as a float: `1` is written `1.0`.
fn float_text(value: &str) -> String {
    let value = value.strip_prefix('+').unwrap_or(value);
    if value.contains(['.', 'e', 'E']) {
        let value = if value.starts_with('.') {
            format!("0{value}")
        } else if value.starts_with("-.") {
            format!("-0{}", &value[1..])
        } else {
            value.to_owned()
        };
        if value.ends_with('.') {
            format!("{value}0")
        } else {
            value.replace(".e", ".0e").replace(".E", ".0E")
        }
    } else {
        format!("{value}.0")
    }
}

/// A decimal such as `-12.50`: its mantissa (at most 96 bits) and scale (at
/// most 28), as the runtime's decimals hold them.
fn decimal_literal(value: &str) -> Result<Literal, String> {
    let expected = || {
        "a decimal such as 12.50 or -0.001, of at most 28 digits after the point and 28 or 29 in all"
            .to_owned()
    };
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(expected());
    }
    let scale = u32::try_from(fraction.len()).map_err(|_| expected())?;
    let mantissa: i128 = format!("{whole}{fraction}")
        .parse()
        .map_err(|_| expected())?;
    if scale > 28 || mantissa >= 1 << 96 {
        return Err(expected());
    }
    Ok(Literal::Decimal {
        mantissa: if negative { -mantissa } else { mantissa },
        scale,
    })
}

/// A UUID: 32 hexadecimal digits, with or without hyphens.
fn uuid_literal(value: &str) -> Result<Literal, String> {
    let hex: String = value.chars().filter(|c| *c != '-').collect();
    if hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        u128::from_str_radix(&hex, 16)
            .map(Literal::Uuid)
            .map_err(|e| e.to_string())
    } else {
        Err("a UUID such as 6d9a2a3e-5c0e-4b7f-9d1a-2f4b8c6e0a11".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_fit_their_type_at_both_ends() {
        assert_eq!(int_literal("-128", Int::I8), Ok(Literal::Int(-128)));
        assert!(int_literal("-129", Int::I8).is_err());
        assert!(int_literal("256", Int::U8).is_err());
        assert!(int_literal("-1", Int::U64).is_err());
        assert_eq!(
            int_literal("18446744073709551615", Int::U64),
            Ok(Literal::Int(i128::from(u64::MAX)))
        );
        assert!(int_literal("1.5", Int::I64).is_err());
    }

    #[test]
    fn decimals_fit_the_runtimes() {
        assert_eq!(
            decimal_literal("-12.50"),
            Ok(Literal::Decimal {
                mantissa: -1250,
                scale: 2
            })
        );
        assert!(decimal_literal("1e3").is_err());
        assert!(decimal_literal("0.00000000000000000000000000001").is_err());
        assert!(decimal_literal("99999999999999999999999999999").is_err());
        assert!(decimal_literal("7922816251426433759354395033.5").is_ok());
        assert!(decimal_literal(".").is_err());
    }

    #[test]
    fn floats_are_written_as_rust_reads_them() {
        assert_eq!(float_text("1"), "1.0");
        assert_eq!(float_text(".5"), "0.5");
        assert_eq!(float_text("-.5"), "-0.5");
        assert_eq!(float_text("2."), "2.0");
        assert_eq!(float_text("1e3"), "1e3");
        assert_eq!(float_text("+2.5"), "2.5");
    }
}
