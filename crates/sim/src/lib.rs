//! The trace-replay simulator: recorded traffic, a modelled SageMaker fleet and an emulated
//! CloudWatch, driving the same engine as the daemon.
//!
//! Architecture invariant: deterministic for a seed. Randomness comes only from seeded
//! generators owned by the run; nothing reads the wall clock.

pub mod async_queue;
pub mod baseline_search;
pub mod baselines;
pub mod batching;
pub mod cloudwatch;
pub mod compare;
pub mod contender;
pub mod demand;
pub mod fleet;
#[doc(hidden)]
pub mod fuzzing;
pub mod ic_baselines;
pub mod ic_compare;
pub mod ic_pool;
pub mod ic_run;
pub mod ic_scenario;
pub mod model_cache;
pub mod oracle;
pub mod quality;
pub mod report;
pub mod results;
pub mod run;
pub mod scenario;
pub mod serverless;
pub mod service;
/// The service-time law and the M/G/c response, shared with the `slo` policy.
pub use sagescale_queueing::service_law;
pub mod slo;
pub mod trace;
pub mod transient;
mod transient_table;
pub mod tune;
