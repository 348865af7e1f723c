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
    /// Print the JSON Schema of a policy file (or of a scenario file).
    Schema {
        /// The schema of simulator scenario files instead.
        #[arg(long)]
        scenario: bool,
    },
    /// Replay a trace through each policy, the AWS target-tracking emulation and the oracle.
    Simulate {
        /// Scenario file (.toml, .yaml).
        scenario: PathBuf,
        /// Replay this trace instead of the scenario's (read as is).
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Compare this policy file or directory instead of the scenario's (repeatable).
        #[arg(long = "policy")]
        policies: Vec<PathBuf>,
        /// Seed for every random draw.
        #[arg(long)]
        seed: Option<u64>,
        /// Write the results as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write a self-contained HTML report with charts here.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

/// Write to stdout; a reader that went away (`| head`) ends the output, not the program.
fn out(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { paths } => validate(&paths),
        Command::Schema { scenario } => {
            if scenario {
                let schema = schemars::schema_for!(sagescale::sim::scenario::ScenarioDoc);
                out(&(serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"));
            } else {
                out(&(policy::schema::policy_file_schema() + "\n"));
            }
            ExitCode::SUCCESS
        }
        Command::Simulate {
            scenario,
            trace,
            policies,
            seed,
            json,
            report,
        } => simulate(
            &scenario,
            trace,
            policies,
            seed,
            json.as_deref(),
            report.as_deref(),
        ),
    }
}

fn simulate(
    path: &std::path::Path,
    trace: Option<PathBuf>,
    policies: Vec<PathBuf>,
    seed: Option<u64>,
    json: Option<&std::path::Path>,
    report: Option<&std::path::Path>,
) -> ExitCode {
    use std::io::IsTerminal;

    use sagescale::sim::{compare, report as rep, scenario};
    let overrides = scenario::Overrides {
        trace,
        policies,
        seed,
    };
    let s = match scenario::load(path, &overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let progress = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let comparison = compare::compare(&s, progress);
    let summary = rep::summarise(&s, &comparison);
    out(&rep::table(&summary));
    if let Some(p) = json {
        let text = match serde_json::to_string_pretty(&summary) {
            Ok(t) => t + "\n",
            Err(e) => {
                eprintln!("cannot encode the results: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = std::fs::write(p, text) {
            eprintln!("{}: cannot write: {e}", p.display());
            return ExitCode::FAILURE;
        }
    }
    if let Some(p) = report {
        if let Err(e) = std::fs::write(p, rep::html(&s, &comparison, &summary)) {
            eprintln!("{}: cannot write: {e}", p.display());
            return ExitCode::FAILURE;
        }
        eprintln!("report written to {}", p.display());
    }
    ExitCode::SUCCESS
}

fn validate(paths: &[PathBuf]) -> ExitCode {
    match policy::load(paths) {
        Ok((set, files)) => {
            out(&format!(
                "ok: {files} file(s), {} target(s), {} policies, {} metric queries\n",
                set.targets.len(),
                set.policy_count(),
                set.metrics.len()
            ));
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
