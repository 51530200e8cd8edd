//! The JSON Schema of the schema language (`eventsmith-codegen
//! json-schema`), tied to the generator by a real validator (`boon`): every
//! schema the generator accepts is valid under it, and each fixture whose
//! shape is wrong is not.

use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

/// YAML as JSON, with YAML's types (numbers, booleans, null), as an editor
/// reads it.
fn to_json(yaml: &Yaml) -> Value {
    match yaml {
        Yaml::Real(text) => {
            serde_json::Number::from_f64(text.parse().unwrap()).map_or(Value::Null, Value::Number)
        }
        Yaml::Integer(n) => Value::from(*n),
        Yaml::String(s) => Value::from(s.as_str()),
        Yaml::Boolean(b) => Value::from(*b),
        Yaml::Array(items) => items.iter().map(to_json).collect(),
        Yaml::Hash(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(n) => n.to_string(),
                        other => panic!("a key that is not a string: {other:?}"),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Yaml::Null => Value::Null,
        other => panic!("YAML this test does not convert: {other:?}"),
    }
}

struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    fn new() -> Self {
        let schema: Value = serde_json::from_str(&eventsmith_codegen::json_schema()).unwrap();
        let mut compiler = boon::Compiler::new();
        compiler
            .add_resource("eventsmith.schema.json", schema)
            .unwrap();
        let mut schemas = boon::Schemas::new();
        let index = compiler
            .compile("eventsmith.schema.json", &mut schemas)
            .unwrap();
        Self { schemas, index }
    }

    fn validate(&self, path: &str) -> Result<(), String> {
        self.validate_text(&std::fs::read_to_string(path).unwrap())
    }

    fn validate_text(&self, text: &str) -> Result<(), String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
        let json = to_json(&docs[0]);
        self.schemas
            .validate(&json, self.index)
            .map_err(|err| format!("{err:#}"))
    }
}

#[test]
fn every_schema_the_generator_accepts_is_valid_under_the_json_schema() {
    let validator = Validator::new();
    let mut paths: Vec<String> = Vec::new();
    for dir in ["../schemas", "tests/fixtures/valid"] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                paths.push(path.display().to_string());
            }
        }
    }
    assert!(paths.len() >= 5, "{paths:?}");
    for path in &paths {
        eventsmith_codegen::generate_file(path.as_ref())
            .unwrap_or_else(|err| panic!("the generator refuses {path}: {err}"));
        if let Err(err) = validator.validate(path) {
            panic!("{path} is not valid under the JSON Schema:\n{err}");
        }
    }
}

#[test]
fn each_fixture_of_a_wrong_shape_is_invalid_under_the_json_schema() {
    let validator = Validator::new();
    for fixture in [
        "unknown_keys",
        "shapes",
        "top_level_list",
        "missing_module",
        "env_settings",
        "uuid5",
        "topics",
        "version_limits",
    ] {
        let path = format!("tests/fixtures/invalid/{fixture}.yaml");
        assert!(
            eventsmith_codegen::generate_file(path.as_ref()).is_err(),
            "the generator accepts {path}"
        );
        assert!(
            validator.validate(&path).is_err(),
            "{path} is valid under the JSON Schema"
        );
    }
}

/// The YAML examples of the docs (`docs/schema.md`, the README): each a
/// whole schema the generator accepts, or a part of one (top-level keys
/// without `module`) valid under the JSON Schema once given a module.
#[test]
fn the_yaml_examples_of_the_docs_are_schemas() {
    let validator = Validator::new();
    let (mut whole, mut parts) = (0, 0);
    for doc in [
        "../docs/schema.md",
        "../docs/evolution.md",
        "../docs/systems.md",
        "../README.md",
    ] {
        let text = std::fs::read_to_string(doc).unwrap();
        let mut blocks = text.split("```yaml\n").skip(1);
        for (i, block) in blocks.by_ref().enumerate() {
            let yaml = block.split("```").next().unwrap();
            let what = format!("{doc}, YAML example {}", i + 1);
            let top: Vec<&str> = yaml
                .lines()
                .filter(|l| !l.starts_with([' ', '#', '-']) && l.contains(':'))
                .filter_map(|l| l.split(':').next())
                .collect();
            if top.contains(&"module") {
                eventsmith_codegen::generate("example.yaml", yaml)
                    .unwrap_or_else(|e| panic!("{what} is refused: {e}"));
                whole += 1;
            } else if !top.is_empty()
                && top
                    .iter()
                    .all(|k| ["types", "aggregates", "applications", "systems"].contains(k))
            {
                let text = format!("module: docs\n{yaml}");
                if let Err(err) = validator.validate_text(&text) {
                    panic!("{what} is not valid under the JSON Schema:\n{err}\n{yaml}");
                }
                parts += 1;
            }
        }
    }
    assert!(whole >= 3 && parts >= 4, "{whole} whole, {parts} parts");
}
