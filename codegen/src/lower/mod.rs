//! Lowering, the fourth stage: the checked [`Model`] becomes the templates'
//! typed context ([`view`]), where names are Rust identifiers, types and
//! expressions are Rust text, and every item has its doc lines. Rust text is
//! written here and in the templates, nowhere upstream.

mod aggregate;
mod application;
mod types;
pub(crate) mod view;

use crate::ident::{escape, str_lit};
use crate::model::{self, Model, TypeBody};

/// The templates' context for a whole schema.
pub(crate) fn lower(model: &Model) -> view::File {
    view::File {
        types: model.types.iter().map(value_type).collect(),
        aggregates: model.aggregates.iter().map(aggregate::lower).collect(),
        applications: model
            .applications
            .iter()
            .map(|app| application::lower(model, app))
            .collect(),
    }
}

/// A Rust identifier for a cased name: itself, or a raw identifier for a
/// keyword. Checking refused the names that cannot be identifiers.
fn ident(cased: &str) -> String {
    escape(cased).unwrap_or_else(|_| cased.to_owned())
}

/// Doc text as lines for `///` comments: the schema's, or `default`.
fn doc_lines(doc: Option<&str>, default: impl FnOnce() -> String) -> Vec<String> {
    let text = match doc {
        Some(text) => text.to_owned(),
        None => default(),
    };
    lines(&text)
}

/// Text as lines for `///` comments, made safe for them: a lone carriage
/// return ends a line (rustc refuses one in a doc comment), and control
/// characters other than tabs, and the bidirectional controls that could
/// make the source read otherwise than it compiles, are dropped.
fn lines(text: &str) -> Vec<String> {
    let text: String = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !(c.is_control() || is_bidi_control(c)))
        .collect();
    text.trim()
        .lines()
        .map(|line| line.trim_end().to_owned())
        .collect()
}

/// The Unicode bidirectional formatting characters.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `noun` with its indefinite article: `a world`, `an item`.
fn with_article(noun: &str) -> String {
    format!("{} {noun}", article(noun))
}

/// The indefinite article for `word`, by its first letter: `an` before a
/// vowel (`an Order`, `an item`), `a` otherwise.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

/// A field of a value type (`owner` is the type), or an argument of an
/// event (`owner` is `None`).
fn field(f: &model::Field, owner: Option<&str>) -> view::Field {
    let name = ident(&f.name.cased);
    let init = if f.ty == model::Ty::String {
        format!("{name}: ::std::convert::Into::into({name})")
    } else {
        name.clone()
    };
    view::Field {
        ty: f.ty.rust(),
        doc: doc_lines(f.doc.as_deref(), || match owner {
            Some(owner) => format!("The `{}` field of `{owner}`.", f.name.written),
            None => format!("The `{}` argument of the event.", f.name.written),
        }),
        key: str_lit(&f.name.written),
        rename: (f.name.cased != f.name.written).then(|| str_lit(&f.name.written)),
        param_ty: f.ty.param(),
        tagged: f.ty.is_tagged(),
        init,
        name,
    }
}

/// A value type of `types:`.
fn value_type(t: &model::ValueType) -> view::ValueType {
    let (is_enum, fields, variants) = match &t.body {
        TypeBody::Struct(fields) => (
            false,
            fields
                .iter()
                .map(|f| field(f, Some(&t.name.written)))
                .collect(),
            Vec::new(),
        ),
        TypeBody::Enum(variants) => (
            true,
            Vec::new(),
            variants
                .iter()
                .enumerate()
                .map(|(i, v)| view::Variant {
                    name: ident(&v.name.cased),
                    doc: doc_lines(v.doc.as_deref(), || {
                        format!("The `{}` variant of `{}`.", v.name.written, t.name.written)
                    }),
                    rename: (v.name.cased != v.name.written).then(|| str_lit(&v.name.written)),
                    is_default: i == 0 && v.fields.is_empty(),
                    fields: v
                        .fields
                        .iter()
                        .map(|f| field(f, Some(&t.name.written)))
                        .collect(),
                })
                .collect(),
        ),
    };
    view::ValueType {
        name: ident(&t.name.cased),
        doc: doc_lines(t.doc.as_deref(), || {
            format!(
                "The `{}` value type (the schema gives it no doc).",
                t.name.written
            )
        }),
        is_enum,
        derive_default: t.has_default,
        fields,
        variants,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_text_is_safe_in_a_comment() {
        assert_eq!(
            lines("a\rb\r\nc\u{202E}d\u{2066}e\u{0}f\u{7f}\tg\n\n h "),
            ["a", "b", "cdef\tg", "", " h"]
        );
    }
}
