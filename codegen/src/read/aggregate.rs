//! Reading aggregates: their state, created event, commands and state
//! changes.

use marked_yaml::Node;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};

use super::schema::{Aggregate, Apply, Change, Command, Event, Name, Op, Source, Step, Upcast};
use super::yaml::{Document, Spanned, entries, is_null};
use super::{
    AGGREGATE_KEYS, CREATED_KEYS, EVENT_KEYS, ID_KEYS, INSERT_KEYS, LITERAL_KEYS, Reader,
    SNAPSHOT_KEYS, STEP_KEYS, get,
};
use crate::error::{did_you_mean, one_of};
use crate::model::Visibility;

/// The highest class version a schema may give: each version below it
/// needs a list of upcast steps, so a higher one is a typo, and one in the
/// billions would have the generator list billions.
pub(crate) const MAX_VERSION: u32 = 1000;

/// What `version:` takes.
const VERSION: &str = "a whole number from 1 to 1000: the class version";

/// What `snapshot:` takes.
const SNAPSHOT: &str = "`snapshot: { every: N }`, N a whole number from 1: a snapshot is taken at each saved version divisible by N";

/// What `visibility:` takes.
const VISIBILITY: &str = "'public' (the default: any crate may call it) or 'crate' (only the crate that includes the generated code)";

impl Reader<'_> {
    pub(super) fn aggregate(&mut self, key: &MarkedScalarNode, node: &Node) -> Aggregate {
        let name = self.name(key);
        let what = format!("aggregate '{}'", name.value);
        let default_created = |name: &Name| Event {
            name: Spanned {
                value: "Created".to_owned(),
                pos: name.pos,
                exact: false,
            },
            doc: None,
            topic: None,
            args: Vec::new(),
            apply: Apply::Changes(Vec::new()),
            visibility: Visibility::Public,
            uuid5: None,
            version: None,
            upcasts: Vec::new(),
            aliases: Vec::new(),
        };
        let mut aggregate = Aggregate {
            doc: None,
            topic: None,
            state: Vec::new(),
            created: default_created(&name),
            commands: Vec::new(),
            aliases: Vec::new(),
            version: None,
            upcasts: Vec::new(),
            snapshot_every: None,
            name,
        };
        let Some(map) = self.mapping(
            node,
            AGGREGATE_KEYS,
            &what,
            "a mapping with doc, state, created and commands",
        ) else {
            return aggregate;
        };
        aggregate.doc = self.doc(map, &what);
        aggregate.topic =
            self.optional_string(map, "topic", &what, "a topic such as 'universe:World'");
        aggregate.aliases = self.topics(map, "aliases", &what);
        aggregate.version = self.version(map, &what);
        aggregate.upcasts = get(map, "upcast")
            .map(|node| self.upcasts(node, &what))
            .unwrap_or_default();
        aggregate.snapshot_every = get(map, "snapshot").and_then(|node| {
            let snapshot = self.mapping(
                node,
                SNAPSHOT_KEYS,
                &format!("the snapshot of {what}"),
                SNAPSHOT,
            )?;
            let Some(every) = get(snapshot, "every") else {
                self.err(
                    Document::pos(node),
                    format!("the snapshot of {what} has no 'every'"),
                    SNAPSHOT,
                );
                return None;
            };
            let text = self.string(every, &format!("the snapshot interval of {what}"), SNAPSHOT)?;
            match text.value.parse::<u64>() {
                Ok(n) if n >= 1 && i64::try_from(n).is_ok() => Some(Spanned {
                    value: n,
                    pos: text.pos,
                    exact: text.exact,
                }),
                _ => {
                    self.err(
                        text.pos,
                        format!("'{}' is not a snapshot interval of {what}", text.value),
                        format!("{SNAPSHOT}, at most {}", i64::MAX),
                    );
                    None
                }
            }
        });
        if let Some(state) = get(map, "state") {
            aggregate.state = self.fields(state, "state field", &what);
        }
        if let Some(created) = get(map, "created")
            && let Some(event) = self.event(
                created,
                &format!("the created event of {what}"),
                None,
                &aggregate.name,
            )
        {
            aggregate.created = event;
        }
        if let Some(commands) = get(map, "commands") {
            for (key, value) in self.entries(
                commands,
                &format!("the commands of {what}"),
                "a mapping of command names to commands",
            ) {
                let name = self.name(key);
                let cwhat = format!("command '{}' of {what}", name.value);
                let Some(cmap) = self.mapping(
                    value,
                    EVENT_KEYS,
                    &cwhat,
                    "a mapping with event, args and apply",
                ) else {
                    continue;
                };
                let doc = self.doc(cmap, &cwhat);
                if let Some(event) = self.event(value, &cwhat, Some(&name), &name) {
                    aggregate.commands.push(Command { name, doc, event });
                }
            }
        }
        aggregate
    }

    /// The event part of `created:` (when `command` is `None`) or of a
    /// command: `event`, `topic`, `args`, `apply`. Keys were checked by the
    /// caller for commands.
    fn event(
        &mut self,
        node: &Node,
        what: &str,
        command: Option<&Name>,
        at: &Name,
    ) -> Option<Event> {
        let map = match command {
            Some(_) => node.as_mapping()?,
            None => {
                if let Node::Scalar(s) = node
                    && is_null(s)
                {
                    return None;
                }
                self.mapping(
                    node,
                    CREATED_KEYS,
                    what,
                    "a mapping with event, args and apply",
                )?
            }
        };
        let uuid5 = get(map, "id").and_then(|node| {
            let expected = "`id: { uuid5: \"/accounts/{email}\" }`: a name made of the created event's arguments";
            let id = self.mapping(node, ID_KEYS, &format!("the id of {what}"), expected)?;
            match get(id, "uuid5") {
                Some(template) => self.string(template, &format!("the uuid5 name of {what}"), expected),
                None => {
                    self.err(Document::pos(node), format!("the id of {what} has no 'uuid5'"), expected);
                    None
                }
            }
        });
        let name = match get(map, "event") {
            Some(n) => self.string(
                n,
                &format!("the event name of {what}"),
                "an event name such as 'Started'",
            ),
            None if command.is_some() => {
                self.err(
                    at.pos,
                    format!("{what} has no 'event'"),
                    "event: the name of the event it triggers, e.g. 'SomethingHappened'",
                );
                None
            }
            None => Some(Spanned {
                value: "Created".to_owned(),
                pos: at.pos,
                exact: false,
            }),
        };
        let doc = if command.is_some() {
            None
        } else {
            self.doc(map, what)
        };
        let topic = self.optional_string(
            map,
            "topic",
            what,
            "a topic such as 'universe:World.Started'",
        );
        let args = get(map, "args")
            .map(|a| self.fields(a, "argument", what))
            .unwrap_or_default();
        let apply = get(map, "apply").map_or(Apply::Changes(Vec::new()), |a| self.apply(a, what));
        let visibility = match self.optional_string(map, "visibility", what, VISIBILITY) {
            None => Visibility::Public,
            Some(text) => match text.as_str() {
                "public" => Visibility::Public,
                "crate" => Visibility::Crate,
                other => {
                    self.err(
                        text.pos,
                        format!("unknown visibility '{other}' of {what}"),
                        VISIBILITY,
                    );
                    Visibility::Public
                }
            },
        };
        let version = self.version(map, what);
        let upcasts = get(map, "upcast")
            .map(|node| self.upcasts(node, what))
            .unwrap_or_default();
        let aliases = self.topics(map, "aliases", what);
        Some(Event {
            name: name?,
            doc,
            topic,
            args,
            apply,
            visibility,
            uuid5,
            version,
            upcasts,
            aliases,
        })
    }

    /// `version: N`, a class version from 1.
    fn version(&mut self, map: &MarkedMappingNode, what: &str) -> Option<Spanned<u32>> {
        let node = get(map, "version")?;
        let text = self.string(node, &format!("the version of {what}"), VERSION)?;
        match text.value.parse::<u32>() {
            Ok(v) if (1..=MAX_VERSION).contains(&v) => Some(Spanned {
                value: v,
                pos: text.pos,
                exact: text.exact,
            }),
            _ => {
                self.err(
                    text.pos,
                    format!("'{}' is not a version of {what}", text.value),
                    VERSION,
                );
                None
            }
        }
    }

    /// Refuses a name that one `rename:` both renames and gives: its renames
    /// are applied one after another, so a swap (`{ a: b, b: a }`) or a
    /// chain (`{ a: b, b: c }`) would write over a value before moving it.
    fn simultaneous_renames(&mut self, steps: &[Step], what: &str) {
        let renamed: Vec<&str> = steps
            .iter()
            .filter_map(|step| match step {
                Step::Rename { from, .. } => Some(from.value.as_str()),
                _ => None,
            })
            .collect();
        for step in steps {
            if let Step::Rename { from, to } = step
                && renamed.contains(&to.value.as_str())
                && from.value != to.value
            {
                self.err(
                    to.pos,
                    format!(
                        "'{}' in {what} is both renamed and a new name: the renames of one step are applied one after another, so this swap or chain would write over a value",
                        to.value
                    ),
                    "a step of its own for each rename of a chain, or a name in between for a swap: `- rename: { a: tmp }`, `- rename: { b: a }`, `- rename: { tmp: b }`",
                );
            }
        }
    }

    /// `upcast: { v1_v2: [STEP, ...], ... }`.
    fn upcasts(&mut self, node: &Node, what: &str) -> Vec<Upcast> {
        let mut upcasts = Vec::new();
        for (key, steps) in self.entries(
            node,
            &format!("the upcast of {what}"),
            "a mapping of `vN_vM` to steps, e.g. `v1_v2: [add: { size: 1 }]`",
        ) {
            let key = self.name(key);
            let from = key
                .value
                .strip_prefix('v')
                .and_then(|k| k.split_once("_v"))
                .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
                .filter(|(a, b)| *a >= 1 && a.checked_add(1) == Some(*b))
                .map(|(a, _)| a);
            if from.is_none() {
                self.err(
                    key.pos,
                    format!(
                        "'{}' in the upcast of {what} is not a step of one version",
                        key.value
                    ),
                    "`vN_vM` with M = N + 1, e.g. v1_v2",
                );
            }
            let steps = self.steps(steps, &format!("{} of the upcast of {what}", key.value));
            upcasts.push(Upcast { key, from, steps });
        }
        upcasts
    }

    /// A list of upcast steps: `add`, `rename`, `remove`, `call`.
    fn steps(&mut self, node: &Node, what: &str) -> Vec<Step> {
        const FORM: &str = "`- add: { FIELD: DEFAULT }`, `- rename: { OLD: NEW }`, `- remove: FIELD` or `- call: path::to::function`";
        let Node::Sequence(items) = node else {
            self.err(
                Document::pos(node),
                format!("{what} must be a list of steps"),
                FORM,
            );
            return Vec::new();
        };
        let mut steps = Vec::new();
        for item in items.iter() {
            let Some(map) = self.mapping(item, STEP_KEYS, what, FORM) else {
                continue;
            };
            for (kind, value) in entries(map) {
                let swhat = format!("'{}' in {what}", kind.as_str());
                match kind.as_str() {
                    "add" | "rename" => {
                        let first = steps.len();
                        for (field, value) in self.entries(value, &swhat, FORM) {
                            let field = self.name(field);
                            if kind.as_str() == "add" {
                                if let Some(value) =
                                    self.literal_text(value, &format!("the value {swhat} adds"))
                                {
                                    steps.push(Step::Add { field, value });
                                }
                            } else if let Some(to) = self.string(
                                value,
                                &format!("the new name {swhat} gives"),
                                "a field's new name",
                            ) {
                                steps.push(Step::Rename { from: field, to });
                            }
                        }
                        self.simultaneous_renames(steps.get(first..).unwrap_or_default(), &swhat);
                    }
                    "remove" => {
                        let names = match value {
                            Node::Sequence(names) => names.iter().collect(),
                            _ => vec![value],
                        };
                        for name in names {
                            if let Some(name) = self.string(name, &swhat, "a field's name") {
                                steps.push(Step::Remove(name));
                            }
                        }
                    }
                    "call" => {
                        if let Some(path) = self.string(
                            value,
                            &swhat,
                            "a Rust function's path, e.g. upgrades::world_v2_v3",
                        ) {
                            steps.push(Step::Call(path));
                        }
                    }
                    _ => {} // reported with the keys
                }
            }
        }
        steps
    }

    fn apply(&mut self, node: &Node, what: &str) -> Apply {
        const EXPECTED: &str = "'custom', or a list of state changes such as `- set: name`";
        match node {
            Node::Scalar(s) if is_null(s) => Apply::Changes(Vec::new()),
            Node::Scalar(s) if s.as_str() == "custom" => Apply::Custom,
            Node::Sequence(items) => {
                let mut changes = Vec::new();
                for item in items.iter() {
                    match item {
                        Node::Mapping(map) => {
                            for (key, value) in entries(map) {
                                self.change(key, value, what, &mut changes);
                            }
                        }
                        _ => self.err(
                            Document::pos(item),
                            format!(
                                "a state change of {what} must be a mapping such as `set: name`"
                            ),
                            one_of(&op_names(), ""),
                        ),
                    }
                }
                Apply::Changes(changes)
            }
            _ => {
                self.err(
                    Document::pos(node),
                    format!("the apply of {what} is not understood"),
                    EXPECTED,
                );
                Apply::Changes(Vec::new())
            }
        }
    }

    /// One `OP: ...` entry of a state change list.
    fn change(&mut self, key: &MarkedScalarNode, value: &Node, what: &str, out: &mut Vec<Change>) {
        let op_name = self.name(key);
        let Some(op) = Op::ALL
            .iter()
            .find(|(n, _)| *n == op_name.value)
            .map(|(_, op)| *op)
        else {
            let hint = did_you_mean(&op_name.value, Op::ALL.iter().map(|(n, _)| *n))
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            self.err(
                op_name.pos,
                format!("unknown state change '{}' in {what}{hint}", op_name.value),
                one_of(&op_names(), ""),
            );
            return;
        };
        let pos = op_name.pos;
        let form = match op {
            Op::Insert => "`insert: { FIELD: { key: ARG, value: ARG } }`",
            Op::Clear => "`clear: FIELD` or `clear: [FIELD, ...]`",
            Op::Set => {
                "`set: FIELD`, `set: [FIELD, ...]` or `set: { FIELD: ARG | timestamp | true | false | NUMBER | null | VARIANT | { value: LITERAL } }`"
            }
            Op::Increment | Op::Decrement => {
                "`OP: FIELD` (by one), `OP: [FIELD, ...]` or `OP: { FIELD: ARG | NUMBER }`"
            }
            _ => "`OP: FIELD`, `OP: [FIELD, ...]` or `OP: { FIELD: ARG }`",
        };
        let form = form.replace("OP", op.name());
        match value {
            Node::Scalar(s) if !is_null(s) && op != Op::Insert => {
                out.push(Change {
                    op,
                    pos,
                    field: self.doc.spanned(s),
                    source: Source::Short,
                });
            }
            Node::Sequence(items) if op != Op::Insert => {
                for item in items.iter() {
                    if let Some(field) = self.string(
                        item,
                        &format!("a field to {}", op.name()),
                        "a state field name",
                    ) {
                        out.push(Change {
                            op,
                            pos,
                            field,
                            source: Source::Short,
                        });
                    }
                }
            }
            Node::Mapping(map) if op != Op::Clear => {
                for (field, source) in entries(map) {
                    let field = self.name(field);
                    if let Some(source) = self.source(op, source, &field, &form) {
                        out.push(Change {
                            op,
                            pos,
                            field,
                            source,
                        });
                    }
                }
            }
            _ => self.err(
                Document::pos(value),
                format!("'{}' in {what} is not understood", op.name()),
                form,
            ),
        }
    }

    fn source(&mut self, op: Op, node: &Node, field: &Name, form: &str) -> Option<Source> {
        let what = format!("the value of {} '{}'", op.name(), field.value);
        if op == Op::Insert {
            let map = self.mapping(node, INSERT_KEYS, &what, form)?;
            let part = |reader: &mut Self, k: &str| match get(map, k) {
                Some(n) => reader.string(
                    n,
                    &format!("the {k} of insert '{}'", field.value),
                    "an argument name",
                ),
                None => {
                    reader.err(
                        Document::pos(node),
                        format!("{what} has no '{k}'"),
                        form.to_owned(),
                    );
                    None
                }
            };
            let key = part(self, "key");
            let value = part(self, "value");
            return Some(Source::KeyValue {
                key: key?,
                value: value?,
            });
        }
        if op == Op::Set {
            match node {
                Node::Scalar(s) if is_null(s) => return Some(Source::Null(Document::pos(node))),
                Node::Mapping(_) => {
                    let map = self.mapping(node, LITERAL_KEYS, &what, form)?;
                    let Some(value) = get(map, "value") else {
                        self.err(
                            Document::pos(node),
                            format!("{what} has no 'value'"),
                            form.to_owned(),
                        );
                        return None;
                    };
                    return match value {
                        Node::Scalar(s) if is_null(s) => Some(Source::Null(Document::pos(value))),
                        _ => self
                            .string(value, &what, "a literal such as \"Untitled\" or 12.50")
                            .map(Source::Literal),
                    };
                }
                _ => {}
            }
        }
        let text = self.string(node, &what, form)?;
        let plain = matches!(node, Node::Scalar(s) if s.may_coerce());
        if plain
            && op == Op::Set
            && text
                .value
                .starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
        {
            return Some(Source::Literal(text));
        }
        if plain && op == Op::Set && matches!(text.as_str(), "true" | "false") {
            let value = text.as_str() == "true";
            return Some(Source::Bool(Spanned {
                value,
                pos: text.pos,
                exact: text.exact,
            }));
        }
        if plain
            && matches!(op, Op::Increment | Op::Decrement)
            && text
                .value
                .starts_with(|c: char| c.is_ascii_digit() || c == '-')
        {
            return match text.value.parse::<u64>() {
                Ok(value) => Some(Source::Int(Spanned {
                    value,
                    pos: text.pos,
                    exact: text.exact,
                })),
                Err(_) if text.value.starts_with('-') => {
                    self.err(
                        text.pos,
                        format!("{} by a negative number '{}'", op.name(), text.value),
                        "a whole number from 0 up: increment adds it, decrement subtracts it",
                    );
                    None
                }
                Err(_) => {
                    self.err(
                        text.pos,
                        format!(
                            "'{}' is not a whole number that fits in 64 bits",
                            text.value
                        ),
                        format!("a whole number up to {}", u64::MAX),
                    );
                    None
                }
            };
        }
        Some(Source::Arg(text))
    }
}

fn op_names() -> Vec<&'static str> {
    Op::ALL.iter().map(|(name, _)| *name).collect()
}
