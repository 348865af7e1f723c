//! One evaluation of one target: scheduled bounds, each policy's wish, the combination rules,
//! cooldowns and the endpoint's status. Pure and allocation-free once `out` has grown.

use serde::{Deserialize, Serialize};

use super::alarm::AlarmState;
use super::burst::{BurstOutcome, BurstSpec, CapacitySeen};
use super::deadline::{DeadlineOutcome, DeadlineSpec};
use super::decision::{BoundSource, Bounds, Decision, Direction, Reason, Rule, Verdict};
use super::predictive::{Forecast, PredictiveMode, PredictiveSpec};
use super::quality::{GuardPhase, QualityGuardSpec, TrafficInput};
use super::slo::{SloOutcome, SloSpec};
use super::spec::{PolicyKind, TargetSpec};
use super::state::{LastAction, PolicyState, ScaleOutCooldown, TargetState};
use super::step::StepSpec;
use super::target_tracking::{self, TargetTrackingSpec, TrackingOutcome};
use sagescale_metrics::Observations;
use sagescale_metrics::{Capacity, Seconds, Timestamp};

/// SageMaker endpoint status, as far as scaling cares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndpointStatus {
    /// `InService`: scaling may proceed.
    #[default]
    InService,
    /// `Updating` (a capacity change is in progress).
    Updating,
    /// `Creating`.
    Creating,
    /// Anything else (`SystemUpdating`, `RollingBack`, `OutOfService`, `Failed`, ...).
    Other,
}

/// Application Auto Scaling's `SuspendedState`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    /// `DynamicScalingInSuspended`
    pub scale_in: bool,
    /// `DynamicScalingOutSuspended`
    pub scale_out: bool,
    /// `ScheduledScalingSuspended`
    pub scheduled: bool,
}

/// What the driver knows about the target's capacity right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CapacityInput {
    /// Current capacity: what Application Auto Scaling counts (the desired count, or the one a
    /// change in flight moves to).
    pub current: Capacity,
    /// Capacity serving now, below `current` while new capacity launches; `None`: the same as
    /// `current`.
    #[serde(default)]
    pub in_service: Option<Capacity>,
    /// Endpoint status.
    pub status: EndpointStatus,
    /// Suspended scaling.
    pub suspended: Suspension,
    /// A target with a quality guard: the weights and the fallback's capacity, as read.
    #[serde(default)]
    pub traffic: Option<TrafficInput>,
    /// A fallback variant: the capacity a quality guard on another target needs it to hold.
    /// It raises the min in force (never above the max).
    #[serde(default)]
    pub guard_floor: Option<Capacity>,
    /// The target's provisioning lead as the driver learned it from its own scale-outs
    /// (`sagescale_core::provisioning`); `None` until there is one.
    #[serde(default)]
    pub lead: Option<Seconds>,
    /// An inference component: the most copies its endpoint's instances hold (managed
    /// instance scaling's maximum × the copies one instance fits). It lowers the max in force
    /// (never below the min), so no call asks for copies that could not be placed.
    #[serde(default)]
    pub room: Option<Capacity>,
}

/// Settings that hold for every target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineSettings {
    /// A metric window whose newest period ended longer ago than this is stale: treated as
    /// missing, so it never causes a scale-in.
    pub max_metric_age: Seconds,
}

impl Default for EngineSettings {
    fn default() -> Self {
        // CloudWatch datapoints can take ~2 minutes to be readable; a one-minute period plus
        // that lag plus one more minute of slack.
        Self {
            max_metric_age: Seconds(300),
        }
    }
}

/// Evaluate `spec` at `now` and write the decision into `out`, updating `state`.
///
/// `out.verdicts` is reused, so a driver that keeps one `Decision` per target evaluates
/// without allocating.
pub fn evaluate<O: Observations + ?Sized>(
    settings: &EngineSettings,
    spec: &TargetSpec,
    state: &mut TargetState,
    input: &CapacityInput,
    obs: &O,
    now: Timestamp,
    out: &mut Decision,
) {
    let n = spec.policies.len();
    if state.policies.len() != n {
        state.policies.resize(n, PolicyState::default());
    }
    let current = input.current;
    out.at = now;
    out.current = current;
    out.desired = current;
    out.direction = Direction::Hold;
    out.by = None;
    out.blocked = None;
    out.clamped = None;
    out.traffic = None;
    out.verdicts.clear();
    out.verdicts.extend((0..n).map(|i| Verdict {
        policy: index(i),
        wants: None,
        reason: Reason::Pending,
    }));

    out.bounds = bounds_at(spec, state, input, now, &mut out.verdicts);
    state.bounds = Some((out.bounds.min, out.bounds.max));
    // A guard's floor is not a bound of this target's own: it is not kept in `state.bounds`.
    if let Some(floor) = input.guard_floor {
        let b = &mut out.bounds;
        if floor > b.min {
            b.min = floor.min(b.max);
            b.min_from = BoundSource::QualityGuard;
        }
    }
    if let Some(room) = input.room {
        let b = &mut out.bounds;
        if room < b.max {
            b.max = room.max(b.min);
            b.max_from = BoundSource::InstanceRoom;
        }
    }

    // The capacity serving now, remembered for per-unit metrics (a no-op without one).
    let serving = input.in_service.unwrap_or(current);
    state.seen.saw(now, serving);
    let in_service = input.status == EndpointStatus::InService;
    let cooling_out = state.cooldown.scale_out_at(now);
    let base_out = cooling_out.map_or(current, |c| c.base);
    for (i, policy) in spec.policies.iter().enumerate() {
        let ps = &mut state.policies[i];
        let v = &mut out.verdicts[i];
        match &policy.kind {
            PolicyKind::TargetTracking(tt) => {
                track(
                    settings,
                    tt,
                    ps,
                    obs,
                    now,
                    current,
                    base_out,
                    cooling_out.is_some(),
                    v,
                );
            }
            PolicyKind::Step(st) => {
                step(settings, st, ps, obs, now, current, base_out, in_service, v);
            }
            PolicyKind::BurstAware(b) => {
                burst(settings, b, ps, &state.seen, obs, now, current, serving, v);
            }
            PolicyKind::Predictive(p) => predict(settings, p, obs, now, current, v),
            PolicyKind::BacklogDeadline(d) => deadline(settings, d, obs, now, current, v),
            PolicyKind::QualityGuard(g) => {
                out.traffic = Some(guard(settings, g, ps, obs, now, input, index(i), v));
            }
            PolicyKind::Slo(s) => {
                slo(
                    settings,
                    s,
                    ps,
                    &state.seen,
                    obs,
                    now,
                    current,
                    serving,
                    input.lead,
                    v,
                );
            }
            PolicyKind::Scheduled(_) => {}
        }
    }

    combine(spec, state, input, now, out);
    if out.desired != current && !in_service {
        out.blocked = Some(Rule::EndpointNotInService);
        out.desired = current;
        out.direction = Direction::Hold;
        out.by = None;
    }
    if out.desired != current {
        commit(spec, state, now, out);
    }
}

fn index(i: usize) -> u16 {
    // Validation caps policies per target far below u16::MAX.
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// The bounds in force: the standing bounds, with each scheduled action's latest firing
/// applied in the order they fired.
fn bounds_at(
    spec: &TargetSpec,
    state: &mut TargetState,
    input: &CapacityInput,
    now: Timestamp,
    verdicts: &mut [Verdict],
) -> Bounds {
    let standing = Bounds {
        min: spec.min,
        max: spec.max,
        min_from: BoundSource::Standing,
        max_from: BoundSource::Standing,
    };
    if input.suspended.scheduled {
        for (i, p) in spec.policies.iter().enumerate() {
            if matches!(p.kind, PolicyKind::Scheduled(_)) {
                verdicts[i].reason = Reason::ScheduleSuspended;
            }
        }
        return match state.bounds {
            Some((min, max)) => Bounds {
                min,
                max,
                min_from: BoundSource::Kept,
                max_from: BoundSource::Kept,
            },
            None => standing,
        };
    }
    let mut b = standing;
    // Apply firings oldest first; ties in file order. A handful of schedules per target, so a
    // repeated scan beats sorting into a buffer.
    let mut done_up_to: Option<(Timestamp, usize)> = None;
    loop {
        let mut next: Option<(Timestamp, usize)> = None;
        for (i, p) in spec.policies.iter().enumerate() {
            let PolicyKind::Scheduled(s) = &p.kind else {
                continue;
            };
            let fired = state.policies[i].schedule.last_firing(s, now);
            if done_up_to.is_none() {
                verdicts[i].reason = Reason::Scheduled {
                    fired_at: fired,
                    min: s.min,
                    max: s.max,
                };
            }
            let Some(t) = fired else { continue };
            let key = (t, i);
            if done_up_to.is_some_and(|d| key <= d) {
                continue;
            }
            if next.is_none_or(|nx| key < nx) {
                next = Some(key);
            }
        }
        let Some((t, i)) = next else { break };
        done_up_to = Some((t, i));
        let PolicyKind::Scheduled(s) = &spec.policies[i].kind else {
            continue;
        };
        let min = s.min.unwrap_or(b.min);
        let max = s.max.unwrap_or(b.max);
        if min > max {
            verdicts[i].reason = Reason::ScheduleRejected {
                fired_at: t,
                min,
                max,
            };
            continue;
        }
        if s.min.is_some() {
            b.min = min;
            b.min_from = BoundSource::Scheduled(index(i));
        }
        if s.max.is_some() {
            b.max = max;
            b.max_from = BoundSource::Scheduled(index(i));
        }
    }
    b
}

#[allow(clippy::too_many_arguments)]
fn track<O: Observations + ?Sized>(
    settings: &EngineSettings,
    tt: &TargetTrackingSpec,
    ps: &mut PolicyState,
    obs: &O,
    now: Timestamp,
    current: Capacity,
    base_out: Capacity,
    cooling_out: bool,
    v: &mut Verdict,
) {
    let window = obs.window(tt.metric);
    let high = tt
        .high_alarm()
        .evaluate(window, ps.alarms[0], now, settings.max_metric_age);
    let low = tt
        .low_alarm()
        .evaluate(window, ps.alarms[1], now, settings.max_metric_age);
    ps.alarms = [high.state, low.state];
    v.reason = match target_tracking::decide(tt, &high, &low, current, base_out) {
        TrackingOutcome::Out(n) => {
            let value = high.value.unwrap_or(f64::NAN);
            if n > current {
                v.wants = Some(n);
                Reason::AboveTarget {
                    value,
                    target: tt.target,
                    breaching: high.breaching,
                    of: tt.scale_out.datapoints_to_alarm,
                }
            } else if cooling_out {
                Reason::AddedCapacityCounts {
                    base: base_out,
                    wanted: n,
                }
            } else {
                Reason::AboveTarget {
                    value,
                    target: tt.target,
                    breaching: high.breaching,
                    of: tt.scale_out.datapoints_to_alarm,
                }
            }
        }
        TrackingOutcome::In(n) => {
            let value = low.value.unwrap_or(f64::NAN);
            if n >= current {
                let after = if current > 1 {
                    value * f64::from(current) / f64::from(current - 1)
                } else {
                    f64::INFINITY
                };
                Reason::WouldRebreach {
                    value,
                    after,
                    target: tt.target,
                }
            } else if !low.fresh {
                Reason::NeedsFreshDataToScaleIn
            } else {
                v.wants = Some(n);
                Reason::BelowTarget {
                    value,
                    threshold: tt.low_alarm().threshold,
                    breaching: low.breaching,
                    of: tt.scale_in.datapoints_to_alarm,
                }
            }
        }
        TrackingOutcome::Steady => match (high.value, low.state) {
            (Some(value), AlarmState::Alarm) => Reason::ScaleInDisabled { value },
            (Some(value), _) if high.state != AlarmState::InsufficientData => Reason::Steady {
                value,
                target: tt.target,
            },
            _ => Reason::NoData { stale: high.stale },
        },
    };
}

/// A policy's wish for `capacity`: kept unless it removes capacity on data that is not fresh.
fn wish(
    v: &mut Verdict,
    capacity: Capacity,
    current: Capacity,
    fresh: bool,
    why: Reason,
) -> Reason {
    if capacity < current && !fresh {
        return Reason::NeedsFreshDataToScaleIn;
    }
    if capacity != current {
        v.wants = Some(capacity);
    }
    why
}

fn deadline<O: Observations + ?Sized>(
    settings: &EngineSettings,
    d: &DeadlineSpec,
    obs: &O,
    now: Timestamp,
    current: Capacity,
    v: &mut Verdict,
) {
    let max_age = i64::from(settings.max_metric_age.0);
    let ok = |w: &sagescale_metrics::MetricWindow<'_>| w.is_fresh(now, max_age);
    let backlog = obs.window(d.backlog);
    let stale = backlog.as_ref().is_some_and(|w| !ok(w));
    let age = obs.window(d.age).filter(|w| ok(w));
    v.reason = match d.evaluate(backlog.filter(|w| ok(w)), age) {
        DeadlineOutcome::NoData => Reason::NoData { stale },
        DeadlineOutcome::Wants {
            capacity,
            backlog,
            age_s,
            time_left_s,
            fresh,
        } => wish(
            v,
            capacity,
            current,
            fresh,
            Reason::Deadline {
                backlog,
                age_s,
                time_left_s,
                capacity,
            },
        ),
    };
}

#[allow(clippy::too_many_arguments)]
fn guard<O: Observations + ?Sized>(
    settings: &EngineSettings,
    g: &QualityGuardSpec,
    ps: &mut PolicyState,
    obs: &O,
    now: Timestamp,
    input: &CapacityInput,
    policy: u16,
    v: &mut Verdict,
) -> super::quality::TrafficAction {
    let o = g.evaluate(
        policy,
        &mut ps.guard,
        obs,
        now,
        settings.max_metric_age,
        input.current,
        input.traffic,
    );
    v.reason = if o.no_data && o.action.phase == GuardPhase::Healthy {
        Reason::NoData { stale: false }
    } else {
        Reason::Quality {
            breach: o.breach.map(|(k, _)| k),
            value: o.breach.map(|(_, x)| x).filter(|x| x.is_finite()),
            phase: o.action.phase,
            floor: o.action.fallback_floor,
            clear_for_s: o.clear_for_s,
        }
    };
    o.action
}

fn predict<O: Observations + ?Sized>(
    settings: &EngineSettings,
    p: &PredictiveSpec,
    obs: &O,
    now: Timestamp,
    current: Capacity,
    v: &mut Verdict,
) {
    let Some(w) = obs.window(p.metric) else {
        v.reason = Reason::NoData { stale: false };
        return;
    };
    // A long period's newest datapoint is up to a period older than a minute's: allow it.
    if !w.is_fresh(
        now,
        i64::from(settings.max_metric_age.0) + i64::from(w.period.0),
    ) {
        v.reason = Reason::NoData { stale: true };
        return;
    }
    v.reason = match p.forecast(&w) {
        Forecast::Learning { have_s, need_s } => Reason::Learning { have_s, need_s },
        Forecast::Ready {
            load,
            floor,
            error,
            trusted,
        } => {
            let holds = trusted && p.mode == PredictiveMode::ForecastAndScale;
            if holds && floor > current {
                v.wants = Some(floor);
            }
            Reason::Forecast {
                load,
                floor,
                error,
                max_error: p.max_error,
                holds,
            }
        }
    };
}

#[allow(clippy::too_many_arguments)]
fn slo<O: Observations + ?Sized>(
    settings: &EngineSettings,
    s: &SloSpec,
    ps: &mut PolicyState,
    seen: &CapacitySeen,
    obs: &O,
    now: Timestamp,
    current: Capacity,
    in_service: Capacity,
    lead: Option<Seconds>,
    v: &mut Verdict,
) {
    let max_age = i64::from(settings.max_metric_age.0);
    let load = obs.window(s.load);
    let fresh = load.is_some_and(|w| w.is_fresh(now, max_age));
    let latency = [
        obs.window(s.latency),
        obs.window(s.latency_p50),
        obs.window(s.latency_p99),
    ];
    let idle = s.idle.and_then(|m| obs.window(m.metric()));
    // A long period's newest datapoint is up to a period older than a minute's: allow it.
    let forecast = s.forecast.as_ref().and_then(|f| {
        obs.window(f.metric)
            .filter(|w| w.is_fresh(now, max_age + i64::from(w.period.0)))
    });
    v.reason = match s.evaluate(
        &mut ps.slo,
        seen,
        load,
        fresh,
        latency,
        idle,
        forecast,
        current,
        in_service,
        lead,
        now,
    ) {
        SloOutcome::NoData { stale } => Reason::NoData { stale },
        SloOutcome::Wants {
            capacity,
            sizing,
            fresh,
        } => wish(v, capacity, current, fresh, Reason::Slo(sizing)),
    };
}

#[allow(clippy::too_many_arguments)]
fn burst<O: Observations + ?Sized>(
    settings: &EngineSettings,
    b: &BurstSpec,
    ps: &mut PolicyState,
    seen: &CapacitySeen,
    obs: &O,
    now: Timestamp,
    current: Capacity,
    in_service: Capacity,
    v: &mut Verdict,
) {
    let window = obs.window(b.metric);
    let fresh = window.is_some_and(|w| w.is_fresh(now, i64::from(settings.max_metric_age.0)));
    v.reason = match b.evaluate(&mut ps.burst, seen, window, fresh, current, in_service, now) {
        BurstOutcome::NoData { stale } => Reason::NoData { stale },
        BurstOutcome::Wants {
            capacity,
            stable_load,
            panic_load,
            panic,
            recommended,
            fresh,
        } => wish(
            v,
            capacity,
            current,
            fresh,
            Reason::Burst {
                stable_load,
                panic_load,
                target: b.target,
                panic,
                recommended,
            },
        ),
    };
}

#[allow(clippy::too_many_arguments)]
fn step<O: Observations + ?Sized>(
    settings: &EngineSettings,
    st: &StepSpec,
    ps: &mut PolicyState,
    obs: &O,
    now: Timestamp,
    current: Capacity,
    base_out: Capacity,
    in_service: bool,
    v: &mut Verdict,
) {
    let e = st.alarm.evaluate(
        obs.window(st.alarm.metric),
        ps.alarms[0],
        now,
        settings.max_metric_age,
    );
    ps.alarms[0] = e.state;
    let threshold = st.alarm.threshold;
    let comparison = st.alarm.comparison;
    v.reason = match (e.state, e.value) {
        (AlarmState::Alarm, Some(value)) => match st.step_for(value) {
            None => Reason::NoStep {
                value,
                offset: value - threshold,
            },
            Some(_) if e.window_end.is_some() && e.window_end == ps.invoked_at => {
                Reason::AlreadyInvoked {
                    datapoint_end: e.window_end.unwrap_or_default(),
                }
            }
            Some(k) => {
                let adjustment = st.steps[k].adjustment;
                let base = if adjustment > 0 { base_out } else { current };
                let n = st.apply(k, base);
                if in_service {
                    ps.invoked_at = e.window_end;
                }
                if n > current {
                    v.wants = Some(n);
                } else if n < current {
                    if e.fresh && e.breaching_from_missing == 0 {
                        v.wants = Some(n);
                    } else {
                        v.reason = Reason::NeedsFreshDataToScaleIn;
                        return;
                    }
                } else if base != current {
                    v.reason = Reason::AddedCapacityCounts { base, wanted: n };
                    return;
                }
                Reason::StepAlarm {
                    value,
                    threshold,
                    comparison,
                    step: u8::try_from(k).unwrap_or(u8::MAX),
                    adjustment,
                }
            }
        },
        (AlarmState::Alarm, None) | (AlarmState::InsufficientData, _) => {
            Reason::NoData { stale: e.stale }
        }
        (AlarmState::Ok, value) => Reason::AlarmOk {
            value,
            threshold,
            comparison,
        },
    };
}

/// Combine the verdicts: scale out if any policy wants to; scale in only if every
/// scale-in-enabled (target-tracking) policy wants to; the largest capacity wins; then clamp
/// to the bounds.
fn combine(
    spec: &TargetSpec,
    state: &TargetState,
    input: &CapacityInput,
    now: Timestamp,
    out: &mut Decision,
) {
    let current = input.current;
    let mut out_wish: Option<(Capacity, u16)> = None;
    let mut in_wish: Option<(Capacity, u16)> = None;
    let mut dissent: Option<u16> = None;
    for (p, v) in spec.policies.iter().zip(&out.verdicts) {
        match v.wants {
            Some(w) if w > current => out_wish = larger(out_wish, w, v.policy),
            Some(w) if w < current => in_wish = larger(in_wish, w, v.policy),
            _ if p.kind.votes_on_scale_in() => {
                dissent.get_or_insert(v.policy);
            }
            _ => {}
        }
    }

    let mut wanted = current;
    if let Some((w, by)) = out_wish {
        if input.suspended.scale_out {
            out.blocked = Some(Rule::ScaleOutSuspended);
        } else {
            wanted = w;
            out.by = Some(by);
        }
    } else if let Some((w, by)) = in_wish {
        if let Some(policy) = dissent {
            out.blocked = Some(Rule::ScaleInNotUnanimous { policy });
        } else if input.suspended.scale_in {
            out.blocked = Some(Rule::ScaleInSuspended);
        } else if let Some(policy) = guard_freeze(out) {
            out.blocked = Some(Rule::QualityFreeze { policy });
        } else if let Some(until) = state.cooldown.scale_in_at(now) {
            out.blocked = Some(Rule::ScaleInCooldown { until });
        } else if let Some(c) = state.cooldown.scale_out_at(now) {
            out.blocked = Some(Rule::ScaleOutCooldown { until: c.until });
        } else if let Some((floor, policy)) = forecast_floor(out).filter(|&(f, _)| f > w) {
            // A forecast floor holds capacity up: remove only down to it.
            out.blocked = Some(Rule::ForecastFloor { policy, floor });
            if floor < current {
                wanted = floor;
                out.by = Some(by);
            }
        } else {
            wanted = w;
            out.by = Some(by);
        }
    }

    // Bounds win over everything, cooldowns and unanimity included: capacity outside them is
    // pushed in at once, as Application Auto Scaling does when bounds change. Validation and
    // `bounds_at` keep min <= max.
    let b = out.bounds;
    let desired = wanted.clamp(b.min, b.max);
    if out.by.is_some() && desired != wanted {
        out.clamped = Some(if desired > wanted {
            Rule::ClampedToMin { wanted }
        } else {
            Rule::ClampedToMax { wanted }
        });
    }
    let same_way =
        (wanted > current && desired > current) || (wanted < current && desired < current);
    if !same_way {
        // Clamped back to where we are, or pushed the other way by the bounds: no policy acts.
        out.by = None;
    }
    if desired != current && out.by.is_none() {
        // Pushed into bounds: that overrides whatever blocked the policies' wishes.
        out.blocked = None;
    }
    out.desired = desired;
    out.direction = match desired.cmp(&current) {
        std::cmp::Ordering::Greater => Direction::Out,
        std::cmp::Ordering::Less => Direction::In,
        std::cmp::Ordering::Equal => Direction::Hold,
    };
}

/// A quality guard that is engaged or sees a breach: it freezes scale-in.
fn guard_freeze(out: &Decision) -> Option<u16> {
    out.verdicts.iter().find_map(|v| match v.reason {
        Reason::Quality { breach, phase, .. }
            if breach.is_some() || phase != GuardPhase::Healthy =>
        {
            Some(v.policy)
        }
        _ => None,
    })
}

/// The highest floor a trusted predictive policy sets, and which policy sets it.
fn forecast_floor(out: &Decision) -> Option<(Capacity, u16)> {
    out.verdicts
        .iter()
        .filter_map(|v| match v.reason {
            Reason::Forecast {
                floor, holds: true, ..
            } => Some((floor, v.policy)),
            _ => None,
        })
        .max_by_key(|&(f, _)| f)
}

/// The larger of a best wish so far and a new one; the earlier policy wins ties.
fn larger(best: Option<(Capacity, u16)>, wish: Capacity, policy: u16) -> Option<(Capacity, u16)> {
    match best {
        Some((b, _)) if b >= wish => best,
        _ => Some((wish, policy)),
    }
}

/// Start cooldowns and record the action.
fn commit(spec: &TargetSpec, state: &mut TargetState, now: Timestamp, out: &Decision) {
    if let Some(by) = out.by {
        let kind = &spec.policies[usize::from(by)].kind;
        match out.direction {
            Direction::Out => {
                let cooldown = match kind {
                    PolicyKind::TargetTracking(t) => t.scale_out_cooldown,
                    PolicyKind::Step(s) => s.cooldown,
                    PolicyKind::Scheduled(_)
                    | PolicyKind::BurstAware(_)
                    | PolicyKind::Predictive(_)
                    | PolicyKind::BacklogDeadline(_)
                    | PolicyKind::QualityGuard(_)
                    | PolicyKind::Slo(_) => Seconds(0),
                };
                let base = state
                    .cooldown
                    .scale_out_at(now)
                    .map_or(out.current, |c| c.base);
                state.cooldown.scale_out = Some(ScaleOutCooldown {
                    until: now.plus(cooldown),
                    base,
                });
                // A scale-out cancels a running scale-in cooldown.
                state.cooldown.scale_in_until = None;
            }
            Direction::In => {
                let cooldown = match kind {
                    PolicyKind::TargetTracking(t) => t.scale_in_cooldown,
                    PolicyKind::Step(s) => s.cooldown,
                    PolicyKind::Scheduled(_)
                    | PolicyKind::BurstAware(_)
                    | PolicyKind::Predictive(_)
                    | PolicyKind::BacklogDeadline(_)
                    | PolicyKind::QualityGuard(_)
                    | PolicyKind::Slo(_) => Seconds(0),
                };
                state.cooldown.scale_in_until = Some(now.plus(cooldown));
            }
            Direction::Hold => {}
        }
    }
    state.last_action = Some(LastAction {
        at: now,
        from: out.current,
        to: out.desired,
        policy: out.by,
    });
}
