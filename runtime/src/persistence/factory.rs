//! Choosing infrastructure from the environment, as the tutorial does.

use std::sync::Arc;

use super::{
    AesCipher, ApplicationRecorder, Environment, InMemoryRecorder, Mapper, ZlibCompressor,
};
use crate::{Error, Result};

/// Which recorder an application uses, from `INFRASTRUCTURE_FACTORY` (or
/// `PERSISTENCE_MODULE`).
///
/// | value | recorder |
/// |---|---|
/// | unset, `popo`, `eventsourcing.popo:Factory` | in memory |
/// | `sqlite`, `eventsourcing.sqlite:Factory` | SQLite (`SQLITE_DBNAME`) |
/// | `postgres`, `eventsourcing.postgres:Factory` | PostgreSQL (`POSTGRES_*`) |
///
/// ```
/// use eventsourcing::persistence::{Environment, InfrastructureFactory};
/// let env = Environment::isolated("Universe", [("INFRASTRUCTURE_FACTORY", "eventsourcing.sqlite:Factory")]);
/// assert_eq!(InfrastructureFactory::from_env(&env).unwrap(), InfrastructureFactory::Sqlite);
/// let env = Environment::isolated("Universe", [("PERSISTENCE_MODULE", "mongo")]);
/// assert!(InfrastructureFactory::from_env(&env).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfrastructureFactory {
    /// Events kept in memory.
    InMemory,
    /// Events kept in SQLite.
    Sqlite,
    /// Events kept in PostgreSQL.
    Postgres,
}

const FACTORY_EXPECTED: &str = "popo, sqlite or postgres (or eventsourcing.popo:Factory, \
                                eventsourcing.sqlite:Factory, eventsourcing.postgres:Factory)";

impl InfrastructureFactory {
    /// Reads `INFRASTRUCTURE_FACTORY`, or else `PERSISTENCE_MODULE`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for a value not in the table above.
    pub fn from_env(env: &Environment) -> Result<Self> {
        let Some((variable, value)) = env
            .lookup("INFRASTRUCTURE_FACTORY")
            .or_else(|| env.lookup("PERSISTENCE_MODULE"))
        else {
            return Ok(Self::InMemory);
        };
        let module = value.trim().trim_end_matches(":Factory");
        let module = module.strip_prefix("eventsourcing.").unwrap_or(module);
        match module.to_ascii_lowercase().as_str() {
            "popo" | "memory" | "in-memory" => Ok(Self::InMemory),
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(Error::InvalidSetting {
                variable,
                value: value.to_owned(),
                expected: FACTORY_EXPECTED.to_owned(),
            }),
        }
    }

    /// Makes the application recorder this factory stands for.
    ///
    /// # Errors
    ///
    /// Missing or invalid settings; connection errors; a backend whose cargo
    /// feature is not enabled.
    pub fn application_recorder(self, env: &Environment) -> Result<Arc<dyn ApplicationRecorder>> {
        let _ = env; // unused when no database backend is enabled
        match self {
            Self::InMemory => Ok(Arc::new(InMemoryRecorder::new())),
            #[cfg(feature = "sqlite")]
            Self::Sqlite => Ok(Arc::new(crate::sqlite::SqliteRecorder::from_env(env)?)),
            #[cfg(feature = "postgres")]
            Self::Postgres => Ok(Arc::new(crate::postgres::PostgresRecorder::from_env(env)?)),
            #[allow(unreachable_patterns)]
            other => Err(Error::InvalidSetting {
                variable: "INFRASTRUCTURE_FACTORY".to_owned(),
                value: format!("{other:?}"),
                expected: "a backend whose cargo feature (sqlite, postgres) is enabled".to_owned(),
            }),
        }
    }
}

/// A mapper and a recorder made from one environment.
#[derive(Debug, Clone)]
pub struct Infrastructure {
    /// The mapper, with compression and encryption as configured.
    pub mapper: Mapper,
    /// The application recorder.
    pub recorder: Arc<dyn ApplicationRecorder>,
}

impl Infrastructure {
    /// Reads the environment and builds the mapper and the recorder.
    ///
    /// # Errors
    ///
    /// An unknown value, a missing required variable or a malformed key,
    /// naming the variable; connection errors.
    pub fn from_env(env: &Environment) -> Result<Self> {
        let mapper = mapper_from_env(env)?;
        let recorder = InfrastructureFactory::from_env(env)?.application_recorder(env)?;
        Ok(Self { mapper, recorder })
    }
}

/// Builds the mapper from `CIPHER_TOPIC`, `CIPHER_KEY` and `COMPRESSOR_TOPIC`.
fn mapper_from_env(env: &Environment) -> Result<Mapper> {
    let compressor = match env.lookup("COMPRESSOR_TOPIC") {
        None => None,
        Some((_, "zlib" | "eventsourcing.compressor:ZlibCompressor")) => Some(ZlibCompressor),
        Some((variable, value)) => {
            return Err(Error::InvalidSetting {
                variable,
                value: value.to_owned(),
                expected: "zlib or eventsourcing.compressor:ZlibCompressor".to_owned(),
            });
        }
    };
    let topic = env.lookup("CIPHER_TOPIC");
    let key = env.lookup("CIPHER_KEY");
    let cipher = match (topic, key) {
        (None, None) => None,
        (Some((variable, value)), _)
            if !matches!(
                value,
                "eventsourcing.cipher:AESCipher" | "aes" | "AES" | "AESCipher"
            ) =>
        {
            return Err(Error::InvalidSetting {
                variable,
                value: value.to_owned(),
                expected: "eventsourcing.cipher:AESCipher".to_owned(),
            });
        }
        (Some(_), None) => {
            return Err(Error::MissingSetting {
                variable: "CIPHER_KEY".to_owned(),
                reason: "CIPHER_TOPIC selects AES, which needs a key (make one with AesCipher::create_key(32))"
                    .to_owned(),
            });
        }
        (_, Some((variable, key))) => Some(AesCipher::from_setting(&variable, key)?),
    };
    Ok(Mapper::new(compressor, cipher))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapper(values: &[(&str, &str)]) -> Result<Mapper> {
        mapper_from_env(&Environment::isolated("Universe", values.iter().copied()))
    }

    #[test]
    fn compressor_and_cipher_topics_are_read() {
        let key = AesCipher::create_key(24).unwrap();
        let m = mapper(&[
            (
                "COMPRESSOR_TOPIC",
                "eventsourcing.compressor:ZlibCompressor",
            ),
            ("CIPHER_KEY", &key),
        ])
        .unwrap();
        assert!(m.is_compressed() && m.is_encrypted());
        let m = mapper(&[("UNIVERSE_COMPRESSOR_TOPIC", "zlib")]).unwrap();
        assert!(m.is_compressed() && !m.is_encrypted());
        assert!(!mapper(&[]).unwrap().is_compressed());
    }

    #[test]
    fn bad_settings_name_their_variable() {
        let err = mapper(&[("UNIVERSE_COMPRESSOR_TOPIC", "lz4")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("UNIVERSE_COMPRESSOR_TOPIC=\"lz4\""),
            "{err}"
        );
        let err = mapper(&[("CIPHER_TOPIC", "eventsourcing.cipher:AESCipher")]).unwrap_err();
        assert!(
            matches!(err, Error::MissingSetting { ref variable, .. } if variable == "CIPHER_KEY"),
            "{err}"
        );
        let err = mapper(&[("CIPHER_TOPIC", "rot13"), ("CIPHER_KEY", "x")]).unwrap_err();
        assert!(
            err.to_string().starts_with("CIPHER_TOPIC=\"rot13\""),
            "{err}"
        );
        let err = mapper(&[("UNIVERSE_CIPHER_KEY", "dG9vIHNob3J0")]).unwrap_err();
        assert!(
            matches!(err, Error::InvalidCipherKey { ref variable, .. } if variable == "UNIVERSE_CIPHER_KEY"),
            "{err}"
        );
        let err = InfrastructureFactory::from_env(&Environment::isolated(
            "U",
            [("INFRASTRUCTURE_FACTORY", "mysql")],
        ))
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("INFRASTRUCTURE_FACTORY=\"mysql\""),
            "{err}"
        );
    }
}
