//! The recorder conformance suite against SQLite: a file, `:memory:`, and a
//! named shared-cache in-memory database.

mod file {
    eventsourcing_tests::recorder_conformance!(eventsourcing_tests::backends::sqlite_file());
}

mod memory {
    eventsourcing_tests::recorder_conformance!(eventsourcing_tests::backends::sqlite_memory());
}

mod shared_memory {
    eventsourcing_tests::recorder_conformance!(
        eventsourcing_tests::backends::sqlite_shared_memory()
    );
}
