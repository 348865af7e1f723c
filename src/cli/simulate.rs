//! `sagescale simulate`: replay a trace through every contender and print the comparison.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::out;

/// Where `simulate` writes beside the terminal table.
pub struct Outputs<'a> {
    /// The results as JSON.
    pub json: Option<&'a Path>,
    /// The HTML report.
    pub report: Option<&'a Path>,
    /// The datapoints each contender's policies saw, as `GetMetricData` JSON.
    pub emit_metrics: Option<&'a Path>,
}

/// Simulate the scenario at `path`, with its overrides, writing what `outputs` asks for.
pub fn simulate(
    path: &Path,
    trace: Option<PathBuf>,
    policies: Vec<PathBuf>,
    seed: Option<u64>,
    outputs: Outputs<'_>,
) -> ExitCode {
    let Outputs {
        json,
        report,
        emit_metrics,
    } = outputs;
    use std::io::IsTerminal;

    use sagescale::sim::{compare, report as rep, scenario};
    let overrides = scenario::Overrides {
        trace,
        policies,
        seed,
        ..scenario::Overrides::default()
    };
    let s = match scenario::load(path, &overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let progress = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let comparison = compare::compare_emitting(&s, progress, emit_metrics.is_some());
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
    if let Some(p) = emit_metrics {
        let text = serde_json::to_string(&rep::emitted_json(&s, &comparison)).unwrap_or_default();
        if let Err(e) = std::fs::write(p, text + "\n") {
            eprintln!("{}: cannot write: {e}", p.display());
            return ExitCode::FAILURE;
        }
        eprintln!("datapoints and calls written to {}", p.display());
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
