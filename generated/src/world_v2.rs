//! The tutorial's domain, version 2 (`schemas/world_v2.yaml`): a thing
//! that happens has a reason, and events and snapshots stored at version 1
//! read with the reason "unknown".

eventsmith::include_generated!("world_v2");

/// The upcast steps of `world_v2.yaml` written in Rust.
pub mod upgrades {
    use eventsmith::__private::serde_json::{Map, Value};

    /// Version 1 to 2 of a world's snapshot: one reason, "unknown", for
    /// each thing that happened, as the Python library's `upcast_v1_v2`
    /// gives it.
    ///
    /// # Errors
    ///
    /// When the state has no history.
    pub fn reasons_unknown(state: &mut Map<String, Value>) -> Result<(), String> {
        let happened = state
            .get("history")
            .and_then(Value::as_array)
            .ok_or("a world of version 1 has a history")?
            .len();
        state.insert("reasons".to_owned(), Value::from(vec!["unknown"; happened]));
        Ok(())
    }
}
