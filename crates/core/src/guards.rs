//! Quality guards across targets: which target falls back to which, the order targets are
//! decided in (a guarded target before its fallback, so the fallback sees this cycle's floor),
//! and what one tells the other.

use crate::calls::VariantWeight;
use crate::capacity::{CapacityError, TargetCapacity};
use sagescale_engine::quality::{QualityGuardSpec, TrafficInput};
use sagescale_engine::{Capacity, Decision, EndpointStatus, PolicyKind, TargetSpec};

/// The guard wiring of a policy set.
#[derive(Debug, Default)]
pub struct Guards {
    /// Target indices in evaluation order: every target with a guard before every fallback.
    pub order: Vec<usize>,
    /// `(guarded target, its fallback)`: a handful, so lookups scan it.
    pairs: Vec<(usize, usize)>,
}

/// A target's quality guard, if it has one.
#[must_use]
pub fn guard_of(spec: &TargetSpec) -> Option<&QualityGuardSpec> {
    spec.policies.iter().find_map(|p| match &p.kind {
        PolicyKind::QualityGuard(g) => Some(g),
        _ => None,
    })
}

fn settled(c: &TargetCapacity) -> bool {
    c.status == EndpointStatus::InService && c.current == c.desired
}

impl Guards {
    /// Wire the guards of a policy set's `targets`. Validation has checked that each fallback
    /// exists, is another variant of the same endpoint and has no guard of its own.
    #[must_use]
    pub fn new(targets: &[TargetSpec]) -> Self {
        let pairs: Vec<(usize, usize)> = targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let g = guard_of(t)?;
                let f = targets.iter().position(|f| f.name == g.fallback)?;
                Some((i, f))
            })
            .collect();
        let is_fallback = |i: usize| pairs.iter().any(|&(_, f)| f == i);
        let mut order: Vec<usize> = (0..targets.len()).filter(|&i| !is_fallback(i)).collect();
        order.extend((0..targets.len()).filter(|&i| is_fallback(i)));
        Self { order, pairs }
    }

    /// Whether any target has a quality guard.
    #[must_use]
    pub fn any(&self) -> bool {
        !self.pairs.is_empty()
    }

    /// Target `i`'s guard's fallback, if it has a guard.
    fn fallback(&self, i: usize) -> Option<usize> {
        self.pairs.iter().find(|&&(g, _)| g == i).map(|&(_, f)| f)
    }

    /// What target `i`'s guard needs to know: both variants' weights and the fallback's
    /// capacity. `None` without a guard, or when either could not be read.
    #[must_use]
    pub fn traffic(
        &self,
        i: usize,
        caps: &[Result<TargetCapacity, CapacityError>],
    ) -> Option<TrafficInput> {
        let f = self.fallback(i)?;
        let (Ok(own), Ok(fb)) = (&caps[i], &caps[f]) else {
            return None;
        };
        Some(TrafficInput {
            weight: own.weight?,
            fallback_weight: fb.weight?,
            fallback_current: fb.current,
            fallback_settled: settled(fb),
        })
    }

    /// The highest capacity floor the guards falling back to target `i` ask of it, from
    /// their latest decisions.
    #[must_use]
    pub fn floor(&self, i: usize, decisions: &[Decision]) -> Option<Capacity> {
        self.pairs
            .iter()
            .filter(|&&(_, f)| f == i)
            .filter_map(|&(g, _)| decisions[g].traffic.and_then(|t| t.fallback_floor))
            .max()
    }

    /// The weight change target `i`'s guard asks for this cycle: the endpoint and both
    /// variants' new weights, each with the instance count it is settled at. `None` when
    /// there is nothing to move or either variant is mid-change.
    #[must_use]
    pub fn weight_call(
        &self,
        i: usize,
        spec: &TargetSpec,
        decision: &Decision,
        caps: &[Result<TargetCapacity, CapacityError>],
    ) -> Option<(String, Vec<VariantWeight>)> {
        let g = guard_of(spec)?;
        let (w, fw) = decision.traffic?.weights?;
        let f = self.fallback(i)?;
        let (Ok(own), Ok(fb)) = (&caps[i], &caps[f]) else {
            return None;
        };
        if !settled(own) || !settled(fb) {
            return None;
        }
        Some((
            g.endpoint.clone(),
            vec![
                VariantWeight {
                    variant: g.variant.clone(),
                    weight: w,
                    instances: own.current,
                },
                VariantWeight {
                    variant: g.fallback_variant.clone(),
                    weight: fw,
                    instances: fb.current,
                },
            ],
        ))
    }
}
