//! Choosing infrastructure from the environment, as the tutorial does.

use std::sync::Arc;

use crate::persistence::environment::invalid;
use crate::persistence::{
    ApplicationRecorder, Environment, InMemoryRecorder, Mapper, ProcessRecorder, SnapshotRecorder,
};
use crate::{ErrorKind, Result};

/// Which recorder an application uses, from `PERSISTENCE_MODULE` (or the
/// legacy `INFRASTRUCTURE_FACTORY`, then `FACTORY_TOPIC`, read in that order
/// as the Python library reads them).
///
/// | value | recorder |
/// |---|---|
/// | unset, `eventsourcing.popo`, `eventsourcing.popo:Factory`, `eventsourcing.popo:POPOFactory`, `popo` | in memory |
/// | `eventsourcing.sqlite`, `eventsourcing.sqlite:Factory`, `eventsourcing.sqlite:SQLiteFactory`, `sqlite` | SQLite (`SQLITE_DBNAME`) |
/// | `eventsourcing.postgres`, `eventsourcing.postgres:Factory`, `eventsourcing.postgres:PostgresFactory`, `postgres` | PostgreSQL (`POSTGRES_*`) |
/// | `eventsmith.http`, `http` (cargo feature `http`) | a leader's notification log, read over HTTP (`NOTIFICATION_LOG_URL`) |
///
/// The Python library's topics are matched exactly, as it resolves them; the
/// short names (`popo` or `memory`, `sqlite`, `postgres` or `postgresql`)
/// are this library's, in any case.
///
/// ```
/// use eventsmith::__private::InfrastructureFactory;
/// use eventsmith::persistence::Environment;
/// let env = Environment::isolated("Universe", [("INFRASTRUCTURE_FACTORY", "eventsourcing.sqlite:SQLiteFactory")]);
/// assert_eq!(InfrastructureFactory::from_env(&env)?, InfrastructureFactory::Sqlite);
/// let env = Environment::isolated("Universe", [("PERSISTENCE_MODULE", "mongo")]);
/// assert!(InfrastructureFactory::from_env(&env).is_err());
/// # Ok::<(), eventsmith::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfrastructureFactory {
    /// Events kept in memory.
    InMemory,
    /// Events kept in SQLite.
    Sqlite,
    /// Events kept in PostgreSQL.
    Postgres,
    /// A leader's notification log, read over HTTP from a service that
    /// serves it in the Python library's JSON (`NOTIFICATION_LOG_URL`;
    /// cargo feature `http`): an application made on it can be followed,
    /// not changed.
    Http,
}

/// The variables naming the factory, in the order the Python library reads them.
const FACTORY_VARIABLES: [&str; 3] = [
    "PERSISTENCE_MODULE",
    "INFRASTRUCTURE_FACTORY",
    "FACTORY_TOPIC",
];

const FACTORY_EXPECTED: &str = "eventsourcing.popo, eventsourcing.sqlite or eventsourcing.postgres \
                                (the module, or its Factory, POPOFactory, SQLiteFactory or PostgresFactory \
                                class), or popo, sqlite or postgres; or eventsmith.http (http), a leader's \
                                log read over HTTP";

impl InfrastructureFactory {
    /// Reads `PERSISTENCE_MODULE`, or else `INFRASTRUCTURE_FACTORY`, or else
    /// `FACTORY_TOPIC`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidSetting`] for a value not in the table above.
    pub fn from_env(env: &Environment) -> Result<Self> {
        for key in FACTORY_VARIABLES {
            if let Some((variable, value)) = env.lookup(key)? {
                return Self::from_topic(&value).ok_or_else(|| {
                    ErrorKind::InvalidSetting {
                        variable,
                        value,
                        expected: FACTORY_EXPECTED.to_owned(),
                    }
                    .into()
                });
            }
        }
        Ok(Self::InMemory)
    }

    /// The factory a topic (or short name) stands for.
    fn from_topic(topic: &str) -> Option<Self> {
        let topic = topic.trim();
        let python = |module: &str, class: &str| {
            let module_topic = format!("eventsourcing.{module}");
            topic == module_topic
                || topic == format!("{module_topic}:Factory")
                || topic == format!("{module_topic}:{class}")
        };
        if python("popo", "POPOFactory") {
            return Some(Self::InMemory);
        }
        if python("sqlite", "SQLiteFactory") {
            return Some(Self::Sqlite);
        }
        if python("postgres", "PostgresFactory") {
            return Some(Self::Postgres);
        }
        match topic.to_ascii_lowercase().as_str() {
            "popo" | "memory" | "in-memory" => Some(Self::InMemory),
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            "http" | "eventsmith.http" => Some(Self::Http),
            _ => None,
        }
    }

    /// Makes the application recorder this factory stands for.
    ///
    /// # Errors
    ///
    /// Missing or invalid settings; connection errors; a backend whose cargo
    /// feature is not enabled.
    pub fn application_recorder(self, env: &Environment) -> Result<Arc<dyn ApplicationRecorder>> {
        Ok(self.recorders(env, false)?.recorder)
    }

    /// Makes the application recorder this factory stands for, and, when
    /// `snapshots` is true, where the application keeps snapshots: the same
    /// database, in the Python library's snapshot table (created when
    /// missing).
    ///
    /// # Errors
    ///
    /// As [`application_recorder`](Self::application_recorder).
    pub fn recorders(self, env: &Environment, snapshots: bool) -> Result<Recorders> {
        fn both<R: ProcessRecorder + SnapshotRecorder + 'static>(
            recorder: R,
            snapshots: bool,
        ) -> Recorders {
            let recorder = Arc::new(recorder);
            let snapshots = snapshots.then(|| {
                let snapshots: Arc<dyn SnapshotRecorder> = recorder.clone();
                snapshots
            });
            let process: Arc<dyn ProcessRecorder> = recorder.clone();
            Recorders {
                recorder,
                snapshots,
                process: Some(process),
            }
        }
        let _ = env; // unused when no database backend is enabled
        match self {
            Self::InMemory => Ok(both(InMemoryRecorder::new(), snapshots)),
            #[cfg(feature = "sqlite")]
            Self::Sqlite => {
                let recorder = crate::sqlite::SqliteRecorder::from_env(env)?;
                if snapshots {
                    recorder.create_snapshot_table()?;
                }
                Ok(both(recorder, snapshots))
            }
            #[cfg(feature = "postgres")]
            Self::Postgres => {
                let recorder = crate::postgres::PostgresRecorder::from_env(env)?;
                if snapshots {
                    recorder.create_snapshot_table()?;
                }
                Ok(both(recorder, snapshots))
            }
            #[cfg(feature = "http")]
            Self::Http => {
                // Snapshots are the leader's own business: a log read over
                // HTTP has none, whatever the schema's default says.
                let _ = snapshots;
                Ok(Recorders {
                    recorder: Arc::new(crate::http::HttpLog::from_env(env)?),
                    snapshots: None,
                    process: None,
                })
            }
            #[allow(unreachable_patterns)]
            other => Err(ErrorKind::InvalidSetting {
                variable: "PERSISTENCE_MODULE".to_owned(),
                value: format!("{other:?}"),
                expected: "a backend whose cargo feature (sqlite, postgres, http) is enabled"
                    .to_owned(),
            }
            .into()),
        }
    }
}

/// An application recorder, where snapshots are kept when they are, and
/// the same recorder as one that stores events with tracking records.
#[derive(Debug, Clone)]
pub struct Recorders {
    /// The application recorder.
    pub recorder: Arc<dyn ApplicationRecorder>,
    /// Where snapshots are kept, when they are.
    pub snapshots: Option<Arc<dyn SnapshotRecorder>>,
    /// The recorder as a [`ProcessRecorder`], for following other
    /// applications ([`Application::process`](crate::Application::process)).
    pub process: Option<Arc<dyn ProcessRecorder>>,
}

/// A mapper and a recorder made from one environment.
#[derive(Debug, Clone)]
pub struct Infrastructure {
    /// The mapper, with compression and encryption as configured.
    pub mapper: Mapper,
    /// The application recorder.
    pub recorder: Arc<dyn ApplicationRecorder>,
    /// Where snapshots are kept, when `IS_SNAPSHOTTING_ENABLED` is true.
    pub snapshots: Option<Arc<dyn SnapshotRecorder>>,
    /// The recorder as a [`ProcessRecorder`] (every built-in one is), for
    /// storing events with tracking records; `None` for a recorder that is
    /// not one.
    pub process: Option<Arc<dyn ProcessRecorder>>,
}

impl Infrastructure {
    /// Reads the environment and builds the mapper and the recorder.
    ///
    /// # Errors
    ///
    /// An unknown value, a missing required variable or a malformed key,
    /// naming the variable; connection errors.
    pub(crate) fn from_env(env: &Environment) -> Result<Self> {
        // The Python library can also key aggregates by text; this one by UUIDs only.
        if let Some((variable, value)) = env
            .lookup("ORIGINATOR_ID_TYPE")?
            .filter(|(_, value)| !value.eq_ignore_ascii_case("uuid"))
        {
            return Err(invalid(
                &variable,
                &value,
                "uuid (aggregate ids are UUIDs here; the Python library's text ids are not supported)",
            ));
        }
        let mapper = Mapper::from_env(env)?;
        let snapshotting = env.flag("IS_SNAPSHOTTING_ENABLED")?.unwrap_or(false);
        let Recorders {
            recorder,
            snapshots,
            process,
        } = InfrastructureFactory::from_env(env)?.recorders(env, snapshotting)?;
        Ok(Self {
            mapper,
            recorder,
            snapshots,
            process,
        })
    }
}

/// What an application keeping its events in memory says when its settings
/// name a database (`SQLITE_DBNAME`, `POSTGRES_DBNAME`, `POSTGRES_HOST`)
/// but no `PERSISTENCE_MODULE` chooses one: the events would be lost with
/// the process, and another process following it would see none. The
/// Python library keeps them in memory without a word; this one says so,
/// as a `tracing` warning at construction and in the application's `Debug`.
///
/// # Errors
///
/// A malformed setting, naming the variable.
pub(crate) fn memory_warning(env: &Environment) -> Result<Option<String>> {
    if InfrastructureFactory::from_env(env)? != InfrastructureFactory::InMemory {
        return Ok(None);
    }
    for key in ["SQLITE_DBNAME", "POSTGRES_DBNAME", "POSTGRES_HOST"] {
        if let Some((variable, _)) = env.lookup(key)? {
            let warning = format!(
                "{variable} is set, but PERSISTENCE_MODULE is not: {} keeps its events in \
                 memory, where they are lost with the process and no other process sees them",
                env.name()
            );
            tracing::warn!(application = env.name(), variable = %variable, "{warning}");
            return Ok(Some(warning));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factory(values: &[(&str, &str)]) -> Result<InfrastructureFactory> {
        InfrastructureFactory::from_env(&Environment::isolated("U", values.iter().copied()))
    }

    #[test]
    fn persistence_module_comes_before_the_legacy_variables() {
        use InfrastructureFactory::{InMemory, Postgres, Sqlite};
        for (values, expected) in [
            (&[][..], InMemory),
            (&[("FACTORY_TOPIC", "sqlite")][..], Sqlite),
            (
                &[
                    ("INFRASTRUCTURE_FACTORY", "postgres"),
                    ("FACTORY_TOPIC", "sqlite"),
                ][..],
                Postgres,
            ),
            (
                &[
                    ("PERSISTENCE_MODULE", "eventsourcing.sqlite"),
                    ("INFRASTRUCTURE_FACTORY", "eventsourcing.postgres:Factory"),
                ][..],
                Sqlite,
            ),
            // An empty value counts as unset, as Python's `or` chain reads it.
            (
                &[
                    ("PERSISTENCE_MODULE", ""),
                    ("INFRASTRUCTURE_FACTORY", "sqlite"),
                ][..],
                Sqlite,
            ),
            // The prefixed variable of each name comes before the plain one.
            (
                &[
                    ("U_INFRASTRUCTURE_FACTORY", "sqlite"),
                    ("PERSISTENCE_MODULE", "postgres"),
                ][..],
                Postgres,
            ),
        ] {
            assert_eq!(factory(values).unwrap(), expected, "{values:?}");
        }
        // A bad PERSISTENCE_MODULE is refused even when the legacy one is good.
        let err = factory(&[
            ("PERSISTENCE_MODULE", "mysql"),
            ("INFRASTRUCTURE_FACTORY", "sqlite"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().starts_with("PERSISTENCE_MODULE=\"mysql\""),
            "{err}"
        );
    }

    #[test]
    fn only_uuid_originator_ids_are_accepted() {
        for value in ["uuid", "UUID", ""] {
            let env = Environment::isolated("U", [("ORIGINATOR_ID_TYPE", value)]);
            assert!(Infrastructure::from_env(&env).is_ok(), "{value}");
        }
        let env = Environment::isolated("U", [("U_ORIGINATOR_ID_TYPE", "text")]);
        let err = Infrastructure::from_env(&env).unwrap_err();
        assert!(
            err.to_string().starts_with("U_ORIGINATOR_ID_TYPE=\"text\""),
            "{err}"
        );
    }

    #[test]
    fn the_python_librarys_topics_are_accepted_exactly() {
        use InfrastructureFactory::{InMemory, Postgres, Sqlite};
        for (topic, expected) in [
            ("eventsourcing.popo", InMemory),
            ("eventsourcing.popo:Factory", InMemory),
            ("eventsourcing.popo:POPOFactory", InMemory),
            ("popo", InMemory),
            ("Memory", InMemory),
            ("eventsourcing.sqlite", Sqlite),
            ("eventsourcing.sqlite:Factory", Sqlite),
            ("eventsourcing.sqlite:SQLiteFactory", Sqlite),
            (" sqlite ", Sqlite),
            ("eventsourcing.postgres", Postgres),
            ("eventsourcing.postgres:Factory", Postgres),
            ("eventsourcing.postgres:PostgresFactory", Postgres),
            ("PostgreSQL", Postgres),
        ] {
            assert_eq!(
                factory(&[("PERSISTENCE_MODULE", topic)]).unwrap(),
                expected,
                "{topic}"
            );
        }
        for topic in [
            "eventsourcing.sqlite:PostgresFactory",
            "eventsourcing.SQLITE",
            "eventsourcing.sqlite:",
            "eventsourcing.sqlite:Factory.x",
            "eventsourcing.mysql:Factory",
            "sqlite3",
        ] {
            assert!(
                factory(&[("PERSISTENCE_MODULE", topic)]).is_err(),
                "{topic}"
            );
        }
        let err = factory(&[("INFRASTRUCTURE_FACTORY", "mysql")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("INFRASTRUCTURE_FACTORY=\"mysql\""),
            "{err}"
        );
    }
}
