//! Reading what applications follow (`follow:`, with a policy for each
//! handled event and the events ignored) and the systems that connect them
//! (`systems:`).

use marked_yaml::Node;

use super::schema::{Follow, Name, System};
use super::yaml::{Document, Spanned, is_null};
use super::{FOLLOW_KEYS, Reader, SYSTEM_KEYS, get};

const EVENT: &str = "Aggregate.Event, e.g. Account.Opened";

impl Reader<'_> {
    /// `follow:` of the application `app`: leader names to what is done
    /// with their events.
    pub(super) fn follows(&mut self, node: &Node, app: &str) -> Vec<Follow> {
        let mut follows = Vec::new();
        for (key, value) in self.entries(
            node,
            &format!("the follow of {app}"),
            "a mapping of leader application names to `{ policies: ..., ignore: [...] }`",
        ) {
            let leader = self.name(key);
            let what = format!("what {app} does with the events of '{}'", leader.value);
            let mut follow = Follow {
                leader,
                policies: Vec::new(),
                ignore: Vec::new(),
            };
            let Some(map) = self.mapping(
                value,
                FOLLOW_KEYS,
                &what,
                "`{ policies: { Aggregate.Event: method }, ignore: [Aggregate.Event] }`",
            ) else {
                continue;
            };
            if let Some(node) = get(map, "policies") {
                for (key, value) in self.entries(
                    node,
                    &format!("the policies of {what}"),
                    "a mapping of Aggregate.Event to the policy's method name, e.g. `Account.Opened: open_statement`",
                ) {
                    let event = self.name(key);
                    let pwhat = format!("the policy for '{}' in {what}", event.value);
                    let method = self.string(value, &pwhat, "a method name, e.g. open_statement");
                    let split = self.split_dotted(event, &pwhat, EVENT);
                    if let (Some((aggregate, event)), Some(method)) = (split, method) {
                        follow.policies.push((aggregate, event, method));
                    }
                }
            }
            if let Some(node) = get(map, "ignore") {
                let iwhat = format!("the ignore list of {what}");
                for item in self.list(
                    node,
                    &iwhat,
                    "a list of Aggregate.Event, e.g. [Account.Closed]",
                ) {
                    if let Some(text) = self.string(item, &format!("an item of {iwhat}"), EVENT)
                        && let Some(pair) = self.split_dotted(text, &iwhat, EVENT)
                    {
                        follow.ignore.push(pair);
                    }
                }
            }
            follows.push(follow);
        }
        follows
    }

    /// `systems:`: system names to their pipes.
    pub(super) fn systems(&mut self, node: &Node) -> Vec<System> {
        let mut systems = Vec::new();
        for (key, value) in self.entries(
            node,
            "systems",
            "a mapping of system names to `{ pipes: [[Leader, Follower]] }`",
        ) {
            let name = self.name(key);
            let what = format!("system '{}'", name.value);
            let mut system = System {
                name,
                doc: None,
                pipes: Vec::new(),
            };
            let Some(map) = self.mapping(
                value,
                SYSTEM_KEYS,
                &what,
                "`{ pipes: [[Leader, Follower]] }`",
            ) else {
                continue;
            };
            system.doc = self.doc(map, &what);
            if let Some(node) = get(map, "pipes") {
                let pwhat = format!("the pipes of {what}");
                let expected = "a list of pipes, each a list of applications that follow the one before, e.g. [[Bank, Statements]]";
                for pipe in self.list(node, &pwhat, expected) {
                    let pos = Document::pos(pipe);
                    if !matches!(pipe, Node::Sequence(_)) {
                        self.err(pos, format!("a pipe of {what} must be a list"), expected);
                        continue;
                    }
                    let mut names: Vec<Name> = Vec::new();
                    for item in self.list(pipe, &format!("a pipe of {what}"), expected) {
                        if let Some(name) = self.string(
                            item,
                            &format!("an application in a pipe of {what}"),
                            "an application name",
                        ) {
                            names.push(name);
                        }
                    }
                    system.pipes.push(Spanned {
                        value: names,
                        pos,
                        exact: false,
                    });
                }
            }
            systems.push(system);
        }
        systems
    }

    /// The items of a sequence node. A null node has none; any other node
    /// is reported.
    fn list<'n>(&mut self, node: &'n Node, what: &str, expected: &str) -> Vec<&'n Node> {
        match node {
            Node::Sequence(items) => items.iter().collect(),
            Node::Scalar(s) if is_null(s) => Vec::new(),
            _ => {
                self.err(
                    Document::pos(node),
                    format!("{what} must be a list"),
                    expected,
                );
                Vec::new()
            }
        }
    }
}
