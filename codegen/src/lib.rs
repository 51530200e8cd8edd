//! Generates typed event-sourced Rust from a YAML domain schema: aggregates
//! with their state and commands, an event struct per event and an event
//! enum per aggregate, the mutate functions, and application facades with
//! typed command and query methods, all standing on the `eventsmith`
//! runtime.
//!
//! The user's path: write `schemas/world.yaml`, compile it from `build.rs`,
//! include the generated file, and write ordinary Rust against it.
//!
//! ```no_run
//! // build.rs (with eventsmith-codegen as a build-dependency)
//! fn main() -> Result<(), eventsmith_codegen::Error> {
//!     eventsmith_codegen::compile(&["schemas/world.yaml"])
//! }
//! ```
//!
//! ```text
//! // src/lib.rs (with eventsmith as a dependency)
//! eventsmith::include_generated!("world");
//! // or: include!(concat!(env!("OUT_DIR"), "/world.rs"));
//! ```
//!
//! The pure part is [`generate`]: schema text in, Rust source out, or every
//! problem of the schema at once, each with its `file:line:column` and what
//! was expected there:
//!
//! ```
//! let schema = "
//! module: universe
//! aggregates:
//!   World:
//!     doc: A world with a history of things that happened in it.
//!     state:
//!       name: String
//!       history: Vec<String>
//!     created:
//!       event: Started
//!       args: { name: String }
//!       apply: [set: name]
//!     commands:
//!       make_it_so:
//!         event: SomethingHappened
//!         args: { what: String }
//!         apply:
//!           - push: { history: what }
//! ";
//! let code = eventsmith_codegen::generate("world.yaml", schema).unwrap();
//! assert!(code.starts_with("// @generated"));
//! assert!(code.contains("pub fn make_it_so(\n        &mut self,\n        what: impl ::std::convert::Into<::std::string::String>,\n    )"));
//! assert!(code.contains("pub struct WorldSomethingHappened of World"));
//! assert!(code.contains("\"universe:World.SomethingHappened\""));
//!
//! let err = eventsmith_codegen::generate(
//!     "world.yaml",
//!     "module: universe\naggregates:\n  World:\n    state: { name: Strng }\n",
//! ).unwrap_err();
//! assert_eq!(
//!     err.diagnostics()[0].to_string().split(" (expected").next().unwrap(),
//!     "world.yaml:4:20: unknown type 'Strng' for state field 'name' of aggregate 'World'; did you mean 'String'?",
//! );
//! ```
//!
//! The schema language is described key by key in `docs/schema.md`;
//! [`json_schema`] gives a JSON Schema of it for editors.
//!
//! Stages, one module each: `read` (the YAML, with positions, into the
//! schema as written) → `check` (names, types, references, state changes:
//! every problem, and the typed `model`) → `lower` (the model as Rust
//! names, types and expressions: the templates' context) → `render` (tera
//! templates, then `syn` and `prettyplease` to format). Names go through
//! `ident`.

/// The crate's README (its page on crates.io), its examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod build;
mod check;
mod error;
mod ident;
mod init;
mod json_schema;
mod lock;
mod lower;
mod model;
mod read;
mod render;

use std::path::Path;

pub use build::{Builder, compile};
pub use error::{Diagnostic, Error, Result};
pub use init::{InitOptions, init};
pub use json_schema::json_schema;

/// Turns schema text into Rust source, headed `// @generated`.
///
/// `file_name` names the schema in messages and in the header. Nothing is
/// read or written.
///
/// # Errors
///
/// [`Error::Schema`] with every problem found in the schema, in file order;
/// [`Error::Template`] for a bug in the generator.
pub fn generate(file_name: &str, text: &str) -> Result<String> {
    generate_with_shapes(file_name, text).map(|(code, _)| code)
}

/// As [`generate`], with the shapes the schema stores, for its lock.
fn generate_with_shapes(file_name: &str, text: &str) -> Result<(String, lock::Shapes)> {
    let mut problems = read::yaml::Problems::new(file_name);
    let Some(schema) = read::read(text, &mut problems) else {
        return Err(Error::Schema {
            diagnostics: problems.into_sorted(),
        });
    };
    let model = check::check(&schema, &mut problems);
    if !problems.is_empty() {
        return Err(Error::Schema {
            diagnostics: problems.into_sorted(),
        });
    }
    let code = render::render(&lower::lower(&model), file_name)?;
    Ok((code, lock::shapes(&model, &|i| snapshotted(&model, i))))
}

/// Whether the aggregate `i` of `model` keeps snapshots: it takes them
/// every so many versions, or an application of it turns snapshotting on.
fn snapshotted(model: &model::Model, i: usize) -> bool {
    let takes = model
        .aggregates
        .get(i)
        .is_some_and(|a| a.snapshot_every.is_some());
    takes
        || model.applications.iter().any(|app| {
            app.aggregates.iter().any(|a| a.0 == i)
                && app.env.iter().any(|(key, value)| {
                    key == "IS_SNAPSHOTTING_ENABLED"
                        && ["y", "yes", "t", "true", "on", "1"]
                            .contains(&value.to_ascii_lowercase().as_str())
                })
        })
}

/// Reads a schema file and generates its Rust source, naming the file in
/// messages as `path` is written.
///
/// # Errors
///
/// [`Error::Read`] when the file cannot be read; otherwise as [`generate`].
pub fn generate_file(path: &Path) -> Result<String> {
    generate_file_with_shapes(path).map(|(code, _, _)| code)
}

/// As [`generate_file`], with the shapes the schema stores and its text.
fn generate_file_with_shapes(path: &Path) -> Result<(String, lock::Shapes, String)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let name = path.display().to_string();
    match String::from_utf8(bytes) {
        Ok(text) => generate_with_shapes(&name, &text).map(|(code, shapes)| (code, shapes, text)),
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            Err(not_utf8(&name, err.as_bytes(), offset))
        }
    }
}

/// Checks each schema and writes the lock of its stored shapes beside it
/// (`world.lock.json` for `world.yaml`), whatever the lock held: how a
/// change that a build refuses as breaking is accepted on purpose (after
/// making sure no stored data has the old shape, or that an upcast reads
/// it). Returns the locks' paths.
///
/// # Errors
///
/// As [`generate_file`]; [`Error::Write`] for a lock that cannot be written.
pub fn lock<P: AsRef<Path>>(schemas: &[P]) -> Result<Vec<std::path::PathBuf>> {
    let mut written = Vec::new();
    for schema in schemas {
        let schema = schema.as_ref();
        let (_, shapes, _) = generate_file_with_shapes(schema)?;
        let path = lock::path_of(schema);
        // The older class versions it holds are kept, when it can be read.
        let locked = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| lock::Shapes::parse(&path, &text).ok());
        build::write_if_changed(&path, &shapes.merged(locked.as_ref()).to_json())?;
        written.push(path);
    }
    Ok(written)
}

/// The problem of a schema that is not UTF-8 from byte `offset` on: where
/// the first byte that is not, is.
fn not_utf8(name: &str, bytes: &[u8], offset: usize) -> Error {
    let valid = std::str::from_utf8(bytes.get(..offset).unwrap_or_default()).unwrap_or_default();
    let line = valid.matches('\n').count() + 1;
    let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let byte = bytes.get(offset).copied().unwrap_or_default();
    Error::Schema {
        diagnostics: vec![Diagnostic {
            file: name.to_owned(),
            line,
            column,
            message: format!("the file is not UTF-8: byte {byte:#04x} at byte offset {offset}"),
            expected: "UTF-8 text".to_owned(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_utf8_names_the_byte_and_where_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.yaml");
        std::fs::write(&path, b"module: a\naggregates:\n  Caf\xe9: {}\n").unwrap();
        let err = generate_file(&path).unwrap_err();
        let text = err.diagnostics()[0].to_string();
        assert!(
            text.ends_with(
                "latin1.yaml:3:6: the file is not UTF-8: byte 0xe9 at byte offset 27 (expected UTF-8 text)"
            ),
            "{text}"
        );
    }
}
