//! The tutorial against the hand-written `World` and `Universe`.

use eventsourcing_tests::handwritten;

eventsourcing_tests::tutorial_suite!(handwritten);
