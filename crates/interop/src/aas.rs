//! An Application Auto Scaling setup in AWS's terms: what `RegisterScalableTarget`,
//! `PutScalingPolicy`, `PutMetricAlarm` and `PutScheduledAction` take, and what their
//! `Describe*` calls return. Field names follow the API.

use serde::Serialize;

/// Every scalable target of a setup.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Setup {
    /// The targets, in order.
    pub targets: Vec<Target>,
}

/// One scalable target with what is attached to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Target {
    /// sagescale's name for it (the policy file's `name`).
    pub name: String,
    /// `endpoint/NAME/variant/VARIANT` or `inference-component/NAME`.
    pub resource_id: String,
    /// `sagemaker:variant:DesiredInstanceCount`, ...
    pub scalable_dimension: String,
    /// `MinCapacity`.
    pub min_capacity: u32,
    /// `MaxCapacity`.
    pub max_capacity: u32,
    /// The endpoint kind, when known (`realtime`, `multi-model`, `async`, `serverless`, in the
    /// policy file's spelling); AAS itself does not record it.
    pub workload: Option<String>,
    /// Scaling policies.
    pub policies: Vec<ScalingPolicy>,
    /// Scheduled actions.
    pub scheduled: Vec<ScheduledAction>,
    /// Suspended activities (`SuspendedState`), which a policy file cannot express.
    pub suspended: Vec<String>,
}

/// A scaling policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ScalingPolicy {
    /// `TargetTrackingScaling`.
    TargetTracking(TargetTracking),
    /// `StepScaling`, with the alarms that invoke it.
    Step(Step),
    /// A policy type sagescale does not read (`PredictiveScaling`), by name and type.
    Other {
        /// `PolicyName`.
        name: String,
        /// `PolicyType`.
        policy_type: String,
    },
}

/// `TargetTrackingScalingPolicyConfiguration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetTracking {
    /// `PolicyName`.
    pub name: String,
    /// `TargetValue`.
    pub target_value: f64,
    /// The tracked metric.
    pub metric: TrackedMetric,
    /// `ScaleOutCooldown`, seconds.
    pub scale_out_cooldown: Option<u32>,
    /// `ScaleInCooldown`, seconds.
    pub scale_in_cooldown: Option<u32>,
    /// `DisableScaleIn`.
    pub disable_scale_in: bool,
}

/// What a target-tracking policy tracks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TrackedMetric {
    /// `PredefinedMetricSpecification.PredefinedMetricType`.
    Predefined(String),
    /// `CustomizedMetricSpecification` with `MetricName`, `Namespace`, `Dimensions` and
    /// `Statistic`.
    Custom(MetricStat),
    /// `CustomizedMetricSpecification.Metrics`: metric math, the expression and its inputs.
    Math(Math),
}

/// One CloudWatch metric with a statistic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricStat {
    /// `Namespace`.
    pub namespace: String,
    /// `MetricName`.
    pub name: String,
    /// `Dimensions`, as (name, value).
    pub dimensions: Vec<(String, String)>,
    /// `Statistic` (`Average`, ..., or a percentile such as `p99`).
    pub statistic: String,
    /// `Period`, seconds.
    pub period: u32,
}

/// A metric-math expression over named inputs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Math {
    /// The expression, e.g. `m1 / m2`.
    pub expression: String,
    /// Inputs, by id.
    pub inputs: Vec<(String, MetricStat)>,
    /// Period of the result, seconds.
    pub period: u32,
}

/// What an alarm (or a custom tracked metric) reads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum AlarmMetric {
    /// One metric.
    Stat(MetricStat),
    /// Metric math.
    Math(Math),
}

/// `StepScalingPolicyConfiguration` and the alarm that invokes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// `PolicyName`.
    pub name: String,
    /// `AdjustmentType`.
    pub adjustment_type: String,
    /// `StepAdjustments`.
    pub steps: Vec<StepAdjustment>,
    /// `MinAdjustmentMagnitude`.
    pub min_adjustment_magnitude: Option<u32>,
    /// `Cooldown`, seconds.
    pub cooldown: Option<u32>,
    /// `MetricAggregationType` (`Average` when unset).
    pub metric_aggregation_type: Option<String>,
    /// The CloudWatch alarms whose actions name this policy (a policy file gives one).
    pub alarms: Vec<Alarm>,
}

/// One `StepAdjustment`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StepAdjustment {
    /// `MetricIntervalLowerBound`.
    pub lower: Option<f64>,
    /// `MetricIntervalUpperBound`.
    pub upper: Option<f64>,
    /// `ScalingAdjustment`.
    pub adjustment: i32,
}

/// A CloudWatch metric alarm (`PutMetricAlarm`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alarm {
    /// `AlarmName`.
    pub name: String,
    /// What it reads.
    pub metric: AlarmMetric,
    /// `ComparisonOperator`.
    pub comparison: String,
    /// `Threshold`.
    pub threshold: f64,
    /// `EvaluationPeriods`.
    pub evaluation_periods: u16,
    /// `DatapointsToAlarm` (the evaluation periods when unset).
    pub datapoints_to_alarm: Option<u16>,
    /// `TreatMissingData` (`missing` when unset).
    pub treat_missing_data: Option<String>,
}

/// `PutScheduledAction`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScheduledAction {
    /// `ScheduledActionName`.
    pub name: String,
    /// `Schedule`: `at(...)`, `rate(...)` or `cron(...)`.
    pub schedule: String,
    /// `Timezone` (UTC when unset).
    pub timezone: Option<String>,
    /// `StartTime`, RFC 3339 UTC.
    pub start: Option<String>,
    /// `EndTime`, RFC 3339 UTC.
    pub end: Option<String>,
    /// `ScalableTargetAction.MinCapacity`.
    pub min_capacity: Option<u32>,
    /// `ScalableTargetAction.MaxCapacity`.
    pub max_capacity: Option<u32>,
}

impl Target {
    /// The resource name tools use for this target: its sagescale name with anything but
    /// letters, digits and `_` made `_`, prefixed when it starts with a digit (Terraform
    /// resource names, CloudFormation logical ids after [`logical_id`]).
    #[must_use]
    pub fn slug(&self) -> String {
        slug(&self.name)
    }
}

/// `text` with anything but ASCII letters, digits and `_` made `_`, starting with a letter.
#[must_use]
pub fn slug(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s
    } else {
        format!("t_{s}")
    }
}

/// A CloudFormation logical id (letters and digits only) from its parts.
#[must_use]
pub fn logical_id(parts: &[&str]) -> String {
    parts
        .iter()
        .flat_map(|p| p.split(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect()
}
