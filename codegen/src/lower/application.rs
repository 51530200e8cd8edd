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
        .map(|&at| (&model[at], app_aggregate(&model[at])))
        .collect();
    let commands = app
        .commands
        .iter()
        .map(|c| {
            let (a, aggregate) = (&model[c.aggregate], app_aggregate(&model[c.aggregate]));
            let (kind, method, event) = match c.command {
                None => ("create", "create".to_owned(), &a.created),
                Some(command) => {
                    let command = a.command(command);
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
                    "Calls [`{}::{}`] on the {} `{}` and saves it.",
                    aggregate.name,
                    method.trim_start_matches("r#"),
                    aggregate.noun,
                    aggregate.id
                ),
            });
            let args: Vec<view::Field> = event
                .args
                .iter()
                .map(|f| field(f, Owner::Event(&event.struct_name)))
                .collect();
            let params = args.len() + if kind == "create" { 1 } else { 2 };
            view::AppCommand {
                name: ident(&c.name.cased),
                doc,
                vis: match event.visibility {
                    model::Visibility::Public => "pub",
                    model::Visibility::Crate => "pub(crate)",
                },
                fallible,
                kind,
                aggregate,
                method,
                args,
                many_args: params > MAX_PARAMS,
            }
        })
        .collect();
    let queries = app
        .queries
        .iter()
        .map(|q| {
            let a = &model[q.aggregate];
            let (aggregate, field) = (app_aggregate(a), a.field(q.field));
            view::Query {
                name: ident(&q.name.cased),
                doc: doc_lines(q.doc.as_deref(), || {
                    format!(
                        "The `{}` of the {} `{}`.",
                        field.name.written, aggregate.noun, aggregate.id
                    )
                }),
                aggregate,
                field: ident(&field.name.cased),
                ty: field.ty.rust(),
            }
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
        defaults: defaults(app, &aggregates),
        aggregates: aggregates.into_iter().map(|(_, a)| a).collect(),
        commands,
        queries,
        policy_trait: conventions::policy_trait(&app.name.written),
        follows: app.follows.iter().map(|f| follow(model, app, f)).collect(),
    }
}

/// What a follower does with one leader's events: the policies, grouped
/// by the leader's aggregate for decoding.
fn follow(model: &Model, app: &model::Application, f: &model::Follow) -> view::Follow {
    let leader = &model[f.leader];
    let leader_written = &leader.name.written;
    let [process, pipe, wait] = conventions::follow_methods(leader_written);
    let mut aggregates = Vec::new();
    let mut policies = Vec::new();
    let mut ignored = Vec::new();
    for &at in &leader.aggregates {
        let a = &model[at];
        let mut handled = Vec::new();
        for (place, e) in a.events().enumerate() {
            let written = format!("{}.{}", a.name.written, e.name.written);
            match f
                .policies
                .iter()
                .find(|p| p.aggregate == at && p.event == model::EventRef(place))
            {
                Some(p) => handled.push(policy(app, leader_written, &written, p, e)),
                None => ignored.push(written),
            }
        }
        if !handled.is_empty() {
            aggregates.push(view::FollowedAggregate {
                event_enum: format!("{}Event", a.name.cased),
                all_handled: handled.len() == a.events().count(),
                policies: handled.clone(),
            });
        }
        policies.extend(handled);
    }
    // The trait's methods in the schema's order.
    policies.sort_by_key(|p: &view::Policy| {
        f.policies.iter().position(|q| {
            let a = &model[q.aggregate];
            format!("{}.{}", a.name.written, a.event(q.event).name.written) == p.written
        })
    });
    view::Follow {
        leader: ident(&leader.name.cased),
        process: ident(&process),
        pipe: ident(&pipe),
        wait: ident(&wait),
        events_enum: conventions::followed_enum(&app.name.written, leader_written),
        aggregates,
        policies,
        ignored,
    }
}

/// A policy's method, for the leader's event `e` (written `written`).
fn policy(
    app: &model::Application,
    leader: &str,
    written: &str,
    p: &model::Policy,
    e: &model::Event,
) -> view::Policy {
    let event_struct = ident(&e.struct_name);
    let method = ident(&p.name.cased);
    view::Policy {
        method_name: str_lit(method.trim_start_matches("r#")),
        method,
        doc: vec![format!(
            "What `{}` does when `{leader}` stores `{written}` ([`{event_struct}`]).",
            app.name.written
        )],
        written: written.to_owned(),
        topics: std::iter::once(format!("{event_struct}::TOPIC"))
            .chain(e.aliases.iter().map(|a| str_lit(a)))
            .collect(),
        aggregate_variant: ident(&e.name.cased),
        event_struct,
    }
}

/// The application's default settings: its `env:`, with
/// `IS_SNAPSHOTTING_ENABLED` true when one of its aggregates takes
/// snapshots, as Python's `snapshotting_intervals` makes it.
fn defaults(
    app: &model::Application,
    aggregates: &[(&model::Aggregate, view::AppAggregate)],
) -> Vec<view::Setting> {
    const SNAPSHOTTING: &str = "IS_SNAPSHOTTING_ENABLED";
    let snapshots = aggregates.iter().any(|(a, _)| a.snapshot_every.is_some());
    let mut env: Vec<(&str, &str)> = app
        .env
        .iter()
        .filter(|(key, _)| !(snapshots && key == SNAPSHOTTING))
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    if snapshots {
        env.push((SNAPSHOTTING, "y"));
    }
    env.into_iter()
        .map(|(key, value)| view::Setting {
            key: str_lit(key),
            value: str_lit(value),
        })
        .collect()
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
