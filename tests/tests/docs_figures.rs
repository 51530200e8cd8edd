//! The README's figures for long-lived and big aggregates are the ones
//! `docs/benchmarks.md` reports from its runs: each README cell is checked
//! against the row it summarizes, so neither can change alone.

const README: &str = include_str!("../../README.md");
const BENCHMARKS: &str = include_str!("../../docs/benchmarks.md");

/// The rows of the Markdown tables in `text` from `heading` to the next
/// heading of the same level, each as its cells (header and rule rows left
/// out).
fn rows(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    let level = heading.split(' ').next().unwrap();
    let body = &text[start + heading.len()..];
    let end = body
        .match_indices(&format!("\n{level} "))
        .next()
        .map_or(body.len(), |(i, _)| i);
    let mut rows = Vec::new();
    let mut previous_was_table = false;
    for line in body[..end].lines() {
        let is_table = line.starts_with('|');
        // The first row of each table is its header.
        if is_table && previous_was_table && !line.starts_with("|---") {
            rows.push(
                line.trim_matches('|')
                    .split('|')
                    .map(|cell| cell.trim().to_owned())
                    .collect(),
            );
        }
        previous_was_table = is_table;
    }
    rows
}

/// What `docs/benchmarks.md` calls the backend a README cell names.
fn backend(cell: &str) -> &str {
    match cell {
        "SQLite" | "SQLite file" | "SQLite files" => "sqlite",
        "PostgreSQL" => "postgres",
        other => other,
    }
}

#[test]
fn the_readmes_long_lived_ratios_are_those_of_docs_benchmarks() {
    let docs = rows(
        BENCHMARKS,
        "## Aggregates that live long: the cache and snapshots",
    );
    let readme = rows(README, "### Long-lived and big aggregates");
    let backends = ["memory", "sqlite", "postgres"];
    let mut checked = 0;
    for row in readme.iter().filter(|r| r.len() == 5) {
        let aggregate = row[0].split(' ').next().unwrap();
        for (backend, cell) in backends.iter().zip(&row[2..]) {
            let source = docs
                .iter()
                .find(|d| {
                    d.len() == 7
                        && d[0] == *backend
                        && d[1] == aggregate
                        && d[2].starts_with(&row[1])
                })
                .unwrap_or_else(|| {
                    panic!(
                        "no {backend} {aggregate} {} row in docs/benchmarks.md",
                        row[1]
                    )
                });
            assert_eq!(cell, &source[6], "{backend} {aggregate} {}", row[1]);
            checked += 1;
        }
    }
    assert_eq!(checked, 18, "every cell of the README's table");
}

#[test]
fn the_readmes_big_aggregate_figures_are_those_of_docs_benchmarks() {
    let docs = rows(BENCHMARKS, "## Many writers and big aggregates");
    let readme = rows(README, "### Long-lived and big aggregates");
    let mut checked = 0;
    for row in readme.iter().filter(|r| r.len() == 4) {
        let backend = backend(&row[0]);
        let memory = docs
            .iter()
            .find(|d| d[0].starts_with("peak memory") && d[1] == backend)
            .unwrap_or_else(|| panic!("no peak memory row for {backend}"));
        assert_eq!(row[1], memory[5], "{backend}: replay time");
        assert_eq!(row[2], memory[2], "{backend}: peak memory growth");
        assert_eq!(memory[2], memory[3], "{backend}: all of it the aggregate");
        let gets = docs
            .iter()
            .find(|d| d[0].starts_with("W7") && d[1] == backend)
            .unwrap_or_else(|| panic!("no W7 row for {backend}"));
        let during = gets[3].split(" ms").next().unwrap();
        assert_eq!(
            row[3],
            format!("{during} ms"),
            "{backend}: gets during the replay"
        );
        checked += 1;
    }
    assert_eq!(checked, 3, "a row per backend");
}

#[test]
fn the_readmes_system_figures_are_those_of_docs_benchmarks() {
    let docs = rows(
        BENCHMARKS,
        "## Systems: a follower beside the Python library's runners",
    );
    let readme = rows(README, "## Systems");
    let mut checked = 0;
    for row in readme.iter().filter(|r| r.len() == 6) {
        let backend = backend(&row[0]);
        let source = docs
            .iter()
            .find(|d| d.len() == 7 && d[0] == backend && d[1] == row[1])
            .unwrap_or_else(|| panic!("no {backend} {} row in docs/benchmarks.md", row[1]));
        // Rust's rate, the ratio, Rust's latency and Python's.
        assert_eq!(row[2], source[2], "{backend} {}", row[1]);
        assert_eq!(row[3], source[4], "{backend} {}", row[1]);
        assert_eq!(row[4], source[5], "{backend} {}", row[1]);
        assert_eq!(row[5], source[6], "{backend} {}", row[1]);
        checked += 1;
    }
    assert_eq!(checked, 6, "every row of the README's table");
}

#[test]
fn the_readmes_throughput_figures_are_those_of_docs_benchmarks() {
    let docs = rows(BENCHMARKS, "## What is measured");
    let readme = rows(README, "## Benchmarks");
    let mut checked = 0;
    for row in readme.iter().filter(|r| r.len() == 7) {
        let backend = backend(&row[1]);
        let workload = match row[0].as_str() {
            "W1 create" => "W1 create (",
            "W3 batch (10/save)" => "W3 batch (10 ×",
            "W4 replay 10,000 events" => "W4 replay (10000 events)",
            "W5 read, section 10" => "W5 read (section 10,",
            other => panic!("a README row of an unknown workload: {other}"),
        };
        let source = docs
            .iter()
            .find(|d| {
                d.len() == 12 && d[0].starts_with(workload) && d[1] == backend && d[2] == "plain"
            })
            .unwrap_or_else(|| panic!("no {workload} {backend} plain row in docs/benchmarks.md"));
        // The runtime's figure (its number) and the wall-clock ratio.
        let number = |cell: &str| cell.split(' ').next().unwrap().to_owned();
        assert_eq!(number(&row[2]), number(&source[3]), "{workload} {backend}");
        assert_eq!(number(&row[3]), number(&source[4]), "{workload} {backend}");
        assert_eq!(row[4], source[5], "{workload} {backend}");
        checked += 1;
    }
    assert_eq!(checked, 8, "every row of the README's table");
}
