//! Policies over simulated endpoints, interval by interval: the fleet serves the trace's
//! arrivals, CloudWatch publishes what SageMaker would, and the decision core the daemon runs
//! decides (`sagescale_core::DecisionCore`: the engine, guard wiring, the
//! `RegisterScalableTarget` planner and its pins). Its calls go to a model of Application Auto
//! Scaling, which moves the fleet into the registered bounds as AWS does.
//!
//! One loop serves a single target and a quality-guarded pair (two variants of one endpoint
//! sharing the trace's traffic by weight) alike.

use sagescale_core::actuation::DEFAULT_PIN_TIMEOUT;
use sagescale_core::provisioning::LeadTracker;
use sagescale_core::{Applied, CapacityError, DecisionCore, Registration, TargetCapacity};
use sagescale_engine::{Capacity, EngineSettings, Suspension, TargetSpec, Timestamp};
use sagescale_metrics::MetricQuery;

use super::cloudwatch::{CloudWatch, CloudWatchModel};
use super::fleet::Fleet;
use super::quality::{PairRun, QualitySpec};
use super::results::Accumulator;
use super::scenario::SimTarget;

/// A target the decision core decides: its spec and its policy set's metric queries.
#[derive(Clone, Copy)]
pub struct Variant<'a> {
    /// The target.
    pub spec: &'a TargetSpec,
    /// The policy set's metric queries.
    pub metrics: &'a [MetricQuery],
    /// Periods of history per query.
    pub history: &'a [u32],
}

/// What drives the endpoint's capacity.
pub enum Driver<'a> {
    /// The decision core, with a target spec and its policy set's metric queries.
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
    /// Requests per interval just before `start`, replayed first and left out of every figure
    /// (the trace's lead-in): the fleet, its CloudWatch and the decision core enter the
    /// window warm. Empty: the run starts cold at `start`.
    pub lead_in: std::borrow::Cow<'a, [f64]>,
    /// Multi-model endpoints: each model's lead-in (sums to `lead_in`).
    pub lead_in_models: Vec<&'a [f64]>,
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
    /// Keep the datapoints the policies saw and the calls they made (`--emit-metrics`).
    pub emit: bool,
}

impl<'a> Replay<'a> {
    /// Endpoint `i` of scenario `s`: its arrivals (and per-model arrivals), the scenario's
    /// timing and CloudWatch model, and the endpoint's own seed.
    #[must_use]
    pub fn of(
        s: &'a super::scenario::Scenario,
        i: usize,
        arrivals: &'a [f64],
        models: &'a [&'a [f64]],
    ) -> Self {
        let (lead_in, lead_in_models) = match s.targets.get(i) {
            Some(t) if !models.is_empty() => (s.lead_in(t), s.model_lead_in(t)),
            Some(t) => (s.lead_in(t), Vec::new()),
            None => (std::borrow::Cow::Borrowed(&[][..]), Vec::new()),
        };
        Self {
            arrivals,
            models,
            lead_in,
            lead_in_models,
            start: s.trace.start,
            dt: s.trace.step.0,
            evaluation_interval: s.evaluation_interval,
            cloudwatch: s.cloudwatch,
            seed: endpoint_seed(s.seed, i),
            emit: false,
        }
    }
}

impl Replay<'_> {
    /// Start of the first interval run: the lead-in's, else the window's.
    #[must_use]
    pub fn first_start(&self) -> Timestamp {
        Timestamp(self.start.0 - i64::from(self.dt) * self.lead_in.len() as i64)
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
    /// What the policies saw and did, when the replay asked to emit it.
    pub emitted: Option<Emitted>,
}

/// What one target's policies saw and did over a run: for `simulate --emit-metrics`, and for
/// checking a replay against the daemon.
#[derive(Clone, Debug, Default)]
pub struct Emitted {
    /// Every datapoint published, `(metric id in the policy set, period end, value)`.
    pub datapoints: Vec<(u32, Timestamp, f64)>,
    /// Every `RegisterScalableTarget` call the decision core made.
    pub calls: Vec<EmittedCall>,
    /// At every evaluation, the capacity the decision core was given (what the daemon would
    /// have read from SageMaker and Application Auto Scaling).
    pub capacities: Vec<(Timestamp, TargetCapacity)>,
}

/// One call the decision core made in a simulated run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EmittedCall {
    /// When (the evaluation instant).
    pub at: Timestamp,
    /// The capacity the engine started from (Application Auto Scaling's current).
    pub current: Capacity,
    /// `MinCapacity` registered.
    pub min: Capacity,
    /// `MaxCapacity` registered.
    pub max: Capacity,
    /// Why.
    pub purpose: sagescale_core::actuation::Purpose,
}

/// A fleet for `target` starting at `initial` instances, with its model cache if it has one.
fn fleet_for(target: &SimTarget, replay: &Replay<'_>, initial: u32, seed: u64) -> Fleet {
    let fleet = Fleet::new(&target.fleet, initial, seed, target.asynchronous);
    let fleet = match target.cache {
        Some(cache) => fleet.with_models(cache, replay.models.len()),
        None => fleet,
    };
    match target.serverless_endpoint {
        Some(spec) => fleet.with_serverless(spec, seed),
        None => fleet,
    }
}

/// One simulated variant: its fleet, the CloudWatch its policies read, and what Application
/// Auto Scaling holds for it.
struct Simulated {
    fleet: Fleet,
    cw: CloudWatch,
    registration: Registration,
    /// Its traffic weight, for a guarded pair; `None` for a lone target.
    weight: Option<f64>,
}

impl Simulated {
    fn new(fleet: Fleet, cw: CloudWatch, spec: &TargetSpec, weight: Option<f64>) -> Self {
        Self {
            fleet,
            cw,
            registration: Registration {
                min: spec.min,
                max: spec.max,
                suspended: Suspension::default(),
            },
            weight,
        }
    }

    /// What the daemon would read: the endpoint's status and counts, the registration and the
    /// weight.
    fn capacity(&self) -> TargetCapacity {
        TargetCapacity {
            status: self.fleet.status(),
            current: self.fleet.in_service(),
            desired: self.fleet.planned(),
            registration: Some(self.registration),
            weight: self.weight,
            room: None,
        }
    }

    /// `RegisterScalableTarget`: hold the bounds, and push the desired count into them at once
    /// (raising Min above it scales out, lowering Max below it scales in). Whether capacity
    /// moved.
    fn register(&mut self, min: Capacity, max: Capacity, now: Timestamp) -> bool {
        self.registration.min = min;
        self.registration.max = max;
        let planned = self.fleet.planned();
        let to = planned.clamp(min, max.max(min));
        if to != planned {
            self.fleet.set_desired(to, now);
        }
        to != planned
    }
}

/// One interval through the world: each model's share (multi-model), then the fleet's service.
struct World<'a> {
    replay: &'a Replay<'a>,
    per_model: Vec<f64>,
}

impl World<'_> {
    /// Interval `i` of the window, or of the lead-in when `lead_in`.
    fn serve(
        &mut self,
        fleet: &mut Fleet,
        lead_in: bool,
        i: usize,
        arrivals: f64,
        now: Timestamp,
    ) -> super::fleet::Service {
        let models: &[&[f64]] = if lead_in {
            &self.replay.lead_in_models
        } else {
            self.replay.models
        };
        for (slot, series) in self.per_model.iter_mut().zip(models) {
            *slot = series.get(i).copied().unwrap_or(0.0);
        }
        fleet.serve(arrivals, &self.per_model, now, f64::from(self.replay.dt))
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

/// A guarded pair's quality series and what the run counts about it.
struct Quality<'a> {
    spec: &'a QualitySpec,
    values: &'a [f64],
    run: PairRun,
}

/// Drive `sims` (one target, or a guarded target and its fallback, `specs` index-aligned) with
/// the decision core over the replay. The first variant's figures go to `rec`, the others'
/// to `others`.
fn drive(
    specs: &[TargetSpec],
    sims: &mut [Simulated],
    replay: &Replay<'_>,
    rec: &mut Recorder<'_>,
    others: &mut [Accumulator],
    mut quality: Option<&mut Quality<'_>>,
) {
    let dt = i64::from(replay.dt);
    let dt_s = f64::from(replay.dt);
    // A lone target takes all the traffic (and its per-model split); a pair shares it by weight.
    let alone = sims.len() == 1;
    let mut world = World {
        replay,
        per_model: vec![0.0; if alone { replay.models.len() } else { 0 }],
    };
    // The simulated Application Auto Scaling accepts every call: nothing is ever undone.
    let mut core = DecisionCore::fresh(specs, EngineSettings::default()).without_undo();
    let mut leads = vec![LeadTracker::default(); sims.len()];
    let mut caps: Vec<Result<TargetCapacity, CapacityError>> =
        sims.iter().map(|s| Ok(s.capacity())).collect();
    let every = i64::from(replay.evaluation_interval.max(1));
    let base_share = sims[0].weight.unwrap_or(1.0);
    let mut calls = Vec::new();
    let mut capacities = Vec::new();
    // The lead-in runs first through the same world and core, and counts in no figure. What
    // the policies saw and did in it is emitted like the rest: it is what they acted on.
    if replay.emit {
        sims[0].cw.keep_datapoints();
    }
    let lead = replay.lead_in.len();
    let first = replay.first_start().0;
    for step in 0..lead + replay.arrivals.len() {
        let scored = step.checked_sub(lead);
        let now = Timestamp(first + step as i64 * dt);
        let total = match scored {
            Some(i) => replay.arrivals[i],
            None => replay.lead_in[step],
        };
        let weights: f64 = if alone {
            1.0
        } else {
            sims.iter().map(|s| s.weight.unwrap_or(1.0)).sum()
        };
        // The guarded variant's quality over this interval, the lead-in's too: it is what the
        // guard reads, and what the degraded requests are counted by.
        let quality_now = quality
            .as_deref()
            .map(|q| q.values.get(step).copied().unwrap_or(f64::NAN));
        for (k, sim) in sims.iter_mut().enumerate() {
            sim.fleet.advance(now);
            let share = if alone {
                1.0
            } else if weights > 0.0 {
                sim.weight.unwrap_or(1.0) / weights
            } else {
                0.0
            };
            let service = world.serve(
                &mut sim.fleet,
                scored.is_none(),
                scored.unwrap_or(step),
                total * share,
                now,
            );
            if let (Some(value), 0) = (quality_now, k) {
                sim.cw.set_quality(value);
            }
            // The lead-in counts in no figure.
            if let Some(i) = scored {
                if k == 0 {
                    rec.add(i, &service, sim.fleet.in_service(), sim.fleet.billed());
                    if let (Some(q), Some(value)) = (quality.as_deref_mut(), quality_now) {
                        if q.spec.degraded(value) {
                            q.run.degraded_requests += service.arrivals;
                            q.run.requests_during_degradation += total;
                        }
                        if share < base_share - 1e-9 {
                            q.run.shifted_minutes += dt_s / 60.0;
                        }
                    }
                } else {
                    others[k - 1].add(
                        dt_s,
                        &service,
                        sim.fleet.in_service(),
                        sim.fleet.billed(),
                        0,
                        &rec.target.slo,
                    );
                    if let Some(q) = quality.as_deref_mut() {
                        q.run.fallback_peak = q.run.fallback_peak.max(sim.fleet.in_service());
                    }
                }
            }
            let in_service = sim.fleet.in_service();
            sim.cw.record(now, dt, &service, in_service);
        }
        let end = Timestamp(now.0 + dt);
        // Evaluate at every evaluation boundary inside or at the end of this interval.
        if end.0.div_euclid(every) == now.0.div_euclid(every) {
            continue;
        }
        for (k, (sim, cap)) in sims.iter_mut().zip(caps.iter_mut()).enumerate() {
            sim.fleet.advance(end);
            let read = sim.capacity();
            // The lead is learned from these reads alone, by the daemon's own tracker: the
            // scenario's provisioning delay is never handed to a policy.
            leads[k].observe(end, &read);
            core.set_lead(k, leads[k].median());
            *cap = Ok(read);
        }
        if let (true, Ok(cap)) = (replay.emit, &caps[0]) {
            capacities.push((end, *cap));
        }
        core.decide(specs, &caps, |k| &sims[k].cw, end, DEFAULT_PIN_TIMEOUT);
        for k in 0..sims.len() {
            if let Some(call) = core.call(k) {
                if replay.emit && k == 0 {
                    calls.push(EmittedCall {
                        at: end,
                        current: core.decision(0).current,
                        min: call.min,
                        max: call.max,
                        purpose: call.purpose,
                    });
                }
                if sims[k].register(call.min, call.max, end) && k == 0 && scored.is_some() {
                    rec.out.acc.actions += 1;
                }
                core.applied(k, Applied::Made);
            }
            // A weights-only update is quick: it lands by the next interval.
            if let Some(w) = core.weight_call(k) {
                for v in &w.variants {
                    if let Some(sim) = specs
                        .iter()
                        .position(|s| variant_of(s) == Some(v.variant.as_str()))
                        .and_then(|j| sims.get_mut(j))
                    {
                        sim.weight = Some(v.weight);
                    }
                }
                if let (Some(q), Some(_)) = (quality.as_deref_mut(), scored) {
                    q.run.weight_changes += 1;
                }
            }
        }
    }
    if replay.emit {
        rec.out.emitted = Some(Emitted {
            datapoints: sims[0].cw.take_datapoints(),
            calls,
            capacities,
        });
    }
}

/// The variant name of an instance-count target's resource id (`endpoint/E/variant/V`).
fn variant_of(spec: &TargetSpec) -> Option<&str> {
    spec.resource_id.rsplit_once("/variant/").map(|(_, v)| v)
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
            emitted: None,
        },
        record,
        demand,
        target,
        dt: f64::from(replay.dt),
    };
    match driver {
        Driver::Engine {
            spec,
            metrics,
            history,
        } => {
            let fleet = fleet_for(
                target,
                replay,
                target.initial.clamp(spec.min, spec.max),
                replay.seed,
            );
            let cw = CloudWatch::new(
                metrics,
                history,
                replay.first_start(),
                replay.cloudwatch,
                replay.seed ^ 0x9e37_79b9_7f4a_7c15,
            );
            let mut sims = [Simulated::new(fleet, cw, spec, None)];
            drive(
                std::slice::from_ref(*spec),
                &mut sims,
                replay,
                &mut rec,
                &mut [],
                None,
            );
        }
        Driver::Scripted {
            in_service,
            billed_seconds,
        } => {
            // The oracle serves through the same world: a fleet whose size follows the script,
            // launched ahead of need, so billing comes from the script.
            let mut world = World {
                replay,
                per_model: vec![0.0; replay.models.len()],
            };
            let mut fleet = fleet_for(
                target,
                replay,
                in_service.first().copied().unwrap_or(0),
                replay.seed,
            );
            for (i, &n) in in_service.iter().enumerate().take(replay.arrivals.len()) {
                fleet.force(n);
                let now = Timestamp(replay.start.0 + i as i64 * dt);
                let service = world.serve(&mut fleet, false, i, replay.arrivals[i], now);
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

/// Run a quality-guarded pair over the replay: `guarded` and its `fallback` share the trace's
/// traffic by weight, and `values[i]` is the guarded variant's quality over interval `i` from
/// [`Replay::first_start`]: the lead-in's intervals, then the window's.
#[must_use]
pub fn run_pair(
    t: &SimTarget,
    q: &QualitySpec,
    values: &[f64],
    replay: &Replay<'_>,
    guarded: Variant<'_>,
    fallback: Variant<'_>,
) -> PairRun {
    let specs = [guarded.spec.clone(), fallback.spec.clone()];
    let fleet = |spec: &TargetSpec, initial: u32, seed: u64| {
        Fleet::new(
            &t.fleet,
            initial.clamp(spec.min, spec.max),
            seed,
            t.asynchronous,
        )
    };
    let cw = |v: Variant<'_>, seed: u64| {
        CloudWatch::new(
            v.metrics,
            v.history,
            replay.first_start(),
            replay.cloudwatch,
            seed,
        )
    };
    let mut cg = cw(guarded, replay.seed ^ 0x9e37_79b9_7f4a_7c15);
    cg.serve_quality(guarded.metrics, &q.metric);
    let mut sims = [
        Simulated::new(
            fleet(guarded.spec, t.initial, replay.seed),
            cg,
            guarded.spec,
            Some(q.weight),
        ),
        Simulated::new(
            fleet(fallback.spec, q.fallback_initial, replay.seed ^ 0xfa11_bac4),
            cw(fallback, replay.seed ^ 0x7f4a_7c15_9e37_79b9),
            fallback.spec,
            Some(1.0 - q.weight),
        ),
    ];
    let mut rec = Recorder {
        out: RunOutput {
            acc: Accumulator::default(),
            in_service: Vec::new(),
            p99_ms: Vec::new(),
            emitted: None,
        },
        record: false,
        demand: &[],
        target: t,
        dt: f64::from(replay.dt),
    };
    let mut others = [Accumulator::default()];
    let mut quality = Quality {
        spec: q,
        values,
        run: PairRun::default(),
    };
    drive(
        &specs,
        &mut sims,
        replay,
        &mut rec,
        &mut others,
        Some(&mut quality),
    );
    let (ag, af) = (&rec.out.acc, &others[0]);
    let mut out = quality.run;
    out.cost_usd = ag.cost_usd(t.fleet.price_per_hour) + af.cost_usd(t.fleet.price_per_hour);
    out.slo_violation_minutes = (ag.violation_seconds + af.violation_seconds) / 60.0;
    out.failed_requests = ag.failed + af.failed;
    out
}

/// Mix a seed with an endpoint index (splitmix64), so endpoints draw independently.
#[must_use]
pub fn endpoint_seed(seed: u64, index: usize) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(index as u64 + 1));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
