//! The `sagescale` command: its arguments and the dispatch to one handler per subcommand
//! (`cli/`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// The version, the commit built from and the build date (`build.rs`).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BUILD_GIT_COMMIT"),
    ", built ",
    env!("BUILD_DATE_UTC"),
    ")"
);

/// An autoscaler for Amazon SageMaker endpoints.
#[derive(Parser)]
#[command(name = "sagescale", version = VERSION, about, long_about = None)]
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
        #[arg(long, conflicts_with_all = ["batch_job", "metrics"])]
        scenario: bool,
        /// The schema of `plan-batch` job files instead.
        #[arg(long, conflicts_with = "metrics")]
        batch_job: bool,
        /// The metric catalogue instead: every predefined metric, with what one value measures
        /// (Markdown, as in docs/metrics.md).
        #[arg(long)]
        metrics: bool,
    },
    /// Replay a trace's test window through each policy, AWS target tracking (at its defaults,
    /// on the high-resolution metric, and tuned on the train window), step scaling, the peers
    /// and the oracle.
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
        /// Write every datapoint each contender's policies saw, as CloudWatch GetMetricData
        /// JSON (each result's Label is the metric name), with the calls each made.
        #[arg(long)]
        emit_metrics: Option<PathBuf>,
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
    /// Read an endpoint's (or every endpoint's) Application Auto Scaling setup (scalable
    /// targets, target-tracking and step policies with their alarms, scheduled actions) and
    /// write the sagescale policy file that reproduces it, with a comment on whatever does not
    /// map.
    Import {
        /// Endpoint or inference-component names (default: every SageMaker scalable target).
        endpoints: Vec<String>,
        #[command(flatten)]
        aws: cli::aws_args::AwsArgs,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Start using sagescale on an endpoint: write `sagescale.toml` (relative paths, dry run
    /// on) and `policies/ENDPOINT.toml`, imported from its Application Auto Scaling setup or,
    /// when it has none, a starter policy.
    Init {
        /// The endpoint's name.
        endpoint: String,
        #[command(flatten)]
        aws: cli::aws_args::AwsArgs,
        /// Directory to write into.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Replace files that exist.
        #[arg(long)]
        force: bool,
    },
    /// Write the policies Application Auto Scaling runs natively (target tracking with AWS's
    /// alarms, step, scheduled) as Terraform, CloudFormation or an AWS CLI script. Kinds beyond
    /// AWS are refused by name.
    Export {
        /// Policy files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// terraform, cloudformation or cli.
        #[arg(long, value_enum)]
        format: cli::export::Format,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Export what AWS can run and list the rest as skipped, instead of refusing.
        #[arg(long)]
        skip_unsupported: bool,
    },
    /// Check everything the daemon needs, live and read-only: credentials, caller and region;
    /// per target, the endpoint, its registration and no attached AAS policy; a recent
    /// datapoint for every metric; and the permissions (IAM's simulation). Exit 1 on a failure.
    Doctor {
        /// Config file (.toml, .yaml).
        #[arg(long)]
        config: PathBuf,
        /// Exit 2 on a warning too (for CI).
        #[arg(long)]
        strict: bool,
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
    /// the cheapest setting that keeps the SLO on the scenario's train window, and report it on
    /// the later test window against AWS target tracking tuned the same way.
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
    /// Print a shell completion script: `sagescale completions bash > /etc/bash_completion.d/sagescale`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from these very arguments: `sagescale man >
    /// sagescale.1`; with `--out-dir`, write it and one page per subcommand
    /// (`sagescale-simulate.1`, ...) there.
    Man {
        /// Write sagescale.1 and sagescale-SUBCOMMAND.1 into this directory.
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(feature = "aws")]
    let _ = sagescale::daemon::telemetry::BUILD.set((
        env!("CARGO_PKG_VERSION").to_string(),
        env!("BUILD_GIT_COMMIT").to_string(),
        env!("BUILD_DATE_UTC").to_string(),
    ));
    match cli.command {
        Command::Validate { paths } => cli::validate::validate(&paths),
        Command::Schema {
            scenario,
            batch_job,
            metrics,
        } => cli::schema::run(scenario, batch_job, metrics),
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
            emit_metrics,
        } => cli::simulate::simulate(
            &scenario,
            trace,
            policies,
            seed,
            cli::simulate::Outputs {
                json: json.as_deref(),
                report: report.as_deref(),
                emit_metrics: emit_metrics.as_deref(),
            },
        ),
        Command::Export {
            paths,
            format,
            out,
            skip_unsupported,
        } => cli::export::run(&paths, format, out.as_deref(), skip_unsupported),
        Command::Healthcheck { url } => cli::healthcheck::healthcheck(&url),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "sagescale", &mut buf);
            cli::out(&String::from_utf8_lossy(&buf));
            ExitCode::SUCCESS
        }
        Command::Man { out_dir } => {
            cli::man::man(<Cli as clap::CommandFactory>::command(), out_dir.as_deref())
        }
        #[cfg(feature = "aws")]
        Command::Run { config } => cli::run::run(&config),
        #[cfg(feature = "aws")]
        Command::Plan {
            config,
            detailed_exitcode,
        } => cli::plan::plan(&config, detailed_exitcode),
        #[cfg(feature = "aws")]
        Command::Explain {
            target,
            config,
            log,
            last,
        } => cli::explain::explain(&target, config.as_deref(), log.as_deref(), last),
        #[cfg(feature = "aws")]
        Command::IamPolicy {
            paths,
            region,
            account,
            partition,
            lease_table,
            publish_metrics,
        } => cli::iam_policy::run(
            &paths,
            sagescale::daemon::iam::Scope {
                partition,
                region,
                account,
                lease_table,
                publish_metrics,
            },
        ),
        #[cfg(feature = "aws")]
        Command::Import {
            endpoints,
            aws,
            out,
        } => cli::import::import(&endpoints, &aws, out.as_deref()),
        #[cfg(feature = "aws")]
        Command::Init {
            endpoint,
            aws,
            dir,
            force,
        } => cli::import::init(&endpoint, &aws, &dir, force),
        #[cfg(feature = "aws")]
        Command::Doctor { config, strict } => cli::doctor::run(&config, strict),
        #[cfg(not(feature = "aws"))]
        Command::Doctor { .. } => cli::needs_aws("doctor"),
        #[cfg(not(feature = "aws"))]
        Command::Import { .. } => cli::needs_aws("import"),
        #[cfg(not(feature = "aws"))]
        Command::Init { .. } => cli::needs_aws("init"),
        #[cfg(not(feature = "aws"))]
        Command::Run { .. } => cli::needs_aws("run"),
        #[cfg(not(feature = "aws"))]
        Command::Plan { .. } => cli::needs_aws("plan"),
        #[cfg(not(feature = "aws"))]
        Command::Explain { .. } => cli::needs_aws("explain"),
        #[cfg(not(feature = "aws"))]
        Command::IamPolicy { .. } => cli::needs_aws("iam-policy"),
    }
}
