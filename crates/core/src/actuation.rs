//! The actuation sequence: which `RegisterScalableTarget` call (if any) carries out a decision,
//! and how the target's standing bounds come back afterwards. Pure, so every branch is tested
//! without AWS.
//!
//! The sequence (docs/daemon.md explains why it is safe):
//! 1. **Scale out to D**: register `[D, max]`. AAS raises capacity to D at once. The raised
//!    floor is a *pin*.
//! 2. **Scale in to D**: register `[min, D]`. AAS lowers capacity to D at once. The lowered
//!    ceiling is a pin.
//! 3. **Restore**: once the endpoint is `InService` at D (or the pin is older than the pin
//!    timeout), register the bounds in force `[min, max]` again. Lowering a floor or raising a
//!    ceiling never moves capacity, so the restore is inert; if sagescale stops, AAS holds
//!    the user's bounds.
//! 4. **Reissue**: a pin recorded but not in the registration (sagescale died between writing
//!    its intent and the call, or someone changed the target) is registered again. Bounds are
//!    absolute, so a repeat is harmless and a lost call is recovered.
//! 5. **Register / align**: a target that is not registered, or whose registration differs
//!    from the bounds in force (a schedule fired, the policy file changed), is registered
//!    with them.
//!
//! No call is made while the endpoint is not `InService`.

use serde::{Deserialize, Serialize};

use crate::capacity::TargetCapacity;
use sagescale_engine::{Capacity, Decision, EndpointStatus, Seconds, Timestamp};

/// How long a pin waits for its change to land before the standing bounds are restored anyway:
/// the daemon's default `pin_timeout_seconds`, and the simulator's.
pub const DEFAULT_PIN_TIMEOUT: Seconds = Seconds(1800);

/// A bound sagescale moved to carry out a change, to be restored once the change lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Capacity the change moves to.
    pub to: Capacity,
    /// Registered `MinCapacity` while pinned.
    pub min: Capacity,
    /// Registered `MaxCapacity` while pinned.
    pub max: Capacity,
    /// When the pin was set.
    pub since: Timestamp,
}

/// Why a call is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Raise the floor to scale out.
    ScaleOut,
    /// Lower the ceiling to scale in.
    ScaleIn,
    /// Put the bounds in force back after a change landed.
    Restore,
    /// Put the bounds back because the pin timed out before the change landed.
    RestoreAfterTimeout,
    /// Register a recorded pin again.
    Reissue,
    /// Register a target AAS does not know.
    Register,
    /// Bring the registration in line with the bounds in force.
    Align,
}

/// One `RegisterScalableTarget` call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Call {
    /// `MinCapacity`.
    pub min: Capacity,
    /// `MaxCapacity`.
    pub max: Capacity,
    /// Why.
    pub purpose: Purpose,
}

/// What to do for one target this cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The call to make, if any.
    pub call: Option<Call>,
    /// The pin after the call succeeds.
    pub pin: Option<Pin>,
}

/// Plan the call that carries out `decision` on a target whose capacity is `cap`, given the
/// pin left from earlier cycles.
#[must_use]
pub fn plan(
    decision: &Decision,
    cap: &TargetCapacity,
    pin: Option<Pin>,
    now: Timestamp,
    pin_timeout: Seconds,
) -> Plan {
    let b = decision.bounds;
    let nothing = Plan { call: None, pin };
    if cap.status != EndpointStatus::InService {
        return nothing;
    }
    let registered = cap.registration.map(|r| (r.min, r.max));
    if decision.changes() {
        let to = decision.desired;
        let (min, max, purpose) = if to > decision.current {
            (to, b.max.max(to), Purpose::ScaleOut)
        } else {
            (b.min.min(to), to, Purpose::ScaleIn)
        };
        return Plan {
            call: Some(Call { min, max, purpose }),
            pin: Some(Pin {
                to,
                min,
                max,
                since: now,
            }),
        };
    }
    let restore = |purpose| Plan {
        call: Some(Call {
            min: b.min,
            max: b.max,
            purpose,
        }),
        pin: None,
    };
    if let Some(p) = pin {
        if cap.current == p.to && cap.desired == p.to {
            return restore(Purpose::Restore);
        }
        if now.since(p.since) >= i64::from(pin_timeout.0) {
            return restore(Purpose::RestoreAfterTimeout);
        }
        if registered != Some((p.min, p.max)) {
            return Plan {
                call: Some(Call {
                    min: p.min,
                    max: p.max,
                    purpose: Purpose::Reissue,
                }),
                pin,
            };
        }
        return nothing;
    }
    match registered {
        None => restore(Purpose::Register),
        Some(r) if r != (b.min, b.max) => restore(Purpose::Align),
        Some(_) => nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::Registration;
    use sagescale_engine::decision::Bounds;
    use sagescale_engine::{Direction, Suspension};

    fn decision(current: Capacity, desired: Capacity, min: Capacity, max: Capacity) -> Decision {
        Decision {
            current,
            desired,
            direction: if desired > current {
                Direction::Out
            } else if desired < current {
                Direction::In
            } else {
                Direction::Hold
            },
            bounds: Bounds {
                min,
                max,
                ..Bounds::default()
            },
            ..Decision::default()
        }
    }

    fn cap(current: Capacity, reg: Option<(Capacity, Capacity)>) -> TargetCapacity {
        TargetCapacity {
            status: EndpointStatus::InService,
            current,
            desired: current,
            registration: reg.map(|(min, max)| Registration {
                min,
                max,
                suspended: Suspension::default(),
            }),
            weight: None,
            room: None,
        }
    }

    const T: Seconds = Seconds(1800);

    #[test]
    fn scale_out_raises_the_floor_and_restores_it_once_capacity_lands() {
        let now = Timestamp(1000);
        let p = plan(&decision(2, 5, 1, 10), &cap(2, Some((1, 10))), None, now, T);
        let call = p.call.unwrap();
        assert_eq!(
            (call.min, call.max, call.purpose),
            (5, 10, Purpose::ScaleOut)
        );
        let pin = p.pin.unwrap();
        // Still on its way: registered as pinned, nothing to do.
        let wait = plan(
            &decision(2, 2, 1, 10),
            &cap(2, Some((5, 10))),
            Some(pin),
            Timestamp(1060),
            T,
        );
        assert_eq!(
            wait,
            Plan {
                call: None,
                pin: Some(pin)
            }
        );
        // Updating: never a call.
        let mut updating = cap(5, Some((5, 10)));
        updating.status = EndpointStatus::Updating;
        assert_eq!(
            plan(
                &decision(5, 5, 1, 10),
                &updating,
                Some(pin),
                Timestamp(1120),
                T
            )
            .call,
            None
        );
        // Landed: the standing bounds come back.
        let done = plan(
            &decision(5, 5, 1, 10),
            &cap(5, Some((5, 10))),
            Some(pin),
            Timestamp(1180),
            T,
        );
        assert_eq!(
            done.call.unwrap(),
            Call {
                min: 1,
                max: 10,
                purpose: Purpose::Restore
            }
        );
        assert_eq!(done.pin, None);
    }

    #[test]
    fn scale_in_lowers_the_ceiling() {
        let p = plan(
            &decision(8, 6, 2, 20),
            &cap(8, Some((2, 20))),
            None,
            Timestamp(0),
            T,
        );
        assert_eq!(
            p.call.unwrap(),
            Call {
                min: 2,
                max: 6,
                purpose: Purpose::ScaleIn
            }
        );
        assert_eq!(p.pin.unwrap().to, 6);
    }

    #[test]
    fn a_pin_missing_from_the_registration_is_reissued_and_a_stale_one_restored() {
        let pin = Pin {
            to: 5,
            min: 5,
            max: 10,
            since: Timestamp(0),
        };
        let again = plan(
            &decision(2, 2, 1, 10),
            &cap(2, Some((1, 10))),
            Some(pin),
            Timestamp(60),
            T,
        );
        assert_eq!(
            again.call.unwrap(),
            Call {
                min: 5,
                max: 10,
                purpose: Purpose::Reissue
            }
        );
        assert_eq!(again.pin, Some(pin));
        let late = plan(
            &decision(2, 2, 1, 10),
            &cap(2, Some((5, 10))),
            Some(pin),
            Timestamp(1800),
            T,
        );
        assert_eq!(late.call.unwrap().purpose, Purpose::RestoreAfterTimeout);
        assert_eq!(late.pin, None);
    }

    #[test]
    fn absent_or_drifted_registrations_are_brought_in_line() {
        let absent = plan(&decision(3, 3, 2, 8), &cap(3, None), None, Timestamp(0), T);
        assert_eq!(
            absent.call.unwrap(),
            Call {
                min: 2,
                max: 8,
                purpose: Purpose::Register
            }
        );
        let drifted = plan(
            &decision(3, 3, 2, 8),
            &cap(3, Some((1, 100))),
            None,
            Timestamp(0),
            T,
        );
        assert_eq!(drifted.call.unwrap().purpose, Purpose::Align);
        let settled = plan(
            &decision(3, 3, 2, 8),
            &cap(3, Some((2, 8))),
            None,
            Timestamp(0),
            T,
        );
        assert_eq!(
            settled,
            Plan {
                call: None,
                pin: None
            }
        );
    }
}
