//! The daemon and the simulator decide alike: for generated policy sets and traffic, the
//! daemon's cycle (`Controller::cycle`, the code `sagescale run` and `plan` execute), fed the
//! datapoints and capacities the simulated endpoint produced, makes the same
//! `RegisterScalableTarget` calls, at the same instants, as the simulator's own driver did.
//!
//! The world is the simulator's: its fleet, its emulated CloudWatch (with a fixed ingestion
//! delay, read by the daemon with the same metric lag) and its model of Application Auto
//! Scaling. The daemon sees it through ports that serve exactly what the simulator recorded,
//! as the AWS adapters would serve CloudWatch's and SageMaker's replies.
//!
//! This is also the no-peeking test. The world is generated too: its service time, spread,
//! concurrency, batching curve and provisioning delay. The daemon's side knows none of them,
//! only the datapoints and capacity reads; so if a policy in the simulator read the scenario's
//! truth (the `slo` kind learns service time, spread, concurrency and the lead), its calls
//! would part from the daemon's on some world.

use std::collections::HashMap;
use std::path::Path;

use proptest::prelude::*;

use sagescale::core::actuation::{Call, Purpose};
use sagescale::core::ports::{Actuator, CapacitySource, MetricSource, NoFence};
use sagescale::core::{
    CallError, CapacityError, FetchReport, OwnDatum, ReadCalls, TargetCapacity, VariantWeight,
};
use sagescale::daemon::controller::{Controller, Mode, Options};
use sagescale::daemon::telemetry::Telemetry;
use sagescale::engine::{Capacity, EngineSettings, ScalableDimension, Seconds, Timestamp};
use sagescale::metrics::{MetricId, MetricQuery, ObservationSet};
use sagescale::sim::run::{run, Driver, Emitted, Replay};
use sagescale::sim::scenario::{self, Overrides};

/// The scenario's ingestion delay and the daemon's metric lag.
const DELAY: u32 = 60;

/// What the simulated endpoint produced, served to the daemon as the AWS adapters would serve
/// CloudWatch's and SageMaker's replies.
struct Recorded {
    queries: Vec<MetricQuery>,
    history: Vec<u32>,
    /// (metric, period end) -> value.
    datapoints: HashMap<(u32, i64), f64>,
    capacities: HashMap<i64, TargetCapacity>,
    calls: Vec<(i64, Call)>,
}

impl MetricSource for Recorded {
    fn prepare(&mut self, _: &[MetricQuery], _: &[u32]) {}

    async fn fetch(&mut self, now: Timestamp, out: &mut ObservationSet) -> FetchReport {
        // As `GetMetricData` would answer: the newest whole period that ended at least the lag
        // ago, back `history` periods, missing where nothing was published.
        for (m, q) in self.queries.iter().enumerate() {
            let p = i64::from(q.period().0);
            let end = (now.0 - i64::from(DELAY)).div_euclid(p) * p;
            let h = i64::from(self.history[m].max(1));
            let values: Vec<Option<f64>> = (0..h)
                .map(|k| {
                    let pend = end - (h - 1 - k) * p;
                    self.datapoints.get(&(m as u32, pend)).copied()
                })
                .collect();
            out.set(MetricId(m as u32), q.period(), Timestamp(end), &values);
        }
        FetchReport::default()
    }

    fn calls_per_fetch(&self) -> usize {
        1
    }
}

impl CapacitySource for Recorded {
    async fn read(
        &mut self,
        targets: &[(String, ScalableDimension)],
        now: Timestamp,
    ) -> (Vec<Result<TargetCapacity, CapacityError>>, ReadCalls) {
        let cap = self.capacities.get(&now.0).copied().ok_or_else(|| {
            CapacityError::NotFound(format!("the simulator made no evaluation at {}", now.0))
        });
        (vec![cap; targets.len()], ReadCalls::default())
    }
}

impl Actuator for Recorded {
    async fn register(
        &self,
        _: &str,
        _: ScalableDimension,
        _: Capacity,
        _: Capacity,
    ) -> Result<u32, CallError> {
        Ok(1)
    }

    async fn set_weights(&self, _: &str, _: &[VariantWeight]) -> Result<u32, CallError> {
        Ok(1)
    }

    async fn publish(&self, _: Timestamp, _: &[OwnDatum]) -> Result<u32, CallError> {
        Ok(0)
    }
}

/// One policy of a generated set, as policy-file text.
fn policy() -> impl Strategy<Value = String> {
    prop_oneof![
        (100.0..3000.0f64, 1u16..4, 0u32..600, 0u32..900).prop_map(|(target, dp, out_cd, in_cd)| format!(
            "[[targets.policies]]\nname = \"tt\"\ntype = \"target-tracking\"\nmetric = {{ predefined = \"InvocationsPerInstance\" }}\ntarget = {target:.1}\nscale_out_datapoints = {dp}\nscale_out_evaluation_periods = {dp}\nscale_out_cooldown = {out_cd}\nscale_in_cooldown = {in_cd}\n"
        )),
        (500.0..4000.0f64, 1i32..4).prop_map(|(threshold, add)| format!(
            "[[targets.policies]]\nname = \"step\"\ntype = \"step\"\nadjustment_type = \"ChangeInCapacity\"\ncooldown = 120\n[targets.policies.alarm]\nmetric = {{ predefined = \"InvocationsPerInstance\" }}\ncomparison = \"GreaterThanThreshold\"\nthreshold = {threshold:.1}\nevaluation_periods = 2\n[[targets.policies.steps]]\nlower = 0.0\nadjustment = {add}\n"
        )),
        (0.8..1.8f64, 0u32..400, prop::bool::ANY).prop_map(|(target, hold, panic)| format!(
            "[[targets.policies]]\nname = \"burst\"\ntype = \"burst-aware\"\nmetric = {{ predefined = \"ConcurrentRequestsPerModel\" }}\nload = \"per-unit\"\ntarget = {target:.2}\nstable_window_seconds = 60\nscale_in_stabilization_seconds = {hold}\npanic_threshold = {}\ntolerance = 0.0\n",
            if panic { "2.0" } else { "0" }
        )),
        (1000.0..6000.0f64).prop_map(|target| format!(
            "[[targets.policies]]\nname = \"burst-total\"\ntype = \"burst-aware\"\nmetric = {{ predefined = \"Invocations\" }}\ntarget = {target:.1}\n"
        )),
        (1u32..6, 0usize..4, 0u32..30, prop::bool::ANY).prop_map(|(p99, risk, relaunch, seasonal)| format!(
            "[[targets.policies]]\nname = \"slo\"\ntype = \"slo\"\np99_latency_ms = {}\nrisk = {}\nrelaunch_cost_minutes = {relaunch}\nseasonal_days = {}\n",
            p99 * 150,
            [0.001, 0.01, 0.05, 0.2][risk],
            if seasonal { 2 } else { 0 }
        )),
        (0u32..6, 2u32..6).prop_map(|(hour, min)| format!(
            "[[targets.policies]]\nname = \"morning\"\ntype = \"scheduled\"\nschedule = \"cron(0 {hour} * * ? *)\"\nmin = {min}\n"
        )),
    ]
}

/// A policy set: one target on the scenario's endpoint with one to three policies of
/// different kinds.
fn policy_set() -> impl Strategy<Value = String> {
    (1u32..4, 6u32..40, prop::collection::vec(policy(), 1..4)).prop_map(|(min, max, ps)| {
        let mut seen = Vec::new();
        let mut text = format!(
            "[[targets]]\nname = \"e\"\nresource_id = \"endpoint/e/variant/AllTraffic\"\nmin = {min}\nmax = {max}\n\n"
        );
        for p in ps {
            let name = p.lines().nth(1).unwrap_or_default().to_string();
            if !seen.contains(&name) {
                seen.push(name);
                text.push_str(&p);
                text.push('\n');
            }
        }
        text
    })
}

/// Per-minute traffic: a level with a diurnal swing and a flash crowd.
fn traffic() -> impl Strategy<Value = Vec<u32>> {
    (500u32..8000, 0.0..0.8f64, 0usize..300, 1.0..6.0f64).prop_map(|(level, swing, at, burst)| {
        (0..360)
            .map(|i| {
                let day = 1.0 + swing * (i as f64 / 60.0).sin();
                let crowd = if (at..at + 20).contains(&i) {
                    burst
                } else {
                    1.0
                };
                (f64::from(level) * day * crowd) as u32
            })
            .collect()
    })
}

/// The simulated endpoint's truth, as `[[targets]]` lines: mean service time, its spread,
/// requests served at once, the provisioning delay, and sometimes a batching curve instead.
fn world() -> impl Strategy<Value = String> {
    // Within what the scenario's p99 objective of 400 ms allows (the service time alone
    // stays under it).
    (
        20u32..80,
        0.0..1.0f64,
        1u32..8,
        60u32..600,
        prop::option::of((100.0..800.0f64, 1.2..3.0f64)),
    )
        .prop_map(|(ms, cv, concurrency, lead, batching)| {
            let lead = format!("provisioning_median_s = {lead}\n");
            match batching {
                None => format!(
                    "{lead}latency_ms = {ms}\nlatency_cv = {cv:.2}\nconcurrency = {concurrency}\n"
                ),
                Some((rps, gain)) => {
                    // Throughput rising with the batch and levelling off (the curve replaces
                    // the service time, spread and concurrency).
                    let curve: Vec<String> = (1..=4)
                        .map(|k| format!("{:.1}", rps * gain.powf(1.0 - 1.0 / f64::from(k))))
                        .collect();
                    format!(
                        "{lead}[targets.batching]\nin_flight = [2, 4, 8, 16]\nthroughput_rps = [{}]\nsource = \"generated\"\n",
                        curve.join(", ")
                    )
                }
            }
        })
}

fn scenario(dir: &Path, policy: &str, world: &str, counts: &[u32]) -> scenario::Scenario {
    let mut csv = String::from("period,count\n");
    for (i, c) in counts.iter().enumerate() {
        let t = chrono::DateTime::from_timestamp(898_646_400 + 60 * i as i64, 0).unwrap();
        csv.push_str(&format!("{},{c}\n", t.format("%Y-%m-%d %H:%M:%S")));
    }
    std::fs::write(dir.join("t.csv"), csv).unwrap();
    std::fs::write(dir.join("p.toml"), policy).unwrap();
    let text = format!(
        "name = \"agreement\"\nseed = 7\n[trace]\npath = \"t.csv\"\n\n[[targets]]\nname = \"e\"\ninstance_type = \"ml.c5.xlarge\"\nmin = 1\nmax = 40\nslo = {{ p99_latency_ms = 400 }}\n{world}\n[[policies]]\nname = \"p\"\npath = \"p.toml\"\n\n[simulation]\ncloudwatch_delay_min_s = {DELAY}\ncloudwatch_delay_max_s = {DELAY}\n"
    );
    std::fs::write(dir.join("s.toml"), text).unwrap();
    scenario::load(&dir.join("s.toml"), &Overrides::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The simulator's run of the scenario's one policy, with what it saw and did.
fn simulate(s: &scenario::Scenario) -> Emitted {
    let p = &s.policies[0];
    let t = &s.targets[0];
    let arrivals = s.arrivals(t);
    let replay = Replay {
        emit: true,
        ..Replay::of(s, 0, &arrivals, &[])
    };
    let driver = Driver::Engine {
        spec: &p.set.targets[p.target_of[0]],
        metrics: &p.set.metrics,
        history: &p.set.metric_history,
    };
    run(t, &replay, &[], &driver, false)
        .emitted
        .expect("emission was asked for")
}

/// The daemon's calls over the same instants, fed what the simulator recorded.
fn daemon(dir: &Path, queries: &[MetricQuery], history: &[u32], e: &Emitted) -> Vec<(i64, Call)> {
    let (set, _) = sagescale::policy::load(&[dir.join("p.toml")]).unwrap();
    let mut world = Recorded {
        queries: queries.to_vec(),
        history: history.to_vec(),
        datapoints: e
            .datapoints
            .iter()
            .map(|&(m, end, v)| ((m, end.0), v))
            .collect(),
        capacities: e.capacities.iter().map(|&(t, c)| (t.0, c)).collect(),
        calls: Vec::new(),
    };
    let mut controller = Controller::new(set, None, EngineSettings::default()).unwrap();
    let opts = Options {
        mode: Mode::Act,
        pin_timeout: Seconds(1800),
        publish: false,
        fencing_token: None,
    };
    let telemetry = Telemetry::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for &(at, _) in &e.capacities {
        let report =
            rt.block_on(controller.cycle(&mut world, &mut NoFence, at, &opts, None, &telemetry));
        if let Some((call, _)) = report.targets[0].call {
            world.calls.push((at.0, call));
        }
    }
    world.calls
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn the_daemon_makes_the_simulators_calls_on_the_simulators_world(
        policy in policy_set(),
        world in world(),
        counts in traffic(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let s = scenario(dir.path(), &policy, &world, &counts);
        let e = simulate(&s);
        let p = &s.policies[0];
        let sim: Vec<(i64, Call)> = e
            .calls
            .iter()
            .map(|c| (c.at.0, Call { min: c.min, max: c.max, purpose: c.purpose }))
            .collect();
        let daemon = daemon(dir.path(), &p.set.metrics, &p.set.metric_history, &e);
        let first_difference = sim.iter().zip(&daemon).position(|(a, b)| a != b);
        prop_assert!(
            sim == daemon,
            "policy:\n{policy}\nworld:\n{world}\nfirst difference at call {first_difference:?}: simulator {:?}, daemon {:?} ({} against {} calls)",
            first_difference.map(|k| sim[k]),
            first_difference.map(|k| daemon[k]),
            sim.len(),
            daemon.len()
        );
        // Not vacuous: the generated traffic makes most sets act.
        prop_assume!(sim.iter().any(|(_, c)| c.purpose != Purpose::Register));
    }
}
