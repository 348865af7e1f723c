//! Invariants of the engine, over generated inputs.

mod common;

use common::*;
use proptest::prelude::*;
use sagescale::engine::alarm::Comparison;
use sagescale::engine::step::AdjustmentType;
use sagescale::engine::{Direction, EndpointStatus, Seconds, Timestamp};

fn policies() -> Vec<(&'static str, sagescale::engine::PolicyKind)> {
    vec![
        ("tt", tracking(0, 100.0)),
        (
            "out",
            step_policy(
                1,
                Comparison::GreaterOrEqual,
                50.0,
                AdjustmentType::PercentChangeInCapacity,
                &[(Some(0.0), Some(25.0), 30), (Some(25.0), None, 100)],
                120,
            ),
        ),
        (
            "in",
            step_policy(
                1,
                Comparison::Less,
                10.0,
                AdjustmentType::ChangeInCapacity,
                &[(None, Some(-5.0), -3), (Some(-5.0), Some(0.0), -1)],
                60,
            ),
        ),
    ]
}

/// A metric value, or a missing datapoint about one time in five.
fn datapoint() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![1 => Just(None), 4 => (0.0f64..400.0).prop_map(Some)]
}

fn minutes() -> impl Strategy<Value = Vec<(Option<f64>, Option<f64>, bool)>> {
    prop::collection::vec(
        (datapoint(), datapoint(), prop::bool::weighted(0.1)),
        1..120,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn capacity_never_leaves_the_bounds(min in 1u32..5, span in 0u32..30, start in 0u32..60, run in minutes()) {
        let max = min + span;
        let mut rig = Rig::new(target(min, max, policies()), start.clamp(min, max), 2);
        for (a, b, updating) in run {
            rig.input.status = if updating { EndpointStatus::Updating } else { EndpointStatus::InService };
            let c = rig.minute(&[a, b]);
            prop_assert!((min..=max).contains(&c), "capacity {c} outside {min}..={max}");
            prop_assert!(rig.decision.desired >= rig.decision.bounds.min || updating);
        }
    }

    #[test]
    fn a_missing_or_stale_newest_datapoint_never_removes_capacity(run in minutes(), stale_by in 301i64..5000) {
        let mut rig = Rig::new(target(1, 100, policies()), 50, 2);
        for (a, b, _) in run {
            let before = rig.input.current;
            rig.minute(&[a, b]);
            if a.is_none() && b.is_none() {
                prop_assert!(rig.decision.direction != Direction::In, "scaled in {before} -> {} on missing data", rig.input.current);
            }
        }
        // The same windows, read long after they ended, are stale: no scale-in.
        let end = rig.now();
        rig.eval_at(end, Timestamp(end.0 + stale_by));
        prop_assert!(rig.decision.direction != Direction::In);
    }

    #[test]
    fn the_same_inputs_give_the_same_decisions(run in minutes(), start in 1u32..40) {
        let go = || {
            let mut rig = Rig::new(target(1, 60, policies()), start, 2);
            run.iter().map(|(a, b, _)| { rig.minute(&[*a, *b]); rig.decision.clone() }).collect::<Vec<_>>()
        };
        prop_assert_eq!(go(), go());
    }

    #[test]
    fn more_load_never_gives_less_capacity_from_target_tracking(
        history in prop::collection::vec(0.0f64..400.0, 15..40),
        extra in 0.0f64..200.0,
        current in 1u32..50,
        cooling in prop::bool::ANY,
    ) {
        let run = |scale: f64| {
            let mut rig = Rig::new(target(1, 1000, vec![("tt", tracking(0, 100.0))]), current, 1);
            if cooling {
                rig.state.cooldown.scale_out = Some(sagescale::engine::state::ScaleOutCooldown { until: Timestamp(i64::MAX), base: current / 2 + 1 });
            }
            rig.history[0] = history.iter().map(|v| Some(v + scale)).collect();
            let end = Timestamp(rig.history[0].len() as i64 * MINUTE);
            rig.eval_at(end, end.plus(Seconds(30)))
        };
        prop_assert!(run(0.0) <= run(extra));
    }
}

/// sagescale's own kinds on one target: burst-aware and predictive on metric 0, deadline-aware
/// on metrics 0 (backlog) and 1 (age), and a quality guard on metric 1.
fn beyond_aws() -> Vec<(&'static str, sagescale::engine::PolicyKind)> {
    use sagescale::engine::alarm::{AlarmSpec, TreatMissingData};
    use sagescale::engine::quality::{QualityCheck, QualityGuardSpec};
    use sagescale::engine::PolicyKind;
    use sagescale::metrics::MetricId;
    let alarm = |comparison, threshold| AlarmSpec {
        metric: MetricId(1),
        comparison,
        threshold,
        evaluation_periods: 2,
        datapoints_to_alarm: 2,
        treat_missing: TreatMissingData::Missing,
    };
    vec![
        (
            "burst",
            PolicyKind::BurstAware(sagescale::engine::burst::BurstSpec {
                metric: MetricId(0),
                per_unit: false,
                target: 50.0,
                stable_window: Seconds(180),
                panic_window: Seconds(60),
                panic_threshold: 2.0,
                scale_in_stabilization: Seconds(300),
                tolerance: 0.1,
                disable_scale_in: false,
            }),
        ),
        (
            "predictive",
            PolicyKind::Predictive(sagescale::engine::predictive::PredictiveSpec {
                metric: MetricId(0),
                target: 50.0,
                lead: Seconds(900),
                history_days: 2,
                max_error: 0.3,
                mode: sagescale::engine::predictive::PredictiveMode::ForecastAndScale,
                missing_is_zero: false,
            }),
        ),
        (
            "deadline",
            PolicyKind::BacklogDeadline(sagescale::engine::deadline::DeadlineSpec {
                backlog: MetricId(0),
                age: MetricId(1),
                throughput_per_s: 2.0,
                deadline: Seconds(600),
                safety: 0.8,
                idle: Seconds(600),
            }),
        ),
        (
            "guard",
            PolicyKind::QualityGuard(QualityGuardSpec {
                checks: vec![QualityCheck {
                    breach: alarm(Comparison::Greater, 300.0),
                    clear: alarm(Comparison::LessOrEqual, 200.0),
                }],
                fallback: "f".into(),
                fallback_variant: "f".into(),
                variant: "v".into(),
                endpoint: "e".into(),
                shift: 0.5,
                capacity_ratio: 1.0,
                recover_after: Seconds(300),
            }),
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn beyond_aws_kinds_keep_the_bounds_and_never_shed_on_missing_data(
        min in 0u32..5,
        span in 0u32..30,
        start in 0u32..60,
        floor in proptest::option::of(0u32..60),
        weights_moved in prop::bool::ANY,
        run in minutes(),
    ) {
        let max = min + span;
        let mut rig = Rig::new(target(min, max, beyond_aws()), start.clamp(min, max), 2);
        rig.input.guard_floor = floor;
        for (a, b, updating) in run {
            rig.input.status = if updating { EndpointStatus::Updating } else { EndpointStatus::InService };
            // The endpoint reports whatever weights the guard last asked for, or not.
            let t = rig.decision.traffic.and_then(|t| t.weights).filter(|_| weights_moved);
            rig.input.traffic = Some(sagescale::engine::quality::TrafficInput {
                weight: t.map_or(0.8, |w| w.0),
                fallback_weight: t.map_or(0.2, |w| w.1),
                fallback_current: 3,
                fallback_settled: true,
            });
            let before = rig.input.current;
            let c = rig.minute(&[a, b]);
            prop_assert!((min..=max).contains(&c) || (updating && c == before), "capacity {c} outside {min}..={max}");
            if a.is_none() && b.is_none() {
                prop_assert!(rig.decision.direction != Direction::In, "scaled in {before} -> {c} on missing data");
            }
            if let Some(t) = rig.decision.traffic {
                // The guard only ever asks for weights that keep the total.
                if let Some((w, fw)) = t.weights {
                    prop_assert!((w + fw - 1.0).abs() < 1e-9 && w >= 0.0 && fw >= 0.0);
                }
                // Engaged or breaching: no scale-in on this target.
                if t.phase != sagescale::engine::quality::GuardPhase::Healthy {
                    prop_assert!(rig.decision.direction != Direction::In || rig.decision.by.is_none());
                }
            }
        }
    }

    #[test]
    fn beyond_aws_kinds_decide_the_same_on_the_same_inputs(run in minutes(), start in 0u32..40) {
        let go = || {
            let mut rig = Rig::new(target(0, 60, beyond_aws()), start, 2);
            run.iter().map(|(a, b, _)| { rig.minute(&[*a, *b]); rig.decision.clone() }).collect::<Vec<_>>()
        };
        prop_assert_eq!(go(), go());
    }
}
