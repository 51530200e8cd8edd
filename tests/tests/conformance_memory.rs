//! The recorder conformance suite against the in-memory recorder.

use std::sync::Arc;

use eventsourcing::persistence::InMemoryRecorder;

eventsourcing_tests::recorder_conformance!(Arc::new(InMemoryRecorder::new()));
