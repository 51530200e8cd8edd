//! Lowering an aggregate: its struct, getters, commands, events and state
//! changes.

use std::collections::HashMap;

use super::{Owner, article, doc_lines, field, ident, lines, literal_expr, view, with_article};
use crate::ident::{conventions, str_lit};
use crate::model::{self, Apply, Literal, NamePart, Op, Ty, Value, Visibility};

/// Methods with more parameters than this get clippy's
/// `too_many_arguments` allowed.
pub(super) const MAX_PARAMS: usize = 7;

pub(super) fn lower(a: &model::Aggregate) -> view::Aggregate {
    let name = ident(&a.name.cased);
    let noun = conventions::noun(&a.name.cased);
    let context = Context { aggregate: &name };
    let created = event(a, &a.created, None, &context);
    let create = view::Command {
        name: "create".to_owned(),
        doc: vec![format!(
            "Creates {}: triggers [`{}`].",
            with_article(&noun),
            created.path
        )],
        vis: vis(a.created.visibility),
        many_args: created.args.len() > MAX_PARAMS,
        event: created.clone(),
    };
    let mut events = vec![created];
    let mut triggers = vec![create];
    for command in &a.commands {
        let event = event(a, &command.event, Some(command), &context);
        let says = format!("Triggers [`{}`].", event.path);
        let doc = match &command.doc {
            Some(doc) => {
                let mut doc = lines(doc);
                doc.extend([String::new(), says]);
                doc
            }
            None => vec![says],
        };
        events.push(event.clone());
        triggers.push(view::Command {
            name: ident(&command.name.cased),
            doc,
            vis: vis(command.event.visibility),
            many_args: event.args.len() + 1 > MAX_PARAMS,
            event,
        });
    }
    let apply_trait = a
        .has_custom_apply()
        .then(|| format!("{}Apply", a.name.cased));
    for e in &mut events {
        e.macro_line = event_line(e, apply_trait.as_deref());
    }
    let aliases: Vec<String> = a.aliases.iter().map(|a| str_lit(a)).collect();
    let mut upcast_calls = super::upcast::calls(&a.upcasts, &upcast_prefix(a, None));
    for e in std::iter::once(&a.created).chain(a.commands.iter().map(|c| &c.event)) {
        upcast_calls.extend(super::upcast::calls(&e.upcasts, &upcast_prefix(a, Some(e))));
    }
    let mut options = Vec::new();
    if a.version > 1 {
        options.push("upcast upcast_snapshot".to_owned());
    }
    if !aliases.is_empty() {
        options.push(format!("aliases [{}]", aliases.join(", ")));
    }
    if let Some(every) = a.snapshot_every {
        options.push(format!("snapshot_every {every}"));
    }
    if !a.reads_event_times() {
        options.push("reads_event_times false".to_owned());
    }
    let head = format!(
        "{}({}Event) = {}, version {}",
        name,
        a.name.cased,
        str_lit(&a.topic),
        a.version
    );
    view::Aggregate {
        macro_head: wrapped(&head, &options, ",", ";"),
        doc: doc_lines(a.doc.as_deref(), || {
            format!(
                "The `{}` aggregate (the schema gives it no doc).",
                a.name.written
            )
        }),
        id_type: format!("{}Id", a.name.cased),
        topic: str_lit(&a.topic),
        event_enum: format!("{}Event", a.name.cased),
        reads_event_times: a.reads_event_times(),
        // Set by the caller, which has the value types.
        may_hold_floats: true,
        apply_trait,
        state: a
            .state
            .iter()
            .map(|f| {
                let field_name = ident(&f.name.cased);
                let (getter_ty, getter_expr) = f.ty.getter(&field_name);
                view::StateField {
                    key: str_lit(&f.name.written),
                    ty: f.ty.rust(),
                    doc: doc_lines(f.doc.as_deref(), || {
                        format!("Reads the `{}` state field of the {noun}.", f.name.written)
                    }),
                    name: field_name,
                    getter_ty,
                    getter_expr,
                    initial: f.ty.initial(),
                }
            })
            .collect(),
        a_noun: with_article(&noun),
        noun,
        name,
        aliases,
        create_id: a.uuid5.as_ref().map(|parts| create_id(&a.created, parts)),
        version: a.version,
        upcast_arms: super::upcast::arms(&a.upcasts, &upcast_prefix(a, None)),
        upcast_calls,
        snapshot_every: a.snapshot_every.map(|n| n.to_string()),
        triggers,
        events,
    }
}

/// The widest line the runtime's macro calls are written in before they
/// wrap.
const MACRO_WIDTH: usize = 100;

/// `head` and `parts` on one line, indented 4, each part after
/// `separator`, then `end`; past [`MACRO_WIDTH`], each part on a line of its
/// own, indented 8.
fn wrapped(head: &str, parts: &[String], separator: &str, end: &str) -> String {
    let one_line = std::iter::once(head.to_owned())
        .chain(parts.iter().cloned())
        .collect::<Vec<_>>()
        .join(&format!("{separator} "));
    if 4 + one_line.len() + end.len() <= MACRO_WIDTH {
        return format!("{one_line}{end}");
    }
    let mut text = head.to_owned();
    for part in parts {
        text.push_str(&format!("{separator}\n        {part}"));
    }
    text.push_str(end);
    text
}

/// An event's line in the `__events!` call: its variant and struct, the
/// topics it is also read under, its class version, and what applying it
/// does.
fn event_line(e: &view::Event, apply_trait: Option<&str>) -> String {
    let kind = match (e.is_created, e.apply, e.fallible) {
        (true, _, false) => "created".to_owned(),
        (true, _, true) => "try_created".to_owned(),
        (false, "changes", false) => format!("apply {}", e.apply_fn),
        (false, "changes", true) => format!("try_apply {}", e.apply_fn),
        (false, "custom", _) => {
            format!("custom {}::{}", apply_trait.unwrap_or_default(), e.apply_fn)
        }
        (false, _, _) => "unchanged".to_owned(),
    };
    let upcast = if e.version > 1 {
        format!(", upcast {}", e.version)
    } else {
        String::new()
    };
    let head = format!("{}({})", e.variant, e.path);
    let aliases: Vec<String> = e.aliases.iter().map(|a| format!("| {a}")).collect();
    let end = format!("{upcast} => {kind};");
    let one_line = std::iter::once(head.clone())
        .chain(aliases.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    if 4 + one_line.len() + end.len() <= MACRO_WIDTH {
        return format!("{one_line}{end}");
    }
    let mut text = head;
    for alias in &aliases {
        text.push_str(&format!("\n        {alias}"));
    }
    text.push_str(&end);
    text
}

/// `create_id`, for an id made from `parts` of the created event's
/// arguments.
fn create_id(created: &model::Event, parts: &[NamePart]) -> view::CreateId {
    let mut template = String::new();
    let mut format = String::new();
    let mut used: Vec<model::ArgRef> = Vec::new();
    let mut format_args = Vec::new();
    for part in parts {
        match part {
            NamePart::Text(text) => {
                template.push_str(&text.replace('{', "{{").replace('}', "}}"));
                format.push_str(&text.replace('{', "{{").replace('}', "}}"));
            }
            NamePart::Arg(i) | NamePart::ArgHex(i) => {
                let arg = created.arg(*i);
                let hex = matches!(part, NamePart::ArgHex(_));
                let suffix = if hex { ".hex" } else { "" };
                template.push_str(&format!("{{{}{suffix}}}", arg.name.written));
                format.push_str("{}");
                // Python's `uuid.hex`: 32 lowercase hex digits, no hyphens.
                let value = ident(&arg.name.cased);
                format_args.push(match (hex, &arg.ty) {
                    (true, Ty::Id(_)) => format!("{value}.uuid().simple()"),
                    (true, _) => format!("{value}.simple()"),
                    (false, _) => value,
                });
                if !used.contains(i) {
                    used.push(*i);
                }
            }
        }
    }
    let (params, call_args) = used
        .iter()
        .map(|&i| created.arg(i))
        .map(|arg| {
            let name = ident(&arg.name.cased);
            match arg.ty {
                Ty::String => (format!("{name}: &str"), format!("&event.{name}")),
                _ => (
                    format!("{name}: {}", arg.ty.rust()),
                    format!("event.{name}"),
                ),
            }
        })
        .unzip();
    view::CreateId {
        template,
        params,
        format: str_lit(&format),
        format_args,
        call_args,
    }
}

/// What lowering an aggregate's events shares.
struct Context<'a> {
    aggregate: &'a str,
}

fn vis(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Public => "pub",
        Visibility::Crate => "pub(crate)",
    }
}

/// An event (the created one when `command` is `None`).
/// What the constants of an aggregate's `call:` steps start with:
/// `UPCAST__MEMO__SNAPSHOT`, or `UPCAST__MEMO__WRITTEN` for an event's. A
/// cased name has no `__` in it, so no two of these can be the same.
fn upcast_prefix(a: &model::Aggregate, e: Option<&model::Event>) -> String {
    use heck::ToShoutySnakeCase;
    let of = e.map_or("snapshot", |e| e.name.cased.as_str());
    format!(
        "UPCAST__{}__{}",
        a.name.cased.to_shouty_snake_case(),
        of.to_shouty_snake_case()
    )
}

fn event(
    a: &model::Aggregate,
    e: &model::Event,
    command: Option<&model::Command>,
    context: &Context<'_>,
) -> view::Event {
    let aggregate = context.aggregate;
    let (first, more) = match command {
        None => (
            format!(
                "The event that creates {} [`{aggregate}`].",
                article(aggregate)
            ),
            e.doc.as_deref(),
        ),
        Some(command) => {
            // As docs link it: rustdoc resolves `World::loop`, not `World::r#loop`.
            let method = &command.name.cased;
            let first = match command.event.visibility {
                Visibility::Public => format!("The event of [`{aggregate}::{method}`]."),
                // Not linked: public docs cannot link to what only the
                // crate sees.
                Visibility::Crate => {
                    format!("The event of `{aggregate}::{method}` (a command of its crate only).")
                }
            };
            (first, command.doc.as_deref())
        }
    };
    let mut doc = vec![first];
    if let Some(text) = more {
        doc.push(String::new());
        doc.extend(lines(text));
    }
    let struct_name = ident(&e.struct_name);
    let path = struct_name.clone();
    let (apply, body, reads_event) = match &e.apply {
        Apply::Nothing => ("none", Vec::new(), false),
        Apply::Custom => ("custom", Vec::new(), true),
        Apply::Changes(changes) => {
            let reads = e.can_fail() || changes.iter().any(|c| reads(&c.op));
            ("changes", Body::new(a, e, &path).statements(changes), reads)
        }
    };
    let args: Vec<view::Field> = e
        .args
        .iter()
        .map(|f| field(f, Owner::Event(&struct_name)))
        .collect();
    view::Event {
        variant: ident(&e.name.cased),
        topic: str_lit(&e.topic),
        doc,
        has_default_fns: args.iter().any(|f| f.default_fn.is_some()),
        args,
        is_created: command.is_none(),
        apply_fn: conventions::apply_fn(&e.name.cased),
        apply,
        fallible: e.can_fail(),
        body,
        event_param: if reads_event { "event" } else { "_event" },
        version: e.version,
        upcast_arms: super::upcast::arms(&e.upcasts, &upcast_prefix(a, Some(e))),
        aliases: e.aliases.iter().map(|a| str_lit(a)).collect(),
        // Set by the aggregate, which knows its trait of custom changes.
        macro_line: String::new(),
        struct_name,
        path,
    }
}

/// Whether a change reads the event (an argument or its timestamp).
fn reads(op: &Op) -> bool {
    op.values()
        .iter()
        .any(|v| matches!(v, Value::Arg(_) | Value::Timestamp))
}

/// The statements of an event's applying method: checked arithmetic first,
/// into locals, so that a change that overflows leaves the state as it was;
/// then every assignment, in the schema's order. The event is taken by
/// value: each argument is moved at its last use, and cloned before.
struct Body<'a> {
    a: &'a model::Aggregate,
    e: &'a model::Event,
    path: &'a str,
    /// How many more times each argument is used.
    uses_left: HashMap<model::ArgRef, usize>,
}

impl<'a> Body<'a> {
    fn new(a: &'a model::Aggregate, e: &'a model::Event, path: &'a str) -> Self {
        Self {
            a,
            e,
            path,
            uses_left: HashMap::new(),
        }
    }

    /// The statements.
    fn statements(mut self, changes: &[model::Change]) -> Vec<String> {
        for change in changes {
            for value in change.op.values() {
                if let Value::Arg(i) = value {
                    *self.uses_left.entry(*i).or_default() += 1;
                }
            }
        }
        let mut checks = Vec::new();
        let mut assignments = Vec::new();
        for change in changes {
            let state = self.a.field(change.field);
            let field = ident(&state.name.cased);
            let written = str_lit(&state.name.written);
            let statement = match &change.op {
                Op::Set(v) => {
                    let (ty, expr) = self.value(v, &state.ty, true);
                    let expr = if ty != state.ty && matches!(state.ty, Ty::Option(_)) {
                        format!("::std::option::Option::Some({expr})")
                    } else {
                        expr
                    };
                    format!("self.{field} = {expr};")
                }
                Op::Push(v) => format!("self.{field}.push({});", self.value(v, &state.ty, true).1),
                Op::Extend(v) => format!(
                    "::std::iter::Extend::extend(&mut self.{field}, {});",
                    self.value(v, &state.ty, true).1
                ),
                Op::Insert { key, value } => {
                    let key = self.value(key, &state.ty, true).1;
                    let value = self.value(value, &state.ty, true).1;
                    format!("self.{field}.insert({key}, {value});")
                }
                Op::RemoveKey(v) => {
                    format!(
                        "self.{field}.remove(&{});",
                        self.value(v, &state.ty, false).1
                    )
                }
                Op::RemoveItem(v) => format!(
                    "self.{field}.retain(|item| item != &{});",
                    self.value(v, &state.ty, false).1
                ),
                Op::Add(v) | Op::Sub(v) => {
                    let method = if matches!(change.op, Op::Add(_)) {
                        "increment"
                    } else {
                        "decrement"
                    };
                    checks.push(Check {
                        local: format!("new_{}", state.name.cased),
                        method,
                        written,
                        by: self.value(v, &state.ty, true).1,
                        field,
                    });
                    continue;
                }
                Op::Clear => match state.ty {
                    Ty::Vec(_) | Ty::Map(_) => format!("self.{field}.clear();"),
                    Ty::Option(_) => format!("self.{field} = ::std::option::Option::None;"),
                    _ => format!("self.{field} = {};", state.ty.initial()),
                },
            };
            assignments.push(statement);
        }
        let mut statements = Vec::new();
        if let [check] = checks.as_slice() {
            // One check alone assigns at once: nothing changed before it.
            statements.push(self.checked_new());
            statements.push(format!("self.{} = {};", check.field, check.call()));
            statements.extend(assignments);
        } else {
            if !checks.is_empty() {
                statements.push(self.checked_new());
            }
            for check in &checks {
                statements.push(format!("let {} = {};", check.local, check.call()));
            }
            for check in &checks {
                statements.push(format!("self.{} = {};", check.field, check.local));
            }
            statements.extend(assignments);
        }
        if self.e.can_fail() {
            statements.push("::std::result::Result::Ok(())".to_owned());
        }
        statements
    }

    /// `let checked = Checked::new(..)` for this event.
    fn checked_new(&self) -> String {
        format!(
            "let checked = ::eventsmith::domain::Checked::new({}::TOPIC, event.originator_id, event.originator_version);",
            self.path
        )
    }

    /// The value's type and an expression reading it; `owned` when the
    /// change takes it by value (moved at its last use, cloned before).
    fn value(&mut self, v: &Value, field: &Ty, owned: bool) -> (Ty, String) {
        match v {
            Value::Arg(i) => {
                let arg = self.e.arg(*i);
                let expr = format!("event.{}", ident(&arg.name.cased));
                let left = self.uses_left.entry(*i).or_default();
                *left = left.saturating_sub(1);
                let expr = if owned && *left > 0 {
                    arg.ty.owned(&expr)
                } else {
                    expr
                };
                (arg.ty.clone(), expr)
            }
            Value::Timestamp => (Ty::DateTime, "event.timestamp".to_owned()),
            Value::Literal(literal) => {
                let target = match field {
                    Ty::Option(inner) if *literal != Literal::None => (**inner).clone(),
                    _ => field.clone(),
                };
                (target, literal_expr(literal))
            }
            Value::Number(n) => (field.clone(), field.number_literal(*n)),
        }
    }
}

/// One checked increment or decrement of a number field: computed before
/// anything is assigned, so that an overflow leaves the state as it was.
struct Check {
    /// The field's identifier.
    field: String,
    /// The local holding its new value, when several are checked.
    local: String,
    /// `increment` or `decrement`.
    method: &'static str,
    /// The field's name as written, as a string literal, for the error.
    written: String,
    /// The expression it changes by.
    by: String,
}

impl Check {
    fn call(&self) -> String {
        format!(
            "checked.{}({}, self.{}, {})?",
            self.method, self.written, self.field, self.by
        )
    }
}
