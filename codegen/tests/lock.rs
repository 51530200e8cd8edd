//! The lock of stored shapes (issue 23, point 1): the first build writes
//! it; a change stored data would not survive at the same class version is
//! a build error naming the event, the field and the fix; compatible
//! changes pass and bring the lock up to date; `lock` accepts a change on
//! purpose. Each kind of change, in a schema file and a build of its own.

use std::path::{Path, PathBuf};

use eventsmith_codegen::{Builder, Error};

const BASE: &str = "module: notes
aggregates:
  Note:
    snapshot: { every: 5 }
    state:
      title: String
      stars: u8
    created:
      event: Written
      args: { title: String }
      apply: [set: title]
    commands:
      rate:
        event: Rated
        args: { stars: u8 }
        apply: [set: stars]
";

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn schema(&self) -> PathBuf {
        self.dir.path().join("notes.yaml")
    }

    fn lock(&self) -> PathBuf {
        self.dir.path().join("notes.lock.json")
    }

    /// Builds `text`: `Ok`, or every problem's text.
    fn build(&self, text: &str) -> Result<(), Vec<String>> {
        std::fs::write(self.schema(), text).unwrap();
        match Builder::new()
            .out_dir(self.dir.path().join("out"))
            .emit_rerun_if_changed(false)
            .compile(&[self.schema()])
        {
            Ok(_) => Ok(()),
            Err(Error::Schema { diagnostics }) => {
                Err(diagnostics.iter().map(ToString::to_string).collect())
            }
            Err(other) => panic!("{other}"),
        }
    }

    fn locked(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.lock()).unwrap()).unwrap()
    }
}

/// A project whose lock holds `BASE`.
fn locked_base() -> Project {
    let project = Project::new();
    project.build(BASE).unwrap();
    assert!(project.lock().exists());
    project
}

fn refused(project: &Project, text: &str) -> String {
    let problems = project
        .build(text)
        .expect_err("a breaking change was built");
    let before = std::fs::read_to_string(project.lock()).unwrap();
    // Nothing is written when the build is refused.
    assert_eq!(std::fs::read_to_string(project.lock()).unwrap(), before);
    problems.join("\n")
}

#[test]
fn the_first_build_writes_the_lock_and_a_build_with_no_change_passes() {
    let project = locked_base();
    let lock = project.locked();
    assert_eq!(
        lock["aggregates"]["Note"]["events"]["Rated"]["versions"]["1"]["stars"],
        "u8"
    );
    assert_eq!(
        lock["aggregates"]["Note"]["snapshot"]["versions"]["1"]["title"],
        "String"
    );
    project.build(BASE).unwrap();
}

#[test]
fn a_new_required_argument_is_refused_naming_the_event_the_field_and_the_fix() {
    let project = locked_base();
    let text = BASE.replace("args: { stars: u8 }", "args: { stars: u8, by: String }");
    let message = refused(&project, &text);
    assert!(message.contains("event 'Note.Rated'"), "{message}");
    assert!(
        message.contains("new required field 'by' (String)"),
        "{message}"
    );
    assert!(message.contains("`version:` raised"), "{message}");
    assert!(message.contains("eventsmith-codegen lock"), "{message}");
    // Positioned at the event in the schema.
    assert!(message.contains("notes.yaml:14:16:"), "{message}");
}

#[test]
fn changed_types_removed_fields_and_lost_topics_are_refused() {
    for (from, to, expect) in [
        (
            "stars: u8",
            "stars: u32",
            "field 'stars' changed type from u8 to u32",
        ),
        (
            "args: { title: String }\n      apply: [set: title]",
            "args: { heading: String }\n      apply: [set: { title: heading }]",
            "field 'title' (String) was removed or renamed",
        ),
        (
            "      rate:\n        event: Rated",
            "      rate:\n        event: Scored",
            "event 'Note.Rated' is gone",
        ),
        (
            "module: notes",
            "module: memos",
            "event 'Note.Written' is gone: its stored events (topic 'notes:Note.Written')",
        ),
        (
            "module: notes",
            "module: memos",
            "the snapshots of aggregate 'Note': its topic changed from 'notes:Note' to 'memos:Note'",
        ),
        (
            "      stars: u8\n    created",
            "      stars: u8\n      words: u32\n    created",
            "the snapshots of aggregate 'Note': new required field 'words'",
        ),
    ] {
        let project = locked_base();
        let text = BASE.replace(from, to);
        assert_ne!(text, BASE, "{from}");
        let message = refused(&project, &text);
        assert!(message.contains(expect), "{expect}:\n{message}");
    }
}

#[test]
fn optional_and_defaulted_additions_and_aliases_pass_and_update_the_lock() {
    let project = locked_base();
    let text = BASE
        .replace(
            "args: { stars: u8 }",
            "args: { stars: u8, by: Option<String>, weight: { type: u32, default: 1 } }",
        )
        .replace(
            "      stars: u8\n    created",
            "      stars: u8\n      by: Option<String>\n    created",
        );
    project.build(&text).unwrap();
    let lock = project.locked();
    assert_eq!(
        lock["aggregates"]["Note"]["events"]["Rated"]["versions"]["1"]["weight"],
        "u32?"
    );
    // Renamed, with the old topic as an alias: the same event.
    let renamed = text.replace(
        "      rate:\n        event: Rated",
        "      rate:\n        event: Scored\n        aliases: [\"notes:Note.Rated\"]",
    );
    project.build(&renamed).unwrap();
    // Removing what the last build added is now refused: the lock moved on.
    let message = refused(&project, &renamed.replace(", by: Option<String>", ""));
    assert!(
        message.contains("field 'by' (Option<String>?) was removed"),
        "{message}"
    );
}

#[test]
fn a_raised_version_passes_and_keeps_the_older_shape_and_a_lower_one_is_refused() {
    let project = locked_base();
    let v2 = BASE.replace(
        "        event: Rated\n        args: { stars: u8 }",
        "        event: Rated\n        version: 2\n        upcast:\n          v1_v2: [add: { by: nobody }]\n        args: { stars: u8, by: String }",
    );
    project.build(&v2).unwrap();
    let lock = project.locked();
    let versions = &lock["aggregates"]["Note"]["events"]["Rated"]["versions"];
    assert_eq!(versions["1"]["stars"], "u8");
    assert_eq!(versions["2"]["by"], "String");
    assert!(versions["1"].get("by").is_none());
    // Changing version 2's shape without raising it again is refused.
    let message = refused(
        &project,
        &v2.replace("by: String }", "by: String, at: u64 }"),
    );
    assert!(
        message.contains("new required field 'at' (u64)"),
        "{message}"
    );
    // Back to version 1: refused.
    let message = refused(&project, BASE);
    assert!(
        message.contains("its class version went down, from 2 to 1"),
        "{message}"
    );
}

#[test]
fn the_lock_command_accepts_a_change_on_purpose() {
    let project = locked_base();
    let text = BASE.replace("stars: u8", "stars: u32");
    assert!(project.build(&text).is_err());
    std::fs::write(project.schema(), &text).unwrap();
    let written = eventsmith_codegen::lock(&[project.schema()]).unwrap();
    assert_eq!(written, [project.lock()]);
    project.build(&text).unwrap();
    assert_eq!(
        project.locked()["aggregates"]["Note"]["events"]["Rated"]["versions"]["1"]["stars"],
        "u32"
    );
}

#[test]
fn a_lock_that_cannot_be_read_is_an_error_naming_it() {
    let project = locked_base();
    std::fs::write(project.lock(), "{\"note\": 1,\n  oops").unwrap();
    let problems = project.build(BASE).unwrap_err().join("\n");
    assert!(problems.contains("notes.lock.json:1:10:"), "{problems}");
    assert!(
        problems.contains("the lock of stored shapes cannot be read"),
        "{problems}"
    );
    let off = Builder::new()
        .out_dir(project.dir.path().join("out"))
        .emit_rerun_if_changed(false)
        .check_lock(false)
        .compile(&[project.schema()]);
    assert!(off.is_ok());
    assert!(Path::new(&project.lock()).exists());
}
