//! A quality-guarded endpoint in the simulator: two variants of one endpoint (the guarded one
//! and its fallback) share the trace's traffic by weight, the scenario's quality series plays
//! the guarded variant's quality metric, and both targets are decided by the engine, the
//! guarded one first, as in the daemon.
//!
//! What a run reports beyond cost and SLO: *degraded requests*, those the guarded variant
//! served while its quality was past the scenario's degraded threshold (the ground truth,
//! independent of any policy's checks), and how long traffic was shifted.

use serde::Serialize;

use super::cloudwatch::CloudWatch;
use super::fleet::Fleet;
use super::results::Accumulator;
use super::run::Replay;
use super::scenario::SimTarget;
use crate::engine::quality::TrafficInput;
use crate::engine::{
    evaluate, CapacityInput, Decision, EndpointStatus, EngineSettings, PolicyKind, TargetSpec,
    TargetState, Timestamp,
};
use crate::metrics::MetricQuery;

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

/// One variant's driver: its target spec and the policy set's metrics.
#[derive(Clone, Copy)]
pub struct Variant<'a> {
    /// The target.
    pub spec: &'a TargetSpec,
    /// The metric queries.
    pub metrics: &'a [MetricQuery],
    /// Periods of history per query.
    pub history: &'a [u32],
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

/// Run the pair over the replay. `quality[i]` is the quality value over interval `i`.
#[must_use]
pub fn run_pair(
    t: &SimTarget,
    q: &QualitySpec,
    quality: &[f64],
    replay: &Replay<'_>,
    guarded: Variant<'_>,
    fallback: Variant<'_>,
) -> PairRun {
    let dt = i64::from(replay.dt);
    let dt_s = f64::from(replay.dt);
    let new_fleet = |spec: &TargetSpec, initial: u32, seed: u64| {
        Fleet::new(
            &t.fleet,
            initial.clamp(spec.min, spec.max),
            seed,
            t.asynchronous,
        )
    };
    let mut fg = new_fleet(guarded.spec, t.initial, replay.seed);
    let mut ff = new_fleet(fallback.spec, q.fallback_initial, replay.seed ^ 0xfa11_bac4);
    let cw = |v: Variant<'_>, seed: u64| {
        CloudWatch::new(v.metrics, v.history, replay.start, replay.cloudwatch, seed)
    };
    let mut cg = cw(guarded, replay.seed ^ 0x9e37_79b9_7f4a_7c15);
    cg.serve_quality(guarded.metrics, &q.metric);
    let mut cf = cw(fallback, replay.seed ^ 0x7f4a_7c15_9e37_79b9);
    let (mut sg, mut sf) = (
        TargetState::new(guarded.spec),
        TargetState::new(fallback.spec),
    );
    let (mut dg, mut df) = (Decision::default(), Decision::default());
    let settings = EngineSettings::default();
    let every = i64::from(replay.evaluation_interval.max(1));
    let (mut ag, mut af) = (Accumulator::default(), Accumulator::default());
    let mut out = PairRun::default();
    let mut weights = (q.weight, 1.0 - q.weight);
    let base_share = q.weight;
    for i in 0..replay.arrivals.len() {
        let now = Timestamp(replay.start.0 + i as i64 * dt);
        fg.advance(now);
        ff.advance(now);
        let total = replay.arrivals[i];
        let sum = weights.0 + weights.1;
        let share = if sum > 0.0 { weights.0 / sum } else { 0.0 };
        let served_g = fg.serve(total * share, &[], now, dt_s);
        let served_f = ff.serve(total * (1.0 - share), &[], now, dt_s);
        ag.add(dt_s, &served_g, fg.in_service(), fg.billed(), 0, &t.slo);
        af.add(dt_s, &served_f, ff.in_service(), ff.billed(), 0, &t.slo);
        let value = quality.get(i).copied().unwrap_or(f64::NAN);
        if q.degraded(value) {
            out.degraded_requests += served_g.arrivals;
            out.requests_during_degradation += total;
        }
        if share < base_share - 1e-9 {
            out.shifted_minutes += dt_s / 60.0;
        }
        out.fallback_peak = out.fallback_peak.max(ff.in_service());
        cg.set_quality(value);
        cg.record(now, dt, &served_g, fg.in_service());
        cf.record(now, dt, &served_f, ff.in_service());
        let end = Timestamp(now.0 + dt);
        if end.0.div_euclid(every) == now.0.div_euclid(every) {
            continue;
        }
        fg.advance(end);
        ff.advance(end);
        // The guarded variant first, so the fallback sees this evaluation's floor.
        let input = CapacityInput {
            current: fg.in_service(),
            status: fg.status(),
            traffic: Some(TrafficInput {
                weight: weights.0,
                fallback_weight: weights.1,
                fallback_current: ff.in_service(),
                fallback_settled: ff.status() == EndpointStatus::InService,
            }),
            ..CapacityInput::default()
        };
        evaluate(&settings, guarded.spec, &mut sg, &input, &cg, end, &mut dg);
        if dg.changes() {
            fg.set_desired(dg.desired, end);
        }
        // The weight change lands by the next interval (a weights-only update is quick).
        if let Some(w) = dg.traffic.and_then(|a| a.weights) {
            weights = w;
            out.weight_changes += 1;
        }
        let input = CapacityInput {
            current: ff.in_service(),
            status: ff.status(),
            guard_floor: dg.traffic.and_then(|a| a.fallback_floor),
            ..CapacityInput::default()
        };
        evaluate(&settings, fallback.spec, &mut sf, &input, &cf, end, &mut df);
        if df.changes() {
            ff.set_desired(df.desired, end);
        }
    }
    out.cost_usd = ag.cost_usd(t.fleet.price_per_hour) + af.cost_usd(t.fleet.price_per_hour);
    out.slo_violation_minutes = (ag.violation_seconds + af.violation_seconds) / 60.0;
    out.failed_requests = ag.failed + af.failed;
    out
}

/// `spec` without its quality guard: the same policies, reacting to load alone.
#[must_use]
pub fn without_guard(spec: &TargetSpec) -> TargetSpec {
    let mut s = spec.clone();
    s.policies
        .retain(|p| !matches!(p.kind, PolicyKind::QualityGuard(_)));
    s
}
