//! `eventsourcing-codegen`: check schemas, generate Rust from them, or print
//! the JSON Schema of the schema language. The work is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use eventsourcing_codegen::{Builder, generate_file, json_schema};

/// Generates typed event-sourced Rust (aggregates, events, application
/// facades) from YAML domain schemas.
#[derive(Parser)]
#[command(name = "eventsourcing-codegen", version)]
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
    /// Print a JSON Schema of the schema language, for editor completion
    JsonSchema,
}

fn main() -> ExitCode {
    let mut failed = false;
    match Cli::parse().command {
        Command::Check { schemas } => {
            for schema in &schemas {
                match generate_file(schema) {
                    Ok(_) => println!("{}: ok", schema.display()),
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
            match Builder::new()
                .out_dir(dir)
                .emit_rerun_if_changed(false)
                .compile(&schemas)
            {
                Ok(written) => written
                    .iter()
                    .for_each(|path| println!("{}", path.display())),
                Err(err) => {
                    eprintln!("{err}");
                    failed = true;
                }
            }
        }
        Command::Generate {
            schemas,
            out_dir: None,
        } => {
            for schema in &schemas {
                match generate_file(schema) {
                    Ok(code) => print!("{code}"),
                    Err(err) => {
                        eprintln!("{err}");
                        failed = true;
                    }
                }
            }
        }
        Command::JsonSchema => print!("{}", json_schema()),
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
