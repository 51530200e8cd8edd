//! Compiles every schema in `../schemas` into `OUT_DIR`: the user's path.
//!
//! A user's build script names its schemas:
//! `eventsmith_codegen::compile(&["schemas/world.yaml"])`. This one takes
//! every `*.yaml` in the folder, so that a schema added there is compiled
//! (and must then be included in `src/lib.rs`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new("../schemas");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut schemas = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            schemas.push(path);
        }
    }
    schemas.sort();
    eventsmith_codegen::compile(&schemas)?;
    Ok(())
}
