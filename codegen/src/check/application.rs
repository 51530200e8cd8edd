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

/// What the command and query methods of one application are checked
/// against: the aggregates it uses and lists.
struct AppCx<'n, 'a> {
    what: String,
    /// Every aggregate of the schema, as written.
    all_names: &'n [&'n str],
    /// The aggregates it uses, checked.
    used: Vec<&'a AggregateInfo>,
    /// The aggregates it lists, as written (some may not be used: reported).
    listed: Vec<&'n str>,
}

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
            .map(|app| self.application(app, apps, written, &all_names, aggregates))
            .collect()
    }

    /// One application. It is placed in the model whatever its problems
    /// (each is reported), so that no other application's place moves.
    fn application(
        &mut self,
        app: &schema::Application,
        apps: &[schema::Application],
        written: &[schema::Aggregate],
        all_names: &[&str],
        aggregates: &[AggregateInfo],
    ) -> model::Application {
        let what = format!("application '{}'", app.name.value);
        let (name, valid) = self.type_ident(&app.name, &what);
        if valid && self.claim_type(&name.cased, &app.name, &what) {
            let facade = format!("Async{}", name.cased);
            let facade_what = format!("the async facade '{facade}' of {what}");
            self.claim_type(&facade, &app.name, &facade_what);
        }
        let mut methods = Names::new(RESERVED_APP.iter().copied());
        let used = self.used_aggregates(app, all_names, aggregates, &what, &mut methods);
        let cx = AppCx {
            what,
            all_names,
            used,
            listed: app.aggregates.iter().map(|n| n.value.as_str()).collect(),
        };
        let env = self.app_env(app, &cx.what);
        let commands = app
            .commands
            .iter()
            .filter_map(|command| self.app_command(command, &cx, &mut methods))
            .collect();
        let queries = app
            .queries
            .iter()
            .filter_map(|query| self.app_query(query, &cx, &mut methods))
            .collect();
        let follows = self.follows(app, apps, written, &mut methods);
        model::Application {
            name,
            doc: app.doc.clone(),
            env,
            // An aggregate with problems of its own has no place in the
            // model, nor, then, has this application's use of it: the model
            // has problems, and is never lowered.
            aggregates: cx
                .used
                .iter()
                .filter_map(|info| self.aggregate_refs.get(&info.written).copied())
                .collect(),
            commands,
            queries,
            follows: follows.unwrap_or_default(),
        }
    }

    /// The aggregates an application lists, each with its
    /// `get_<aggregate>` method claimed.
    fn used_aggregates<'a>(
        &mut self,
        app: &schema::Application,
        all_names: &[&str],
        aggregates: &'a [AggregateInfo],
        what: &str,
        methods: &mut Names,
    ) -> Vec<&'a AggregateInfo> {
        let mut used = Vec::new();
        let mut listed = Names::new([]);
        for name in &app.aggregates {
            if !self.known_aggregate(name, all_names, what)
                || !listed.claim(
                    self.problems,
                    &name.value,
                    name,
                    &format!("aggregate '{}' in {what}", name.value),
                )
            {
                continue;
            }
            let Some(info) = aggregates.iter().find(|a| a.written == name.value) else {
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
        used
    }

    /// The aggregate `name` of the application, for a command or query;
    /// reports one the schema or the application does not have.
    fn app_aggregate<'a>(&mut self, cx: &AppCx<'_, 'a>, name: &Name) -> Option<&'a AggregateInfo> {
        if !self.known_aggregate(name, cx.all_names, &cx.what) {
            return None;
        }
        if let Some(info) = cx.used.iter().find(|info| info.written == name.value) {
            return Some(*info);
        }
        if !cx.listed.contains(&name.value.as_str()) {
            self.err(
                name.pos,
                format!(
                    "aggregate '{}' is not among the aggregates of {}",
                    name.value, cx.what
                ),
                format!("'{}' added to `aggregates:`", name.value),
            );
        } // else reported with the list
        None
    }

    /// The application's default settings: its `env:`, without the secrets
    /// and unknown settings (each reported).
    fn app_env(&mut self, app: &schema::Application, what: &str) -> Vec<(String, String)> {
        let mut defaults = Vec::new();
        for (key, value) in &app.env {
            if SECRET_SETTINGS.contains(&key.value.as_str()) {
                self.err(key.pos, format!("{} in {what} is a secret, which does not belong in a schema (it would be compiled into the program)", key.value), "the secret set in the environment at run time");
            } else if !SETTINGS.contains(&key.value.as_str()) {
                let hint = did_you_mean(&key.value, SETTINGS.iter().copied())
                    .map(|s| format!("; did you mean '{s}'?"))
                    .unwrap_or_default();
                self.err(
                    key.pos,
                    format!("unknown setting '{}' in the env of {what}{hint}", key.value),
                    one_of(SETTINGS, ""),
                );
            } else {
                defaults.push((key.value.clone(), value.value.clone()));
            }
        }
        defaults
    }

    /// A command method: it creates an aggregate, or calls one of its
    /// commands.
    fn app_command(
        &mut self,
        command: &schema::AppCommand,
        cx: &AppCx<'_, '_>,
        methods: &mut Names,
    ) -> Option<model::AppCommand> {
        let cwhat = format!("command '{}' of {}", command.name.value, cx.what);
        let name = self.ident(&command.name, Case::Snake, &cwhat)?;
        methods.claim(self.problems, &name.cased, &command.name, &cwhat);
        let (aggregate_name, member) = match &command.target {
            Target::Create(aggregate) => (aggregate, None),
            Target::Call { aggregate, command } => (aggregate, Some(command)),
        };
        let info = self.app_aggregate(cx, aggregate_name)?;
        let (slots, command_ref) = match member {
            None => (&info.created, None),
            Some(member) => {
                let Some(at) = info.commands.iter().position(|c| c.0 == member.value) else {
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
                    return None;
                };
                (&info.commands[at].1, Some(model::CommandRef(at)))
            }
        };
        if let Some(member) = member {
            self.argument_names(info, slots, &member.value, &cwhat);
        }
        Some(model::AppCommand {
            name,
            doc: command.doc.clone(),
            // The aggregate's own problems are reported.
            aggregate: self.aggregate_refs.get(&info.written).copied()?,
            command: command_ref,
        })
    }

    /// Reports a command's argument named like the facade method's id
    /// parameter or its local variable for the aggregate.
    fn argument_names(&mut self, info: &AggregateInfo, slots: &[Slot], command: &str, cwhat: &str) {
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
                    format!("argument '{}' of command '{command}' of aggregate '{}' is named like {role} {} in {cwhat}", slot.written(), info.written, conventions::noun(&info.cased)),
                    format!("an argument name other than '{id}' and '{local}'"),
                );
            }
        }
    }

    /// A query method: one state field of one aggregate.
    fn app_query(
        &mut self,
        query: &schema::Query,
        cx: &AppCx<'_, '_>,
        methods: &mut Names,
    ) -> Option<model::Query> {
        let qwhat = format!("query '{}' of {}", query.name.value, cx.what);
        let name = self.ident(&query.name, Case::Snake, &qwhat)?;
        methods.claim(self.problems, &name.cased, &query.name, &qwhat);
        let info = self.app_aggregate(cx, &query.aggregate)?;
        let Some(field) = info
            .state
            .iter()
            .position(|s| s.written() == query.field.value)
        else {
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
            return None;
        };
        Some(model::Query {
            name,
            doc: query.doc.clone(),
            // The aggregate's own problems are reported.
            aggregate: self.aggregate_refs.get(&info.written).copied()?,
            field: model::FieldRef(field),
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
