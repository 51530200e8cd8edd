//! The checked model: what a schema means, once every name, type and
//! reference in it is known to be good. [`check`](crate::check) builds it;
//! [`lower`](crate::lower) turns it into Rust.
//!
//! It holds no Rust: names are kept as written and as cased for their role
//! (escaping keywords is lowering's job), types and state changes are enums,
//! and doc text is the schema's own. Top-level items are sorted by name, so
//! that the output is deterministic; members keep the schema's order, which
//! means something (fields are stored and taken as parameters in that order,
//! and an enum's first variant is its default).

/// One checked schema. Its items refer to one another by place, with the
/// typed references below (an application to its aggregates, a follower to
/// its leader), which only checking makes: a model that checked without a
/// problem holds no reference to anything it does not hold.
#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) types: Vec<ValueType>,
    pub(crate) aggregates: Vec<Aggregate>,
    pub(crate) applications: Vec<Application>,
    pub(crate) systems: Vec<System>,
}

/// A value type of the model: its place in [`Model::types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TypeRef(pub(crate) usize);

/// An aggregate of the model: its place in [`Model::aggregates`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct AggregateRef(pub(crate) usize);

/// An application of the model: its place in [`Model::applications`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ApplicationRef(pub(crate) usize);

/// A command of an aggregate: its place in [`Aggregate::commands`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CommandRef(pub(crate) usize);

/// A state field of an aggregate: its place in [`Aggregate::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FieldRef(pub(crate) usize);

/// An argument of an event: its place in [`Event::args`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ArgRef(pub(crate) usize);

/// An event of an aggregate: its place in [`Aggregate::events`] (the
/// created event, then each command's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct EventRef(pub(crate) usize);

impl std::ops::Index<AggregateRef> for Model {
    type Output = Aggregate;

    fn index(&self, at: AggregateRef) -> &Aggregate {
        &self.aggregates[at.0]
    }
}

impl std::ops::Index<ApplicationRef> for Model {
    type Output = Application;

    fn index(&self, at: ApplicationRef) -> &Application {
        &self.applications[at.0]
    }
}

impl Model {
    /// Whether a value of `ty` may hold a float: Python writes a float that
    /// is not finite as a bare token, which the runtime rewrites before
    /// reading only for event types that may hold one.
    pub(crate) fn may_hold_float(&self, ty: &Ty) -> bool {
        self.may_hold_float_within(ty, 0)
    }

    fn may_hold_float_within(&self, ty: &Ty, depth: usize) -> bool {
        // Value types do not nest this deep; were they to, say "may".
        if depth > 64 {
            return true;
        }
        let fields = |fields: &[Field]| {
            fields
                .iter()
                .any(|f| self.may_hold_float_within(&f.ty, depth + 1))
        };
        match ty {
            Ty::F64 | Ty::Unknown => true,
            Ty::Option(inner) | Ty::Vec(inner) | Ty::Map(inner) => {
                self.may_hold_float_within(inner, depth + 1)
            }
            Ty::Named(_, at) => match &self.types[at.0].body {
                TypeBody::Struct(own) => fields(own),
                TypeBody::Enum(variants) => variants.iter().any(|v| fields(&v.fields)),
            },
            Ty::String
            | Ty::Bool
            | Ty::Int(_)
            | Ty::Uuid
            | Ty::Id(_)
            | Ty::Decimal
            | Ty::DateTime => false,
        }
    }
}

/// A name as written in the schema, and cased for its role in Rust
/// (`UpperCamelCase` for types, `snake_case` for members), not yet escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    pub(crate) written: String,
    pub(crate) cased: String,
}

/// A field type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    String,
    Bool,
    Int(Int),
    F64,
    Uuid,
    Decimal,
    DateTime,
    Option(Box<Ty>),
    Vec(Box<Ty>),
    /// `Map<String, T>`.
    Map(Box<Ty>),
    /// A value type of the schema: its name, and its place in
    /// [`Model::types`].
    Named(Name, TypeRef),
    /// The id of an aggregate of the schema (`Id<Book>` or `BookId`): its
    /// name. Stored as a UUID is.
    Id(Name),
    /// A type that did not resolve, while checking only (it was reported,
    /// and is accepted anywhere so that one mistake is reported once). A
    /// model with problems is never lowered.
    Unknown,
}

/// The integer types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Int {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
}

impl Int {
    /// Every integer type, with its name in a schema (which is also its
    /// name in Rust).
    pub(crate) const ALL: [(&'static str, Int); 8] = [
        ("i8", Int::I8),
        ("i16", Int::I16),
        ("i32", Int::I32),
        ("i64", Int::I64),
        ("u8", Int::U8),
        ("u16", Int::U16),
        ("u32", Int::U32),
        ("u64", Int::U64),
    ];

    /// The name in a schema, and in Rust.
    pub(crate) fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, int)| *int == self)
            .map_or("i64", |(name, _)| name)
    }

    /// The smallest value.
    pub(crate) fn min(self) -> i128 {
        match self {
            Int::I8 => i128::from(i8::MIN),
            Int::I16 => i128::from(i16::MIN),
            Int::I32 => i128::from(i32::MIN),
            Int::I64 => i128::from(i64::MIN),
            Int::U8 | Int::U16 | Int::U32 | Int::U64 => 0,
        }
    }

    /// The largest value.
    pub(crate) fn max(self) -> u64 {
        match self {
            Int::I8 => i8::MAX as u64,
            Int::I16 => i16::MAX as u64,
            Int::I32 => i32::MAX as u64,
            Int::I64 => i64::MAX as u64,
            Int::U8 => u64::from(u8::MAX),
            Int::U16 => u64::from(u16::MAX),
            Int::U32 => u64::from(u32::MAX),
            Int::U64 => u64::MAX,
        }
    }
}

/// A value type of `types:`.
#[derive(Debug)]
pub(crate) struct ValueType {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    /// Whether it has a default value (a struct whose fields all have one,
    /// an enum whose first variant is a unit variant).
    pub(crate) has_default: bool,
    pub(crate) body: TypeBody,
}

/// What a value type is.
#[derive(Debug)]
pub(crate) enum TypeBody {
    Struct(Vec<Field>),
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

/// A field of a value type, a state field, or an event's argument.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: Name,
    pub(crate) ty: Ty,
    pub(crate) doc: Option<String>,
    /// An event argument's `default:`, what a stored event without it is
    /// read with (an `Option` argument is read as none without one).
    pub(crate) default: Option<Literal>,
}

/// An aggregate.
#[derive(Debug)]
pub(crate) struct Aggregate {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    /// The stored topic, e.g. `universe:World`.
    pub(crate) topic: String,
    pub(crate) state: Vec<Field>,
    pub(crate) created: Event,
    pub(crate) commands: Vec<Command>,
    /// Topics it was stored under before a rename.
    pub(crate) aliases: Vec<String>,
    /// How its id is made: `None` for a random (version 4) UUID, or the
    /// parts of the name of a version 5 UUID in the URL namespace, as
    /// Python's `create_id` makes one with `uuid5(NAMESPACE_URL, ...)`.
    pub(crate) uuid5: Option<Vec<NamePart>>,
    /// The class version of its snapshots' state (1 unless the schema
    /// says otherwise).
    pub(crate) version: u32,
    /// The steps that bring a snapshot's state from each older version to
    /// the next: `upcasts[0]` takes version 1 to 2, and so on.
    pub(crate) upcasts: Vec<Vec<UpcastStep>>,
    /// `snapshot: { every: N }`: a snapshot at each saved version divisible
    /// by N.
    pub(crate) snapshot_every: Option<u64>,
}

/// A part of the name a deterministic id is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NamePart {
    /// Text written as is.
    Text(String),
    /// The created event's argument.
    Arg(ArgRef),
    /// The created event's UUID argument as 32 lowercase hex digits
    /// (`{world.hex}`, Python's `uuid.hex`).
    ArgHex(ArgRef),
}

impl Aggregate {
    /// The created event, then the commands' events, in order.
    pub(crate) fn events(&self) -> impl Iterator<Item = &Event> {
        std::iter::once(&self.created).chain(self.commands.iter().map(|c| &c.event))
    }

    /// Whether applying its events reads their timestamps: a change whose
    /// value is the event's time, or any change written in Rust (which
    /// may).
    pub(crate) fn reads_event_times(&self) -> bool {
        self.events().any(|e| match &e.apply {
            Apply::Nothing => false,
            Apply::Custom => true,
            Apply::Changes(changes) => changes
                .iter()
                .any(|c| c.op.values().iter().any(|v| matches!(v, Value::Timestamp))),
        })
    }

    /// Whether any event's state change is written in Rust.
    pub(crate) fn has_custom_apply(&self) -> bool {
        self.events().any(|e| matches!(e.apply, Apply::Custom))
    }

    /// The command `at`.
    pub(crate) fn command(&self, at: CommandRef) -> &Command {
        &self.commands[at.0]
    }

    /// The state field `at`.
    pub(crate) fn field(&self, at: FieldRef) -> &Field {
        &self.state[at.0]
    }

    /// The event `at`.
    pub(crate) fn event(&self, at: EventRef) -> &Event {
        match at.0.checked_sub(1) {
            None => &self.created,
            Some(command) => &self.commands[command].event,
        }
    }
}

/// A command of an aggregate, and the event it triggers.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) event: Event,
}

/// Who may call a command (or `create`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Visibility {
    /// Any crate.
    #[default]
    Public,
    /// Only the crate that includes the generated code, where the rules
    /// written in Rust around it live.
    Crate,
}

/// An event: the created event, or the event of a command.
#[derive(Debug)]
pub(crate) struct Event {
    pub(crate) name: Name,
    /// The created event's own doc (a command's doc documents its event).
    pub(crate) doc: Option<String>,
    /// The name of the event's struct.
    pub(crate) struct_name: String,
    /// The stored topic, e.g. `universe:World.Started`.
    pub(crate) topic: String,
    pub(crate) args: Vec<Field>,
    pub(crate) apply: Apply,
    /// Who may trigger it: its command's visibility, or `create`'s.
    pub(crate) visibility: Visibility,
    /// Its class version (1 unless the schema says otherwise).
    pub(crate) version: u32,
    /// The steps from each older version to the next: `upcasts[0]` takes
    /// version 1 to 2, and so on.
    pub(crate) upcasts: Vec<Vec<UpcastStep>>,
    /// Topics it was stored under before a rename.
    pub(crate) aliases: Vec<String>,
}

/// One step of bringing a stored state of an event up to the next version,
/// on its stored (JSON) form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum UpcastStep {
    /// Adds the key with the value, when the state lacks it.
    Add { key: String, value: StoredValue },
    /// Renames a key.
    Rename { from: String, to: String },
    /// Removes a key.
    Remove(String),
    /// Calls a Rust function on the state: its path.
    /// A function of the user's crate, and where the schema names it
    /// (`file:line:column`), which a compiler error about it shows.
    Call { path: String, at: String },
}

/// A value in its stored (JSON) form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StoredValue {
    /// A literal of a known type.
    Typed(Literal),
    /// Text read as JSON reads a YAML scalar: a number, `true`/`false`, or
    /// else a string (for a field that a later step removes or passes to
    /// Rust, whose type is not known).
    Untyped(String),
    /// `null`.
    Null,
}

impl Event {
    /// The argument `at`.
    pub(crate) fn arg(&self, at: ArgRef) -> &Field {
        &self.args[at.0]
    }

    /// Whether applying the event can fail: it does checked arithmetic, or
    /// its change is written in Rust.
    pub(crate) fn can_fail(&self) -> bool {
        match &self.apply {
            Apply::Nothing => false,
            Apply::Custom => true,
            Apply::Changes(changes) => changes
                .iter()
                .any(|c| matches!(c.op, Op::Add(_) | Op::Sub(_))),
        }
    }
}

/// How an event changes its aggregate's state.
#[derive(Debug)]
pub(crate) enum Apply {
    /// It changes nothing.
    Nothing,
    /// Declarative changes, in order.
    Changes(Vec<Change>),
    /// A method written in Rust (`apply: custom`).
    Custom,
}

/// One declarative state change of the state field `field`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    pub(crate) field: FieldRef,
    pub(crate) op: Op,
}

/// What a change does to its field. Values fit the field: checking made
/// sure of it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// `field = value` (`Some(value)` for an optional field given a value
    /// of the inner type).
    Set(Value),
    /// Appends to a `Vec`.
    Push(Value),
    /// Extends a `Vec` or `Map` with another.
    Extend(Value),
    /// Inserts into a `Map`.
    Insert { key: Value, value: Value },
    /// Removes a key from a `Map`.
    RemoveKey(Value),
    /// Removes every item equal to the value from a `Vec`.
    RemoveItem(Value),
    /// Adds to a number.
    Add(Value),
    /// Subtracts from a number.
    Sub(Value),
    /// Empties a `Vec` or `Map`, sets an `Option` to none, or resets any
    /// other field to its default.
    Clear,
}

impl Op {
    /// The values the change reads.
    pub(crate) fn values(&self) -> Vec<&Value> {
        match self {
            Op::Set(v)
            | Op::Push(v)
            | Op::Extend(v)
            | Op::RemoveKey(v)
            | Op::RemoveItem(v)
            | Op::Add(v)
            | Op::Sub(v) => vec![v],
            Op::Insert { key, value } => vec![key, value],
            Op::Clear => Vec::new(),
        }
    }
}

/// Where a change takes a value from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// The event's argument.
    Arg(ArgRef),
    /// The event's timestamp.
    Timestamp,
    /// A literal of the field's type (of its inner type, for an `Option`).
    Literal(Literal),
    /// A whole number, of the field's number type.
    Number(u64),
}

/// A literal value, checked to fit its type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Bool(bool),
    Int(i128),
    /// A finite float, as written.
    Float(String),
    /// A decimal's mantissa and scale.
    Decimal {
        mantissa: i128,
        scale: u32,
    },
    String(String),
    Uuid(u128),
    /// Microseconds since the Unix epoch, UTC.
    DateTime(i64),
    /// A unit variant of an enum value type.
    Variant {
        ty: Name,
        variant: Name,
    },
    /// `None`, for an `Option` field.
    None,
}

/// An application facade.
#[derive(Debug)]
pub(crate) struct Application {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    /// Default settings: name and value.
    pub(crate) env: Vec<(String, String)>,
    /// The aggregates it uses.
    pub(crate) aggregates: Vec<AggregateRef>,
    pub(crate) commands: Vec<AppCommand>,
    pub(crate) queries: Vec<Query>,
    /// The applications it follows, in the schema's order.
    pub(crate) follows: Vec<Follow>,
}

/// What a follower does with one leader's events: a policy for each event
/// it handles (every other event of the leader's it ignores, as the schema
/// says).
#[derive(Debug)]
pub(crate) struct Follow {
    pub(crate) leader: ApplicationRef,
    /// The policies, in the schema's order.
    pub(crate) policies: Vec<Policy>,
}

/// A policy: the follower's method for one of the leader's events.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) name: Name,
    /// The leader's aggregate.
    pub(crate) aggregate: AggregateRef,
    /// The aggregate's event.
    pub(crate) event: EventRef,
}

/// A system: applications that follow one another along its pipes.
#[derive(Debug)]
pub(crate) struct System {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    /// Its applications, in the order they first appear.
    pub(crate) applications: Vec<ApplicationRef>,
    /// Each leader and its follower, in the schema's order.
    pub(crate) pipes: Vec<(ApplicationRef, ApplicationRef)>,
}

/// A command method of an application.
#[derive(Debug)]
pub(crate) struct AppCommand {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    /// The aggregate it creates or calls.
    pub(crate) aggregate: AggregateRef,
    /// `None` to create the aggregate; the command, to call it.
    pub(crate) command: Option<CommandRef>,
}

/// A query method of an application: one state field of one aggregate.
#[derive(Debug)]
pub(crate) struct Query {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) aggregate: AggregateRef,
    pub(crate) field: FieldRef,
}
