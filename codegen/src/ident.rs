//! Rust identifiers: every name from a schema goes through here on its way
//! into generated code.
//!
//! Names are cased for Rust with `heck` (fields, arguments and commands in
//! `snake_case`; types, aggregates, events, variants and applications in
//! `UpperCamelCase`). Keywords become raw identifiers (`type` → `r#type`),
//! except those that cannot be raw (`self`, `Self`, `super`, `crate`), which
//! are refused.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Keywords of Rust 2024, strict and reserved, which need `r#` to be used as
/// names.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be written as raw identifiers.
const UNRAWABLE: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Whether `name` is acceptable as a name in a schema: ASCII letters, digits
/// and underscores, starting with a letter.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `name` in `snake_case`.
pub(crate) fn snake(name: &str) -> String {
    name.to_snake_case()
}

/// `name` in `UpperCamelCase`.
pub(crate) fn upper_camel(name: &str) -> String {
    name.to_upper_camel_case()
}

/// Why a cased name cannot be used in Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unusable;

/// The identifier to write for an already cased `name`: itself, or `r#name`
/// for a keyword.
///
/// # Errors
///
/// [`Unusable`] for `self`, `Self`, `super`, `crate` and `_`.
pub(crate) fn escape(name: &str) -> Result<String, Unusable> {
    if UNRAWABLE.contains(&name) {
        Err(Unusable)
    } else if KEYWORDS.contains(&name) {
        Ok(format!("r#{name}"))
    } else {
        Ok(name.to_owned())
    }
}

/// A Rust string literal holding `text`.
pub(crate) fn str_lit(text: &str) -> String {
    // `Debug` of a `str` is a valid Rust string literal: it escapes quotes,
    // backslashes and control characters with escapes Rust accepts.
    format!("{text:?}")
}

/// How generated code names the things that belong to an aggregate whose
/// name, cased, is `aggregate` (`World`, `UserAccount`): one place, for the
/// checks that keep schema names clear of them and for lowering.
pub(crate) mod conventions {
    use super::{snake, upper_camel};

    /// The indefinite article for `word`, by its first letter: `an` before
    /// a vowel (`an Order`, `an item`), `a` otherwise.
    pub(crate) fn article(word: &str) -> &'static str {
        if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
            "an"
        } else {
            "a"
        }
    }

    /// The aggregate in prose, e.g. `user account`.
    pub(crate) fn noun(aggregate: &str) -> String {
        snake(aggregate).replace('_', " ")
    }

    /// The parameter holding an aggregate's id, e.g. `world_id`.
    pub(crate) fn id_param(aggregate: &str) -> String {
        format!("{}_id", snake(aggregate))
    }

    /// The local variable holding an aggregate, e.g. `world` (before
    /// escaping).
    pub(crate) fn local(aggregate: &str) -> String {
        snake(aggregate)
    }

    /// An application's method that gets an aggregate, e.g. `get_world`.
    pub(crate) fn getter(aggregate: &str) -> String {
        format!("get_{}", snake(aggregate))
    }

    /// The method applying an event to its aggregate's state, e.g.
    /// `apply_something_happened`.
    pub(crate) fn apply_fn(event: &str) -> String {
        format!("apply_{}", snake(event))
    }

    /// A follower's methods for a leader, by the leader's name as written:
    /// processing its events (`process_bank`), a pipe from it
    /// (`pipe_from_bank`), and waiting until it has processed them
    /// (`wait_for_bank`).
    pub(crate) fn follow_methods(leader: &str) -> [String; 3] {
        let leader = snake(leader);
        [
            format!("process_{leader}"),
            format!("pipe_from_{leader}"),
            format!("wait_for_{leader}"),
        ]
    }

    /// A follower's policy trait, by its name as written, e.g.
    /// `StatementsPolicy`.
    pub(crate) fn policy_trait(follower: &str) -> String {
        format!("{}Policy", upper_camel(follower))
    }

    /// The enum of the events a follower handles of a leader's, e.g.
    /// `StatementsFromBank`.
    pub(crate) fn followed_enum(follower: &str, leader: &str) -> String {
        format!("{}From{}", upper_camel(follower), upper_camel(leader))
    }

    /// A system's field and accessor for one of its applications, e.g.
    /// `bank` (before escaping).
    pub(crate) fn system_app(application: &str) -> String {
        snake(application)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cased_and_keywords_escaped() {
        assert_eq!(snake("SomethingHappened"), "something_happened");
        assert_eq!(snake("userName"), "user_name");
        assert_eq!(upper_camel("make_it_so"), "MakeItSo");
        assert_eq!(escape("type"), Ok("r#type".to_owned()));
        assert_eq!(escape("gen"), Ok("r#gen".to_owned()));
        assert_eq!(escape("name"), Ok("name".to_owned()));
        assert_eq!(escape("self"), Err(Unusable));
        assert_eq!(escape("Self"), Err(Unusable));
        assert_eq!(escape("crate"), Err(Unusable));
    }

    #[test]
    fn only_plain_ascii_names_are_valid() {
        assert!(is_valid_name("world_id2"));
        assert!(is_valid_name("World"));
        assert!(!is_valid_name("2world"));
        assert!(!is_valid_name("_world"));
        assert!(!is_valid_name("my-field"));
        assert!(!is_valid_name("wörld"));
        assert!(!is_valid_name(""));
    }

    #[test]
    fn string_literals_escape_what_rust_needs() {
        assert_eq!(str_lit("universe:World"), "\"universe:World\"");
        assert_eq!(str_lit("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    }
}
