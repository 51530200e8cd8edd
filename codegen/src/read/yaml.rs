//! YAML with a position on every node, and the list of problems found in a
//! file.
//!
//! `marked-yaml` gives each node (scalars, sequences, mappings, and mapping
//! keys) its line and column, which is what lets every schema problem, not
//! only syntax errors, name where it is. Before it loads the text, a scan of
//! the raw YAML events (one loop, no recursion) finds what it would not
//! report or could not survive: duplicate keys (it keeps only the last),
//! nesting deeper than a schema needs (its loader recurses, so a hostile
//! file could overflow the stack), and a second document (it would ignore
//! it).

use std::collections::HashMap;

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoadError, LoaderOptions, Node};
use yaml_rust2::parser::{Event, Parser};

use crate::error::Diagnostic;

/// A line and column in a schema file, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl Pos {
    /// The position `n` characters to the right.
    pub(crate) fn right(self, n: usize) -> Self {
        Self {
            line: self.line,
            column: self.column + n,
        }
    }
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value read from the schema, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) pos: Pos,
    /// Whether the value's text is written as-is at `pos` (a plain scalar on
    /// one line), so that a position inside it can be pointed at.
    pub(crate) exact: bool,
}

impl<T> Spanned<T> {
    /// The position `offset` characters into the value's text, or the
    /// value's own position when its text is quoted or folded.
    pub(crate) fn pos_at(&self, offset: usize) -> Pos {
        if self.exact {
            self.pos.right(offset)
        } else {
            self.pos
        }
    }
}

impl Spanned<String> {
    pub(crate) fn as_str(&self) -> &str {
        &self.value
    }
}

/// The problems found in one file, in the order they were found; sorted by
/// position when reported.
#[derive(Debug)]
pub(crate) struct Problems {
    file: String,
    list: Vec<Diagnostic>,
}

impl Problems {
    /// The file whose problems these are, as messages name it.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    pub(crate) fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            list: Vec::new(),
        }
    }

    /// Records a problem at `pos`.
    pub(crate) fn add(
        &mut self,
        pos: Pos,
        message: impl Into<String>,
        expected: impl Into<String>,
    ) {
        self.list.push(Diagnostic {
            file: self.file.clone(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
            expected: expected.into(),
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The problems in file order, each once.
    pub(crate) fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.list.sort_by(|a, b| {
            (a.line, a.column)
                .cmp(&(b.line, b.column))
                .then_with(|| a.message.cmp(&b.message))
        });
        self.list.dedup();
        self.list
    }
}

/// A parsed YAML document and the text it came from.
pub(crate) struct Document {
    pub(crate) root: Node,
    chars: Vec<char>,
}

/// How deep mappings and sequences may nest: a schema needs about ten
/// levels.
pub(crate) const MAX_DEPTH: usize = 32;

/// Parses `text`. Syntax errors, nesting deeper than [`MAX_DEPTH`] and a
/// second document end the reading; duplicate keys are recorded and reading
/// goes on. A byte order mark at the start is skipped.
pub(crate) fn parse(text: &str, problems: &mut Problems) -> Option<Document> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !scan(text, problems) {
        return None;
    }
    let options = LoaderOptions::default().prevent_coercion(true);
    match marked_yaml::parse_yaml_with_options(0, text, options) {
        Ok(root) => Some(Document {
            root,
            chars: text.chars().collect(),
        }),
        Err(err) => {
            load_error(&err, problems);
            None
        }
    }
}

fn load_error(err: &LoadError, problems: &mut Problems) {
    let at = |m: &marked_yaml::Marker| Pos {
        line: m.line(),
        column: m.column(),
    };
    match err {
        LoadError::TopLevelMustBeMapping(m) => problems.add(
            at(m),
            "a schema must be a mapping at the top level",
            "keys such as module, types, aggregates and applications",
        ),
        LoadError::TopLevelMustBeSequence(m) => problems.add(
            at(m),
            "a schema must be a mapping at the top level",
            "a mapping",
        ),
        LoadError::UnexpectedAnchor(m) => problems.add(
            at(m),
            "YAML anchors and aliases are not supported in schemas",
            "the value written out in full",
        ),
        LoadError::MappingKeyMustBeScalar(m) => problems.add(
            at(m),
            "a mapping key must be a plain name",
            "a name such as 'World' or 'name'",
        ),
        LoadError::UnexpectedTag(m) => problems.add(
            at(m),
            "YAML tags (`!tag`) are not supported in schemas",
            "an untagged value",
        ),
        LoadError::ScanError(m, e) => problems.add(
            at(m),
            format!("YAML syntax error: {}", e.info()),
            "valid YAML",
        ),
        LoadError::DuplicateKey(inner) => {
            let pos = inner.key.span().start().map(at).unwrap_or_default();
            problems.add(
                pos,
                format!("duplicate key '{}'", inner.key.as_str()),
                "each key once in a mapping",
            );
        }
    }
}

impl Document {
    /// Where `node` starts.
    pub(crate) fn pos(node: &Node) -> Pos {
        node.span()
            .start()
            .map(|m| Pos {
                line: m.line(),
                column: m.column(),
            })
            .unwrap_or(Pos { line: 1, column: 1 })
    }

    /// A scalar's text with its position.
    pub(crate) fn spanned(&self, scalar: &MarkedScalarNode) -> Spanned<String> {
        let start = scalar.span().start();
        let pos = start
            .map(|m| Pos {
                line: m.line(),
                column: m.column(),
            })
            .unwrap_or(Pos { line: 1, column: 1 });
        let text = scalar.as_str();
        let exact = scalar.may_coerce()
            && !text.contains('\n')
            && start.is_some_and(|m| {
                let from = m.character();
                self.chars.len() >= from + text.chars().count()
                    && self.chars[from..]
                        .iter()
                        .zip(text.chars())
                        .all(|(a, b)| *a == b)
            });
        Spanned {
            value: text.to_owned(),
            pos,
            exact,
        }
    }
}

/// Whether a scalar is YAML's null: empty, `~` or `null`, unquoted.
pub(crate) fn is_null(scalar: &MarkedScalarNode) -> bool {
    scalar.may_coerce() && matches!(scalar.as_str(), "" | "~" | "null" | "Null" | "NULL")
}

/// Iterates a mapping's entries in the file's order.
pub(crate) fn entries(map: &MarkedMappingNode) -> impl Iterator<Item = (&MarkedScalarNode, &Node)> {
    map.iter()
}

/// Scans the raw YAML events: records every duplicate key, and whether the
/// text can be loaded (no nesting past [`MAX_DEPTH`], one document). Syntax
/// errors are left to the load, which reports them.
fn scan(text: &str, problems: &mut Problems) -> bool {
    let mut scan = Scan::default();
    let mut parser = Parser::new(text.chars());
    let mut documents = 0;
    while let Ok((event, mark)) = parser.next_token() {
        let pos = Pos {
            line: mark.line(),
            column: mark.col() + 1,
        };
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    problems.add(
                        pos,
                        "a second YAML document: a schema file holds one",
                        "one document (no `---` after the first, or one schema per file)",
                    );
                    return false;
                }
            }
            Event::Scalar(value, ..) => scan.node(Some((&value, pos))),
            Event::Alias(_) => scan.node(None),
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                scan.node(None);
                if scan.stack.len() >= MAX_DEPTH {
                    problems.add(
                        pos,
                        format!("mappings and lists nested more than {MAX_DEPTH} deep"),
                        "a schema's shape: about ten levels",
                    );
                    return false;
                }
                scan.stack.push(match event {
                    Event::MappingStart(..) => Frame::Mapping {
                        keys: HashMap::new(),
                        want_key: true,
                    },
                    _ => Frame::Sequence,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                scan.stack.pop();
            }
            _ => {}
        }
    }
    for (key, first, again) in scan.found {
        problems.add(
            again,
            format!("duplicate key '{key}' (first at {first})"),
            "each name once in a mapping",
        );
    }
    true
}

#[derive(Default)]
struct Scan {
    stack: Vec<Frame>,
    found: Vec<(String, Pos, Pos)>,
}

enum Frame {
    Mapping {
        keys: HashMap<String, Pos>,
        want_key: bool,
    },
    Sequence,
}

impl Scan {
    /// A node begins: a key or a value of the enclosing mapping, or an item.
    fn node(&mut self, key: Option<(&str, Pos)>) {
        let Some(Frame::Mapping { keys, want_key }) = self.stack.last_mut() else {
            return;
        };
        if *want_key && let Some((key, pos)) = key {
            match keys.get(key) {
                Some(first) => self.found.push((key.to_owned(), *first, pos)),
                None => {
                    keys.insert(key.to_owned(), pos);
                }
            }
        }
        *want_key = !*want_key;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(text: &str) -> Vec<String> {
        let mut problems = Problems::new("t.yaml");
        parse(text, &mut problems);
        problems
            .into_sorted()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn every_duplicate_key_is_found_with_both_positions() {
        let text = "a:\n  x: 1\n  x: 2\nb: [1, {y: 1, y: 2}]\na: 3\n";
        assert_eq!(
            problems_of(text),
            [
                "t.yaml:3:3: duplicate key 'x' (first at 2:3) (expected each name once in a mapping)",
                "t.yaml:4:15: duplicate key 'y' (first at 4:9) (expected each name once in a mapping)",
                "t.yaml:5:1: duplicate key 'a' (first at 1:1) (expected each name once in a mapping)",
            ]
        );
    }

    #[test]
    fn nesting_past_the_limit_is_refused_without_recursion() {
        // Block nesting, deep enough to overflow the stack of a recursive
        // loader.
        let deep: String = (0..3_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert_eq!(
            problems_of(&deep),
            [
                "t.yaml:33:34: mappings and lists nested more than 32 deep (expected a schema's shape: about ten levels)"
            ]
        );
        // Flow nesting: the YAML scanner has a limit of its own.
        let deep = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let found = problems_of(&deep);
        assert!(
            found.len() == 1 && found[0].contains("YAML syntax error"),
            "{found:?}"
        );
        let fine = format!("a: {}{}\n", "[".repeat(31), "]".repeat(31));
        assert!(problems_of(&fine).is_empty());
    }

    #[test]
    fn a_second_document_is_refused_and_a_bom_skipped() {
        assert_eq!(
            problems_of("module: a\n---\nmodule: b\n"),
            [
                "t.yaml:2:1: a second YAML document: a schema file holds one (expected one document (no `---` after the first, or one schema per file))"
            ]
        );
        let mut problems = Problems::new("t.yaml");
        let doc = parse("\u{feff}module: a\n", &mut problems).unwrap();
        assert!(problems.is_empty());
        assert!(
            doc.root
                .as_mapping()
                .unwrap()
                .get_scalar("module")
                .is_some()
        );
    }

    #[test]
    fn syntax_errors_have_positions() {
        let found = problems_of("a: [1, 2\nb: 3\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("t.yaml:"), "{found:?}");
        assert!(found[0].contains("YAML syntax error"), "{found:?}");
    }

    #[test]
    fn plain_scalars_are_exact_and_quoted_ones_are_not() {
        let mut problems = Problems::new("t.yaml");
        let doc = parse("a: Vec<Strng>\nb: \"Vec<Strng>\"\n", &mut problems).unwrap();
        let map = doc.root.as_mapping().unwrap();
        let a = doc.spanned(map.get_scalar("a").unwrap());
        let b = doc.spanned(map.get_scalar("b").unwrap());
        assert!(a.exact && !b.exact);
        assert_eq!(a.pos_at(4), Pos { line: 1, column: 8 });
        assert_eq!(b.pos_at(4), Pos { line: 2, column: 4 });
    }
}
