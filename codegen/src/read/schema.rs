//! The schema as written: what [`read`](crate::read) takes from the YAML,
//! with a position on everything, before any name or type is checked.

use super::yaml::{Pos, Spanned};
use crate::model::Visibility;

/// A name as written in the schema.
pub(crate) type Name = Spanned<String>;

/// A whole schema file.
#[derive(Debug, Default)]
pub(crate) struct Schema {
    /// The topic module (`module:`), if given.
    pub(crate) module: Option<Spanned<String>>,
    /// `module_aliases:`, modules the schema's topics were stored under
    /// before a rename.
    pub(crate) module_aliases: Vec<Spanned<String>>,
    pub(crate) types: Vec<TypeDef>,
    pub(crate) aggregates: Vec<Aggregate>,
    pub(crate) applications: Vec<Application>,
    pub(crate) systems: Vec<System>,
}

/// A value type of `types:`.
#[derive(Debug)]
pub(crate) struct TypeDef {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) body: TypeBody,
}

/// What a value type is.
#[derive(Debug)]
pub(crate) enum TypeBody {
    /// `fields:`: a struct.
    Struct(Vec<Field>),
    /// `variants:`: an enum.
    Enum(Vec<Variant>),
}

/// A variant of an enum value type.
#[derive(Debug)]
pub(crate) struct Variant {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    /// Empty for a unit variant.
    pub(crate) fields: Vec<Field>,
}

/// A state field, an event argument, or a field of a value type.
#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) name: Name,
    /// The type as written, e.g. `Vec<String>`.
    pub(crate) ty: Spanned<String>,
    pub(crate) doc: Option<String>,
    /// `default:`, the value a stored event without the field is read with.
    pub(crate) default: Option<LiteralText>,
}

/// A literal as written, to be read by the type it is for.
#[derive(Debug, Clone)]
pub(crate) enum LiteralText {
    /// `null`.
    Null(Pos),
    /// A scalar's text: a plain one, or `{ value: TEXT }`'s.
    Text(Spanned<String>),
}

/// How a stored state of one version of an event becomes the next's.
#[derive(Debug)]
pub(crate) enum Step {
    /// `add: { field: DEFAULT }`: a field the older version lacks.
    Add { field: Name, value: LiteralText },
    /// `rename: { old: new }`.
    Rename { from: Name, to: Name },
    /// `remove: field`.
    Remove(Name),
    /// `call: path::to::function`: Rust, for anything else.
    Call(Spanned<String>),
}

/// The steps from one version of an event to the next: `vN_vM: [...]`.
#[derive(Debug)]
pub(crate) struct Upcast {
    /// The key as written, `v1_v2`.
    pub(crate) key: Name,
    /// The version it starts from, when the key reads as `vN_vN+1`.
    pub(crate) from: Option<u32>,
    pub(crate) steps: Vec<Step>,
}

/// An aggregate of `aggregates:`.
#[derive(Debug)]
pub(crate) struct Aggregate {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) topic: Option<Spanned<String>>,
    pub(crate) state: Vec<Field>,
    pub(crate) created: Event,
    pub(crate) commands: Vec<Command>,
    /// `aliases:`, topics the aggregate was stored under before a rename.
    pub(crate) aliases: Vec<Spanned<String>>,
    /// `version:`, the class version of its snapshots' state.
    pub(crate) version: Option<Spanned<u32>>,
    /// `upcast:`, the steps that bring an older snapshot's state up to date.
    pub(crate) upcasts: Vec<Upcast>,
    /// `snapshot: { every: N }`.
    pub(crate) snapshot_every: Option<Spanned<u64>>,
}

/// An event: the created event, or the event a command triggers.
#[derive(Debug)]
pub(crate) struct Event {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) topic: Option<Spanned<String>>,
    pub(crate) args: Vec<Field>,
    pub(crate) apply: Apply,
    /// Who may trigger it: `visibility:` of the command, or of `created:`.
    pub(crate) visibility: Visibility,
    /// For the created event, `id: { uuid5: TEMPLATE }`: the template of
    /// the name its aggregate's id is made from.
    pub(crate) uuid5: Option<Spanned<String>>,
    /// `version:`, the event's class version (1 when absent).
    pub(crate) version: Option<Spanned<u32>>,
    /// `upcast:`, the steps from each older version to the next.
    pub(crate) upcasts: Vec<Upcast>,
    /// `aliases:`, topics it was stored under before a rename.
    pub(crate) aliases: Vec<Spanned<String>>,
}

/// A command of an aggregate, and the event it triggers.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) event: Event,
}

/// How an event changes the aggregate's state.
#[derive(Debug)]
pub(crate) enum Apply {
    /// `apply: custom`: a trait method written in Rust.
    Custom,
    /// A list of declarative state changes (possibly empty).
    Changes(Vec<Change>),
}

/// The kinds of declarative state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Set,
    Push,
    Extend,
    Insert,
    Remove,
    Increment,
    Decrement,
    Clear,
}

impl Op {
    /// Every kind, as written in a schema.
    pub(crate) const ALL: &[(&str, Op)] = &[
        ("set", Op::Set),
        ("push", Op::Push),
        ("extend", Op::Extend),
        ("insert", Op::Insert),
        ("remove", Op::Remove),
        ("increment", Op::Increment),
        ("decrement", Op::Decrement),
        ("clear", Op::Clear),
    ];

    /// The name written in a schema.
    pub(crate) fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(name, _)| name)
    }
}

/// One state change: `OP: FIELD` or one `FIELD: SOURCE` entry of `OP: {...}`.
#[derive(Debug)]
pub(crate) struct Change {
    pub(crate) op: Op,
    pub(crate) pos: Pos,
    pub(crate) field: Name,
    pub(crate) source: Source,
}

/// Where a change takes its value from.
#[derive(Debug)]
pub(crate) enum Source {
    /// The short form `OP: FIELD`: the argument named like the field (by one,
    /// for `increment` and `decrement`; nothing, for `clear`).
    Short,
    /// An argument, or `timestamp`.
    Arg(Name),
    /// `true` or `false`.
    Bool(Spanned<bool>),
    /// A literal, for `set`: a plain number, or `{ value: TEXT }`, read by
    /// the field's type.
    Literal(Spanned<String>),
    /// `null`, for `set` on an `Option` field.
    Null(Pos),
    /// A whole number, for `increment` and `decrement`.
    Int(Spanned<u64>),
    /// `{ key: ARG, value: ARG }`, for `insert`.
    KeyValue { key: Name, value: Name },
}

/// An application of `applications:`.
#[derive(Debug)]
pub(crate) struct Application {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) aggregates: Vec<Name>,
    pub(crate) env: Vec<(Name, Spanned<String>)>,
    pub(crate) commands: Vec<AppCommand>,
    pub(crate) queries: Vec<Query>,
    /// `follow:`, what it does with each leader's events.
    pub(crate) follows: Vec<Follow>,
}

/// What a follower does with the events of one leader: `follow: { Leader:
/// { policies: { Aggregate.Event: method }, ignore: [Aggregate.Event] } }`.
#[derive(Debug)]
pub(crate) struct Follow {
    pub(crate) leader: Name,
    /// Each handled event (aggregate and event names) and its policy.
    pub(crate) policies: Vec<(Name, Name, Name)>,
    /// The events it ignores, each as aggregate and event names.
    pub(crate) ignore: Vec<(Name, Name)>,
}

/// A system of `systems:`: the pipes along which applications follow one
/// another.
#[derive(Debug)]
pub(crate) struct System {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    /// Each pipe: applications, each following the one before.
    pub(crate) pipes: Vec<Spanned<Vec<Name>>>,
}

/// A command method of an application.
#[derive(Debug)]
pub(crate) struct AppCommand {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) target: Target,
}

/// What an application command does.
#[derive(Debug)]
pub(crate) enum Target {
    /// `create: World`.
    Create(Name),
    /// `call: World.make_it_so`.
    Call { aggregate: Name, command: Name },
}

/// A query method of an application: `read: World.history`.
#[derive(Debug)]
pub(crate) struct Query {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) aggregate: Name,
    pub(crate) field: Name,
}
