//! The tutorial's `World` aggregate and `Universe` application, generated
//! from `schemas/world.yaml`.
//!
//! ```
//! use eventsmith::Aggregate;
//! use eventsmith_generated::world::Universe;
//!
//! let app = Universe::isolated([])?;
//! let world_id = app.create_world("Earth")?;
//! app.make_it_so(world_id, "dinosaurs")?;
//! app.make_it_so(world_id, "trucks")?;
//! assert_eq!(app.get_history(world_id)?, ["dinosaurs", "trucks"]);
//! assert_eq!(app.get_world(world_id)?.version(), 3);
//! # Ok::<(), eventsmith::Error>(())
//! ```

eventsmith::include_generated!("world");

impl Universe {
    /// Saves a world changed by its commands. A world has no rules of its
    /// own to guard, so this crate lets any crate save one: the tutorial's
    /// check of optimistic concurrency saves a world got as it was.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::VersionConflict`](eventsmith::ErrorKind::VersionConflict)
    /// when another save got there first; storage errors.
    pub fn save(&self, world: &mut World) -> eventsmith::Result<Vec<u64>> {
        self.application().save(world)
    }

    /// The application itself: its recorder, event store and mapper. A
    /// world has no rules to guard, so other crates (the benchmarks) may
    /// reach it.
    pub fn as_application(&self) -> &eventsmith::Application {
        self.application()
    }
}
