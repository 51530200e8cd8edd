//! Configuration: environment variables, with application-name prefixes and defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::{Error, ErrorKind, Result};

/// The settings an application reads at construction.
///
/// A setting `KEY` is looked up as the Python library looks it up: first as
/// `<NAME>_<KEY>` (the application's name upper-cased, e.g.
/// `UNIVERSE_SQLITE_DBNAME`), then as `<KEY>`; the first of the two that is
/// present gives the value, and an empty value counts as unset. For each
/// variable, a value given to [`set`](Self::set) (or to
/// [`isolated`](Self::isolated)) comes first, then the process environment
/// (for [`new`](Self::new)), then the defaults (set in the schema or in code).
///
/// The process environment is read one variable at a time, when a setting is
/// looked up: an application reads only the variables it uses, and a
/// variable that is not valid UTF-8 matters only when it is one of those.
///
/// `Debug` shows only the settings that were read, with secrets redacted:
/// values of variables whose names hold `KEY`, `PASSWORD`, `SECRET` or
/// `TOKEN`, and passwords inside URLs.
pub struct Environment {
    name: String,
    /// Values that come before the process environment.
    values: BTreeMap<String, String>,
    /// Whether the process environment is consulted.
    process: bool,
    /// Values that come after the process environment.
    defaults: BTreeMap<String, String>,
    /// Every variable read that had a value, with the value, for `Debug`.
    read: Mutex<BTreeMap<String, String>>,
    /// Gives each new PostgreSQL connection its password.
    password_provider: Option<PasswordProvider>,
}

/// A function that gives each new PostgreSQL connection its password.
pub(crate) type PasswordProvider = Arc<
    dyn Fn() -> std::result::Result<String, Box<dyn std::error::Error + Send + Sync>> + Send + Sync,
>;

impl Environment {
    /// Settings for the application `name`: the process environment, then
    /// `defaults`.
    pub fn new<I, K, V>(name: &str, defaults: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            name: name.to_owned(),
            values: BTreeMap::new(),
            process: true,
            defaults: collect(defaults),
            read: Mutex::default(),
            password_provider: None,
        }
    }

    /// Settings for the application `name` from `values` alone, ignoring the
    /// process environment.
    pub fn isolated<I, K, V>(name: &str, values: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            name: name.to_owned(),
            values: collect(values),
            process: false,
            defaults: BTreeMap::new(),
            read: Mutex::default(),
            password_provider: None,
        }
    }

    /// Sets the value of the variable `key`, before any other value of the
    /// same variable (the process environment's included).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.values.insert(key.into(), value.into());
        self
    }

    /// Gives each new PostgreSQL connection (the pool's, and each
    /// subscription's) the password `provider` returns when the connection
    /// is opened, in place of `POSTGRES_PASSWORD`: for credentials that
    /// rotate, such as a cloud provider's IAM tokens (the Python library's
    /// `POSTGRES_GET_PASSWORD_TOPIC`). An error it returns fails that
    /// connection, as a transient error naming the host and port.
    ///
    /// ```
    /// use eventsmith::Environment;
    ///
    /// let mut env = Environment::new("Universe", [("PERSISTENCE_MODULE", "postgres")]);
    /// env.set_password_provider(|| std::env::var("DB_TOKEN"));
    /// ```
    pub fn set_password_provider<F, E>(&mut self, provider: F) -> &mut Self
    where
        F: Fn() -> std::result::Result<String, E> + Send + Sync + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.password_provider = Some(Arc::new(move || provider().map_err(Into::into)));
        self
    }

    /// The function [`set_password_provider`](Self::set_password_provider)
    /// gave (read by the PostgreSQL recorder).
    #[cfg_attr(not(feature = "postgres"), expect(dead_code))]
    pub(crate) fn password_provider(&self) -> Option<PasswordProvider> {
        self.password_provider.clone()
    }

    /// The application's name, as given.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The variables `key` is looked up as: `<NAME>_<KEY>`, then `<KEY>`.
    pub(crate) fn variables(&self, key: &str) -> Vec<String> {
        let mut variables = Vec::with_capacity(2);
        if !self.name.is_empty() {
            variables.push(format!("{}_{key}", self.name.to_uppercase()));
        }
        variables.push(key.to_owned());
        variables
    }

    /// The value of one variable, if it is present (empty or not).
    fn variable(&self, variable: &str) -> Result<Option<String>> {
        if let Some(value) = self.values.get(variable) {
            return Ok(Some(value.clone()));
        }
        if let Some(value) = self.process.then(|| std::env::var_os(variable)).flatten() {
            return match value.into_string() {
                Ok(value) => Ok(Some(value)),
                Err(value) => Err(ErrorKind::InvalidSetting {
                    variable: variable.to_owned(),
                    value: shown(variable, &value.to_string_lossy()),
                    expected: "UTF-8 text".to_owned(),
                }
                .into()),
            };
        }
        Ok(self.defaults.get(variable).cloned())
    }

    /// The variable that gives `key` its value, and the value: the first of
    /// `<NAME>_<KEY>` and `<KEY>` that is present; `None` when neither is, or
    /// when the one present is empty.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSetting`] when the variable's value in the process
    /// environment is not UTF-8.
    pub(crate) fn lookup(&self, key: &str) -> Result<Option<(String, String)>> {
        for variable in self.variables(key) {
            if let Some(value) = self.variable(&variable)? {
                if value.is_empty() {
                    return Ok(None);
                }
                self.read
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(variable.clone(), value.clone());
                return Ok(Some((variable, value)));
            }
        }
        Ok(None)
    }

    /// The value of `key` (see `lookup`).
    ///
    /// # Errors
    ///
    /// As `lookup`.
    pub fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(self.lookup(key)?.map(|(_, value)| value))
    }

    /// The value of `key`, which must be set.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MissingSetting`] naming the variables looked up and `reason`;
    /// as [`lookup`](Self::lookup).
    #[doc(hidden)]
    pub fn require(&self, key: &str, reason: &str) -> Result<String> {
        self.get(key)?.ok_or_else(|| {
            ErrorKind::MissingSetting {
                variable: self.variables(key).join(" or "),
                reason: reason.to_owned(),
            }
            .into()
        })
    }

    /// The value of `key` as a yes/no flag (`y`, `yes`, `t`, `true`, `on`,
    /// `1` and their opposites, any case, as Python's `strtobool` reads
    /// them), or `None` when unset.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSetting`] for anything else.
    pub(crate) fn flag(&self, key: &str) -> Result<Option<bool>> {
        let Some((variable, value)) = self.lookup(key)? else {
            return Ok(None);
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" | "t" | "true" | "on" | "1" => Ok(Some(true)),
            "n" | "no" | "f" | "false" | "off" | "0" => Ok(Some(false)),
            _ => Err(invalid(&variable, &value, "y or n")),
        }
    }

    /// The value of `key` as a whole number from `min` to `max`, written as
    /// Python's `int()` reads it (surrounding spaces, a sign, and single
    /// underscores between digits allowed), or `None` when unset.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSetting`] naming the variable and the range when the
    /// value is not a whole number or is out of the range.
    pub(crate) fn integer<T>(&self, key: &str, min: T, max: T) -> Result<Option<T>>
    where
        T: TryFrom<i128> + Into<i128> + Copy + fmt::Display,
    {
        let Some((variable, value)) = self.lookup(key)? else {
            return Ok(None);
        };
        let expected = || format!("a whole number from {min} to {max}");
        let number = parse_python_int(&value)
            .filter(|n| (min.into()..=max.into()).contains(n))
            .and_then(|n| T::try_from(n).ok());
        number
            .map(Some)
            .ok_or_else(|| invalid(&variable, &value, &expected()))
    }

    /// The value of `key` as a number of seconds from `min` to `max`,
    /// written as Python's `float()` reads it, or `None` when unset.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSetting`] naming the variable and the range when the
    /// value is not a number or is out of the range (NaN and infinities
    /// included).
    #[doc(hidden)]
    pub fn seconds(&self, key: &str, min: f64, max: f64) -> Result<Option<Duration>> {
        let Some((variable, value)) = self.lookup(key)? else {
            return Ok(None);
        };
        let expected = || format!("a number of seconds from {min} to {max}");
        parse_python_float(&value)
            .filter(|s| (min..=max).contains(s))
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .map(Some)
            .ok_or_else(|| invalid(&variable, &value, &expected()))
    }

    /// The settings read so far (variable and value), secrets redacted.
    #[doc(hidden)]
    pub fn settings_read(&self) -> Vec<(String, String)> {
        self.read
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(variable, value)| (variable.clone(), shown(variable, value)))
            .collect()
    }
}

impl Clone for Environment {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            values: self.values.clone(),
            process: self.process,
            defaults: self.defaults.clone(),
            read: Mutex::new(
                self.read
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone(),
            ),
            password_provider: self.password_provider.clone(),
        }
    }
}

impl Default for Environment {
    /// An unnamed environment over the process environment, without defaults.
    fn default() -> Self {
        Self::new("", std::iter::empty::<(String, String)>())
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let read: BTreeMap<String, String> = self.settings_read().into_iter().collect();
        let mut debug = f.debug_struct("Environment");
        debug.field("name", &self.name).field("read", &read);
        if self.password_provider.is_some() {
            debug.field("password_provider", &"<set>");
        }
        debug.finish_non_exhaustive()
    }
}

fn collect<I, K, V>(values: I) -> BTreeMap<String, String>
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    values
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

/// An [`ErrorKind::InvalidSetting`] for `variable`, its value shown only when it
/// is not a secret.
pub(crate) fn invalid(variable: &str, value: &str, expected: &str) -> Error {
    ErrorKind::InvalidSetting {
        variable: variable.to_owned(),
        value: shown(variable, value),
        expected: expected.to_owned(),
    }
    .into()
}

/// Whether a variable's name says that its value is a secret: it holds
/// `KEY`, `PASSWORD`, `SECRET` or `TOKEN` (any case).
pub fn is_secret(variable: &str) -> bool {
    let upper = variable.to_ascii_uppercase();
    ["KEY", "PASSWORD", "SECRET", "TOKEN"]
        .iter()
        .any(|word| upper.contains(word))
}

/// What may be shown of a variable's value: `<redacted>` for a secret, and
/// otherwise the value with the password of any URL in it redacted.
pub(crate) fn shown(variable: &str, value: &str) -> String {
    if is_secret(variable) {
        "<redacted>".to_owned()
    } else {
        redact_urls(value)
    }
}

/// Replaces the password of each `scheme://user:password@host` in `text`
/// (and the values of query parameters named like secrets) with
/// `<redacted>`.
pub(crate) fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        out.push_str("://");
        let after = after.get(3..).unwrap_or_default();
        // The authority ends at the first '/', '?' or '#'; its user
        // information at the last '@' before that.
        let end = after.find(['/', '?', '#', ' ']).unwrap_or(after.len());
        let (authority, tail) = after.split_at(end);
        match authority.rfind('@') {
            Some(at_sign) => {
                let (userinfo, host) = authority.split_at(at_sign);
                match userinfo.split_once(':') {
                    Some((user, _password)) => {
                        out.push_str(user);
                        out.push_str(":<redacted>");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(host);
            }
            None => out.push_str(authority),
        }
        let path_end = tail.find(['?', '#', ' ']).unwrap_or(tail.len());
        let (path, tail) = tail.split_at(path_end);
        out.push_str(path);
        rest = tail;
        if let Some(query) = rest.strip_prefix('?') {
            let end = query.find(['#', ' ']).unwrap_or(query.len());
            let (params, tail) = query.split_at(end);
            out.push('?');
            let redacted: Vec<String> = params
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((name, _)) if is_secret(name) => format!("{name}=<redacted>"),
                    _ => param.to_owned(),
                })
                .collect();
            out.push_str(&redacted.join("&"));
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Reads a whole number as Python's `int(text)` does for ASCII text:
/// surrounding whitespace, an optional sign, digits with single underscores
/// between them. `None` for anything else, or beyond `i128`.
pub(crate) fn parse_python_int(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, text.get(1..)?),
        b'+' => (false, text.get(1..)?),
        _ => (false, text),
    };
    let digits = python_digits(digits)?;
    let magnitude: i128 = digits.parse().ok()?;
    Some(if negative {
        magnitude.checked_neg()?
    } else {
        magnitude
    })
}

/// Reads a number as Python's `float(text)` does for ASCII text (decimal,
/// exponent, `inf`, `nan`, underscores between digits). `None` for anything
/// else.
pub(crate) fn parse_python_float(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if unsigned.len().checked_add(1)? < lower.len() {
        return None; // more than one sign
    }
    if ["inf", "infinity", "nan"].contains(&unsigned) {
        return lower.parse().ok();
    }
    // Underscores only between digits, as Python allows them.
    let bytes = lower.as_bytes();
    let well_placed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'_'
            || i.checked_sub(1)
                .and_then(|p| bytes.get(p))
                .is_some_and(u8::is_ascii_digit)
                && bytes
                    .get(i.saturating_add(1))
                    .is_some_and(u8::is_ascii_digit)
    });
    if !well_placed {
        return None;
    }
    let plain: String = lower.chars().filter(|&c| c != '_').collect();
    let valid = plain
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'));
    if !valid {
        return None;
    }
    plain.parse().ok()
}

/// Digits with single underscores between them, without the underscores.
fn python_digits(text: &str) -> Option<String> {
    let ok = !text.is_empty()
        && !text.starts_with('_')
        && !text.ends_with('_')
        && !text.contains("__")
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    ok.then(|| text.replace('_', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_variable_present_gives_the_value_as_python_reads_it() {
        let env = Environment::isolated(
            "Universe",
            [
                ("UNIVERSE_SQLITE_DBNAME", "a.db"),
                ("SQLITE_DBNAME", "b.db"),
                ("UNIVERSE_X", ""),
                ("X", "x"),
                ("Y", ""),
            ],
        );
        assert_eq!(
            env.lookup("SQLITE_DBNAME").unwrap(),
            Some(("UNIVERSE_SQLITE_DBNAME".to_owned(), "a.db".to_owned()))
        );
        // Python's Environment.get returns the prefixed variable's empty
        // value, which every setting then treats as unset.
        assert_eq!(env.get("X").unwrap(), None);
        assert_eq!(env.get("Y").unwrap(), None);
        assert_eq!(env.get("Z").unwrap(), None);
        let unnamed = Environment::isolated("", [("X", "x")]);
        assert_eq!(unnamed.variables("X"), ["X"]);
        assert_eq!(unnamed.get("X").unwrap().as_deref(), Some("x"));
    }

    #[test]
    fn set_values_come_before_the_process_environment_and_defaults_after() {
        // PATH is set in any process.
        let mut env = Environment::new("A", [("PATH", "/nowhere"), ("A_UNSET_HERE", "d")]);
        assert_ne!(env.get("PATH").unwrap().as_deref(), Some("/nowhere"));
        assert_eq!(env.get("UNSET_HERE").unwrap().as_deref(), Some("d"));
        env.set("PATH", "/set");
        assert_eq!(env.get("PATH").unwrap().as_deref(), Some("/set"));
    }

    #[test]
    fn flags_numbers_and_required_settings_name_the_variable_and_the_range() {
        let env = Environment::isolated(
            "App",
            [
                ("APP_POSTGRES_PORT", "five"),
                ("POSTGRES_PRE_PING", "maybe"),
                ("POSTGRES_POOL_SIZE", " 1_0 "),
                ("SQLITE_LOCK_TIMEOUT", "1e20"),
                ("POSTGRES_LOCK_TIMEOUT", "2.5"),
            ],
        );
        let err = env.integer("POSTGRES_PORT", 1u16, 65535).unwrap_err();
        assert_eq!(
            err.to_string(),
            "APP_POSTGRES_PORT=\"five\" is not valid: expected a whole number from 1 to 65535"
        );
        assert_eq!(
            env.integer("POSTGRES_POOL_SIZE", 0u32, 10).unwrap(),
            Some(10)
        );
        let err = env.integer("POSTGRES_POOL_SIZE", 0u32, 9).unwrap_err();
        assert!(err.to_string().ends_with("from 0 to 9"), "{err}");
        let err = env.seconds("SQLITE_LOCK_TIMEOUT", 0.0, 100.0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "SQLITE_LOCK_TIMEOUT=\"1e20\" is not valid: expected a number of seconds from 0 to 100"
        );
        assert_eq!(
            env.seconds("POSTGRES_LOCK_TIMEOUT", 0.0, 100.0).unwrap(),
            Some(Duration::from_millis(2500))
        );
        let err = env.flag("POSTGRES_PRE_PING").unwrap_err();
        assert!(
            err.to_string().starts_with("POSTGRES_PRE_PING=\"maybe\""),
            "{err}"
        );
        let err = env
            .require("SQLITE_DBNAME", "the SQLite recorder needs a database")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "APP_SQLITE_DBNAME or SQLITE_DBNAME is not set: the SQLite recorder needs a database"
        );
    }

    #[test]
    fn numbers_are_read_as_python_reads_them() {
        for (text, int) in [
            ("5", Some(5)),
            (" +5\t", Some(5)),
            ("-5", Some(-5)),
            ("1_000", Some(1000)),
            ("007", Some(7)),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("5.0", None),
            ("", None),
            ("-", None),
            ("--5", None),
            ("0x10", None),
            ("١", None), // Python reads other scripts' digits too; refused here
            ("99999999999999999999999999999999999999999", None),
        ] {
            assert_eq!(parse_python_int(text), int, "{text:?}");
        }
        for (text, float) in [
            ("2.5", Some(2.5)),
            (" 1e3 ", Some(1000.0)),
            ("1_000.5", Some(1000.5)),
            ("-0", Some(-0.0)),
            (".5", Some(0.5)),
            ("1e-10", Some(1e-10)),
            ("inf", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("1_e3", None),
            ("1__0", None),
            ("", None),
            ("+-1", None),
            ("0x10", None),
            ("1,5", None),
        ] {
            assert_eq!(parse_python_float(text), float, "{text:?}");
        }
        assert!(parse_python_float("nan").is_some_and(f64::is_nan));
    }

    #[test]
    fn debug_shows_only_settings_read_and_hides_secrets() {
        let env = Environment::isolated(
            "A",
            [
                ("CIPHER_KEY", "c2VjcmV0"),
                ("POSTGRES_PASSWORD", "hunter2"),
                ("API_TOKEN", "tok-123"),
                ("A_CLIENT_SECRET", "shh"),
                ("DATABASE_URL", "postgres://me:pa55@db/x"),
                ("UNREAD", "unread-value"),
            ],
        );
        assert_eq!(
            format!("{env:?}"),
            "Environment { name: \"A\", read: {}, .. }"
        );
        let mut with_provider = env.clone();
        with_provider.set_password_provider(|| Ok::<_, std::io::Error>("token-123".to_owned()));
        assert_eq!(
            format!("{with_provider:?}"),
            "Environment { name: \"A\", read: {}, password_provider: \"<set>\", .. }"
        );
        for key in [
            "CIPHER_KEY",
            "POSTGRES_PASSWORD",
            "API_TOKEN",
            "CLIENT_SECRET",
            "DATABASE_URL",
        ] {
            assert!(env.get(key).unwrap().is_some(), "{key}");
        }
        let shown = format!("{env:?}");
        for secret in ["c2VjcmV0", "hunter2", "tok-123", "shh", "pa55", "unread"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("postgres://me:<redacted>@db/x") && shown.contains("A_CLIENT_SECRET"),
            "{shown}"
        );
        // Errors show no secret either.
        let err = env.integer("CIPHER_KEY", 0u8, 1).unwrap_err();
        assert!(!err.to_string().contains("c2VjcmV0"), "{err}");
    }

    #[test]
    fn credentials_in_urls_are_redacted_wherever_they_are() {
        for (text, expected) in [
            ("postgres://u:p@h/d", "postgres://u:<redacted>@h/d"),
            ("postgres://u@h/d", "postgres://u@h/d"),
            (
                "postgres://h/d?password=x",
                "postgres://h/d?password=<redacted>",
            ),
            (
                "a https://u:p:q@h b http://v:w@k?x=1&api_key=2#f",
                "a https://u:<redacted>@h b http://v:<redacted>@k?x=1&api_key=<redacted>#f",
            ),
            ("http://u:p@", "http://u:<redacted>@"),
            ("://", "://"),
            ("x://@", "x://@"),
            ("ü://ü:ü@ü", "ü://ü:<redacted>@ü"),
        ] {
            assert_eq!(redact_urls(text), expected, "{text}");
        }
    }

    #[test]
    fn urls_lose_their_passwords() {
        use super::redact_urls;
        assert_eq!(
            redact_urls("postgres://app:hunter2@db:5432/es?sslmode=require&token=abc"),
            "postgres://app:<redacted>@db:5432/es?sslmode=require&token=<redacted>"
        );
        assert_eq!(redact_urls("/var/lib/app.sqlite"), "/var/lib/app.sqlite");
    }

    #[test]
    fn a_setting_is_looked_up_prefixed_then_plain() -> crate::Result<()> {
        use crate::persistence::Environment;
        let env = Environment::isolated(
            "Universe",
            [
                ("UNIVERSE_COMPRESSOR_TOPIC", "zlib"),
                ("SQLITE_DBNAME", ":memory:"),
            ],
        );
        assert_eq!(env.get("COMPRESSOR_TOPIC")?.as_deref(), Some("zlib"));
        assert_eq!(env.lookup("SQLITE_DBNAME")?.unwrap().0, "SQLITE_DBNAME");
        assert_eq!(env.get("CIPHER_KEY")?, None);
        Ok(())
    }
}
