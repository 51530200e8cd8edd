//! Checking declarative state changes: each names a state field and takes
//! its value from an argument of the event, its timestamp or a literal, of a
//! type that fits the change.

use super::{Checker, Slot};
use crate::error::{did_you_mean, one_of};
use crate::model::{self, Literal, Ty, Value};
use crate::read::schema::{self, Name, Op, Source};
use crate::read::yaml::Pos;

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
        let Some(index) = state.iter().position(|s| s.written() == change.field.value) else {
            let names: Vec<&str> = state.iter().map(Slot::written).collect();
            let hint = did_you_mean(&change.field.value, names.iter().copied())
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            self.err(
                change.field.pos,
                format!(
                    "'{}' in {} of {event} is not a state field{hint}",
                    change.field.value,
                    op.name()
                ),
                one_of(&names, "a state field, but the aggregate has none"),
            );
            return None;
        };
        let field = &state[index];
        let f = format!("state field '{}' ({})", field.written(), field.ty());
        // The argument a change takes its value from, with its type and how
        // to name it in a message.
        let arg = |v: &mut Self, name: &Name| -> Option<(Ty, Value, String)> {
            if name.value == "timestamp" {
                return Some((
                    Ty::DateTime,
                    Value::Timestamp,
                    "the event's timestamp".to_owned(),
                ));
            }
            match args.iter().position(|s| s.written() == name.value) {
                Some(i) => Some((
                    args[i].ty().clone(),
                    Value::Arg(i),
                    format!("argument '{}'", args[i].written()),
                )),
                None => {
                    let mut names: Vec<&str> = args.iter().map(Slot::written).collect();
                    names.push("timestamp");
                    if matches!(change.source, Source::Short) {
                        v.err(
                            name.pos,
                            format!("`{0}: {1}` takes the argument named '{1}', which {event} does not have", op.name(), name.value),
                            format!("an argument '{}', or `{}: {{ {}: ARG }}` with ARG {}", name.value, op.name(), name.value, one_of(&names, "")),
                        );
                        return None;
                    }
                    let hint = did_you_mean(&name.value, names.iter().copied())
                        .map(|s| format!("; did you mean '{s}'?"))
                        .unwrap_or_default();
                    v.err(
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
            }
        };
        let short = || Name {
            value: field.written().to_owned(),
            pos: change.field.pos,
            exact: change.field.exact,
        };
        let source_name = match &change.source {
            Source::Short if !matches!(op, Op::Increment | Op::Decrement | Op::Clear) => {
                Some(short())
            }
            Source::Arg(name) => Some(name.clone()),
            _ => None,
        };
        // `set: { status: Closed }`: a unit variant of the field's enum
        // type, when no argument has that name (both is ambiguous).
        if op == Op::Set
            && let Source::Arg(name) = &change.source
        {
            let target = match field.ty() {
                Ty::Option(inner) => &**inner,
                ty => ty,
            };
            if let Some(variant) = self.variant(target, &name.value) {
                if args.iter().any(|a| a.written() == name.value) || name.value == "timestamp" {
                    self.err(
                        name.pos,
                        format!(
                            "'{}' in set of {event} is both an argument and a variant of {}",
                            name.value, target
                        ),
                        "`{ value: VARIANT }` for the variant, or an argument of another name",
                    );
                    return None;
                }
                return Some(model::Change {
                    field: index,
                    op: model::Op::Set(Value::Literal(variant)),
                });
            }
        }
        let source = match &source_name {
            Some(name) => Some(arg(self, name)?),
            None => None,
        };
        if field.ty().is_unknown() || source.as_ref().is_some_and(|(ty, ..)| ty.is_unknown()) {
            return None; // the type is reported where it is declared
        }
        let verb = match op {
            Op::Push => "push onto",
            Op::Insert => "insert into",
            Op::Remove => "remove from",
            _ => op.name(),
        };
        let mismatch = |v: &mut Self, pos: Pos, from: &str, ty: &Ty, expected: String| {
            v.err(
                pos,
                format!("cannot {verb} {f} with {from} of type {ty}"),
                expected,
            );
        };
        let at = source_name.as_ref().map_or(change.pos, |n| n.pos);
        let make = |op: model::Op| model::Change { field: index, op };
        match (op, &change.source, field.ty(), source) {
            (Op::Set, Source::Bool(b), ty, _) => match ty {
                Ty::Bool => Some(make(model::Op::Set(Value::Literal(Literal::Bool(b.value))))),
                Ty::Option(inner) if **inner == Ty::Bool => {
                    Some(make(model::Op::Set(Value::Literal(Literal::Bool(b.value)))))
                }
                _ => {
                    self.err(
                        b.pos,
                        format!("cannot set {f} to {}", b.value),
                        "a bool state field for true or false",
                    );
                    None
                }
            },
            (Op::Set, Source::Literal(text), ty, _) => {
                let target = match ty {
                    Ty::Option(inner) => inner,
                    _ => ty,
                };
                let literal = self.literal(text, target, &f)?;
                Some(make(model::Op::Set(Value::Literal(literal))))
            }
            (Op::Set, Source::Null(pos), ty, _) => {
                if matches!(ty, Ty::Option(_)) {
                    Some(make(model::Op::Set(Value::Literal(Literal::None))))
                } else {
                    self.err(
                        *pos,
                        format!("cannot set {f} to null: it is not an Option"),
                        "an Option state field for null",
                    );
                    None
                }
            }
            (Op::Set, _, ty, Some((src, value, from))) => {
                if *ty == src || *ty == Ty::Option(Box::new(src.clone())) {
                    Some(make(model::Op::Set(value)))
                } else {
                    mismatch(self, at, &from, &src, format!("an argument of type {ty}"));
                    None
                }
            }
            (Op::Push, _, Ty::Vec(item), Some((src, value, from))) => {
                if **item == src {
                    Some(make(model::Op::Push(value)))
                } else {
                    mismatch(self, at, &from, &src, format!("an argument of type {item}"));
                    None
                }
            }
            (Op::Extend, _, ty @ (Ty::Vec(_) | Ty::Map(_)), Some((src, value, from))) => {
                if *ty == src {
                    Some(make(model::Op::Extend(value)))
                } else {
                    mismatch(self, at, &from, &src, format!("an argument of type {ty}"));
                    None
                }
            }
            (Op::Insert, Source::KeyValue { key, value }, Ty::Map(item), _) => {
                let key_arg = arg(self, key);
                let value_arg = arg(self, value);
                let ((kty, kvalue, kfrom), (vty, vvalue, vfrom)) = (key_arg?, value_arg?);
                if kty.is_unknown() || vty.is_unknown() {
                    return None;
                }
                let mut ok = true;
                if kty != Ty::String {
                    mismatch(
                        self,
                        key.pos,
                        &kfrom,
                        &kty,
                        "a String argument for the key".to_owned(),
                    );
                    ok = false;
                }
                if vty != **item {
                    mismatch(
                        self,
                        value.pos,
                        &vfrom,
                        &vty,
                        format!("an argument of type {item} for the value"),
                    );
                    ok = false;
                }
                ok.then(|| {
                    make(model::Op::Insert {
                        key: kvalue,
                        value: vvalue,
                    })
                })
            }
            (Op::Remove, _, Ty::Map(_), Some((src, value, from))) => {
                if src == Ty::String {
                    Some(make(model::Op::RemoveKey(value)))
                } else {
                    mismatch(
                        self,
                        at,
                        &from,
                        &src,
                        "a String argument: the key to remove".to_owned(),
                    );
                    None
                }
            }
            (Op::Remove, _, Ty::Vec(item), Some((src, value, from))) => {
                if **item == src {
                    Some(make(model::Op::RemoveItem(value)))
                } else {
                    mismatch(
                        self,
                        at,
                        &from,
                        &src,
                        format!("an argument of type {item}: the items equal to it are removed"),
                    );
                    None
                }
            }
            (Op::Increment | Op::Decrement, _, ty, source) if ty.is_number() => {
                let by = match (&change.source, source) {
                    (Source::Short, _) => Value::Number(1),
                    (Source::Int(n), _) => {
                        if let Ty::Int(int) = ty
                            && n.value > int.max()
                        {
                            self.err(
                                n.pos,
                                format!("{} is too large for {f}", n.value),
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
                            mismatch(
                                self,
                                at,
                                &from,
                                &src,
                                format!("an argument of type {ty}, or a whole number"),
                            );
                            return None;
                        }
                    }
                    _ => return None,
                };
                Some(make(if op == Op::Increment {
                    model::Op::Add(by)
                } else {
                    model::Op::Sub(by)
                }))
            }
            (Op::Clear, ..) => Some(make(model::Op::Clear)),
            _ => {
                let fits = match op {
                    Op::Push => "a Vec state field",
                    Op::Extend => "a Vec or Map state field",
                    Op::Insert => "a Map state field",
                    Op::Remove => "a Map or Vec state field",
                    Op::Increment | Op::Decrement => {
                        "a number state field (integer, f64 or Decimal)"
                    }
                    Op::Set | Op::Clear => "a state field",
                };
                self.err(change.field.pos, format!("cannot {verb} {f}"), fits);
                None
            }
        }
    }
}
