//! The tutorial's domain, version 2 (`schemas/world_v2.yaml`): a thing
//! that happens has a reason, and events stored at version 1 read with the
//! reason "unknown".

eventsourcing::include_generated!("world_v2");
