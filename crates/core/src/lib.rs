//! The decision core beyond the engine, and the edge it is driven through.
//!
//! - [`ports`]: what a driver needs from the world (metric source, capacity source, actuator,
//!   clock, fence), as traits; [`capacity`] and [`calls`] are the types they carry.
//! - [`decide`]: one cycle's decisions for a whole policy set: the engine for every target,
//!   then the calls that carry them out. The daemon and the simulator both drive it.
//! - [`actuation`]: the `RegisterScalableTarget` planner: which call carries out a decision,
//!   and the pins that restore the standing bounds once it lands.
//! - [`guards`]: quality-guard wiring across targets: evaluation order, floors and weights.
//! - [`provisioning`]: the scale-out lead a target shows, learned from the capacities read.
//!
//! Architecture invariant: pure. No I/O, no clock, no async runtime, no AWS types. The port
//! traits declare `async fn`s for their implementations; nothing here runs one.

pub mod actuation;
pub mod calls;
pub mod capacity;
pub mod decide;
pub mod guards;
pub mod ports;
pub mod provisioning;

pub use calls::{
    CallError, CallObserver, ErrorClass, FetchReport, NoObserver, OwnDatum, VariantWeight,
};
pub use capacity::{CapacityError, CopyRoom, ReadCalls, Registration, Room, TargetCapacity};
pub use decide::{Applied, DecisionCore, WeightCall};
