//! Checking applications: the aggregates they use, their default settings,
//! and command and query methods that name aggregates, commands and fields
//! of the schema.

use super::names::{Case, Names, RESERVED_APP};
use super::{AggregateInfo, Checker, Slot};
use crate::error::{did_you_mean, one_of};
use crate::ident::conventions;
use crate::model;
use crate::read::schema::{self, Name, Target};

/// Settings an application's `env:` may give defaults for.
pub(crate) const SETTINGS: &[&str] = &[
    "PERSISTENCE_MODULE",
    "INFRASTRUCTURE_FACTORY",
    "FACTORY_TOPIC",
    "SQLITE_DBNAME",
    "SQLITE_LOCK_TIMEOUT",
    "POSTGRES_DBNAME",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "POSTGRES_CONNECT_TIMEOUT",
    "POSTGRES_CONN_MAX_AGE",
    "POSTGRES_PRE_PING",
    "POSTGRES_LOCK_TIMEOUT",
    "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT",
    "POSTGRES_POOL_SIZE",
    "POSTGRES_MAX_OVERFLOW",
    "POSTGRES_MAX_WAITING",
    "POSTGRES_SCHEMA",
    "ORIGINATOR_ID_TYPE",
    "CIPHER_TOPIC",
    "COMPRESSOR_TOPIC",
    "COMPRESSOR_LEVEL",
    "MAX_DECOMPRESSED_SIZE",
    "IS_SNAPSHOTTING_ENABLED",
    "AGGREGATE_CACHE_MAXSIZE",
    "AGGREGATE_CACHE_FASTFORWARD",
    "AGGREGATE_CACHE_FASTFORWARD_SKIPPING",
];

/// Settings that are secrets, refused in a schema.
const SECRET_SETTINGS: &[&str] = &["CIPHER_KEY", "POSTGRES_PASSWORD"];

impl Checker<'_> {
    pub(super) fn applications(
        &mut self,
        apps: &[schema::Application],
        written: &[schema::Aggregate],
        aggregates: &[AggregateInfo],
    ) -> Vec<model::Application> {
        let all_names: Vec<&str> = written.iter().map(|a| a.name.value.as_str()).collect();
        apps.iter()
            .filter_map(|app| self.application(app, apps, written, &all_names, aggregates))
            .collect()
    }

    fn application(
        &mut self,
        app: &schema::Application,
        apps: &[schema::Application],
        written: &[schema::Aggregate],
        all_names: &[&str],
        aggregates: &[AggregateInfo],
    ) -> Option<model::Application> {
        let what = format!("application '{}'", app.name.value);
        let (name, valid) = self.type_ident(&app.name, &what);
        let mut ok = valid && self.claim_type(&name.cased, &app.name, &what);
        let mut methods = Names::new(RESERVED_APP.iter().copied());

        // The aggregates it uses, each with its `get_<aggregate>` method.
        let mut used: Vec<&AggregateInfo> = Vec::new();
        let mut listed = Names::new([]);
        for name in &app.aggregates {
            if !self.known_aggregate(name, all_names, &what) {
                ok = false;
                continue;
            }
            if !listed.claim(
                self.problems,
                &name.value,
                name,
                &format!("aggregate '{}' in {what}", name.value),
            ) {
                continue;
            }
            let Some(info) = aggregates.iter().find(|a| a.written == name.value) else {
                ok = false;
                continue;
            };
            let getter = conventions::getter(&info.cased);
            methods.claim(
                self.problems,
                &getter,
                name,
                &format!("the method '{getter}' of {what}"),
            );
            used.push(info);
        }
        let listed_names: Vec<&str> = app.aggregates.iter().map(|n| n.value.as_str()).collect();
        let find = |v: &mut Self, name: &Name| -> Option<&AggregateInfo> {
            if !v.known_aggregate(name, all_names, &what) {
                return None;
            }
            match used.iter().find(|info| info.written == name.value) {
                Some(info) => Some(*info),
                None => {
                    if listed_names.contains(&name.value.as_str()) {
                        return None; // reported with the list
                    }
                    v.err(
                        name.pos,
                        format!(
                            "aggregate '{}' is not among the aggregates of {what}",
                            name.value
                        ),
                        format!("'{}' added to `aggregates:`", name.value),
                    );
                    None
                }
            }
        };

        let mut defaults = Vec::new();
        for (key, value) in &app.env {
            if SECRET_SETTINGS.contains(&key.value.as_str()) {
                self.err(key.pos, format!("{} in {what} is a secret, which does not belong in a schema (it would be compiled into the program)", key.value), "the secret set in the environment at run time");
                ok = false;
            } else if !SETTINGS.contains(&key.value.as_str()) {
                let hint = did_you_mean(&key.value, SETTINGS.iter().copied())
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                self.err(
                    key.pos,
                    format!("unknown setting '{}' in the env of {what}{hint}", key.value),
                    one_of(SETTINGS, ""),
                );
                ok = false;
            } else {
                defaults.push((key.value.clone(), value.value.clone()));
            }
        }

        let mut commands = Vec::new();
        for command in &app.commands {
            let cwhat = format!("command '{}' of {what}", command.name.value);
            let Some(name) = self.ident(&command.name, Case::Snake, &cwhat) else {
                ok = false;
                continue;
            };
            ok &= methods.claim(self.problems, &name.cased, &command.name, &cwhat);
            let (aggregate_name, member) = match &command.target {
                Target::Create(aggregate) => (aggregate, None),
                Target::Call { aggregate, command } => (aggregate, Some(command)),
            };
            let Some(info) = find(self, aggregate_name) else {
                ok = false;
                continue;
            };
            let slots = match member {
                None => &info.created,
                Some(member) => match info.commands.iter().find(|c| c.0 == member.value) {
                    Some((_, slots)) => slots,
                    None => {
                        let names: Vec<&str> = info.commands.iter().map(|c| c.0.as_str()).collect();
                        let hint = did_you_mean(&member.value, names.iter().copied())
                            .map(|s| format!("; did you mean '{s}'?"))
                            .unwrap_or_default();
                        self.err(
                            member.pos,
                            format!(
                                "aggregate '{}' has no command '{}' (in {cwhat}){hint}",
                                info.written, member.value
                            ),
                            one_of(&names, "a command, but the aggregate has none"),
                        );
                        ok = false;
                        continue;
                    }
                },
            };
            if member.is_some() {
                let id = conventions::id_param(&info.cased);
                let local = conventions::local(&info.cased);
                for slot in slots {
                    if slot.cased() == id || slot.cased() == local {
                        let role = if slot.cased() == id {
                            "the id of the"
                        } else {
                            "its local variable for the"
                        };
                        self.err(
                            slot.pos,
                            format!("argument '{}' of command '{}' of aggregate '{}' is named like {role} {} in {cwhat}", slot.written(), member.map_or("", |m| m.value.as_str()), info.written, conventions::noun(&info.cased)),
                            format!("an argument name other than '{id}' and '{local}'"),
                        );
                        ok = false;
                    }
                }
            }
            commands.push(model::AppCommand {
                name,
                doc: command.doc.clone(),
                aggregate: info.written.clone(),
                command: member.map(|m| m.value.clone()),
            });
        }

        let mut queries = Vec::new();
        for query in &app.queries {
            let qwhat = format!("query '{}' of {what}", query.name.value);
            let Some(name) = self.ident(&query.name, Case::Snake, &qwhat) else {
                ok = false;
                continue;
            };
            ok &= methods.claim(self.problems, &name.cased, &query.name, &qwhat);
            let Some(info) = find(self, &query.aggregate) else {
                ok = false;
                continue;
            };
            if !info.state.iter().any(|s| s.written() == query.field.value) {
                let names: Vec<&str> = info.state.iter().map(Slot::written).collect();
                let hint = did_you_mean(&query.field.value, names.iter().copied())
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                self.err(
                    query.field.pos,
                    format!(
                        "aggregate '{}' has no state field '{}' (in {qwhat}){hint}",
                        info.written, query.field.value
                    ),
                    one_of(&names, "a state field, but the aggregate has none"),
                );
                ok = false;
                continue;
            };
            queries.push(model::Query {
                name,
                doc: query.doc.clone(),
                aggregate: info.written.clone(),
                field: query.field.value.clone(),
            });
        }

        let follows = self.follows(app, apps, written, &mut methods);
        ok &= follows.is_some();

        ok.then(|| model::Application {
            name,
            doc: app.doc.clone(),
            env: defaults,
            aggregates: used.iter().map(|info| info.written.clone()).collect(),
            commands,
            queries,
            follows: follows.unwrap_or_default(),
        })
    }

    /// Whether `name` is an aggregate of the schema; reports it if not.
    fn known_aggregate(&mut self, name: &Name, all: &[&str], what: &str) -> bool {
        if all.contains(&name.value.as_str()) {
            return true;
        }
        let hint = did_you_mean(&name.value, all.iter().copied())
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        self.err(
            name.pos,
            format!("unknown aggregate '{}' in {what}{hint}", name.value),
            one_of(all, "an aggregate, but the schema has none"),
        );
        false
    }
}
