//! One policy over one simulated endpoint, interval by interval: the fleet serves the
//! trace's arrivals, CloudWatch publishes what SageMaker would, and the engine decides.

use super::cloudwatch::{CloudWatch, CloudWatchModel};
use super::fleet::Fleet;
use super::results::Accumulator;
use super::scenario::SimTarget;
use crate::engine::{
    evaluate, CapacityInput, Decision, EngineSettings, TargetSpec, TargetState, Timestamp,
};
use crate::metrics::MetricQuery;

/// What drives the endpoint's capacity.
pub enum Driver<'a> {
    /// The engine, with a target spec and its policy set's metric queries.
    Engine {
        /// The target.
        spec: &'a TargetSpec,
        /// The policy set's metric queries.
        metrics: &'a [MetricQuery],
        /// Periods of history per query.
        history: &'a [u32],
    },
    /// A schedule known in advance (the oracle), with its billed instance-seconds.
    Scripted {
        /// Instances in service per interval.
        in_service: &'a [u32],
        /// Instance-seconds paid.
        billed_seconds: f64,
    },
}

/// The arrivals and timing of a run.
pub struct Replay<'a> {
    /// Requests per interval.
    pub arrivals: &'a [f64],
    /// Multi-model endpoints: requests per interval for each model (sums to `arrivals`).
    pub models: &'a [&'a [f64]],
    /// Start of the first interval.
    pub start: Timestamp,
    /// Interval length, seconds.
    pub dt: u32,
    /// Seconds between evaluations.
    pub evaluation_interval: u32,
    /// CloudWatch model.
    pub cloudwatch: CloudWatchModel,
    /// Seed for this endpoint's random draws (shared by every policy: common random numbers).
    pub seed: u64,
}

/// A run's sums and, if asked for, its timeline.
pub struct RunOutput {
    /// Sums.
    pub acc: Accumulator,
    /// Instances in service per interval (empty unless recorded).
    pub in_service: Vec<u32>,
    /// p99 latency per interval, ms (NaN without traffic).
    pub p99_ms: Vec<f32>,
}

/// Run `driver` over the replay against `target`'s fleet, judged against `demand` (empty:
/// no elasticity metrics, as in the throughput benchmark).
pub fn run(
    target: &SimTarget,
    replay: &Replay<'_>,
    demand: &[u32],
    driver: &Driver<'_>,
    record: bool,
) -> RunOutput {
    let dt = i64::from(replay.dt);
    let dtf = f64::from(replay.dt);
    let mut acc = Accumulator::default();
    let cap = if record { replay.arrivals.len() } else { 0 };
    let mut out_in_service = Vec::with_capacity(cap);
    let mut out_p99 = Vec::with_capacity(cap);
    match driver {
        Driver::Engine {
            spec,
            metrics,
            history,
        } => {
            let initial = target.initial.clamp(spec.min, spec.max);
            let mut fleet = Fleet::new(&target.fleet, initial, replay.seed, target.asynchronous);
            if let Some(cache) = target.cache {
                fleet = fleet.with_models(cache, replay.models.len());
            }
            let mut per_model = vec![0.0; replay.models.len()];
            let mut cw = CloudWatch::new(
                metrics,
                history,
                replay.start,
                replay.cloudwatch,
                replay.seed ^ 0x9e37_79b9_7f4a_7c15,
            );
            let mut state = TargetState::new(spec);
            let mut decision = Decision::default();
            let settings = EngineSettings::default();
            let every = i64::from(replay.evaluation_interval.max(1));
            for (i, &a) in replay.arrivals.iter().enumerate() {
                let now = Timestamp(replay.start.0 + i as i64 * dt);
                fleet.advance(now);
                for (slot, series) in per_model.iter_mut().zip(replay.models) {
                    *slot = series[i];
                }
                let service = fleet.serve(a, &per_model, now, dtf);
                acc.add(
                    dtf,
                    &service,
                    fleet.in_service(),
                    fleet.billed(),
                    demand.get(i).copied().unwrap_or(0),
                    &target.slo,
                );
                if record {
                    out_in_service.push(fleet.in_service());
                    out_p99.push((service.p99_s * 1000.0) as f32);
                }
                cw.record(now, dt, &service, fleet.in_service());
                let end = Timestamp(now.0 + dt);
                // Evaluate at every evaluation boundary inside or at the end of this interval.
                if end.0.div_euclid(every) > now.0.div_euclid(every) {
                    fleet.advance(end);
                    let input = CapacityInput {
                        current: fleet.in_service(),
                        status: fleet.status(),
                        ..CapacityInput::default()
                    };
                    evaluate(&settings, spec, &mut state, &input, &cw, end, &mut decision);
                    if decision.changes() {
                        fleet.set_desired(decision.desired, end);
                        acc.actions += 1;
                    }
                }
            }
        }
        Driver::Scripted {
            in_service,
            billed_seconds,
        } => {
            // The oracle serves through the same world: a fleet whose size follows the script.
            let mut fleet = Fleet::new(
                &target.fleet,
                in_service.first().copied().unwrap_or(0),
                replay.seed,
                target.asynchronous,
            );
            if let Some(cache) = target.cache {
                fleet = fleet.with_models(cache, replay.models.len());
            }
            let mut per_model = vec![0.0; replay.models.len()];
            let mut last = None;
            for (i, &a) in replay.arrivals.iter().enumerate() {
                let n = in_service[i];
                fleet.force(n);
                for (slot, series) in per_model.iter_mut().zip(replay.models) {
                    *slot = series[i];
                }
                let now = Timestamp(replay.start.0 + i as i64 * dt);
                let service = fleet.serve(a, &per_model, now, dtf);
                acc.add(
                    dtf,
                    &service,
                    n,
                    0,
                    demand.get(i).copied().unwrap_or(0),
                    &target.slo,
                );
                if last.is_some_and(|l| l != n) {
                    acc.actions += 1;
                }
                last = Some(n);
                if record {
                    out_in_service.push(n);
                    out_p99.push((service.p99_s * 1000.0) as f32);
                }
            }
            acc.billed_seconds = *billed_seconds;
        }
    }
    RunOutput {
        acc,
        in_service: out_in_service,
        p99_ms: out_p99,
    }
}
