//! Checking, the second stage: the schema as written becomes the
//! [`Model`], and every problem on the way is recorded with its position:
//! names that are not valid, reserved or collide once cased for Rust
//! ([`names`]), unknown types and value types that cannot be ([`types`]),
//! aggregates and their events ([`aggregate`]), state changes that name a
//! missing field or argument or mismatch their types ([`change`]), and
//! applications that name a missing aggregate, command or field
//! ([`application`]), and what they follow and the systems joining them
//! ([`follow`]).

mod aggregate;
mod application;
mod change;
mod follow;
mod id;
mod literal;
mod names;
mod types;
mod upcast;

use std::collections::HashMap;

pub(crate) use self::application::SETTINGS;
pub(crate) use self::types::{GENERICS, SCALARS};

use self::names::{Case, Names};
use self::types::TypeInfo;
use crate::ident::{self, escape, is_valid_name, snake, upper_camel};
use crate::model::{self, Model, Ty};
use crate::read::schema::{Name, Schema};
use crate::read::yaml::{Pos, Problems, Spanned};

/// Checks `schema`, recording every problem; the model is complete only
/// when no problem was recorded.
pub(crate) fn check(schema: &Schema, problems: &mut Problems) -> Model {
    let mut checker = Checker {
        problems,
        types: HashMap::new(),
        defaults: HashMap::new(),
        type_names: Names::new([]),
        topics: HashMap::new(),
        aggregate_refs: HashMap::new(),
        application_refs: HashMap::new(),
        aggregate_names: HashMap::new(),
    };
    for aggregate in &schema.aggregates {
        let name = model::Name {
            written: aggregate.name.value.clone(),
            cased: upper_camel(&aggregate.name.value),
        };
        checker
            .aggregate_names
            .insert(name.cased.clone(), name.clone());
        checker.aggregate_names.insert(name.written.clone(), name);
    }
    let module = match &schema.module {
        Some(module) => {
            if !is_dotted(&module.value) {
                checker.err(
                    module.pos,
                    format!("'{}' is not a topic module", module.value),
                    "dotted names such as 'universe' or 'bank.domain'",
                );
            }
            module.value.clone()
        }
        None => {
            // Required: were it the file's name, renaming the file would
            // change every stored topic, and a file name need not be a
            // module Python can resolve.
            checker.err(
                Pos { line: 1, column: 1 },
                "the schema has no 'module'",
                "module: the topic module, e.g. `module: universe` (stored topics are module:Aggregate.Event)",
            );
            String::new()
        }
    };
    let types = checker.value_types(&schema.types);
    for alias in &schema.module_aliases {
        if !is_dotted(&alias.value) {
            checker.err(
                alias.pos,
                format!("'{}' is not a topic module, in module_aliases", alias.value),
                "dotted names such as 'universe' or 'bank.domain'",
            );
        }
    }
    let aggregates = checker.aggregates(&schema.aggregates, &module, &schema.module_aliases);
    // Where each aggregate and application will be in the model (sorted by
    // name), for what refers to them: the aggregates that checked, and
    // every application (one with problems too, so that no place moves).
    let mut checked: Vec<&AggregateInfo> =
        aggregates.iter().filter(|a| a.model.is_some()).collect();
    checked.sort_by(|a, b| a.cased.cmp(&b.cased));
    checker.aggregate_refs = checked
        .iter()
        .enumerate()
        .map(|(at, a)| (a.written.clone(), model::AggregateRef(at)))
        .collect();
    let mut apps: Vec<&str> = schema
        .applications
        .iter()
        .map(|a| a.name.value.as_str())
        .collect();
    apps.sort_by_cached_key(|written| upper_camel(written));
    checker.application_refs = apps
        .iter()
        .enumerate()
        .map(|(at, written)| ((*written).to_owned(), model::ApplicationRef(at)))
        .collect();
    let applications = checker.applications(&schema.applications, &schema.aggregates, &aggregates);
    let systems = checker.systems(&schema.systems, &schema.applications);
    let mut model = Model {
        types,
        aggregates: placed(
            aggregates
                .into_iter()
                .filter_map(|a| Some((checker.aggregate_refs.get(&a.written)?.0, a.model?))),
        ),
        applications: placed(
            applications
                .into_iter()
                .filter_map(|a| Some((checker.application_refs.get(&a.name.written)?.0, a))),
        ),
        systems,
    };
    model
        .systems
        .sort_by(|a, b| a.name.cased.cmp(&b.name.cased));
    model
}

/// Items in the places given with them.
fn placed<T>(items: impl Iterator<Item = (usize, T)>) -> Vec<T> {
    let mut items: Vec<(usize, T)> = items.collect();
    items.sort_by_key(|(at, _)| *at);
    items.into_iter().map(|(_, item)| item).collect()
}

/// Whether `text` is a dotted module path such as `bank.domain`.
fn is_dotted(text: &str) -> bool {
    text.split('.').all(|part| {
        let mut chars = part.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Whether `text` is a topic such as `universe:World.Started`.
fn is_topic(text: &str) -> bool {
    matches!(text.split_once(':'), Some((module, name)) if is_dotted(module) && is_dotted(name))
}

/// A state field or argument, checked: the model's field and where it was
/// written.
#[derive(Debug, Clone)]
struct Slot {
    field: model::Field,
    pos: Pos,
}

impl Slot {
    fn written(&self) -> &str {
        &self.field.name.written
    }

    fn cased(&self) -> &str {
        &self.field.name.cased
    }

    fn ty(&self) -> &Ty {
        &self.field.ty
    }
}

/// What applications need of a checked aggregate, whether or not it had
/// problems of its own.
struct AggregateInfo {
    written: String,
    cased: String,
    state: Vec<Slot>,
    created: Vec<Slot>,
    /// Each command: its name as written and its arguments.
    commands: Vec<(String, Vec<Slot>)>,
    /// The model, when the aggregate had no problem.
    model: Option<model::Aggregate>,
}

struct Checker<'a> {
    problems: &'a mut Problems,
    /// Value types by their name in the schema.
    types: HashMap<String, TypeInfo>,
    /// Whether each value type has a default.
    defaults: HashMap<String, bool>,
    type_names: Names,
    /// Topics taken: topic → (position, what).
    topics: HashMap<String, (Pos, String)>,
    /// Each aggregate that checked, by its name as written: its place in
    /// the model.
    aggregate_refs: HashMap<String, model::AggregateRef>,
    /// Each application, by its name as written: its place in the model.
    application_refs: HashMap<String, model::ApplicationRef>,
    /// Each aggregate's name, by its name as written and by its Rust name:
    /// what `Id<Book>` and `BookId` refer to.
    aggregate_names: HashMap<String, model::Name>,
}

impl Checker<'_> {
    fn err(&mut self, pos: Pos, message: impl Into<String>, expected: impl Into<String>) {
        self.problems.add(pos, message, expected);
    }

    /// The topic the schema gives (checked to be `module:Name`), or the
    /// default one.
    fn topic(
        &mut self,
        given: Option<&Spanned<String>>,
        what: &str,
        expected: &str,
        default: impl FnOnce() -> String,
    ) -> String {
        match given {
            Some(topic) => {
                if !is_topic(&topic.value) {
                    self.err(
                        topic.pos,
                        format!("'{}' is not a topic for {what}", topic.value),
                        expected,
                    );
                }
                topic.value.clone()
            }
            None => default(),
        }
    }

    /// `name` cased for Rust; reports names that are not valid or cannot be
    /// Rust identifiers.
    fn ident(&mut self, name: &Name, case: Case, what: &str) -> Option<model::Name> {
        if !is_valid_name(&name.value) {
            self.err(
                name.pos,
                format!("the name of {what} is not valid"),
                "ASCII letters, digits and underscores, starting with a letter",
            );
            return None;
        }
        let cased = match case {
            Case::Snake => snake(&name.value),
            Case::UpperCamel => upper_camel(&name.value),
        };
        match escape(&cased) {
            Ok(_) => Some(model::Name {
                written: name.value.clone(),
                cased,
            }),
            Err(ident::Unusable) => {
                self.err(
                    name.pos,
                    format!(
                        "{what} would be named '{cased}' in Rust, a keyword that cannot be a name"
                    ),
                    "another name",
                );
                None
            }
        }
    }

    /// As [`ident`](Self::ident) for a type's name, but a name that is not
    /// valid is only reported: the cased text stands in for it (and `false`
    /// says so), so that what the name holds is checked too.
    fn type_ident(&mut self, name: &Name, what: &str) -> (model::Name, bool) {
        match self.ident(name, Case::UpperCamel, what) {
            Some(ident) => (ident, true),
            None => (
                model::Name {
                    written: name.value.clone(),
                    cased: upper_camel(&name.value),
                },
                false,
            ),
        }
    }

    fn claim_type(&mut self, rust: &str, name: &Name, what: &str) -> bool {
        self.type_names.claim(self.problems, rust, name, what)
    }

    fn claim_topic(&mut self, topic: &str, pos: Pos, what: &str) {
        if let Some((other_pos, other)) = self.topics.get(topic) {
            let message = format!("{what} has the topic '{topic}', as has {other} at {other_pos}");
            self.problems.add(
                pos,
                message,
                "a topic of its own for each event (set `topic:` on one of them)",
            );
        } else {
            self.topics.insert(topic.to_owned(), (pos, what.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_modules_are_dotted_names() {
        assert!(is_dotted("universe"));
        assert!(is_dotted("bank.domain_model"));
        assert!(!is_dotted("bank-accounts"));
        assert!(!is_dotted("bank..x"));
        assert!(is_topic("universe:World.Started"));
        assert!(!is_topic("universe.World"));
        assert!(!is_topic("a:b:c"));
    }
}
