//! A JSON Schema (draft 7) of the schema language, for editors: with the
//! YAML language server, a first line such as
//! `# yaml-language-server: $schema=./eventsmith.schema.json` gives
//! completion and checks as you type. The generator's own checks go further
//! (types, references, state changes); this describes the shape.

use serde_json::{Value, json};

use crate::check::{GENERICS, SCALARS, SETTINGS};

/// The JSON Schema, pretty-printed.
pub fn json_schema() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    text.push('\n');
    text
}

fn object(properties: Value) -> Value {
    json!({ "type": "object", "additionalProperties": false, "properties": properties })
}

fn schema() -> Value {
    let name = json!({ "$ref": "#/definitions/name" });
    let doc = json!({ "$ref": "#/definitions/doc" });
    let field_names = json!({ "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$" });
    let event_ref = json!({
        "type": "string",
        "pattern": "^[A-Za-z][A-Za-z0-9_]*\\.[A-Za-z][A-Za-z0-9_]*$",
        "description": "An event of the leader's, `Aggregate.Event`.",
    });
    let map_of = |what: &str| {
        json!({
            "type": ["object", "null"],
            "propertyNames": { "$ref": "#/definitions/name" },
            "additionalProperties": { "$ref": format!("#/definitions/{what}") },
        })
    };
    let by_field = |value: Value| {
        json!({
            "oneOf": [
                { "type": "string", "description": "The state field (the short form)." },
                { "type": "array", "items": field_names, "minItems": 1, "description": "State fields, each in the short form." },
                { "type": "object", "propertyNames": field_names, "additionalProperties": value, "minProperties": 1 },
            ]
        })
    };
    let arg =
        json!({ "type": "string", "description": "An argument of the event, or `timestamp`." });
    let number = json!({ "oneOf": [arg, { "type": "integer", "minimum": 0 }] });
    let mut change = object(json!({
        "set": by_field(json!({ "oneOf": [
            { "type": "string", "description": "An argument of the event, `timestamp`, or a unit variant of the field's enum type." },
            { "type": ["boolean", "number", "null"], "description": "A literal of the field's type; null for an Option." },
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["value"],
                "properties": { "value": { "type": ["string", "number", "boolean", "null"] } },
                "description": "A literal of the field's type, written out: text, a decimal, a UUID, a time.",
            },
        ] })),
        "push": by_field(arg.clone()),
        "extend": by_field(arg.clone()),
        "insert": {
            "type": "object",
            "propertyNames": field_names,
            "additionalProperties": object(json!({ "key": arg, "value": arg })),
        },
        "remove": by_field(arg.clone()),
        "increment": by_field(number.clone()),
        "decrement": by_field(number),
        "clear": { "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }] },
    }));
    change["minProperties"] = json!(1);
    change["description"] = json!(
        "A declarative state change: `set`, `push`, `extend`, `insert`, `remove`, `increment`, `decrement` or `clear`."
    );
    change["properties"]["insert"]["additionalProperties"]["required"] = json!(["key", "value"]);

    let event = |required: bool| {
        let mut event = object(json!({
            "event": { "$ref": "#/definitions/name", "description": "The event's name (its struct and its topic)." },
            "doc": doc,
            "topic": { "$ref": "#/definitions/topic" },
            "args": { "$ref": "#/definitions/fields" },
            "version": { "type": "integer", "minimum": 1, "maximum": 1000, "description": "The event's class version (default 1): stored as `class_version` when above 1, as Python stores it." },
            "upcast": { "$ref": "#/definitions/upcast" },
            "aliases": { "$ref": "#/definitions/aliases" },
            "visibility": {
                "enum": ["public", "crate"],
                "description": "Who may call the command (or `create`): any crate (`public`, the default), or only the crate that includes the generated code (`crate`).",
            },
            "apply": {
                "description": "`custom` (a trait method written in Rust), or a list of state changes.",
                "oneOf": [
                    { "const": "custom" },
                    { "type": "null" },
                    { "type": "array", "items": { "$ref": "#/definitions/change" } },
                ],
            },
        }));
        if required {
            event["required"] = json!(["event"]);
        } else {
            let mut id = object(json!({
                "uuid5": {
                    "type": "string",
                    "description": "The name of a version 5 UUID in the URL namespace, made of the created event's arguments in braces, e.g. `/accounts/{email}` (a Uuid argument's 32 hex digits: `{world.hex}`): Python's `create_id`.",
                },
            }));
            id["required"] = json!(["uuid5"]);
            id["description"] = json!(
                "How the aggregate's id is made from the created event's arguments (by default a random UUID)."
            );
            event["properties"]["id"] = id;
        }
        event
    };

    let mut type_def = object(json!({
        "doc": doc,
        "fields": { "$ref": "#/definitions/fields" },
        "variants": {
            "oneOf": [
                { "type": "array", "items": name },
                {
                    "type": "object",
                    "propertyNames": name,
                    "additionalProperties": {
                        "oneOf": [
                            { "type": "null" },
                            object(json!({ "doc": doc, "fields": { "$ref": "#/definitions/fields" } })),
                        ]
                    },
                },
            ]
        },
    }));
    type_def["oneOf"] = json!([{ "required": ["fields"] }, { "required": ["variants"] }]);
    type_def["description"] = json!("A value type: a struct (`fields`) or an enum (`variants`).");

    let dotted =
        json!({ "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*\\.[A-Za-z][A-Za-z0-9_]*$" });
    let mut create = object(json!({ "create": name, "call": dotted, "doc": doc }));
    create["oneOf"] = json!([{ "required": ["create"] }, { "required": ["call"] }]);
    let mut query = object(json!({ "read": dotted, "doc": doc }));
    query["required"] = json!(["read"]);

    let type_names: Vec<&str> = SCALARS.iter().chain(GENERICS).copied().collect();
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "eventsmith-codegen domain schema",
        "description": "Aggregates, their events and state changes, value types and applications, from which eventsmith-codegen generates Rust.",
        "type": "object",
        "additionalProperties": false,
        "required": ["module"],
        "properties": {
            "module": {
                "type": "string",
                "description": "The topic module: stored topics are `module:Aggregate.Event`. Required, so that renaming the file never changes a stored topic.",
                "pattern": "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$",
            },
            "module_aliases": {
                "type": "array",
                "items": { "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$" },
                "description": "Modules the schema's topics were stored under before a rename: each default topic is also read under them.",
            },
            "types": map_of("type"),
            "aggregates": map_of("aggregate"),
            "applications": map_of("application"),
            "systems": map_of("system"),
        },
        "definitions": {
            "name": { "type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$" },
            "doc": { "type": "string", "description": "Documentation, carried into the generated code's doc comments." },
            "topic": { "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*$", "description": "A whole stored topic, e.g. `universe:World.Started`." },
            "fieldType": {
                "type": "string",
                "description": format!("A field type: {}, or a type of `types:`.", type_names.join(", ")),
                "examples": type_names,
            },
            "field": {
                "oneOf": [
                    { "$ref": "#/definitions/fieldType" },
                    { "allOf": [object(json!({ "type": { "$ref": "#/definitions/fieldType" }, "doc": doc, "default": { "$ref": "#/definitions/literal" } })), { "required": ["type"] }] },
                ]
            },
            "fields": map_of("field"),
            "literal": {
                "oneOf": [
                    { "type": ["string", "number", "boolean", "null"] },
                    { "type": "object", "additionalProperties": false, "required": ["value"], "properties": { "value": { "type": ["string", "number", "boolean", "null"] } } },
                ],
                "description": "A literal of a field's type: a number, true or false, null, a variant's name, or `{ value: TEXT }`.",
            },
            "aliases": {
                "type": "array",
                "items": { "$ref": "#/definitions/topic" },
                "description": "Whole topics it was stored under before a rename (Python's `register_topic`).",
            },
            "upcast": {
                "type": "object",
                "description": "For each older version, the steps that bring a state stored at it to the next: `v1_v2: [...]`.",
                "propertyNames": { "type": "string", "pattern": "^v[1-9][0-9]*_v[1-9][0-9]*$" },
                "additionalProperties": { "type": "array", "items": { "$ref": "#/definitions/step" } },
            },
            "step": {
                "type": "object",
                "additionalProperties": false,
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {
                    "add": { "type": "object", "propertyNames": field_names, "additionalProperties": { "$ref": "#/definitions/literal" }, "description": "Fields the older version lacks, with the value they get." },
                    "rename": { "type": "object", "propertyNames": field_names, "additionalProperties": field_names, "description": "Old name: new name." },
                    "remove": { "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }], "description": "Fields the newer version does not have." },
                    "call": { "type": "string", "description": "A Rust function `fn(&mut serde_json::Map<String, serde_json::Value>) -> Result<(), String>`, for anything else." },
                },
            },
            "type": type_def,
            "aggregate": object(json!({
                "doc": doc,
                "topic": { "$ref": "#/definitions/topic" },
                "state": { "$ref": "#/definitions/fields" },
                "created": { "$ref": "#/definitions/created" },
                "commands": map_of("command"),
                "aliases": { "$ref": "#/definitions/aliases" },
                "version": { "type": "integer", "minimum": 1, "maximum": 1000, "description": "The class version of its snapshots' state (default 1): stored as `class_version` when above 1, as Python stores it." },
                "upcast": { "$ref": "#/definitions/upcast" },
                "snapshot": object(json!({
                    "every": { "type": "integer", "minimum": 1, "maximum": i64::MAX, "description": "A snapshot is taken at each saved version divisible by it (Python's `snapshotting_intervals`)." },
                })),
            })),
            "created": event(false),
            "command": event(true),
            "change": change,
            "application": object(json!({
                "doc": doc,
                "aggregates": { "type": "array", "items": name },
                "env": {
                    "type": "object",
                    "description": "Default settings; the process environment overrides them.",
                    "propertyNames": { "enum": SETTINGS },
                    "additionalProperties": { "type": ["string", "number", "boolean"] },
                },
                "commands": map_of("appCommand"),
                "queries": map_of("query"),
                "follow": map_of("follow"),
            })),
            "follow": object(json!({
                "policies": {
                    "type": ["object", "null"],
                    "description": "For each event of the leader's it handles, `Aggregate.Event: method`: a method of the follower's policy trait.",
                    "propertyNames": event_ref,
                    "additionalProperties": name,
                },
                "ignore": {
                    "type": ["array", "null"],
                    "items": event_ref,
                    "description": "The leader's events it does not handle. Every event of the leader's is under `policies:` or here, so that a new one is a build error until a follower says what it does with it.",
                },
            })),
            "system": object(json!({
                "doc": doc,
                "pipes": {
                    "type": "array",
                    "minItems": 1,
                    "description": "Pipes: each a list of applications, each following the one before it (it must `follow:` it).",
                    "items": { "type": "array", "minItems": 2, "items": name },
                },
            })),
            "appCommand": create,
            "query": query,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read;

    fn keys(value: &Value) -> Vec<String> {
        let mut keys: Vec<String> = value["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        keys.sort();
        keys
    }

    #[test]
    fn the_json_schema_has_the_keys_the_reader_accepts() {
        let s = schema();
        let d = &s["definitions"];
        assert_eq!(keys(&s), sorted(read::TOP_KEYS));
        assert_eq!(keys(&d["type"]), sorted(read::TYPE_KEYS));
        assert_eq!(keys(&d["aggregate"]), sorted(read::AGGREGATE_KEYS));
        assert_eq!(keys(&d["created"]), sorted(read::CREATED_KEYS));
        assert_eq!(
            keys(&d["created"]["properties"]["id"]),
            sorted(read::ID_KEYS)
        );
        assert_eq!(keys(&d["step"]), sorted(read::STEP_KEYS));
        assert_eq!(keys(&d["command"]), sorted(read::EVENT_KEYS));
        assert_eq!(keys(&d["application"]), sorted(read::APPLICATION_KEYS));
        assert_eq!(keys(&d["appCommand"]), sorted(read::APP_COMMAND_KEYS));
        assert_eq!(keys(&d["query"]), sorted(read::QUERY_KEYS));
        assert_eq!(keys(&d["follow"]), sorted(read::FOLLOW_KEYS));
        assert_eq!(keys(&d["system"]), sorted(read::SYSTEM_KEYS));
        assert_eq!(
            keys(&d["field"]["oneOf"][1]["allOf"][0]),
            sorted(read::FIELD_KEYS)
        );
        assert_eq!(
            keys(
                &d["type"]["properties"]["variants"]["oneOf"][1]["additionalProperties"]["oneOf"]
                    [1]
            ),
            sorted(read::VARIANT_KEYS)
        );
        let ops: Vec<&str> = crate::read::schema::Op::ALL
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(keys(&d["change"]), sorted(&ops));
        assert_eq!(
            keys(&d["change"]["properties"]["insert"]["additionalProperties"]),
            sorted(read::INSERT_KEYS)
        );
        assert_eq!(
            keys(&d["change"]["properties"]["set"]["oneOf"][2]["additionalProperties"]["oneOf"][2]),
            sorted(read::LITERAL_KEYS)
        );
        assert!(json_schema().ends_with("}\n"));
    }
}
