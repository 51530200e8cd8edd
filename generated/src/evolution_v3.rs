//! Memos, the third version of the notes model
//! (`schemas/evolution_v3.yaml`): it reads what version 1 stored, upcasting
//! each created event through every kind of step, reading a renamed event
//! and aggregate under their old topics, and filling new arguments with
//! their defaults.

eventsmith::include_generated!("evolution_v3");

/// The upcast steps of `evolution_v3.yaml` written in Rust.
pub mod upgrades {
    use eventsmith::__private::serde_json::{Map, Value};

    /// Version 2 to 3 of a written memo: counts the words of its text.
    ///
    /// # Errors
    ///
    /// When the state has no text.
    pub fn count_words(state: &mut Map<String, Value>) -> Result<(), String> {
        let words = state
            .get("text")
            .and_then(Value::as_str)
            .ok_or("a memo of version 2 has text")?
            .split_whitespace()
            .count();
        state.insert("words".to_owned(), Value::from(words));
        Ok(())
    }
}
