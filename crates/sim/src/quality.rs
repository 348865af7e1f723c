//! A quality-guarded endpoint in the simulator: two variants of one endpoint (the guarded one
//! and its fallback) share the trace's traffic by weight, the scenario's quality series plays
//! the guarded variant's quality metric, and the decision core decides both, the guarded one
//! first, as in the daemon. The run itself is `run::run_pair`, the same loop as every run.
//!
//! What a run reports beyond cost and SLO: *degraded requests*, those the guarded variant
//! served while its quality was past the scenario's degraded threshold (the ground truth,
//! independent of any policy's checks), and how long traffic was shifted.

use serde::Serialize;

use sagescale_engine::{PolicyKind, TargetSpec, Timestamp};

/// A scenario target's quality series and the fallback variant beside it.
#[derive(Clone, Debug)]
pub struct QualitySpec {
    /// The quality series, `(time, value)`.
    pub points: Vec<(Timestamp, f64)>,
    /// The metric name the compared policies' checks read.
    pub metric: String,
    /// Quality is degraded above this value (drift, error rate)...
    pub degraded_above: Option<f64>,
    /// ...or below this one (accuracy, precision).
    pub degraded_below: Option<f64>,
    /// The guarded variant's share of the traffic before any guard acts.
    pub weight: f64,
    /// The fallback's instances at the start.
    pub fallback_initial: u32,
    /// The fallback target's name in the compared policy files.
    pub fallback: String,
}

impl QualitySpec {
    /// Whether `value` is degraded quality (NaN, no measurement, is not).
    #[must_use]
    pub fn degraded(&self, value: f64) -> bool {
        self.degraded_above.is_some_and(|t| value > t)
            || self.degraded_below.is_some_and(|t| value < t)
    }
}

/// What a guarded pair's run gives.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PairRun {
    /// Both variants' cost, USD.
    pub cost_usd: f64,
    /// SLO-violation minutes, summed over the two variants.
    pub slo_violation_minutes: f64,
    /// Failed requests, both variants.
    pub failed_requests: f64,
    /// Requests the guarded variant served while its quality was degraded.
    pub degraded_requests: f64,
    /// Requests that arrived while the guarded variant's quality was degraded (the most that
    /// could be degraded at its base weight is `weight ×` this).
    pub requests_during_degradation: f64,
    /// Minutes with the guarded variant's weight below its base.
    pub shifted_minutes: f64,
    /// Weight changes made.
    pub weight_changes: u32,
    /// Most fallback instances in service at once.
    pub fallback_peak: u32,
}

/// `spec` without its quality guard: the same policies, reacting to load alone.
#[must_use]
pub fn without_guard(spec: &TargetSpec) -> TargetSpec {
    let mut s = spec.clone();
    s.policies
        .retain(|p| !matches!(p.kind, PolicyKind::QualityGuard(_)));
    s
}
