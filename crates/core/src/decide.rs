//! One cycle's decisions for a whole policy set: the engine for every target (guarded targets
//! before their fallbacks), then the calls that carry the decisions out: the
//! `RegisterScalableTarget` planner with its pins, and a quality guard's weight change.
//!
//! The daemon and the simulator both drive this, so everything a cycle decides is written
//! once. A driver reads capacities and observations, calls [`DecisionCore::decide`], makes the
//! calls it is handed, and tells the core what became of each ([`DecisionCore::applied`]).
//!
//! Pure and allocation-light: the vectors are sized once per policy set; a weight call (rare)
//! is the only thing that allocates.

use sagescale_engine::{
    evaluate, Capacity, CapacityInput, Decision, EngineSettings, PersistedState, Seconds,
    TargetSpec, TargetState, Timestamp,
};
use sagescale_metrics::Observations;

use crate::actuation::{self, Call, Pin, Plan};
use crate::calls::VariantWeight;
use crate::capacity::{CapacityError, Registration, TargetCapacity};
use crate::guards::Guards;

/// A quality guard's weight change: `UpdateEndpointWeightsAndCapacities` on `endpoint`.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightCall {
    /// The endpoint.
    pub endpoint: String,
    /// Both variants' new weights, each with the instance count it is settled at.
    pub variants: Vec<VariantWeight>,
}

/// What became of the call planned for a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The call was made and succeeded: its pin holds.
    Made,
    /// The call was not made, or failed (an error, a lost lease, the kill switch): the change
    /// did not happen, so neither did its cooldown; the next cycle decides afresh.
    Undone,
    /// A dry run: the engine carries on as if the call was made, and its pin holds as a *dry*
    /// pin: the core reads the registration as the call would have left it, so the dry run
    /// asks for a change once and then waits for it as the real run would (rather than asking
    /// again every cycle). A dry pin is never persisted ([`DecisionCore::pins`]) and is dropped
    /// when the driver acts for real ([`DecisionCore::drop_dry_pins`]).
    DryRun,
}

/// The decision core's memory between cycles, and this cycle's decisions and calls.
#[derive(Debug)]
pub struct DecisionCore {
    settings: EngineSettings,
    /// Keep each target's state from before its decision, so a call that is not made can be
    /// undone (the daemon). A driver whose calls cannot fail (the simulator) skips it.
    undoable: bool,
    guards: Guards,
    states: Vec<TargetState>,
    before: Vec<TargetState>,
    pins: Vec<Option<Pin>>,
    /// Whether `pins[i]` was set by a dry run (no call was made).
    dry: Vec<bool>,
    decisions: Vec<Decision>,
    plans: Vec<Option<Plan>>,
    weight_calls: Vec<Option<WeightCall>>,
    /// Each target's provisioning lead as its driver learned it ([`crate::provisioning`]).
    leads: Vec<Option<Seconds>>,
}

impl DecisionCore {
    /// A core for `targets`, starting from `states` and `pins` (index-aligned with `targets`;
    /// fresh ones with [`DecisionCore::fresh`]).
    #[must_use]
    pub fn new(
        targets: &[TargetSpec],
        states: Vec<TargetState>,
        pins: Vec<Option<Pin>>,
        settings: EngineSettings,
    ) -> Self {
        let n = targets.len();
        Self {
            settings,
            undoable: true,
            guards: Guards::new(targets),
            before: states.clone(),
            states,
            pins,
            dry: vec![false; n],
            decisions: vec![Decision::default(); n],
            plans: vec![None; n],
            weight_calls: vec![None; n],
            leads: vec![None; n],
        }
    }

    /// A core for `targets` with no history.
    #[must_use]
    pub fn fresh(targets: &[TargetSpec], settings: EngineSettings) -> Self {
        let states = targets.iter().map(TargetState::new).collect();
        Self::new(targets, states, vec![None; targets.len()], settings)
    }

    /// For a driver whose calls cannot fail or be refused (the simulator, whose Application
    /// Auto Scaling always accepts them): no state is kept to undo a call with, which saves
    /// copying every target's state at every evaluation. Such a driver reports only
    /// [`Applied::Made`] and [`Applied::DryRun`].
    #[must_use]
    pub fn without_undo(mut self) -> Self {
        self.undoable = false;
        self
    }

    /// Target `i`'s provisioning lead, as the driver learned it from the capacities it read
    /// ([`crate::provisioning::LeadTracker`]): the daemon and the simulator feed the same
    /// tracker the same reads, so a policy that plans over the lead sees what production sees.
    pub fn set_lead(&mut self, i: usize, lead: Option<Seconds>) {
        if let Some(l) = self.leads.get_mut(i) {
            *l = lead;
        }
    }

    /// Decide every target at `now`. `caps[i]` is target `i`'s capacity as read this cycle (an
    /// unreadable target is not decided); `observations(i)` is what its policies read; a pin
    /// older than `pin_timeout` is restored even if its change has not landed.
    ///
    /// Guarded targets go first, so their fallbacks see this cycle's floors. Afterwards
    /// [`Self::call`] and [`Self::weight_call`] say which calls to make.
    pub fn decide<'o, O, F>(
        &mut self,
        targets: &[TargetSpec],
        caps: &[Result<TargetCapacity, CapacityError>],
        observations: F,
        now: Timestamp,
        pin_timeout: Seconds,
    ) where
        O: Observations + ?Sized + 'o,
        F: Fn(usize) -> &'o O,
    {
        for p in &mut self.plans {
            *p = None;
        }
        let guarded = self.guards.any();
        for k in 0..self.guards.order.len() {
            let i = self.guards.order[k];
            let Ok(read) = &caps[i] else {
                continue;
            };
            let dry_view;
            let cap = match self.pins[i] {
                Some(p) if self.dry[i] => {
                    dry_view = as_registered(read, p);
                    &dry_view
                }
                _ => read,
            };
            if self.undoable {
                self.before[i].clone_from(&self.states[i]);
            }
            let input = CapacityInput {
                current: engine_current(cap, self.pins[i]),
                in_service: Some(cap.current),
                status: cap.status,
                suspended: cap.registration.map(|r| r.suspended).unwrap_or_default(),
                traffic: guarded.then(|| self.guards.traffic(i, caps)).flatten(),
                guard_floor: guarded
                    .then(|| self.guards.floor(i, &self.decisions))
                    .flatten(),
                lead: self.leads[i],
                room: cap.room.and_then(crate::capacity::Room::copies),
            };
            evaluate(
                &self.settings,
                &targets[i],
                &mut self.states[i],
                &input,
                observations(i),
                now,
                &mut self.decisions[i],
            );
            self.plans[i] = Some(actuation::plan(
                &self.decisions[i],
                cap,
                self.pins[i],
                now,
                pin_timeout,
            ));
        }
        if !guarded {
            // No quality guard: no weight call can arise (the cells stay `None`).
            return;
        }
        for (i, spec) in targets.iter().enumerate() {
            self.weight_calls[i] = self
                .guards
                .weight_call(i, spec, &self.decisions[i], caps)
                .map(|(endpoint, variants)| WeightCall { endpoint, variants });
        }
    }

    /// Whether this cycle asks for any call.
    #[must_use]
    pub fn wants_calls(&self) -> bool {
        self.plans.iter().flatten().any(|p| p.call.is_some())
            || self.weight_calls.iter().any(Option::is_some)
    }

    /// The `RegisterScalableTarget` call target `i` needs this cycle, if any.
    #[must_use]
    pub fn call(&self, i: usize) -> Option<Call> {
        self.plans[i].and_then(|p| p.call)
    }

    /// The weight change target `i`'s quality guard asks for this cycle, if any.
    #[must_use]
    pub fn weight_call(&self, i: usize) -> Option<&WeightCall> {
        self.weight_calls[i].as_ref()
    }

    /// Target `i`'s decision this cycle (or the last one made, if it was not decided).
    #[must_use]
    pub fn decision(&self, i: usize) -> &Decision {
        &self.decisions[i]
    }

    /// Target `i`'s engine state before this cycle's decision (this cycle's, for a core
    /// without undo).
    #[must_use]
    pub fn state_before(&self, i: usize) -> &TargetState {
        if self.undoable {
            &self.before[i]
        } else {
            &self.states[i]
        }
    }

    /// Every target's engine state.
    #[must_use]
    pub fn states(&self) -> &[TargetState] {
        &self.states
    }

    /// Every target's pin made by a real call, to persist and restore on a restart (a dry
    /// run's pins are not: no call stands behind them).
    pub fn pins(&self) -> impl Iterator<Item = Option<Pin>> + '_ {
        self.pins
            .iter()
            .zip(&self.dry)
            .map(|(p, dry)| p.filter(|_| !dry))
    }

    /// Forget the pins a dry run set (the driver now acts for real: the registration is what
    /// AWS holds).
    pub fn drop_dry_pins(&mut self) {
        for (p, dry) in self.pins.iter_mut().zip(&mut self.dry) {
            if *dry {
                *p = None;
                *dry = false;
            }
        }
    }

    /// Target `i`'s pin if its change is still on its way, as the core reads `cap` (a dry pin
    /// against the registration its call would have left).
    #[must_use]
    pub fn pin_in_flight(&self, i: usize, cap: &TargetCapacity) -> Option<Pin> {
        let p = self.pins[i]?;
        let seen = if self.dry[i] {
            in_flight(&as_registered(cap, p), p)
        } else {
            in_flight(cap, p)
        };
        seen.then_some(p)
    }

    /// The pins as they will be once every planned call is made: what a write-ahead intent
    /// records before the calls go out.
    pub fn intended_pins(&self) -> impl Iterator<Item = (usize, Pin)> + '_ {
        self.plans
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.and_then(|p| p.pin).map(|pin| (i, pin)))
    }

    /// Record what became of target `i`'s planned call.
    pub fn applied(&mut self, i: usize, what: Applied) {
        match what {
            Applied::Made => {
                if let Some(p) = self.plans[i] {
                    self.pins[i] = p.pin;
                    self.dry[i] = false;
                }
            }
            Applied::Undone => {
                debug_assert!(self.undoable, "a core without undo was asked to undo");
                self.states[i].clone_from(&self.before[i]);
            }
            Applied::DryRun => {
                if let Some(p) = self.plans[i] {
                    self.pins[i] = p.pin;
                    self.dry[i] = p.pin.is_some();
                }
            }
        }
    }

    /// Forget this cycle's decisions (a follower, which decides only to keep its caches warm).
    pub fn discard(&mut self) {
        debug_assert!(self.undoable, "a core without undo was asked to discard");
        for (s, b) in self.states.iter_mut().zip(&self.before) {
            s.clone_from(b);
        }
    }

    /// Take over saved state (another replica's, on becoming leader).
    pub fn adopt(&mut self, states: Vec<TargetState>, pins: Vec<Option<Pin>>) {
        self.states = states;
        self.before.clone_from(&self.states);
        self.pins = pins;
        self.dry.fill(false);
    }

    /// The engine state to persist.
    #[must_use]
    pub fn persisted(&self, targets: &[TargetSpec]) -> PersistedState {
        PersistedState::snapshot(targets, &self.states)
    }

    /// Mutable access to target `i`'s engine state (for tests that set up a phase).
    pub fn state_mut(&mut self, i: usize) -> &mut TargetState {
        &mut self.states[i]
    }
}

/// `cap` as a dry run reads it while `pin` holds: registered at the pin's bounds, as its call
/// would have left it.
fn as_registered(cap: &TargetCapacity, pin: Pin) -> TargetCapacity {
    TargetCapacity {
        registration: Some(Registration {
            min: pin.min,
            max: pin.max,
            suspended: cap.registration.map(|r| r.suspended).unwrap_or_default(),
        }),
        ..*cap
    }
}

/// A pinned change Application Auto Scaling holds but the endpoint does not show yet.
#[must_use]
pub fn in_flight(cap: &TargetCapacity, pin: Pin) -> bool {
    cap.registration
        .is_some_and(|r| (r.min, r.max) == (pin.min, pin.max))
        && cap.desired != pin.to
}

/// The capacity the engine starts from: what Application Auto Scaling counts as current (the
/// variant's desired count), or, while a registered change has not shown up on the endpoint
/// yet, the capacity it is moving to. Counting the change in flight as done stops the engine
/// from asking for it again every cycle (and restarting its cooldown) until it lands or its
/// pin times out.
#[must_use]
pub fn engine_current(cap: &TargetCapacity, pin: Option<Pin>) -> Capacity {
    match pin {
        Some(p) if in_flight(cap, p) => p.to,
        _ => cap.desired,
    }
}
