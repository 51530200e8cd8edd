//! Reading applications: the aggregates they use, their settings, commands
//! and queries.

use marked_yaml::Node;
use marked_yaml::types::MarkedScalarNode;

use super::schema::{AppCommand, Application, Name, Query, Target};
use super::yaml::{Document, Spanned, is_null};
use super::{APP_COMMAND_KEYS, APPLICATION_KEYS, QUERY_KEYS, Reader, get};

impl Reader<'_> {
    pub(super) fn application(&mut self, key: &MarkedScalarNode, node: &Node) -> Application {
        let name = self.name(key);
        let what = format!("application '{}'", name.value);
        let mut app = Application {
            name,
            doc: None,
            aggregates: Vec::new(),
            env: Vec::new(),
            commands: Vec::new(),
            queries: Vec::new(),
            follows: Vec::new(),
        };
        let Some(map) = self.mapping(
            node,
            APPLICATION_KEYS,
            &what,
            "a mapping with aggregates, env, commands, queries and follow",
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
        if let Some(node) = get(map, "follow") {
            app.follows = self.follows(node, &what);
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
        self.split_dotted(text, what, expected)
    }

    /// `Aggregate.member` split at its dot, each part with its position.
    pub(super) fn split_dotted(
        &mut self,
        text: Spanned<String>,
        what: &str,
        expected: &str,
    ) -> Option<(Name, Name)> {
        let Some((left, right)) = text.value.split_once('.') else {
            self.err(
                text.pos,
                format!("'{}' in {what} names no member", text.value),
                expected,
            );
            return None;
        };
        if left.is_empty() || right.is_empty() {
            let missing = if left.is_empty() {
                "no aggregate before"
            } else {
                "nothing after"
            };
            self.err(
                text.pos,
                format!("'{}' in {what} names {missing} its dot", text.value),
                expected,
            );
            return None;
        }
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
