//! Lowering an application facade: its settings, and its command, query and
//! getter methods.

use super::aggregate::MAX_PARAMS;
use super::{Owner, doc_lines, field, ident, view, with_article};
use crate::ident::{conventions, str_lit};
use crate::model::{self, Model};

pub(super) fn lower(model: &Model, app: &model::Application) -> view::Application {
    let aggregates: Vec<(&model::Aggregate, view::AppAggregate)> = app
        .aggregates
        .iter()
        .filter_map(|written| model.aggregate(written))
        .map(|a| (a, app_aggregate(a)))
        .collect();
    let find = |written: &str| aggregates.iter().find(|(a, _)| a.name.written == written);
    let commands = app
        .commands
        .iter()
        .filter_map(|c| {
            let (a, aggregate) = find(&c.aggregate)?;
            let (kind, method, event) = match &c.command {
                None => ("create", "create".to_owned(), &a.created),
                Some(command) => {
                    let command = a.command(command)?;
                    ("call", ident(&command.name.cased), &command.event)
                }
            };
            let fallible = event.can_fail();
            let doc = doc_lines(c.doc.as_deref(), || match kind {
                "create" => format!(
                    "Creates {} and returns its id.",
                    with_article(&aggregate.noun)
                ),
                _ => format!(
                    "Calls [`{}::{method}`] on the {} `{}` and saves it.",
                    aggregate.name, aggregate.noun, aggregate.id
                ),
            });
            let args: Vec<view::Field> = event
                .args
                .iter()
                .map(|f| field(f, Owner::Event(&event.struct_name)))
                .collect();
            let params = args.len() + if kind == "create" { 1 } else { 2 };
            Some(view::AppCommand {
                name: ident(&c.name.cased),
                doc,
                vis: match event.visibility {
                    model::Visibility::Public => "pub",
                    model::Visibility::Crate => "pub(crate)",
                },
                fallible,
                kind,
                aggregate: aggregate.clone(),
                method,
                args,
                many_args: params > MAX_PARAMS,
            })
        })
        .collect();
    let queries = app
        .queries
        .iter()
        .filter_map(|q| {
            let (a, aggregate) = find(&q.aggregate)?;
            let field = a.field(&q.field)?;
            Some(view::Query {
                name: ident(&q.name.cased),
                doc: doc_lines(q.doc.as_deref(), || {
                    format!(
                        "The `{}` of the {} `{}`.",
                        field.name.written, aggregate.noun, aggregate.id
                    )
                }),
                aggregate: aggregate.clone(),
                field: ident(&field.name.cased),
                ty: field.ty.rust(),
            })
        })
        .collect();
    view::Application {
        name: ident(&app.name.cased),
        name_lit: str_lit(&app.name.written),
        doc: doc_lines(app.doc.as_deref(), || {
            format!(
                "The `{}` application (the schema gives it no doc).",
                app.name.written
            )
        }),
        defaults: app
            .env
            .iter()
            .map(|(key, value)| view::Setting {
                key: str_lit(key),
                value: str_lit(value),
            })
            .collect(),
        aggregates: aggregates.into_iter().map(|(_, a)| a).collect(),
        commands,
        queries,
    }
}

/// An aggregate as an application uses it.
fn app_aggregate(a: &model::Aggregate) -> view::AppAggregate {
    let cased = &a.name.cased;
    view::AppAggregate {
        name: ident(cased),
        id_type: format!("{cased}Id"),
        var: ident(&conventions::local(cased)),
        noun: conventions::noun(cased),
        id: conventions::id_param(cased),
        getter: conventions::getter(cased),
    }
}
