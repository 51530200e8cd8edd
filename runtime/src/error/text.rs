//! Pieces of the errors' messages.

use uuid::Uuid;

/// What a version conflict means: at version 1, that the aggregate exists
/// already (its creation is what collided; reloading it will not help);
/// above, that someone else changed it since it was read.
pub(super) fn conflict(originator_id: Uuid, originator_version: u64) -> String {
    if originator_version == 1 {
        format!(
            "aggregate {originator_id} already exists (its creation, version 1, is stored); \
             nothing was saved"
        )
    } else {
        format!(
            "aggregate {originator_id} already has an event at version {originator_version}; \
             nothing was saved (reload the aggregate and retry)"
        )
    }
}

/// ` name`, or nothing when there is no name.
pub(super) fn named(name: Option<&str>) -> String {
    name.map(|name| format!(" {name}")).unwrap_or_default()
}

/// Where a stored row is, from what could be read of it.
pub(super) fn row_location(
    notification_id: Option<i64>,
    originator_id: Option<&str>,
    originator_version: Option<i64>,
) -> String {
    let mut parts = Vec::new();
    if let Some(n) = notification_id {
        parts.push(format!("notification {n}"));
    }
    if let Some(id) = originator_id {
        parts.push(format!("aggregate {id}"));
    }
    if let Some(v) = originator_version {
        parts.push(format!("version {v}"));
    }
    if parts.is_empty() {
        "an unknown position".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The version after `version`, as text (there is none after `u64::MAX`).
pub(super) fn next_version(version: u64) -> String {
    version.checked_add(1).map_or_else(
        || "none: no version follows it".to_owned(),
        |v| v.to_string(),
    )
}
