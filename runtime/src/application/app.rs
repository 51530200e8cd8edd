//! The application: where aggregates are saved and got back.

use std::sync::Arc;

use super::{DEFAULT_SECTION_SIZE, NotificationLog, Repository};
use crate::Result;
use crate::domain::Aggregate;
use crate::persistence::{
    ApplicationRecorder, Environment, EventStore, Infrastructure, Mapper, StoredEvent, Transcodable,
};

/// Something whose pending events an application can save: every
/// [`Aggregate`] whose events are [`Transcodable`]. Object safe, so that
/// aggregates of different types can be saved together with
/// [`Application::save_all`].
pub trait Saveable {
    /// Encodes the pending events, without removing them.
    ///
    /// # Errors
    ///
    /// Encoding errors.
    fn encode_pending(&self, mapper: &Mapper, out: &mut Vec<StoredEvent>) -> Result<()>;

    /// Drops the pending events, once they are stored.
    fn clear_pending(&mut self);
}

impl<A> Saveable for A
where
    A: Aggregate,
    A::Event: Transcodable,
{
    fn encode_pending(&self, mapper: &Mapper, out: &mut Vec<StoredEvent>) -> Result<()> {
        for event in self.pending_events() {
            out.push(mapper.to_stored_event(event)?);
        }
        Ok(())
    }

    fn clear_pending(&mut self) {
        self.collect_events();
    }
}

/// An event-sourced application: an event store, a repository over it, and
/// the notification log of everything stored.
///
/// Storage is chosen by the environment (see
/// [`InfrastructureFactory`](crate::persistence::InfrastructureFactory)): in
/// memory by default, SQLite or PostgreSQL, optionally compressed and
/// encrypted. `Application` is `Send + Sync`; share it between threads with
/// an `Arc` or by reference.
#[derive(Debug, Clone)]
pub struct Application {
    env: Environment,
    events: EventStore,
    repository: Repository,
    log: NotificationLog,
}

impl Application {
    /// An application named `name` (its environment prefix is `name`
    /// upper-cased), configured from the process environment.
    ///
    /// # Errors
    ///
    /// An unknown value, a missing required variable or a malformed key,
    /// naming the variable; connection errors.
    pub fn new(name: &str) -> Result<Self> {
        Self::from_env(Environment::new(
            name,
            std::iter::empty::<(String, String)>(),
        ))
    }

    /// An application configured from `env`.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn from_env(env: Environment) -> Result<Self> {
        let infrastructure = Infrastructure::from_env(&env)?;
        Ok(Self::with_infrastructure(env, infrastructure))
    }

    /// An application over infrastructure made elsewhere.
    pub fn with_infrastructure(env: Environment, infrastructure: Infrastructure) -> Self {
        let Infrastructure { mapper, recorder } = infrastructure;
        let events = EventStore::new(mapper, recorder.clone());
        Self {
            env,
            repository: Repository::new(events.clone()),
            log: NotificationLog::new(recorder, DEFAULT_SECTION_SIZE),
            events,
        }
    }

    /// The application's name.
    pub fn name(&self) -> &str {
        self.env.name()
    }

    /// The settings the application was made with.
    pub fn env(&self) -> &Environment {
        &self.env
    }

    /// The repository, to get aggregates back.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The notification log of every stored event.
    pub fn log(&self) -> &NotificationLog {
        &self.log
    }

    /// The event store.
    pub fn event_store(&self) -> &EventStore {
        &self.events
    }

    /// The recorder.
    pub fn recorder(&self) -> &Arc<dyn ApplicationRecorder> {
        self.events.recorder()
    }

    /// Saves an aggregate's pending events, all or none, and returns their
    /// notification ids. The pending events are dropped only once stored: a
    /// failed save leaves the aggregate as it was.
    ///
    /// # Errors
    ///
    /// [`Error::VersionConflict`](crate::Error::VersionConflict) when another
    /// save got there first (nothing is stored); encoding and backend errors.
    pub fn save<A: Saveable + ?Sized>(&self, aggregate: &mut A) -> Result<Vec<u64>> {
        let mut stored = Vec::new();
        aggregate.encode_pending(self.events.mapper(), &mut stored)?;
        if stored.is_empty() {
            return Ok(Vec::new());
        }
        let ids = self.events.put_stored(&stored)?;
        aggregate.clear_pending();
        Ok(ids)
    }

    /// Saves the pending events of several aggregates in one atomic batch:
    /// all are stored, or none.
    ///
    /// # Errors
    ///
    /// As [`save`](Self::save).
    pub fn save_all(&self, aggregates: &mut [&mut dyn Saveable]) -> Result<Vec<u64>> {
        let mut stored = Vec::new();
        for aggregate in aggregates.iter() {
            aggregate.encode_pending(self.events.mapper(), &mut stored)?;
        }
        if stored.is_empty() {
            return Ok(Vec::new());
        }
        let ids = self.events.put_stored(&stored)?;
        for aggregate in aggregates.iter_mut() {
            aggregate.clear_pending();
        }
        Ok(ids)
    }
}
