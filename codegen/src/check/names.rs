//! Names: what is reserved, and which names are taken in each Rust
//! namespace, so that two schema names that become one Rust name are
//! reported with both positions.

use std::collections::HashMap;

use crate::read::schema::Name;
use crate::read::yaml::{Pos, Problems};

/// Names a value type cannot take: the schema language's own type names,
/// which its type expressions use. (Aggregates, events and applications are
/// never named in type expressions, and the generated code names std items
/// by absolute path, so they may take any name Rust allows, `Option` or
/// `Result` included.)
pub(super) const SCHEMA_TYPE_NAMES: &[&str] = &[
    "String", "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f64", "Uuid",
    "Decimal", "DateTime", "Option", "Vec", "Map",
];

/// Names an aggregate's state fields and methods cannot take.
pub(super) const RESERVED_AGGREGATE: &[(&str, &str)] = &[
    ("id", "every aggregate has it (eventsmith::Aggregate::id)"),
    (
        "version",
        "every aggregate has it (eventsmith::Aggregate::version)",
    ),
    (
        "created_on",
        "every aggregate has it (eventsmith::Aggregate::created_on)",
    ),
    (
        "modified_on",
        "every aggregate has it (eventsmith::Aggregate::modified_on)",
    ),
    (
        "pending_events",
        "every aggregate has it (eventsmith::Aggregate::pending_events)",
    ),
    (
        "collect_events",
        "every aggregate has it (eventsmith::Aggregate::collect_events)",
    ),
    ("originator_id", "it names the aggregate's id in its events"),
    (
        "originator_version",
        "it names the aggregate's version in its events",
    ),
    (
        "core",
        "every aggregate keeps its id, version and pending events in it (eventsmith::Aggregate::core)",
    ),
    ("create", "it is the method that creates the aggregate"),
    (
        "create_id",
        "it is the method that gives a deterministic id to an aggregate",
    ),
    ("created_by", "the generated aggregate uses it"),
    (
        "write_snapshot",
        "every aggregate has it (eventsmith::Aggregate::write_snapshot)",
    ),
    (
        "from_snapshot",
        "every aggregate has it (eventsmith::Aggregate::from_snapshot)",
    ),
    ("upcast_snapshot", "the generated aggregate uses it"),
];

/// Methods of traits every aggregate implements (`Clone`, `PartialEq`,
/// `Debug`, and the blanket `Into`, `TryInto`, `ToOwned`, `Borrow`, `Any`):
/// called as `aggregate.name(..)`, they would be found before a command of
/// the same name, which takes `&mut self`.
pub(super) const TRAIT_METHODS: &[&str] = &[
    "into",
    "try_into",
    "clone",
    "clone_from",
    "clone_into",
    "to_owned",
    "eq",
    "ne",
    "fmt",
    "borrow",
    "borrow_mut",
    "type_id",
];

/// Names an event's arguments cannot take: the stored event has them already.
pub(super) const RESERVED_ARGS: &[(&str, &str)] = &[
    ("originator_id", "every event has it (the aggregate's id)"),
    (
        "originator_version",
        "every event has it (the aggregate's version)",
    ),
    ("timestamp", "every event has it (when it happened)"),
    (
        "originator_topic",
        "a created event stores the aggregate's topic under it",
    ),
    (
        "class_version",
        "the stored format uses it for the event's class version",
    ),
];

/// Method names every application facade has.
pub(super) const RESERVED_APP: &[(&str, &str)] = &[
    (
        "from_env",
        "it is a constructor of every application facade",
    ),
    (
        "isolated",
        "it is a constructor of every application facade",
    ),
    (
        "with_env",
        "it is a constructor of every application facade",
    ),
    (
        "log",
        "every application facade has it (the notification log)",
    ),
    (
        "repository",
        "every application facade has it (the repository)",
    ),
    (
        "application",
        "every application facade has it (the application, for its own crate)",
    ),
    (
        "take_snapshot",
        "every application facade has it (Python's take_snapshot)",
    ),
    ("new", "it is a constructor of every async facade"),
    ("with_pool", "it is a constructor of every async facade"),
    (
        "blocking",
        "every async facade has it (the blocking facade)",
    ),
    (
        "call",
        "every async facade has it (a call of the blocking facade)",
    ),
    (
        "subscribe",
        "every async facade has it (its notifications as a stream)",
    ),
];

/// Why a name cannot be taken.
enum Claim {
    Reserved(&'static str),
    Taken {
        pos: Pos,
        what: String,
        written: String,
    },
}

/// Names taken in one Rust namespace, by their Rust spelling.
pub(super) struct Names(HashMap<String, Claim>);

impl Names {
    pub(super) fn new<'a>(reserved: impl IntoIterator<Item = (&'a str, &'static str)>) -> Self {
        Self(
            reserved
                .into_iter()
                .map(|(n, why)| (n.trim_start_matches("r#").to_owned(), Claim::Reserved(why)))
                .collect(),
        )
    }

    /// Takes `rust` for `name` (described by `what`); reports a reserved or
    /// already taken name.
    pub(super) fn claim(
        &mut self,
        problems: &mut Problems,
        rust: &str,
        name: &Name,
        what: &str,
    ) -> bool {
        let key = rust.trim_start_matches("r#").to_owned();
        match self.0.get(&key) {
            None => {
                self.0.insert(
                    key,
                    Claim::Taken {
                        pos: name.pos,
                        what: what.to_owned(),
                        written: name.value.clone(),
                    },
                );
                true
            }
            Some(Claim::Reserved(why)) => {
                problems.add(
                    name.pos,
                    format!("{what} uses the reserved name '{key}': {why}"),
                    "another name",
                );
                false
            }
            Some(Claim::Taken {
                pos,
                what: other,
                written,
            }) => {
                let (message, expected) = if *written == name.value && other == what {
                    (
                        format!("{what} appears twice (first at {pos})"),
                        "each name once",
                    )
                } else if *written == name.value {
                    (
                        format!("{what} has the same name as {other} at {pos}"),
                        "a different name",
                    )
                } else {
                    (
                        format!("{what} collides with {other} at {pos}: both are '{key}' in Rust"),
                        "a different name",
                    )
                };
                problems.add(name.pos, message, expected);
                false
            }
        }
    }
}

/// How a name is cased in Rust.
#[derive(Clone, Copy)]
pub(super) enum Case {
    Snake,
    UpperCamel,
}
