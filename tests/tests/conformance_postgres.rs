//! The recorder conformance suite against PostgreSQL, each test in a schema
//! of its own.

eventsmith_tests::recorder_conformance!(eventsmith_tests::backends::Backend::postgres());
