//! The decision engine: `(state, observations, now) -> decision`, the same for the daemon and
//! the simulator.
//!
//! Architecture invariant: pure. No I/O, no clock, no async, no AWS types. Time comes in as an
//! argument; metrics come in through [`sagescale_metrics::Observations`].
//!
//! Layout: [`alarm`] counts datapoints as CloudWatch does; [`target_tracking`], [`step`],
//! [`burst`], [`predictive`], [`deadline`], [`slo`], [`quality`] and [`schedule`] hold each policy kind's rules; [`evaluate`] combines them on a target;
//! [`state`] is what persists; [`decision`] and `explain` say what was decided and why.

pub mod alarm;
pub mod burst;
pub mod deadline;
pub mod decision;
mod evaluate;
mod explain;
pub mod predictive;
pub mod quality;
pub mod schedule;
pub mod slo;
pub mod spec;
pub mod state;
pub mod step;
pub mod target_tracking;

pub use decision::{Decision, Direction, Reason, Rule, Verdict};
pub use evaluate::{evaluate, CapacityInput, EndpointStatus, EngineSettings, Suspension};
/// The units the engine counts in live with the metric model, which is the engine's input.
pub use sagescale_metrics::{Capacity, Seconds, Timestamp};
pub use spec::{PolicyKind, PolicySpec, ScalableDimension, TargetSpec, Workload};
pub use state::{PersistedState, TargetState};
