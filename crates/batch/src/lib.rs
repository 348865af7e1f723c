//! `sagescale plan-batch`: size a SageMaker batch transform job, the cheapest instance type,
//! instance count and `MaxConcurrentTransforms` that meet its deadline, from a measured
//! per-record profile.
//!
//! - [`job`]: the job file (`schema --batch-job`), read with located errors.
//! - [`transform`]: the model of a transform job and the search over its settings.
//! - [`table`]: the plan as the terminal shows it.
//!
//! Architecture invariant: no engine and no simulator. A batch job is sized, not scaled.

#[doc(hidden)]
pub mod fuzzing;
pub mod job;
pub mod table;
pub mod transform;

pub use table::plan_table;
