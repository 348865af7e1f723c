//! The engine's semantic rules, each with a test; AWS's worked examples are rows here.

mod common;

use common::*;
use sagescale::engine::alarm::Comparison;
use sagescale::engine::schedule::{CronTrigger, ScheduleSpec, Trigger};
use sagescale::engine::step::AdjustmentType;
use sagescale::engine::{
    Direction, EndpointStatus, PersistedState, PolicyKind, Reason, Rule, Seconds, Timestamp,
};
use std::str::FromStr;

#[test]
fn scale_out_waits_for_three_high_datapoints() {
    let mut rig = Rig::new(target(1, 50, vec![("tt", tracking(0, 100.0))]), 4, 1);
    for _ in 0..5 {
        assert_eq!(rig.minute(&[Some(80.0)]), 4);
    }
    assert_eq!(rig.minute(&[Some(150.0)]), 4, "1 of 3");
    assert_eq!(rig.minute(&[Some(150.0)]), 4, "2 of 3");
    // 3 of 3: ceil(4 * 150 / 100) = 6
    assert_eq!(rig.minute(&[Some(150.0)]), 6);
    assert_eq!(rig.decision.direction, Direction::Out);
    assert_eq!(rig.decision.by, Some(0));
}

#[test]
fn scale_in_waits_for_fifteen_low_datapoints() {
    let mut rig = Rig::new(target(1, 50, vec![("tt", tracking(0, 100.0))]), 10, 1);
    // 0.9 * 100 = 90 is the low threshold; 89 is below it.
    for minute in 1..15 {
        assert_eq!(rig.minute(&[Some(50.0)]), 10, "minute {minute}");
    }
    // 15 of 15: ceil(10 * 50 / 100) = 5
    assert_eq!(rig.minute(&[Some(50.0)]), 5);
    assert_eq!(rig.decision.direction, Direction::In);
}

#[test]
fn values_between_the_low_threshold_and_the_target_hold() {
    let mut rig = Rig::new(target(1, 50, vec![("tt", tracking(0, 100.0))]), 10, 1);
    for _ in 0..30 {
        assert_eq!(rig.minute(&[Some(95.0)]), 10);
    }
    assert!(matches!(
        rig.decision.verdicts[0].reason,
        Reason::Steady { .. }
    ));
}

#[test]
fn no_scale_in_when_removing_one_unit_would_rebreach() {
    // 2 instances at 85 (< 90 low threshold): one instance would carry 170 > 100.
    let mut rig = Rig::new(target(1, 50, vec![("tt", tracking(0, 100.0))]), 2, 1);
    for _ in 0..20 {
        assert_eq!(rig.minute(&[Some(85.0)]), 2);
    }
    let Reason::WouldRebreach { after, .. } = rig.decision.verdicts[0].reason else {
        panic!("{:?}", rig.decision.verdicts[0]);
    };
    assert!((after - 170.0).abs() < 1e-9);
}

#[test]
fn scale_in_is_blocked_during_its_cooldown_but_scale_out_cancels_it() {
    let mut rig = Rig::new(target(1, 50, vec![("tt", tracking(0, 100.0))]), 20, 1);
    for _ in 0..15 {
        rig.minute(&[Some(40.0)]);
    }
    assert_eq!(rig.input.current, 8, "ceil(20 * 40 / 100)");
    let cooldown_end = rig.now().plus(Seconds(300));
    // Still low: blocked by the 300 s scale-in cooldown.
    rig.minute(&[Some(20.0)]);
    assert_eq!(rig.input.current, 8);
    assert_eq!(
        rig.decision.blocked,
        Some(Rule::ScaleInCooldown {
            until: cooldown_end
        })
    );
    // A burst scales out during the scale-in cooldown, and cancels it.
    for _ in 0..3 {
        rig.minute(&[Some(200.0)]);
    }
    assert_eq!(rig.input.current, 16);
    assert_eq!(rig.state.cooldown.scale_in_until, None);
}

#[test]
fn capacity_added_during_a_scale_out_cooldown_counts_toward_the_next() {
    // AWS's example: +2 starts a cooldown; a later, stronger alarm at +3 adds only 1 more.
    let policy = step_policy(
        0,
        Comparison::GreaterOrEqual,
        50.0,
        AdjustmentType::ChangeInCapacity,
        &[(Some(0.0), Some(20.0), 2), (Some(20.0), None, 3)],
        300,
    );
    let mut rig = Rig::new(target(1, 50, vec![("step", policy)]), 10, 1);
    assert_eq!(rig.minute(&[Some(60.0)]), 12);
    // Same step again inside the cooldown: 10 + 2 = 12 is already there.
    assert_eq!(rig.minute(&[Some(60.0)]), 12);
    assert!(matches!(
        rig.decision.verdicts[0].reason,
        Reason::AddedCapacityCounts {
            base: 10,
            wanted: 12
        }
    ));
    // The stronger step: 10 + 3 = 13, one more than now.
    assert_eq!(rig.minute(&[Some(75.0)]), 13);
    // After the cooldown, the step applies to current capacity again.
    rig.eval_at(rig.now(), rig.now().plus(Seconds(10)));
    for _ in 0..6 {
        rig.minute(&[Some(10.0)]);
    }
    assert_eq!(rig.minute(&[Some(60.0)]), 15);
}

#[test]
fn no_scale_in_during_a_scale_out_cooldown() {
    let out = step_policy(
        0,
        Comparison::GreaterOrEqual,
        50.0,
        AdjustmentType::ChangeInCapacity,
        &[(Some(0.0), None, 2)],
        600,
    );
    let inn = step_policy(
        0,
        Comparison::Less,
        10.0,
        AdjustmentType::ChangeInCapacity,
        &[(None, Some(0.0), -1)],
        60,
    );
    let mut rig = Rig::new(target(1, 50, vec![("out", out), ("in", inn)]), 5, 1);
    assert_eq!(rig.minute(&[Some(60.0)]), 7);
    assert_eq!(rig.minute(&[Some(1.0)]), 7);
    assert!(matches!(
        rig.decision.blocked,
        Some(Rule::ScaleOutCooldown { .. })
    ));
}

#[test]
fn percent_steps_follow_aws_worked_example() {
    // 10 -> +10 % -> 11 -> +30 % -> 14, with no cooldown in the way.
    let p = step_policy(
        0,
        Comparison::GreaterOrEqual,
        50.0,
        AdjustmentType::PercentChangeInCapacity,
        &[(Some(0.0), Some(10.0), 10), (Some(10.0), None, 30)],
        0,
    );
    let mut rig = Rig::new(target(1, 100, vec![("pct", p)]), 10, 1);
    assert_eq!(rig.minute(&[Some(55.0)]), 11);
    assert_eq!(rig.minute(&[Some(65.0)]), 14);
}

#[test]
fn several_policies_take_the_largest_capacity() {
    // Current 10; one policy +3, another +200 % -> 30.
    let plus3 = step_policy(
        0,
        Comparison::Greater,
        1.0,
        AdjustmentType::ChangeInCapacity,
        &[(Some(0.0), None, 3)],
        300,
    );
    let pct = step_policy(
        1,
        Comparison::Greater,
        1.0,
        AdjustmentType::PercentChangeInCapacity,
        &[(Some(0.0), None, 200)],
        300,
    );
    let mut rig = Rig::new(target(1, 100, vec![("plus3", plus3), ("pct", pct)]), 10, 2);
    assert_eq!(rig.minute(&[Some(5.0), Some(5.0)]), 30);
    assert_eq!(rig.decision.by, Some(1));
    assert_eq!(rig.decision.verdicts[0].wants, Some(13));
}

#[test]
fn scale_in_needs_every_scale_in_enabled_policy_to_agree() {
    let mut rig = Rig::new(
        target(
            1,
            50,
            vec![("a", tracking(0, 100.0)), ("b", tracking(1, 100.0))],
        ),
        10,
        2,
    );
    for _ in 0..20 {
        rig.minute(&[Some(30.0), Some(95.0)]);
    }
    assert_eq!(rig.input.current, 10);
    assert_eq!(
        rig.decision.blocked,
        Some(Rule::ScaleInNotUnanimous { policy: 1 })
    );
    // When both are low, the larger of the two wishes wins: max(ceil(3), ceil(6)) = 6.
    for _ in 0..15 {
        rig.minute(&[Some(30.0), Some(60.0)]);
    }
    assert_eq!(rig.input.current, 6);
}

#[test]
fn a_policy_with_scale_in_disabled_neither_scales_in_nor_blocks_others() {
    let mut no_in = sagescale::engine::target_tracking::TargetTrackingSpec::aws_default(
        sagescale::metrics::MetricId(1),
        100.0,
    );
    no_in = sagescale::engine::target_tracking::TargetTrackingSpec::new(
        no_in.metric,
        100.0,
        no_in.scale_out,
        no_in.scale_in,
        0.9,
        Seconds(300),
        Seconds(300),
        true,
    );
    let mut rig = Rig::new(
        target(
            1,
            50,
            vec![
                ("a", tracking(0, 100.0)),
                ("b", PolicyKind::TargetTracking(no_in)),
            ],
        ),
        10,
        2,
    );
    for _ in 0..15 {
        rig.minute(&[Some(30.0), Some(10.0)]);
    }
    assert_eq!(rig.input.current, 3);
    assert_eq!(
        rig.decision.verdicts[1].reason,
        Reason::ScaleInDisabled { value: 10.0 }
    );
    assert_eq!(rig.decision.verdicts[1].wants, None);
}

#[test]
fn missing_datapoints_never_scale_in() {
    let mut rig = Rig::new(target(1, 50, vec![("tt", tracking(0, 100.0))]), 10, 1);
    rig.history[0] = vec![Some(10.0); 15];
    // The newest datapoint is missing: the low alarm is still in ALARM by looking back past
    // it, but capacity is not removed on that.
    assert_eq!(rig.minute(&[None]), 10);
    assert_eq!(
        rig.decision.verdicts[0].reason,
        Reason::NeedsFreshDataToScaleIn
    );
    assert_eq!(
        rig.state.policies[0].alarms[1],
        sagescale::engine::alarm::AlarmState::Alarm
    );
    // Stale windows are missing too.
    let mut stale = Rig::new(target(1, 50, vec![("tt", tracking(0, 100.0))]), 10, 1);
    stale.history[0] = vec![Some(10.0); 30];
    let end = Timestamp(30 * MINUTE);
    assert_eq!(stale.eval_at(end, end.plus(Seconds(301))), 10);
    assert_eq!(
        stale.decision.verdicts[0].reason,
        Reason::NoData { stale: true }
    );
}

#[test]
fn missing_counted_as_breaching_never_scales_in() {
    let inn = step_policy(
        0,
        Comparison::Less,
        10.0,
        AdjustmentType::ChangeInCapacity,
        &[(None, Some(0.0), -1)],
        0,
    );
    let PolicyKind::Step(mut s) = inn else {
        unreachable!()
    };
    s.alarm.treat_missing = sagescale::engine::alarm::TreatMissingData::Breaching;
    s.alarm.evaluation_periods = 3;
    s.alarm.datapoints_to_alarm = 3;
    let mut rig = Rig::new(target(1, 50, vec![("in", PolicyKind::Step(s))]), 5, 1);
    rig.history[0] = vec![Some(50.0), Some(5.0), None];
    // 5 < 10 breaches, and the two missing datapoints count as breaching: ALARM on 3 of 3.
    assert_eq!(rig.minute(&[None]), 5);
    assert_eq!(
        rig.state.policies[0].alarms[0],
        sagescale::engine::alarm::AlarmState::Alarm
    );
    assert_eq!(
        rig.decision.verdicts[0].reason,
        Reason::NeedsFreshDataToScaleIn
    );
}

#[test]
fn a_step_policy_acts_once_per_datapoint_however_often_evaluated() {
    let p = step_policy(
        0,
        Comparison::Greater,
        1.0,
        AdjustmentType::ChangeInCapacity,
        &[(Some(0.0), None, 1)],
        0,
    );
    let mut rig = Rig::new(target(1, 50, vec![("p", p)]), 2, 1);
    assert_eq!(rig.minute(&[Some(5.0)]), 3);
    let end = rig.now();
    for s in 1..6 {
        assert_eq!(rig.eval_at(end, end.plus(Seconds(s * 10))), 3);
    }
    assert!(matches!(
        rig.decision.verdicts[0].reason,
        Reason::AlreadyInvoked { .. }
    ));
    assert_eq!(rig.minute(&[Some(5.0)]), 4);
}

#[test]
fn nothing_changes_while_the_endpoint_is_updating() {
    let mut rig = Rig::new(target(1, 50, vec![("tt", tracking(0, 100.0))]), 4, 1);
    rig.input.status = EndpointStatus::Updating;
    for _ in 0..5 {
        rig.minute(&[Some(300.0)]);
    }
    assert_eq!(rig.decision.desired, 4);
    assert_eq!(rig.decision.blocked, Some(Rule::EndpointNotInService));
    assert!(rig.state.last_action.is_none());
    rig.input.status = EndpointStatus::InService;
    assert_eq!(rig.minute(&[Some(300.0)]), 12);
}

#[test]
fn wishes_are_clamped_to_the_bounds() {
    let mut rig = Rig::new(target(2, 8, vec![("tt", tracking(0, 100.0))]), 4, 1);
    for _ in 0..3 {
        rig.minute(&[Some(1000.0)]);
    }
    assert_eq!(rig.input.current, 8);
    assert_eq!(
        rig.decision.clamped,
        Some(Rule::ClampedToMax { wanted: 40 })
    );
    for _ in 0..15 {
        rig.minute(&[Some(0.0)]);
    }
    assert_eq!(rig.input.current, 2);
    assert_eq!(rig.decision.clamped, Some(Rule::ClampedToMin { wanted: 0 }));
}

fn ts(s: &str) -> Timestamp {
    Timestamp(chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp())
}

#[test]
fn a_scheduled_floor_fires_at_local_time_across_a_dst_change_and_ignores_cooldowns() {
    let morning = PolicyKind::Scheduled(ScheduleSpec {
        trigger: Trigger::Cron(Box::new(CronTrigger {
            cron: croner::Cron::from_str("0 8 * * *").unwrap(),
            text: "cron(0 8 * * *)".into(),
            tz: "Europe/Berlin".parse().unwrap(),
        })),
        start: None,
        end: None,
        min: Some(6),
        max: None,
    });
    let evening = PolicyKind::Scheduled(ScheduleSpec {
        trigger: Trigger::Cron(Box::new(CronTrigger {
            cron: croner::Cron::from_str("0 20 * * *").unwrap(),
            text: "cron(0 20 * * *)".into(),
            tz: "Europe/Berlin".parse().unwrap(),
        })),
        start: None,
        end: None,
        min: Some(1),
        max: None,
    });
    let spec = target(
        1,
        20,
        vec![
            ("morning", morning),
            ("evening", evening),
            ("tt", tracking(0, 100.0)),
        ],
    );
    let mut rig = Rig::new(spec, 2, 1);
    rig.history[0] = vec![Some(50.0); 20];
    // A cooldown that would block a policy does not block a scheduled push.
    rig.state.cooldown.scale_out = Some(sagescale::engine::state::ScaleOutCooldown {
        until: Timestamp(i64::MAX),
        base: 2,
    });
    let check = |rig: &mut Rig, at: &str| {
        let now = ts(at);
        rig.eval_at(now, now)
    };
    // Europe/Berlin leaves summer time on 2026-10-25: 08:00 local is 06:00Z before, 07:00Z after.
    assert_eq!(check(&mut rig, "2026-10-24T05:59:00Z"), 2);
    assert_eq!(check(&mut rig, "2026-10-24T06:00:00Z"), 6);
    assert_eq!(rig.decision.bounds.min, 6);
    assert_eq!(
        rig.decision.by, None,
        "a push into bounds is no policy's action"
    );
    assert_eq!(
        check(&mut rig, "2026-10-24T18:00:00Z"),
        6,
        "evening floor 1 lowers min, does not remove capacity"
    );
    assert_eq!(rig.decision.bounds.min, 1);
    assert_eq!(check(&mut rig, "2026-10-25T06:30:00Z"), 6);
    assert_eq!(
        rig.decision.bounds.min, 1,
        "06:30Z is 07:30 local after the change: not yet"
    );
    rig.input.current = 2;
    assert_eq!(check(&mut rig, "2026-10-25T07:00:00Z"), 6);
    assert_eq!(rig.decision.bounds.min, 6);
}

#[test]
fn a_scheduled_action_that_would_cross_the_bounds_is_rejected() {
    let bad = PolicyKind::Scheduled(ScheduleSpec {
        trigger: Trigger::At(Timestamp(100)),
        start: None,
        end: None,
        min: Some(30),
        max: None,
    });
    let mut rig = Rig::new(target(1, 20, vec![("bad", bad)]), 5, 1);
    rig.history[0] = vec![None];
    assert_eq!(rig.eval_at(Timestamp(60), Timestamp(200)), 5);
    assert_eq!(rig.decision.bounds.min, 1);
    assert!(matches!(
        rig.decision.verdicts[0].reason,
        Reason::ScheduleRejected {
            min: 30,
            max: 20,
            ..
        }
    ));
}

#[test]
fn state_persists_by_name_and_resumes_cooldowns() {
    let mut rig = Rig::new(target(1, 50, vec![("tt", tracking(0, 100.0))]), 4, 1);
    for _ in 0..3 {
        rig.minute(&[Some(300.0)]);
    }
    let saved = PersistedState::snapshot(
        std::slice::from_ref(&rig.spec),
        std::slice::from_ref(&rig.state),
    );
    let json = serde_json::to_string(&saved).unwrap();
    let back: PersistedState = serde_json::from_str(&json).unwrap();
    // Reordered policy set: a new policy first, the old one second.
    let spec2 = target(
        1,
        50,
        vec![("new", tracking(0, 10.0)), ("tt", tracking(0, 100.0))],
    );
    let restored = back.restore(std::slice::from_ref(&spec2)).unwrap();
    assert_eq!(restored[0].cooldown, rig.state.cooldown);
    assert_eq!(restored[0].policies[1], rig.state.policies[0]);
    assert_eq!(restored[0].policies[0], Default::default());
    assert_eq!(restored[0].last_action.unwrap().policy, Some(1));
    let mut foreign = back.clone();
    foreign.version = 99;
    assert!(foreign
        .restore(std::slice::from_ref(&spec2))
        .unwrap_err()
        .contains("version 99"));
}

#[test]
fn every_decision_is_explained_with_policy_values_and_rules() {
    let mut rig = Rig::new(
        target(2, 8, vec![("invocations", tracking(0, 100.0))]),
        4,
        1,
    );
    for _ in 0..3 {
        rig.minute(&[Some(1000.0)]);
    }
    let text = rig.decision.explain(&rig.spec);
    assert!(
        text.contains("scale out 4 -> 8 by policy `invocations`"),
        "{text}"
    );
    assert!(
        text.contains("1000.0000 > target 100 on 3 of 3 datapoints"),
        "{text}"
    );
    assert!(text.contains("wanted 40, limited to the max"), "{text}");
}

fn burst(metric: u32, target: f64) -> PolicyKind {
    PolicyKind::BurstAware(sagescale::engine::burst::BurstSpec {
        metric: sagescale::metrics::MetricId(metric),
        per_unit: false,
        target,
        stable_window: Seconds(180),
        panic_window: Seconds(60),
        panic_threshold: 2.0,
        scale_in_stabilization: Seconds(300),
        tolerance: 0.1,
        disable_scale_in: false,
    })
}

#[test]
fn burst_aware_scales_out_on_the_first_burst_datapoint_where_aws_waits_three() {
    // Total load 1,000 a minute at 100 per unit: 10 units. A burst to 3,000 asks for 30 at
    // once (panic); AWS-shaped target tracking on the per-instance value needs 3 datapoints.
    let mut b = Rig::new(target(1, 100, vec![("b", burst(0, 100.0))]), 10, 1);
    let mut aws = Rig::new(target(1, 100, vec![("tt", tracking(0, 100.0))]), 10, 1);
    for _ in 0..5 {
        b.minute(&[Some(1000.0)]);
        aws.minute(&[Some(100.0)]);
    }
    assert_eq!((b.input.current, aws.input.current), (10, 10));
    assert_eq!(b.minute(&[Some(3000.0)]), 30);
    assert!(matches!(
        b.decision.verdicts[0].reason,
        Reason::Burst {
            panic: true,
            recommended: 30,
            ..
        }
    ));
    assert_eq!(aws.minute(&[Some(300.0)]), 10);
    assert_eq!(aws.minute(&[Some(300.0)]), 10);
    assert_eq!(aws.minute(&[Some(300.0)]), 30);
}

#[test]
fn burst_aware_holds_through_a_dip_and_needs_fresh_data_to_shed() {
    let mut rig = Rig::new(target(1, 100, vec![("b", burst(0, 100.0))]), 20, 1);
    for _ in 0..6 {
        rig.minute(&[Some(2000.0)]);
    }
    assert_eq!(rig.input.current, 20);
    // A two-minute dip: the highest recommendation of the last five minutes (20) holds.
    rig.minute(&[Some(500.0)]);
    rig.minute(&[Some(500.0)]);
    assert_eq!(rig.input.current, 20);
    // A missing newest datapoint never removes capacity, whatever the window says.
    for _ in 0..6 {
        rig.minute(&[Some(500.0)]);
    }
    let before = rig.input.current;
    assert!(before < 20, "the dip lasted past the stabilisation window");
    for _ in 0..6 {
        rig.minute(&[Some(100.0)]);
    }
    let low = rig.input.current;
    rig.minute(&[None]);
    assert_eq!(rig.input.current, low);
    assert!(low < before);
}

#[test]
fn burst_aware_votes_on_scale_in_like_target_tracking() {
    // A burst-aware policy that still needs capacity blocks a target-tracking scale-in.
    let mut rig = Rig::new(
        target(
            1,
            50,
            vec![("tt", tracking(0, 100.0)), ("b", burst(1, 100.0))],
        ),
        10,
        2,
    );
    for _ in 0..20 {
        rig.minute(&[Some(30.0), Some(1000.0)]);
    }
    assert_eq!(rig.input.current, 10);
    assert_eq!(
        rig.decision.blocked,
        Some(Rule::ScaleInNotUnanimous { policy: 1 })
    );
}

fn predictive(metric: u32, mode: sagescale::engine::predictive::PredictiveMode) -> PolicyKind {
    PolicyKind::Predictive(sagescale::engine::predictive::PredictiveSpec {
        metric: sagescale::metrics::MetricId(metric),
        target: 100.0,
        lead: Seconds(900),
        history_days: 7,
        max_error: 0.3,
        mode,
        missing_is_zero: false,
    })
}

/// Three days of a per-minute daily cycle (200 at night, 1,000 at midday), ending at `minute`
/// of the third day; and the matching per-instance value for 10 instances.
fn three_days(minute: usize) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let total: Vec<Option<f64>> = (0..2 * 1440 + minute)
        .map(|i| {
            let t = (i % 1440) as f64 / 1440.0;
            Some(600.0 - 400.0 * (t * std::f64::consts::TAU).cos())
        })
        .collect();
    let per: Vec<Option<f64>> = total.iter().map(|v| v.map(|x| x / 10.0)).collect();
    (total, per)
}

#[test]
fn a_trusted_forecast_sets_a_floor_that_scale_in_stops_at() {
    use sagescale::engine::predictive::PredictiveMode;
    // In the afternoon the load falls; target tracking wants to shed, but the forecast for
    // the next 15 minutes still needs more than it would leave.
    let mut rig = Rig::new(
        target(
            1,
            50,
            vec![
                ("tt", tracking(1, 100.0)),
                ("forecast", predictive(0, PredictiveMode::ForecastAndScale)),
            ],
        ),
        10,
        2,
    );
    let (total, _) = three_days(16 * 60);
    rig.history[0] = total.clone();
    // Per instance 40 (well under target): target tracking wants ceil(10 × 0.4) = 4.
    rig.history[1] = vec![Some(40.0); total.len()];
    let end = rig.now();
    rig.eval_at(end, end);
    let Reason::Forecast { floor, holds, .. } = rig.decision.verdicts[1].reason else {
        panic!("{:?}", rig.decision.verdicts[1].reason)
    };
    assert!(holds && floor > 4 && floor < 10, "floor {floor}");
    assert_eq!(rig.input.current, floor, "scale-in stopped at the floor");
    assert!(matches!(
        rig.decision.blocked,
        Some(Rule::ForecastFloor { policy: 1, .. })
    ));
    // Forecast only: the same forecast is explained, and target tracking sheds freely.
    let mut only = Rig::new(
        target(
            1,
            50,
            vec![
                ("tt", tracking(1, 100.0)),
                ("forecast", predictive(0, PredictiveMode::ForecastOnly)),
            ],
        ),
        10,
        2,
    );
    only.history = rig.history.clone();
    only.eval_at(end, end);
    assert!(matches!(
        only.decision.verdicts[1].reason,
        Reason::Forecast { holds: false, .. }
    ));
    assert_eq!(only.input.current, 4);
}

#[test]
fn a_forecast_scales_out_ahead_of_the_morning_ramp() {
    use sagescale::engine::predictive::PredictiveMode;
    // At 7:00 the load is ~480 (5 instances at 100); by 7:15-7:30 it will be more. The floor
    // asks for that now, before any reactive alarm could see it.
    let mut rig = Rig::new(
        target(
            1,
            50,
            vec![("forecast", predictive(0, PredictiveMode::ForecastAndScale))],
        ),
        5,
        1,
    );
    let (total, _) = three_days(7 * 60);
    rig.history[0] = total;
    let end = rig.now();
    rig.eval_at(end, end);
    assert!(rig.input.current > 5, "{:?}", rig.decision.verdicts[0]);
    // With one day of history it only learns.
    let mut young = Rig::new(
        target(
            1,
            50,
            vec![("forecast", predictive(0, PredictiveMode::ForecastAndScale))],
        ),
        5,
        1,
    );
    young.history[0] = three_days(0).0[..1440].to_vec();
    let end = young.now();
    young.eval_at(end, end);
    assert!(matches!(
        young.decision.verdicts[0].reason,
        Reason::Learning { .. }
    ));
    assert_eq!(young.input.current, 5);
}

// ---- Quality guard ----

use sagescale::engine::alarm::{AlarmSpec, TreatMissingData};
use sagescale::engine::quality::{GuardPhase, QualityCheck, QualityGuardSpec, TrafficInput};

/// Metric 0: load per instance (target tracking at 100); metric 1: an error rate that
/// breaches above 0.05 and clears at or below 0.02, 3 of 3 datapoints; recovery after 10 min.
fn guarded() -> Rig {
    let alarm = |comparison, threshold| AlarmSpec {
        metric: sagescale::metrics::MetricId(1),
        comparison,
        threshold,
        evaluation_periods: 3,
        datapoints_to_alarm: 3,
        treat_missing: TreatMissingData::Missing,
    };
    let guard = PolicyKind::QualityGuard(QualityGuardSpec {
        checks: vec![QualityCheck {
            breach: alarm(Comparison::Greater, 0.05),
            clear: alarm(Comparison::LessOrEqual, 0.02),
        }],
        fallback: "champion".into(),
        fallback_variant: "champion".into(),
        variant: "v".into(),
        endpoint: "e".into(),
        shift: 1.0,
        capacity_ratio: 1.0,
        recover_after: Seconds(600),
    });
    let mut rig = Rig::new(
        target(1, 20, vec![("tt", tracking(0, 100.0)), ("quality", guard)]),
        4,
        2,
    );
    rig.input.traffic = Some(TrafficInput {
        weight: 0.9,
        fallback_weight: 0.1,
        fallback_current: 1,
        fallback_settled: true,
    });
    rig
}

fn phase(rig: &Rig) -> GuardPhase {
    rig.decision.traffic.expect("a guard acts").phase
}

#[test]
fn quality_guard_needs_a_sustained_breach_and_moves_capacity_before_weights() {
    let mut rig = guarded();
    // Two bad minutes of three: no breach yet.
    for v in [0.01, 0.09, 0.09] {
        rig.minute(&[Some(100.0), Some(v)]);
        assert_eq!(phase(&rig), GuardPhase::Healthy);
    }
    // The third bad minute: the guard engages, asks the champion for 1 + 4 instances, and
    // moves no weight while the champion has 1.
    rig.minute(&[Some(100.0), Some(0.09)]);
    let t = rig.decision.traffic.unwrap();
    assert_eq!(t.phase, GuardPhase::Provisioning);
    assert_eq!(t.fallback_floor, Some(5));
    assert_eq!(t.weights, None);
    // Capacity is in service: the weights move, all of the challenger's to the champion.
    rig.input.traffic.as_mut().unwrap().fallback_current = 5;
    rig.minute(&[Some(100.0), Some(0.09)]);
    let (w, fw) = rig.decision.traffic.unwrap().weights.unwrap();
    assert!(w.abs() < 1e-12 && (fw - 1.0).abs() < 1e-12, "{w} {fw}");
    // Not while the champion is still moving.
    rig.input.traffic.as_mut().unwrap().fallback_settled = false;
    rig.minute(&[Some(100.0), Some(0.09)]);
    assert_eq!(rig.decision.traffic.unwrap().weights, None);
    // The endpoint reports the new weights: shifted.
    let t = rig.input.traffic.as_mut().unwrap();
    (t.weight, t.fallback_weight, t.fallback_settled) = (0.0, 1.0, true);
    rig.minute(&[Some(100.0), Some(0.09)]);
    assert_eq!(phase(&rig), GuardPhase::Shifted);
    assert_eq!(rig.decision.traffic.unwrap().weights, None);
}

#[test]
fn quality_guard_freezes_scale_in_and_recovers_only_past_the_clear_threshold() {
    let mut rig = guarded();
    for _ in 0..3 {
        rig.minute(&[Some(100.0), Some(0.09)]);
    }
    assert_eq!(phase(&rig), GuardPhase::Provisioning);
    let t = rig.input.traffic.as_mut().unwrap();
    (t.weight, t.fallback_weight, t.fallback_current) = (0.0, 1.0, 5);
    rig.minute(&[Some(0.0), Some(0.09)]);
    assert_eq!(phase(&rig), GuardPhase::Shifted);
    // No traffic on the challenger: target tracking wants to scale in, the guard freezes it.
    for _ in 0..20 {
        assert_eq!(rig.minute(&[Some(0.0), Some(0.04)]), 4);
    }
    assert_eq!(
        rig.decision.blocked,
        Some(sagescale::engine::Rule::QualityFreeze { policy: 1 })
    );
    // 0.04 is below the breach threshold but above the clear one: still shifted after 20 min.
    assert_eq!(phase(&rig), GuardPhase::Shifted);
    // Missing data never clears.
    for _ in 0..15 {
        rig.minute(&[Some(0.0), None]);
    }
    assert_eq!(phase(&rig), GuardPhase::Shifted);
    // Clear for 3 datapoints, then 10 more minutes: restoring, asking for the old weights.
    let mut restoring_at = None;
    for m in 0..15 {
        rig.minute(&[Some(0.0), Some(0.01)]);
        if phase(&rig) == GuardPhase::Restoring && restoring_at.is_none() {
            restoring_at = Some(m);
        }
    }
    assert_eq!(restoring_at, Some(12), "3 datapoints to clear, then 600 s");
    assert_eq!(rig.decision.traffic.unwrap().weights, Some((0.9, 0.1)));
    assert_eq!(rig.decision.traffic.unwrap().fallback_floor, Some(5));
    // The endpoint reports the old weights: healthy, floor gone, scale-in free again.
    let t = rig.input.traffic.as_mut().unwrap();
    (t.weight, t.fallback_weight) = (0.9, 0.1);
    rig.minute(&[Some(0.0), Some(0.01)]);
    let t = rig.decision.traffic.unwrap();
    assert_eq!(
        (t.phase, t.fallback_floor, t.weights),
        (GuardPhase::Healthy, None, None)
    );
    let mut shed = false;
    for _ in 0..20 {
        shed |= rig.minute(&[Some(10.0), Some(0.01)]) < 4;
    }
    assert!(shed, "scale-in resumes once the guard is healthy");
}

#[test]
fn a_guard_floor_raises_the_fallbacks_min_but_never_past_its_max() {
    let mut rig = Rig::new(target(1, 6, vec![("tt", tracking(0, 100.0))]), 1, 1);
    rig.input.guard_floor = Some(5);
    assert_eq!(rig.minute(&[Some(10.0)]), 5);
    assert_eq!(
        rig.decision.bounds.min_from,
        sagescale::engine::decision::BoundSource::QualityGuard
    );
    rig.input.guard_floor = Some(9);
    assert_eq!(rig.minute(&[Some(10.0)]), 6);
    // The floor goes: target tracking may scale in again (15 low minutes).
    rig.input.guard_floor = None;
    let mut last = 6;
    for _ in 0..16 {
        last = rig.minute(&[Some(10.0)]);
    }
    assert!(last < 6, "{last}");
}

#[test]
fn an_inference_components_room_lowers_the_max_never_below_the_min() {
    use sagescale::engine::decision::BoundSource;
    // Target tracking on 100 per copy sees 800 at one copy: it wants 8, the policy file
    // allows 10, the instances hold 4.
    let mut rig = Rig::new(target(0, 10, vec![("tt", tracking(0, 100.0))]), 1, 1);
    rig.input.room = Some(4);
    rig.minute(&[Some(800.0)]);
    rig.minute(&[Some(800.0)]);
    assert_eq!(rig.minute(&[Some(800.0)]), 4);
    assert_eq!(
        (rig.decision.bounds.max, rig.decision.bounds.max_from),
        (4, BoundSource::InstanceRoom)
    );
    let text = rig.decision.explain(&rig.spec);
    assert!(
        text.contains("max lowered to the copies the endpoint's instances can hold"),
        "{text}"
    );
    // Room for more (managed instance scaling's max raised): the policy's own want again.
    rig.input.room = Some(20);
    assert_eq!(rig.minute(&[Some(800.0)]), 8);
    assert_eq!(rig.decision.bounds.max_from, BoundSource::Standing);
    // A room below the standing min lowers the max to the min, not past it.
    let mut rig = Rig::new(target(3, 10, vec![("tt", tracking(0, 100.0))]), 3, 1);
    rig.input.room = Some(1);
    rig.minute(&[Some(10.0)]);
    assert_eq!((rig.decision.bounds.min, rig.decision.bounds.max), (3, 3));
}
