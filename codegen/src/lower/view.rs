//! The templates' typed context: everything they need, already named as
//! Rust, typed as Rust text and ordered, so that templates hold no logic
//! beyond loops and simple conditions. [`lower`](super::lower) builds it
//! from the model, keeping the model's order.

use serde::Serialize;

/// One schema, ready to render.
#[derive(Debug, Serialize)]
pub(crate) struct File {
    pub(crate) types: Vec<ValueType>,
    pub(crate) aggregates: Vec<Aggregate>,
    pub(crate) applications: Vec<Application>,
    pub(crate) systems: Vec<System>,
}

/// A value type: a struct or an enum of the schema's `types:`.
#[derive(Debug, Serialize)]
pub(crate) struct ValueType {
    pub(crate) name: String,
    pub(crate) doc: Vec<String>,
    pub(crate) is_enum: bool,
    pub(crate) derive_default: bool,
    pub(crate) fields: Vec<Field>,
    pub(crate) variants: Vec<Variant>,
}

/// A variant of an enum value type.
#[derive(Debug, Serialize)]
pub(crate) struct Variant {
    pub(crate) name: String,
    pub(crate) doc: Vec<String>,
    /// The stored name, as a Rust string literal, when it is not the Rust name.
    pub(crate) rename: Option<String>,
    pub(crate) is_default: bool,
    pub(crate) fields: Vec<Field>,
}

/// A field of a value type, or an argument of an event.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Field {
    /// The Rust identifier.
    pub(crate) name: String,
    /// The Rust type, at the top level of the generated file.
    pub(crate) ty: String,
    pub(crate) doc: Vec<String>,
    /// The stored key, as a Rust string literal.
    pub(crate) key: String,
    /// The stored key, as a Rust string literal, when serde would not
    /// derive it from the identifier.
    pub(crate) rename: Option<String>,
    /// What goes in its `#[serde(...)]`, if anything: the runtime's
    /// `tagged` (for a UUID, decimal, timestamp or float, anywhere in it),
    /// its stored name, its default.
    pub(crate) serde: Option<String>,
    /// For an event argument with a `default:`, the function serde calls.
    pub(crate) default_fn: Option<DefaultFn>,
    /// The type of a method parameter taking it (`impl Into<String>` for
    /// strings).
    pub(crate) param_ty: String,
    /// How a struct literal takes it from the parameter: `name` or
    /// `name: Into::into(name)`.
    pub(crate) init: String,
}

/// The function giving an event argument's default.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DefaultFn {
    pub(crate) name: String,
    pub(crate) ty: String,
    pub(crate) expr: String,
}

/// An aggregate.
#[derive(Debug, Serialize)]
pub(crate) struct Aggregate {
    pub(crate) name: String,
    /// Whether applying its events reads their timestamps (when not, a
    /// replay reads only the first and last).
    pub(crate) reads_event_times: bool,
    /// Whether any of its events may hold a float.
    pub(crate) may_hold_floats: bool,
    /// The type of its id, e.g. `WorldId`.
    pub(crate) id_type: String,
    /// How docs call one, e.g. `world`.
    pub(crate) noun: String,
    /// `a world`, `an item`.
    pub(crate) a_noun: String,
    pub(crate) doc: Vec<String>,
    /// The aggregate's topic, as a Rust string literal.
    pub(crate) topic: String,
    /// The event enum, e.g. `WorldEvent`.
    pub(crate) event_enum: String,
    /// The trait of `apply: custom` state changes, if any event has one.
    pub(crate) apply_trait: Option<String>,
    pub(crate) state: Vec<StateField>,
    /// `create` (the created event as a command), then the commands.
    pub(crate) triggers: Vec<Command>,
    /// The created event first, then the commands' events, in order.
    pub(crate) events: Vec<Event>,
    /// The aggregate's alias topics, as string literals.
    pub(crate) aliases: Vec<String>,
    /// How `create_id` makes a deterministic id, when the schema says so.
    pub(crate) create_id: Option<CreateId>,
    /// The class version of its snapshots.
    pub(crate) version: u32,
    /// Its `upcast_snapshot` function's arms, one per older version.
    pub(crate) upcast_arms: Vec<UpcastArm>,
    /// The `call:` steps of its snapshots' and its events' upcasts.
    pub(crate) upcast_calls: Vec<UpcastCall>,
    /// `snapshot: { every: N }`: N.
    pub(crate) snapshot_every: Option<String>,
    /// The first statement of its `__aggregate!` call: name, event enum,
    /// topic, class version and options.
    pub(crate) macro_head: String,
}

/// The `create_id` of an aggregate whose id is a version 5 UUID of a name
/// made of its created event's arguments.
#[derive(Debug, Serialize)]
pub(crate) struct CreateId {
    /// The name's template as the schema writes it, for docs.
    pub(crate) template: String,
    /// The parameters, e.g. `email: &str`.
    pub(crate) params: Vec<String>,
    /// The format string, as a Rust string literal.
    pub(crate) format: String,
    /// The arguments of the format string: the parameters, in order.
    pub(crate) format_args: Vec<String>,
    /// What `create` gives it from the created event, e.g. `&event.email`.
    pub(crate) call_args: Vec<String>,
}

/// A state field of an aggregate.
#[derive(Debug, Serialize)]
pub(crate) struct StateField {
    pub(crate) name: String,
    /// The stored key, as a Rust string literal.
    pub(crate) key: String,
    pub(crate) ty: String,
    pub(crate) doc: Vec<String>,
    pub(crate) getter_ty: String,
    pub(crate) getter_expr: String,
    /// What it holds before the created event sets it.
    pub(crate) initial: String,
}

/// An event of an aggregate.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Event {
    /// The variant of the event enum (the event's name).
    pub(crate) variant: String,
    /// The event struct, e.g. `WorldStarted`.
    pub(crate) struct_name: String,
    /// The event struct's path (its name).
    pub(crate) path: String,
    /// The stored topic, as a Rust string literal.
    pub(crate) topic: String,
    pub(crate) doc: Vec<String>,
    pub(crate) args: Vec<Field>,
    /// Whether an argument has a default written as a function.
    pub(crate) has_default_fns: bool,
    pub(crate) is_created: bool,
    /// The method that applies it, e.g. `apply_something_happened`.
    pub(crate) apply_fn: String,
    /// `none`, `changes` or `custom`.
    pub(crate) apply: &'static str,
    /// Whether applying it can fail (checked arithmetic, or a custom
    /// change).
    pub(crate) fallible: bool,
    /// The statements of the applying method, for `changes`.
    pub(crate) body: Vec<String>,
    /// The name of the applying method's event parameter: `event`, or
    /// `_event` when no change reads it.
    pub(crate) event_param: &'static str,
    /// Its class version.
    pub(crate) version: u32,
    /// Its `upcast` function's arms, one per older version.
    pub(crate) upcast_arms: Vec<UpcastArm>,
    /// Its alias topics, as string literals.
    pub(crate) aliases: Vec<String>,
    /// Its line in the `__events!` call (without its indent; wrapped lines
    /// indented 8).
    pub(crate) macro_line: String,
}

/// A `call:` step of an upcast: the user's function, held by a constant.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UpcastCall {
    /// The constant that holds it, e.g. `UPCAST__MEMO__WRITTEN__V2__STEP3`.
    pub(crate) name: String,
    /// The function's path, as the schema writes it.
    pub(crate) path: String,
    /// Where the schema names it, `file:line:column`, as a string literal.
    pub(crate) at: String,
}

/// The steps that bring a state stored at version `from` to the next.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UpcastArm {
    pub(crate) from: usize,
    pub(crate) statements: Vec<String>,
}

/// A command of an aggregate, or `create`.
#[derive(Debug, Serialize)]
pub(crate) struct Command {
    pub(crate) name: String,
    pub(crate) doc: Vec<String>,
    /// `pub` or `pub(crate)`.
    pub(crate) vis: &'static str,
    /// Whether the method has more parameters than clippy likes.
    pub(crate) many_args: bool,
    pub(crate) event: Event,
}

/// An application facade.
#[derive(Debug, Serialize)]
pub(crate) struct Application {
    pub(crate) name: String,
    /// The application's name, as a Rust string literal.
    pub(crate) name_lit: String,
    pub(crate) doc: Vec<String>,
    pub(crate) defaults: Vec<Setting>,
    pub(crate) aggregates: Vec<AppAggregate>,
    pub(crate) commands: Vec<AppCommand>,
    pub(crate) queries: Vec<Query>,
    /// Its policy trait, e.g. `StatementsPolicy`, when it follows others.
    pub(crate) policy_trait: String,
    pub(crate) follows: Vec<Follow>,
}

/// What a follower does with one leader's events.
#[derive(Debug, Serialize)]
pub(crate) struct Follow {
    /// The leader's facade type.
    pub(crate) leader: String,
    /// The follower's methods: `process_<leader>`, `pipe_from_<leader>`
    /// and `wait_for_<leader>`.
    pub(crate) process: String,
    pub(crate) pipe: String,
    pub(crate) wait: String,
    /// The enum of the events it handles, e.g. `StatementsFromBank`.
    pub(crate) events_enum: String,
    /// The leader's aggregates whose events it handles, each with those
    /// policies, to decode by.
    pub(crate) aggregates: Vec<FollowedAggregate>,
    /// Every policy, in the schema's order.
    pub(crate) policies: Vec<Policy>,
    /// The events it ignores, as written (`Account.Closed`).
    pub(crate) ignored: Vec<String>,
}

/// One of the leader's aggregates, as a follower decodes its events.
#[derive(Debug, Serialize)]
pub(crate) struct FollowedAggregate {
    /// Its event enum, e.g. `AccountEvent`.
    pub(crate) event_enum: String,
    /// Whether every one of its events has a policy (no other arm needed).
    pub(crate) all_handled: bool,
    pub(crate) policies: Vec<Policy>,
}

/// A policy: the follower's method for one of the leader's events.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Policy {
    pub(crate) method: String,
    /// The method's name as a string literal (no `r#`), for errors.
    pub(crate) method_name: String,
    pub(crate) doc: Vec<String>,
    /// The event as written, `Account.Opened`.
    pub(crate) written: String,
    /// The event's struct, which is also its variant in the follower's
    /// enum.
    pub(crate) event_struct: String,
    /// Its variant in the aggregate's event enum.
    pub(crate) aggregate_variant: String,
    /// The topics it is read under: `Struct::TOPIC`, then alias literals.
    pub(crate) topics: Vec<String>,
}

/// A system of applications joined by pipes.
#[derive(Debug, Serialize)]
pub(crate) struct System {
    pub(crate) name: String,
    pub(crate) doc: Vec<String>,
    pub(crate) applications: Vec<SystemApp>,
    pub(crate) pipes: Vec<SystemPipe>,
    /// Whether `new` has more parameters than clippy likes.
    pub(crate) many_args: bool,
    /// A setting for its first application alone, e.g.
    /// `BANK_SQLITE_DBNAME`.
    pub(crate) env_example: String,
}

/// An application of a system.
#[derive(Debug, Serialize)]
pub(crate) struct SystemApp {
    /// Its facade type.
    pub(crate) name: String,
    /// Its field and accessor, e.g. `bank`.
    pub(crate) var: String,
}

/// A pipe of a system: a leader and the follower that follows it.
#[derive(Debug, Serialize)]
pub(crate) struct SystemPipe {
    pub(crate) leader_lit: String,
    pub(crate) follower_lit: String,
    pub(crate) leader_var: String,
    pub(crate) follower_var: String,
    /// The follower's method that makes the pipe.
    pub(crate) method: String,
}

/// A default setting, as Rust string literals.
#[derive(Debug, Serialize)]
pub(crate) struct Setting {
    pub(crate) key: String,
    pub(crate) value: String,
}

/// An aggregate as an application uses it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AppAggregate {
    pub(crate) name: String,
    pub(crate) id_type: String,
    pub(crate) var: String,
    pub(crate) noun: String,
    /// The id parameter, e.g. `world_id`.
    pub(crate) id: String,
    /// The method that gets one, e.g. `get_world`.
    pub(crate) getter: String,
}

/// A command method of an application.
#[derive(Debug, Serialize)]
pub(crate) struct AppCommand {
    pub(crate) name: String,
    pub(crate) doc: Vec<String>,
    /// `pub`, or `pub(crate)` when the aggregate's command is.
    pub(crate) vis: &'static str,
    /// `create` or `call`.
    pub(crate) kind: &'static str,
    pub(crate) aggregate: AppAggregate,
    /// The aggregate's method: `create`, or the command.
    pub(crate) method: String,
    /// Whether the aggregate's method returns a `Result`.
    pub(crate) fallible: bool,
    pub(crate) args: Vec<Field>,
    pub(crate) many_args: bool,
}

/// A query method of an application.
#[derive(Debug, Serialize)]
pub(crate) struct Query {
    pub(crate) name: String,
    pub(crate) doc: Vec<String>,
    pub(crate) aggregate: AppAggregate,
    pub(crate) field: String,
    pub(crate) ty: String,
}
