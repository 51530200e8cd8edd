//! The recorder conformance suite against PostgreSQL, each test in a schema
//! of its own.

eventsourcing_tests::recorder_conformance!(eventsourcing_tests::backends::postgres());
