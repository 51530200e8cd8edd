//! The generator on a large schema, in process and as the CLI.

use super::*;

pub(crate) fn generator_schema(aggregates: usize, events: usize) -> String {
    let mut yaml = String::from("module: bench\naggregates:\n");
    for a in 0..aggregates {
        let _ = write!(
            yaml,
            "  Agg{a}:\n    doc: Aggregate {a}.\n    state:\n      name: String\n      \
             history: Vec<String>\n      count: i64\n    created:\n      event: Agg{a}Started\n      \
             args: {{ name: String }}\n      apply: [set: name]\n    commands:\n"
        );
        for e in 1..events {
            let _ = write!(
                yaml,
                "      do_{e}:\n        doc: Command {e}.\n        event: Agg{a}Happened{e}\n        \
                 args: {{ what: String, amount: i64 }}\n        apply:\n          - push: {{ history: what }}\n          \
                 - increment: {{ count: amount }}\n"
            );
        }
    }
    yaml.push_str("applications:\n  Bench:\n    aggregates: [");
    for a in 0..aggregates {
        let _ = write!(yaml, "{}Agg{a}", if a > 0 { ", " } else { "" });
    }
    yaml.push_str("]\n    commands:\n");
    for a in 0..aggregates {
        let _ = writeln!(yaml, "      create_agg{a}: {{ create: Agg{a} }}");
        let _ = writeln!(yaml, "      agg{a}_do_1: {{ call: Agg{a}.do_1 }}");
    }
    yaml
}

pub(crate) fn generator(sizes: &Sizes, results: &mut Vec<Measured>, dir: &Path) {
    let (a, e) = (sizes.gen_aggregates, sizes.gen_events);
    eprintln!("generator: {a} aggregates × {e} events");
    let yaml = generator_schema(a, e);
    let mut times = Vec::new();
    let mut lines = 0;
    for _ in 0..3 {
        let (code, t) = time(|| eventsmith_codegen::generate("bench.yaml", &yaml));
        let code = code.unwrap_or_else(|err| panic!("the bench schema: {err}"));
        lines = code.lines().count();
        times.push(t.wall.as_secs_f64() * 1e3);
    }
    let lib = median(times);
    eprintln!("  generate(): {lib:.0} ms for {lines} lines of Rust");
    let workload = format!("generator: {a} aggregates × {e} events");
    results.push(Measured {
        workload: format!("{workload}, generate()"),
        order: 9,
        backend: "-",
        mode: "-",
        figure: lib,
        unit: Unit::Millis,
        baseline: None,
        cpu: None,
        cpu_baseline: None,
        target: Target::Below(1_000.0),
        vs_plain: None,
        other: None,
    });
    // The CLI, when a release build of it is beside this bench's profile.
    let schema = dir.join("bench.yaml");
    std::fs::write(&schema, &yaml).unwrap();
    let exe = std::env::current_exe().unwrap();
    let cli = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("eventsmith-codegen"))
        .filter(|p| p.exists());
    match cli {
        Some(cli) => {
            let out = dir.join("out");
            let mut times = Vec::new();
            for _ in 0..3 {
                let (status, t) = time(|| {
                    Command::new(&cli)
                        .arg("generate")
                        .arg(&schema)
                        .arg("-o")
                        .arg(&out)
                        .output()
                        .unwrap()
                });
                assert!(status.status.success(), "{status:?}");
                times.push(t.wall.as_secs_f64() * 1e3);
            }
            let cli_ms = median(times);
            eprintln!("  {} generate: {cli_ms:.0} ms", cli.display());
            results.push(Measured {
                workload: format!("{workload}, CLI `eventsmith-codegen generate`"),
                order: 10,
                backend: "-",
                mode: "-",
                figure: cli_ms,
                unit: Unit::Millis,
                baseline: None,
                cpu: None,
                cpu_baseline: None,
                target: Target::Below(1_000.0),
                vs_plain: None,
                other: None,
            });
        }
        None => eprintln!(
            "  (no release build of the CLI beside the bench: `cargo build --release -p eventsmith-codegen` to time it too)"
        ),
    }
}
