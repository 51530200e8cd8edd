//! Checking versioned events and snapshots: `version: N`, and for each
//! older version the steps (`upcast: { v1_v2: [...] }`) that bring a state
//! stored at it up to the next, each checked against the fields (an
//! event's arguments, an aggregate's state fields) of the version it ends
//! at.

use super::{Checker, Slot};
use crate::ident::conventions::article;
use crate::model::{StoredValue, Ty, UpcastStep};
use crate::read::schema::{self, LiteralText, Step};
use crate::read::yaml::{Pos, Spanned};

/// What is versioned: its `version:` and `upcast:`, where it is, and
/// what its fields are called.
pub(super) struct Versioned<'s> {
    pub(super) version: Option<&'s Spanned<u32>>,
    pub(super) upcasts: &'s [schema::Upcast],
    pub(super) at: Pos,
    pub(super) noun: &'static str,
}

/// What a name in a step becomes by the last version.
enum End<'s> {
    /// The argument of the last version it is.
    Field(&'s Slot),
    /// A later step removes it.
    Removed,
    /// A later step hands the state to Rust: unknown.
    Unknown,
    /// It is not an argument of the last version, and nothing removes it.
    Nothing(String),
}

impl Checker<'_> {
    /// A class version and its upcast steps, checked: one list of steps
    /// for each older version, none missing or extra. `args` are the
    /// fields of the last version (`noun`s: arguments, or state fields);
    /// `at` is where to report a missing `version:`.
    pub(super) fn versions(
        &mut self,
        versioned: Versioned<'_>,
        args: &[Slot],
        what: &str,
    ) -> (u32, Vec<Vec<UpcastStep>>) {
        let Versioned {
            version,
            upcasts: given,
            at,
            noun,
        } = versioned;
        let at = version.map_or(at, |v| v.pos);
        let version = version.map_or(1, |v| v.value);
        let mut by_from: Vec<Option<&schema::Upcast>> =
            vec![None; version.saturating_sub(1) as usize];
        for upcast in given {
            let Some(from) = upcast.from else {
                continue; // reported when read
            };
            match by_from.get_mut(from.saturating_sub(1) as usize) {
                Some(slot @ None) => *slot = Some(upcast),
                Some(Some(_)) => {} // a duplicate key, reported when read
                None => self.err(
                    upcast.key.pos,
                    format!(
                        "{what} is at version {version}: '{}' upcasts from a version it does not have",
                        upcast.key.value
                    ),
                    format!("steps for versions 1 to {version} only, or a higher `version:`"),
                ),
            }
        }
        let mut upcasts = Vec::new();
        for (i, upcast) in by_from.iter().enumerate() {
            let from = i + 1;
            match upcast {
                None => self.err(
                    at,
                    format!(
                        "{what} is at version {version}, and no steps bring a state stored at version {from} to {}",
                        from + 1
                    ),
                    format!("`upcast: {{ v{from}_v{}: [...] }}`: add, rename, remove or call", from + 1),
                ),
                Some(upcast) => {
                    let steps = upcasts_after(&by_from, i);
                    upcasts.push(self.steps(upcast, &steps, args, version, noun, what));
                }
            }
        }
        (version, upcasts)
    }

    /// The steps of one version, checked.
    fn steps(
        &mut self,
        upcast: &schema::Upcast,
        later: &[&[Step]],
        args: &[Slot],
        version: u32,
        noun: &str,
        what: &str,
    ) -> Vec<UpcastStep> {
        let mut out = Vec::new();
        for (i, step) in upcast.steps.iter().enumerate() {
            let rest: Vec<&[Step]> = std::iter::once(upcast.steps.get(i + 1..).unwrap_or_default())
                .chain(later.iter().copied())
                .collect();
            let swhat = format!("{} of {what}", upcast.key.value);
            match step {
                Step::Add { field, value } => {
                    let stored = match (end(&field.value, &rest, args), value) {
                        (_, LiteralText::Null(_)) => Some(StoredValue::Null),
                        (End::Field(arg), LiteralText::Text(text)) => {
                            let target = match arg.ty() {
                                Ty::Option(inner) => (**inner).clone(),
                                ty => ty.clone(),
                            };
                            self.literal(
                                text,
                                &target,
                                &format!("{noun} '{}' of {what}", arg.written()),
                            )
                            .map(StoredValue::Typed)
                        }
                        (End::Removed | End::Unknown, LiteralText::Text(text)) => {
                            Some(StoredValue::Untyped(text.value.clone()))
                        }
                        (End::Nothing(name), _) => {
                            self.no_field(
                                field.pos,
                                "adds",
                                &field.value,
                                &name,
                                (version, noun),
                                &swhat,
                                args,
                            );
                            None
                        }
                    };
                    if let Some(value) = stored {
                        out.push(UpcastStep::Add {
                            key: field.value.clone(),
                            value,
                        });
                    }
                }
                Step::Rename { from, to } => {
                    if let End::Nothing(name) = end(&to.value, &rest, args) {
                        self.no_field(
                            to.pos,
                            "renames a field to",
                            &to.value,
                            &name,
                            (version, noun),
                            &swhat,
                            args,
                        );
                    } else {
                        out.push(UpcastStep::Rename {
                            from: from.value.clone(),
                            to: to.value.clone(),
                        });
                    }
                }
                Step::Remove(name) => out.push(UpcastStep::Remove(name.value.clone())),
                Step::Call(path) => {
                    if is_path(&path.value) {
                        let at = format!(
                            "{}:{}:{}",
                            self.problems.file(),
                            path.pos.line,
                            path.pos.column
                        );
                        out.push(UpcastStep::Call {
                            path: path.value.clone(),
                            at,
                        });
                    } else {
                        self.err(
                            path.pos,
                            format!("'{}' in {swhat} is not the path of a Rust function", path.value),
                            "a path such as upgrades::world_v2_v3, to `fn(&mut serde_json::Map<String, serde_json::Value>) -> Result<(), String>`",
                        );
                    }
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn no_field(
        &mut self,
        pos: Pos,
        does: &str,
        name: &str,
        becomes: &str,
        (version, noun): (u32, &str),
        what: &str,
        args: &[Slot],
    ) {
        let names: Vec<&str> = args.iter().map(Slot::written).collect();
        let later = if becomes == name {
            String::new()
        } else {
            format!(" (which later steps rename to '{becomes}')")
        };
        self.err(
            pos,
            format!("{what} {does} '{name}'{later}, which is not {} {noun} at version {version}, and no later step removes it", article(noun)),
            crate::error::one_of(&names, &format!("{} {noun}, but there is none", article(noun))),
        );
    }
}

/// The steps of the versions after `i`, in order.
fn upcasts_after<'s>(by_from: &[Option<&'s schema::Upcast>], i: usize) -> Vec<&'s [Step]> {
    by_from
        .iter()
        .skip(i + 1)
        .flatten()
        .map(|u| u.steps.as_slice())
        .collect()
}

/// What `name` becomes after `steps`: the argument it ends as, if any.
fn end<'s>(name: &str, steps: &[&[Step]], args: &'s [Slot]) -> End<'s> {
    let mut name = name.to_owned();
    for step in steps.iter().flat_map(|s| s.iter()) {
        match step {
            Step::Rename { from, to } if from.value == name => name = to.value.clone(),
            Step::Remove(removed) if removed.value == name => return End::Removed,
            Step::Call(_) => return End::Unknown,
            _ => {}
        }
    }
    match args.iter().find(|a| a.written() == name) {
        Some(arg) => End::Field(arg),
        None => End::Nothing(name),
    }
}

/// Whether `text` is a Rust path: identifiers joined by `::`.
fn is_path(text: &str) -> bool {
    text.split("::").all(|part| {
        let mut chars = part.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}
