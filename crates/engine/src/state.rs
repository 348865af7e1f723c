//! Engine state: what the engine remembers between evaluations, and its persisted form.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::alarm::AlarmState;
use super::burst::{BurstState, CapacitySeen};
use super::quality::GuardState;
use super::schedule::ScheduleCache;
use super::slo::SloState;
use super::spec::{PolicyKind, TargetSpec};
use sagescale_metrics::{Capacity, Timestamp};

/// A scale-out cooldown in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleOutCooldown {
    /// The cooldown ends at this instant.
    pub until: Timestamp,
    /// Capacity before the scale-out that started it: while it lasts, capacity already added
    /// counts toward the next scale-out, which is computed from this base.
    pub base: Capacity,
}

/// A target's cooldown clocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cooldowns {
    /// Scale-out cooldown, if one is running.
    pub scale_out: Option<ScaleOutCooldown>,
    /// Scale-in is blocked until this instant.
    pub scale_in_until: Option<Timestamp>,
}

impl Cooldowns {
    /// The scale-out cooldown running at `now`, if any.
    #[must_use]
    pub fn scale_out_at(&self, now: Timestamp) -> Option<ScaleOutCooldown> {
        self.scale_out.filter(|c| now < c.until)
    }

    /// The end of the scale-in cooldown running at `now`, if any.
    #[must_use]
    pub fn scale_in_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.scale_in_until.filter(|&u| now < u)
    }
}

/// One policy's memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyState {
    /// Alarm states: target tracking's high and low alarms, or a step policy's alarm in [0].
    pub alarms: [AlarmState; 2],
    /// End of the newest datapoint a step policy was last invoked on. CloudWatch invokes a
    /// scaling action once per period while in ALARM, so a step policy acts at most once per
    /// new datapoint, however often the engine is evaluated.
    pub invoked_at: Option<Timestamp>,
    /// Burst-aware policies: stabilisation slots and panic mode.
    #[serde(default)]
    pub burst: BurstState,
    /// Quality guards: phase, base traffic and check alarms.
    #[serde(default)]
    pub guard: GuardState,
    /// SLO policies: what they learned, and their hold window.
    #[serde(default, skip_serializing_if = "is_fresh_slo")]
    pub slo: SloState,
    /// Scheduled policies' firing cache (derived, so never persisted).
    #[serde(skip)]
    pub schedule: ScheduleCache,
}

fn is_fresh_slo(s: &SloState) -> bool {
    *s == SloState::default()
}

/// The last capacity change the engine decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastAction {
    /// When.
    pub at: Timestamp,
    /// Capacity before.
    pub from: Capacity,
    /// Capacity after.
    pub to: Capacity,
    /// Index of the policy that caused it; `None` when bounds pushed capacity.
    pub policy: Option<u16>,
}

/// Everything the engine remembers about one target.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetState {
    /// Cooldown clocks.
    pub cooldown: Cooldowns,
    /// One entry per policy, index-aligned with [`TargetSpec::policies`].
    pub policies: Vec<PolicyState>,
    /// The last change decided.
    pub last_action: Option<LastAction>,
    /// Bounds in force after the last evaluation (kept while scheduled scaling is suspended).
    pub bounds: Option<(Capacity, Capacity)>,
    /// Capacity in service at recent evaluations, kept only for a target with a per-unit
    /// policy (empty otherwise).
    #[serde(default)]
    pub seen: CapacitySeen,
}

impl Clone for TargetState {
    fn clone(&self) -> Self {
        Self {
            cooldown: self.cooldown,
            policies: self.policies.clone(),
            last_action: self.last_action,
            bounds: self.bounds,
            seen: self.seen.clone(),
        }
    }

    /// Copies into the existing allocation: the decision core snapshots every target's state
    /// each cycle, and the derived `clone_from` would allocate a new vector every time.
    fn clone_from(&mut self, source: &Self) {
        self.cooldown = source.cooldown;
        self.policies.clone_from(&source.policies);
        self.last_action = source.last_action;
        self.bounds = source.bounds;
        self.seen.clone_from(&source.seen);
    }
}

impl TargetState {
    /// A fresh state for `spec`.
    #[must_use]
    pub fn new(spec: &TargetSpec) -> Self {
        let per_unit = spec.policies.iter().any(|p| match &p.kind {
            PolicyKind::BurstAware(b) => b.per_unit,
            // The SLO policy learns from each datapoint with the capacity that served it.
            PolicyKind::Slo(_) => true,
            _ => false,
        });
        Self {
            policies: vec![PolicyState::default(); spec.policies.len()],
            seen: if per_unit {
                CapacitySeen::with_room()
            } else {
                CapacitySeen::default()
            },
            ..Self::default()
        }
    }
}

/// The version of [`PersistedState`]'s layout. A state file of another version is refused.
pub const STATE_VERSION: u32 = 1;

/// Engine state keyed by target and policy names, so it survives a policy set being reordered
/// or edited: what still exists resumes, what is new starts fresh.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersistedState {
    /// Layout version, [`STATE_VERSION`].
    pub version: u32,
    /// Per target name.
    pub targets: BTreeMap<String, PersistedTarget>,
}

/// One target's persisted state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersistedTarget {
    /// Cooldown clocks.
    pub cooldown: Cooldowns,
    /// Per policy name.
    pub policies: BTreeMap<String, PolicyState>,
    /// The last change, with its policy by name.
    pub last_action: Option<PersistedAction>,
    /// Bounds in force.
    pub bounds: Option<(Capacity, Capacity)>,
    /// Capacity in service at recent evaluations (targets with a per-unit policy).
    #[serde(default, skip_serializing_if = "capacity_not_kept")]
    pub seen: CapacitySeen,
}

fn capacity_not_kept(seen: &CapacitySeen) -> bool {
    !seen.is_kept()
}

/// [`LastAction`] with the policy named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersistedAction {
    /// When.
    pub at: Timestamp,
    /// Capacity before.
    pub from: Capacity,
    /// Capacity after.
    pub to: Capacity,
    /// Name of the policy that caused it.
    pub policy: Option<String>,
}

impl PersistedState {
    /// Snapshot `states` (index-aligned with `targets`) by name.
    #[must_use]
    pub fn snapshot(targets: &[TargetSpec], states: &[TargetState]) -> Self {
        let targets = targets
            .iter()
            .zip(states)
            .map(|(spec, st)| {
                let policies = spec
                    .policies
                    .iter()
                    .zip(&st.policies)
                    .map(|(p, ps)| (p.name.clone(), *ps))
                    .collect();
                let last_action = st.last_action.map(|a| PersistedAction {
                    at: a.at,
                    from: a.from,
                    to: a.to,
                    policy: a
                        .policy
                        .and_then(|i| spec.policies.get(usize::from(i)))
                        .map(|p| p.name.clone()),
                });
                let t = PersistedTarget {
                    cooldown: st.cooldown,
                    policies,
                    last_action,
                    bounds: st.bounds,
                    seen: st.seen.clone(),
                };
                (spec.name.clone(), t)
            })
            .collect();
        Self {
            version: STATE_VERSION,
            targets,
        }
    }

    /// Rebuild index-aligned states for `targets`. Targets and policies without saved state
    /// start fresh; saved state for names no longer present is dropped.
    pub fn restore(&self, targets: &[TargetSpec]) -> Result<Vec<TargetState>, String> {
        if self.version != STATE_VERSION {
            return Err(format!(
                "state layout version {} is not the version this sagescale reads ({STATE_VERSION})",
                self.version
            ));
        }
        Ok(targets
            .iter()
            .map(|spec| {
                let mut st = TargetState::new(spec);
                if let Some(saved) = self.targets.get(&spec.name) {
                    st.cooldown = saved.cooldown;
                    st.bounds = saved.bounds;
                    // Kept only while the target still has a per-unit policy (`saw` writes
                    // nothing otherwise), whatever ring length it was saved with.
                    st.seen.restore_from(&saved.seen);
                    for (p, ps) in spec.policies.iter().zip(st.policies.iter_mut()) {
                        if let Some(s) = saved.policies.get(&p.name) {
                            *ps = *s;
                        }
                    }
                    st.last_action = saved.last_action.as_ref().map(|a| LastAction {
                        at: a.at,
                        from: a.from,
                        to: a.to,
                        policy: a.policy.as_ref().and_then(|name| {
                            spec.policies
                                .iter()
                                .position(|p| &p.name == name)
                                .and_then(|i| u16::try_from(i).ok())
                        }),
                    });
                }
                st
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::burst::BurstSpec;
    use crate::spec::{PolicySpec, ScalableDimension, Workload};
    use sagescale_metrics::{MetricId, Seconds};

    fn target(per_unit: bool) -> TargetSpec {
        TargetSpec {
            name: "t".into(),
            resource_id: "endpoint/e/variant/v".into(),
            dimension: ScalableDimension::InstanceCount,
            workload: Workload::Realtime,
            min: 1,
            max: 10,
            policies: vec![PolicySpec {
                name: "b".into(),
                kind: PolicyKind::BurstAware(BurstSpec {
                    metric: MetricId(0),
                    per_unit,
                    target: 1.5,
                    stable_window: Seconds(60),
                    panic_window: Seconds(60),
                    panic_threshold: 2.0,
                    scale_in_stabilization: Seconds(300),
                    tolerance: 0.0,
                    disable_scale_in: false,
                }),
            }],
        }
    }

    #[test]
    fn the_capacity_seen_is_kept_only_for_per_unit_targets_and_survives_a_restart() {
        let spec = target(true);
        let mut st = TargetState::new(&spec);
        assert!(st.seen.is_kept());
        st.seen.saw(Timestamp(60), 10);
        st.seen.saw(Timestamp(120), 14);
        let saved = PersistedState::snapshot(std::slice::from_ref(&spec), &[st.clone()]);
        let restored = saved.restore(std::slice::from_ref(&spec)).unwrap();
        assert_eq!(restored[0].seen, st.seen);
        assert_eq!(restored[0].seen.in_service_at(100, 3), 14);
        // A target without a per-unit policy keeps nothing, and writes nothing for it.
        let plain = target(false);
        let st = TargetState::new(&plain);
        assert!(!st.seen.is_kept());
        let saved = PersistedState::snapshot(std::slice::from_ref(&plain), &[st]);
        assert!(saved.targets["t"].seen == CapacitySeen::default());
        // A policy that stops being per-unit drops what was seen.
        let from_per_unit =
            PersistedState::snapshot(std::slice::from_ref(&spec), &[TargetState::new(&spec)]);
        let restored = from_per_unit.restore(std::slice::from_ref(&plain)).unwrap();
        assert!(!restored[0].seen.is_kept());
    }
}
