//! What the engine decides, and why.

use serde::Serialize;

use super::alarm::Comparison;
use super::quality::{GuardPhase, TrafficAction};
use sagescale_metrics::{Capacity, Timestamp};

/// Which way capacity moves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Direction {
    /// No change.
    #[default]
    Hold,
    /// More capacity.
    Out,
    /// Less capacity.
    In,
}

/// What one policy concluded, with the numbers behind it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Reason {
    /// Not evaluated yet in this decision.
    Pending,
    /// The alarm had too little data (or stale data) to decide.
    NoData {
        /// The newest datapoint was older than the engine's maximum metric age.
        stale: bool,
    },
    /// Target tracking: neither alarm fired.
    Steady {
        /// Newest value.
        value: f64,
        /// Target.
        target: f64,
    },
    /// Target tracking: the high alarm fired.
    AboveTarget {
        /// Value used.
        value: f64,
        /// Target.
        target: f64,
        /// Breaching datapoints.
        breaching: u16,
        /// Datapoints needed.
        of: u16,
    },
    /// Target tracking: the low alarm fired.
    BelowTarget {
        /// Value used.
        value: f64,
        /// Low threshold (ratio × target).
        threshold: f64,
        /// Breaching datapoints.
        breaching: u16,
        /// Datapoints needed.
        of: u16,
    },
    /// Target tracking: the low alarm fired but the policy has scale-in disabled.
    ScaleInDisabled {
        /// Value.
        value: f64,
    },
    /// Target tracking: removing one unit would push the metric back above the target.
    WouldRebreach {
        /// Value now.
        value: f64,
        /// Value predicted with one unit fewer.
        after: f64,
        /// Target.
        target: f64,
    },
    /// A scale-out was wanted, but capacity added within the running scale-out cooldown
    /// already covers it.
    AddedCapacityCounts {
        /// Capacity the cooldown's scale-out started from.
        base: Capacity,
        /// Capacity wanted from that base.
        wanted: Capacity,
    },
    /// Step: the alarm is in ALARM and this step applies.
    StepAlarm {
        /// Value used.
        value: f64,
        /// Alarm threshold.
        threshold: f64,
        /// Alarm comparison.
        comparison: Comparison,
        /// Index of the step.
        step: u8,
        /// The step's adjustment.
        adjustment: i32,
    },
    /// Step: the alarm is OK.
    AlarmOk {
        /// Newest value, if any.
        value: Option<f64>,
        /// Threshold.
        threshold: f64,
        /// Comparison.
        comparison: Comparison,
    },
    /// Step: the alarm is in ALARM but no step covers the value.
    NoStep {
        /// Value.
        value: f64,
        /// `value − threshold`.
        offset: f64,
    },
    /// Step: already invoked on this datapoint.
    AlreadyInvoked {
        /// End of the datapoint's period.
        datapoint_end: Timestamp,
    },
    /// Predictive: still learning the season.
    Learning {
        /// Seconds of history so far.
        have_s: u32,
        /// Seconds needed.
        need_s: u32,
    },
    /// Predictive: the forecast, and the floor it sets while trusted.
    Forecast {
        /// Load expected at `now + lead`, per period.
        load: f64,
        /// The capacity floor.
        floor: Capacity,
        /// Back-tested mean absolute percentage error.
        error: f64,
        /// The error bound.
        max_error: f64,
        /// The floor holds (forecast-and-scale, error within bounds).
        holds: bool,
    },
    /// Deadline-aware backlog: the capacity that serves the backlog in time.
    Deadline {
        /// Requests waiting.
        backlog: f64,
        /// Age of the oldest, seconds.
        age_s: f64,
        /// Seconds planned to serve them in.
        time_left_s: f64,
        /// Capacity that does it.
        capacity: Capacity,
    },
    /// Burst-aware: the capacity the load asks for.
    Burst {
        /// Mean load over the stable window.
        stable_load: f64,
        /// Mean load over the panic window.
        panic_load: f64,
        /// Load per unit aimed at.
        target: f64,
        /// Panicking: scale out at once, never in.
        panic: bool,
        /// The recommendation before scale-in stabilisation.
        recommended: Capacity,
    },
    /// SLO-driven: the capacity the objective needs at the upper load, and what it rests on.
    Slo(crate::slo::SloSizing),
    /// A removal was wanted, but the newest datapoint is missing or stale, or the alarm only
    /// breached because missing data counted as breaching. Missing data never removes capacity.
    NeedsFreshDataToScaleIn,
    /// Scheduled: the bounds this action set, if it has fired.
    Scheduled {
        /// When it last fired.
        fired_at: Option<Timestamp>,
        /// Min it sets.
        min: Option<Capacity>,
        /// Max it sets.
        max: Option<Capacity>,
    },
    /// Scheduled: it fired, but its bounds would put min above max, so (as Application Auto
    /// Scaling rejects such a registration) the bounds were left unchanged.
    ScheduleRejected {
        /// When it fired.
        fired_at: Timestamp,
        /// The min it would have made.
        min: Capacity,
        /// The max it would have made.
        max: Capacity,
    },
    /// Scheduled scaling is suspended on this target.
    ScheduleSuspended,
    /// Quality guard: where it stands.
    Quality {
        /// The first check in breach (index in `checks`), if any.
        breach: Option<u8>,
        /// That check's newest value.
        value: Option<f64>,
        /// The guard's phase.
        phase: GuardPhase,
        /// The fallback's capacity floor while engaged.
        floor: Option<Capacity>,
        /// Seconds every check has been clear while engaged.
        clear_for_s: u32,
    },
}

/// One policy's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// Index of the policy in its target.
    pub policy: u16,
    /// The capacity it wants, if it wants a change.
    pub wants: Option<Capacity>,
    /// Why.
    pub reason: Reason,
}

/// Where a bound in force came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum BoundSource {
    /// The target's own min/max in the policy file.
    #[default]
    Standing,
    /// The scheduled policy with this index.
    Scheduled(u16),
    /// Kept from before while scheduled scaling is suspended.
    Kept,
    /// Raised by a quality guard on another target, so this fallback variant can take its
    /// traffic.
    QualityGuard,
    /// Lowered to the copies an inference component's instances hold.
    InstanceRoom,
}

/// The bounds in force at the decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Bounds {
    /// Lower bound.
    pub min: Capacity,
    /// Upper bound.
    pub max: Capacity,
    /// Where `min` came from.
    pub min_from: BoundSource,
    /// Where `max` came from.
    pub max_from: BoundSource,
}

/// A rule that stopped or limited a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Rule {
    /// The endpoint is not `InService`; SageMaker blocks scaling until it is.
    EndpointNotInService,
    /// Dynamic scale-out is suspended on the target.
    ScaleOutSuspended,
    /// Dynamic scale-in is suspended on the target.
    ScaleInSuspended,
    /// A scale-in cooldown runs until this instant.
    ScaleInCooldown {
        /// Its end.
        until: Timestamp,
    },
    /// A scale-out cooldown runs until this instant, and blocks scale-in meanwhile.
    ScaleOutCooldown {
        /// Its end.
        until: Timestamp,
    },
    /// Scale-in needs every scale-in-enabled policy to agree; this one did not.
    ScaleInNotUnanimous {
        /// The policy that did not agree.
        policy: u16,
    },
    /// A scale-in stopped at a predictive policy's forecast floor.
    ForecastFloor {
        /// The predictive policy.
        policy: u16,
        /// Its floor.
        floor: Capacity,
    },
    /// Scale-in is frozen while this quality guard is engaged.
    QualityFreeze {
        /// The guard.
        policy: u16,
    },
    /// The wanted capacity was raised to the min in force.
    ClampedToMin {
        /// What was wanted.
        wanted: Capacity,
    },
    /// The wanted capacity was lowered to the max in force.
    ClampedToMax {
        /// What was wanted.
        wanted: Capacity,
    },
}

/// The engine's decision for one target at one instant.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Decision {
    /// When.
    pub at: Timestamp,
    /// Capacity before.
    pub current: Capacity,
    /// Capacity to set (equal to `current` for no change).
    pub desired: Capacity,
    /// Which way.
    pub direction: Direction,
    /// Bounds in force.
    pub bounds: Bounds,
    /// The policy whose wish set `desired`; `None` for no policy (bounds pushed, or holding).
    pub by: Option<u16>,
    /// A rule that blocked a change.
    pub blocked: Option<Rule>,
    /// A rule that clamped the change into bounds.
    pub clamped: Option<Rule>,
    /// One verdict per policy, index-aligned with the target's policies.
    pub verdicts: Vec<Verdict>,
    /// A quality guard's traffic action, if the target has a guard.
    pub traffic: Option<TrafficAction>,
}

impl Decision {
    /// Whether capacity changes.
    #[must_use]
    pub fn changes(&self) -> bool {
        self.desired != self.current
    }
}
