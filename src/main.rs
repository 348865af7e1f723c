//! The `sagescale` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use sagescale::{daemon, policy};

mod cli;

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
    /// Print the JSON Schema of a policy file (or of a scenario or plan-batch job file).
    Schema {
        /// The schema of simulator scenario files instead.
        #[arg(long, conflicts_with = "batch_job")]
        scenario: bool,
        /// The schema of `plan-batch` job files instead.
        #[arg(long)]
        batch_job: bool,
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
    /// Run the daemon: read CloudWatch, decide, move capacity through Application Auto Scaling.
    Run {
        /// Config file (.toml, .yaml); `SAGESCALE_*` environment variables override it.
        #[arg(long)]
        config: PathBuf,
    },
    /// Read live metrics and capacities once and print what the daemon would do now, and why.
    /// Changes nothing.
    Plan {
        /// Config file (.toml, .yaml).
        #[arg(long)]
        config: PathBuf,
        /// Exit with status 2 when any call would be made (for CI).
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Print the least-privilege IAM policy for a policy set (JSON).
    IamPolicy {
        /// Policy files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Region of the resources (`*` for any).
        #[arg(long, default_value = "*")]
        region: String,
        /// Account id (`*` for any).
        #[arg(long, default_value = "*")]
        account: String,
        /// AWS partition.
        #[arg(long, default_value = "aws")]
        partition: String,
        /// The high-availability lease table, if used.
        #[arg(long)]
        lease_table: Option<String>,
        /// Allow publishing sagescale's own metrics (namespace `sagescale`).
        #[arg(long)]
        publish_metrics: bool,
    },
    /// Exit 0 if the daemon's admin endpoint answers 200 (for container health checks, which
    /// have no shell or curl in the sagescale image).
    Healthcheck {
        /// The URL to check.
        #[arg(long, default_value = "http://127.0.0.1:9464/healthz")]
        url: String,
    },
    /// Search a policy template's `{{name = a..b step s}}` / `{{name = a | b}}` placeholders for
    /// the cheapest setting that keeps the SLO on a scenario's trace.
    Tune(cli::tune::Args),
    /// Merge the `--json` results of `tune --shard` runs; write the winner and the report.
    TuneMerge {
        /// JSON results of the shards.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write the winning policy file here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the merged results as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write an HTML report of the trade-off curve here.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Size a batch transform job: the cheapest instance type, instance count and
    /// MaxConcurrentTransforms that meet its deadline, and why every other setting lost.
    /// Exits 2 when no setting meets the deadline.
    PlanBatch {
        /// Job file (.toml, .yaml): the job and a measured profile per instance type.
        job: PathBuf,
        /// List every setting tried, not only the best of each kind.
        #[arg(long)]
        all: bool,
        /// Write every setting as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Tell the story of a target's recent decisions from the decision log.
    Explain {
        /// Target name, as in the policy file.
        target: String,
        /// Config file naming the decision log.
        #[arg(long, required_unless_present = "log")]
        config: Option<PathBuf>,
        /// The decision log itself.
        #[arg(long, conflicts_with = "config")]
        log: Option<PathBuf>,
        /// How many of the newest records to show.
        #[arg(long, default_value_t = 20)]
        last: usize,
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
        Command::Schema {
            scenario,
            batch_job,
        } => {
            if scenario {
                let schema = schemars::schema_for!(sagescale::sim::scenario::ScenarioDoc);
                out(&(serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"));
            } else if batch_job {
                let schema = schemars::schema_for!(sagescale::sim::batch_job::JobDoc);
                out(&(serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"));
            } else {
                out(&(policy::schema::policy_file_schema() + "\n"));
            }
            ExitCode::SUCCESS
        }
        Command::Tune(args) => cli::tune::run(&args),
        Command::PlanBatch { job, all, json } => cli::plan_batch::run(&job, all, json.as_deref()),
        Command::TuneMerge {
            files,
            out,
            json,
            report,
        } => cli::tune::merge(&files, out.as_deref(), json.as_deref(), report.as_deref()),
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
        Command::Run { config } => run(&config),
        Command::Plan {
            config,
            detailed_exitcode,
        } => plan(&config, detailed_exitcode),
        Command::Explain {
            target,
            config,
            log,
            last,
        } => explain(&target, config.as_deref(), log.as_deref(), last),
        Command::IamPolicy {
            paths,
            region,
            account,
            partition,
            lease_table,
            publish_metrics,
        } => {
            let set = match policy::load(&paths) {
                Ok((set, _)) => set,
                Err(problems) => {
                    eprintln!("{problems}");
                    return ExitCode::FAILURE;
                }
            };
            let scope = daemon::iam::Scope {
                partition,
                region,
                account,
                lease_table,
                publish_metrics,
            };
            let doc = daemon::iam::policy(&set, &scope);
            out(&(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"));
            ExitCode::SUCCESS
        }
        Command::Healthcheck { url } => healthcheck(&url),
    }
}

fn healthcheck(url: &str) -> ExitCode {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://") else {
        eprintln!("{url}: only http:// URLs (the admin endpoint is plain HTTP on a local address)");
        return ExitCode::FAILURE;
    };
    let (authority, path) = rest.split_once('/').map_or((rest, "/"), |(a, p)| (a, p));
    let path = if path == "/" {
        "/".to_string()
    } else {
        format!("/{path}")
    };
    let addr = match std::net::ToSocketAddrs::to_socket_addrs(authority).map(|mut a| a.next()) {
        Ok(Some(a)) => a,
        _ => {
            eprintln!("{url}: cannot resolve {authority}");
            return ExitCode::FAILURE;
        }
    };
    let timeout = std::time::Duration::from_secs(3);
    let result = std::net::TcpStream::connect_timeout(&addr, timeout).and_then(|mut s| {
        s.set_read_timeout(Some(timeout))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )?;
        let mut text = String::new();
        s.read_to_string(&mut text)?;
        Ok(text)
    });
    match result {
        Ok(text) if text.split_whitespace().nth(1) == Some("200") => ExitCode::SUCCESS,
        Ok(text) => {
            eprintln!("{url}: {}", text.lines().next().unwrap_or("no reply"));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{url}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(path: &std::path::Path) -> Option<daemon::config::Config> {
    match daemon::config::load(path, std::env::vars()) {
        Ok(c) => Some(c),
        Err(problems) => {
            eprintln!("{problems}");
            None
        }
    }
}

/// The SDK's own debug and trace events print its whole request context, credentials
/// identifiers included: they are capped at INFO whatever `RUST_LOG` asks (docs/security.md).
const SDK_CAPS: [&str; 6] = [
    "aws_smithy_runtime=info",
    "aws_smithy_runtime_api=info",
    "aws_smithy_http_client=info",
    "aws_config=info",
    "aws_credential_types=info",
    "aws_runtime=info",
];

fn log_filter(default: &str) -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::EnvFilter;
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    for cap in SDK_CAPS {
        if let Ok(d) = cap.parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

fn init_logs(format: daemon::config::LogFormat) {
    let filter = log_filter("info");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        daemon::config::LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
        daemon::config::LogFormat::Text => builder.init(),
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            None
        }
    }
}

fn run(path: &std::path::Path) -> ExitCode {
    let Some(config) = load_config(path) else {
        return ExitCode::FAILURE;
    };
    init_logs(config.doc.log_format);
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    match rt.block_on(daemon::service::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "sagescale cannot start");
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn plan(path: &std::path::Path, detailed_exitcode: bool) -> ExitCode {
    let Some(config) = load_config(path) else {
        return ExitCode::FAILURE;
    };
    // Only warnings on stderr: the plan itself is the output.
    let filter = log_filter("warn");
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    let report = match rt.block_on(daemon::service::plan_once(&config)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut text = format!(
        "plan at {} ({} target(s)):\n",
        report.at,
        report.targets.len()
    );
    let mut changes = 0;
    for t in &report.targets {
        text.push('\n');
        text.push_str(&t.explanation);
        text.push('\n');
        if let Some((call, _)) = &t.call {
            changes += 1;
            text.push_str(&format!(
                "  would call RegisterScalableTarget min={} max={} ({})\n",
                call.min,
                call.max,
                daemon::controller::purpose_name(call.purpose)
            ));
        }
        if let Some((endpoint, weights, _)) = &t.weights {
            changes += 1;
            let shown: Vec<String> = weights
                .iter()
                .map(|w| format!("{}={}", w.variant, w.weight))
                .collect();
            text.push_str(&format!(
                "  would call UpdateEndpointWeightsAndCapacities on {endpoint}: {}\n",
                shown.join(" ")
            ));
        }
    }
    text.push_str(&format!(
        "\n{changes} call(s) would be made; {} target(s) unreadable; {} metric batch(es) failed\n",
        report.capacity_errors, report.metric_failures
    ));
    out(&text);
    if report.capacity_errors > 0 || report.metric_failures > 0 {
        return ExitCode::FAILURE;
    }
    if detailed_exitcode && changes > 0 {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

fn explain(
    target: &str,
    config: Option<&std::path::Path>,
    log: Option<&std::path::Path>,
    last: usize,
) -> ExitCode {
    let path = match (log, config) {
        (Some(l), _) => l.to_path_buf(),
        (None, Some(c)) => match load_config(c) {
            Some(c) => c.doc.decision_log,
            None => return ExitCode::FAILURE,
        },
        (None, None) => {
            eprintln!("explain needs --config or --log");
            return ExitCode::FAILURE;
        }
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: cannot read the decision log: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    match daemon::explain::story(&text, target, last) {
        Ok(s) => {
            out(&s);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            ExitCode::FAILURE
        }
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
