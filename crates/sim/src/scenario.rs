//! Scenario files: the trace, how its series map to simulated endpoints, each endpoint's fleet
//! and SLO, and the policies to compare. Validated as strictly as policy files.

use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use super::batching::{BatchingCurve, CurveError};
use super::cloudwatch::CloudWatchModel;
use super::fleet::FleetSpec;
use super::model_cache::CacheSpec;
use super::oracle::Slo;
use super::quality::QualitySpec;
use super::serverless::ServerlessSpec;
use super::service_law::ServiceLaw;
use super::trace::{self, parse_timestamp, Trace, TraceError, TraceOptions};
use sagescale_engine::Timestamp;
use sagescale_files::diagnostic::{child, item};
use sagescale_instances::instance_type;
use sagescale_policy::document::WorkloadDoc;
use sagescale_policy::{Diagnostic, Diagnostics, PolicySet};

/// A scenario file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioDoc {
    /// Title of the comparison.
    pub name: String,
    /// What the scenario shows.
    #[serde(default)]
    pub description: String,
    /// Seed of every random draw (provisioning delays, ingestion delays). Default 1.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The trace and how to read it.
    pub trace: TraceOptions,
    /// Simulation settings.
    #[serde(default)]
    pub simulation: SimulationDoc,
    /// Simulated endpoints, one per trace series (none beside `inference_components`).
    #[serde(default)]
    pub targets: Vec<SimTargetDoc>,
    /// Policies to compare, besides the AWS target-tracking emulation and the oracle.
    #[serde(default)]
    pub policies: Vec<PolicyRefDoc>,
    /// Walk-forward evaluation: the window the baselines (and `tune`) are tuned on, before the
    /// `[trace]` window everything is scored on.
    #[serde(default)]
    pub evaluation: Option<EvaluationDoc>,
    /// An endpoint whose models are inference components sharing its instances
    /// (`ic_scenario.rs`); `targets` may then be empty.
    #[serde(default)]
    pub inference_components: Option<super::ic_scenario::IcEndpointDoc>,
}

/// Walk-forward evaluation: tune on `train`, score on the `[trace]` window (`from`..`until`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationDoc {
    /// The train window: it must end at or before the test window (the trace's `from`) starts.
    pub train: WindowDoc,
    /// Why the windows are what they are (e.g. a short trace split in two); shown in reports.
    #[serde(default)]
    pub note: Option<String>,
}

/// A window of the trace: `from` included, `until` excluded (RFC 3339, or as the trace writes
/// its timestamps).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowDoc {
    /// First instant.
    pub from: String,
    /// End (excluded).
    pub until: String,
}

impl WindowDoc {
    /// Parse `FROM..UNTIL`.
    ///
    /// # Errors
    /// Not two instants joined by `..`, or either is not a timestamp, or `until` is not after
    /// `from`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (from, until) = text.split_once("..").ok_or_else(|| {
            format!("`{text}`: write FROM..UNTIL, e.g. 1998-06-17T00:00:00Z..1998-06-24T00:00:00Z")
        })?;
        let w = Self {
            from: from.trim().to_string(),
            until: until.trim().to_string(),
        };
        let (a, b) = w.instants().map_err(|e| format!("`{text}`: {e}"))?;
        if b.0 <= a.0 {
            return Err(format!("`{text}`: UNTIL must be after FROM"));
        }
        Ok(w)
    }

    /// The two instants.
    ///
    /// # Errors
    /// Either is not a timestamp.
    pub fn instants(&self) -> Result<(Timestamp, Timestamp), String> {
        Ok((parse_timestamp(&self.from)?, parse_timestamp(&self.until)?))
    }
}

impl fmt::Display for WindowDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.from, self.until)
    }
}

/// Simulation settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationDoc {
    /// Seconds between policy evaluations. Default 60.
    #[serde(default)]
    pub evaluation_interval: Option<u32>,
    /// Shortest CloudWatch ingestion delay, seconds. Default 60.
    #[serde(default)]
    pub cloudwatch_delay_min_s: Option<u32>,
    /// Longest CloudWatch ingestion delay, seconds. Default 120.
    #[serde(default)]
    pub cloudwatch_delay_max_s: Option<u32>,
}

/// A simulated endpoint variant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimTargetDoc {
    /// Name; the compared policy files' target of this name drives it.
    pub name: String,
    /// Trace series. Default: the first. A multi-model endpoint takes `"*"`: every series is
    /// one model.
    #[serde(default)]
    pub series: Option<String>,
    /// `realtime` (default), `multi-model`, `async` or `serverless`. A serverless endpoint
    /// scales its provisioned concurrency: `min`, `max` and `initial` count units of it, and
    /// `serverless` gives its memory, `MaxConcurrency`, cold starts and prices.
    #[serde(default)]
    pub workload: Option<WorkloadDoc>,
    /// Multi-model: memory of one model, GB. Default 1.
    #[serde(default)]
    pub model_size_gb: Option<f64>,
    /// Multi-model: memory one instance gives to models, GB. Default 16.
    #[serde(default)]
    pub cache_gb_per_instance: Option<f64>,
    /// Multi-model: seconds to load a model from S3. Default 5.
    #[serde(default)]
    pub model_load_s: Option<f64>,
    /// `ml.*` instance type (not for serverless endpoints).
    #[serde(default)]
    pub instance_type: Option<String>,
    /// USD per instance-hour. Default: the built-in table's.
    #[serde(default)]
    pub price_per_hour: Option<f64>,
    /// Mean model latency of one request, milliseconds. Required unless `batching` gives the
    /// latency at every load.
    #[serde(default)]
    pub latency_ms: Option<f64>,
    /// Coefficient of variation of one request's model latency: 1 (default) an exponential
    /// service time, 0 a deterministic one, otherwise log-normal with that CV (0 to 10).
    /// Real-time and multi-model endpoints. Give this or `latency_quantiles_ms`.
    #[serde(default)]
    pub latency_cv: Option<f64>,
    /// The shape of the model latency from its percentiles (e.g. CloudWatch's ModelLatency
    /// p50 and p99): a log-normal with that p99 / p50 ratio, around the mean `latency_ms`.
    #[serde(default)]
    pub latency_quantiles_ms: Option<LatencyQuantilesDoc>,
    /// Requests one instance serves at once. Default 1 (with `batching`, the curve's last
    /// `in_flight`).
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// Real-time endpoints: a batched server's measured curve, from a load test or an
    /// inference-server benchmark. Latency then depends on the load; it replaces `latency_ms`,
    /// `concurrency` and the service law.
    #[serde(default)]
    pub batching: Option<BatchingDoc>,
    /// Median provisioning delay, seconds. Default: the built-in table's.
    #[serde(default)]
    pub provisioning_median_s: Option<f64>,
    /// Log-normal shape of the provisioning delay. Default 0.35.
    #[serde(default)]
    pub provisioning_sigma: Option<f64>,
    /// Seconds a removed instance drains. Default 30.
    #[serde(default)]
    pub drain_s: Option<u32>,
    /// Request timeout, seconds. Default 60 (SageMaker real-time); 3600 for async, after
    /// which a waiting request expires.
    #[serde(default)]
    pub timeout_s: Option<f64>,
    /// Lower bound for the AWS emulation and the oracle.
    pub min: u32,
    /// Upper bound for the AWS emulation and the oracle.
    pub max: u32,
    /// Instances at the start. Default `min`.
    #[serde(default)]
    pub initial: Option<u32>,
    /// The objective.
    pub slo: SloDoc,
    /// Real-time: also estimate serving this traffic on SageMaker Serverless Inference,
    /// pay-per-use. Default: 4 GB of memory at $0.00002 per GB-second, for CPU instance types
    /// (Serverless Inference has no accelerators; give this to estimate a GPU model anyway).
    /// Serverless endpoints: the endpoint's configuration and prices.
    #[serde(default)]
    pub serverless: Option<ServerlessDoc>,
    /// Target value for the AWS emulation: InvocationsPerInstance for real-time (default AWS's
    /// load-testing guidance, 0.5 × the instance's maximum requests per second × 60),
    /// ApproximateBacklogSizePerInstance for async (default 5, AWS's example),
    /// ServerlessProvisionedConcurrencyUtilization for serverless (default 0.5).
    #[serde(default)]
    pub aws_target: Option<f64>,
    /// A variant with a quality guard: its quality series and the fallback variant beside it.
    #[serde(default)]
    pub quality: Option<QualityDoc>,
    /// An inference component: the accelerators one copy needs on its endpoint's instances.
    /// Default 1.
    #[serde(default)]
    pub accelerators: Option<u32>,
}

/// Percentiles of the model latency, milliseconds.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencyQuantilesDoc {
    /// Median.
    pub p50: f64,
    /// 99th percentile: above the median.
    pub p99: f64,
}

/// A batched server's throughput against the requests in flight on one instance, as a load
/// test measures it (Triton's perf_analyzer prints "Concurrency: N, throughput: X infer/sec").
/// Between points throughput is linear; below the first a request takes the first point's
/// latency; the last point is the most one instance serves at once. Each request's latency is
/// in-flight / throughput (Little's law) and may not fall as the in-flight count rises.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchingDoc {
    /// Requests in flight on one instance, strictly increasing, from 1.
    pub in_flight: Vec<f64>,
    /// Requests per second one instance completes at each `in_flight`.
    pub throughput_rps: Vec<f64>,
    /// Where the curve was measured.
    #[serde(default)]
    pub source: Option<String>,
}

/// A quality-guarded variant: the quality metric's recorded series, what counts as degraded,
/// and how the endpoint's traffic splits with the fallback variant (same fleet model).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityDoc {
    /// CSV of `time,value` rows (e.g. a Model Monitor metric exported from CloudWatch),
    /// relative to the scenario file.
    pub path: String,
    /// The metric name the compared policies' quality checks read (any namespace).
    pub metric: String,
    /// Requests are degraded while the value is above this (drift, error rate)...
    #[serde(default)]
    pub degraded_above: Option<f64>,
    /// ...or below this (accuracy, precision). Give exactly one.
    #[serde(default)]
    pub degraded_below: Option<f64>,
    /// This variant's share of the endpoint's traffic before any guard acts, in (0, 1); the
    /// fallback takes the rest.
    pub weight: f64,
    /// The fallback target's name in the compared policy files.
    pub fallback: String,
    /// The fallback's instances at the start. Default 1.
    #[serde(default)]
    pub fallback_initial: Option<u32>,
}

/// Serverless Inference: memory and on-demand price (for the pay-per-use estimate and for
/// serverless endpoints), and, for serverless endpoints, the rest of their configuration.
/// Prices are approximate us-east-1 list prices; set your own.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerlessDoc {
    /// Memory size, GB (1 to 6). Default 4.
    #[serde(default)]
    pub memory_gb: Option<f64>,
    /// USD per GB-second of on-demand compute. Default 0.00002.
    #[serde(default)]
    pub price_per_gb_second: Option<f64>,
    /// Serverless endpoints: `MaxConcurrency`, 1 to 200. Default 20.
    #[serde(default)]
    pub max_concurrency: Option<u32>,
    /// Serverless endpoints: USD per GB-second of provisioned concurrency, busy or idle.
    /// Default 0.000005.
    #[serde(default)]
    pub provisioned_price_per_gb_second: Option<f64>,
    /// Serverless endpoints: USD per GB-second of compute served on provisioned concurrency.
    /// Default 0.0000117.
    #[serde(default)]
    pub provisioned_inference_price_per_gb_second: Option<f64>,
    /// Serverless endpoints: median cold start (model set-up), seconds. Default 5.
    #[serde(default)]
    pub cold_start_s: Option<f64>,
    /// Serverless endpoints: log-normal shape of the cold start. Default 0.5.
    #[serde(default)]
    pub cold_start_sigma: Option<f64>,
    /// Serverless endpoints: seconds an idle on-demand environment stays warm. Default 600.
    #[serde(default)]
    pub keep_warm_s: Option<u32>,
}

/// A latency and error objective.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloDoc {
    /// Real-time: 99th-percentile latency bound, milliseconds.
    #[serde(default)]
    pub p99_latency_ms: Option<f64>,
    /// Async: bound on the age of the oldest request, seconds.
    #[serde(default)]
    pub max_age_s: Option<f64>,
    /// Largest acceptable failed fraction in a minute. Default 0.001.
    #[serde(default)]
    pub max_error_rate: Option<f64>,
}

/// A policy set to compare.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRefDoc {
    /// Name in the report.
    pub name: String,
    /// Policy file or directory, relative to the scenario file.
    pub path: String,
}

/// A simulated endpoint, resolved.
#[derive(Clone, Debug)]
pub struct SimTarget {
    /// Name.
    pub name: String,
    /// Index of its series in the trace.
    pub series: usize,
    /// An asynchronous endpoint: requests queue; the SLO bounds the oldest request's age.
    pub asynchronous: bool,
    /// A multi-model endpoint: the model cache, and the series of each model.
    pub cache: Option<CacheSpec>,
    /// Multi-model endpoints: the trace series of each model (their sum is the traffic).
    pub models: Vec<usize>,
    /// Fleet model.
    pub fleet: FleetSpec,
    /// Lower bound (AWS emulation, oracle).
    pub min: u32,
    /// Upper bound (AWS emulation, oracle).
    pub max: u32,
    /// Instances at the start.
    pub initial: u32,
    /// The objective.
    pub slo: Slo,
    /// The AWS emulation's target value.
    pub aws_target: f64,
    /// Real-time and serverless: serverless memory (GB) and on-demand price per GB-second, for
    /// the pay-per-use estimate.
    pub serverless: Option<(f64, f64)>,
    /// A serverless endpoint: capacity is provisioned concurrency.
    pub serverless_endpoint: Option<ServerlessSpec>,
    /// A quality-guarded variant: its quality series and fallback.
    pub quality: Option<QualitySpec>,
}

/// A compared policy set, with the target that drives each simulated endpoint.
#[derive(Debug)]
pub struct ComparedPolicy {
    /// Name in the report.
    pub name: String,
    /// The set.
    pub set: PolicySet,
    /// For each simulated endpoint, the index of its target in `set.targets`.
    pub target_of: Vec<usize>,
}

/// A loaded, validated scenario.
#[derive(Debug)]
pub struct Scenario {
    /// Title.
    pub name: String,
    /// Description.
    pub description: String,
    /// Seed.
    pub seed: u64,
    /// Trace file.
    pub trace_path: PathBuf,
    /// The trace.
    pub trace: Trace,
    /// Seconds between evaluations.
    pub evaluation_interval: u32,
    /// CloudWatch model.
    pub cloudwatch: CloudWatchModel,
    /// Simulated endpoints.
    pub targets: Vec<SimTarget>,
    /// An endpoint of inference components, compared on its own (`ic_compare.rs`).
    pub inference_components: Option<super::ic_scenario::IcEndpoint>,
    /// The compared policies. `target_of` indexes `targets`, then the components.
    pub policies: Vec<ComparedPolicy>,
    /// The window scored (`None`: the whole trace).
    pub window: Option<WindowDoc>,
    /// Walk-forward evaluation: the same scenario over the train window, where the baselines
    /// and `tune` choose their settings. `None`: no train window, so tuning is in-sample.
    pub train: Option<Box<Scenario>>,
    /// Why the windows are what they are.
    pub evaluation_note: Option<String>,
}

impl Scenario {
    /// What a compared policy drives, by name: the endpoints, then the components.
    #[must_use]
    pub fn driven(&self) -> Vec<SimTarget> {
        driven(&self.targets, self.inference_components.as_ref())
    }

    /// Requests per interval at `t`: its series, or the sum of its models' series.
    #[must_use]
    pub fn arrivals(&self, t: &SimTarget) -> std::borrow::Cow<'_, [f64]> {
        if t.models.is_empty() {
            return std::borrow::Cow::Borrowed(&self.trace.series[t.series].counts);
        }
        let mut total = vec![0.0; self.trace.len()];
        for &m in &t.models {
            for (sum, c) in total.iter_mut().zip(&self.trace.series[m].counts) {
                *sum += c;
            }
        }
        std::borrow::Cow::Owned(total)
    }

    /// Multi-model endpoints: each model's requests per interval.
    #[must_use]
    pub fn model_arrivals(&self, t: &SimTarget) -> Vec<&[f64]> {
        t.models
            .iter()
            .map(|&m| self.trace.series[m].counts.as_slice())
            .collect()
    }

    /// Requests per interval at `t` over the lead-in: the steps before the window that runs
    /// replay unscored (empty when the trace holds none before it).
    #[must_use]
    pub fn lead_in(&self, t: &SimTarget) -> std::borrow::Cow<'_, [f64]> {
        let of = |m: usize| self.trace.lead_in.get(m).map_or(&[][..], Vec::as_slice);
        if t.models.is_empty() {
            return std::borrow::Cow::Borrowed(of(t.series));
        }
        let mut total = vec![0.0; self.trace.lead_in.first().map_or(0, Vec::len)];
        for &m in &t.models {
            for (sum, c) in total.iter_mut().zip(of(m)) {
                *sum += c;
            }
        }
        std::borrow::Cow::Owned(total)
    }

    /// Multi-model endpoints: each model's requests per interval over the lead-in.
    #[must_use]
    pub fn model_lead_in(&self, t: &SimTarget) -> Vec<&[f64]> {
        t.models
            .iter()
            .map(|&m| self.trace.lead_in.get(m).map_or(&[][..], Vec::as_slice))
            .collect()
    }
}

/// What the command line overrides.
#[derive(Debug, Default)]
pub struct Overrides {
    /// Replay this trace instead (read as is: no slicing, scaling or column choice).
    pub trace: Option<PathBuf>,
    /// Compare these policy files or directories instead, each named by its file stem.
    pub policies: Vec<PathBuf>,
    /// Use this seed.
    pub seed: Option<u64>,
    /// Score on this window instead of the trace's `from`..`until`.
    pub test: Option<WindowDoc>,
    /// Tune on this window instead of the scenario's `[evaluation] train`.
    pub train: Option<WindowDoc>,
}

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub enum ScenarioError {
    /// Problems in the scenario file.
    Scenario(Diagnostics),
    /// A trace problem.
    Trace(TraceError),
    /// Problems in a compared policy set.
    Policy {
        /// The compared policy's name.
        name: String,
        /// Its problems.
        problems: Diagnostics,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scenario(d) => write!(f, "{d}"),
            Self::Trace(e) => write!(f, "{e}"),
            Self::Policy { name, problems } => write!(f, "policy `{name}`:\n{problems}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Load and validate a scenario, and its train window when it has one.
pub fn load(path: &Path, o: &Overrides) -> Result<Scenario, ScenarioError> {
    load_window(path, o, true)
}

fn load_window(path: &Path, o: &Overrides, with_train: bool) -> Result<Scenario, ScenarioError> {
    let mut out = Vec::new();
    let Some((doc, file)) = sagescale_files::read::read_document::<ScenarioDoc>(path, &mut out)
    else {
        return Err(ScenarioError::Scenario(Diagnostics(out)));
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let mut err = |p: &str, m: String| out.push(file.diagnostic(p, m));

    let mut options = doc.trace.clone();
    let trace_path = match (&o.trace, &doc.trace.path) {
        (Some(t), _) => {
            options = TraceOptions::default();
            t.clone()
        }
        (None, Some(p)) => base.join(p),
        (None, None) => {
            err("trace.path", "the trace file is missing".into());
            PathBuf::new()
        }
    };
    let sim = &doc.simulation;
    let evaluation_interval = sim.evaluation_interval.unwrap_or(60);
    if evaluation_interval == 0 || evaluation_interval % 10 != 0 {
        err(
            "simulation.evaluation_interval",
            format!("{evaluation_interval} s: use a positive multiple of 10 s"),
        );
    }
    let cloudwatch = CloudWatchModel {
        delay_min_s: sim.cloudwatch_delay_min_s.unwrap_or(60),
        delay_max_s: sim.cloudwatch_delay_max_s.unwrap_or(120),
    };
    if cloudwatch.delay_min_s > cloudwatch.delay_max_s {
        err(
            "simulation.cloudwatch_delay_min_s",
            "the shortest delay exceeds the longest".into(),
        );
    }
    if doc.targets.is_empty() && doc.inference_components.is_none() {
        err(
            "targets",
            "a scenario needs at least one target (or `inference_components`)".into(),
        );
    }
    let ic = doc
        .inference_components
        .as_ref()
        .and_then(|d| super::ic_scenario::ic_endpoint(d, "inference_components", &mut err));

    let mut targets = Vec::new();
    for (i, t) in doc.targets.iter().enumerate() {
        let p = item("targets", i);
        if let Some(resolved) = target(t, &p, None, &mut err) {
            targets.push((resolved, t.series.clone()));
        }
    }
    if doc.policies.is_empty() && o.policies.is_empty() {
        err(
            "policies",
            "name at least one policy file to compare (or pass --policy)".into(),
        );
    }
    // The test window: asked for, or the trace's own; the train window must end before it.
    if let Some(w) = &o.test {
        options.from = Some(w.from.clone());
        options.until = Some(w.until.clone());
    }
    let window = match (&options.from, &options.until) {
        (Some(from), Some(until)) => Some(WindowDoc {
            from: from.clone(),
            until: until.clone(),
        }),
        _ => None,
    };
    // A replacement trace has its own times: the scenario's train window is not its.
    let train = if with_train {
        o.train.clone().or_else(|| {
            o.trace
                .is_none()
                .then(|| doc.evaluation.as_ref().map(|e| e.train.clone()))
                .flatten()
        })
    } else {
        None
    };
    if let Some(tw) = &train {
        let field = if o.train.is_some() {
            "--train"
        } else {
            "evaluation.train"
        };
        match (tw.instants(), options.from.as_deref().map(parse_timestamp)) {
            (Err(e), _) => err(field, e),
            (Ok((a, b)), _) if b.0 <= a.0 => {
                err(field, format!("{tw}: `until` must be after `from`"));
            }
            (Ok(_), None) => err(
                field,
                "the test window has no start: give `trace.from` (or --test) so the train window can end before it".into(),
            ),
            (Ok(_), Some(Err(e))) => err("trace.from", e),
            (Ok((_, until)), Some(Ok(test_from))) if until.0 > test_from.0 => err(
                field,
                format!(
                    "{tw} overlaps the test window starting {}: the train window must end at or before it (a policy tuned on what it is scored on is in-sample)",
                    options.from.as_deref().unwrap_or_default()
                ),
            ),
            _ => {}
        }
    }
    if !out.is_empty() {
        return Err(ScenarioError::Scenario(Diagnostics(out)));
    }

    let trace = trace::read(&trace_path, &options).map_err(ScenarioError::Trace)?;
    for ((t, _), d) in targets.iter_mut().zip(&doc.targets) {
        if let (Some(q), Some(qd)) = (t.quality.as_mut(), &d.quality) {
            q.points = trace::read_values(&base.join(&qd.path)).map_err(ScenarioError::Trace)?;
        }
    }
    let series_of = |name: &Option<String>| match name {
        Some(name) => trace
            .series
            .iter()
            .position(|s| &s.name == name)
            .ok_or_else(|| {
                let have: Vec<&str> = trace
                    .series
                    .iter()
                    .map(|s| s.name.as_str())
                    .take(20)
                    .collect();
                ScenarioError::Trace(TraceError {
                    file: trace_path.clone(),
                    line: None,
                    column: Some(name.clone()),
                    message: format!("no such series; the trace has: {}", have.join(", ")),
                })
            }),
        None => Ok(0),
    };
    let inference_components = match ic {
        Some((mut e, series)) => {
            for (c, name) in e.components.iter_mut().zip(&series) {
                c.series = series_of(name)?;
            }
            Some(e)
        }
        None => None,
    };
    let mut resolved = Vec::new();
    for (mut t, series) in targets {
        if t.cache.is_some() {
            t.models = (0..trace.series.len()).collect();
            resolved.push(t);
            continue;
        }
        t.series = series_of(&series)?;
        resolved.push(t);
    }

    let refs: Vec<(String, PathBuf)> = if o.policies.is_empty() {
        doc.policies
            .iter()
            .map(|r| (r.name.clone(), base.join(&r.path)))
            .collect()
    } else {
        o.policies
            .iter()
            .map(|p| {
                (
                    p.file_stem().map_or_else(
                        || p.display().to_string(),
                        |s| s.to_string_lossy().into_owned(),
                    ),
                    p.clone(),
                )
            })
            .collect()
    };
    let driven = driven(&resolved, inference_components.as_ref());
    let mut policies = Vec::new();
    for (name, p) in refs {
        policies.push(compared_policy(name, &p, &driven)?);
    }

    let train = match train {
        Some(w) => {
            let o = Overrides {
                test: Some(w),
                train: None,
                trace: o.trace.clone(),
                policies: o.policies.clone(),
                seed: o.seed,
            };
            let label = o.test.as_ref().map(ToString::to_string).unwrap_or_default();
            Some(Box::new(load_window(path, &o, false).map_err(
                |e| match e {
                    ScenarioError::Trace(mut t) => {
                        t.message = format!("train window {label}: {}", t.message);
                        ScenarioError::Trace(t)
                    }
                    other => other,
                },
            )?))
        }
        None => None,
    };
    Ok(Scenario {
        name: doc.name,
        description: doc.description,
        seed: o.seed.or(doc.seed).unwrap_or(1),
        trace_path,
        trace,
        evaluation_interval,
        cloudwatch,
        targets: resolved,
        inference_components,
        policies,
        window,
        train,
        evaluation_note: doc.evaluation.and_then(|e| e.note),
    })
}

/// A policy drives the endpoints, then the components, each by name.
fn driven(
    targets: &[SimTarget],
    components: Option<&super::ic_scenario::IcEndpoint>,
) -> Vec<SimTarget> {
    targets
        .iter()
        .chain(components.into_iter().flat_map(|e| &e.components))
        .cloned()
        .collect()
}

/// Load the policy file or directory `p` as the contender `name`, and find the target that
/// drives each of `targets` (by name; a lone target drives a lone endpoint).
///
/// # Errors
/// The policy set's problems, or a simulated endpoint with no target to drive it.
pub fn compared_policy(
    name: String,
    p: &Path,
    targets: &[SimTarget],
) -> Result<ComparedPolicy, ScenarioError> {
    let (set, _) =
        sagescale_policy::load(&[p.to_path_buf()]).map_err(|problems| ScenarioError::Policy {
            name: name.clone(),
            problems,
        })?;
    compared_set(name, set, p, targets)
}

/// A policy given as text (reported under `p`, whose extension gives the format), matched to
/// the scenario's targets: what `tune` compiles each candidate with, in memory.
pub fn compared_policy_text(
    name: String,
    p: &Path,
    text: &str,
    targets: &[SimTarget],
) -> Result<ComparedPolicy, ScenarioError> {
    let set = sagescale_policy::load_text(p, text).map_err(|problems| ScenarioError::Policy {
        name: name.clone(),
        problems,
    })?;
    compared_set(name, set, p, targets)
}

/// Match a compiled set's targets to the scenario's.
fn compared_set(
    name: String,
    set: PolicySet,
    p: &Path,
    targets: &[SimTarget],
) -> Result<ComparedPolicy, ScenarioError> {
    let mut target_of = Vec::new();
    for t in targets {
        let found = set
            .targets
            .iter()
            .position(|s| s.name == t.name)
            .or_else(|| (set.targets.len() == 1 && targets.len() == 1).then_some(0));
        let Some(idx) = found else {
            return Err(ScenarioError::Policy {
                name,
                problems: Diagnostics(vec![Diagnostic {
                    file: p.to_path_buf(),
                    path: "targets".into(),
                    line: None,
                    column: None,
                    message: format!(
                        "no target named `{}` to drive the simulated endpoint of that name",
                        t.name
                    ),
                }]),
            });
        };
        target_of.push(idx);
        if let Some(q) = &t.quality {
            if !set.targets.iter().any(|s| s.name == q.fallback) {
                return Err(ScenarioError::Policy {
                    name,
                    problems: Diagnostics(vec![Diagnostic {
                        file: p.to_path_buf(),
                        path: "targets".into(),
                        line: None,
                        column: None,
                        message: format!(
                            "no target named `{}`: the simulated endpoint `{}` falls back to it",
                            q.fallback, t.name
                        ),
                    }]),
                });
            }
        }
    }
    Ok(ComparedPolicy {
        name,
        set,
        target_of,
    })
}

/// A target's batching curve, or its first problem at its field.
fn batching_curve(
    b: &BatchingDoc,
    p: &str,
    err: &mut impl FnMut(&str, String),
) -> Option<BatchingCurve> {
    if b.in_flight.len() != b.throughput_rps.len() {
        err(
            &child(p, "throughput_rps"),
            format!(
                "{} throughputs for {} in-flight counts: give one throughput per `in_flight`",
                b.throughput_rps.len(),
                b.in_flight.len()
            ),
        );
        return None;
    }
    let points: Vec<(f64, f64)> = b
        .in_flight
        .iter()
        .copied()
        .zip(b.throughput_rps.iter().copied())
        .collect();
    match BatchingCurve::new(points) {
        Ok(c) => Some(c),
        Err(e) => {
            let (field, i, why) = match e {
                CurveError::Empty => ("in_flight", None, "give at least one point".to_string()),
                CurveError::InFlightOrder(i) => (
                    "in_flight",
                    Some(i),
                    format!("{}: in-flight counts start at 1 and strictly increase", b.in_flight[i]),
                ),
                CurveError::Throughput(i) => (
                    "throughput_rps",
                    Some(i),
                    format!("{}: a throughput is requests per second, above 0", b.throughput_rps[i]),
                ),
                CurveError::LatencyFalls(i) => (
                    "throughput_rps",
                    Some(i),
                    format!(
                        "{} requests/s at {} in flight is {:.2} ms a request, faster than {:.2} ms at {}: more in flight never makes a request faster; check the point",
                        b.throughput_rps[i],
                        b.in_flight[i],
                        1000.0 * b.in_flight[i] / b.throughput_rps[i],
                        1000.0 * b.in_flight[i - 1] / b.throughput_rps[i - 1],
                        b.in_flight[i - 1]
                    ),
                ),
            };
            let at = child(p, field);
            err(&i.map_or(at.clone(), |i| item(&at, i)), why);
            None
        }
    }
}

/// Target `t` at field path `p`; `component_of` names the instance type of the endpoint whose
/// inference component it is.
pub(crate) fn target(
    t: &SimTargetDoc,
    p: &str,
    component_of: Option<&str>,
    err: &mut impl FnMut(&str, String),
) -> Option<SimTarget> {
    let workload = t.workload.unwrap_or(WorkloadDoc::Realtime);
    let asynchronous = workload == WorkloadDoc::Async;
    let endpoint = (workload == WorkloadDoc::Serverless).then(|| serverless_endpoint(t, p, err));
    if component_of.is_some() {
        for (field, given) in [
            ("instance_type", t.instance_type.is_some()),
            ("workload", t.workload.is_some()),
            ("price_per_hour", t.price_per_hour.is_some()),
            ("provisioning_median_s", t.provisioning_median_s.is_some()),
            ("provisioning_sigma", t.provisioning_sigma.is_some()),
            ("drain_s", t.drain_s.is_some()),
        ] {
            if given {
                err(
                    &child(p, field),
                    "not on a component: its copies run on the endpoint's instances, whose type, price and delays `inference_components` gives".into(),
                );
            }
        }
        for (field, given, why) in [
            (
                "quality",
                t.quality.is_some(),
                "a quality guard shifts a variant's traffic weight; components have none",
            ),
            (
                "serverless",
                t.serverless.is_some(),
                "the comparison says per model whether it fits Serverless Inference",
            ),
            (
                "aws_target",
                t.aws_target.is_some(),
                "AWS's recipe is tuned as a factor of each copy's concurrency",
            ),
        ] {
            if given {
                err(&child(p, field), format!("not on a component: {why}"));
            }
        }
    } else if t.accelerators.is_some() {
        err(
            &child(p, "accelerators"),
            "only for a component of `inference_components`".into(),
        );
    }
    let type_name = match (&t.instance_type, endpoint) {
        _ if component_of.is_some() => component_of.unwrap_or_default().to_string(),
        (Some(name), None) => name.clone(),
        (None, None) => {
            err(
                &child(p, "instance_type"),
                "missing: give the `ml.*` instance type (only serverless endpoints go without)"
                    .into(),
            );
            String::new()
        }
        (Some(_), Some(_)) => {
            err(
                &child(p, "instance_type"),
                "a serverless endpoint has no instance type: remove it".into(),
            );
            String::new()
        }
        (None, Some(e)) => format!("serverless {} GB", e.memory_gb),
    };
    let known = instance_type(&type_name);
    if endpoint.is_none()
        && known.is_none()
        && (t.price_per_hour.is_none() || t.provisioning_median_s.is_none())
    {
        err(
            &child(p, "instance_type"),
            format!(
                "`{type_name}` is not in the built-in table: give price_per_hour and provisioning_median_s"
            ),
        );
    }
    let price = match endpoint {
        Some(e) => e.pc_price_per_hour(),
        None => t
            .price_per_hour
            .or(known.map(|k| k.price_per_hour))
            .unwrap_or(0.0),
    };
    let median = t
        .provisioning_median_s
        .or(known.map(|k| k.provisioning_median_s))
        .unwrap_or(120.0);
    let positive = |v: f64| v.is_finite() && v > 0.0;
    if !positive(price) {
        err(
            &child(p, "price_per_hour"),
            format!("{price}: must be above 0"),
        );
    }
    let batching = t
        .batching
        .as_ref()
        .and_then(|b| batching_curve(b, &child(p, "batching"), err));
    let latency_ms = match (t.latency_ms, &t.batching, &batching) {
        (Some(ms), None, _) => {
            if !positive(ms) {
                err(&child(p, "latency_ms"), format!("{ms}: must be above 0"));
            }
            ms
        }
        (None, None, _) => {
            err(
                p,
                "`latency_ms` is required: the mean model latency of one request, in ms (or give `batching`, a measured curve)".into(),
            );
            1.0
        }
        (Some(_), Some(_), _) => {
            err(
                &child(p, "latency_ms"),
                "not with `batching`: the curve gives the latency at every load; remove `latency_ms`".into(),
            );
            1.0
        }
        (None, Some(_), curve) => curve.as_ref().map_or(1.0, |c| c.light_latency() * 1000.0),
    };
    if !positive(median) {
        err(
            &child(p, "provisioning_median_s"),
            format!("{median}: must be above 0"),
        );
    }
    let sigma = t.provisioning_sigma.unwrap_or(0.35);
    if !(sigma.is_finite() && (0.0..=3.0).contains(&sigma)) {
        err(
            &child(p, "provisioning_sigma"),
            format!("{sigma}: must lie between 0 and 3"),
        );
    }
    let concurrency = match &batching {
        Some(c) => c.max_in_flight().ceil() as u32,
        None => t.concurrency.unwrap_or(1),
    };
    if concurrency == 0 {
        err(&child(p, "concurrency"), "must be at least 1".into());
    }
    if t.batching.is_some() {
        for (field, given) in [
            ("concurrency", t.concurrency.is_some()),
            ("latency_cv", t.latency_cv.is_some()),
            ("latency_quantiles_ms", t.latency_quantiles_ms.is_some()),
        ] {
            if given {
                err(
                    &child(p, field),
                    format!("not with `batching`: the curve's last `in_flight` is the concurrency and its latency at each load replaces the service law; remove `{field}`"),
                );
            }
        }
        if workload != WorkloadDoc::Realtime {
            err(
                &child(p, "batching"),
                "a batching curve is for real-time endpoints".into(),
            );
        }
    }
    let cache = (workload == WorkloadDoc::MultiModel).then(|| CacheSpec {
        model_size_gb: t.model_size_gb.unwrap_or(1.0),
        cache_gb_per_instance: t.cache_gb_per_instance.unwrap_or(16.0),
        load_s: t.model_load_s.unwrap_or(5.0),
    });
    if let Some(c) = cache {
        for (field, v) in [
            ("model_size_gb", c.model_size_gb),
            ("cache_gb_per_instance", c.cache_gb_per_instance),
            ("model_load_s", c.load_s),
        ] {
            if !positive(v) {
                err(&child(p, field), format!("{v}: must be above 0"));
            }
        }
        if t.series.as_deref() != Some("*") {
            err(
                &child(p, "series"),
                "a multi-model endpoint takes `series = \"*\"`: every trace series is one model"
                    .into(),
            );
        }
    } else {
        for (field, v) in [
            ("model_size_gb", t.model_size_gb),
            ("cache_gb_per_instance", t.cache_gb_per_instance),
            ("model_load_s", t.model_load_s),
        ] {
            if v.is_some() {
                err(
                    &child(p, field),
                    "only for `workload = \"multi-model\"`".into(),
                );
            }
        }
    }
    let timeout = t
        .timeout_s
        .unwrap_or(if asynchronous { 3600.0 } else { 60.0 });
    if !positive(timeout) {
        err(
            &child(p, "timeout_s"),
            format!("{timeout}: must be above 0"),
        );
    }
    if t.min > t.max || t.max == 0 || t.max > sagescale_policy::MAX_CAPACITY {
        err(
            &child(p, "max"),
            format!(
                "bounds {}..={}: need min <= max, and max between 1 and {}",
                t.min,
                t.max,
                sagescale_policy::MAX_CAPACITY
            ),
        );
    }
    if t.min == 0 && !asynchronous && component_of.is_none() {
        err(
            &child(p, "min"),
            "min 0 is only for async endpoints and inference components".into(),
        );
    }
    let initial = t.initial.unwrap_or(t.min);
    if initial < t.min || initial > t.max {
        err(
            &child(p, "initial"),
            format!("{initial} is outside {}..={}", t.min, t.max),
        );
    }
    let latency_s = latency_ms / 1000.0;
    let service = match (t.latency_cv, t.latency_quantiles_ms) {
        (Some(_), Some(_)) => {
            err(
                &child(p, "latency_quantiles_ms"),
                "give `latency_cv` or `latency_quantiles_ms`, not both".into(),
            );
            ServiceLaw::default()
        }
        (Some(cv), None) => {
            if !(0.0..=10.0).contains(&cv) {
                err(
                    &child(p, "latency_cv"),
                    format!("{cv}: a coefficient of variation from 0 (deterministic) to 10"),
                );
            }
            ServiceLaw { cv }
        }
        (None, Some(q)) => {
            let qp = child(p, "latency_quantiles_ms");
            if !(positive(q.p50) && q.p99.is_finite() && q.p99 > q.p50) {
                err(
                    &qp,
                    format!(
                        "p50 {} ms, p99 {} ms: need 0 < p50 < p99 (the percentiles of ModelLatency, in ms)",
                        q.p50, q.p99
                    ),
                );
                ServiceLaw::default()
            } else {
                let law = ServiceLaw::from_p50_p99(q.p50, q.p99);
                if law.cv > 10.0 {
                    err(
                        &qp,
                        format!(
                            "a p99 {:.0}× the median gives a CV of {:.1}: at most 10",
                            q.p99 / q.p50,
                            law.cv
                        ),
                    );
                }
                law
            }
        }
        // A batched server's latency is a function of its load (`batching.rs`).
        (None, None) if batching.is_some() => ServiceLaw { cv: 0.0 },
        (None, None) => ServiceLaw::default(),
    };
    if (asynchronous || endpoint.is_some()) && service != ServiceLaw::default() {
        err(
            &child(p, "latency_cv"),
            "a service law is for real-time and multi-model endpoints: async and serverless ones are served at their mean latency".into(),
        );
    }
    let slo_path = child(p, "slo");
    let slo_s = match (asynchronous, t.slo.p99_latency_ms, t.slo.max_age_s) {
        (false, Some(ms), None) => {
            let s = ms / 1000.0;
            // Even with unlimited instances the service time alone has its own p99 (an
            // exponential's is ln(100) × mean). (Written so that NaN fails too.)
            let floor = service.service_quantile(latency_s, 0.99);
            if s.partial_cmp(&floor) != Some(std::cmp::Ordering::Greater) {
                err(&child(&slo_path, "p99_latency_ms"), format!(
                    "{ms} ms cannot be met: with a mean latency of {} ms and a CV of {:.2} the service time alone has a p99 of {:.0} ms",
                    latency_ms,
                    service.cv,
                    floor * 1000.0
                ));
            }
            s
        }
        (true, None, Some(age)) => {
            if !positive(age) {
                err(
                    &child(&slo_path, "max_age_s"),
                    format!("{age}: must be above 0"),
                );
            }
            age
        }
        (false, ..) => {
            err(
                &slo_path,
                "a real-time SLO is `p99_latency_ms` (and `max_error_rate`)".into(),
            );
            1.0
        }
        (true, ..) => {
            err(
                &slo_path,
                "an async SLO is `max_age_s`, the age of the oldest request (and `max_error_rate`)"
                    .into(),
            );
            1.0
        }
    };
    let max_error_rate = t.slo.max_error_rate.unwrap_or(0.001);
    if !(0.0..1.0).contains(&max_error_rate) {
        err(
            &child(&slo_path, "max_error_rate"),
            format!("{max_error_rate}: must lie in [0, 1)"),
        );
    }
    if let Some(e) = endpoint {
        if t.max > e.max_concurrency {
            err(
                &child(p, "max"),
                format!(
                    "{}: provisioned concurrency cannot exceed MaxConcurrency ({})",
                    t.max, e.max_concurrency
                ),
            );
        }
    }
    let fleet = FleetSpec {
        instance_type: type_name,
        price_per_hour: price,
        concurrency,
        latency_s,
        service,
        provisioning_median_s: median,
        provisioning_sigma: sigma,
        // Provisioned concurrency stops billing once removed.
        drain_s: if endpoint.is_some() {
            0
        } else {
            t.drain_s.unwrap_or(30)
        },
        timeout_s: timeout,
        batching,
    };
    let aws_target = t.aws_target.unwrap_or(if endpoint.is_some() {
        0.5
    } else if component_of.is_some() {
        // ConcurrentRequestsPerCopy: half a copy's concurrency, the same half-of-capacity
        // guidance as InvocationsPerInstance's.
        0.5 * f64::from(concurrency)
    } else {
        0.5 * fleet.max_rps_per_instance() * 60.0
    });
    if !positive(aws_target) {
        err(
            &child(p, "aws_target"),
            format!("{aws_target}: must be above 0"),
        );
    }
    // Serverless Inference has no accelerators: a GPU model gets no pay-per-use estimate unless
    // the scenario asks for one.
    let accelerated = known.is_some_and(|k| k.accelerated);
    let serverless = if asynchronous
        || ((accelerated || component_of.is_some()) && t.serverless.is_none())
    {
        None
    } else {
        let doc = t.serverless.unwrap_or_default();
        if endpoint.is_none() {
            for (field, given) in [
                ("max_concurrency", doc.max_concurrency.is_some()),
                (
                    "provisioned_price_per_gb_second",
                    doc.provisioned_price_per_gb_second.is_some(),
                ),
                (
                    "provisioned_inference_price_per_gb_second",
                    doc.provisioned_inference_price_per_gb_second.is_some(),
                ),
                ("cold_start_s", doc.cold_start_s.is_some()),
                ("cold_start_sigma", doc.cold_start_sigma.is_some()),
                ("keep_warm_s", doc.keep_warm_s.is_some()),
            ] {
                if given {
                    err(
                        &child(&child(p, "serverless"), field),
                        "only for `workload = \"serverless\"`: the pay-per-use estimate takes memory_gb and price_per_gb_second".into(),
                    );
                }
            }
        }
        let memory = doc.memory_gb.unwrap_or(4.0);
        let price = doc.price_per_gb_second.unwrap_or(0.00002);
        if !(1.0..=6.0).contains(&memory) {
            err(
                &child(&child(p, "serverless"), "memory_gb"),
                format!("{memory}: Serverless Inference offers 1 to 6 GB"),
            );
        }
        if !positive(price) {
            err(
                &child(&child(p, "serverless"), "price_per_gb_second"),
                format!("{price}: must be above 0"),
            );
        }
        Some((memory, price))
    };
    Some(SimTarget {
        name: t.name.clone(),
        series: 0,
        asynchronous,
        cache,
        models: Vec::new(),
        fleet,
        min: t.min,
        max: t.max,
        initial,
        slo: Slo {
            latency_s: slo_s,
            percentile: 0.99,
            max_error_rate,
        },
        aws_target,
        serverless,
        serverless_endpoint: endpoint,
        quality: t
            .quality
            .as_ref()
            .and_then(|q| quality(q, workload, &child(p, "quality"), err)),
    })
}

/// A quality section's fields, checked; its series is read with the trace.
fn quality(
    q: &QualityDoc,
    workload: WorkloadDoc,
    p: &str,
    err: &mut impl FnMut(&str, String),
) -> Option<QualitySpec> {
    if workload != WorkloadDoc::Realtime {
        err(
            p,
            "quality guards are simulated on real-time endpoints".into(),
        );
    }
    if q.degraded_above.is_some() == q.degraded_below.is_some() {
        err(
            &child(p, "degraded_above"),
            "give exactly one of degraded_above and degraded_below".into(),
        );
    }
    if !(q.weight > 0.0 && q.weight < 1.0) {
        err(
            &child(p, "weight"),
            format!(
                "{}: a share in (0, 1); the fallback takes the rest",
                q.weight
            ),
        );
    }
    Some(QualitySpec {
        points: Vec::new(),
        metric: q.metric.clone(),
        degraded_above: q.degraded_above,
        degraded_below: q.degraded_below,
        weight: q.weight,
        fallback_initial: q.fallback_initial.unwrap_or(1),
        fallback: q.fallback.clone(),
    })
}

/// A serverless endpoint's configuration from its target, with every field checked, and the
/// fields that make no sense for one refused.
fn serverless_endpoint(
    t: &SimTargetDoc,
    p: &str,
    err: &mut impl FnMut(&str, String),
) -> ServerlessSpec {
    for (field, given) in [
        ("price_per_hour", t.price_per_hour.is_some()),
        ("concurrency", t.concurrency.is_some()),
        ("drain_s", t.drain_s.is_some()),
    ] {
        if given {
            err(
                &child(p, field),
                "not for serverless endpoints: capacity is provisioned concurrency, priced by `serverless`".into(),
            );
        }
    }
    let doc = t.serverless.unwrap_or_default();
    let sp = child(p, "serverless");
    let spec = ServerlessSpec {
        memory_gb: doc.memory_gb.unwrap_or(4.0),
        max_concurrency: doc.max_concurrency.unwrap_or(20),
        cold_start_median_s: doc.cold_start_s.unwrap_or(5.0),
        cold_start_sigma: doc.cold_start_sigma.unwrap_or(0.5),
        keep_warm_s: doc.keep_warm_s.unwrap_or(600),
        on_demand_price_per_gb_second: doc.price_per_gb_second.unwrap_or(0.00002),
        pc_price_per_gb_second: doc.provisioned_price_per_gb_second.unwrap_or(0.000_005),
        pc_inference_price_per_gb_second: doc
            .provisioned_inference_price_per_gb_second
            .unwrap_or(0.000_011_7),
    };
    if !(1..=200).contains(&spec.max_concurrency) {
        err(
            &child(&sp, "max_concurrency"),
            format!("{}: MaxConcurrency is 1 to 200", spec.max_concurrency),
        );
    }
    for (field, v) in [
        (
            "provisioned_price_per_gb_second",
            spec.pc_price_per_gb_second,
        ),
        (
            "provisioned_inference_price_per_gb_second",
            spec.pc_inference_price_per_gb_second,
        ),
        ("cold_start_s", spec.cold_start_median_s),
    ] {
        if !(v.is_finite() && v > 0.0) {
            err(&child(&sp, field), format!("{v}: must be above 0"));
        }
    }
    if !(spec.cold_start_sigma.is_finite() && (0.0..=3.0).contains(&spec.cold_start_sigma)) {
        err(
            &child(&sp, "cold_start_sigma"),
            format!("{}: must lie between 0 and 3", spec.cold_start_sigma),
        );
    }
    spec
}
