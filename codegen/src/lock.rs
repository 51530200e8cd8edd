//! The lock of stored shapes: beside each schema, `<stem>.lock.json` keeps
//! the stored shape of every event (and of every snapshotted aggregate's
//! state, and every value type) at its class version, as `Cargo.lock`
//! keeps versions. A build compares the schema with it: a change that would
//! leave stored data unreadable at the same class version (a removed or
//! renamed field, a changed type, a new required field, a removed event) is
//! an error naming the event, the field and the fix; an `Option` or
//! defaulted addition, and a raised class version (with its upcast steps),
//! pass. `eventsmith-codegen lock` accepts a change on purpose.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Diagnostic, Error, Result};
use crate::model::{Field, Int, Model, Ty, TypeBody};

/// What the file says first, for whoever opens it.
const NOTE: &str = "The stored shapes of this schema's events, snapshots and value types, at each \
                    class version. Written by the first build and by `eventsmith-codegen lock`; \
                    every build compares the schema with it. Commit it.";

/// The lock: every stored shape of one schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Shapes {
    note: String,
    /// Value types by name: their fields (an enum's as `Variant.field`).
    types: BTreeMap<String, BTreeMap<String, String>>,
    /// Aggregates by name.
    aggregates: BTreeMap<String, AggregateShape>,
}

/// An aggregate's stored shapes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AggregateShape {
    /// Its snapshots' state, when it is snapshotted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    snapshot: Option<Shape>,
    /// Its events by name.
    events: BTreeMap<String, Shape>,
}

/// A stored state: its topic, and its fields at each class version, each
/// field as its type, with `?` after one that may be missing (an
/// `Option`, or one with a default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Shape {
    topic: String,
    /// Topics it was stored under before (the schema's `aliases:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    versions: BTreeMap<u32, BTreeMap<String, String>>,
}

impl Shape {
    fn new(
        topic: &str,
        aliases: &[String],
        version: u32,
        fields: BTreeMap<String, String>,
    ) -> Self {
        Self {
            topic: topic.to_owned(),
            aliases: aliases.to_vec(),
            versions: BTreeMap::from([(version, fields)]),
        }
    }

    /// Whether states stored under `topic` are read as this one.
    fn reads(&self, topic: &str) -> bool {
        self.topic == topic || self.aliases.iter().any(|a| a == topic)
    }

    /// The class version the schema has now, and its fields.
    fn current(&self) -> (u32, &BTreeMap<String, String>) {
        self.versions
            .iter()
            .next_back()
            .map_or((1, &EMPTY), |(v, fields)| (*v, fields))
    }

    /// This (current) shape, with the older versions `locked` kept.
    fn merged(&self, locked: Option<&Shape>) -> Shape {
        let (version, _) = self.current();
        let mut versions: BTreeMap<u32, BTreeMap<String, String>> = locked
            .map(|l| {
                l.versions
                    .range(..version)
                    .map(|(v, f)| (*v, f.clone()))
                    .collect()
            })
            .unwrap_or_default();
        versions.extend(self.versions.clone());
        Shape {
            topic: self.topic.clone(),
            aliases: self.aliases.clone(),
            versions,
        }
    }
}

static EMPTY: BTreeMap<String, String> = BTreeMap::new();

/// `world.lock.json` for `schemas/world.yaml`.
pub(crate) fn path_of(schema: &Path) -> PathBuf {
    schema.with_extension("lock.json")
}

/// The shapes `model` stores.
pub(crate) fn shapes(model: &Model, snapshotted: &dyn Fn(usize) -> bool) -> Shapes {
    let mut types = BTreeMap::new();
    for t in &model.types {
        let mut fields = BTreeMap::new();
        match &t.body {
            TypeBody::Struct(own) => add_fields(&mut fields, "", own),
            TypeBody::Enum(variants) => {
                for v in variants {
                    fields.insert(v.name.written.clone(), "variant".to_owned());
                    add_fields(&mut fields, &format!("{}.", v.name.written), &v.fields);
                }
            }
        }
        types.insert(t.name.written.clone(), fields);
    }
    let mut aggregates = BTreeMap::new();
    for (i, a) in model.aggregates.iter().enumerate() {
        let mut events = BTreeMap::new();
        for event in std::iter::once(&a.created).chain(a.commands.iter().map(|c| &c.event)) {
            let mut fields = BTreeMap::new();
            add_fields(&mut fields, "", &event.args);
            events.insert(
                event.name.written.clone(),
                Shape::new(&event.topic, &event.aliases, event.version, fields),
            );
        }
        let snapshot = snapshotted(i).then(|| {
            let mut fields = BTreeMap::new();
            add_fields(&mut fields, "", &a.state);
            Shape::new(&a.topic, &a.aliases, a.version, fields)
        });
        aggregates.insert(a.name.written.clone(), AggregateShape { snapshot, events });
    }
    Shapes {
        note: NOTE.to_owned(),
        types,
        aggregates,
    }
}

fn add_fields(into: &mut BTreeMap<String, String>, prefix: &str, fields: &[Field]) {
    for f in fields {
        let optional = matches!(f.ty, Ty::Option(_)) || f.default.is_some();
        let mark = if optional { "?" } else { "" };
        into.insert(
            format!("{prefix}{}", f.name.written),
            format!("{}{mark}", ty(&f.ty)),
        );
    }
}

/// A type as the schema writes it.
fn ty(t: &Ty) -> String {
    match t {
        Ty::String => "String".to_owned(),
        Ty::Bool => "bool".to_owned(),
        Ty::Int(int) => Int::name(*int).to_owned(),
        Ty::F64 => "f64".to_owned(),
        Ty::Uuid => "Uuid".to_owned(),
        Ty::Decimal => "Decimal".to_owned(),
        Ty::DateTime => "DateTime".to_owned(),
        Ty::Option(inner) => format!("Option<{}>", ty(inner)),
        Ty::Vec(inner) => format!("Vec<{}>", ty(inner)),
        Ty::Map(inner) => format!("Map<String, {}>", ty(inner)),
        Ty::Named(name, _) => name.written.clone(),
        Ty::Id(name) => format!("Id<{}>", name.written),
        Ty::Unknown => "?".to_owned(),
    }
}

impl Shapes {
    /// These (current) shapes, with the older class versions `locked`
    /// keeps: what the lock holds after a build that passed.
    pub(crate) fn merged(&self, locked: Option<&Shapes>) -> Shapes {
        let mut aggregates = BTreeMap::new();
        for (name, a) in &self.aggregates {
            let old = locked.and_then(|l| l.aggregates.get(name));
            let events = a
                .events
                .iter()
                .map(|(e, shape)| (e.clone(), shape.merged(old.and_then(|o| o.events.get(e)))))
                .collect();
            let snapshot = a
                .snapshot
                .as_ref()
                .map(|s| s.merged(old.and_then(|o| o.snapshot.as_ref())));
            aggregates.insert(name.clone(), AggregateShape { snapshot, events });
        }
        Shapes {
            note: self.note.clone(),
            types: self.types.clone(),
            aggregates,
        }
    }

    /// The lock as its file holds it.
    pub(crate) fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The lock in `text`, read from `path`.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::Schema {
            diagnostics: vec![Diagnostic {
                file: path.display().to_string(),
                line: e.line(),
                column: e.column(),
                message: format!("the lock of stored shapes cannot be read: {e}"),
                expected: "the file `eventsmith-codegen lock` writes (run it to write it again)"
                    .to_owned(),
            }],
        })
    }
}

/// What changed from `locked` to `current` that stored data would not
/// survive, each as a diagnostic on `schema` (at the first place its text
/// names the event or type, else its start), in the lock's order.
pub(crate) fn breaking(
    schema: &Path,
    text: &str,
    locked: &Shapes,
    current: &Shapes,
) -> Vec<Diagnostic> {
    let lock = path_of(schema);
    let fix_version = |what: &str| {
        format!(
            "the shape stored before, or `version:` raised on {what} with an upcast step (docs/evolution.md); \
             or, to accept the change on purpose, `eventsmith-codegen lock {}`",
            schema.display()
        )
    };
    let mut found = Vec::new();
    let mut report = |needle: &str, message: String, expected: String| {
        let (line, column) = position(text, needle);
        found.push(Diagnostic {
            file: schema.display().to_string(),
            line,
            column,
            message: format!("{message} (locked in {})", lock.display()),
            expected,
        });
    };
    for (name, old) in &locked.types {
        let Some(new) = current.types.get(name) else {
            report(
                name,
                format!("value type '{name}' is gone"),
                fix_version("the events using it"),
            );
            continue;
        };
        for problem in fields(old, new) {
            report(
                name,
                format!("value type '{name}': {problem}"),
                fix_version("the events using it"),
            );
        }
    }
    // Each current event by the topics it reads: a renamed event (or
    // aggregate) with an alias of its stored topic is the same one.
    let events_of = |topic: &str| {
        current
            .aggregates
            .iter()
            .flat_map(|(a, shapes)| shapes.events.iter().map(move |(e, shape)| (a, e, shape)))
            .find(|(_, _, shape)| shape.reads(topic))
    };
    for (aggregate, old) in &locked.aggregates {
        let new = current.aggregates.get(aggregate);
        for (event, old) in &old.events {
            let what = format!("event '{aggregate}.{event}'");
            let found = new
                .and_then(|n| n.events.get(event))
                .filter(|shape| shape.reads(&old.topic))
                .or_else(|| events_of(&old.topic).map(|(_, _, shape)| shape));
            let Some(new) = found else {
                report(
                    event,
                    format!(
                        "{what} is gone: its stored events (topic '{}') would be unreadable",
                        old.topic
                    ),
                    fix_version(&what),
                );
                continue;
            };
            for problem in shape(old, new) {
                report(event, format!("{what}: {problem}"), fix_version(&what));
            }
        }
        // Its snapshots: those of the aggregate reading their topic, else
        // of the aggregate of the same name (whose topic then changed).
        let snapshots = old.snapshot.as_ref().and_then(|old| {
            let new = current
                .aggregates
                .values()
                .filter_map(|a| a.snapshot.as_ref())
                .find(|s| s.reads(&old.topic))
                .or_else(|| new.and_then(|n| n.snapshot.as_ref()))?;
            Some((old, new))
        });
        if let Some((old, new)) = snapshots {
            let what = format!("the snapshots of aggregate '{aggregate}'");
            for problem in shape(old, new) {
                report(
                    aggregate,
                    format!("{what}: {problem}"),
                    fix_version(&format!("aggregate '{aggregate}'")),
                );
            }
        }
    }
    found
}

/// What changed from `old` to `new` that stored states would not survive.
fn shape(old: &Shape, new: &Shape) -> Vec<String> {
    let mut problems = Vec::new();
    if !new.reads(&old.topic) {
        problems.push(format!(
            "its topic changed from '{}' to '{}' (an alias keeps the old one readable)",
            old.topic, new.topic
        ));
    }
    let (version, now) = new.current();
    let (newest, _) = old.current();
    if version < newest {
        problems.push(format!(
            "its class version went down, from {newest} to {version}: states stored at {newest} \
             would be read as {version}"
        ));
    } else if let Some(was) = old.versions.get(&version) {
        problems.extend(fields(was, now));
    }
    problems
}

/// What changed from the fields `old` to `new` that stored states would
/// not survive.
fn fields(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for (field, was) in old {
        match new.get(field) {
            None => problems.push(format!("field '{field}' ({was}) was removed or renamed")),
            Some(now) if now.trim_end_matches('?') != was.trim_end_matches('?') => {
                problems.push(format!(
                    "field '{field}' changed type from {} to {}",
                    was.trim_end_matches('?'),
                    now.trim_end_matches('?')
                ))
            }
            Some(now) if was.ends_with('?') && !now.ends_with('?') => problems.push(format!(
                "field '{field}' became required: states stored without it would be unreadable"
            )),
            Some(_) => {}
        }
    }
    for (field, now) in new {
        if !old.contains_key(field) && !now.ends_with('?') {
            problems.push(format!(
                "new required field '{field}' ({now}): states stored before it have none \
                 (an Option, or a `default:`, would read them)"
            ));
        }
    }
    problems
}

/// The line and column where `text` first names `needle` as a key or a
/// value (`needle:` or `: needle`), else 1:1.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let at = [format!("{needle}:"), format!(": {needle}")]
        .iter()
        .filter_map(|n| {
            text.find(n.as_str())
                .map(|i| if n.starts_with(':') { i + 2 } else { i })
        })
        .min();
    let Some(at) = at else { return (1, 1) };
    let before = text.get(..at).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
