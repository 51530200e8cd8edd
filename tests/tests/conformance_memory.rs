//! The recorder conformance suite against the in-memory recorder.

eventsmith_tests::recorder_conformance!(eventsmith_tests::backends::Backend::memory());
