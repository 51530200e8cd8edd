//! `init`: a new crate on the user's path, ready to build and test: a
//! schema, the build script that compiles it, the line that includes it, and
//! tests that pin the generated source (insta) and use it.

use std::path::{Path, PathBuf};

use crate::build::write_if_changed;
use crate::error::{Error, Result};

/// What [`init`] writes the crate with.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The package's name; by default the directory's name.
    pub name: Option<String>,
    /// Depend on this version of `eventsourcing` and `eventsourcing-codegen`
    /// from the registry. Without it, a checkout of this repository is
    /// depended on by path when there is one (where this generator was
    /// built from), else the registry's version of this generator.
    pub version: Option<String>,
}

/// The tutorial's schema (`schemas/world.yaml`, kept here so that the
/// package holds it), as a start: the new crate's module is its name.
const SCHEMA: &str = include_str!("starter.yaml");

/// Writes a new crate into `dir` (created if missing): `Cargo.toml`,
/// `build.rs`, `schemas/<name>.yaml`, `src/lib.rs`, and
/// `tests/generated.rs` with its accepted insta snapshot, so that
/// `cargo test` passes in it at once. Returns the files written.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let crate_dir = dir.path().join("shop");
/// let written = eventsourcing_codegen::init(&crate_dir, &Default::default()).unwrap();
/// assert!(written.contains(&crate_dir.join("schemas/shop.yaml")));
/// let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
/// assert!(manifest.contains("name = \"shop\""));
/// ```
///
/// # Errors
///
/// [`Error::Init`] when the directory holds a `Cargo.toml` already, or its
/// name is not a package name; [`Error::Write`] when a file cannot be
/// written; [`Error::Schema`] (a bug) when the starting schema does not
/// generate.
pub fn init(dir: &Path, options: &InitOptions) -> Result<Vec<PathBuf>> {
    let refuse = |reason: String| Error::Init {
        dir: dir.to_owned(),
        reason,
    };
    if dir.join("Cargo.toml").exists() {
        return Err(refuse("it holds a Cargo.toml already".to_owned()));
    }
    let name = match &options.name {
        Some(name) => name.clone(),
        None => dir
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.replace('-', "_"))
            .ok_or_else(|| refuse("it has no name in UTF-8: give one with --name".to_owned()))?,
    };
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(refuse(format!(
            "'{name}' is not a package name of lower-case letters, digits and underscores, starting with a letter: give one with --name"
        )));
    }
    let schema = SCHEMA.replace("module: universe", &format!("module: {name}"));
    let schema_file = format!("schemas/{name}.yaml");
    let code = crate::generate(&schema_file, &schema)?;
    let files = [
        ("Cargo.toml".to_owned(), manifest(&name, options)),
        ("build.rs".to_owned(), build_script(&schema_file)),
        (schema_file.clone(), schema),
        ("src/lib.rs".to_owned(), lib(&name)),
        ("tests/generated.rs".to_owned(), tests(&name, &schema_file)),
        (
            "tests/snapshots/generated__generated_source.snap".to_owned(),
            format!("---\nsource: tests/generated.rs\nexpression: code\n---\n{code}"),
        ),
    ];
    let mut written = Vec::new();
    for (file, content) in files {
        let path = dir.join(&file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                path: parent.to_owned(),
                source,
            })?;
        }
        write_if_changed(&path, &content)?;
        written.push(path);
    }
    Ok(written)
}

/// The dependencies on `eventsourcing` and `eventsourcing-codegen`.
fn dependencies(options: &InitOptions) -> (String, String) {
    let codegen = Path::new(env!("CARGO_MANIFEST_DIR"));
    let checkout = codegen
        .canonicalize()
        .unwrap_or_else(|_| codegen.to_owned());
    let runtime = checkout
        .parent()
        .map_or_else(|| checkout.join("../runtime"), |root| root.join("runtime"));
    match &options.version {
        None if runtime.join("Cargo.toml").exists() => (
            format!("{{ path = {:?} }}", runtime.display().to_string()),
            format!(
                "{{ path = {:?}, default-features = false }}",
                checkout.display().to_string()
            ),
        ),
        version => {
            let version = version
                .clone()
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned());
            (
                format!("{version:?}"),
                format!("{{ version = {version:?}, default-features = false }}"),
            )
        }
    }
}

fn manifest(name: &str, options: &InitOptions) -> String {
    let (runtime, codegen) = dependencies(options);
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
eventsourcing = {runtime}

[build-dependencies]
eventsourcing-codegen = {codegen}

[dev-dependencies]
eventsourcing-codegen = {codegen}
insta = "1"

# A crate of its own, not a member of a workspace around it.
[workspace]
"#
    )
}

fn build_script(schema_file: &str) -> String {
    format!(
        r#"//! Generates Rust from the schema when it changes: `cargo build` runs this.

fn main() -> Result<(), eventsourcing_codegen::Error> {{
    eventsourcing_codegen::compile(&["{schema_file}"])
}}
"#
    )
}

fn lib(name: &str) -> String {
    format!(
        r#"//! The domain of `schemas/{name}.yaml`: its aggregates, events and
//! application, generated when the crate builds. Business rules go here, in
//! Rust, beside the generated code.

eventsourcing::include_generated!("{name}");
"#
    )
}

fn tests(name: &str, schema_file: &str) -> String {
    format!(
        r#"//! The generated source, pinned: a change of the schema or of the
//! generator shows here as a diff to review (`cargo insta review`). And the
//! generated code, used.

#[test]
fn generated_source() {{
    let schema = include_str!("../{schema_file}");
    let code = eventsourcing_codegen::generate("{schema_file}", schema).unwrap();
    insta::assert_snapshot!("generated_source", code);
}}

#[test]
fn things_happen_in_a_world() -> eventsourcing::Result<()> {{
    let app = {name}::Universe::isolated([])?;
    let world_id = app.create_world("Earth")?;
    app.make_it_so(world_id, "dinosaurs")?;
    app.make_it_so(world_id, "trucks")?;
    assert_eq!(app.get_history(world_id)?, ["dinosaurs", "trucks"]);
    Ok(())
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_is_the_tutorials_schema() {
        let tutorial = std::fs::read_to_string("../schemas/world.yaml").unwrap();
        assert_eq!(
            SCHEMA, tutorial,
            "copy schemas/world.yaml to codegen/src/starter.yaml"
        );
    }

    #[test]
    fn a_crate_is_not_written_over_nor_named_badly() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
        let err = init(dir.path(), &InitOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("holds a Cargo.toml already"),
            "{err}"
        );
        let named = |name: &str| InitOptions {
            name: Some(name.to_owned()),
            version: None,
        };
        for bad in ["Shop", "1shop", "shop-2", "", "shop::x"] {
            let err = init(&dir.path().join("x"), &named(bad)).unwrap_err();
            assert!(
                err.to_string().contains("is not a package name"),
                "{bad}: {err}"
            );
        }
        let written = init(&dir.path().join("y"), &named("shop_2")).unwrap();
        assert_eq!(written.len(), 6);
        let manifest = std::fs::read_to_string(dir.path().join("y/Cargo.toml")).unwrap();
        assert!(manifest.contains("path = "), "{manifest}");
        let versioned = InitOptions {
            name: Some("shop".to_owned()),
            version: Some("0.1.0".to_owned()),
        };
        init(&dir.path().join("z"), &versioned).unwrap();
        let manifest = std::fs::read_to_string(dir.path().join("z/Cargo.toml")).unwrap();
        assert!(manifest.contains("eventsourcing = \"0.1.0\""), "{manifest}");
    }
}
