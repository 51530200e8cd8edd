//! Lowering a system: its applications and the pipes between them.

use super::aggregate::MAX_PARAMS;
use super::{doc_lines, ident, view};
use crate::ident::conventions;
use crate::ident::str_lit;
use crate::model::{self, Model};

pub(super) fn lower(model: &Model, system: &model::System) -> view::System {
    let written = |at: model::ApplicationRef| &model[at].name.written;
    let var = |at| ident(&conventions::system_app(written(at)));
    let applications: Vec<view::SystemApp> = system
        .applications
        .iter()
        .map(|&at| view::SystemApp {
            name: ident(&model[at].name.cased),
            var: var(at),
        })
        .collect();
    let pipes = system
        .pipes
        .iter()
        .map(|&(leader, follower)| view::SystemPipe {
            leader_lit: str_lit(written(leader)),
            follower_lit: str_lit(written(follower)),
            leader_var: var(leader),
            follower_var: var(follower),
            method: ident(&conventions::follow_methods(written(leader))[1]),
        })
        .collect();
    view::System {
        name: ident(&system.name.cased),
        doc: doc_lines(system.doc.as_deref(), || {
            format!(
                "The `{}` system (the schema gives it no doc).",
                system.name.written
            )
        }),
        many_args: applications.len() > MAX_PARAMS,
        env_example: format!(
            "{}_SQLITE_DBNAME",
            system
                .applications
                .first()
                .map_or_else(String::new, |&a| written(a).to_uppercase())
        ),
        applications,
        pipes,
    }
}
