//! The one error type of the generator, and the schema problems it reports.

use std::fmt;
use std::path::PathBuf;

/// A problem found in a schema, at a position in its file.
///
/// Displayed as rustc displays its errors, with what would have been
/// accepted in parentheses:
///
/// ```text
/// schemas/world.yaml:7:16: unknown type 'Strng' for state field 'name' of aggregate 'World'; did you mean 'String'? (expected a type: String, bool, ...)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The schema file, as it was named to the generator.
    pub file: String,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What would have been accepted there.
    pub expected: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {} (expected {})",
            self.file, self.line, self.column, self.message, self.expected
        )
    }
}

/// Everything that can go wrong while generating code.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// One or more schemas have problems. Every problem found is here, each
    /// naming its file, line and column, in the order of the file.
    #[error("{}", DisplayLines(diagnostics))]
    Schema {
        /// The problems, in file order.
        diagnostics: Vec<Diagnostic>,
    },

    /// A schema file could not be read.
    #[error("cannot read schema {}: {source}", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// A generated file could not be written.
    #[error("cannot write generated code to {}: {source}", path.display())]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// `init` cannot write a crate into this directory.
    #[error("cannot write a new crate into {}: {reason}", dir.display())]
    Init {
        /// The directory.
        dir: PathBuf,
        /// Why not.
        reason: String,
    },

    /// No output directory was given and `OUT_DIR` is not set.
    #[error(
        "OUT_DIR is not set (expected to run in a build script, or an output directory given with Builder::out_dir)"
    )]
    NoOutDir,

    /// A schema path has no file name to name the generated file after, or
    /// two schemas would write the same generated file.
    #[error("cannot name the generated file for schema {}: {reason}", path.display())]
    OutputName {
        /// The schema path.
        path: PathBuf,
        /// Why no file name could be given.
        reason: String,
    },

    /// A template produced something that is not Rust: a bug in the
    /// generator, not in the schema.
    #[error(
        "generator bug: template {template} rendered invalid Rust for {item}: {message} \
         (please report this together with the schema)"
    )]
    Template {
        /// The template's file name, e.g. `aggregate.rs.tera`.
        template: &'static str,
        /// The schema item being rendered, e.g. `aggregate World`.
        item: String,
        /// What went wrong, with the position in the rendered text.
        message: String,
    },
}

/// `Debug` shows the same text as `Display`, so that a build script's
/// `fn main() -> Result<(), eventsmith_codegen::Error>` prints the
/// problems readably rather than as a struct dump.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// The schema problems, if this error is about schemas.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Schema { diagnostics } => diagnostics,
            _ => &[],
        }
    }
}

struct DisplayLines<'a>(&'a [Diagnostic]);

impl fmt::Display for DisplayLines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// The closest of `candidates` to `word`, if one is close enough to be a
/// likely typo: equal but for case, or a few edits away.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| {
            let d = if c.eq_ignore_ascii_case(word) {
                0
            } else {
                edit_distance(word, c)
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance by characters, where swapping two neighbours counts as one
/// edit (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// `one of: a, b, c`, or `nothing here: ...` when there is no candidate.
pub(crate) fn one_of<S: AsRef<str>>(candidates: &[S], none: &str) -> String {
    if candidates.is_empty() {
        none.to_owned()
    } else {
        let names: Vec<&str> = candidates.iter().map(AsRef::as_ref).collect();
        format!("one of: {}", names.join(", "))
    }
}

/// The generator's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_reads_like_display() {
        let err = Error::Schema {
            diagnostics: vec![Diagnostic {
                file: "w.yaml".into(),
                line: 3,
                column: 5,
                message: "unknown key 'stat'".into(),
                expected: "one of: doc, state".into(),
            }],
        };
        assert_eq!(
            format!("{err:?}"),
            "w.yaml:3:5: unknown key 'stat' (expected one of: doc, state)"
        );
        assert_eq!(err.diagnostics().len(), 1);
    }

    #[test]
    fn suggestions_are_close_names_only() {
        assert_eq!(
            did_you_mean("Strng", ["String", "bool", "Uuid"]),
            Some("String")
        );
        assert_eq!(
            did_you_mean("histroy", ["name", "history"]),
            Some("history")
        );
        assert_eq!(did_you_mean("uuid", ["String", "Uuid"]), Some("Uuid"));
        assert_eq!(did_you_mean("colour", ["name", "history"]), None);
        assert_eq!(did_you_mean("Wolrd", ["World", "Moon"]), Some("World"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("nmae", "name"), 1);
    }
}
