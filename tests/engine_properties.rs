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
