//! The tutorial against the generated `World` and `Universe`
//! (`schemas/world.yaml`), on every backend.

use eventsmith_generated::world;

eventsmith_tests::tutorial_suite!(world);
