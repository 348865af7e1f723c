//! The policy-file language: what users write, as serde and JSON Schema types.
//!
//! These mirror the files one to one. Validation and compilation into engine specs happen in
//! `compile`; nothing here has defaults hidden in code that the schema does not show.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A policy file: the scalable targets it declares.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Scalable targets, each with the policies attached to it.
    #[serde(default)]
    pub targets: Vec<TargetDoc>,
}

/// A scalable target: one SageMaker variant or inference component, its bounds and policies.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetDoc {
    /// Name, unique across the policy set. Used in logs, state and `explain`.
    pub name: String,
    /// `endpoint/NAME/variant/VARIANT` or `inference-component/NAME`.
    pub resource_id: String,
    /// Scalable dimension. Default: `instance-count` for a variant, `copy-count` for an
    /// inference component, `provisioned-concurrency` for a serverless workload.
    #[serde(default)]
    pub dimension: Option<DimensionDoc>,
    /// Endpoint kind. Default: `realtime`.
    #[serde(default)]
    pub workload: Option<WorkloadDoc>,
    /// Standing lower bound (0 only for async endpoints and inference components).
    pub min: u32,
    /// Standing upper bound.
    pub max: u32,
    /// Policies attached to the target.
    #[serde(default)]
    pub policies: Vec<PolicyDoc>,
    /// Inference components only: wake from zero copies on the first invocation that failed
    /// for lack of capacity (`NoCapacityInvocationFailures` ≥ 1 in a minute adds one copy), as
    /// the built-in policy `wake-from-zero`. Default: on for a component whose `min` is 0.
    #[serde(default)]
    pub wake_from_zero: Option<bool>,
}

/// Application Auto Scaling scalable dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DimensionDoc {
    /// `sagemaker:variant:DesiredInstanceCount`
    InstanceCount,
    /// `sagemaker:variant:DesiredProvisionedConcurrency`
    ProvisionedConcurrency,
    /// `sagemaker:inference-component:DesiredCopyCount`
    CopyCount,
}

/// SageMaker endpoint kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WorkloadDoc {
    /// Real-time inference.
    Realtime,
    /// Multi-model endpoint.
    MultiModel,
    /// Asynchronous inference.
    Async,
    /// Serverless inference.
    Serverless,
}

/// A scaling policy, by `type`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum PolicyDoc {
    /// Target tracking (AWS semantics by default; alarm shapes settable).
    TargetTracking(TargetTrackingDoc),
    /// Step scaling on a CloudWatch-style alarm.
    Step(StepDoc),
    /// Scheduled change of min and/or max.
    Scheduled(ScheduledDoc),
    /// sagescale only: burst-aware target tracking on the endpoint's total load, with a
    /// panic window and scale-in stabilisation.
    BurstAware(BurstAwareDoc),
    /// sagescale only: a capacity floor from a seasonal forecast of the endpoint's load.
    Predictive(PredictiveDoc),
    /// sagescale only (async endpoints): serve the backlog before the oldest request's
    /// deadline, and scale to zero after an idle time.
    BacklogDeadline(BacklogDeadlineDoc),
    /// sagescale only: while a model-quality metric stays in breach, move this variant's
    /// traffic to a fallback variant (its capacity raised first), freeze scale-in, and move
    /// the traffic back once quality has recovered.
    QualityGuard(QualityGuardDoc),
    /// sagescale only (real-time and multi-model endpoints, inference components): the
    /// smallest capacity whose predicted p99 latency meets the SLO at the accepted risk, from
    /// a queueing model whose service time, spread and concurrency are learned from
    /// `ModelLatency` and `Invocations`.
    Slo(SloDoc),
}

impl PolicyDoc {
    /// The policy's name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::TargetTracking(p) => &p.name,
            Self::Step(p) => &p.name,
            Self::Scheduled(p) => &p.name,
            Self::BurstAware(p) => &p.name,
            Self::Predictive(p) => &p.name,
            Self::BacklogDeadline(p) => &p.name,
            Self::QualityGuard(p) => &p.name,
            Self::Slo(p) => &p.name,
        }
    }
}

/// Target tracking: keep `metric` at `target`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetTrackingDoc {
    /// Name, unique within the target.
    pub name: String,
    /// The tracked metric.
    pub metric: MetricDoc,
    /// The target value (> 0).
    pub target: f64,
    /// Seconds after a scale-out during which added capacity counts toward the next one.
    /// Default 300.
    #[serde(default)]
    pub scale_out_cooldown: Option<u32>,
    /// Seconds after a scale-in during which no further scale-in happens. Default 300.
    #[serde(default)]
    pub scale_in_cooldown: Option<u32>,
    /// Never remove capacity. Default false.
    #[serde(default)]
    pub disable_scale_in: bool,
    /// sagescale only: datapoints above target needed to scale out (AWS: 3).
    #[serde(default)]
    pub scale_out_datapoints: Option<u16>,
    /// sagescale only: periods evaluated for scale-out (AWS: 3).
    #[serde(default)]
    pub scale_out_evaluation_periods: Option<u16>,
    /// sagescale only: datapoints below the scale-in threshold needed to scale in (AWS: 15).
    #[serde(default)]
    pub scale_in_datapoints: Option<u16>,
    /// sagescale only: periods evaluated for scale-in (AWS: 15).
    #[serde(default)]
    pub scale_in_evaluation_periods: Option<u16>,
    /// sagescale only: scale-in threshold as a fraction of the target, in (0, 1] (AWS: 0.9).
    #[serde(default)]
    pub scale_in_ratio: Option<f64>,
}

/// Burst-aware target tracking: `desired = ceil(load / target)` from the endpoint's total load,
/// with a Knative-style panic window and HPA-style scale-in stabilisation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BurstAwareDoc {
    /// Name, unique within the target.
    pub name: String,
    /// The load: a total such as `Invocations` (Sum), or, with `load = "per-unit"`, one unit's
    /// share such as the 10-second `ConcurrentRequestsPerModel` (one model container). Not a
    /// utilisation metric.
    pub metric: MetricDoc,
    /// What one value of `metric` is: `total` (default: the whole variant's load) or
    /// `per-unit` (one container, copy or instance: the load is the value × the capacity in
    /// service, as the Kubernetes HPA forms an AverageValue target's total). A catalogue
    /// metric that measures one unit must say `per-unit`.
    #[serde(default)]
    pub load: Option<LoadDoc>,
    /// The load one unit of capacity should carry (> 0), in the metric's unit per period.
    pub target: f64,
    /// Seconds of datapoints averaged for the stable load. Default 180.
    #[serde(default)]
    pub stable_window_seconds: Option<u32>,
    /// Seconds of newest datapoints averaged for the panic load. Default: one period.
    #[serde(default)]
    pub panic_window_seconds: Option<u32>,
    /// Panic when the panic load asks for at least this multiple of current capacity
    /// (Knative: 2). Default 2; `0` turns panic off.
    #[serde(default)]
    pub panic_threshold: Option<f64>,
    /// Removals go no lower than the highest recommendation over this many seconds
    /// (Kubernetes HPA: 300). Default 300.
    #[serde(default)]
    pub scale_in_stabilization_seconds: Option<u32>,
    /// No change while the load is within this fraction of what current capacity carries at
    /// target (Kubernetes HPA: 0.1). Default 0.1.
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// Never remove capacity. Default false.
    #[serde(default)]
    pub disable_scale_in: bool,
}

/// Predictive scaling: forecast the endpoint's load from its own history (daily, and with two
/// weeks of history weekly, seasonality with the recent level) and hold capacity at the
/// forecast's floor ahead of need.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PredictiveDoc {
    /// Name, unique within the target.
    pub name: String,
    /// The endpoint's total load, e.g. `Invocations` (Sum). A period of 300 s keeps the
    /// history small.
    pub metric: MetricDoc,
    /// The load one unit of capacity should carry (> 0), in the metric's unit per period.
    pub target: f64,
    /// `forecast-only` (default: log and publish the forecast, change nothing) or
    /// `forecast-and-scale`.
    #[serde(default)]
    pub mode: Option<PredictiveModeDoc>,
    /// Seconds ahead capacity is needed: provisioning delay plus detection. Default 900.
    #[serde(default)]
    pub lead_seconds: Option<u32>,
    /// Days of history the season uses, 2 to 28 (14 or more adds weekly seasonality).
    /// Default 7.
    #[serde(default)]
    pub history_days: Option<u32>,
    /// Largest back-tested mean absolute percentage error (0.3 = 30 %) at which the forecast's
    /// floor holds; above it the reactive policies decide alone. Default 0.3.
    #[serde(default)]
    pub max_error: Option<f64>,
}

/// SLO-driven scaling: state the objective, and the policy learns the rest from the metrics it
/// reads (`Invocations`, and `ModelLatency` as its mean, p50 and p99: the variant's, with its
/// instances' `CPUUtilization`, or on an inference component the component's, with its copies'
/// `ConcurrentRequestsPerCopy`; those two tell an idle minute from a late datapoint).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloDoc {
    /// Name, unique within the target.
    pub name: String,
    /// The p99 of `ModelLatency` no minute should exceed, milliseconds (> 0).
    pub p99_latency_ms: f64,
    /// The largest share of requests that may fail in a minute, in [0, 1). Default 0.001.
    #[serde(default)]
    pub max_error_rate: Option<f64>,
    /// The accepted chance that the load outgrows the fleet before new capacity is in
    /// service, in (0, 0.5]. Lower buys more headroom. Default 0.05.
    #[serde(default)]
    pub risk: Option<f64>,
    /// What relaunching one instance (or copy) costs, in minutes of that instance: capacity
    /// is removed only after the lower need has held this long. Default: the provisioning
    /// lead.
    #[serde(default)]
    pub relaunch_cost_minutes: Option<f64>,
    /// Hours of `Invocations` history the load band's growth is read over, 1 to 24. A day
    /// remembers a surge that comes once a day, and raises a bursty endpoint's band all day.
    /// Default 6.
    #[serde(default)]
    pub band_history_hours: Option<u32>,
    /// The provisioning lead, seconds, until the daemon has timed the target's own
    /// scale-outs (it then uses their median). Default 381 (the slowest of AWS's measured
    /// medians for adding instances).
    #[serde(default)]
    pub lead_seconds: Option<u32>,
    /// A request fails after this many seconds (SageMaker real-time: 60). Default 60.
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    /// Days of `Invocations` history (300 s periods) a seasonal forecast raises the load band
    /// with, 2 to 28; `0` turns the forecast off. Default 7.
    #[serde(default)]
    pub seasonal_days: Option<u32>,
}

/// Deadline-aware backlog scaling for an async endpoint.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BacklogDeadlineDoc {
    /// Name, unique within the target.
    pub name: String,
    /// Requests one instance completes per minute (> 0).
    pub instance_throughput_per_minute: f64,
    /// The age no request should reach, seconds (the SLO on the oldest request).
    pub deadline_seconds: u32,
    /// Share of the time left to plan for, in (0, 1]. Default 0.8.
    #[serde(default)]
    pub safety: Option<f64>,
    /// Seconds of empty backlog before scaling to zero. Default 600.
    #[serde(default)]
    pub idle_seconds: Option<u32>,
    /// The queue length. Default `ApproximateBacklogSize` (Maximum).
    #[serde(default)]
    pub backlog: Option<MetricDoc>,
    /// The oldest request's age, seconds. Default `ApproximateAgeOfOldestRequest` (Maximum).
    #[serde(default)]
    pub age: Option<MetricDoc>,
}

/// Quality guard: checks on model-quality metrics, and where traffic goes while one fails.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityGuardDoc {
    /// Name, unique within the target.
    pub name: String,
    /// The target that takes the traffic: another variant of the same endpoint, in this
    /// policy set, without a guard of its own.
    pub fallback: String,
    /// Share of this variant's weight moved to the fallback, in (0, 1]. Default 1.
    #[serde(default)]
    pub shift: Option<f64>,
    /// Fallback instances that carry the traffic of one instance of this variant (> 0).
    /// Default 1.
    #[serde(default)]
    pub capacity_ratio: Option<f64>,
    /// Seconds every check must stay clear before traffic moves back. Default 1800.
    #[serde(default)]
    pub recover_after_seconds: Option<u32>,
    /// The checks, 1 to 4; any one in breach engages the guard.
    pub checks: Vec<QualityCheckDoc>,
}

/// One quality check: a metric, the threshold it breaches, and the one it must be back past.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityCheckDoc {
    /// The metric, e.g. a Model Monitor drift metric or a model-quality metric.
    pub metric: MetricDoc,
    /// How a bad datapoint compares with `threshold`.
    pub comparison: ComparisonDoc,
    /// The breach threshold.
    pub threshold: f64,
    /// Quality is back only on the good side of this value (hysteresis). Default: the
    /// threshold.
    #[serde(default)]
    pub clear: Option<f64>,
    /// Periods evaluated (N), for breach and for clear. Default 1.
    #[serde(default)]
    pub evaluation_periods: Option<u16>,
    /// Datapoints needed (M) of N. Default N.
    #[serde(default)]
    pub datapoints_to_alarm: Option<u16>,
}

/// What one value of a burst-aware policy's metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LoadDoc {
    /// One value is the whole target's load.
    Total,
    /// One value is one unit of capacity's share: the load is value × capacity in service.
    PerUnit,
}

/// Whether a predictive policy only forecasts or also scales.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PredictiveModeDoc {
    /// Log and publish the forecast; change nothing.
    ForecastOnly,
    /// Hold capacity at or above the forecast's floor.
    ForecastAndScale,
}

/// Step scaling: an alarm and the adjustments for how far the metric is past its threshold.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDoc {
    /// Name, unique within the target.
    pub name: String,
    /// The alarm that invokes the policy.
    pub alarm: AlarmDoc,
    /// How adjustments apply.
    pub adjustment_type: AdjustmentTypeDoc,
    /// Step adjustments: no gaps, no overlaps, at most 20.
    pub steps: Vec<StepAdjustmentDoc>,
    /// Smallest change for `PercentChangeInCapacity`.
    #[serde(default)]
    pub min_adjustment_magnitude: Option<u32>,
    /// Seconds of cooldown after this policy acts. Default 300.
    #[serde(default)]
    pub cooldown: Option<u32>,
}

/// Application Auto Scaling adjustment types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum AdjustmentTypeDoc {
    /// Add the adjustment.
    ChangeInCapacity,
    /// Add the adjustment as a percentage of current capacity.
    PercentChangeInCapacity,
    /// Set capacity to the adjustment.
    ExactCapacity,
}

/// One step: a range of `metric − threshold` and the adjustment for it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepAdjustmentDoc {
    /// Lower bound of the offset from the threshold; absent means −∞.
    #[serde(default)]
    pub lower: Option<f64>,
    /// Upper bound of the offset from the threshold; absent means +∞.
    #[serde(default)]
    pub upper: Option<f64>,
    /// The adjustment (negative removes capacity).
    pub adjustment: i32,
}

/// A CloudWatch-style alarm.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmDoc {
    /// The metric.
    pub metric: MetricDoc,
    /// Comparison with the threshold.
    pub comparison: ComparisonDoc,
    /// The threshold.
    pub threshold: f64,
    /// Periods evaluated (N). Default 1.
    #[serde(default)]
    pub evaluation_periods: Option<u16>,
    /// Breaching datapoints needed (M). Default N.
    #[serde(default)]
    pub datapoints_to_alarm: Option<u16>,
    /// What a missing datapoint means. Default `missing`.
    #[serde(default)]
    pub treat_missing_data: Option<TreatMissingDoc>,
}

/// CloudWatch comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum ComparisonDoc {
    /// `>=`
    GreaterThanOrEqualToThreshold,
    /// `>`
    GreaterThanThreshold,
    /// `<`
    LessThanThreshold,
    /// `<=`
    LessThanOrEqualToThreshold,
}

/// CloudWatch TreatMissingData.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingDoc {
    /// Look past missing datapoints; none at all is INSUFFICIENT_DATA.
    Missing,
    /// Look past missing datapoints; none at all keeps the state.
    Ignore,
    /// Missing counts as breaching.
    Breaching,
    /// Missing counts as not breaching.
    NotBreaching,
}

/// A scheduled action: from each firing on, the target's min and/or max are these.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduledDoc {
    /// Name, unique within the target.
    pub name: String,
    /// `cron(min hour dom month dow year)` (AWS), `cron(min hour dom month dow)` (5-field),
    /// `at(yyyy-mm-ddThh:mm:ss)` or `rate(N minutes|hours|days)`.
    pub schedule: String,
    /// IANA time zone the schedule and times are read in. Default `UTC`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Never fires before this (`yyyy-mm-ddThh:mm:ss` in the time zone, or RFC 3339).
    #[serde(default)]
    pub start: Option<String>,
    /// Never fires after this (same forms as `start`).
    #[serde(default)]
    pub end: Option<String>,
    /// New min.
    #[serde(default)]
    pub min: Option<u32>,
    /// New max.
    #[serde(default)]
    pub max: Option<u32>,
}

/// A metric: predefined, a custom CloudWatch metric, or a metric-math expression.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricDoc {
    /// A predefined SageMaker metric, e.g. `InvocationsPerInstance`; its namespace and
    /// dimensions follow from the target.
    #[serde(default)]
    pub predefined: Option<String>,
    /// Custom metric: CloudWatch namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Custom metric: name.
    #[serde(default)]
    pub name: Option<String>,
    /// Custom metric: dimensions.
    #[serde(default)]
    pub dimensions: Option<BTreeMap<String, String>>,
    /// Statistic: Average, Sum, Minimum, Maximum, SampleCount or pNN. Default depends on the
    /// metric (Average for custom ones).
    #[serde(default)]
    pub statistic: Option<String>,
    /// Period in seconds: 10, 30 or a multiple of 60. Default 60.
    #[serde(default)]
    pub period: Option<u32>,
    /// Metric math over `metrics`, e.g. `m1 / m2 * 100`.
    #[serde(default)]
    pub expression: Option<String>,
    /// Inputs of `expression`, by id (a lowercase letter, then letters, digits, `_`).
    #[serde(default)]
    pub metrics: Option<BTreeMap<String, MetricDoc>>,
}
