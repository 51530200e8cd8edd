//! Reading: the YAML node tree, walked by hand into a [`Schema`], so that
//! every misplaced or unknown key and every value of the wrong shape is
//! reported, not just the first.

use marked_yaml::Node;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};

use crate::error::{did_you_mean, one_of};
use crate::schema::{
    Aggregate, AppCommand, Application, Apply, Change, Command, Event, Field, Name, Op, Query,
    Schema, Source, Target, TypeBody, TypeDef, Variant,
};
use crate::yaml::{Document, Pos, Problems, Spanned, entries, is_null};

/// Keys of the top level of a schema.
pub(crate) const TOP_KEYS: &[&str] = &["module", "types", "aggregates", "applications"];
/// Keys of a value type.
pub(crate) const TYPE_KEYS: &[&str] = &["doc", "fields", "variants"];
/// Keys of an enum variant written as a mapping.
pub(crate) const VARIANT_KEYS: &[&str] = &["doc", "fields"];
/// Keys of a field written as a mapping.
pub(crate) const FIELD_KEYS: &[&str] = &["type", "doc"];
/// Keys of an aggregate.
pub(crate) const AGGREGATE_KEYS: &[&str] = &["doc", "topic", "state", "created", "commands"];
/// Keys of the created event and of a command.
pub(crate) const EVENT_KEYS: &[&str] = &["event", "doc", "topic", "args", "apply"];
/// Keys of an application.
pub(crate) const APPLICATION_KEYS: &[&str] = &["doc", "aggregates", "env", "commands", "queries"];
/// Keys of an application command.
pub(crate) const APP_COMMAND_KEYS: &[&str] = &["create", "call", "doc"];
/// Keys of an application query.
pub(crate) const QUERY_KEYS: &[&str] = &["read", "doc"];
/// Keys of the value of an `insert` change.
pub(crate) const INSERT_KEYS: &[&str] = &["key", "value"];

/// Reads a parsed schema, recording every problem of shape in `problems`.
pub(crate) fn read(doc: &Document, problems: &mut Problems) -> Schema {
    let mut reader = Reader { doc, problems };
    reader.schema(&doc.root)
}

struct Reader<'a> {
    doc: &'a Document,
    problems: &'a mut Problems,
}

/// The node under `key`, if the mapping has it.
fn get<'n>(map: &'n MarkedMappingNode, key: &str) -> Option<&'n Node> {
    map.get_node(key)
}

impl Reader<'_> {
    fn err(&mut self, pos: Pos, message: impl Into<String>, expected: impl Into<String>) {
        self.problems.add(pos, message, expected);
    }

    fn name(&self, key: &MarkedScalarNode) -> Name {
        self.doc.spanned(key)
    }

    /// The entries of a mapping node. A null node has none; any other node
    /// is reported.
    fn entries<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        expected: &str,
    ) -> Vec<(&'n MarkedScalarNode, &'n Node)> {
        match node {
            Node::Mapping(map) => entries(map).collect(),
            Node::Scalar(s) if is_null(s) => Vec::new(),
            _ => {
                self.err(
                    Document::pos(node),
                    format!("{what} must be a mapping"),
                    expected,
                );
                Vec::new()
            }
        }
    }

    /// A node that must be a mapping, with only `allowed` keys.
    fn mapping<'n>(
        &mut self,
        node: &'n Node,
        allowed: &[&str],
        what: &str,
        expected: &str,
    ) -> Option<&'n MarkedMappingNode> {
        match node {
            Node::Mapping(map) => {
                self.keys(map, allowed, what);
                Some(map)
            }
            _ => {
                self.err(
                    Document::pos(node),
                    format!("{what} must be a mapping"),
                    expected,
                );
                None
            }
        }
    }

    /// Reports every key of `map` that is not one of `allowed`.
    fn keys(&mut self, map: &MarkedMappingNode, allowed: &[&str], what: &str) {
        for (key, _) in entries(map) {
            if !allowed.contains(&key.as_str()) {
                let hint = did_you_mean(key.as_str(), allowed.iter().copied())
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                let pos = self.name(key).pos;
                self.err(
                    pos,
                    format!("unknown key '{}' in {what}{hint}", key.as_str()),
                    one_of(allowed, "no keys"),
                );
            }
        }
    }

    /// A scalar's text. Null, sequences and mappings are reported.
    fn string(&mut self, node: &Node, what: &str, expected: &str) -> Option<Spanned<String>> {
        match node {
            Node::Scalar(s) if !is_null(s) => Some(self.doc.spanned(s)),
            Node::Scalar(_) => {
                self.err(Document::pos(node), format!("{what} is missing"), expected);
                None
            }
            _ => {
                self.err(
                    Document::pos(node),
                    format!("{what} must be a single value"),
                    expected,
                );
                None
            }
        }
    }

    /// The `doc:` text of a mapping, trimmed.
    fn doc(&mut self, map: &MarkedMappingNode, what: &str) -> Option<String> {
        let node = get(map, "doc")?;
        let text = self.string(node, &format!("the doc of {what}"), "text")?;
        let text = text.value.trim().to_owned();
        (!text.is_empty()).then_some(text)
    }

    fn optional_string(
        &mut self,
        map: &MarkedMappingNode,
        key: &str,
        what: &str,
        expected: &str,
    ) -> Option<Spanned<String>> {
        let node = get(map, key)?;
        self.string(node, &format!("the {key} of {what}"), expected)
    }

    fn schema(&mut self, root: &Node) -> Schema {
        let mut schema = Schema::default();
        let Some(map) = self.mapping(
            root,
            TOP_KEYS,
            "the schema",
            "a mapping with module, types, aggregates and applications",
        ) else {
            return schema;
        };
        schema.module = self.optional_string(
            map,
            "module",
            "the schema",
            "a topic module such as 'universe'",
        );
        if let Some(node) = get(map, "types") {
            for (key, value) in self.entries(node, "types", "a mapping of type names to types") {
                if let Some(ty) = self.type_def(key, value) {
                    schema.types.push(ty);
                }
            }
        }
        if let Some(node) = get(map, "aggregates") {
            for (key, value) in self.entries(
                node,
                "aggregates",
                "a mapping of aggregate names to aggregates",
            ) {
                schema.aggregates.push(self.aggregate(key, value));
            }
        }
        if let Some(node) = get(map, "applications") {
            for (key, value) in self.entries(
                node,
                "applications",
                "a mapping of application names to applications",
            ) {
                schema.applications.push(self.application(key, value));
            }
        }
        schema
    }

    fn type_def(&mut self, key: &MarkedScalarNode, node: &Node) -> Option<TypeDef> {
        let name = self.name(key);
        let what = format!("type '{}'", name.value);
        let map = self.mapping(
            node,
            TYPE_KEYS,
            &what,
            "a mapping with 'fields' (a struct) or 'variants' (an enum)",
        )?;
        let doc = self.doc(map, &what);
        let body = match (get(map, "fields"), get(map, "variants")) {
            (Some(fields), None) => TypeBody::Struct(self.fields(fields, "field", &what)),
            (None, Some(variants)) => TypeBody::Enum(self.variants(variants, &what)),
            (Some(_), Some(_)) => {
                self.err(
                    name.pos,
                    format!("{what} has both 'fields' and 'variants'"),
                    "'fields' for a struct or 'variants' for an enum, not both",
                );
                return None;
            }
            (None, None) => {
                self.err(
                    name.pos,
                    format!("{what} has neither 'fields' nor 'variants'"),
                    "'fields' for a struct or 'variants' for an enum",
                );
                return None;
            }
        };
        Some(TypeDef { name, doc, body })
    }

    fn variants(&mut self, node: &Node, what: &str) -> Vec<Variant> {
        match node {
            Node::Sequence(items) => items
                .iter()
                .filter_map(|item| {
                    let name =
                        self.string(item, &format!("a variant of {what}"), "a variant name")?;
                    Some(Variant {
                        name,
                        doc: None,
                        fields: Vec::new(),
                    })
                })
                .collect(),
            _ => {
                let mut variants = Vec::new();
                for (key, value) in self.entries(
                    node,
                    &format!("the variants of {what}"),
                    "a list of variant names, or a mapping of variant names to variants",
                ) {
                    let name = self.name(key);
                    let vwhat = format!("variant '{}' of {what}", name.value);
                    let (doc, fields) = match value {
                        Node::Scalar(s) if is_null(s) => (None, Vec::new()),
                        _ => match self.mapping(
                            value,
                            VARIANT_KEYS,
                            &vwhat,
                            "a mapping with 'doc' and 'fields', or nothing",
                        ) {
                            Some(map) => {
                                let doc = self.doc(map, &vwhat);
                                let fields = get(map, "fields")
                                    .map(|f| self.fields(f, "field", &vwhat))
                                    .unwrap_or_default();
                                (doc, fields)
                            }
                            None => (None, Vec::new()),
                        },
                    };
                    variants.push(Variant { name, doc, fields });
                }
                variants
            }
        }
    }

    /// A mapping of names to fields: `name: Type` or `name: { type: Type, doc: ... }`.
    fn fields(&mut self, node: &Node, kind: &str, owner: &str) -> Vec<Field> {
        let mut fields = Vec::new();
        for (key, value) in self.entries(
            node,
            &format!("the {kind}s of {owner}"),
            "a mapping of names to types, e.g. `name: String`",
        ) {
            let name = self.name(key);
            let fwhat = format!("{kind} '{}' of {owner}", name.value);
            let expected = "a type such as String, or a mapping with 'type' and 'doc'";
            let (ty, doc) = match value {
                Node::Mapping(map) => {
                    self.keys(map, FIELD_KEYS, &fwhat);
                    let doc = self.doc(map, &fwhat);
                    let ty = match get(map, "type") {
                        Some(t) => {
                            self.string(t, &format!("the type of {fwhat}"), "a type such as String")
                        }
                        None => {
                            self.err(
                                name.pos,
                                format!("{fwhat} has no 'type'"),
                                "type: a type such as String",
                            );
                            None
                        }
                    };
                    (ty, doc)
                }
                _ => (
                    self.string(value, &format!("the type of {fwhat}"), expected),
                    None,
                ),
            };
            if let Some(ty) = ty {
                fields.push(Field { name, ty, doc });
            }
        }
        fields
    }

    fn aggregate(&mut self, key: &MarkedScalarNode, node: &Node) -> Aggregate {
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
        };
        let mut aggregate = Aggregate {
            doc: None,
            topic: None,
            state: Vec::new(),
            created: default_created(&name),
            commands: Vec::new(),
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
                    EVENT_KEYS,
                    what,
                    "a mapping with event, args and apply",
                )?
            }
        };
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
        Some(Event {
            name: name?,
            doc,
            topic,
            args,
            apply,
        })
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
                "`set: FIELD`, `set: [FIELD, ...]` or `set: { FIELD: ARG | timestamp | true | false }`"
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
        let text = self.string(node, &what, form)?;
        let plain = matches!(node, Node::Scalar(s) if s.may_coerce());
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

    fn application(&mut self, key: &MarkedScalarNode, node: &Node) -> Application {
        let name = self.name(key);
        let what = format!("application '{}'", name.value);
        let mut app = Application {
            name,
            doc: None,
            aggregates: Vec::new(),
            env: Vec::new(),
            commands: Vec::new(),
            queries: Vec::new(),
        };
        let Some(map) = self.mapping(
            node,
            APPLICATION_KEYS,
            &what,
            "a mapping with aggregates, env, commands and queries",
        ) else {
            return app;
        };
        app.doc = self.doc(map, &what);
        if let Some(node) = get(map, "aggregates") {
            match node {
                Node::Sequence(items) => {
                    for item in items.iter() {
                        if let Some(name) =
                            self.string(item, "an aggregate name", "an aggregate of this schema")
                        {
                            app.aggregates.push(name);
                        }
                    }
                }
                Node::Scalar(s) if is_null(s) => {}
                _ => self.err(
                    Document::pos(node),
                    format!("the aggregates of {what} must be a list"),
                    "a list of aggregate names, e.g. [World]",
                ),
            }
        }
        if let Some(node) = get(map, "env") {
            for (key, value) in self.entries(
                node,
                &format!("the env of {what}"),
                "a mapping of setting names to values, e.g. `COMPRESSOR_TOPIC: zlib`",
            ) {
                let setting = self.name(key);
                if let Some(value) = self.string(
                    value,
                    &format!("the value of setting '{}'", setting.value),
                    "a value",
                ) {
                    app.env.push((setting, value));
                }
            }
        }
        if let Some(node) = get(map, "commands") {
            for (key, value) in self.entries(node, &format!("the commands of {what}"), "a mapping of method names to `{ create: Aggregate }` or `{ call: Aggregate.command }`") {
                if let Some(command) = self.app_command(key, value, &what) {
                    app.commands.push(command);
                }
            }
        }
        if let Some(node) = get(map, "queries") {
            for (key, value) in self.entries(
                node,
                &format!("the queries of {what}"),
                "a mapping of method names to `{ read: Aggregate.field }`",
            ) {
                let name = self.name(key);
                let qwhat = format!("query '{}' of {what}", name.value);
                let Some(qmap) =
                    self.mapping(value, QUERY_KEYS, &qwhat, "`{ read: Aggregate.field }`")
                else {
                    continue;
                };
                let doc = self.doc(qmap, &qwhat);
                let Some(read) = get(qmap, "read") else {
                    self.err(
                        name.pos,
                        format!("{qwhat} has no 'read'"),
                        "read: Aggregate.field",
                    );
                    continue;
                };
                if let Some((aggregate, field)) =
                    self.dotted(read, &qwhat, "read: Aggregate.field, e.g. World.history")
                {
                    app.queries.push(Query {
                        name,
                        doc,
                        aggregate,
                        field,
                    });
                }
            }
        }
        app
    }

    fn app_command(
        &mut self,
        key: &MarkedScalarNode,
        node: &Node,
        app: &str,
    ) -> Option<AppCommand> {
        let name = self.name(key);
        let what = format!("command '{}' of {app}", name.value);
        const EXPECTED: &str = "`create: Aggregate` or `call: Aggregate.command`";
        let map = self.mapping(node, APP_COMMAND_KEYS, &what, EXPECTED)?;
        let doc = self.doc(map, &what);
        let target = match (get(map, "create"), get(map, "call")) {
            (Some(create), None) => Target::Create(self.string(
                create,
                &format!("the aggregate {what} creates"),
                "an aggregate name",
            )?),
            (None, Some(call)) => {
                let (aggregate, command) = self.dotted(
                    call,
                    &what,
                    "call: Aggregate.command, e.g. World.make_it_so",
                )?;
                Target::Call { aggregate, command }
            }
            (Some(_), Some(_)) => {
                self.err(
                    name.pos,
                    format!("{what} has both 'create' and 'call'"),
                    EXPECTED,
                );
                return None;
            }
            (None, None) => {
                self.err(
                    name.pos,
                    format!("{what} has neither 'create' nor 'call'"),
                    EXPECTED,
                );
                return None;
            }
        };
        Some(AppCommand { name, doc, target })
    }

    /// `Aggregate.member`, split, with a position for each part.
    fn dotted(&mut self, node: &Node, what: &str, expected: &str) -> Option<(Name, Name)> {
        let text = self.string(node, &format!("the target of {what}"), expected)?;
        let Some((left, right)) = text.value.split_once('.') else {
            self.err(
                text.pos,
                format!("'{}' in {what} names no member", text.value),
                expected,
            );
            return None;
        };
        let aggregate = Spanned {
            value: left.to_owned(),
            pos: text.pos,
            exact: text.exact,
        };
        let member = Spanned {
            value: right.to_owned(),
            pos: text.pos_at(left.chars().count() + 1),
            exact: text.exact,
        };
        Some((aggregate, member))
    }
}

fn op_names() -> Vec<&'static str> {
    Op::ALL.iter().map(|(name, _)| *name).collect()
}
