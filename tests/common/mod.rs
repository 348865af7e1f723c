//! Helpers shared by the integration tests: a tiny driver that feeds one target per-minute
//! datapoints and applies decisions at once.
#![allow(dead_code)]

use sagescale::engine::alarm::{AlarmSpec, Comparison, TreatMissingData};
use sagescale::engine::step::{AdjustmentType, StepAdjustment, StepSpec};
use sagescale::engine::target_tracking::TargetTrackingSpec;
use sagescale::engine::{
    evaluate, CapacityInput, Decision, EndpointStatus, EngineSettings, PolicyKind, PolicySpec,
    ScalableDimension, Seconds, TargetSpec, TargetState, Timestamp, Workload,
};
use sagescale::metrics::{MetricId, ObservationSet};

pub const MINUTE: i64 = 60;

pub fn target(min: u32, max: u32, policies: Vec<(&str, PolicyKind)>) -> TargetSpec {
    TargetSpec {
        name: "t".into(),
        resource_id: "endpoint/e/variant/v".into(),
        dimension: ScalableDimension::InstanceCount,
        workload: Workload::Realtime,
        min,
        max,
        policies: policies
            .into_iter()
            .map(|(n, kind)| PolicySpec {
                name: n.into(),
                kind,
            })
            .collect(),
    }
}

pub fn tracking(metric: u32, target_value: f64) -> PolicyKind {
    PolicyKind::TargetTracking(TargetTrackingSpec::aws_default(
        MetricId(metric),
        target_value,
    ))
}

pub fn step_policy(
    metric: u32,
    comparison: Comparison,
    threshold: f64,
    kind: AdjustmentType,
    steps: &[(Option<f64>, Option<f64>, i32)],
    cooldown: u32,
) -> PolicyKind {
    PolicyKind::Step(StepSpec {
        alarm: AlarmSpec {
            metric: MetricId(metric),
            comparison,
            threshold,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            treat_missing: TreatMissingData::Missing,
        },
        adjustment_type: kind,
        steps: steps
            .iter()
            .map(|&(lower, upper, adjustment)| StepAdjustment {
                lower,
                upper,
                adjustment,
            })
            .collect(),
        min_adjustment_magnitude: None,
        cooldown: Seconds(cooldown),
    })
}

/// One target, its metric histories and its capacity, advanced minute by minute.
pub struct Rig {
    pub spec: TargetSpec,
    pub state: TargetState,
    pub input: CapacityInput,
    pub history: Vec<Vec<Option<f64>>>,
    pub decision: Decision,
    pub settings: EngineSettings,
    pub obs: ObservationSet,
}

impl Rig {
    pub fn new(spec: TargetSpec, current: u32, metrics: usize) -> Self {
        let state = TargetState::new(&spec);
        Self {
            spec,
            state,
            input: CapacityInput {
                current,
                status: EndpointStatus::InService,
                ..CapacityInput::default()
            },
            history: vec![Vec::new(); metrics],
            decision: Decision::default(),
            settings: EngineSettings::default(),
            obs: ObservationSet::with_metrics(metrics),
        }
    }

    /// Append one minute's datapoint per metric, evaluate at the end of that minute, and
    /// apply the decision at once. Returns the capacity after.
    pub fn minute(&mut self, values: &[Option<f64>]) -> u32 {
        for (h, v) in self.history.iter_mut().zip(values) {
            h.push(*v);
        }
        let minutes = self.history[0].len() as i64;
        let end = Timestamp(minutes * MINUTE);
        self.eval_at(end, end)
    }

    /// Evaluate at `now` with windows ending at `end`, and apply the decision.
    pub fn eval_at(&mut self, end: Timestamp, now: Timestamp) -> u32 {
        for (i, h) in self.history.iter().enumerate() {
            self.obs.set(MetricId(i as u32), Seconds(60), end, h);
        }
        evaluate(
            &self.settings,
            &self.spec,
            &mut self.state,
            &self.input,
            &self.obs,
            now,
            &mut self.decision,
        );
        if self.input.status == EndpointStatus::InService {
            self.input.current = self.decision.desired;
        }
        self.input.current
    }

    pub fn now(&self) -> Timestamp {
        Timestamp(self.history[0].len() as i64 * MINUTE)
    }
}
