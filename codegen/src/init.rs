//! `init`: a new crate on the user's path, ready to build and test: a
//! schema, the build script that compiles it, the line that includes it, and
//! tests that pin the generated source (insta) and use it.

use std::path::{Path, PathBuf};

use crate::build::write_if_changed;
use crate::error::{Error, Result};

/// What [`init`] writes the crate with: by default, a crate named after its
/// directory that depends on this version of `eventsmith` and
/// `eventsmith-codegen` from the registry.
///
/// ```
/// let mut options = eventsmith_codegen::InitOptions::default();
/// options.name = Some("shop".to_owned());
/// options.version = Some("0.1".to_owned());
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct InitOptions {
    /// The package's name; by default the directory's name, with `-` read
    /// as `_`.
    pub name: Option<String>,
    /// Depend on this version of `eventsmith` and `eventsmith-codegen` from
    /// the registry (default: this generator's own, as `major.minor`).
    pub version: Option<String>,
    /// Depend on the crates of this checkout of the repository by path
    /// (its `runtime/` and `codegen/`), rather than on the registry's.
    pub path: Option<PathBuf>,
}

/// The tutorial's schema (`schemas/world.yaml`, kept here so that the
/// package holds it), as a start: the new crate's module is its name, and
/// its application is named after it.
const SCHEMA: &str = include_str!("starter.yaml");

/// The tutorial's application in [`SCHEMA`].
const TUTORIAL_APPLICATION: &str = "Universe";

/// The tutorial's module in [`SCHEMA`].
const TUTORIAL_MODULE: &str = "universe";

/// Package names that cargo refuses, or that would shadow what the new crate
/// depends on.
const RESERVED: &[&str] = &[
    "alloc",
    "build",
    "core",
    "deps",
    "eventsmith",
    "eventsmith_codegen",
    "examples",
    "incremental",
    "insta",
    "proc_macro",
    "std",
    "test",
];

/// Writes a new crate into `dir` (created if missing): `Cargo.toml`,
/// `.gitignore`, `build.rs`, `schemas/<name>.yaml`, `src/lib.rs`, and
/// `tests/generated.rs` with its accepted insta snapshot, so that
/// `cargo test` passes in it at once. Returns the files written.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let crate_dir = dir.path().join("shop");
/// let written = eventsmith_codegen::init(&crate_dir, &Default::default()).unwrap();
/// assert!(written.contains(&crate_dir.join("schemas/shop.yaml")));
/// let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
/// assert!(manifest.contains("name = \"shop\""));
/// assert!(manifest.contains("eventsmith = \"0.1\""));
/// ```
///
/// # Errors
///
/// [`Error::Init`] when the directory holds a `Cargo.toml` already, its
/// name is not a package name, both a version and a path are given, or the
/// path is not a checkout of this repository; [`Error::Write`] when a file
/// cannot be written; [`Error::Schema`] (a bug) when the starting schema
/// does not generate.
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
    if RESERVED.contains(&name.as_str()) || crate::ident::escape(&name).as_deref() != Ok(&name) {
        return Err(refuse(format!(
            "'{name}' is a Rust keyword, a name cargo reserves, or the name of a dependency: give another with --name"
        )));
    }
    let dependencies = dependencies(options).map_err(refuse)?;
    let schema_file = format!("schemas/{name}.yaml");
    let (application, schema, code) = application_name(&name, &schema_file)?;
    let files = [
        ("Cargo.toml".to_owned(), manifest(&name, &dependencies)),
        (".gitignore".to_owned(), GITIGNORE.to_owned()),
        ("build.rs".to_owned(), build_script(&schema_file)),
        (schema_file.clone(), schema),
        ("src/lib.rs".to_owned(), lib(&name)),
        (
            "tests/generated.rs".to_owned(),
            tests(&name, &application, &schema_file),
        ),
        (
            "tests/snapshots/generated__generated_source.snap".to_owned(),
            format!("---\nsource: tests/generated.rs\nexpression: code\n---\n{code}"),
        ),
    ];
    // Nothing that is there is written over: a directory of another
    // project's keeps its `.gitignore` and sources.
    let present: Vec<&str> = files
        .iter()
        .filter(|(file, _)| dir.join(file).symlink_metadata().is_ok())
        .map(|(file, _)| file.as_str())
        .collect();
    if !present.is_empty() {
        return Err(refuse(format!(
            "it holds {} already, which a new crate would write over",
            present.join(", ")
        )));
    }
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

/// What git leaves out: the build's output, and snapshots insta has not had
/// accepted yet.
const GITIGNORE: &str = "/target/\n*.pending-snap\n*.snap.new\n";

/// The application's name and its starter schema: the crate's name in
/// `UpperCamelCase` (`shop_2` is `Shop2`), or that with `App` after it where
/// the first would clash with a name of the schema or of Rust (`world`,
/// `world_id`, `self_`).
fn application_name(name: &str, schema_file: &str) -> Result<(String, String, String)> {
    let camel = crate::ident::upper_camel(name);
    let starter = |application: String| {
        let schema = starter_schema(name, &application);
        crate::generate(schema_file, &schema).map(|code| (application, schema, code))
    };
    starter(camel.clone()).or_else(|_| starter(format!("{camel}App")))
}

/// The starter schema for a crate: the tutorial's, its module the crate's
/// name and its application named after the crate.
fn starter_schema(name: &str, application: &str) -> String {
    // Word by word, in one pass: a name that holds the tutorial's
    // (`xuniverse`) is not replaced again.
    let mut out = String::with_capacity(SCHEMA.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(match word.as_str() {
            TUTORIAL_APPLICATION => application,
            TUTORIAL_MODULE => name,
            other => other,
        });
        word.clear();
    };
    for c in SCHEMA.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `text` as a TOML basic string: quoted, with `"`, `\` and control
/// characters escaped (Rust's `{:?}` would escape other characters, such
/// as combining marks, in a way TOML does not read).
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The dependencies on `eventsmith` and `eventsmith-codegen`, as written in
/// a manifest.
struct Dependencies {
    runtime: String,
    codegen: String,
}

/// The dependencies the options ask for, or why there are none.
fn dependencies(options: &InitOptions) -> std::result::Result<Dependencies, String> {
    match (&options.version, &options.path) {
        (Some(_), Some(_)) => Err("give a version or a path to depend on, not both".to_owned()),
        (_, Some(checkout)) => {
            let checkout = checkout.canonicalize().map_err(|err| {
                format!("the checkout {} cannot be read: {err}", checkout.display())
            })?;
            for (folder, package) in [("runtime", "eventsmith"), ("codegen", "eventsmith-codegen")]
            {
                let manifest = checkout.join(folder).join("Cargo.toml");
                let text = std::fs::read_to_string(&manifest).unwrap_or_default();
                if !text.contains(&format!("name = \"{package}\"")) {
                    return Err(format!(
                        "{} is not a checkout of eventsmith: {} does not name the package {package}",
                        checkout.display(),
                        manifest.display()
                    ));
                }
            }
            let Some(root) = checkout.to_str() else {
                return Err(format!(
                    "the checkout {} has a path that is not UTF-8, which a Cargo.toml cannot name",
                    checkout.display()
                ));
            };
            let path = |folder: &str| toml_string(&format!("{root}/{folder}"));
            Ok(Dependencies {
                runtime: format!("{{ path = {} }}", path("runtime")),
                codegen: format!("{{ path = {}, default-features = false }}", path("codegen")),
            })
        }
        (version, None) => {
            let version = match version {
                Some(version) if version.trim().is_empty() => {
                    return Err("the version to depend on is empty".to_owned());
                }
                Some(version) => version.clone(),
                None => major_minor(env!("CARGO_PKG_VERSION")),
            };
            Ok(Dependencies {
                runtime: toml_string(&version),
                codegen: format!(
                    "{{ version = {}, default-features = false }}",
                    toml_string(&version)
                ),
            })
        }
    }
}

/// `0.1` of `0.1.0`: the requirement cargo reads as "compatible with".
fn major_minor(version: &str) -> String {
    version.splitn(3, '.').take(2).collect::<Vec<_>>().join(".")
}

fn manifest(name: &str, dependencies: &Dependencies) -> String {
    let Dependencies { runtime, codegen } = dependencies;
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
eventsmith = {runtime}

[build-dependencies]
eventsmith-codegen = {codegen}

[dev-dependencies]
eventsmith-codegen = {codegen}
insta = "1"

# A crate of its own, not a member of a workspace around it.
[workspace]
"#
    )
}

fn build_script(schema_file: &str) -> String {
    format!(
        r#"//! Generates Rust from the schema when it changes: `cargo build` runs this.

fn main() -> Result<(), eventsmith_codegen::Error> {{
    eventsmith_codegen::compile(&["{schema_file}"])
}}
"#
    )
}

fn lib(name: &str) -> String {
    format!(
        r#"//! The domain of `schemas/{name}.yaml`: its aggregates, events and
//! application, generated when the crate builds. Business rules go here, in
//! Rust, beside the generated code.

eventsmith::include_generated!("{name}");
"#
    )
}

fn tests(name: &str, application: &str, schema_file: &str) -> String {
    format!(
        r#"//! The generated source, pinned: a change of the schema or of the
//! generator fails `generated_source` with the diff to review. Review it with
//! `cargo insta review` (`cargo install cargo-insta` gives it), or accept it
//! with `INSTA_UPDATE=always cargo test` and read it in `git diff`. And the
//! generated code, used.

#[test]
fn generated_source() {{
    let schema = include_str!("../{schema_file}");
    let code = eventsmith_codegen::generate("{schema_file}", schema).unwrap();
    insta::assert_snapshot!("generated_source", code);
}}

#[test]
fn things_happen_in_a_world() -> eventsmith::Result<()> {{
    let app = {name}::{application}::isolated([])?;
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

    fn named(name: &str) -> InitOptions {
        InitOptions {
            name: Some(name.to_owned()),
            ..InitOptions::default()
        }
    }

    fn read(path: PathBuf) -> String {
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    /// This checkout: the repository root above `codegen/`.
    fn checkout() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn the_starter_is_the_tutorials_schema() {
        let tutorial = read(checkout().join("schemas/world.yaml"));
        assert_eq!(
            SCHEMA, tutorial,
            "copy schemas/world.yaml to codegen/src/starter.yaml"
        );
        assert_eq!(starter_schema("universe", TUTORIAL_APPLICATION), tutorial);
    }

    #[test]
    fn a_crate_is_not_written_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
        let err = init(dir.path(), &InitOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("holds a Cargo.toml already"),
            "{err}"
        );
    }

    #[test]
    fn nothing_in_the_directory_is_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("shop");
        std::fs::create_dir_all(project.join("src")).unwrap();
        std::fs::write(project.join(".gitignore"), "secrets.env\n").unwrap();
        std::fs::write(project.join("src/lib.rs"), "// mine\n").unwrap();
        let err = init(&project, &InitOptions::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("it holds .gitignore, src/lib.rs already"),
            "{err}"
        );
        assert_eq!(read(project.join(".gitignore")), "secrets.env\n");
        assert_eq!(read(project.join("src/lib.rs")), "// mine\n");
        assert!(!project.join("Cargo.toml").exists());
        // Another project's files beside ours are no obstacle.
        std::fs::remove_file(project.join(".gitignore")).unwrap();
        std::fs::remove_file(project.join("src/lib.rs")).unwrap();
        std::fs::write(project.join("README.md"), "mine\n").unwrap();
        init(&project, &InitOptions::default()).unwrap();
        assert_eq!(read(project.join("README.md")), "mine\n");
    }

    #[test]
    fn manifest_strings_are_toml() {
        assert_eq!(toml_string("0.1"), "\"0.1\"");
        assert_eq!(
            toml_string("/tmp/che\u{301}ckout \"q\" \\ \u{7}"),
            "\"/tmp/che\u{301}ckout \\\"q\\\" \\\\ \\u0007\""
        );
    }

    #[test]
    fn names_that_are_not_package_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            "Shop", "1shop", "shop-2", "", "shop::x", "_shop", "sh op", "é",
        ] {
            let err = init(&dir.path().join("x"), &named(bad)).unwrap_err();
            assert!(
                err.to_string().contains("is not a package name"),
                "{bad}: {err}"
            );
        }
        let keywords = ["type", "fn", "self", "crate", "super", "async", "gen"];
        for bad in keywords.iter().chain(RESERVED) {
            let err = init(&dir.path().join("x"), &named(bad)).unwrap_err();
            assert!(err.to_string().contains("reserves"), "{bad}: {err}");
        }
        assert!(!dir.path().join("x").exists(), "nothing written");
    }

    #[test]
    fn every_accepted_name_gives_a_schema_that_generates() {
        // The application is named after the crate: at the edges, a name of
        // one letter, digits and underscores, the aggregate's own name, and
        // names the tutorial's schema uses elsewhere.
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "a",
            "shop",
            "shop_2",
            "a__b",
            "x9",
            "world",
            "world_id",
            "world_event",
            "universe",
            "started",
            "something_happened",
            "std2",
            "option",
            "result",
            "vec",
            "string",
            "box_",
            "self_",
            "super_",
            "crate_",
            "type_",
        ] {
            let written = init(&dir.path().join(name), &named(name))
                .unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_eq!(written.len(), 7, "{name}");
            let (application, ..) = application_name(name, "schemas/x.yaml").unwrap();
            let tests = read(dir.path().join(name).join("tests/generated.rs"));
            assert!(
                tests.contains(&format!("{name}::{application}::isolated")),
                "{name}: {tests}"
            );
            let schema = read(dir.path().join(name).join(format!("schemas/{name}.yaml")));
            assert!(
                schema.contains(&format!("\n  {application}:\n")),
                "{schema}"
            );
            if name != "universe" {
                assert!(!schema.contains(TUTORIAL_APPLICATION), "{name}: {schema}");
            }
        }
        let application = |name| application_name(name, "schemas/x.yaml").unwrap().0;
        assert_eq!(application("shop_2"), "Shop2");
        assert_eq!(application("world"), "WorldApp");
        assert_eq!(application("self_"), "SelfApp");
    }

    #[test]
    fn the_registry_is_depended_on_by_default() {
        let dir = tempfile::tempdir().unwrap();
        init(&dir.path().join("shop"), &InitOptions::default()).unwrap();
        let manifest = read(dir.path().join("shop/Cargo.toml"));
        let version = major_minor(env!("CARGO_PKG_VERSION"));
        assert!(
            manifest.contains(&format!("eventsmith = \"{version}\"\n")),
            "{manifest}"
        );
        assert!(
            manifest.contains(&format!(
                "eventsmith-codegen = {{ version = \"{version}\", default-features = false }}"
            )),
            "{manifest}"
        );
        assert!(!manifest.contains("path ="), "{manifest}");
        assert_eq!(read(dir.path().join("shop/.gitignore")), GITIGNORE);
        assert!(GITIGNORE.lines().any(|line| line == "/target/"));

        let mut options = named("pinned");
        options.version = Some("0.1.7".to_owned());
        init(&dir.path().join("pinned"), &options).unwrap();
        let manifest = read(dir.path().join("pinned/Cargo.toml"));
        assert!(manifest.contains("eventsmith = \"0.1.7\"\n"), "{manifest}");

        options.version = Some(" ".to_owned());
        let err = init(&dir.path().join("blank"), &options).unwrap_err();
        assert!(
            err.to_string().contains("version to depend on is empty"),
            "{err}"
        );
    }

    #[test]
    fn a_checkout_is_depended_on_by_path_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = named("local");
        options.path = Some(checkout());
        init(&dir.path().join("local"), &options).unwrap();
        let manifest = read(dir.path().join("local/Cargo.toml"));
        let root = checkout().canonicalize().unwrap();
        assert!(
            manifest.contains(&format!(
                "eventsmith = {{ path = {:?} }}",
                root.join("runtime").display().to_string()
            )),
            "{manifest}"
        );
        assert!(
            manifest.contains(&format!(
                "eventsmith-codegen = {{ path = {:?}, default-features = false }}",
                root.join("codegen").display().to_string()
            )),
            "{manifest}"
        );

        options.version = Some("0.1".to_owned());
        let err = init(&dir.path().join("both"), &options).unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");

        for not_a_checkout in [dir.path().to_owned(), dir.path().join("missing")] {
            let mut options = named("elsewhere");
            options.path = Some(not_a_checkout.clone());
            let err = init(&dir.path().join("elsewhere"), &options).unwrap_err();
            assert!(
                err.to_string().contains("not a checkout of eventsmith")
                    || err.to_string().contains("cannot be read"),
                "{}: {err}",
                not_a_checkout.display()
            );
        }
        assert!(!dir.path().join("elsewhere").exists(), "nothing written");
    }
}
