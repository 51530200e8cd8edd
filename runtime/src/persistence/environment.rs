//! Configuration: environment variables, with application-name prefixes and defaults.

use std::collections::BTreeMap;
use std::fmt;

use crate::{Error, Result};

/// The settings an application reads at construction.
///
/// A value is looked up first as `<NAME>_<KEY>` (the application's name
/// upper-cased, e.g. `UNIVERSE_SQLITE_DBNAME`), then as `<KEY>`. Values come
/// from defaults (set in the schema or in code) overlaid by the process
/// environment, so the environment always wins over a default with the same
/// variable name. [`Environment::isolated`] ignores the process environment,
/// for tests and embedded use.
///
/// Values of variables whose names hold `KEY` or `PASSWORD` are never shown by
/// `Debug`.
///
/// ```
/// use eventsourcing::persistence::Environment;
/// let env = Environment::isolated("Universe", [("UNIVERSE_COMPRESSOR_TOPIC", "zlib"), ("SQLITE_DBNAME", ":memory:")]);
/// assert_eq!(env.get("COMPRESSOR_TOPIC"), Some("zlib"));
/// assert_eq!(env.lookup("SQLITE_DBNAME").unwrap().0, "SQLITE_DBNAME");
/// assert_eq!(env.get("CIPHER_KEY"), None);
/// ```
#[derive(Clone, Default)]
pub struct Environment {
    name: String,
    values: BTreeMap<String, String>,
}

impl Environment {
    /// Settings for the application `name`: `defaults`, overlaid by the
    /// process environment.
    pub fn new<I, K, V>(name: &str, defaults: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut env = Self::isolated(name, defaults);
        env.values.extend(std::env::vars());
        env
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
            values: values
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Sets a value, replacing any other under the same variable name.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.values.insert(key.into(), value.into());
        self
    }

    /// The application's name, as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value of `key`: `<NAME>_<KEY>` first, then `<KEY>`. Empty values
    /// count as unset.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lookup(key).map(|(_, value)| value)
    }

    /// The variable that gave `key` its value, and the value.
    pub fn lookup(&self, key: &str) -> Option<(String, &str)> {
        let prefixed =
            (!self.name.is_empty()).then(|| format!("{}_{key}", self.name.to_uppercase()));
        prefixed
            .into_iter()
            .chain(std::iter::once(key.to_owned()))
            .find_map(|variable| {
                let value = self.values.get(&variable)?.as_str();
                (!value.is_empty()).then_some((variable, value))
            })
    }

    /// The value of `key` parsed as `T`, or `None` when unset.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] naming the variable when the value does not
    /// parse.
    pub fn parse<T: std::str::FromStr>(&self, key: &str, expected: &str) -> Result<Option<T>> {
        match self.lookup(key) {
            None => Ok(None),
            Some((variable, value)) => {
                value
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| Error::InvalidSetting {
                        variable,
                        value: value.to_owned(),
                        expected: expected.to_owned(),
                    })
            }
        }
    }

    /// The value of `key` as a yes/no flag (`y`, `yes`, `t`, `true`, `on`,
    /// `1` and their opposites, any case), or `None` when unset.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for anything else.
    pub fn flag(&self, key: &str) -> Result<Option<bool>> {
        match self.lookup(key) {
            None => Ok(None),
            Some((variable, value)) => match value.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" | "t" | "true" | "on" | "1" => Ok(Some(true)),
                "n" | "no" | "f" | "false" | "off" | "0" => Ok(Some(false)),
                _ => Err(Error::InvalidSetting {
                    variable,
                    value: value.to_owned(),
                    expected: "y or n".to_owned(),
                }),
            },
        }
    }

    /// The value of `key`, which must be set.
    ///
    /// # Errors
    ///
    /// [`Error::MissingSetting`] naming the variable and `reason`.
    pub fn require(&self, key: &str, reason: &str) -> Result<&str> {
        self.get(key).ok_or_else(|| Error::MissingSetting {
            variable: key.to_owned(),
            reason: reason.to_owned(),
        })
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.values.iter().map(|(k, v)| {
            let secret = k.contains("KEY") || k.contains("PASSWORD");
            (k, if secret { "<redacted>" } else { v.as_str() })
        });
        f.debug_struct("Environment")
            .field("name", &self.name)
            .field("values", &shown.collect::<BTreeMap<_, _>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_variables_come_first_and_empty_counts_as_unset() {
        let env = Environment::isolated(
            "Universe",
            [
                ("UNIVERSE_SQLITE_DBNAME", "a.db"),
                ("SQLITE_DBNAME", "b.db"),
                ("UNIVERSE_X", ""),
                ("X", "x"),
            ],
        );
        assert_eq!(
            env.lookup("SQLITE_DBNAME"),
            Some(("UNIVERSE_SQLITE_DBNAME".to_owned(), "a.db"))
        );
        assert_eq!(env.get("X"), Some("x"));
    }

    #[test]
    fn parse_flag_and_require_name_the_variable() {
        let env = Environment::isolated(
            "App",
            [
                ("APP_POSTGRES_PORT", "five"),
                ("POSTGRES_PRE_PING", "maybe"),
            ],
        );
        let err = env
            .parse::<u16>("POSTGRES_PORT", "a port number")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "APP_POSTGRES_PORT=\"five\" is not valid: expected a port number"
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
            "SQLITE_DBNAME is not set: the SQLite recorder needs a database"
        );
    }

    #[test]
    fn debug_hides_keys_and_passwords() {
        let env = Environment::isolated(
            "A",
            [("CIPHER_KEY", "c2VjcmV0"), ("POSTGRES_PASSWORD", "hunter2")],
        );
        let shown = format!("{env:?}");
        assert!(
            !shown.contains("c2VjcmV0") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn process_environment_overrides_defaults() {
        // PATH is set in any process; a default cannot replace it.
        let env = Environment::new("A", [("PATH", "/nowhere")]);
        assert_ne!(env.get("PATH"), Some("/nowhere"));
    }
}
