//! Checking what applications follow and the systems that connect them:
//! every leader is an application of the schema, every policy names an
//! event of the leader's, every event of the leader's is either handled or
//! ignored (so that a new event is a build error until a follower says
//! what it does with it), and every pipe of a system joins a leader to an
//! application that follows it.

use std::collections::HashMap;

use super::Checker;
use super::names::{Case, Names};
use crate::error::{did_you_mean, one_of};
use crate::ident::conventions::{follow_methods, followed_enum, policy_trait, system_app};
use crate::ident::escape;
use crate::model;
use crate::read::schema::{self, Name};
use crate::read::yaml::Pos;

/// Method names every system has.
const RESERVED_SYSTEM: &[(&str, &str)] = &[
    ("from_env", "it is a constructor of every system"),
    ("isolated", "it is a constructor of every system"),
    ("new", "it is a constructor of every system"),
    ("pipes", "every system has it (its pipes, to run)"),
    (
        "single_threaded",
        "every system has it (the single-threaded runner)",
    ),
    (
        "multi_threaded",
        "every system has it (the multi-threaded runner)",
    ),
    ("PIPES", "every system has it (its pipes, by name)"),
    ("blocking", "every system's async facade has it"),
    (
        "run",
        "every system's async facade has it (the single-threaded runner's run)",
    ),
    (
        "stop",
        "every system's async facade has it (the multi-threaded runner's stop)",
    ),
];

/// The events of an aggregate as written: the created event, then each
/// command's.
fn events(aggregate: &schema::Aggregate) -> impl Iterator<Item = &str> {
    std::iter::once(aggregate.created.name.value.as_str()).chain(
        aggregate
            .commands
            .iter()
            .map(|c| c.event.name.value.as_str()),
    )
}

impl Checker<'_> {
    /// The `follow:` of `app`, checked against the other applications of
    /// the schema; each follow's methods claimed in `methods`. `None` when
    /// something is wrong (reported).
    pub(super) fn follows(
        &mut self,
        app: &schema::Application,
        apps: &[schema::Application],
        written: &[schema::Aggregate],
        methods: &mut Names,
    ) -> Option<Vec<model::Follow>> {
        let what = format!("application '{}'", app.name.value);
        let mut ok = true;
        if !app.follows.is_empty() {
            ok &= self.claim_type(
                &policy_trait(&app.name.value),
                &app.name,
                &format!("the policy trait of {what}"),
            );
        }
        let mut follows = Vec::new();
        for follow in &app.follows {
            let leader_name = &follow.leader;
            let fwhat = format!(
                "what {what} does with the events of '{}'",
                leader_name.value
            );
            let Some(leader) = self.application_named(apps, leader_name, &|hint| {
                format!(
                    "{what} follows '{}', which is not an application of this schema{hint}",
                    leader_name.value
                )
            }) else {
                ok = false;
                continue;
            };
            if leader.name.value == app.name.value {
                self.err(
                    leader_name.pos,
                    format!("{what} follows itself"),
                    "another application to follow (a policy that reacts to its own events belongs in its commands)",
                );
                ok = false;
                continue;
            }
            for method in follow_methods(&leader_name.value) {
                ok &= methods.claim(
                    self.problems,
                    &method,
                    leader_name,
                    &format!(
                        "the method '{method}' of {what}, for following '{}'",
                        leader_name.value
                    ),
                );
            }
            ok &= self.claim_type(
                &followed_enum(&app.name.value, &leader_name.value),
                leader_name,
                &format!(
                    "the enum of the events {what} handles of '{}'",
                    leader_name.value
                ),
            );
            let leader_aggregates: Vec<&schema::Aggregate> = leader
                .aggregates
                .iter()
                .filter_map(|n| written.iter().find(|a| a.name.value == n.value))
                .collect();
            // Each of the leader's events, and where it was mentioned.
            let mut mentioned: HashMap<(String, String), Pos> = HashMap::new();
            let mut policies = Vec::new();
            for (aggregate, event, method) in &follow.policies {
                let mention = self.mention(
                    &leader_aggregates,
                    leader,
                    aggregate,
                    event,
                    &fwhat,
                    &mut mentioned,
                );
                let pwhat = format!(
                    "the policy for '{}.{}' in {fwhat}",
                    aggregate.value, event.value
                );
                let Some(name) = self.ident(method, Case::Snake, &pwhat) else {
                    ok = false;
                    continue;
                };
                ok &= methods.claim(self.problems, &name.cased, method, &pwhat);
                let place = leader_aggregates
                    .iter()
                    .find(|a| a.name.value == aggregate.value)
                    .and_then(|a| events(a).position(|e| e == event.value));
                match (mention, self.aggregate_refs.get(&aggregate.value), place) {
                    (true, Some(aggregate), Some(event)) => policies.push(model::Policy {
                        name,
                        aggregate: *aggregate,
                        event: model::EventRef(event),
                    }),
                    // Reported: here, or as a problem of the aggregate's.
                    _ => ok = false,
                }
            }
            for (aggregate, event) in &follow.ignore {
                ok &= self.mention(
                    &leader_aggregates,
                    leader,
                    aggregate,
                    event,
                    &fwhat,
                    &mut mentioned,
                );
            }
            let missing: Vec<String> = leader_aggregates
                .iter()
                .flat_map(|a| events(a).map(move |e| (a.name.value.as_str(), e)))
                .filter(|(a, e)| !mentioned.contains_key(&((*a).to_owned(), (*e).to_owned())))
                .map(|(a, e)| format!("{a}.{e}"))
                .collect();
            if !missing.is_empty() {
                self.err(
                    leader_name.pos,
                    format!(
                        "{what} does not say what it does with {} of '{}': {}",
                        if missing.len() == 1 { "an event" } else { "events" },
                        leader_name.value,
                        missing.join(", ")
                    ),
                    "each of the leader's events under `policies:` (handled) or `ignore:`, so that a new event is never passed over unseen",
                );
                ok = false;
            }
            if follow.policies.is_empty() && ok {
                self.err(
                    leader_name.pos,
                    format!(
                        "{what} handles none of the events of '{}'",
                        leader_name.value
                    ),
                    "a policy for at least one event, or no `follow:` of it",
                );
                ok = false;
            }
            if let Some(leader) = self.application_refs.get(&leader_name.value) {
                follows.push(model::Follow {
                    leader: *leader,
                    policies,
                });
            }
        }
        ok.then_some(follows)
    }

    /// The application `name` of `apps`; when there is none, reports
    /// `message(hint)`, the hint suggesting a near name.
    fn application_named<'a>(
        &mut self,
        apps: &'a [schema::Application],
        name: &Name,
        message: &dyn Fn(&str) -> String,
    ) -> Option<&'a schema::Application> {
        let found = apps.iter().find(|a| a.name.value == name.value);
        if found.is_none() {
            let names: Vec<&str> = apps.iter().map(|a| a.name.value.as_str()).collect();
            let hint = did_you_mean(&name.value, names.iter().copied())
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            self.err(
                name.pos,
                message(&hint),
                one_of(&names, "an application of this schema"),
            );
        }
        found
    }

    /// Whether `aggregate.event` is an event of `leader`'s, mentioned once;
    /// reports it if not.
    fn mention(
        &mut self,
        aggregates: &[&schema::Aggregate],
        leader: &schema::Application,
        aggregate: &Name,
        event: &Name,
        what: &str,
        mentioned: &mut HashMap<(String, String), Pos>,
    ) -> bool {
        let Some(found) = aggregates.iter().find(|a| a.name.value == aggregate.value) else {
            let names: Vec<&str> = leader.aggregates.iter().map(|n| n.value.as_str()).collect();
            let hint = did_you_mean(&aggregate.value, names.iter().copied())
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            self.err(
                aggregate.pos,
                format!(
                    "'{}' is not an aggregate of application '{}' (in {what}){hint}",
                    aggregate.value, leader.name.value
                ),
                one_of(&names, "an aggregate of the leader's"),
            );
            return false;
        };
        let names: Vec<&str> = events(found).collect();
        if !names.contains(&event.value.as_str()) {
            let hint = did_you_mean(&event.value, names.iter().copied())
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            self.err(
                event.pos,
                format!(
                    "aggregate '{}' has no event '{}' (in {what}){hint}",
                    aggregate.value, event.value
                ),
                one_of(&names, "an event of the aggregate's"),
            );
            return false;
        }
        let key = (aggregate.value.clone(), event.value.clone());
        if let Some(first) = mentioned.get(&key) {
            self.err(
                aggregate.pos,
                format!(
                    "'{}.{}' is mentioned twice in {what}, first at {first}",
                    aggregate.value, event.value
                ),
                "each event once: under `policies:` or under `ignore:`",
            );
            return false;
        }
        mentioned.insert(key, aggregate.pos);
        true
    }

    /// The systems, each pipe checked to join a leader to an application
    /// that follows it.
    pub(super) fn systems(
        &mut self,
        systems: &[schema::System],
        apps: &[schema::Application],
    ) -> Vec<model::System> {
        systems
            .iter()
            .filter_map(|system| self.system(system, apps))
            .collect()
    }

    fn system(
        &mut self,
        system: &schema::System,
        apps: &[schema::Application],
    ) -> Option<model::System> {
        let what = format!("system '{}'", system.name.value);
        let (name, valid) = self.type_ident(&system.name, &what);
        let mut ok = valid && self.claim_type(&name.cased, &system.name, &what);
        if ok {
            let facade = format!("Async{}", name.cased);
            let facade_what = format!("the async facade '{facade}' of {what}");
            ok &= self.claim_type(&facade, &system.name, &facade_what);
        }
        let mut methods = Names::new(RESERVED_SYSTEM.iter().copied());
        let mut applications: Vec<String> = Vec::new();
        let mut pipes: Vec<(String, String)> = Vec::new();
        let mut joined: HashMap<(String, String), Pos> = HashMap::new();
        if system.pipes.is_empty() {
            self.err(
                system.name.pos,
                format!("{what} has no pipes"),
                "pipes: [[Leader, Follower]], each follower following the application before it",
            );
            ok = false;
        }
        for pipe in &system.pipes {
            if pipe.value.len() < 2 {
                self.err(
                    pipe.pos,
                    format!("a pipe of {what} has fewer than two applications"),
                    "a leader and at least one follower, e.g. [Bank, Statements]",
                );
                ok = false;
                continue;
            }
            for name in &pipe.value {
                let Some(app) = self.application_named(apps, name, &|hint| {
                    format!(
                        "unknown application '{}' in a pipe of {what}{hint}",
                        name.value
                    )
                }) else {
                    ok = false;
                    continue;
                };
                if !applications.contains(&app.name.value) {
                    applications.push(app.name.value.clone());
                    let accessor = system_app(&app.name.value);
                    if escape(&accessor).is_err() {
                        self.err(
                            name.pos,
                            format!(
                                "the accessor of application '{}' in {what} would be named '{accessor}', a keyword that cannot be a name",
                                name.value
                            ),
                            "another application name",
                        );
                        ok = false;
                    }
                    ok &= methods.claim(
                        self.problems,
                        &system_app(&app.name.value),
                        name,
                        &format!("the accessor of application '{}' in {what}", name.value),
                    );
                }
            }
            for pair in pipe.value.windows(2) {
                let [leader, follower] = pair else { continue };
                let Some(app) = apps.iter().find(|a| a.name.value == follower.value) else {
                    continue; // reported above
                };
                if !apps.iter().any(|a| a.name.value == leader.value) {
                    continue; // reported above
                }
                if !app.follows.iter().any(|f| f.leader.value == leader.value) {
                    self.err(
                        follower.pos,
                        format!(
                            "'{}' does not follow '{}' (in a pipe of {what})",
                            follower.value, leader.value
                        ),
                        format!(
                            "`follow: {{ {}: {{ policies: ... }} }}` in application '{}'",
                            leader.value, follower.value
                        ),
                    );
                    ok = false;
                    continue;
                }
                let key = (leader.value.clone(), follower.value.clone());
                if let Some(first) = joined.get(&key) {
                    self.err(
                        follower.pos,
                        format!(
                            "'{}' follows '{}' twice in {what}, first at {first}",
                            follower.value, leader.value
                        ),
                        "each leader and follower joined once",
                    );
                    ok = false;
                    continue;
                }
                joined.insert(key.clone(), follower.pos);
                pipes.push(key);
            }
        }
        let place = |name: &String| self.application_refs.get(name).copied();
        let applications: Option<Vec<model::ApplicationRef>> =
            applications.iter().map(place).collect();
        let pipes: Option<Vec<(model::ApplicationRef, model::ApplicationRef)>> = pipes
            .iter()
            .map(|(leader, follower)| Some((place(leader)?, place(follower)?)))
            .collect();
        match (ok, applications, pipes) {
            (true, Some(applications), Some(pipes)) => Some(model::System {
                name,
                doc: system.doc.clone(),
                applications,
                pipes,
            }),
            _ => None,
        }
    }
}
