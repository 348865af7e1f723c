//! sagescale: an autoscaler for Amazon SageMaker endpoints, and a simulator that replays
//! recorded traffic through the same policy engine.
//!
//! Layers, outermost last (see docs/architecture.md):
//! - [`engine`]: pure decisions.
//! - [`metrics`]: metric series and queries, the engine's inputs.
//! - [`policy`]: policy files: parsing, validation, schema, compilation into engine specs.
//! - [`aws`]: the only module that knows the AWS SDK.
//! - [`sim`]: the trace-replay simulator.
//! - [`daemon`]: the long-running service.

pub mod aws;
pub mod daemon;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod metrics;
pub mod policy;
pub mod sim;
