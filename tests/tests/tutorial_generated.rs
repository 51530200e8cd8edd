//! The tutorial against the generated `World` and `Universe`
//! (`schemas/world.yaml`), on every backend.

use eventsourcing_generated::world;

eventsourcing_tests::tutorial_suite!(world);
