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
    /// Choose the winner on this window, `FROM..UNTIL` (RFC 3339). Default: the scenario's
    /// `[evaluation] train`.
    #[arg(long)]
    pub train: Option<String>,
    /// Quote every figure on this window, `FROM..UNTIL` (RFC 3339). Default: the scenario's
    /// `[trace]` window.
    #[arg(long)]
    pub test: Option<String>,
    /// Run only this share of the candidates, `K/N` (0-based), or `auto/N`: K from an AWS
    /// Batch array job (`AWS_BATCH_JOB_ARRAY_INDEX`) or a Kubernetes indexed Job
    /// (`JOB_COMPLETION_INDEX`); `auto` alone takes N from `TUNE_SHARD_COUNT`. Merge with
    /// `tune-merge`.
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

/// `--shard auto[/N]`: this process's share from the array job it runs in. The index comes
/// from AWS Batch (`AWS_BATCH_JOB_ARRAY_INDEX`) or a Kubernetes indexed Job
/// (`JOB_COMPLETION_INDEX`). Neither tells a task how many there are, so the count is given:
/// `auto/N`, or `TUNE_SHARD_COUNT` in the job definition (docs/tune.md).
fn shard_from_env(
    size: Option<&str>,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<(usize, usize), String> {
    let index_var = ["AWS_BATCH_JOB_ARRAY_INDEX", "JOB_COMPLETION_INDEX"]
        .into_iter()
        .find(|v| var(v).is_some())
        .ok_or("--shard auto: neither AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch array job) nor JOB_COMPLETION_INDEX (a Kubernetes indexed Job) is set; give --shard K/N")?;
    let index = var(index_var).unwrap_or_default();
    let (size_name, size) = match size {
        Some(n) => ("--shard auto/N", n.to_string()),
        None => (
            "TUNE_SHARD_COUNT",
            var("TUNE_SHARD_COUNT").ok_or_else(|| {
                format!(
                    "--shard auto: {index_var} is {index}, but the number of shards is not given: write --shard auto/N (N: the array size or the Job's completions) or set TUNE_SHARD_COUNT"
                )
            })?,
        ),
    };
    let parse = |name: &str, v: &str| {
        v.trim()
            .parse::<usize>()
            .map_err(|_| format!("--shard auto: {name} `{v}` is not a whole number"))
    };
    let (k, n) = (parse(index_var, &index)?, parse(size_name, &size)?);
    if n == 0 || k >= n {
        return Err(format!(
            "--shard auto: {index_var}={k} is not below {n} shards"
        ));
    }
    Ok((k, n))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// Write what was asked for: the JSON results, the HTML report, the winning policy.
fn outputs(
    r: &TuneReport,
    out: Option<&Path>,
    json: Option<&Path>,
    report: Option<&Path>,
) -> Result<(), String> {
    // The results first: a template that keeps no candidate within the budget still has its
    // JSON and report written, and only the policy file is refused.
    if let Some(p) = json {
        let text = serde_json::to_string_pretty(r).map_err(|e| format!("cannot encode: {e}"))?;
        write(p, &(text + "\n"))?;
    }
    if let Some(p) = report {
        write(p, &tune_html(r))?;
        eprintln!("report written to {}", p.display());
    }
    if let Some(p) = out {
        let Some(best) = r.best() else {
            return Err(format!(
                "no candidate kept the SLO budget of {:.0} minutes on the train window: {} not written",
                r.max_slo_minutes,
                p.display()
            ));
        };
        let e = &r.evaluation;
        let chosen = if e.in_sample {
            "chosen and scored in-sample (no train window)".to_string()
        } else {
            format!(
                "chosen on {} within {:.0} SLO-violation minutes, scored on {}",
                e.train.as_deref().unwrap_or("-"),
                r.max_slo_minutes,
                e.test.as_deref().unwrap_or("the rest of the trace")
            )
        };
        let header = format!(
            "# Written by `sagescale tune` from {} on `{}`, {chosen}:\n# test window ${:.2} ({:+.1}% against aws-tuned at ${:.2}), {:.0} SLO-violation minutes (aws-tuned {:.0}).\n# {}\n",
            r.template.path.display(),
            r.scenario,
            best.test.cost_usd,
            (best.test.cost_usd / r.aws_tuned.test.cost_usd - 1.0) * 100.0,
            r.aws_tuned.test.cost_usd,
            best.test.slo_violation_minutes,
            r.aws_tuned.test.slo_violation_minutes,
            best.values
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        write(p, &(header + &r.template.render(best.index)))?;
        eprintln!("best policy written to {}", p.display());
    }
    Ok(())
}

/// `sagescale tune`.
pub fn run(a: &Args) -> ExitCode {
    let result = (|| -> Result<TuneReport, String> {
        let shard = match a.shard.as_deref() {
            Some(v) if v == "auto" || v.starts_with("auto/") => {
                Some(shard_from_env(v.strip_prefix("auto/"), &|k| {
                    std::env::var(k).ok()
                })?)
            }
            other => other.map(parse_shard).transpose()?,
        };
        if a.budget == 0 {
            return Err("--budget 0: nothing would run".into());
        }
        let window = |flag: &str, v: &Option<String>| {
            v.as_deref()
                .map(|w| scenario::WindowDoc::parse(w).map_err(|e| format!("--{flag} {e}")))
                .transpose()
        };
        let overrides = scenario::Overrides {
            train: window("train", &a.train)?,
            test: window("test", &a.test)?,
            ..scenario::Overrides::default()
        };
        let template = Template::read(&a.template)?;
        let s = scenario::load(&a.scenario, &overrides).map_err(|e| e.to_string())?;
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

#[cfg(test)]
mod tests {
    use super::shard_from_env;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn shard_auto_reads_aws_batch_and_kubernetes_indexed_jobs() {
        let batch = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "3")]);
        assert_eq!(shard_from_env(Some("8"), &batch), Ok((3, 8)));
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0"), ("TUNE_SHARD_COUNT", "4")]);
        assert_eq!(shard_from_env(None, &k8s), Ok((0, 4)));
        // auto/N wins over the environment's count.
        assert_eq!(shard_from_env(Some("6"), &k8s), Ok((0, 6)));
        let e = shard_from_env(Some("4"), &env(&[])).unwrap_err();
        assert!(
            e.contains("AWS_BATCH_JOB_ARRAY_INDEX") && e.contains("--shard K/N"),
            "{e}"
        );
        let e = shard_from_env(None, &batch).unwrap_err();
        assert!(
            e.contains("auto/N") && e.contains("TUNE_SHARD_COUNT"),
            "{e}"
        );
        let e = shard_from_env(Some("3"), &batch).unwrap_err();
        assert!(e.contains("not below 3"), "{e}");
        let e = shard_from_env(Some("x"), &batch).unwrap_err();
        assert!(e.contains("not a whole number"), "{e}");
    }
}
