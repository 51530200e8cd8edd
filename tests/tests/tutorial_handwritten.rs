//! The tutorial against the hand-written `World` and `Universe`.

use eventsmith_tests::handwritten;

eventsmith_tests::tutorial_suite!(handwritten);
