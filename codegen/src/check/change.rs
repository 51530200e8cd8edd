//! Checking declarative state changes: each names a state field and takes
//! its value from an argument of the event, its timestamp or a literal, of a
//! type that fits the change.

use super::{Checker, Slot};
use crate::error::{did_you_mean, one_of};
use crate::model::{self, Literal, Ty, Value};
use crate::read::schema::{self, Name, Op, Source};
use crate::read::yaml::Pos;

/// A value a change takes from the event: its type, where it comes from,
/// and how a message names it.
type Taken = (Ty, Value, String);

/// One change being checked: what it is, where, and the state field it
/// changes.
struct Cx<'a> {
    change: &'a schema::Change,
    args: &'a [Slot],
    event: &'a str,
    field: &'a Slot,
    /// The field's index among the state fields.
    index: usize,
    /// How messages name the field: `state field 'x' (T)`.
    f: String,
    /// How messages name the operation: `push onto`, `set`.
    verb: &'static str,
}

impl Cx<'_> {
    fn make(&self, op: model::Op) -> model::Change {
        model::Change {
            field: model::FieldRef(self.index),
            op,
        }
    }
}

impl Checker<'_> {
    /// Checks one declarative state change against the state fields and
    /// the event's arguments.
    pub(super) fn change(
        &mut self,
        change: &schema::Change,
        state: &[Slot],
        args: &[Slot],
        event: &str,
    ) -> Option<model::Change> {
        let op = change.op;
        let index = self.changed_field(change, state, event)?;
        let field = &state[index];
        let cx = Cx {
            change,
            args,
            event,
            field,
            index,
            f: format!("state field '{}' ({})", field.written(), field.ty()),
            verb: match op {
                Op::Push => "push onto",
                Op::Insert => "insert into",
                Op::Remove => "remove from",
                _ => op.name(),
            },
        };
        let source_name = match &change.source {
            Source::Short if !matches!(op, Op::Increment | Op::Decrement | Op::Clear) => {
                Some(Name {
                    value: field.written().to_owned(),
                    pos: change.field.pos,
                    exact: change.field.exact,
                })
            }
            Source::Arg(name) => Some(name.clone()),
            _ => None,
        };
        // `set: { status: Closed }`: a unit variant of the field's enum
        // type, when no argument has that name (both is ambiguous).
        if op == Op::Set
            && let Source::Arg(name) = &change.source
            && let Some(variant) = self.set_variant(&cx, name)
        {
            return variant;
        }
        let source = match &source_name {
            Some(name) => Some(self.taken(&cx, name)?),
            None => None,
        };
        if field.ty().is_unknown() || source.as_ref().is_some_and(|(ty, ..)| ty.is_unknown()) {
            return None; // the type is reported where it is declared
        }
        let at = source_name.as_ref().map_or(change.pos, |n| n.pos);
        match op {
            Op::Set => self.set(&cx, at, source),
            Op::Push | Op::Extend | Op::Insert | Op::Remove => self.collection(&cx, at, source),
            Op::Increment | Op::Decrement if field.ty().is_number() => {
                self.arithmetic(&cx, at, source)
            }
            Op::Clear => Some(cx.make(model::Op::Clear)),
            Op::Increment | Op::Decrement => self.unfit(&cx),
        }
    }

    /// The index of the state field `change` names; reports it if there is
    /// none.
    fn changed_field(
        &mut self,
        change: &schema::Change,
        state: &[Slot],
        event: &str,
    ) -> Option<usize> {
        let index = state.iter().position(|s| s.written() == change.field.value);
        if index.is_none() {
            let names: Vec<&str> = state.iter().map(Slot::written).collect();
            let hint = did_you_mean(&change.field.value, names.iter().copied())
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            self.err(
                change.field.pos,
                format!(
                    "'{}' in {} of {event} is not a state field{hint}",
                    change.field.value,
                    change.op.name()
                ),
                one_of(&names, "a state field, but the aggregate has none"),
            );
        }
        index
    }

    /// A `set` to the unit variant `name` of the field's enum type: the
    /// change (or `None`, reported, when an argument has that name too), or
    /// nothing when the type has no such variant.
    fn set_variant(&mut self, cx: &Cx<'_>, name: &Name) -> Option<Option<model::Change>> {
        let target = match cx.field.ty() {
            Ty::Option(inner) => &**inner,
            ty => ty,
        };
        let variant = self.variant(target, &name.value)?;
        if cx.args.iter().any(|a| a.written() == name.value) || name.value == "timestamp" {
            self.err(
                name.pos,
                format!(
                    "'{}' in set of {} is both an argument and a variant of {}",
                    name.value, cx.event, target
                ),
                "`{ value: VARIANT }` for the variant, or an argument of another name",
            );
            return Some(None);
        }
        Some(Some(cx.make(model::Op::Set(Value::Literal(variant)))))
    }

    /// The argument (or timestamp) `name` a change takes its value from;
    /// reports it if the event has none.
    fn taken(&mut self, cx: &Cx<'_>, name: &Name) -> Option<Taken> {
        let (op, event, args) = (cx.change.op, cx.event, cx.args);
        if name.value == "timestamp" {
            return Some((
                Ty::DateTime,
                Value::Timestamp,
                "the event's timestamp".to_owned(),
            ));
        }
        if let Some(i) = args.iter().position(|s| s.written() == name.value) {
            return Some((
                args[i].ty().clone(),
                Value::Arg(model::ArgRef(i)),
                format!("argument '{}'", args[i].written()),
            ));
        }
        let mut names: Vec<&str> = args.iter().map(Slot::written).collect();
        names.push("timestamp");
        if matches!(cx.change.source, Source::Short) {
            self.err(
                name.pos,
                format!(
                    "`{0}: {1}` takes the argument named '{1}', which {event} does not have",
                    op.name(),
                    name.value
                ),
                format!(
                    "an argument '{}', or `{}: {{ {}: ARG }}` with ARG {}",
                    name.value,
                    op.name(),
                    name.value,
                    one_of(&names, "")
                ),
            );
            return None;
        }
        let hint = did_you_mean(&name.value, names.iter().copied())
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        self.err(
            name.pos,
            format!(
                "'{}' in {} of {event} is not an argument of the event{hint}",
                name.value,
                op.name()
            ),
            one_of(&names, ""),
        );
        None
    }

    /// Reports a value of type `ty`, from `from`, that does not fit.
    fn mismatch(&mut self, cx: &Cx<'_>, pos: Pos, from: &str, ty: &Ty, expected: String) {
        self.err(
            pos,
            format!("cannot {} {} with {from} of type {ty}", cx.verb, cx.f),
            expected,
        );
    }

    /// `set`: to a literal (`true`, a number, a string, `null`) or to an
    /// argument of the field's type.
    fn set(&mut self, cx: &Cx<'_>, at: Pos, source: Option<Taken>) -> Option<model::Change> {
        let set = |literal| Some(cx.make(model::Op::Set(Value::Literal(literal))));
        match (&cx.change.source, cx.field.ty(), source) {
            (Source::Bool(b), ty, _) => match ty {
                Ty::Bool => set(Literal::Bool(b.value)),
                Ty::Option(inner) if **inner == Ty::Bool => set(Literal::Bool(b.value)),
                _ => {
                    self.err(
                        b.pos,
                        format!("cannot set {} to {}", cx.f, b.value),
                        "a bool state field for true or false",
                    );
                    None
                }
            },
            (Source::Literal(text), ty, _) => {
                let target = match ty {
                    Ty::Option(inner) => inner,
                    _ => ty,
                };
                set(self.literal(text, target, &cx.f)?)
            }
            (Source::Null(pos), ty, _) => {
                if matches!(ty, Ty::Option(_)) {
                    set(Literal::None)
                } else {
                    self.err(
                        *pos,
                        format!("cannot set {} to null: it is not an Option", cx.f),
                        "an Option state field for null",
                    );
                    None
                }
            }
            (_, ty, Some((src, value, from))) => {
                if *ty == src || *ty == Ty::Option(Box::new(src.clone())) {
                    Some(cx.make(model::Op::Set(value)))
                } else {
                    self.mismatch(cx, at, &from, &src, format!("an argument of type {ty}"));
                    None
                }
            }
            _ => self.unfit(cx),
        }
    }

    /// `push`, `extend`, `insert` and `remove`, on a `Vec` or a `Map`.
    fn collection(&mut self, cx: &Cx<'_>, at: Pos, source: Option<Taken>) -> Option<model::Change> {
        match (cx.change.op, &cx.change.source, cx.field.ty(), source) {
            (Op::Push, _, Ty::Vec(item), Some((src, value, from))) => {
                if **item == src {
                    Some(cx.make(model::Op::Push(value)))
                } else {
                    self.mismatch(cx, at, &from, &src, format!("an argument of type {item}"));
                    None
                }
            }
            (Op::Extend, _, ty @ (Ty::Vec(_) | Ty::Map(_)), Some((src, value, from))) => {
                if *ty == src {
                    Some(cx.make(model::Op::Extend(value)))
                } else {
                    self.mismatch(cx, at, &from, &src, format!("an argument of type {ty}"));
                    None
                }
            }
            (Op::Insert, Source::KeyValue { key, value }, Ty::Map(item), _) => {
                self.insert(cx, key, value, item)
            }
            (Op::Remove, _, Ty::Map(_), Some((src, value, from))) => {
                if src == Ty::String {
                    Some(cx.make(model::Op::RemoveKey(value)))
                } else {
                    let expected = "a String argument: the key to remove".to_owned();
                    self.mismatch(cx, at, &from, &src, expected);
                    None
                }
            }
            (Op::Remove, _, Ty::Vec(item), Some((src, value, from))) => {
                if **item == src {
                    Some(cx.make(model::Op::RemoveItem(value)))
                } else {
                    let expected =
                        format!("an argument of type {item}: the items equal to it are removed");
                    self.mismatch(cx, at, &from, &src, expected);
                    None
                }
            }
            _ => self.unfit(cx),
        }
    }

    /// `insert: { field: { key: K, value: V } }` into a `Map<String, T>`.
    fn insert(
        &mut self,
        cx: &Cx<'_>,
        key: &Name,
        value: &Name,
        item: &Ty,
    ) -> Option<model::Change> {
        let key_arg = self.taken(cx, key);
        let value_arg = self.taken(cx, value);
        let ((kty, kvalue, kfrom), (vty, vvalue, vfrom)) = (key_arg?, value_arg?);
        if kty.is_unknown() || vty.is_unknown() {
            return None;
        }
        let mut ok = true;
        if kty != Ty::String {
            let expected = "a String argument for the key".to_owned();
            self.mismatch(cx, key.pos, &kfrom, &kty, expected);
            ok = false;
        }
        if vty != *item {
            let expected = format!("an argument of type {item} for the value");
            self.mismatch(cx, value.pos, &vfrom, &vty, expected);
            ok = false;
        }
        ok.then(|| {
            cx.make(model::Op::Insert {
                key: kvalue,
                value: vvalue,
            })
        })
    }

    /// `increment` and `decrement` of a number field: by 1, by a whole
    /// number, or by an argument of the field's type.
    fn arithmetic(&mut self, cx: &Cx<'_>, at: Pos, source: Option<Taken>) -> Option<model::Change> {
        let ty = cx.field.ty();
        let by = match (&cx.change.source, source) {
            (Source::Short, _) => Value::Number(1),
            (Source::Int(n), _) => {
                if let Ty::Int(int) = ty
                    && n.value > int.max()
                {
                    self.err(
                        n.pos,
                        format!("{} is too large for {}", n.value, cx.f),
                        format!("a number up to {}", int.max()),
                    );
                    return None;
                }
                Value::Number(n.value)
            }
            (_, Some((src, value, from))) => {
                if src == *ty {
                    value
                } else {
                    let expected = format!("an argument of type {ty}, or a whole number");
                    self.mismatch(cx, at, &from, &src, expected);
                    return None;
                }
            }
            _ => return None,
        };
        Some(cx.make(if cx.change.op == Op::Increment {
            model::Op::Add(by)
        } else {
            model::Op::Sub(by)
        }))
    }

    /// Reports a change that does not fit its field's type.
    fn unfit(&mut self, cx: &Cx<'_>) -> Option<model::Change> {
        let fits = match cx.change.op {
            Op::Push => "a Vec state field",
            Op::Extend => "a Vec or Map state field",
            Op::Insert => "a Map state field",
            Op::Remove => "a Map or Vec state field",
            Op::Increment | Op::Decrement => "a number state field (integer, f64 or Decimal)",
            Op::Set | Op::Clear => "a state field",
        };
        self.err(
            cx.change.field.pos,
            format!("cannot {} {}", cx.verb, cx.f),
            fits,
        );
        None
    }
}
