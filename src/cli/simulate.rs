//! `sagescale simulate`: replay a trace through every contender and print the comparison.

use std::path::PathBuf;
use std::process::ExitCode;

use super::out;

/// Simulate the scenario at `path`, with its overrides, writing JSON and HTML if asked.
pub fn simulate(
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
