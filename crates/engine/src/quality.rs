//! Quality guard (sagescale only): when a model-quality metric (drift, accuracy, error rate)
//! stays in breach, move this variant's traffic to a fallback variant of the same endpoint,
//! raising the fallback's capacity first; freeze scale-in; move traffic back once quality has
//! stayed clear for a while.
//!
//! The guard is a state machine in [`GuardState`]:
//! - `Healthy` → `Provisioning` when any check's breach alarm is in ALARM. The weights and the
//!   fallback's capacity at that moment are remembered as the base.
//! - `Provisioning`: the fallback's capacity floor is its base plus what carries the moved
//!   traffic, `ceil(capacity_ratio × shift × this variant's capacity)`. Once the fallback is
//!   settled at or above it, the guard asks for the shifted weights; when the endpoint reports
//!   them, `Shifted`.
//! - `Shifted` → `Restoring` when every check's clear alarm has been in ALARM (healthy) for
//!   `recover_after`. `Restoring` asks for the base weights; when the endpoint reports them,
//!   `Healthy`, and the floor goes.
//! - A new breach while `Restoring` goes back to `Provisioning`. Clearing while `Provisioning`
//!   (no weight moved yet) goes straight back to `Healthy` after `recover_after`.
//!
//! Hysteresis is two thresholds: a check breaches past `threshold` and is clear only on the
//! good side of `clear`, each for M of N datapoints. Missing data neither engages nor clears.
//! While the guard is not `Healthy`, this variant does not scale in.

use serde::{Deserialize, Serialize};

use super::alarm::{AlarmSpec, AlarmState};
use sagescale_metrics::Observations;
use sagescale_metrics::{Capacity, Seconds, Timestamp};

/// The most checks one guard holds (its state is a fixed array).
pub const MAX_CHECKS: usize = 4;

/// Weights closer than this are the same weight.
const WEIGHT_EPSILON: f64 = 1e-3;

/// One quality metric and its two thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct QualityCheck {
    /// In ALARM: quality is bad.
    pub breach: AlarmSpec,
    /// In ALARM: quality is good again (the opposite comparison, at the clear threshold).
    pub clear: AlarmSpec,
}

/// A compiled quality guard.
#[derive(Clone, Debug, PartialEq)]
pub struct QualityGuardSpec {
    /// The checks; any one in breach engages the guard.
    pub checks: Vec<QualityCheck>,
    /// The fallback target's name.
    pub fallback: String,
    /// The fallback's variant name on the endpoint.
    pub fallback_variant: String,
    /// This target's variant name on the endpoint.
    pub variant: String,
    /// The endpoint both variants belong to.
    pub endpoint: String,
    /// Share of this variant's weight moved to the fallback, in (0, 1].
    pub shift: f64,
    /// Fallback instances that carry the traffic of one instance of this variant.
    pub capacity_ratio: f64,
    /// How long every check must stay clear before traffic moves back.
    pub recover_after: Seconds,
}

/// Where the guard stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum GuardPhase {
    /// Quality is fine; traffic is where it was.
    #[default]
    Healthy,
    /// Quality breached; the fallback's capacity is being raised before the weights move.
    Provisioning,
    /// Traffic has moved to the fallback.
    Shifted,
    /// Quality recovered; the weights are moving back.
    Restoring,
}

impl GuardPhase {
    /// The phase's label in metrics and logs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Provisioning => "provisioning",
            Self::Shifted => "shifted",
            Self::Restoring => "restoring",
        }
    }
}

/// Traffic and capacity before the guard engaged.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaseTraffic {
    /// This variant's weight.
    pub weight: f64,
    /// The fallback's weight.
    pub fallback_weight: f64,
    /// The fallback's capacity.
    pub fallback_capacity: Capacity,
}

/// What the guard remembers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GuardState {
    /// The phase.
    pub phase: GuardPhase,
    /// When the phase began.
    pub since: Option<Timestamp>,
    /// Since when every check has been clear, while engaged.
    pub clear_since: Option<Timestamp>,
    /// Traffic before the guard engaged, while engaged.
    pub base: Option<BaseTraffic>,
    /// Per check: the breach and clear alarms' states.
    pub alarms: [[AlarmState; 2]; MAX_CHECKS],
}

/// What the driver read about the two variants this cycle.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrafficInput {
    /// This variant's current weight.
    pub weight: f64,
    /// The fallback's current weight.
    pub fallback_weight: f64,
    /// The fallback's capacity in service.
    pub fallback_current: Capacity,
    /// The fallback is not mid-change (desired = current, endpoint `InService`).
    pub fallback_settled: bool,
}

/// What the guard asks the driver to do this cycle.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TrafficAction {
    /// The guard policy.
    pub policy: u16,
    /// Its phase after this evaluation.
    pub phase: GuardPhase,
    /// The fallback must hold at least this capacity (it enters the fallback's min).
    pub fallback_floor: Option<Capacity>,
    /// Weights to set now, `(this variant, fallback)`; `None` when they are already right or
    /// must wait for capacity.
    pub weights: Option<(f64, f64)>,
}

/// The outcome of one evaluation, for the verdict.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GuardOutcome {
    /// The first check in breach, with its newest value.
    pub breach: Option<(u8, f64)>,
    /// Seconds every check has been clear while engaged.
    pub clear_for_s: u32,
    /// Whether no check had data.
    pub no_data: bool,
    /// The action.
    pub action: TrafficAction,
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= WEIGHT_EPSILON * a.abs().max(b.abs()).max(1.0)
}

impl QualityGuardSpec {
    /// The weights with the guard engaged, `(this variant, fallback)`.
    #[must_use]
    pub fn shifted(&self, base: &BaseTraffic) -> (f64, f64) {
        let moved = base.weight * self.shift;
        (base.weight - moved, base.fallback_weight + moved)
    }

    /// The fallback's capacity floor while engaged, for this variant at `current`.
    #[must_use]
    pub fn floor(&self, base: &BaseTraffic, current: Capacity) -> Capacity {
        let extra = (self.capacity_ratio * self.shift * f64::from(current)).ceil();
        base.fallback_capacity
            .saturating_add(extra.clamp(0.0, f64::from(u32::MAX)) as Capacity)
    }

    /// Evaluate the checks and step the state machine. `max_age` is the engine's maximum
    /// metric age; a check's metric may be one of its periods older still (Model Monitor
    /// publishes hourly).
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate<O: Observations + ?Sized>(
        &self,
        policy: u16,
        st: &mut GuardState,
        obs: &O,
        now: Timestamp,
        max_age: Seconds,
        current: Capacity,
        traffic: Option<TrafficInput>,
    ) -> GuardOutcome {
        let mut breach = None;
        let mut all_clear = true;
        let mut no_data = true;
        for (k, c) in self.checks.iter().enumerate().take(MAX_CHECKS) {
            let window = obs.window(c.breach.metric);
            let age = Seconds(max_age.0 + window.as_ref().map_or(0, |w| w.period.0));
            let b = c.breach.evaluate(window, st.alarms[k][0], now, age);
            let cl = c.clear.evaluate(window, st.alarms[k][1], now, age);
            st.alarms[k] = [b.state, cl.state];
            no_data &= b.value.is_none();
            if b.state == AlarmState::Alarm && breach.is_none() {
                breach = Some((k as u8, b.value.unwrap_or(f64::NAN)));
            }
            all_clear &= cl.state == AlarmState::Alarm;
        }

        let engaged = st.phase != GuardPhase::Healthy;
        if !engaged || breach.is_some() || !all_clear {
            st.clear_since = None;
        } else if st.clear_since.is_none() {
            st.clear_since = Some(now);
        }
        let clear_for = st.clear_since.map_or(0, |t| (now.0 - t.0).max(0));
        let recovered = st.clear_since.is_some() && clear_for >= i64::from(self.recover_after.0);
        let enter = |st: &mut GuardState, phase| {
            st.phase = phase;
            st.since = Some(now);
            st.clear_since = None;
        };

        let mut weights = None;
        match st.phase {
            GuardPhase::Healthy => {
                if let (Some(_), Some(t)) = (breach, traffic) {
                    st.base = Some(BaseTraffic {
                        weight: t.weight,
                        fallback_weight: t.fallback_weight,
                        fallback_capacity: t.fallback_current,
                    });
                    enter(st, GuardPhase::Provisioning);
                }
            }
            GuardPhase::Provisioning | GuardPhase::Shifted if recovered => {
                enter(st, GuardPhase::Restoring);
            }
            GuardPhase::Restoring if breach.is_some() => enter(st, GuardPhase::Provisioning),
            _ => {}
        }
        // Act on the (new) phase with what was read this cycle.
        if let (Some(base), Some(t)) = (st.base, traffic) {
            match st.phase {
                GuardPhase::Provisioning | GuardPhase::Shifted => {
                    let (w, fw) = self.shifted(&base);
                    let at = same(t.weight, w) && same(t.fallback_weight, fw);
                    if at {
                        if st.phase == GuardPhase::Provisioning {
                            enter(st, GuardPhase::Shifted);
                        }
                    } else if t.fallback_settled && t.fallback_current >= self.floor(&base, current)
                    {
                        // Capacity first: the weights move only onto capacity in service.
                        weights = Some((w, fw));
                    }
                }
                GuardPhase::Restoring => {
                    if same(t.weight, base.weight) && same(t.fallback_weight, base.fallback_weight)
                    {
                        enter(st, GuardPhase::Healthy);
                        st.base = None;
                    } else {
                        weights = Some((base.weight, base.fallback_weight));
                    }
                }
                GuardPhase::Healthy => {}
            }
        }
        let fallback_floor = match (st.phase, st.base) {
            (GuardPhase::Healthy, _) | (_, None) => None,
            (_, Some(base)) => Some(self.floor(&base, current)),
        };
        GuardOutcome {
            breach,
            clear_for_s: u32::try_from(clear_for).unwrap_or(u32::MAX),
            no_data,
            action: TrafficAction {
                policy,
                phase: st.phase,
                fallback_floor,
                weights,
            },
        }
    }
}
