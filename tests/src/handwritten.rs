//! The tutorial's `World` aggregate and `Universe` application, written by
//! hand in the shape the generator emits, so the runtime can be tested on its
//! own.

use std::ops::Deref;

use eventsmith::__private::{AggregateCore, OriginatorTopic};
use eventsmith::__private::{Decoder, Transcodable};
use eventsmith::__private::{StateWriter, tagged};
use eventsmith::domain::now;
use eventsmith::{Aggregate, Application, DomainEvent, Environment, Id, Result, Timestamp};

/// A world with a history of things that happened in it.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    core: AggregateCore<WorldEvent>,
    name: String,
    history: Vec<String>,
}

/// The id of a world.
pub type WorldId = Id<World>;

impl World {
    /// Creates a world (triggers `WorldStarted`).
    pub fn create(name: impl Into<String>) -> Self {
        let event = WorldStarted {
            originator_id: Id::new_v4(),
            originator_version: 1,
            timestamp: now(),
            originator_topic: OriginatorTopic::default(),
            name: name.into(),
        };
        let mut world = Self::created_by(event.clone());
        world.core.trigger(WorldEvent::Started(event));
        world
    }

    /// Something happens in this world (triggers `WorldSomethingHappened`).
    pub fn make_it_so(&mut self, what: impl Into<String>) {
        let event = WorldSomethingHappened {
            originator_id: self.core.id(),
            originator_version: self.core.next_version(),
            timestamp: now(),
            what: what.into(),
        };
        self.history.push(event.what.clone());
        self.core.trigger(WorldEvent::SomethingHappened(event));
    }

    /// The world's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What happened, in order.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    fn created_by(event: WorldStarted) -> Self {
        Self {
            core: AggregateCore::created(event.originator_id, event.timestamp),
            name: event.name,
            history: Vec::new(),
        }
    }
}

impl Aggregate for World {
    type Event = WorldEvent;
    const TOPIC: &'static str = "universe:World";

    fn core(&self) -> &AggregateCore<WorldEvent> {
        &self.core
    }
    fn collect_events(&mut self) -> Vec<WorldEvent> {
        self.core.collect_events()
    }
}

/// The world was started.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldStarted {
    /// The world's id.
    pub originator_id: WorldId,
    /// The world's version once this event is applied.
    pub originator_version: u64,
    /// When the event happened.
    pub timestamp: Timestamp,
    /// The topic of the aggregate it creates.
    pub originator_topic: OriginatorTopic<World>,
    /// The world's name.
    pub name: String,
}

impl WorldStarted {
    /// The stored topic.
    pub const TOPIC: &'static str = "universe:World.Started";
}

/// Something happened in the world.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldSomethingHappened {
    /// The world's id.
    pub originator_id: WorldId,
    /// The world's version once this event is applied.
    pub originator_version: u64,
    /// When the event happened.
    pub timestamp: Timestamp,
    /// What happened.
    pub what: String,
}

impl WorldSomethingHappened {
    /// The stored topic.
    pub const TOPIC: &'static str = "universe:World.SomethingHappened";
}

/// The events of a [`World`].
#[derive(Debug, Clone, PartialEq)]
pub enum WorldEvent {
    /// See [`WorldStarted`].
    Started(WorldStarted),
    /// See [`WorldSomethingHappened`].
    SomethingHappened(WorldSomethingHappened),
}

impl DomainEvent for WorldEvent {
    type Aggregate = World;

    fn header(&self) -> (WorldId, u64, Timestamp) {
        match self {
            Self::Started(e) => (e.originator_id, e.originator_version, e.timestamp),
            Self::SomethingHappened(e) => (e.originator_id, e.originator_version, e.timestamp),
        }
    }
    fn topic(&self) -> &'static str {
        match self {
            Self::Started(_) => WorldStarted::TOPIC,
            Self::SomethingHappened(_) => WorldSomethingHappened::TOPIC,
        }
    }
    fn is_created(&self) -> bool {
        matches!(self, Self::Started(_))
    }
    fn mutate(self, aggregate: Option<World>) -> Result<World> {
        let Some(mut world) = aggregate else {
            return match self {
                Self::Started(e) => Ok(World::created_by(e)),
                event => Err(event.creation_mismatch()),
            };
        };
        world.core.advance(&self)?;
        if let Self::SomethingHappened(e) = self {
            world.history.push(e.what);
        }
        Ok(world)
    }
}

#[derive(serde::Deserialize)]
struct StartedState {
    #[serde(with = "tagged")]
    timestamp: Timestamp,
    originator_topic: OriginatorTopic<World>,
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
    const TOPICS: &'static [&'static str] = &[WorldStarted::TOPIC, WorldSomethingHappened::TOPIC];

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

    fn decode_state(topic: &str, decoder: Decoder<'_>) -> serde_json::Result<Option<Self>> {
        let (originator_id, originator_version) = (
            Id::from_uuid(decoder.originator_id()),
            decoder.originator_version(),
        );
        Ok(Some(match topic {
            WorldStarted::TOPIC => {
                let s: StartedState = serde_json::from_slice(decoder.state())?;
                Self::Started(WorldStarted {
                    originator_id,
                    originator_version,
                    timestamp: s.timestamp,
                    originator_topic: s.originator_topic,
                    name: s.name,
                })
            }
            WorldSomethingHappened::TOPIC => {
                let s: SomethingHappenedState = serde_json::from_slice(decoder.state())?;
                Self::SomethingHappened(WorldSomethingHappened {
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
    pub fn create_world(&self, name: impl Into<String>) -> Result<WorldId> {
        let mut world = World::create(name);
        self.app.save(&mut world)?;
        Ok(world.id())
    }

    /// Something happens in a world.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AggregateNotFound`](eventsmith::ErrorKind::AggregateNotFound),
    /// [`ErrorKind::VersionConflict`](eventsmith::ErrorKind::VersionConflict),
    /// storage errors.
    pub fn make_it_so(&self, world_id: WorldId, what: impl Into<String>) -> Result<()> {
        let mut world = self.get_world(world_id)?;
        world.make_it_so(what);
        self.app.save(&mut world)?;
        Ok(())
    }

    /// The history of a world.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AggregateNotFound`](eventsmith::ErrorKind::AggregateNotFound),
    /// storage errors.
    pub fn get_history(&self, world_id: WorldId) -> Result<Vec<String>> {
        Ok(self.get_world(world_id)?.history)
    }

    /// A world, as it is now.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AggregateNotFound`](eventsmith::ErrorKind::AggregateNotFound),
    /// storage errors.
    pub fn get_world(&self, world_id: WorldId) -> Result<World> {
        self.app.repository().get(world_id)
    }
}

impl Deref for Universe {
    type Target = Application;
    fn deref(&self) -> &Application {
        &self.app
    }
}
