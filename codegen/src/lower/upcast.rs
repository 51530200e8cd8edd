//! Lowering versioned events and snapshots: the steps that bring a stored state up to
//! the next version, as statements on its JSON form.

use chrono::{DateTime, Timelike};

use super::view;
use crate::ident::str_lit;
use crate::model::{Literal, StoredValue, UpcastStep};

/// `serde_json::Value` in generated code.
const VALUE: &str = "::eventsmith::__private::serde_json::Value";

/// The arms of an `upcast` function (an event's, or an aggregate's for
/// its snapshots), one per older version. A `call:` step calls the
/// constant [`calls`] names after `prefix`.
pub(super) fn arms(upcasts: &[Vec<UpcastStep>], prefix: &str) -> Vec<view::UpcastArm> {
    upcasts
        .iter()
        .enumerate()
        .map(|(i, steps)| view::UpcastArm {
            from: i + 1,
            statements: steps
                .iter()
                .enumerate()
                .map(|(k, step)| match step {
                    UpcastStep::Call { .. } => format!("{}(state)?;", call_name(prefix, i + 1, k)),
                    other => statement(other),
                })
                .collect(),
        })
        .collect()
}

/// The constant of the `call:` step `k` of the upcast from `from`.
fn call_name(prefix: &str, from: usize, k: usize) -> String {
    format!("{prefix}__V{from}__STEP{}", k + 1)
}

/// The `call:` steps of `upcasts`, each a constant named after `prefix`
/// (e.g. `UPCAST__MEMO__WRITTEN`), for `::eventsmith::__upcast_call!`: a
/// compiler error about one of these functions shows the line of that
/// call, which names the schema's file, line and column.
pub(super) fn calls(upcasts: &[Vec<UpcastStep>], prefix: &str) -> Vec<view::UpcastCall> {
    let mut calls = Vec::new();
    for (i, steps) in upcasts.iter().enumerate() {
        for (k, step) in steps.iter().enumerate() {
            if let UpcastStep::Call { path, at } = step {
                calls.push(view::UpcastCall {
                    name: call_name(prefix, i + 1, k),
                    path: path.clone(),
                    at: str_lit(at),
                });
            }
        }
    }
    calls
}

fn statement(step: &UpcastStep) -> String {
    match step {
        UpcastStep::Add { key, value } => format!(
            "state.entry(::std::borrow::ToOwned::to_owned({})).or_insert_with(|| {});",
            str_lit(key),
            stored(value)
        ),
        UpcastStep::Rename { from, to } => format!(
            "if let ::std::option::Option::Some(value) = state.remove({}) {{ state.insert(::std::borrow::ToOwned::to_owned({}), value); }}",
            str_lit(from),
            str_lit(to)
        ),
        UpcastStep::Remove(key) => format!("state.remove({});", str_lit(key)),
        // Called through its constant (see `calls`).
        UpcastStep::Call { path, .. } => format!("{path}(state)?;"),
    }
}

/// A value in its stored form, as the Python library writes it.
fn stored(value: &StoredValue) -> String {
    match value {
        StoredValue::Null => format!("{VALUE}::Null"),
        StoredValue::Untyped(text) => untyped(text),
        StoredValue::Typed(literal) => typed(literal),
    }
}

fn typed(literal: &Literal) -> String {
    let tag = |name: &str, data: &str| {
        format!(
            "::eventsmith::__private::tagged_value({}, {})",
            str_lit(name),
            str_lit(data)
        )
    };
    match literal {
        Literal::Bool(b) => format!("{VALUE}::Bool({b})"),
        Literal::Int(n) if *n < 0 => format!("{VALUE}::from({n}i64)"),
        Literal::Int(n) => format!("{VALUE}::from({n}u64)"),
        Literal::Float(text) => format!("{VALUE}::from({text}_f64)"),
        Literal::String(text) => format!("{VALUE}::from({})", str_lit(text)),
        Literal::Decimal { mantissa, scale } => {
            tag("decimal_str", &decimal_text(*mantissa, *scale))
        }
        Literal::Uuid(n) => tag("uuid_hex", &format!("{n:032x}")),
        Literal::DateTime(micros) => tag("datetime_iso", &iso(*micros)),
        Literal::Variant { variant, .. } => format!("{VALUE}::from({})", str_lit(&variant.written)),
        Literal::None => format!("{VALUE}::Null"),
    }
}

/// Text read as JSON reads a YAML scalar: a number, a boolean, or a string.
fn untyped(text: &str) -> String {
    if let Ok(n) = text.parse::<i64>() {
        format!("{VALUE}::from({n}i64)")
    } else if let Ok(n) = text.parse::<u64>() {
        format!("{VALUE}::from({n}u64)")
    } else if text.parse::<f64>().is_ok_and(f64::is_finite) && text.contains(['.', 'e', 'E']) {
        format!("{VALUE}::from({text}_f64)")
    } else if text == "true" || text == "false" {
        format!("{VALUE}::Bool({text})")
    } else {
        format!("{VALUE}::from({})", str_lit(text))
    }
}

/// A decimal's text: the mantissa with the point `scale` digits from the
/// right, as Python writes a `Decimal`.
fn decimal_text(mantissa: i128, scale: u32) -> String {
    let digits = mantissa.unsigned_abs().to_string();
    let scale = scale as usize;
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    let sign = if mantissa < 0 { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// A time, as Python's `isoformat()` writes a UTC time.
fn iso(micros: i64) -> String {
    match DateTime::from_timestamp_micros(micros) {
        Some(t) if t.nanosecond() == 0 => t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_forms_are_pythons() {
        assert_eq!(decimal_text(-1250, 2), "-12.50");
        assert_eq!(decimal_text(5, 3), "0.005");
        assert_eq!(decimal_text(7, 0), "7");
        assert_eq!(iso(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso(1), "1970-01-01T00:00:00.000001+00:00");
        assert_eq!(untyped("12"), format!("{VALUE}::from(12i64)"));
        assert_eq!(untyped("x"), format!("{VALUE}::from(\"x\")"));
    }
}
