//! Lowering an aggregate: its struct, getters, commands, events and state
//! changes.

use super::{doc_lines, field, ident, lines, view, with_article};
use crate::ident::{conventions, str_lit};
use crate::model::{self, Apply, Op, Ty, Value};

/// Methods with more parameters than this get clippy's
/// `too_many_arguments` allowed.
pub(super) const MAX_PARAMS: usize = 7;

pub(super) fn lower(a: &model::Aggregate) -> view::Aggregate {
    let name = ident(&a.name.cased);
    let noun = conventions::noun(&a.name.cased);
    let mut events = vec![event(a, &a.created, None)];
    let mut commands = Vec::new();
    for command in &a.commands {
        let event = event(a, &command.event, Some(command));
        let triggers = format!("Triggers [`{}`].", event.struct_name);
        let doc = match &command.doc {
            Some(doc) => {
                let mut doc = lines(doc);
                doc.extend([String::new(), triggers]);
                doc
            }
            None => vec![triggers],
        };
        events.push(event.clone());
        commands.push(view::Command {
            name: ident(&command.name.cased),
            doc,
            event,
        });
    }
    view::Aggregate {
        doc: doc_lines(a.doc.as_deref(), || {
            format!("The `{}` aggregate.", a.name.written)
        }),
        topic: str_lit(&a.topic),
        event_enum: format!("{}Event", a.name.cased),
        apply_trait: a
            .has_custom_apply()
            .then(|| format!("{}Apply", a.name.cased)),
        state: a
            .state
            .iter()
            .map(|f| {
                let field_name = ident(&f.name.cased);
                let (getter_ty, getter_expr) = f.ty.getter(&field_name);
                view::StateField {
                    ty: f.ty.rust(),
                    doc: doc_lines(f.doc.as_deref(), || {
                        format!("The {noun}'s `{}`.", f.name.written)
                    }),
                    name: field_name,
                    getter_ty,
                    getter_expr,
                }
            })
            .collect(),
        var: escape_or(&conventions::local(&a.name.cased), "aggregate"),
        a_noun: with_article(&noun),
        noun,
        name,
        events,
        commands,
    }
}

/// The identifier for `cased`, or `fallback` when it cannot be one.
fn escape_or(cased: &str, fallback: &str) -> String {
    crate::ident::escape(cased).unwrap_or_else(|_| fallback.to_owned())
}

/// An event (the created one when `command` is `None`).
fn event(a: &model::Aggregate, e: &model::Event, command: Option<&model::Command>) -> view::Event {
    let aggregate = ident(&a.name.cased);
    let (first, more) = match command {
        None => (
            format!("The event that creates a [`{aggregate}`]."),
            e.doc.as_deref(),
        ),
        Some(command) => (
            format!(
                "The event of [`{aggregate}::{}`].",
                ident(&command.name.cased)
            ),
            command.doc.as_deref(),
        ),
    };
    let mut doc = vec![first];
    if let Some(text) = more {
        doc.push(String::new());
        doc.extend(lines(text));
    }
    let changes = match &e.apply {
        Apply::Changes(changes) => changes.iter().map(|c| change(a, e, c)).collect(),
        Apply::Nothing | Apply::Custom => Vec::new(),
    };
    let reads_event = match &e.apply {
        Apply::Changes(changes) => changes.iter().any(|c| reads(&c.op)),
        Apply::Nothing | Apply::Custom => false,
    };
    let args: Vec<view::Field> = e.args.iter().map(field).collect();
    let params = args.len() + usize::from(command.is_some());
    view::Event {
        variant: ident(&e.name.cased),
        struct_name: ident(&e.struct_name),
        topic: str_lit(&e.topic),
        doc,
        is_created: command.is_none(),
        apply_fn: conventions::apply_fn(&e.name.cased),
        apply: match &e.apply {
            Apply::Nothing => "none",
            Apply::Changes(_) => "changes",
            Apply::Custom => "custom",
        },
        changes,
        event_param: if reads_event { "event" } else { "_event" },
        many_args: params > MAX_PARAMS,
        args,
    }
}

/// Whether a change reads the event (an argument or its timestamp).
fn reads(op: &Op) -> bool {
    let from_event = |v: &Value| matches!(v, Value::Arg(_) | Value::Timestamp);
    match op {
        Op::Set(v)
        | Op::Push(v)
        | Op::Extend(v)
        | Op::RemoveKey(v)
        | Op::RemoveItem(v)
        | Op::Add(v)
        | Op::Sub(v) => from_event(v),
        Op::Insert { key, value } => from_event(key) || from_event(value),
        Op::Clear => false,
    }
}

/// One declarative state change, as Rust expressions.
fn change(a: &model::Aggregate, e: &model::Event, c: &model::Change) -> view::Change {
    let Some(state) = a.state.get(c.field) else {
        // Checking made every index good.
        return view::Change::default();
    };
    // The value's type and an expression reading it.
    let value = |v: &Value| -> (Ty, String) {
        match v {
            Value::Arg(i) => match e.args.get(*i) {
                Some(arg) => (arg.ty.clone(), format!("event.{}", ident(&arg.name.cased))),
                None => (Ty::Unknown, String::new()),
            },
            Value::Timestamp => (Ty::DateTime, "event.timestamp".to_owned()),
            Value::Bool(b) => (Ty::Bool, b.to_string()),
            Value::Number(n) => (state.ty.clone(), state.ty.number_literal(*n)),
        }
    };
    let owned = |v: &Value| {
        let (ty, expr) = value(v);
        ty.owned(&expr)
    };
    let (kind, value, key) = match &c.op {
        Op::Set(v) => {
            let (ty, _) = value(v);
            let expr = owned(v);
            let expr = if ty != state.ty && matches!(state.ty, Ty::Option(_)) {
                format!("Some({expr})")
            } else {
                expr
            };
            ("set", expr, String::new())
        }
        Op::Push(v) => ("push", owned(v), String::new()),
        Op::Extend(v) => ("extend", owned(v), String::new()),
        Op::Insert { key, value } => ("insert", owned(value), owned(key)),
        Op::RemoveKey(v) => ("remove_key", String::new(), format!("&{}", value(v).1)),
        Op::RemoveItem(v) => ("remove_item", format!("&{}", value(v).1), String::new()),
        Op::Add(v) => ("add", value(v).1, String::new()),
        Op::Sub(v) => ("sub", value(v).1, String::new()),
        Op::Clear => (
            match state.ty {
                Ty::Vec(_) | Ty::Map(_) => "clear",
                Ty::Option(_) => "clear_option",
                _ => "reset",
            },
            String::new(),
            String::new(),
        ),
    };
    view::Change {
        kind,
        field: ident(&state.name.cased),
        value,
        key,
    }
}
