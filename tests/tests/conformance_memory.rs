//! The recorder conformance suite against the in-memory recorder.

use std::sync::Arc;

use eventsourcing::persistence::InMemoryRecorder;
use eventsourcing_tests::backends::Fixture;

eventsourcing_tests::recorder_conformance!(Some(Fixture::new(
    Arc::new(InMemoryRecorder::new()),
    ()
)));
