//! Numbers as the Python library writes them: floats as Python's `json`
//! writes them (`repr`, and `NaN`, `Infinity`, `-Infinity`), decimals as
//! `str(Decimal)` writes them, and both read back exactly or not at all.

use std::borrow::Cow;
use std::cell::Cell;
use std::io;

use rust_decimal::Decimal;

/// A float as Python's `repr` (and so its `json`) writes it: the shortest
/// digits that read back as the same float, in fixed notation with at least
/// one fraction digit when the decimal point falls within the first 16
/// digits (and no further than 4 zeros after it), otherwise as `1.5e+16` or
/// `1e-05`; `NaN`, `Infinity` and `-Infinity` as Python's `json` writes them.
///
/// ```
/// use eventsmith::__private::python_float_repr;
/// assert_eq!(python_float_repr(1e16), "1e+16");
/// assert_eq!(python_float_repr(1e15), "1000000000000000.0");
/// assert_eq!(python_float_repr(0.0001), "0.0001");
/// assert_eq!(python_float_repr(0.00001), "1e-05");
/// assert_eq!(python_float_repr(-0.0), "-0.0");
/// assert_eq!(python_float_repr(f64::NEG_INFINITY), "-Infinity");
/// ```
pub fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    // Rust's `{:e}` is the shortest form that reads back as the same float.
    repr_from_scientific(&format!("{value:e}"))
}

/// An `f32` in the notation of [`python_float_repr`], with the shortest
/// digits that read back as the same `f32`.
fn float32_repr(value: f32) -> String {
    if !value.is_finite() {
        return python_float_repr(f64::from(value));
    }
    repr_from_scientific(&format!("{value:e}"))
}

/// Python's `repr` of a finite float from Rust's shortest `{:e}` form
/// (`-1.25e-7`).
fn repr_from_scientific(scientific: &str) -> String {
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // Where the decimal point goes, counted in digits from the first.
    let point = exponent.saturating_add(1);
    if point <= -4 || point > 16 {
        let sign_of_exponent = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{mantissa}e{sign_of_exponent}{:02}",
            exponent.unsigned_abs()
        );
    }
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let zeros = |n: i32| "0".repeat(usize::try_from(n).unwrap_or(0));
    if point <= 0 {
        format!("{sign}0.{}{digits}", zeros(point.saturating_neg()))
    } else if point >= len {
        format!("{sign}{digits}{}.0", zeros(point.saturating_sub(len)))
    } else {
        let (int, frac) = digits.split_at(usize::try_from(point).unwrap_or(0));
        format!("{sign}{int}.{frac}")
    }
}

thread_local! {
    /// Whether floats are being written through [`PythonFormatter`].
    static PYTHON_FLOATS: Cell<bool> = const { Cell::new(false) };
}

/// While alive, floats serialized on this thread are passed to
/// [`PythonFormatter`] (see [`marked`]).
pub(crate) struct PythonFloats {
    before: bool,
}

impl PythonFloats {
    pub(crate) fn start() -> Self {
        Self {
            before: PYTHON_FLOATS.with(|flag| flag.replace(true)),
        }
    }
}

impl Drop for PythonFloats {
    fn drop(&mut self) {
        PYTHON_FLOATS.with(|flag| flag.set(self.before));
    }
}

/// Whether floats are being written through [`PythonFormatter`].
pub(crate) fn python_floats() -> bool {
    PYTHON_FLOATS.with(Cell::get)
}

/// Floats reach [`PythonFormatter`] as `i128` values in these ranges (no
/// state value is an `i128` this small): an `f64`'s bits above
/// `F64_MARK`, an `f32`'s above `F32_MARK`. Through `serialize_f64`,
/// `serde_json` would write `null` for NaN and infinities.
const F64_MARK: i128 = i128::MIN;
const F32_MARK: i128 = i128::MIN + (1 << 64);

/// A float, marked for [`PythonFormatter`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Marked {
    F64(f64),
    F32(f32),
}

/// The `i128` that carries `value` to [`PythonFormatter`].
pub(crate) fn marked(value: Marked) -> i128 {
    match value {
        Marked::F64(v) => F64_MARK.saturating_add(i128::from(v.to_bits())),
        Marked::F32(v) => F32_MARK.saturating_add(i128::from(v.to_bits())),
    }
}

fn unmarked(value: i128) -> Option<Marked> {
    if let Some(bits) = value
        .checked_sub(F64_MARK)
        .filter(|_| value < F32_MARK)
        .and_then(|b| u64::try_from(b).ok())
    {
        return Some(Marked::F64(f64::from_bits(bits)));
    }
    value
        .checked_sub(F32_MARK)
        .and_then(|b| u32::try_from(b).ok())
        .map(|bits| Marked::F32(f32::from_bits(bits)))
}

/// `serde_json`'s compact output, with floats as Python's `json` writes
/// them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(python_float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        writer.write_all(float32_repr(value).as_bytes())
    }

    fn write_i128<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: i128) -> io::Result<()> {
        let text = match unmarked(value) {
            Some(Marked::F64(v)) => python_float_repr(v),
            Some(Marked::F32(v)) => float32_repr(v),
            None => value.to_string(),
        };
        writer.write_all(text.as_bytes())
    }
}

/// The type name under which a NaN or infinity read from Python's `json`
/// output reaches the float deserializers: `{"_type_": FLOAT_TAG, "_data_":
/// "NaN"}`. (The Python library itself cannot read an object tagged with a
/// name it has no transcoding for, so no state it wrote holds one.)
pub(crate) const FLOAT_TAG: &str = "__python_float__";

/// Rewrites Python's bare `NaN`, `Infinity` and `-Infinity` (outside
/// strings), which `serde_json` cannot read, as tagged objects it can (see
/// [`FLOAT_TAG`]). Borrows `json` when there is none, which a scan for `N`
/// and `I` shows for most states.
pub(crate) fn rewrite_non_finite(json: &[u8]) -> Cow<'_, [u8]> {
    // memchr's vectorised search: this scan runs on every state read.
    if memchr::memchr2(b'N', b'I', json).is_none() {
        return Cow::Borrowed(json);
    }
    const TOKENS: [(&[u8], &str); 3] = [
        (b"NaN", "NaN"),
        (b"Infinity", "Infinity"),
        (b"-Infinity", "-Infinity"),
    ];
    let mut out: Vec<u8> = Vec::new();
    let mut copied = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while let Some(&b) = json.get(i) {
        let mut step = 1;
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b'N' | b'I' | b'-') {
            let rest = json.get(i..).unwrap_or_default();
            if let Some((token, name)) = TOKENS.iter().find(|(t, _)| rest.starts_with(t)) {
                out.extend_from_slice(json.get(copied..i).unwrap_or_default());
                out.extend_from_slice(
                    format!("{{\"_type_\":\"{FLOAT_TAG}\",\"_data_\":\"{name}\"}}").as_bytes(),
                );
                step = token.len();
                copied = i.saturating_add(step);
            }
        }
        i = i.saturating_add(step);
    }
    if copied == 0 {
        return Cow::Borrowed(json);
    }
    out.extend_from_slice(json.get(copied..).unwrap_or_default());
    Cow::Owned(out)
}

/// The float a [`FLOAT_TAG`] object stands for.
pub(crate) fn tagged_float(data: &str) -> Option<f64> {
    match data {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A decimal as Python's `str(Decimal)` writes it (and so the Python
/// library's `decimal_str`): its coefficient with its exponent, in fixed
/// notation unless the exponent is above 0 or the number is below 1E-6.
///
/// ```
/// use eventsmith::Decimal;
/// use eventsmith::__private::python_decimal_str;
/// let d = |s: &str| s.parse::<Decimal>().unwrap();
/// assert_eq!(python_decimal_str(&d("12.50")), "12.50");
/// assert_eq!(python_decimal_str(&d("0.0000001")), "1E-7");
/// assert_eq!(python_decimal_str(&d("0.0000000")), "0E-7");
/// ```
pub fn python_decimal_str(value: &Decimal) -> String {
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let digits = value.mantissa().unsigned_abs().to_string();
    let exponent = i64::from(value.scale()).saturating_neg();
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let left_digits = exponent.saturating_add(len);
    let point = if exponent <= 0 && left_digits > -6 {
        left_digits
    } else {
        1
    };
    let zeros = |n: i64| "0".repeat(usize::try_from(n).unwrap_or(0));
    let (int, frac) = if point <= 0 {
        (
            "0".to_owned(),
            format!(".{}{digits}", zeros(point.saturating_neg())),
        )
    } else if point >= len {
        (
            format!("{digits}{}", zeros(point.saturating_sub(len))),
            String::new(),
        )
    } else {
        let (int, frac) = digits.split_at(usize::try_from(point).unwrap_or(0));
        (int.to_owned(), format!(".{frac}"))
    };
    let exponent = if left_digits == point {
        String::new()
    } else {
        format!("E{:+}", left_digits.saturating_sub(point))
    };
    format!("{sign}{int}{frac}{exponent}")
}

/// Reads a decimal written as Python's `Decimal(text)` reads it (sign,
/// digits, fraction, `E` exponent, surrounding spaces and underscores), into
/// a [`Decimal`] holding exactly the same sign, coefficient and exponent, so
/// that [`python_decimal_str`] writes back what Python's `str` would.
///
/// ```
/// use eventsmith::__private::{parse_python_decimal, python_decimal_str};
/// for text in ["-0", "1.000", "1E-7", "-0E-7", "79228162514264337593543950335"] {
///     assert_eq!(python_decimal_str(&parse_python_decimal(text).unwrap()), text);
/// }
/// assert!(parse_python_decimal("1E+3").is_err());
/// assert!(parse_python_decimal("NaN").is_err());
/// ```
///
/// # Errors
///
/// A message saying why, for text that is not a decimal, and for a decimal
/// that `Decimal` cannot hold exactly: NaN and infinities, a positive
/// exponent (`1E+3`, which Python keeps apart from `1000`), more than 28
/// fraction digits, or a coefficient of 2^96 or more.
pub fn parse_python_decimal(text: &str) -> Result<Decimal, String> {
    let cleaned: String = text.trim().chars().filter(|&c| c != '_').collect();
    let (negative, unsigned) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, cleaned.get(1..).unwrap_or_default()),
        Some(b'+') => (false, cleaned.get(1..).unwrap_or_default()),
        _ => (false, cleaned.as_str()),
    };
    let lower = unsigned.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" || lower.trim_start_matches('s').starts_with("nan") {
        return Err(format!(
            "{text:?} is not a finite number, which Decimal cannot hold"
        ));
    }
    let not_decimal = || format!("{text:?} is not a decimal number");
    let (number, exponent) = match lower.split_once('e') {
        Some((number, exponent)) => {
            let digits = exponent.trim_start_matches(['+', '-']);
            if digits.is_empty()
                || !digits.bytes().all(|b| b.is_ascii_digit())
                || exponent.len().saturating_sub(digits.len()) > 1
            {
                return Err(not_decimal());
            }
            let exponent: i64 = exponent
                .parse()
                .map_err(|_| format!("{text:?} has an exponent beyond what Decimal can hold"))?;
            (number, exponent)
        }
        None => (lower.as_str(), 0),
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.len().saturating_add(frac.len()) == 0 || !all_digits(int) || !all_digits(frac) {
        return Err(not_decimal());
    }
    let frac_len = i64::try_from(frac.len()).unwrap_or(i64::MAX);
    let exponent = exponent.saturating_sub(frac_len);
    if exponent > 0 {
        return Err(format!(
            "{text:?} has a positive exponent, which Decimal cannot hold apart from the \
             same number written out (Python's str() tells them apart)"
        ));
    }
    let scale = u32::try_from(exponent.saturating_neg())
        .ok()
        .filter(|s| *s <= 28)
        .ok_or_else(|| {
            format!("{text:?} has more than 28 fraction digits, which Decimal cannot hold")
        })?;
    let coefficient = format!("{int}{frac}");
    let coefficient = coefficient.trim_start_matches('0');
    let too_big = || {
        format!(
            "{text:?} has more significant digits than Decimal can hold (a coefficient below 2^96)"
        )
    };
    let coefficient: i128 = if coefficient.is_empty() {
        0
    } else {
        coefficient.parse().map_err(|_| too_big())?
    };
    let mut value = Decimal::try_from_i128_with_scale(coefficient, scale).map_err(|_| too_big())?;
    value.set_sign_negative(negative);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_pythons_repr_writes_them() {
        for (value, python) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (123.456, "123.456"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(python_float_repr(value), python, "{value:e}");
        }
        assert_eq!(float32_repr(0.1), "0.1");
        assert_eq!(float32_repr(f32::NAN), "NaN");
        assert_eq!(float32_repr(3e38), "3e+38");
    }

    #[test]
    fn marks_carry_every_float_and_nothing_else() {
        for v in [0.0, -0.0, 1.5, f64::NAN, f64::INFINITY, f64::MIN, f64::MAX] {
            let back = unmarked(marked(Marked::F64(v)));
            assert!(
                matches!(back, Some(Marked::F64(b)) if b.to_bits() == v.to_bits()),
                "{v}"
            );
        }
        for v in [0.0f32, -1.5, f32::NAN, f32::NEG_INFINITY, f32::MAX] {
            let back = unmarked(marked(Marked::F32(v)));
            assert!(
                matches!(back, Some(Marked::F32(b)) if b.to_bits() == v.to_bits()),
                "{v}"
            );
        }
        for v in [
            0,
            -1,
            i128::from(i64::MIN),
            i128::MIN + (1 << 64) + (1 << 32),
            i128::MAX,
        ] {
            assert_eq!(unmarked(v), None, "{v}");
        }
    }

    #[test]
    fn bare_non_finite_tokens_are_rewritten_outside_strings_only() {
        let tag = |name: &str| format!("{{\"_type_\":\"{FLOAT_TAG}\",\"_data_\":\"{name}\"}}");
        for (json, expected) in [
            ("{\"a\":1.5}".to_owned(), None),
            (
                "{\"a\":NaN}".to_owned(),
                Some(format!("{{\"a\":{}}}", tag("NaN"))),
            ),
            (
                "[Infinity,-Infinity,NaN]".to_owned(),
                Some(format!(
                    "[{},{},{}]",
                    tag("Infinity"),
                    tag("-Infinity"),
                    tag("NaN")
                )),
            ),
            ("{\"NaN\":\"Infinity -Infinity\"}".to_owned(), None),
            ("{\"a\":\"\\\"NaN\"}".to_owned(), None),
            (
                "{\"a\\\\\":NaN}".to_owned(),
                Some(format!("{{\"a\\\\\":{}}}", tag("NaN"))),
            ),
            ("{\"Item\":-1}".to_owned(), None),
        ] {
            let out = rewrite_non_finite(json.as_bytes());
            match expected {
                None => assert!(matches!(out, Cow::Borrowed(_)), "{json}"),
                Some(expected) => assert_eq!(String::from_utf8_lossy(&out), expected, "{json}"),
            }
        }
    }

    #[test]
    fn decimals_are_written_as_pythons_str_writes_them() {
        let d = |mantissa: i128, scale: u32, negative: bool| {
            let mut d = Decimal::from_i128_with_scale(mantissa, scale);
            d.set_sign_negative(negative);
            d
        };
        for (value, python) in [
            (d(0, 0, false), "0"),
            (d(0, 0, true), "-0"),
            (d(0, 2, false), "0.00"),
            (d(0, 6, false), "0.000000"),
            (d(0, 7, false), "0E-7"),
            (d(0, 7, true), "-0E-7"),
            (d(1, 6, false), "0.000001"),
            (d(1, 7, false), "1E-7"),
            (d(12, 8, false), "1.2E-7"),
            (d(1250, 2, false), "12.50"),
            (d(-1250, 2, true), "-12.50"),
            (
                d(i128::from(u64::MAX), 28, false),
                "1.8446744073709551615E-9",
            ),
            (d((1 << 96) - 1, 0, false), "79228162514264337593543950335"),
            (
                d((1 << 96) - 1, 28, true),
                "-7.9228162514264337593543950335",
            ),
        ] {
            assert_eq!(python_decimal_str(&value), python);
            let back = parse_python_decimal(python).unwrap();
            assert_eq!(
                (back.mantissa(), back.scale(), back.is_sign_negative()),
                (value.mantissa(), value.scale(), value.is_sign_negative()),
                "{python}"
            );
        }
    }

    #[test]
    fn decimals_python_writes_are_read_exactly_or_refused() {
        for (text, written) in [
            ("1000E-3", "1.000"),
            ("  +1_000.5  ", "1000.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-0.0e0", "-0.0"),
            ("1e-28", "1E-28"),
            ("0e-28", "0E-28"),
            ("007.10", "7.10"),
        ] {
            let value = parse_python_decimal(text).unwrap();
            assert_eq!(python_decimal_str(&value), written, "{text}");
        }
        for text in [
            "1E+3",
            "5E+28",
            "1e1",
            "1.0E+29",
            "1E-29",
            "0E-29",
            "79228162514264337593543950336",
            "1234567890123456789012345678901234567890",
            "NaN",
            "-nan",
            "sNaN12",
            "Infinity",
            "-Inf",
            "",
            ".",
            "1e",
            "1e+-1",
            "abc",
            "1.2.3",
            "1e99999999999999999999",
            "--1",
        ] {
            assert!(parse_python_decimal(text).is_err(), "{text:?}");
        }
    }
}
