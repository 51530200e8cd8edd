//! What generated application facades are built with: an application
//! configured from the schema's defaults.

use super::Application;
use crate::Result;
use crate::persistence::Environment;

impl Application {
    /// The application `name`, configured from `defaults` (a schema's
    /// `env:`) overlaid by the process environment: what a generated
    /// facade's `from_env` does.
    ///
    /// # Errors
    ///
    /// As [`Application::new`].
    #[doc(hidden)]
    pub fn with_defaults(name: &str, defaults: &[(&str, &str)]) -> Result<Self> {
        Self::from_env(Environment::new(name, defaults.iter().copied()))
    }

    /// The application `name`, configured from `defaults` overlaid by
    /// `values` alone, ignoring the process environment: what a generated
    /// facade's `isolated` does (for tests).
    ///
    /// ```
    /// let app = eventsmith::Application::isolated_with_defaults(
    ///     "Universe",
    ///     &[("INFRASTRUCTURE_FACTORY", "sqlite")],
    ///     [("SQLITE_DBNAME", ":memory:")],
    /// )?;
    /// assert_eq!(app.name(), "Universe");
    /// # Ok::<(), eventsmith::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Application::new`].
    pub fn isolated_with_defaults<'a>(
        name: &str,
        defaults: &'a [(&'a str, &'a str)],
        values: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self> {
        Self::from_env(Environment::isolated(
            name,
            defaults.iter().copied().chain(values),
        ))
    }
}
