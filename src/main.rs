//! The `sagescale` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use sagescale::policy;

/// An autoscaler for Amazon SageMaker endpoints.
#[derive(Parser)]
#[command(name = "sagescale", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check policy files and directories as one policy set; report every problem.
    Validate {
        /// Policy files (.toml, .yaml, .yml) or directories of them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print the JSON Schema of a policy file.
    Schema,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { paths } => validate(&paths),
        Command::Schema => {
            println!("{}", policy::schema::policy_file_schema());
            ExitCode::SUCCESS
        }
    }
}

fn validate(paths: &[PathBuf]) -> ExitCode {
    match policy::load(paths) {
        Ok((set, files)) => {
            println!(
                "ok: {files} file(s), {} target(s), {} policies, {} metric queries",
                set.targets.len(),
                set.policy_count(),
                set.metrics.len()
            );
            ExitCode::SUCCESS
        }
        Err(problems) => {
            eprintln!("{problems}");
            let files: std::collections::BTreeSet<_> = problems.0.iter().map(|d| &d.file).collect();
            eprintln!(
                "error: {} problem(s) in {} file(s)",
                problems.0.len(),
                files.len()
            );
            ExitCode::FAILURE
        }
    }
}
