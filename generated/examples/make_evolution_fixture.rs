//! Writes `tests/fixtures/evolution_v1.db`: the events version 1 of the
//! notes model stores (`schemas/evolution_v1.yaml`), which the evolution
//! test reads with version 3. Run once, and again only to remake the
//! fixture: `cargo run -p eventsmith-generated --example
//! make_evolution_fixture`.

use eventsmith_generated::evolution_v1::Notebook;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/evolution_v1.db"
    );
    let _ = std::fs::remove_file(path);
    let notebook = Notebook::isolated([("PERSISTENCE_MODULE", "sqlite"), ("SQLITE_DBNAME", path)])?;
    let first = notebook.write("Shopping", "eggs milk bread")?;
    notebook.tag(first, "home")?;
    notebook.rate(first, 4)?;
    notebook.tag(first, "urgent")?;
    let second = notebook.write("Ideas", "")?;
    notebook.rate(second, 2)?;
    drop(notebook);
    // One file, no write-ahead log beside it.
    let conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    println!("wrote {path}: notes {first} and {second}");
    Ok(())
}
