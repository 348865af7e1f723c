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

impl<'a> Replay<'a> {
    /// Endpoint `i` of scenario `s`: its arrivals (and per-model arrivals), the scenario's
    /// timing and CloudWatch model, and the endpoint's own seed.
    #[must_use]
    pub fn of(
        s: &super::scenario::Scenario,
        i: usize,
        arrivals: &'a [f64],
        models: &'a [&'a [f64]],
    ) -> Self {
        Self {
            arrivals,
            models,
            start: s.trace.start,
            dt: s.trace.step.0,
            evaluation_interval: s.evaluation_interval,
            cloudwatch: s.cloudwatch,
            seed: super::compare::endpoint_seed(s.seed, i),
        }
    }
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

/// A fleet for `target` starting at `initial` instances, with its model cache if it has one.
fn fleet_for(target: &SimTarget, replay: &Replay<'_>, initial: u32) -> Fleet {
    let fleet = Fleet::new(&target.fleet, initial, replay.seed, target.asynchronous);
    let fleet = match target.cache {
        Some(cache) => fleet.with_models(cache, replay.models.len()),
        None => fleet,
    };
    match target.serverless_endpoint {
        Some(spec) => fleet.with_serverless(spec, replay.seed),
        None => fleet,
    }
}

/// One interval through the world: each model's share (multi-model), then the fleet's service.
struct World<'a> {
    replay: &'a Replay<'a>,
    per_model: Vec<f64>,
}

impl World<'_> {
    fn serve(&mut self, fleet: &mut Fleet, i: usize, now: Timestamp) -> super::fleet::Service {
        for (slot, series) in self.per_model.iter_mut().zip(self.replay.models) {
            *slot = series[i];
        }
        fleet.serve(
            self.replay.arrivals[i],
            &self.per_model,
            now,
            f64::from(self.replay.dt),
        )
    }
}

/// The run's sums and, if asked for, its timeline.
struct Recorder<'a> {
    out: RunOutput,
    record: bool,
    demand: &'a [u32],
    target: &'a SimTarget,
    dt: f64,
}

impl Recorder<'_> {
    fn add(&mut self, i: usize, service: &super::fleet::Service, supply: u32, billed: u32) {
        let demand = self.demand.get(i).copied().unwrap_or(0);
        self.out
            .acc
            .add(self.dt, service, supply, billed, demand, &self.target.slo);
        if self.record {
            self.out.in_service.push(supply);
            self.out.p99_ms.push((service.p99_s * 1000.0) as f32);
        }
    }
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
    let cap = if record { replay.arrivals.len() } else { 0 };
    let mut rec = Recorder {
        out: RunOutput {
            acc: Accumulator::default(),
            in_service: Vec::with_capacity(cap),
            p99_ms: Vec::with_capacity(cap),
        },
        record,
        demand,
        target,
        dt: f64::from(replay.dt),
    };
    let mut world = World {
        replay,
        per_model: vec![0.0; replay.models.len()],
    };
    match driver {
        Driver::Engine {
            spec,
            metrics,
            history,
        } => {
            let mut fleet = fleet_for(target, replay, target.initial.clamp(spec.min, spec.max));
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
            for i in 0..replay.arrivals.len() {
                let now = Timestamp(replay.start.0 + i as i64 * dt);
                fleet.advance(now);
                let service = world.serve(&mut fleet, i, now);
                rec.add(i, &service, fleet.in_service(), fleet.billed());
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
                        rec.out.acc.actions += 1;
                    }
                }
            }
        }
        Driver::Scripted {
            in_service,
            billed_seconds,
        } => {
            // The oracle serves through the same world: a fleet whose size follows the script,
            // launched ahead of need, so billing comes from the script.
            let mut fleet = fleet_for(target, replay, in_service.first().copied().unwrap_or(0));
            for (i, &n) in in_service.iter().enumerate().take(replay.arrivals.len()) {
                fleet.force(n);
                let service = world.serve(&mut fleet, i, Timestamp(replay.start.0 + i as i64 * dt));
                rec.add(i, &service, n, 0);
                if i > 0 && in_service[i - 1] != n {
                    rec.out.acc.actions += 1;
                }
            }
            rec.out.acc.billed_seconds = *billed_seconds;
        }
    }
    rec.out
}
