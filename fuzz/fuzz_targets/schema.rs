//! Feeds arbitrary text to the schema compiler, `eventsmith_codegen::generate`:
//! YAML parsing, reading, validation and rendering.
//!
//! Input: the bytes as UTF-8 (invalid sequences replaced by U+FFFD, as a
//! text editor would show them), named `fuzz.yaml`.
//!
//! Fails on: a panic, a stack overflow, a hang or an out-of-memory (libFuzzer
//! catches each); and on `Error::Template`, which is documented as "a bug in
//! the generator, not in the schema": a schema that validates must render.
//! Schema errors are fine, but each diagnostic must name the file.

#![no_main]

use eventsmith_codegen::Error;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match eventsmith_codegen::generate("fuzz.yaml", &text) {
        Ok(code) => assert!(code.starts_with("// @generated")),
        Err(err @ Error::Template { .. }) => panic!("schema validated but did not render: {err}"),
        Err(err) => {
            let _ = err.to_string();
            for diagnostic in err.diagnostics() {
                assert_eq!(diagnostic.file, "fuzz.yaml", "{diagnostic}");
                assert!(
                    diagnostic.line >= 1 && diagnostic.column >= 1,
                    "{diagnostic}"
                );
            }
        }
    }
});
