//! Checking aggregates: names, topics, state fields, the created event and
//! the commands with their events.

use std::collections::HashMap;

use super::names::{Case, Names, RESERVED_AGGREGATE, RESERVED_ARGS, TRAIT_METHODS};
use super::upcast::Versioned;
use super::{AggregateInfo, Checker, Slot};
use crate::ident::conventions;
use crate::model::{self, Ty};
use crate::read::schema::{self, Apply};
use crate::read::yaml::{Pos, Spanned};

impl Checker<'_> {
    pub(super) fn aggregates(
        &mut self,
        aggregates: &[schema::Aggregate],
        module: &str,
        module_aliases: &[Spanned<String>],
    ) -> Vec<AggregateInfo> {
        aggregates
            .iter()
            .filter_map(|a| self.aggregate(a, module, module_aliases))
            .collect()
    }

    /// Checks alias topics (`aliases:`), and claims them; returns them with
    /// those the module's aliases give a default topic.
    fn aliases(
        &mut self,
        given: &[Spanned<String>],
        derived: Vec<String>,
        what: &str,
        pos: Pos,
    ) -> Vec<String> {
        let mut aliases = Vec::new();
        for alias in given {
            if super::is_topic(&alias.value) {
                self.claim_topic(&alias.value, alias.pos, &format!("an alias of {what}"));
                aliases.push(alias.value.clone());
            } else {
                self.err(
                    alias.pos,
                    format!("'{}' is not a topic, in the aliases of {what}", alias.value),
                    "a whole topic, e.g. 'old.module:World'",
                );
            }
        }
        for alias in derived {
            if !aliases.contains(&alias) {
                self.claim_topic(
                    &alias,
                    pos,
                    &format!("an alias of {what} (from module_aliases)"),
                );
                aliases.push(alias);
            }
        }
        aliases
    }

    fn aggregate(
        &mut self,
        aggregate: &schema::Aggregate,
        module: &str,
        module_aliases: &[Spanned<String>],
    ) -> Option<AggregateInfo> {
        let what = format!("aggregate '{}'", aggregate.name.value);
        // A name that cannot be used is reported; the rest is still checked.
        let (name, valid) = self.type_ident(&aggregate.name, &what);
        let mut ok = self.aggregate_names(aggregate, &name, valid, &what);
        let topic = self.topic(
            aggregate.topic.as_ref(),
            &what,
            "'module:Name', e.g. 'universe:World'",
            || format!("{module}:{}", aggregate.name.value),
        );
        let derived = if aggregate.topic.is_none() {
            module_aliases
                .iter()
                .map(|m| format!("{}:{}", m.value, aggregate.name.value))
                .collect()
        } else {
            Vec::new()
        };
        let aliases = self.aliases(&aggregate.aliases, derived, &what, aggregate.name.pos);

        // State fields and getters share the aggregate's method namespace.
        let mut methods = Names::new(RESERVED_AGGREGATE.iter().copied().chain(
            TRAIT_METHODS.iter().map(|name| {
                (
                    *name,
                    "every aggregate has a trait method of this name, which `aggregate.name(..)` would call instead",
                )
            }),
        ));
        let state = self.slots(&aggregate.state, "state field", &what, &mut methods);
        ok &= self.state_defaults(&state, &what);

        let mut event_names = Names::new([]);
        let mut context = EventContext {
            aggregate: &name.cased,
            topic: &topic,
            aliases: &aliases,
            state: &state,
            event_names: &mut event_names,
            methods: &mut methods,
        };
        let created = self.event(&aggregate.created, None, &mut context);
        let mut commands = Vec::new();
        let mut infos = Vec::new();
        for command in &aggregate.commands {
            let cwhat = format!("command '{}' of {what}", command.name.value);
            let Some(cname) = self.ident(&command.name, Case::Snake, &cwhat) else {
                continue;
            };
            context
                .methods
                .claim(self.problems, &cname.cased, &command.name, &cwhat);
            let Some((event, slots)) = self.event(&command.event, Some(command), &mut context)
            else {
                continue;
            };
            infos.push((command.name.value.clone(), slots));
            commands.push(model::Command {
                name: cname,
                doc: command.doc.clone(),
                event,
            });
        }
        let (created, created_slots) = created?;
        let uuid5 = match &aggregate.created.uuid5 {
            Some(template) => {
                let parts = self.uuid5(template, &created_slots, &what);
                ok &= parts.is_some();
                parts
            }
            None => None,
        };
        let has_custom = std::iter::once(&created)
            .chain(commands.iter().map(|c| &c.event))
            .any(|e| matches!(e.apply, model::Apply::Custom));
        if has_custom {
            let apply_trait = format!("{}Apply", name.cased);
            ok &= self.claim_type(
                &apply_trait,
                &aggregate.name,
                &format!("the trait '{apply_trait}' of {what}'s custom state changes"),
            );
        }
        // The class version of its snapshots, checked against its state.
        let (version, upcasts) = self.versions(
            Versioned {
                version: aggregate.version.as_ref(),
                upcasts: &aggregate.upcasts,
                at: aggregate.name.pos,
                noun: "state field",
            },
            &state,
            &format!("the snapshot state of {what}"),
        );
        let model = ok.then(|| model::Aggregate {
            name: name.clone(),
            doc: aggregate.doc.clone(),
            topic,
            state: state.iter().map(|s| s.field.clone()).collect(),
            created,
            commands,
            uuid5,
            aliases,
            version,
            upcasts,
            snapshot_every: aggregate.snapshot_every.as_ref().map(|n| n.value),
        });
        Some(AggregateInfo {
            written: aggregate.name.value.clone(),
            cased: name.cased,
            state,
            created: created_slots,
            commands: infos,
            model,
        })
    }

    /// Claims the names an aggregate takes: its own, its event enum's and
    /// its id type's, and its facades' local variable; whether all are its.
    fn aggregate_names(
        &mut self,
        aggregate: &schema::Aggregate,
        name: &model::Name,
        valid: bool,
        what: &str,
    ) -> bool {
        let mut ok = valid && self.claim_type(&name.cased, &aggregate.name, what);
        // Facades hold it in a local variable of its snake-case name.
        let local = conventions::local(&name.cased);
        if valid && crate::ident::escape(&local).is_err() {
            self.err(
                aggregate.name.pos,
                format!("{what} would be held in a variable named '{local}', a keyword that cannot be a name"),
                "another aggregate name",
            );
            ok = false;
        }
        for (suffix, role) in [("Event", "event enum"), ("Id", "id type")] {
            let generated = format!("{}{suffix}", name.cased);
            ok &= self.claim_type(
                &generated,
                &aggregate.name,
                &format!("the {role} '{generated}' of {what}"),
            );
        }
        ok
    }

    /// Whether every state field of a value type starts at that type's
    /// default; reports those that cannot.
    fn state_defaults(&mut self, state: &[Slot], what: &str) -> bool {
        let mut ok = true;
        for slot in state {
            if let Ty::Named(ty, _) = slot.ty()
                && !self.has_default(slot.ty())
            {
                let ty = &ty.written;
                self.err(
                    slot.pos,
                    format!("state field '{}' of {what} has type '{ty}', which has no default value to start from", slot.written()),
                    format!("a type with a default: make the first variant of '{ty}' a unit variant, or use Option<{ty}>"),
                );
                ok = false;
            }
        }
        ok
    }

    /// Checks an event (the created one when `command` is `None`), and
    /// returns it with its arguments.
    fn event(
        &mut self,
        event: &schema::Event,
        command: Option<&schema::Command>,
        context: &mut EventContext<'_>,
    ) -> Option<(model::Event, Vec<Slot>)> {
        let aggregate = context.aggregate;
        let what = format!("event '{}' of aggregate '{aggregate}'", event.name.value);
        let name = self.ident(&event.name, Case::UpperCamel, &what)?;
        let unique = context
            .event_names
            .claim(self.problems, &name.cased, &event.name, &what);
        // Always prefixed with its aggregate's name, so that the name of an
        // event's struct depends on nothing else in the schema.
        let struct_name = format!("{aggregate}{}", name.cased);
        if unique {
            self.claim_type(&struct_name, &event.name, &what);
        }
        let topic = self.topic(
            event.topic.as_ref(),
            &what,
            "'module:Name', e.g. 'universe:World.Started'",
            || format!("{}.{}", context.topic, event.name.value),
        );
        self.claim_topic(
            &topic,
            event.topic.as_ref().map_or(event.name.pos, |t| t.pos),
            &what,
        );
        let derived = if event.topic.is_none() {
            context
                .aliases
                .iter()
                .map(|a| format!("{a}.{}", event.name.value))
                .collect()
        } else {
            Vec::new()
        };
        let aliases = self.aliases(&event.aliases, derived, &what, event.name.pos);

        let slots = self.slots(
            &event.args,
            "argument",
            &what,
            &mut Names::new(RESERVED_ARGS.iter().copied()),
        );
        let (version, upcasts) = self.versions(
            Versioned {
                version: event.version.as_ref(),
                upcasts: &event.upcasts,
                at: event.name.pos,
                noun: "argument",
            },
            &slots,
            &what,
        );
        let apply = match &event.apply {
            Apply::Custom => model::Apply::Custom,
            Apply::Changes(changes) => {
                // Each field changes once per event: the changes of one
                // event are made together (checked arithmetic first), not
                // one after another.
                let mut changed: HashMap<model::FieldRef, Pos> = HashMap::new();
                let mut checked = Vec::new();
                for change in changes {
                    let Some(model) = self.change(change, context.state, &slots, &what) else {
                        continue;
                    };
                    if let Some(first) = changed.get(&model.field) {
                        self.err(
                            change.field.pos,
                            format!(
                                "{what} changes state field '{}' again (first at {first})",
                                change.field.value
                            ),
                            "each state field changed once by an event: one change that does both",
                        );
                        continue;
                    }
                    changed.insert(model.field, change.field.pos);
                    checked.push(model);
                }
                let changes = checked;
                if changes.is_empty() {
                    model::Apply::Nothing
                } else {
                    model::Apply::Changes(changes)
                }
            }
        };
        if !matches!(apply, model::Apply::Nothing) {
            let apply_fn = conventions::apply_fn(&name.cased);
            let fn_name = Spanned {
                value: apply_fn.clone(),
                pos: event.name.pos,
                exact: false,
            };
            context.methods.claim(
                self.problems,
                &apply_fn,
                &fn_name,
                &format!("the method applying {what}"),
            );
        }
        let model = model::Event {
            name,
            doc: if command.is_none() {
                event.doc.clone()
            } else {
                None
            },
            struct_name,
            topic,
            args: slots.iter().map(|s| s.field.clone()).collect(),
            apply,
            visibility: event.visibility,
            version,
            upcasts,
            aliases,
        };
        Some((model, slots))
    }
}

/// What checking an aggregate's events shares.
struct EventContext<'a> {
    /// The aggregate's name, cased.
    aggregate: &'a str,
    topic: &'a str,
    /// The aggregate's alias topics.
    aliases: &'a [String],
    state: &'a [Slot],
    event_names: &'a mut Names,
    methods: &'a mut Names,
}
