//! Reading, the first stage: the YAML text is parsed with a position on
//! every node ([`yaml`]), then walked by hand into the [`Schema`] as written
//! ([`schema`]), so that every misplaced or unknown key and every value of
//! the wrong shape is reported, not just the first. Aggregates are read in
//! [`aggregate`], applications in [`application`].

use marked_yaml::Node;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};

mod aggregate;
mod application;
mod follow;
pub(crate) mod schema;
pub(crate) mod yaml;

use self::schema::{Field, LiteralText, Name, Schema, TypeBody, TypeDef, Variant};
use self::yaml::{Document, Pos, Problems, Spanned, entries, is_null};
use crate::error::{did_you_mean, one_of};

/// Keys of the top level of a schema.
pub(crate) const TOP_KEYS: &[&str] = &[
    "module",
    "module_aliases",
    "types",
    "aggregates",
    "applications",
    "systems",
];
/// Keys of a value type.
pub(crate) const TYPE_KEYS: &[&str] = &["doc", "fields", "variants"];
/// Keys of an enum variant written as a mapping.
pub(crate) const VARIANT_KEYS: &[&str] = &["doc", "fields"];
/// Keys of a field written as a mapping.
pub(crate) const FIELD_KEYS: &[&str] = &["type", "doc", "default"];
/// Keys of an aggregate.
pub(crate) const AGGREGATE_KEYS: &[&str] = &[
    "doc", "topic", "state", "created", "commands", "aliases", "version", "upcast", "snapshot",
];
/// Keys of an aggregate's `snapshot`.
pub(crate) const SNAPSHOT_KEYS: &[&str] = &["every"];
/// The keys of an event, with `$extra` ones.
macro_rules! event_keys {
    ($($extra:literal),*) => {
        &[
            "event", "doc", "topic", "args", "apply", "visibility", "version", "upcast", "aliases"
            $(, $extra)*
        ]
    };
}
/// Keys of the created event and of a command.
pub(crate) const EVENT_KEYS: &[&str] = event_keys!();
/// Keys of the created event: an event's, and how its id is made.
pub(crate) const CREATED_KEYS: &[&str] = event_keys!("id");
/// The kinds of upcast step.
pub(crate) const STEP_KEYS: &[&str] = &["add", "rename", "remove", "call"];
/// Keys of a created event's `id`.
pub(crate) const ID_KEYS: &[&str] = &["uuid5"];
/// Keys of an application.
pub(crate) const APPLICATION_KEYS: &[&str] =
    &["doc", "aggregates", "env", "commands", "queries", "follow"];
/// Keys of what an application does with one leader's events.
pub(crate) const FOLLOW_KEYS: &[&str] = &["policies", "ignore"];
/// Keys of a system.
pub(crate) const SYSTEM_KEYS: &[&str] = &["doc", "pipes"];
/// Keys of an application command.
pub(crate) const APP_COMMAND_KEYS: &[&str] = &["create", "call", "doc"];
/// Keys of an application query.
pub(crate) const QUERY_KEYS: &[&str] = &["read", "doc"];
/// Keys of a literal written out in a `set` change.
pub(crate) const LITERAL_KEYS: &[&str] = &["value"];
/// Keys of the value of an `insert` change.
pub(crate) const INSERT_KEYS: &[&str] = &["key", "value"];

/// Reads schema text, recording every problem of syntax and shape in
/// `problems`. `None` when the YAML cannot be parsed at all.
pub(crate) fn read(text: &str, problems: &mut Problems) -> Option<Schema> {
    let doc = yaml::parse(text, problems)?;
    let mut reader = Reader {
        doc: &doc,
        problems,
    };
    Some(reader.schema(&doc.root))
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

    /// A literal: `null`, a scalar, or `{ value: SCALAR }`.
    fn literal_text(&mut self, node: &Node, what: &str) -> Option<LiteralText> {
        const EXPECTED: &str =
            "a literal: a number, true or false, null, a variant's name, or { value: TEXT }";
        match node {
            Node::Scalar(s) if is_null(s) => Some(LiteralText::Null(Document::pos(node))),
            Node::Mapping(map) => {
                self.keys(map, LITERAL_KEYS, what);
                match get(map, "value") {
                    Some(value) => self.literal_text(value, what),
                    None => {
                        self.err(
                            Document::pos(node),
                            format!("{what} has no 'value'"),
                            EXPECTED,
                        );
                        None
                    }
                }
            }
            _ => self.string(node, what, EXPECTED).map(LiteralText::Text),
        }
    }

    /// A list of topics (`aliases:`).
    fn topics(&mut self, map: &MarkedMappingNode, key: &str, what: &str) -> Vec<Spanned<String>> {
        let Some(node) = get(map, key) else {
            return Vec::new();
        };
        let expected = "a list of topics, e.g. [\"old.module:World\"]";
        match node {
            Node::Sequence(items) => items
                .iter()
                .filter_map(|item| self.string(item, &format!("an alias of {what}"), expected))
                .collect(),
            Node::Scalar(s) if is_null(s) => Vec::new(),
            _ => {
                self.err(
                    Document::pos(node),
                    format!("the {key} of {what} must be a list"),
                    expected,
                );
                Vec::new()
            }
        }
    }

    fn schema(&mut self, root: &Node) -> Schema {
        let mut schema = Schema::default();
        let Some(map) = self.mapping(
            root,
            TOP_KEYS,
            "the schema",
            "a mapping with module, types, aggregates, applications and systems",
        ) else {
            return schema;
        };
        schema.module = self.optional_string(
            map,
            "module",
            "the schema",
            "a topic module such as 'universe'",
        );
        schema.module_aliases = self.topics(map, "module_aliases", "the schema");
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
        if let Some(node) = get(map, "systems") {
            schema.systems = self.systems(node);
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
            let (ty, doc, default) = match value {
                Node::Mapping(map) => {
                    self.keys(map, FIELD_KEYS, &fwhat);
                    let doc = self.doc(map, &fwhat);
                    let default = get(map, "default").and_then(|node| {
                        self.literal_text(node, &format!("the default of {fwhat}"))
                    });
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
                    (ty, doc, default)
                }
                _ => (
                    self.string(value, &format!("the type of {fwhat}"), expected),
                    None,
                    None,
                ),
            };
            if let Some(ty) = ty {
                fields.push(Field {
                    name,
                    ty,
                    doc,
                    default,
                });
            }
        }
        fields
    }
}
