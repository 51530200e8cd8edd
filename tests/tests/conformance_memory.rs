//! The recorder conformance suite against the in-memory recorder.

use std::sync::Arc;

use eventsmith::persistence::InMemoryRecorder;
use eventsmith_tests::backends::Fixture;

eventsmith_tests::recorder_conformance!(Some(Fixture::new(Arc::new(InMemoryRecorder::new()), ())));
