//! The recorder conformance suite against SQLite: a file, `:memory:`, and a
//! named shared-cache in-memory database.

mod file {
    eventsmith_tests::recorder_conformance!(eventsmith_tests::backends::Backend::sqlite_file());
}

mod memory {
    eventsmith_tests::recorder_conformance!(eventsmith_tests::backends::Backend::sqlite_memory());
}

mod shared_memory {
    eventsmith_tests::recorder_conformance!(
        eventsmith_tests::backends::Backend::sqlite_shared_memory()
    );
}
