//! The tutorial's `World` aggregate and `Universe` application, written by
//! hand in the shape the generator emits, so the runtime can be tested on its
//! own.

use std::ops::Deref;

use eventsourcing::domain::{AggregateMeta, now};
use eventsourcing::persistence::Transcodable;
use eventsourcing::persistence::transcoder::{StateWriter, tagged};
use eventsourcing::{
    Aggregate, Application, DomainEvent, Environment, Error, Result, Timestamp, Uuid,
};

/// A world with a history of things that happened in it.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    meta: AggregateMeta,
    pending_events: Vec<WorldEvent>,
    name: String,
    history: Vec<String>,
}

impl World {
    /// The aggregate's topic.
    pub const TOPIC: &'static str = "universe:World";

    /// Creates a world (triggers `Started`).
    pub fn create(name: impl Into<String>) -> Self {
        let event = Started {
            originator_id: Uuid::new_v4(),
            originator_version: 1,
            timestamp: now(),
            name: name.into(),
        };
        let mut world = Self::created_by(&event);
        world.pending_events.push(WorldEvent::Started(event));
        world
    }

    /// Something happens in this world (triggers `SomethingHappened`).
    pub fn make_it_so(&mut self, what: impl Into<String>) {
        let event = SomethingHappened {
            originator_id: self.meta.id(),
            originator_version: self.meta.next_version(),
            timestamp: now(),
            what: what.into(),
        };
        self.apply_something_happened(&event);
        self.meta.triggered(event.timestamp);
        self.pending_events
            .push(WorldEvent::SomethingHappened(event));
    }

    /// The world's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What happened, in order.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    fn created_by(event: &Started) -> Self {
        let mut world = Self {
            meta: AggregateMeta::created(
                event.originator_id,
                event.originator_version,
                event.timestamp,
            ),
            pending_events: Vec::new(),
            name: Default::default(),
            history: Default::default(),
        };
        world.name = event.name.clone();
        world
    }

    fn apply_something_happened(&mut self, event: &SomethingHappened) {
        self.history.push(event.what.clone());
    }
}

impl Aggregate for World {
    type Event = WorldEvent;
    const TOPIC: &'static str = World::TOPIC;

    fn id(&self) -> Uuid {
        self.meta.id()
    }
    fn version(&self) -> u64 {
        self.meta.version()
    }
    fn created_on(&self) -> Timestamp {
        self.meta.created_on()
    }
    fn modified_on(&self) -> Timestamp {
        self.meta.modified_on()
    }
    fn pending_events(&self) -> &[WorldEvent] {
        &self.pending_events
    }
    fn collect_events(&mut self) -> Vec<WorldEvent> {
        std::mem::take(&mut self.pending_events)
    }
}

/// The world was started.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    /// The world's id.
    pub originator_id: Uuid,
    /// The world's version once this event is applied.
    pub originator_version: u64,
    /// When the event happened.
    pub timestamp: Timestamp,
    /// The world's name.
    pub name: String,
}

impl Started {
    /// The stored topic.
    pub const TOPIC: &'static str = "universe:World.Started";
}

/// Something happened in the world.
#[derive(Debug, Clone, PartialEq)]
pub struct SomethingHappened {
    /// The world's id.
    pub originator_id: Uuid,
    /// The world's version once this event is applied.
    pub originator_version: u64,
    /// When the event happened.
    pub timestamp: Timestamp,
    /// What happened.
    pub what: String,
}

impl SomethingHappened {
    /// The stored topic.
    pub const TOPIC: &'static str = "universe:World.SomethingHappened";
}

/// The events of a [`World`].
#[derive(Debug, Clone, PartialEq)]
pub enum WorldEvent {
    /// See [`Started`].
    Started(Started),
    /// See [`SomethingHappened`].
    SomethingHappened(SomethingHappened),
}

impl From<Started> for WorldEvent {
    fn from(event: Started) -> Self {
        Self::Started(event)
    }
}

impl From<SomethingHappened> for WorldEvent {
    fn from(event: SomethingHappened) -> Self {
        Self::SomethingHappened(event)
    }
}

impl DomainEvent for WorldEvent {
    type Aggregate = World;

    fn originator_id(&self) -> Uuid {
        match self {
            Self::Started(e) => e.originator_id,
            Self::SomethingHappened(e) => e.originator_id,
        }
    }
    fn originator_version(&self) -> u64 {
        match self {
            Self::Started(e) => e.originator_version,
            Self::SomethingHappened(e) => e.originator_version,
        }
    }
    fn timestamp(&self) -> Timestamp {
        match self {
            Self::Started(e) => e.timestamp,
            Self::SomethingHappened(e) => e.timestamp,
        }
    }
    fn topic(&self) -> &'static str {
        match self {
            Self::Started(_) => Started::TOPIC,
            Self::SomethingHappened(_) => SomethingHappened::TOPIC,
        }
    }
    fn is_created(&self) -> bool {
        matches!(self, Self::Started(_))
    }
    fn mutate(&self, aggregate: Option<World>) -> Result<World> {
        match (self, aggregate) {
            (Self::Started(e), None) => Ok(World::created_by(e)),
            (Self::SomethingHappened(e), Some(mut world)) => {
                world.meta.advance(
                    SomethingHappened::TOPIC,
                    e.originator_id,
                    e.originator_version,
                    e.timestamp,
                )?;
                world.apply_something_happened(e);
                Ok(world)
            }
            (event, _) => Err(Error::CreationMismatch {
                topic: event.topic().to_owned(),
                originator_id: event.originator_id(),
                originator_version: event.originator_version(),
                is_created: event.is_created(),
            }),
        }
    }
}

#[derive(serde::Deserialize)]
struct StartedState {
    #[serde(with = "tagged")]
    timestamp: Timestamp,
    #[serde(with = "tagged")]
    name: String,
}

#[derive(serde::Deserialize)]
struct SomethingHappenedState {
    #[serde(with = "tagged")]
    timestamp: Timestamp,
    #[serde(with = "tagged")]
    what: String,
}

impl Transcodable for WorldEvent {
    const TOPICS: &'static [&'static str] = &[Started::TOPIC, SomethingHappened::TOPIC];

    fn encode_state(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let mut state = StateWriter::new(out, &self.timestamp())?;
        match self {
            Self::Started(e) => {
                state
                    .originator_topic(World::TOPIC)?
                    .field("name", &e.name)?;
            }
            Self::SomethingHappened(e) => {
                state.field("what", &e.what)?;
            }
        }
        state.finish();
        Ok(())
    }

    fn decode_state(
        topic: &str,
        originator_id: Uuid,
        originator_version: u64,
        state: &[u8],
    ) -> serde_json::Result<Option<Self>> {
        Ok(Some(match topic {
            Started::TOPIC => {
                let s: StartedState = serde_json::from_slice(state)?;
                Self::Started(Started {
                    originator_id,
                    originator_version,
                    timestamp: s.timestamp,
                    name: s.name,
                })
            }
            SomethingHappened::TOPIC => {
                let s: SomethingHappenedState = serde_json::from_slice(state)?;
                Self::SomethingHappened(SomethingHappened {
                    originator_id,
                    originator_version,
                    timestamp: s.timestamp,
                    what: s.what,
                })
            }
            _ => return Ok(None),
        }))
    }
}

/// The tutorial's application of worlds.
#[derive(Debug, Clone)]
pub struct Universe {
    app: Application,
}

impl Universe {
    /// The application's name: the prefix of its environment variables.
    pub const NAME: &'static str = "Universe";
    /// Settings from the schema, overridden by the environment.
    pub const DEFAULTS: &'static [(&'static str, &'static str)] = &[];

    /// The application configured from the process environment.
    ///
    /// # Errors
    ///
    /// Configuration and connection errors.
    pub fn from_env() -> Result<Self> {
        Self::with_env(Environment::new(Self::NAME, Self::DEFAULTS.iter().copied()))
    }

    /// The application configured from `values` alone (over the schema's
    /// defaults), ignoring the process environment.
    ///
    /// # Errors
    ///
    /// Configuration and connection errors.
    pub fn isolated<'a>(values: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        Self::with_env(Environment::isolated(
            Self::NAME,
            Self::DEFAULTS.iter().copied().chain(values),
        ))
    }

    /// The application configured from `env`.
    ///
    /// # Errors
    ///
    /// Configuration and connection errors.
    pub fn with_env(env: Environment) -> Result<Self> {
        Ok(Self {
            app: Application::from_env(env)?,
        })
    }

    /// Creates a world and returns its id.
    ///
    /// # Errors
    ///
    /// Storage errors.
    pub fn create_world(&self, name: impl Into<String>) -> Result<Uuid> {
        let mut world = World::create(name);
        self.app.save(&mut world)?;
        Ok(world.id())
    }

    /// Something happens in a world.
    ///
    /// # Errors
    ///
    /// [`Error::AggregateNotFound`], [`Error::VersionConflict`], storage errors.
    pub fn make_it_so(&self, world_id: Uuid, what: impl Into<String>) -> Result<()> {
        let mut world = self.get_world(world_id)?;
        world.make_it_so(what);
        self.app.save(&mut world)?;
        Ok(())
    }

    /// The history of a world.
    ///
    /// # Errors
    ///
    /// [`Error::AggregateNotFound`], storage errors.
    pub fn get_history(&self, world_id: Uuid) -> Result<Vec<String>> {
        Ok(self.get_world(world_id)?.history)
    }

    /// A world, as it is now.
    ///
    /// # Errors
    ///
    /// [`Error::AggregateNotFound`], storage errors.
    pub fn get_world(&self, world_id: Uuid) -> Result<World> {
        self.app.repository().get(world_id)
    }
}

impl Deref for Universe {
    type Target = Application;
    fn deref(&self) -> &Application {
        &self.app
    }
}
