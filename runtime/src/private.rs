//! What generated code stands on and people do not call: not part of the
//! documented API, and free to change in any release. The generator
//! (`eventsmith-codegen`) writes every path into this module in full
//! (`::eventsmith::__private::...`), so that no name of the user's crate
//! can shadow it.

pub use chrono;
pub use serde;
pub use serde_json;

/// The stream the async facades' `subscribe` gives.
#[cfg(feature = "tokio")]
pub use crate::asynchronous::{NotificationStream, borrowed_pairs, owned_pairs};

pub use crate::domain::aggregate::AggregateCore;
pub use crate::domain::originator_topic::{ClassVersion, OriginatorTopic};
pub use crate::infrastructure::{Infrastructure, InfrastructureFactory};
pub use crate::observe::set_reporting;
pub use crate::persistence::compressor::MAX_COMPRESSION_LEVEL;
pub use crate::persistence::decoder::{Decoder, tagged_value};
pub use crate::persistence::environment::is_secret;
pub use crate::persistence::pyjson::{parse_python_decimal, python_decimal_str, python_float_repr};
pub use crate::persistence::snapshot::{SnapshotReader, SnapshotWriter, set_raw_snapshot_reads};
pub use crate::persistence::transcoder::{
    Followed, StateValue, StateWriter, Transcodable, event_time, tagged, write_state,
};

/// Marks `Self` as an aggregate of the application `F`: generated for each
/// aggregate a follower's schema lists, so that its policies'
/// [`ProcessingOf`](crate::system::ProcessingOf) saves those and no others.
/// Another crate cannot add one (both types are foreign to it).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an aggregate of `{F}`: a policy saves only its follower's own aggregates",
    label = "not one of `{F}`'s aggregates",
    note = "the aggregates a follower saves are those its schema lists under `aggregates:`"
)]
pub trait AggregateOf<F> {}
