//! `eventsmith-codegen`: check schemas, generate Rust from them, or print
//! the JSON Schema of the schema language. The work is in the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use eventsmith_codegen::{Builder, InitOptions, generate_file, init, json_schema, lock};

/// Generates typed event-sourced Rust (aggregates, events, application
/// facades) from YAML domain schemas.
#[derive(Parser)]
#[command(name = "eventsmith-codegen", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check schemas: print every problem, and exit non-zero if there is any
    Check {
        /// Schema files (YAML)
        #[arg(required = true)]
        schemas: Vec<PathBuf>,
    },
    /// Generate Rust from schemas, into a directory or to standard output
    Generate {
        /// Schema files (YAML)
        #[arg(required = true)]
        schemas: Vec<PathBuf>,
        /// Write <stem>.rs for each schema into this directory, rather than
        /// printing the code
        #[arg(short, long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Write the lock of each schema's stored shapes beside it
    /// (<stem>.lock.json), accepting on purpose a change a build refuses
    Lock {
        /// Schema files (YAML)
        #[arg(required = true)]
        schemas: Vec<PathBuf>,
    },
    /// Print a JSON Schema of the schema language, for editor completion
    JsonSchema,
    /// Write a new crate: a schema, its build script, and tests that pin
    /// the generated source and use it
    Init {
        /// The crate's directory (created if missing)
        dir: PathBuf,
        /// The package's name [default: the directory's name]
        #[arg(long)]
        name: Option<String>,
        /// Depend on this version of eventsmith and eventsmith-codegen
        /// from the registry [default: this tool's own, as major.minor]
        #[arg(long, value_name = "VERSION", conflicts_with = "path")]
        version: Option<String>,
        /// Depend on the crates of this checkout of the eventsmith
        /// repository by path, rather than on the registry's
        #[arg(long, value_name = "CHECKOUT")]
        path: Option<PathBuf>,
    },
}

/// Writes to standard output. A reader that went away (`| head`) is not an
/// error: the tool stops quietly.
fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("cannot write to standard output: {err}");
        std::process::exit(1);
    }
}

/// Prints each path written, one a line, or the error; whether it wrote.
fn print_paths(written: eventsmith_codegen::Result<Vec<PathBuf>>) -> bool {
    match written {
        Ok(paths) => {
            paths
                .iter()
                .for_each(|path| out(&format!("{}\n", path.display())));
            true
        }
        Err(err) => {
            eprintln!("{err}");
            false
        }
    }
}

fn main() -> ExitCode {
    let mut failed = false;
    match Cli::parse().command {
        Command::Check { schemas } => {
            for schema in &schemas {
                match generate_file(schema) {
                    Ok(_) => out(&format!("{}: ok\n", schema.display())),
                    Err(err) => {
                        eprintln!("{err}");
                        failed = true;
                    }
                }
            }
        }
        Command::Generate {
            schemas,
            out_dir: Some(dir),
        } => {
            let written = Builder::new()
                .out_dir(dir)
                .emit_rerun_if_changed(false)
                .compile(&schemas);
            failed |= !print_paths(written);
        }
        Command::Generate {
            schemas,
            out_dir: None,
        } => {
            for schema in &schemas {
                match generate_file(schema) {
                    Ok(code) => out(&code),
                    Err(err) => {
                        eprintln!("{err}");
                        failed = true;
                    }
                }
            }
        }
        Command::Lock { schemas } => failed |= !print_paths(lock(&schemas)),
        Command::JsonSchema => out(&json_schema()),
        Command::Init {
            dir,
            name,
            version,
            path,
        } => match init(&dir, &{
            let mut options = InitOptions::default();
            (options.name, options.version, options.path) = (name, version, path);
            options
        }) {
            Ok(written) => {
                for path in written {
                    out(&format!("{}\n", path.display()));
                }
            }
            Err(err) => {
                eprintln!("{err}");
                failed = true;
            }
        },
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
