//! Validation: the schema as written becomes the [`model`](crate::model), and
//! every problem on the way is recorded with its position: names that are
//! not valid, reserved or collide once cased for Rust, unknown types, state
//! changes that name a missing field or argument or mismatch their types, and
//! applications that name a missing aggregate, command or field.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::{did_you_mean, one_of};
use crate::ident::{self, escape, is_valid_name, snake, str_lit, upper_camel};
use crate::model::{self, doc_lines, with_article};
use crate::schema::{self, Apply, Name, Op, Schema, Source, Target, TypeBody};
use crate::types::{self, GENERICS, SCALARS, Syntax, Ty, TypeTable};
use crate::yaml::{Pos, Problems, Spanned};

/// Type names the schema language or the generated code uses.
const RESERVED_TYPES: &[&str] = &[
    "Option", "Vec", "Map", "Some", "None", "String", "Box", "Result", "Ok", "Err", "Default",
    "Into", "From", "Self",
];

/// Names an aggregate's state fields and methods cannot take.
const RESERVED_AGGREGATE: &[(&str, &str)] = &[
    (
        "id",
        "every aggregate has it (eventsourcing::Aggregate::id)",
    ),
    (
        "version",
        "every aggregate has it (eventsourcing::Aggregate::version)",
    ),
    (
        "created_on",
        "every aggregate has it (eventsourcing::Aggregate::created_on)",
    ),
    (
        "modified_on",
        "every aggregate has it (eventsourcing::Aggregate::modified_on)",
    ),
    (
        "pending_events",
        "every aggregate has it (eventsourcing::Aggregate::pending_events)",
    ),
    (
        "collect_events",
        "every aggregate has it (eventsourcing::Aggregate::collect_events)",
    ),
    ("originator_id", "it names the aggregate's id in its events"),
    (
        "originator_version",
        "it names the aggregate's version in its events",
    ),
    (
        "meta",
        "the generated aggregate keeps its id and version in it",
    ),
    ("create", "it is the method that creates the aggregate"),
    ("created_by", "the generated aggregate uses it"),
];

/// Names an event's arguments cannot take: the stored event has them already.
const RESERVED_ARGS: &[(&str, &str)] = &[
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
const RESERVED_APP: &[(&str, &str)] = &[
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
        "new",
        "it is a method of eventsourcing::Application, which the facade dereferences to",
    ),
    (
        "name",
        "it is a method of eventsourcing::Application, which the facade dereferences to",
    ),
    (
        "env",
        "it is a method of eventsourcing::Application, which the facade dereferences to",
    ),
    (
        "repository",
        "it is a method of eventsourcing::Application, which the facade dereferences to",
    ),
    (
        "log",
        "it is a method of eventsourcing::Application, which the facade dereferences to",
    ),
    (
        "event_store",
        "it is a method of eventsourcing::Application, which the facade dereferences to",
    ),
    (
        "recorder",
        "it is a method of eventsourcing::Application, which the facade dereferences to",
    ),
    (
        "save",
        "it is a method of eventsourcing::Application, which the facade dereferences to",
    ),
    (
        "save_all",
        "it is a method of eventsourcing::Application, which the facade dereferences to",
    ),
    (
        "with_infrastructure",
        "it is a method of eventsourcing::Application, which the facade dereferences to",
    ),
];

/// Settings an application's `env:` may give defaults for.
pub(crate) const SETTINGS: &[&str] = &[
    "INFRASTRUCTURE_FACTORY",
    "PERSISTENCE_MODULE",
    "SQLITE_DBNAME",
    "SQLITE_LOCK_TIMEOUT",
    "POSTGRES_DBNAME",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "POSTGRES_CONN_MAX_AGE",
    "POSTGRES_PRE_PING",
    "POSTGRES_LOCK_TIMEOUT",
    "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT",
    "POSTGRES_POOL_SIZE",
    "POSTGRES_SCHEMA",
    "CIPHER_TOPIC",
    "COMPRESSOR_TOPIC",
];

/// Settings that are secrets, refused in a schema.
const SECRET_SETTINGS: &[&str] = &["CIPHER_KEY", "POSTGRES_PASSWORD"];

/// Validates `schema`, recording every problem; the model is complete only
/// when no problem was recorded.
pub(crate) fn validate(
    schema: &Schema,
    default_module: &str,
    problems: &mut Problems,
) -> model::File {
    let mut v = Validator {
        problems,
        types: HashMap::new(),
        defaults: HashMap::new(),
        type_names: Names::new(RESERVED_TYPES.iter().map(|n| {
            (
                *n,
                "the schema language or the generated code uses this name",
            )
        })),
        topics: HashMap::new(),
    };
    let module = match &schema.module {
        Some(module) => {
            if !is_dotted(&module.value) {
                v.err(
                    module.pos,
                    format!("'{}' is not a topic module", module.value),
                    "dotted names such as 'universe' or 'bank.domain'",
                );
            }
            module.value.clone()
        }
        None => default_module.to_owned(),
    };
    let types = v.value_types(&schema.types);
    let aggregates = v.aggregates(&schema.aggregates, &module);
    let applications = v.applications(&schema.applications, &schema.aggregates, &aggregates);
    let mut file = model::File {
        types,
        aggregates: aggregates.into_iter().filter_map(|a| a.model).collect(),
        applications,
    };
    file.types.sort_by(|a, b| a.name.cmp(&b.name));
    file.aggregates.sort_by(|a, b| a.name.cmp(&b.name));
    file.applications.sort_by(|a, b| a.name.cmp(&b.name));
    file
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
struct Names(HashMap<String, Claim>);

impl Names {
    fn new<'a>(reserved: impl IntoIterator<Item = (&'a str, &'static str)>) -> Self {
        Self(
            reserved
                .into_iter()
                .map(|(n, why)| (n.trim_start_matches("r#").to_owned(), Claim::Reserved(why)))
                .collect(),
        )
    }

    /// Takes `rust` for `name` (described by `what`); reports a reserved or
    /// already taken name.
    fn claim(&mut self, problems: &mut Problems, rust: &str, name: &Name, what: &str) -> bool {
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
enum Case {
    Snake,
    UpperCamel,
}

/// A value type's validated shape.
struct TypeInfo {
    rust: String,
    pos: Pos,
    /// Resolved field types, per variant for an enum (one list for a struct),
    /// with the name of the field.
    fields: Vec<(String, Ty)>,
    /// For an enum: whether its first variant is a unit variant.
    enum_default: Option<bool>,
}

struct Table<'a>(&'a HashMap<String, bool>);

impl TypeTable for Table<'_> {
    fn has_default(&self, schema_name: &str) -> bool {
        self.0.get(schema_name).copied().unwrap_or(true)
    }
}

/// A state field or argument, validated.
#[derive(Clone)]
struct Slot {
    /// As written in the schema.
    written: String,
    ident: String,
    ty: Ty,
    pos: Pos,
}

/// What later stages need of a validated aggregate.
struct AggregateInfo {
    written: String,
    rust: String,
    var: String,
    state: Vec<Slot>,
    created_args: Vec<model::Field>,
    created_slots: Vec<Slot>,
    /// Command name as written → (method identifier, arguments).
    commands: Vec<(String, String, Vec<model::Field>, Vec<Slot>)>,
    model: Option<model::Aggregate>,
}

struct Validator<'a> {
    problems: &'a mut Problems,
    /// Value types by their name in the schema.
    types: HashMap<String, TypeInfo>,
    /// Whether each value type has a default.
    defaults: HashMap<String, bool>,
    type_names: Names,
    /// Topics taken: topic → (position, what).
    topics: HashMap<String, (Pos, String)>,
}

impl Validator<'_> {
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

    /// The Rust identifier for `name`, cased; reports names that are not
    /// valid or cannot be Rust identifiers.
    fn ident(&mut self, name: &Name, case: Case, what: &str) -> Option<String> {
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
            Ok(rust) => Some(rust),
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

    /// As [`ident`](Self::ident), but a name that is not valid is only
    /// reported: the cased text stands in for it (and `false` says so), so
    /// that what the name holds is checked too.
    fn ident_or_cased(&mut self, name: &Name, case: Case, what: &str) -> (String, bool) {
        match self.ident(name, case, what) {
            Some(rust) => (rust, true),
            None => (upper_camel(&name.value), false),
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

    // --- types -----------------------------------------------------------

    fn type_expected(&self) -> String {
        let mut own: Vec<&str> = self.types.keys().map(String::as_str).collect();
        own.sort_unstable();
        let own = if own.is_empty() {
            "this schema declares no types of its own".to_owned()
        } else {
            format!("or one of this schema's types: {}", own.join(", "))
        };
        format!(
            "a type: {}, {}; {own}",
            SCALARS.join(", "),
            GENERICS.join(", ")
        )
    }

    /// Resolves a type as written; reports unknown names and wrong shapes.
    fn resolve(&mut self, text: &Spanned<String>, what: &str) -> Option<Ty> {
        match types::parse(&text.value) {
            Ok(syntax) => self.resolve_syntax(&syntax, text, what),
            Err((offset, found)) => {
                let expected = if text.value.contains('<') && !text.value.contains('>') {
                    "a whole type; inside `{ ... }` a comma ends the value, so quote a type that has one: \"Map<String, i64>\""
                } else {
                    "a type such as String, Vec<String> or Map<String, i64>"
                };
                self.err(
                    text.pos_at(offset),
                    format!(
                        "cannot read the type '{}' of {what}: found {found}",
                        text.value
                    ),
                    expected,
                );
                None
            }
        }
    }

    fn resolve_syntax(
        &mut self,
        syntax: &Syntax,
        text: &Spanned<String>,
        what: &str,
    ) -> Option<Ty> {
        let pos = text.pos_at(syntax.offset);
        let name = syntax.name.as_str();
        let arity = match name {
            "Option" | "Vec" => 1,
            "Map" => 2,
            _ => 0,
        };
        if syntax.args.len() != arity {
            let form = match name {
                "Option" => "Option<T>".to_owned(),
                "Vec" => "Vec<T>".to_owned(),
                "Map" => "Map<String, T>".to_owned(),
                _ => name.to_owned(),
            };
            let message = match arity {
                0 => format!("type '{name}' of {what} takes no type arguments"),
                1 => format!("type '{name}' of {what} takes one type argument"),
                _ => format!("type '{name}' of {what} takes two type arguments"),
            };
            if arity > 0 || Ty::scalar(name).is_some() || self.types.contains_key(name) {
                self.err(pos, message, form);
                return None;
            }
        }
        match name {
            "Option" => {
                let inner = self.resolve_syntax(&syntax.args[0], text, what)?;
                if matches!(inner, Ty::Option(_)) {
                    self.err(pos, format!("type '{}' of {what} nests an Option in an Option", text.value), "a single Option: stored as JSON, None and Some(None) would be the same null");
                    return None;
                }
                Some(Ty::Option(Box::new(inner)))
            }
            "Vec" => Some(Ty::Vec(Box::new(self.resolve_syntax(
                &syntax.args[0],
                text,
                what,
            )?))),
            "Map" => {
                let key = &syntax.args[0];
                let value = self.resolve_syntax(&syntax.args[1], text, what);
                if key.name != "String" || !key.args.is_empty() {
                    self.err(
                        text.pos_at(key.offset),
                        format!("the keys of a map must be String, in {what}"),
                        "Map<String, T>: stored as a JSON object, whose keys are strings",
                    );
                    return None;
                }
                Some(Ty::Map(Box::new(value?)))
            }
            _ => {
                if let Some(ty) = Ty::scalar(name) {
                    return Some(ty);
                }
                if let Some(info) = self.types.get(name) {
                    return Some(Ty::Named {
                        schema: name.to_owned(),
                        rust: info.rust.clone(),
                    });
                }
                let mut candidates: Vec<&str> = SCALARS.to_vec();
                candidates.extend(["Option", "Vec", "Map"]);
                candidates.extend(self.types.keys().map(String::as_str));
                let hint = did_you_mean(name, candidates)
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                let expected = self.type_expected();
                self.err(
                    pos,
                    format!("unknown type '{name}' for {what}{hint}"),
                    expected,
                );
                None
            }
        }
    }

    /// Validates fields (of a value type, state or arguments): names,
    /// collisions, reserved names and types.
    fn slots(
        &mut self,
        fields: &[schema::Field],
        kind: &str,
        owner: &str,
        names: &mut Names,
    ) -> Vec<(Slot, Option<String>)> {
        let mut out = Vec::new();
        for field in fields {
            let fwhat = format!("{kind} '{}' of {owner}", field.name.value);
            let ident = self.ident(&field.name, Case::Snake, &fwhat);
            let ty = self.resolve(&field.ty, &fwhat).unwrap_or(Ty::Unknown);
            if let Some(ident) = &ident {
                names.claim(self.problems, ident, &field.name, &fwhat);
            }
            if let Some(ident) = ident {
                out.push((
                    Slot {
                        written: field.name.value.clone(),
                        ident,
                        ty,
                        pos: field.name.pos,
                    },
                    field.doc.clone(),
                ));
            }
        }
        out
    }

    fn value_types(&mut self, defs: &[schema::TypeDef]) -> Vec<model::ValueType> {
        // Names first, so that types can refer to each other.
        let mut known = Vec::new();
        for def in defs {
            let what = format!("type '{}'", def.name.value);
            let (rust, valid) = self.ident_or_cased(&def.name, Case::UpperCamel, &what);
            if !valid || self.claim_type(&rust, &def.name, &what) {
                self.types.insert(
                    def.name.value.clone(),
                    TypeInfo {
                        rust,
                        pos: def.name.pos,
                        fields: Vec::new(),
                        enum_default: None,
                    },
                );
                known.push(def);
            }
        }
        let mut bodies = Vec::new();
        for def in known {
            let what = format!("type '{}'", def.name.value);
            let rust = self.types[&def.name.value].rust.clone();
            let mut resolved = Vec::new();
            let body = match &def.body {
                TypeBody::Struct(fields) => {
                    let slots = self.slots(fields, "field", &what, &mut Names::new([]));
                    resolved.extend(slots.iter().map(|(s, _)| (s.written.clone(), s.ty.clone())));
                    (false, slots, Vec::new())
                }
                TypeBody::Enum(variants) => {
                    let mut names = Names::new([]);
                    let mut out = Vec::new();
                    if variants.is_empty() {
                        self.err(
                            def.name.pos,
                            format!("{what} has no variants"),
                            "at least one variant",
                        );
                    }
                    for variant in variants {
                        let vwhat = format!("variant '{}' of {what}", variant.name.value);
                        let Some(vrust) = self.ident(&variant.name, Case::UpperCamel, &vwhat)
                        else {
                            continue;
                        };
                        names.claim(self.problems, &vrust, &variant.name, &vwhat);
                        let slots =
                            self.slots(&variant.fields, "field", &vwhat, &mut Names::new([]));
                        resolved
                            .extend(slots.iter().map(|(s, _)| (s.written.clone(), s.ty.clone())));
                        out.push((variant, vrust, slots));
                    }
                    if let Some(info) = self.types.get_mut(&def.name.value) {
                        info.enum_default =
                            Some(variants.first().is_some_and(|v| v.fields.is_empty()));
                    }
                    (true, Vec::new(), out)
                }
            };
            if let Some(info) = self.types.get_mut(&def.name.value) {
                info.fields = resolved;
            }
            bodies.push((def, rust, body));
        }
        self.check_type_cycles();
        self.compute_defaults();
        bodies
            .into_iter()
            .map(
                |(def, rust, (is_enum, fields, variants))| model::ValueType {
                    doc: doc_lines(
                        def.doc
                            .as_deref()
                            .unwrap_or(&format!("The `{}` value type.", def.name.value)),
                    ),
                    derive_default: self.defaults.get(&def.name.value).copied().unwrap_or(false),
                    is_enum,
                    fields: fields
                        .into_iter()
                        .map(|(slot, doc)| field_model(&slot, doc.as_deref()))
                        .collect(),
                    variants: variants
                        .into_iter()
                        .enumerate()
                        .map(|(i, (variant, vrust, slots))| model::Variant {
                            doc: doc_lines(
                                variant
                                    .doc
                                    .as_deref()
                                    .unwrap_or(&format!("`{}`.", variant.name.value)),
                            ),
                            rename: (vrust != variant.name.value)
                                .then(|| str_lit(&variant.name.value)),
                            is_default: i == 0 && slots.is_empty() && variant.fields.is_empty(),
                            fields: slots
                                .into_iter()
                                .map(|(slot, doc)| field_model(&slot, doc.as_deref()))
                                .collect(),
                            name: vrust,
                        })
                        .collect(),
                    name: rust,
                },
            )
            .collect()
    }

    /// Reports value types that contain themselves other than through a
    /// `Vec` or `Map`: they would be of infinite size.
    fn check_type_cycles(&mut self) {
        fn direct(ty: &Ty, out: &mut Vec<String>) {
            match ty {
                Ty::Named { schema, .. } => out.push(schema.clone()),
                Ty::Option(inner) => direct(inner, out),
                _ => {}
            }
        }
        let mut edges: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (name, info) in &self.types {
            let mut out = Vec::new();
            for (_, ty) in &info.fields {
                direct(ty, &mut out);
            }
            edges.insert(name, out);
        }
        let mut found = Vec::new();
        for (start, next) in &edges {
            let mut seen = HashSet::new();
            let mut stack: Vec<&str> = next.iter().map(String::as_str).collect();
            while let Some(n) = stack.pop() {
                if n == *start {
                    found.push(((*start).to_owned(), self.types[*start].pos));
                    break;
                }
                if seen.insert(n) {
                    stack.extend(edges.get(n).into_iter().flatten().map(String::as_str));
                }
            }
        }
        for (name, pos) in found {
            self.err(
                pos,
                format!("type '{name}' contains itself, so a value of it would never end"),
                "the recursion inside a Vec or a Map",
            );
        }
    }

    fn compute_defaults(&mut self) {
        fn visit(
            name: &str,
            types: &HashMap<String, TypeInfo>,
            memo: &mut HashMap<String, bool>,
            visiting: &mut HashSet<String>,
        ) -> bool {
            if let Some(known) = memo.get(name) {
                return *known;
            }
            let Some(info) = types.get(name) else {
                return true;
            };
            if !visiting.insert(name.to_owned()) {
                return true;
            }
            let result = match info.enum_default {
                Some(first_is_unit) => first_is_unit,
                None => info.fields.iter().all(|(_, ty)| match ty {
                    Ty::Named { schema, .. } => visit(schema, types, memo, visiting),
                    _ => true,
                }),
            };
            visiting.remove(name);
            memo.insert(name.to_owned(), result);
            result
        }
        let mut memo = HashMap::new();
        let names: Vec<String> = self.types.keys().cloned().collect();
        for name in names {
            visit(&name, &self.types, &mut memo, &mut HashSet::new());
        }
        self.defaults = memo;
    }

    // --- aggregates ------------------------------------------------------

    fn aggregates(&mut self, aggregates: &[schema::Aggregate], module: &str) -> Vec<AggregateInfo> {
        // Event struct names: an event's own name, or prefixed with its
        // aggregate's when two aggregates have events of the same name.
        let mut event_count: HashMap<String, usize> = HashMap::new();
        for aggregate in aggregates {
            for event in std::iter::once(&aggregate.created)
                .chain(aggregate.commands.iter().map(|c| &c.event))
            {
                *event_count
                    .entry(upper_camel(&event.name.value))
                    .or_default() += 1;
            }
        }
        aggregates
            .iter()
            .filter_map(|a| self.aggregate(a, module, &event_count))
            .collect()
    }

    fn aggregate(
        &mut self,
        aggregate: &schema::Aggregate,
        module: &str,
        event_count: &HashMap<String, usize>,
    ) -> Option<AggregateInfo> {
        let what = format!("aggregate '{}'", aggregate.name.value);
        // A name that cannot be used is reported; the rest is still checked.
        let (rust, valid) = self.ident_or_cased(&aggregate.name, Case::UpperCamel, &what);
        let mut ok = valid && self.claim_type(&rust, &aggregate.name, &what);
        let event_enum = format!("{rust}Event");
        ok &= self.claim_type(
            &event_enum,
            &aggregate.name,
            &format!("the event enum '{event_enum}' of {what}"),
        );
        let var = escape(&snake(&rust)).unwrap_or_else(|_| "aggregate".to_owned());
        let noun = snake(&rust).replace('_', " ");

        let topic = self.topic(
            aggregate.topic.as_ref(),
            &what,
            "'module:Name', e.g. 'universe:World'",
            || format!("{module}:{}", aggregate.name.value),
        );

        // State fields and getters share the aggregate's method namespace.
        let mut methods = Names::new(RESERVED_AGGREGATE.iter().copied());
        let state_slots = self.slots(&aggregate.state, "state field", &what, &mut methods);
        for (slot, _) in &state_slots {
            if !slot.ty.has_default(&Table(&self.defaults)) {
                let Ty::Named { schema, .. } = &slot.ty else {
                    continue;
                };
                self.err(
                    slot.pos,
                    format!("state field '{}' of {what} has type '{schema}', which has no default value to start from", slot.written),
                    format!("a type with a default: make the first variant of '{schema}' a unit variant, or use Option<{schema}>"),
                );
                ok = false;
            }
        }
        let state: Vec<Slot> = state_slots.iter().map(|(s, _)| s.clone()).collect();

        let mut event_names = Names::new([]);
        let mut apply_trait = None;
        let mut events = Vec::new();
        let mut commands = Vec::new();
        let mut infos = Vec::new();
        let created = self.event(
            &aggregate.created,
            None,
            &rust,
            &topic,
            &state,
            event_count,
            &mut event_names,
            &mut methods,
        );
        let created_info = created.map(|(event, slots)| {
            events.push(event.clone());
            (event.args.clone(), slots)
        });
        for command in &aggregate.commands {
            let cwhat = format!("command '{}' of {what}", command.name.value);
            let Some(name) = self.ident(&command.name, Case::Snake, &cwhat) else {
                continue;
            };
            methods.claim(self.problems, &name, &command.name, &cwhat);
            let Some((event, slots)) = self.event(
                &command.event,
                Some(command),
                &rust,
                &topic,
                &state,
                event_count,
                &mut event_names,
                &mut methods,
            ) else {
                continue;
            };
            let mut doc = match &command.doc {
                Some(doc) => doc_lines(doc),
                None => vec![format!("Triggers [`{}`].", event.struct_name)],
            };
            if command.doc.is_some() {
                doc.extend([
                    String::new(),
                    format!("Triggers [`{}`].", event.struct_name),
                ]);
            }
            infos.push((
                command.name.value.clone(),
                name.clone(),
                event.args.clone(),
                slots,
            ));
            events.push(event.clone());
            commands.push(model::Command { name, doc, event });
        }
        if events.iter().any(|e| e.apply == "custom") {
            let name = format!("{rust}Apply");
            ok &= self.claim_type(
                &name,
                &aggregate.name,
                &format!("the trait '{name}' of {what}'s custom state changes"),
            );
            apply_trait = Some(name);
        }
        let (created_args, created_slots) = created_info?;
        let model = ok.then(|| model::Aggregate {
            doc: doc_lines(
                aggregate
                    .doc
                    .as_deref()
                    .unwrap_or(&format!("The `{}` aggregate.", aggregate.name.value)),
            ),
            topic: str_lit(&topic),
            state: state_slots
                .iter()
                .map(|(slot, doc)| {
                    let (getter_ty, getter_expr) = slot.ty.getter(&slot.ident);
                    model::StateField {
                        name: slot.ident.clone(),
                        ty: slot.ty.rust(),
                        doc: doc_lines(
                            doc.as_deref()
                                .unwrap_or(&format!("The {noun}'s `{}`.", slot.written)),
                        ),
                        getter_ty,
                        getter_expr,
                    }
                })
                .collect(),
            name: rust.clone(),
            var: var.clone(),
            a_noun: with_article(&noun),
            noun,
            event_enum,
            apply_trait,
            events,
            commands,
        });
        Some(AggregateInfo {
            written: aggregate.name.value.clone(),
            rust,
            var,
            state,
            created_args,
            created_slots,
            commands: infos,
            model,
        })
    }

    /// Validates an event (the created one when `command` is `None`).
    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        event: &schema::Event,
        command: Option<&schema::Command>,
        aggregate: &str,
        aggregate_topic: &str,
        state: &[Slot],
        event_count: &HashMap<String, usize>,
        event_names: &mut Names,
        methods: &mut Names,
    ) -> Option<(model::Event, Vec<Slot>)> {
        let what = format!("event '{}' of aggregate '{aggregate}'", event.name.value);
        let variant = self.ident(&event.name, Case::UpperCamel, &what)?;
        let unique = event_names.claim(self.problems, &variant, &event.name, &what);
        let struct_name = if event_count.get(&variant).copied().unwrap_or(0) > 1 {
            format!("{aggregate}{variant}")
        } else {
            variant.clone()
        };
        if unique {
            self.claim_type(&struct_name, &event.name, &what);
        }
        let topic = self.topic(
            event.topic.as_ref(),
            &what,
            "'module:Name', e.g. 'universe:World.Started'",
            || format!("{aggregate_topic}.{}", event.name.value),
        );
        self.claim_topic(
            &topic,
            event.topic.as_ref().map_or(event.name.pos, |t| t.pos),
            &what,
        );

        let slots = self.slots(
            &event.args,
            "argument",
            &what,
            &mut Names::new(RESERVED_ARGS.iter().copied()),
        );
        let apply_fn = format!("apply_{}", snake(&variant));
        let (apply, changes) = match &event.apply {
            Apply::Custom => ("custom", Vec::new()),
            Apply::Changes(changes) => {
                let changes: Vec<model::Change> = changes
                    .iter()
                    .filter_map(|c| self.change(c, state, &slots, &what))
                    .collect();
                (
                    if changes.is_empty() {
                        "none"
                    } else {
                        "changes"
                    },
                    changes,
                )
            }
        };
        if apply != "none" {
            let fn_name = Spanned {
                value: apply_fn.clone(),
                pos: event.name.pos,
                exact: false,
            };
            methods.claim(
                self.problems,
                &apply_fn,
                &fn_name,
                &format!("the method applying {what}"),
            );
        }
        let args: Vec<model::Field> = slots
            .iter()
            .map(|(slot, doc)| field_model(slot, doc.as_deref()))
            .collect();
        let doc = match command {
            None => {
                let mut doc = vec![format!("The event that creates a [`{aggregate}`].")];
                if let Some(text) = &event.doc {
                    doc.push(String::new());
                    doc.extend(doc_lines(text));
                }
                doc
            }
            Some(command) => {
                let method = escape(&snake(&command.name.value)).unwrap_or_default();
                let mut doc = vec![format!("The event of [`{aggregate}::{method}`].")];
                if let Some(text) = &command.doc {
                    doc.push(String::new());
                    doc.extend(doc_lines(text));
                }
                doc
            }
        };
        let params = args.len() + usize::from(command.is_some());
        let reads_event = changes
            .iter()
            .any(|c| c.value.contains("event.") || c.key.contains("event."));
        let model = model::Event {
            event_param: if reads_event { "event" } else { "_event" },
            variant,
            struct_name,
            topic: str_lit(&topic),
            doc,
            args,
            is_created: command.is_none(),
            apply_fn,
            apply,
            changes,
            many_args: params > 7,
        };
        Some((model, slots.into_iter().map(|(s, _)| s).collect()))
    }

    /// Validates one declarative state change against the state fields and
    /// the event's arguments.
    fn change(
        &mut self,
        change: &schema::Change,
        state: &[Slot],
        args: &[(Slot, Option<String>)],
        event: &str,
    ) -> Option<model::Change> {
        let op = change.op;
        let Some(field) = state.iter().find(|s| s.written == change.field.value) else {
            let names: Vec<&str> = state.iter().map(|s| s.written.as_str()).collect();
            let hint = did_you_mean(&change.field.value, names.iter().copied())
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            self.err(
                change.field.pos,
                format!(
                    "'{}' in {} of {event} is not a state field{hint}",
                    change.field.value,
                    op.name()
                ),
                one_of(&names, "a state field, but the aggregate has none"),
            );
            return None;
        };
        let f = format!("state field '{}' ({})", field.written, field.ty);
        // The argument a change takes its value from, with its type and the
        // expression that reads it.
        let arg = |v: &mut Self, name: &Name| -> Option<(Ty, String, String)> {
            if name.value == "timestamp" {
                return Some((
                    Ty::DateTime,
                    "event.timestamp".to_owned(),
                    "the event's timestamp".to_owned(),
                ));
            }
            match args.iter().find(|(s, _)| s.written == name.value) {
                Some((slot, _)) => Some((
                    slot.ty.clone(),
                    format!("event.{}", slot.ident),
                    format!("argument '{}'", slot.written),
                )),
                None => {
                    let mut names: Vec<&str> =
                        args.iter().map(|(s, _)| s.written.as_str()).collect();
                    names.push("timestamp");
                    if matches!(change.source, Source::Short) {
                        v.err(
                            name.pos,
                            format!("`{0}: {1}` takes the argument named '{1}', which {event} does not have", op.name(), name.value),
                            format!("an argument '{}', or `{}: {{ {}: ARG }}` with ARG {}", name.value, op.name(), name.value, one_of(&names, "")),
                        );
                        return None;
                    }
                    let hint = did_you_mean(&name.value, names.iter().copied())
                        .map(|s| format!("; did you mean '{s}'?"))
                        .unwrap_or_default();
                    v.err(
                        name.pos,
                        format!(
                            "'{}' in {} of {event} is not an argument of the event{hint}",
                            name.value,
                            op.name()
                        ),
                        one_of(&names, ""),
                    );
                    None
                }
            }
        };
        let short = || Name {
            value: field.written.clone(),
            pos: change.field.pos,
            exact: change.field.exact,
        };
        let source_name = match &change.source {
            Source::Short if !matches!(op, Op::Increment | Op::Decrement | Op::Clear) => {
                Some(short())
            }
            Source::Arg(name) => Some(name.clone()),
            _ => None,
        };
        let source = match &source_name {
            Some(name) => Some(arg(self, name)?),
            None => None,
        };
        if field.ty.is_unknown() || source.as_ref().is_some_and(|(ty, ..)| ty.is_unknown()) {
            return None; // the type is reported where it is declared
        }
        let verb = match op {
            Op::Push => "push onto",
            Op::Insert => "insert into",
            Op::Remove => "remove from",
            _ => op.name(),
        };
        let mismatch = |v: &mut Self, pos: Pos, from: &str, ty: &Ty, expected: String| {
            v.err(
                pos,
                format!("cannot {verb} {f} with {from} of type {ty}"),
                expected,
            );
        };
        let at = source_name.as_ref().map_or(change.pos, |n| n.pos);
        let field_ident = field.ident.clone();
        let make = |kind: &'static str, value: String, key: String| model::Change {
            kind,
            field: field_ident.clone(),
            value,
            key,
        };
        match (op, &change.source, &field.ty, source) {
            (Op::Set, Source::Bool(b), ty, _) => match ty {
                Ty::Bool => Some(make("set", b.value.to_string(), String::new())),
                Ty::Option(inner) if **inner == Ty::Bool => {
                    Some(make("set", format!("Some({})", b.value), String::new()))
                }
                _ => {
                    self.err(
                        b.pos,
                        format!("cannot set {f} to {}", b.value),
                        "a bool state field for true or false",
                    );
                    None
                }
            },
            (Op::Set, _, ty, Some((src, expr, from))) => {
                if *ty == src {
                    Some(make("set", src.owned(&expr), String::new()))
                } else if *ty == Ty::Option(Box::new(src.clone())) {
                    Some(make(
                        "set",
                        format!("Some({})", src.owned(&expr)),
                        String::new(),
                    ))
                } else {
                    mismatch(self, at, &from, &src, format!("an argument of type {ty}"));
                    None
                }
            }
            (Op::Push, _, Ty::Vec(item), Some((src, expr, from))) => {
                if **item == src {
                    Some(make("push", src.owned(&expr), String::new()))
                } else {
                    mismatch(self, at, &from, &src, format!("an argument of type {item}"));
                    None
                }
            }
            (Op::Extend, _, ty @ (Ty::Vec(_) | Ty::Map(_)), Some((src, expr, from))) => {
                if *ty == src {
                    Some(make("extend", src.owned(&expr), String::new()))
                } else {
                    mismatch(self, at, &from, &src, format!("an argument of type {ty}"));
                    None
                }
            }
            (Op::Insert, Source::KeyValue { key, value }, Ty::Map(item), _) => {
                let key_arg = arg(self, key);
                let value_arg = arg(self, value);
                let ((kty, kexpr, kfrom), (vty, vexpr, vfrom)) = (key_arg?, value_arg?);
                if kty.is_unknown() || vty.is_unknown() {
                    return None;
                }
                let mut ok = true;
                if kty != Ty::String {
                    mismatch(
                        self,
                        key.pos,
                        &kfrom,
                        &kty,
                        "a String argument for the key".to_owned(),
                    );
                    ok = false;
                }
                if vty != **item {
                    mismatch(
                        self,
                        value.pos,
                        &vfrom,
                        &vty,
                        format!("an argument of type {item} for the value"),
                    );
                    ok = false;
                }
                ok.then(|| make("insert", vty.owned(&vexpr), kty.owned(&kexpr)))
            }
            (Op::Remove, _, Ty::Map(_), Some((src, expr, from))) => {
                if src == Ty::String {
                    Some(make("remove_key", String::new(), format!("&{expr}")))
                } else {
                    mismatch(
                        self,
                        at,
                        &from,
                        &src,
                        "a String argument: the key to remove".to_owned(),
                    );
                    None
                }
            }
            (Op::Remove, _, Ty::Vec(item), Some((src, expr, from))) => {
                if **item == src {
                    Some(make("remove_item", format!("&{expr}"), String::new()))
                } else {
                    mismatch(
                        self,
                        at,
                        &from,
                        &src,
                        format!("an argument of type {item}: the items equal to it are removed"),
                    );
                    None
                }
            }
            (Op::Increment | Op::Decrement, _, ty, source) if ty.is_number() => {
                let kind = if op == Op::Increment { "add" } else { "sub" };
                match (&change.source, source) {
                    (Source::Short, _) => Some(make(kind, ty.number_literal(1), String::new())),
                    (Source::Int(n), _) => {
                        if let Some(max) = int_max(ty)
                            && n.value > max
                        {
                            self.err(
                                n.pos,
                                format!("{} is too large for {f}", n.value),
                                format!("a number up to {max}"),
                            );
                            return None;
                        }
                        Some(make(kind, ty.number_literal(n.value), String::new()))
                    }
                    (_, Some((src, expr, from))) => {
                        if src == *ty {
                            Some(make(kind, expr, String::new()))
                        } else {
                            mismatch(
                                self,
                                at,
                                &from,
                                &src,
                                format!("an argument of type {ty}, or a whole number"),
                            );
                            None
                        }
                    }
                    _ => None,
                }
            }
            (Op::Clear, _, ty, _) => Some(match ty {
                Ty::Vec(_) | Ty::Map(_) => make("clear", String::new(), String::new()),
                Ty::Option(_) => make("clear_option", String::new(), String::new()),
                _ => make("reset", String::new(), String::new()),
            }),
            _ => {
                let fits = match op {
                    Op::Push => "a Vec state field",
                    Op::Extend => "a Vec or Map state field",
                    Op::Insert => "a Map state field",
                    Op::Remove => "a Map or Vec state field",
                    Op::Increment | Op::Decrement => {
                        "a number state field (integer, f64 or Decimal)"
                    }
                    Op::Set | Op::Clear => "a state field",
                };
                self.err(change.field.pos, format!("cannot {verb} {f}"), fits);
                None
            }
        }
    }

    // --- applications ----------------------------------------------------

    fn applications(
        &mut self,
        apps: &[schema::Application],
        written: &[schema::Aggregate],
        aggregates: &[AggregateInfo],
    ) -> Vec<model::Application> {
        let all_names: Vec<&str> = written.iter().map(|a| a.name.value.as_str()).collect();
        apps.iter()
            .filter_map(|app| self.application(app, &all_names, aggregates))
            .collect()
    }

    fn application(
        &mut self,
        app: &schema::Application,
        all_names: &[&str],
        aggregates: &[AggregateInfo],
    ) -> Option<model::Application> {
        let what = format!("application '{}'", app.name.value);
        let (rust, valid) = self.ident_or_cased(&app.name, Case::UpperCamel, &what);
        let mut ok = valid && self.claim_type(&rust, &app.name, &what);
        let mut methods = Names::new(RESERVED_APP.iter().copied());

        // The aggregates it uses, each with its `get_<aggregate>` method.
        let mut used: Vec<(&AggregateInfo, model::AppAggregate)> = Vec::new();
        let mut listed = Names::new([]);
        for name in &app.aggregates {
            if !self.known_aggregate(name, all_names, &what) {
                ok = false;
                continue;
            }
            if !listed.claim(
                self.problems,
                &name.value,
                name,
                &format!("aggregate '{}' in {what}", name.value),
            ) {
                continue;
            }
            let Some(info) = aggregates.iter().find(|a| a.written == name.value) else {
                ok = false;
                continue;
            };
            let var_snake = snake(&info.rust);
            let getter = format!("get_{var_snake}");
            methods.claim(
                self.problems,
                &getter,
                name,
                &format!("the method '{getter}' of {what}"),
            );
            used.push((
                info,
                model::AppAggregate {
                    name: info.rust.clone(),
                    var: info.var.clone(),
                    noun: var_snake.replace('_', " "),
                    id: format!("{var_snake}_id"),
                    getter,
                },
            ));
        }
        let listed_names: Vec<&str> = app.aggregates.iter().map(|n| n.value.as_str()).collect();
        let find = |v: &mut Self, name: &Name| -> Option<(&AggregateInfo, model::AppAggregate)> {
            if !v.known_aggregate(name, all_names, &what) {
                return None;
            }
            match used.iter().find(|(info, _)| info.written == name.value) {
                Some((info, model)) => Some((*info, model.clone())),
                None => {
                    if listed_names.contains(&name.value.as_str()) {
                        return None; // reported with the list
                    }
                    v.err(
                        name.pos,
                        format!(
                            "aggregate '{}' is not among the aggregates of {what}",
                            name.value
                        ),
                        format!("'{}' added to `aggregates:`", name.value),
                    );
                    None
                }
            }
        };

        let mut defaults = Vec::new();
        for (key, value) in &app.env {
            if SECRET_SETTINGS.contains(&key.value.as_str()) {
                self.err(key.pos, format!("{} in {what} is a secret, which does not belong in a schema (it would be compiled into the program)", key.value), "the secret set in the environment at run time");
                ok = false;
            } else if !SETTINGS.contains(&key.value.as_str()) {
                let hint = did_you_mean(&key.value, SETTINGS.iter().copied())
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                self.err(
                    key.pos,
                    format!("unknown setting '{}' in the env of {what}{hint}", key.value),
                    one_of(SETTINGS, ""),
                );
                ok = false;
            } else {
                defaults.push(model::Setting {
                    key: str_lit(&key.value),
                    value: str_lit(&value.value),
                });
            }
        }

        let mut commands = Vec::new();
        for command in &app.commands {
            let cwhat = format!("command '{}' of {what}", command.name.value);
            let Some(name) = self.ident(&command.name, Case::Snake, &cwhat) else {
                ok = false;
                continue;
            };
            ok &= methods.claim(self.problems, &name, &command.name, &cwhat);
            let (aggregate_name, member) = match &command.target {
                Target::Create(aggregate) => (aggregate, None),
                Target::Call { aggregate, command } => (aggregate, Some(command)),
            };
            let Some((info, aggregate)) = find(self, aggregate_name) else {
                ok = false;
                continue;
            };
            let (kind, method, args, slots) = match member {
                None => (
                    "create",
                    "create".to_owned(),
                    info.created_args.clone(),
                    info.created_slots.clone(),
                ),
                Some(member) => match info.commands.iter().find(|c| c.0 == member.value) {
                    Some((_, method, args, slots)) => {
                        ("call", method.clone(), args.clone(), slots.clone())
                    }
                    None => {
                        let names: Vec<&str> = info.commands.iter().map(|c| c.0.as_str()).collect();
                        let hint = did_you_mean(&member.value, names.iter().copied())
                            .map(|s| format!("; did you mean '{s}'?"))
                            .unwrap_or_default();
                        self.err(
                            member.pos,
                            format!(
                                "aggregate '{}' has no command '{}' (in {cwhat}){hint}",
                                info.written, member.value
                            ),
                            one_of(&names, "a command, but the aggregate has none"),
                        );
                        ok = false;
                        continue;
                    }
                },
            };
            if kind == "call" {
                for slot in &slots {
                    if slot.ident == aggregate.id || slot.ident == aggregate.var {
                        let role = if slot.ident == aggregate.id {
                            "the id of the"
                        } else {
                            "its local variable for the"
                        };
                        self.err(
                            slot.pos,
                            format!("argument '{}' of command '{}' of aggregate '{}' is named like {role} {} in {cwhat}", slot.written, member.map_or("", |m| m.value.as_str()), info.written, aggregate.noun),
                            format!("an argument name other than '{}' and '{}'", aggregate.id, aggregate.var),
                        );
                        ok = false;
                    }
                }
            }
            let doc = match (&command.doc, kind) {
                (Some(doc), _) => doc_lines(doc),
                (None, "create") => vec![format!(
                    "Creates {} and returns its id.",
                    with_article(&aggregate.noun)
                )],
                (None, _) => vec![format!(
                    "Calls [`{}::{method}`] on the {} `{}` and saves it.",
                    aggregate.name, aggregate.noun, aggregate.id
                )],
            };
            let params = args.len() + if kind == "create" { 1 } else { 2 };
            commands.push(model::AppCommand {
                name,
                doc,
                kind,
                aggregate,
                method,
                args,
                many_args: params > 7,
            });
        }

        let mut queries = Vec::new();
        for query in &app.queries {
            let qwhat = format!("query '{}' of {what}", query.name.value);
            let Some(name) = self.ident(&query.name, Case::Snake, &qwhat) else {
                ok = false;
                continue;
            };
            ok &= methods.claim(self.problems, &name, &query.name, &qwhat);
            let Some((info, aggregate)) = find(self, &query.aggregate) else {
                ok = false;
                continue;
            };
            let Some(field) = info.state.iter().find(|s| s.written == query.field.value) else {
                let names: Vec<&str> = info.state.iter().map(|s| s.written.as_str()).collect();
                let hint = did_you_mean(&query.field.value, names.iter().copied())
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                self.err(
                    query.field.pos,
                    format!(
                        "aggregate '{}' has no state field '{}' (in {qwhat}){hint}",
                        info.written, query.field.value
                    ),
                    one_of(&names, "a state field, but the aggregate has none"),
                );
                ok = false;
                continue;
            };
            let doc = match &query.doc {
                Some(doc) => doc_lines(doc),
                None => vec![format!(
                    "The `{}` of the {} `{}`.",
                    field.written, aggregate.noun, aggregate.id
                )],
            };
            queries.push(model::Query {
                name,
                doc,
                aggregate,
                field: field.ident.clone(),
                ty: field.ty.rust(),
            });
        }

        ok.then(|| model::Application {
            name: rust,
            name_lit: str_lit(&app.name.value),
            doc: doc_lines(
                app.doc
                    .as_deref()
                    .unwrap_or(&format!("The `{}` application.", app.name.value)),
            ),
            defaults,
            aggregates: used.into_iter().map(|(_, a)| a).collect(),
            commands,
            queries,
        })
    }

    /// Whether `name` is an aggregate of the schema; reports it if not.
    fn known_aggregate(&mut self, name: &Name, all: &[&str], what: &str) -> bool {
        if all.contains(&name.value.as_str()) {
            return true;
        }
        let hint = did_you_mean(&name.value, all.iter().copied())
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        self.err(
            name.pos,
            format!("unknown aggregate '{}' in {what}{hint}", name.value),
            one_of(all, "an aggregate, but the schema has none"),
        );
        false
    }
}

/// The model of a validated field or argument.
fn field_model(slot: &Slot, doc: Option<&str>) -> model::Field {
    let unraw = slot.ident.trim_start_matches("r#");
    let param_ty = slot.ty.param();
    let init = if slot.ty == Ty::String {
        format!("{0}: {0}.into()", slot.ident)
    } else {
        slot.ident.clone()
    };
    model::Field {
        name: slot.ident.clone(),
        ty: slot.ty.rust(),
        doc: doc_lines(doc.unwrap_or(&format!("The `{}`.", slot.written))),
        key: str_lit(&slot.written),
        rename: (unraw != slot.written).then(|| str_lit(&slot.written)),
        param_ty,
        init,
    }
}

/// The largest value of an integer type, for literals.
fn int_max(ty: &Ty) -> Option<u64> {
    Some(match ty {
        Ty::Int("i8") => i8::MAX as u64,
        Ty::Int("i16") => i16::MAX as u64,
        Ty::Int("i32") => i32::MAX as u64,
        Ty::Int("i64") => i64::MAX as u64,
        Ty::Int("u8") => u64::from(u8::MAX),
        Ty::Int("u16") => u64::from(u16::MAX),
        Ty::Int("u32") => u64::from(u32::MAX),
        _ => return None,
    })
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
