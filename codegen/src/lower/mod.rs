//! Lowering, the fourth stage: the checked [`Model`] becomes the templates'
//! typed context ([`view`]), where names are Rust identifiers, types and
//! expressions are Rust text, and every item has its doc lines. Rust text is
//! written here and in the templates, nowhere upstream.

mod aggregate;
mod application;
mod system;
mod types;
mod upcast;
pub(crate) mod view;

use crate::ident::{escape, str_lit};
use crate::model::{self, Literal, Model, TypeBody};

/// The templates' context for a whole schema.
pub(crate) fn lower(model: &Model) -> view::File {
    view::File {
        types: model.types.iter().map(value_type).collect(),
        aggregates: model
            .aggregates
            .iter()
            .map(|a| view::Aggregate {
                may_hold_floats: a
                    .events()
                    .any(|e| e.args.iter().any(|f| model.may_hold_float(&f.ty))),
                ..aggregate::lower(a)
            })
            .collect(),
        applications: model
            .applications
            .iter()
            .map(|app| application::lower(model, app))
            .collect(),
        systems: model
            .systems
            .iter()
            .map(|system| system::lower(model, system))
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

use crate::ident::conventions::article;

/// What a field belongs to.
#[derive(Clone, Copy)]
enum Owner<'a> {
    /// A value type, by its name as written.
    Type(&'a str),
    /// An event, by its struct's name.
    Event(&'a str),
}

/// A field of a value type, or an argument of an event.
fn field(f: &model::Field, owner: Owner<'_>) -> view::Field {
    let name = ident(&f.name.cased);
    let init = if f.ty == model::Ty::String {
        format!("{name}: ::std::convert::Into::into({name})")
    } else {
        name.clone()
    };
    let rename = (f.name.cased != f.name.written).then(|| str_lit(&f.name.written));
    let mut serde = Vec::new();
    if f.ty.is_tagged() {
        serde.push("with = \"::eventsmith::__private::tagged\"".to_owned());
    }
    if let Some(rename) = &rename {
        serde.push(format!("rename = {rename}"));
    }
    let mut default_fn = None;
    if let Owner::Event(event) = owner {
        match &f.default {
            Some(literal) => {
                let fn_name = format!("default_{}", f.name.cased);
                serde.push(format!("default = \"{event}::{fn_name}\""));
                let expr = literal_expr(literal);
                let expr = match (&f.ty, literal) {
                    (model::Ty::Option(_), Literal::None) | (_, Literal::None) => expr,
                    (model::Ty::Option(_), _) => format!("::std::option::Option::Some({expr})"),
                    _ => expr,
                };
                default_fn = Some(view::DefaultFn {
                    name: fn_name,
                    ty: f.ty.rust(),
                    expr,
                });
            }
            None if matches!(f.ty, model::Ty::Option(_)) => serde.push("default".to_owned()),
            None => {}
        }
    }
    view::Field {
        ty: f.ty.rust(),
        doc: doc_lines(f.doc.as_deref(), || match owner {
            Owner::Type(owner) => format!("The `{}` field of `{owner}`.", f.name.written),
            Owner::Event(_) => format!("The `{}` argument of the event.", f.name.written),
        }),
        key: str_lit(&f.name.written),
        rename,
        param_ty: f.ty.param(),
        serde: (!serde.is_empty()).then(|| serde.join(", ")),
        default_fn,
        init,
        name,
    }
}

/// A literal as a Rust expression of its type.
fn literal_expr(literal: &Literal) -> String {
    match literal {
        Literal::Bool(b) => b.to_string(),
        Literal::Int(n) => n.to_string(),
        Literal::Float(text) => text.clone(),
        Literal::Decimal { mantissa, scale } => {
            format!("::eventsmith::Decimal::from_i128_with_scale({mantissa}, {scale})")
        }
        Literal::String(text) => format!("::std::borrow::ToOwned::to_owned({})", str_lit(text)),
        Literal::Uuid(n) => format!("::eventsmith::Uuid::from_u128({n:#034x})"),
        // Checked when the schema was: never the default.
        Literal::DateTime(micros) => format!(
            "::eventsmith::chrono::DateTime::from_timestamp_micros({micros}).unwrap_or_default()"
        ),
        Literal::Variant { ty, variant } => {
            format!("{}::{}", ident(&ty.cased), ident(&variant.cased))
        }
        Literal::None => "::std::option::Option::None".to_owned(),
    }
}

/// A value type of `types:`.
fn value_type(t: &model::ValueType) -> view::ValueType {
    let (is_enum, fields, variants) = match &t.body {
        TypeBody::Struct(fields) => (
            false,
            fields
                .iter()
                .map(|f| field(f, Owner::Type(&t.name.written)))
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
                        .map(|f| field(f, Owner::Type(&t.name.written)))
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
