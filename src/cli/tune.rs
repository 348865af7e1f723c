//! `sagescale tune` and `sagescale tune-merge`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sagescale::sim::report::{tune_html, tune_table};
use sagescale::sim::scenario;
use sagescale::sim::tune::{tune, Template, TuneOptions, TuneReport};

/// What `tune` was asked.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file: the trace, the fleet and the SLO.
    pub scenario: PathBuf,
    /// Policy template (a policy file with placeholders).
    #[arg(long)]
    pub template: PathBuf,
    /// Largest number of candidates; past it, a seeded sample of the grid.
    #[arg(long, default_value_t = 256)]
    pub budget: usize,
    /// SLO-violation minutes the winner may have. Default: the AWS emulation's.
    #[arg(long)]
    pub max_slo_minutes: Option<f64>,
    /// Threads. Default: every core.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run only this share of the candidates, `K/N` (0-based); merge with `tune-merge`.
    #[arg(long)]
    pub shard: Option<String>,
    /// Write the winning policy file here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write every candidate's result as JSON here (what `tune-merge` reads).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write an HTML report of the trade-off curve here.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard {s}: write K/N with 0 <= K < N, e.g. 0/4");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || k >= n {
        return Err(bad());
    }
    Ok((k, n))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// Write what was asked for: the winning policy, the JSON results, the HTML report.
fn outputs(
    r: &TuneReport,
    out: Option<&Path>,
    json: Option<&Path>,
    report: Option<&Path>,
) -> Result<(), String> {
    if let Some(p) = out {
        let Some(best) = r.best() else {
            return Err(format!(
                "no candidate kept the SLO budget of {:.0} minutes: {} not written",
                r.max_slo_minutes,
                p.display()
            ));
        };
        let header = format!(
            "# Written by `sagescale tune` from {} on `{}`:\n# ${:.2} ({:+.1}% against AWS target tracking), {:.0} SLO-violation minutes (budget {:.0}).\n# {}\n",
            r.template.path.display(),
            r.scenario,
            best.cost_usd,
            (best.cost_usd / r.aws_cost_usd - 1.0) * 100.0,
            best.slo_violation_minutes,
            r.max_slo_minutes,
            best.values
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        write(p, &(header + &r.template.render(best.index)))?;
        eprintln!("best policy written to {}", p.display());
    }
    if let Some(p) = json {
        let text = serde_json::to_string_pretty(r).map_err(|e| format!("cannot encode: {e}"))?;
        write(p, &(text + "\n"))?;
    }
    if let Some(p) = report {
        write(p, &tune_html(r))?;
        eprintln!("report written to {}", p.display());
    }
    Ok(())
}

/// `sagescale tune`.
pub fn run(a: &Args) -> ExitCode {
    let result = (|| -> Result<TuneReport, String> {
        let shard = a.shard.as_deref().map(parse_shard).transpose()?;
        if a.budget == 0 {
            return Err("--budget 0: nothing would run".into());
        }
        let template = Template::read(&a.template)?;
        let s = scenario::load(&a.scenario, &scenario::Overrides::default())
            .map_err(|e| e.to_string())?;
        let threads = a.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        let progress = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let o = TuneOptions {
            budget: a.budget,
            max_slo_minutes: a.max_slo_minutes,
            threads,
            shard,
            progress,
        };
        let r = tune(&s, &template, &o)?;
        crate::cli::out(&tune_table(&r));
        outputs(&r, a.out.as_deref(), a.json.as_deref(), a.report.as_deref())?;
        Ok(r)
    })();
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `sagescale tune-merge`: merge the JSON results of shards.
pub fn merge(
    files: &[PathBuf],
    out: Option<&Path>,
    json: Option<&Path>,
    report: Option<&Path>,
) -> ExitCode {
    let result = (|| -> Result<(), String> {
        let mut parts = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(f)
                .map_err(|e| format!("{}: cannot read: {e}", f.display()))?;
            let r: TuneReport = serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{}:{}:{}: not a `sagescale tune --json` result: {e}",
                    f.display(),
                    e.line(),
                    e.column()
                )
            })?;
            parts.push(r);
        }
        let r = TuneReport::merge(parts)?;
        crate::cli::out(&tune_table(&r));
        outputs(&r, out, json, report)
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
