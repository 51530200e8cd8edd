//! Writing generated files: the build script entry point and its builder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Compiles schemas into Rust files in `OUT_DIR`, one `<stem>.rs` per
/// schema: the one call a build script needs.
///
/// ```no_run
/// // build.rs
/// fn main() -> Result<(), eventsmith_codegen::Error> {
///     eventsmith_codegen::compile(&["schemas/world.yaml"])
/// }
/// ```
///
/// Then, in the crate: `eventsmith::include_generated!("world");`.
///
/// # Errors
///
/// As [`Builder::compile`].
pub fn compile<P: AsRef<Path>>(schemas: &[P]) -> Result<()> {
    Builder::new().compile(schemas).map(drop)
}

/// Options for [`compile`]: where to write, and whether to tell cargo what
/// to watch. Setters return `&mut Self`, so they chain.
///
/// ```no_run
/// # fn main() -> Result<(), eventsmith_codegen::Error> {
/// eventsmith_codegen::Builder::new()
///     .out_dir("src/generated")
///     .emit_rerun_if_changed(false)
///     .compile(&["schemas/world.yaml"])?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    out_dir: Option<PathBuf>,
    emit_rerun_if_changed: bool,
    check_lock: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// A builder that writes to `OUT_DIR` and, when run by cargo (when
    /// `OUT_DIR` is set), prints `cargo:rerun-if-changed` for each schema.
    pub fn new() -> Self {
        Self {
            out_dir: None,
            emit_rerun_if_changed: std::env::var_os("OUT_DIR").is_some(),
            check_lock: true,
        }
    }

    /// Whether to compare each schema with the lock of its stored shapes
    /// beside it (`world.lock.json` for `world.yaml`; on by default): a
    /// change stored data would not survive at the same class version is an
    /// error; a lock that is missing is written, and one that a compatible
    /// change (an `Option` or defaulted field, a raised class version)
    /// leaves behind is brought up to date. See [`lock`](crate::lock).
    pub fn check_lock(&mut self, check: bool) -> &mut Self {
        self.check_lock = check;
        self
    }

    /// Writes into `dir` rather than `OUT_DIR`.
    pub fn out_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Whether to print `cargo:rerun-if-changed=<schema>` for each schema,
    /// so that cargo reruns the build script only when a schema changes.
    pub fn emit_rerun_if_changed(&mut self, emit: bool) -> &mut Self {
        self.emit_rerun_if_changed = emit;
        self
    }

    /// Generates `<out dir>/<stem>.rs` for each schema, rewriting a file
    /// only when its content changes (so that cargo does not rebuild for
    /// nothing). Returns the generated files' paths, in the schemas' order.
    ///
    /// Every schema is read and checked before anything is written; the
    /// problems of all of them are reported together.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] with every problem of every schema;
    /// [`Error::Read`] and [`Error::Write`] for files; [`Error::NoOutDir`]
    /// when no output directory is set and `OUT_DIR` is not set;
    /// [`Error::OutputName`] for a schema path with no file name, or two
    /// schemas with the same file stem; [`Error::Template`] for a bug in the
    /// generator.
    pub fn compile<P: AsRef<Path>>(&self, schemas: &[P]) -> Result<Vec<PathBuf>> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::NoOutDir)?,
        };
        if self.emit_rerun_if_changed {
            for schema in schemas {
                println!("cargo:rerun-if-changed={}", schema.as_ref().display());
            }
        }
        let mut outputs: BTreeMap<String, &Path> = BTreeMap::new();
        let mut names = Vec::new();
        for schema in schemas {
            let schema = schema.as_ref();
            let name = output_name(schema)?;
            if let Some(other) = outputs.insert(name.clone(), schema) {
                return Err(Error::OutputName {
                    path: schema.to_owned(),
                    reason: format!("{} also generates {name}", other.display()),
                });
            }
            names.push((schema, name));
        }
        let mut generated = Vec::new();
        let mut locks = Vec::new();
        let mut diagnostics = Vec::new();
        for (schema, name) in names {
            match crate::generate_file_with_shapes(schema) {
                Ok((code, shapes, text)) => {
                    generated.push((out_dir.join(name), code));
                    if self.check_lock {
                        let path = crate::lock::path_of(schema);
                        if self.emit_rerun_if_changed {
                            println!("cargo:rerun-if-changed={}", path.display());
                        }
                        let locked = match std::fs::read_to_string(&path) {
                            Ok(locked) => {
                                let locked = crate::lock::Shapes::parse(&path, &locked)?;
                                diagnostics
                                    .extend(crate::lock::breaking(schema, &text, &locked, &shapes));
                                Some(locked)
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                            Err(source) => return Err(Error::Read { path, source }),
                        };
                        locks.push((path, shapes.merged(locked.as_ref())));
                    }
                }
                Err(Error::Schema { diagnostics: found }) => diagnostics.extend(found),
                Err(other) => return Err(other),
            }
        }
        if !diagnostics.is_empty() {
            return Err(Error::Schema { diagnostics });
        }
        for (path, shapes) in &locks {
            write_if_changed(path, &shapes.to_json())?;
        }
        std::fs::create_dir_all(&out_dir).map_err(|source| Error::Write {
            path: out_dir.clone(),
            source,
        })?;
        for (path, code) in &generated {
            write_if_changed(path, code)?;
        }
        Ok(generated.into_iter().map(|(path, _)| path).collect())
    }
}

/// `world.rs` for `schemas/world.yaml`.
pub(crate) fn output_name(schema: &Path) -> Result<String> {
    match schema.file_stem().and_then(|s| s.to_str()) {
        Some(stem) if !stem.is_empty() => Ok(format!("{stem}.rs")),
        _ => Err(Error::OutputName {
            path: schema.to_owned(),
            reason: "the path has no file name in UTF-8".to_owned(),
        }),
    }
}

/// Writes `content` to `path` unless the file already holds exactly that.
/// Returns whether it wrote.
///
/// # Errors
///
/// [`Error::Write`].
pub(crate) fn write_if_changed(path: &Path, content: &str) -> Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == content.as_bytes()) {
        return Ok(false);
    }
    std::fs::write(path, content).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORLD: &str = "module: universe\naggregates:\n  World:\n    state: { name: String }\n    created: { args: { name: String }, apply: [set: name] }\n";

    #[test]
    fn files_are_rewritten_only_when_their_content_changes() {
        let dir = tempfile::tempdir().unwrap();
        let schema = dir.path().join("world.yaml");
        std::fs::write(&schema, WORLD).unwrap();
        let out = dir.path().join("out");
        let mut builder = Builder::new();
        builder.out_dir(&out).emit_rerun_if_changed(false);

        let written = builder.compile(&[&schema]).unwrap();
        assert_eq!(written, [out.join("world.rs")]);
        let first = std::fs::metadata(&written[0]).unwrap().modified().unwrap();
        assert!(
            !write_if_changed(&written[0], &std::fs::read_to_string(&written[0]).unwrap()).unwrap()
        );
        builder.compile(&[&schema]).unwrap();
        assert_eq!(
            std::fs::metadata(&written[0]).unwrap().modified().unwrap(),
            first
        );
        assert!(write_if_changed(&written[0], "// changed\n").unwrap());
    }

    #[test]
    fn problems_of_every_schema_come_together_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(&a, "module: a\naggregates:\n  A:\n    stat: {}\n").unwrap();
        std::fs::write(
            &b,
            "module: b\napplications:\n  B:\n    aggregates: [Nope]\n",
        )
        .unwrap();
        let out = dir.path().join("out");
        let err = Builder::new()
            .out_dir(&out)
            .emit_rerun_if_changed(false)
            .compile(&[&a, &b])
            .unwrap_err();
        let files: Vec<&str> = err.diagnostics().iter().map(|d| d.file.as_str()).collect();
        assert_eq!(files.len(), 2, "{err}");
        assert!(
            files[0].ends_with("a.yaml") && files[1].ends_with("b.yaml"),
            "{err}"
        );
        assert!(!out.exists());
    }

    #[test]
    fn two_schemas_with_one_stem_are_refused() {
        let err = Builder::new()
            .out_dir("unused")
            .emit_rerun_if_changed(false)
            .compile(&["x/world.yaml", "y/world.yaml"])
            .unwrap_err();
        assert!(matches!(err, Error::OutputName { .. }), "{err}");
    }
}
