//! Checking deterministic ids: `id: { uuid5: "/accounts/{email}" }` on a
//! created event names the arguments its aggregate's id is made from.

use super::{Checker, Slot};
use crate::error::{did_you_mean, one_of};
use crate::model::{self, NamePart, Ty};
use crate::read::yaml::Spanned;

/// What a uuid5 template is.
const EXPECTED: &str = "text with arguments of the created event in braces, e.g. \"/accounts/{email}\" (a Uuid's 32 hex digits: {world.hex}; {{ and }} for braces)";

impl Checker<'_> {
    /// The parts of a uuid5 name template, with each `{argument}` checked
    /// to be an argument of the created event whose text Python writes as
    /// Rust does (a string, an integer or a UUID).
    pub(super) fn uuid5(
        &mut self,
        template: &Spanned<String>,
        args: &[Slot],
        what: &str,
    ) -> Option<Vec<NamePart>> {
        let chars: Vec<char> = template.value.chars().collect();
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut ok = true;
        let mut at = 0;
        while let Some(&c) = chars.get(at) {
            match (c, chars.get(at + 1)) {
                ('{', Some('{')) | ('}', Some('}')) => {
                    text.push(c);
                    at += 2;
                }
                ('{', _) => {
                    let Some(len) = chars[at + 1..].iter().position(|&c| c == '}') else {
                        self.err(
                            template.pos_at(at),
                            format!("a '{{' with no '}}' in the uuid5 name of {what}"),
                            EXPECTED,
                        );
                        return None;
                    };
                    let name: String = chars[at + 1..at + 1 + len].iter().collect();
                    if !text.is_empty() {
                        parts.push(NamePart::Text(std::mem::take(&mut text)));
                    }
                    let (name, hex) = match name.strip_suffix(".hex") {
                        Some(base) => (base.to_owned(), true),
                        None => (name, false),
                    };
                    match self.uuid5_arg(&name, hex, args, template, at + 1, what) {
                        Some(index) if hex => parts.push(NamePart::ArgHex(model::ArgRef(index))),
                        Some(index) => parts.push(NamePart::Arg(model::ArgRef(index))),
                        None => ok = false,
                    }
                    at += len + 2;
                }
                ('}', _) => {
                    self.err(
                        template.pos_at(at),
                        format!("a '}}' with no '{{' in the uuid5 name of {what}"),
                        EXPECTED,
                    );
                    return None;
                }
                _ => {
                    text.push(c);
                    at += 1;
                }
            }
        }
        if !text.is_empty() {
            parts.push(NamePart::Text(text));
        }
        ok.then_some(parts)
    }

    /// The index of the argument `name` in a uuid5 template (at character
    /// `offset`), if it is one whose text Python and Rust write alike; with
    /// `hex` (`{name.hex}`), a UUID, written as its 32 hex digits.
    fn uuid5_arg(
        &mut self,
        name: &str,
        hex: bool,
        args: &[Slot],
        template: &Spanned<String>,
        offset: usize,
        what: &str,
    ) -> Option<usize> {
        let pos = template.pos_at(offset);
        let Some(index) = args.iter().position(|a| a.written() == name) else {
            let names: Vec<&str> = args.iter().map(Slot::written).collect();
            let hint = did_you_mean(name, names.iter().copied())
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            self.err(
                pos,
                format!("'{name}' in the uuid5 name of {what} is not an argument of the created event{hint}"),
                one_of(&names, "an argument, but the created event has none"),
            );
            return None;
        };
        let ty = args[index].ty();
        if hex && !matches!(ty, Ty::Uuid | Ty::Id(_) | Ty::Unknown) {
            self.err(
                pos,
                format!("'{name}.hex' in the uuid5 name of {what}: '.hex' writes a Uuid as 32 hex digits, and argument '{name}' is of type {ty}"),
                format!("'{{{name}}}', or a Uuid or Id argument"),
            );
            return None;
        }
        if matches!(
            ty,
            Ty::String | Ty::Int(_) | Ty::Uuid | Ty::Id(_) | Ty::Unknown
        ) {
            Some(index)
        } else {
            self.err(
                pos,
                format!("argument '{name}' of type {ty} cannot be part of the uuid5 name of {what}: Python would write its text otherwise"),
                "an argument of type String, an integer, Uuid or an aggregate's Id",
            );
            None
        }
    }
}
