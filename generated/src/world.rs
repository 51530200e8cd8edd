//! The tutorial's `World` aggregate and `Universe` application, generated
//! from `schemas/world.yaml`.
//!
//! ```
//! use eventsourcing::Aggregate;
//! use eventsourcing_generated::world::Universe;
//!
//! let app = Universe::isolated([])?;
//! let world_id = app.create_world("Earth")?;
//! app.make_it_so(world_id, "dinosaurs")?;
//! app.make_it_so(world_id, "trucks")?;
//! assert_eq!(app.get_history(world_id)?, ["dinosaurs", "trucks"]);
//! assert_eq!(app.get_world(world_id)?.version(), 3);
//! # Ok::<(), eventsourcing::Error>(())
//! ```

eventsourcing::include_generated!("world");
