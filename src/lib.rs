//! sagescale: an autoscaler for Amazon SageMaker endpoints, and a simulator that replays
//! recorded traffic through the same decision core.
//!
//! This crate is the `sagescale` command and a facade over the workspace's layers, each its own
//! crate (see docs/architecture.md), re-exported under short names, innermost first:
//! - [`metrics`] (`sagescale-metrics`): units, metric windows and queries, the engine's inputs.
//! - [`engine`] (`sagescale-engine`): pure decisions for one target.
//! - [`files`] (`sagescale-files`): the TOML/YAML reader every file goes through.
//! - [`policy`] (`sagescale-policy`): policy files: parsing, validation, schema, compilation.
//! - [`core`] (`sagescale-core`): ports, the actuation planner and pins, guard wiring.
//! - [`instances`] (`sagescale-instances`): SageMaker instance types and prices.
//! - [`sim`] (`sagescale-sim`): the trace-replay simulator.
//! - [`batch`] (`sagescale-batch`): `plan-batch`.
//! - [`interop`] (`sagescale-interop`): AWS-native setups: `export` and `import`'s mapping.
//! - [`aws`] (`sagescale-aws`) and [`daemon`] (`sagescale-daemon`): only with the default `aws`
//!   feature; the only crates that build the AWS SDKs.

pub use sagescale_batch as batch;
pub use sagescale_core as core;
pub use sagescale_engine as engine;
pub use sagescale_files as files;
pub use sagescale_instances as instances;
pub use sagescale_interop as interop;
pub use sagescale_metrics as metrics;
pub use sagescale_policy as policy;
pub use sagescale_sim as sim;

#[cfg(feature = "aws")]
pub use sagescale_aws as aws;
#[cfg(feature = "aws")]
pub use sagescale_daemon as daemon;

#[doc(hidden)]
pub mod fuzzing;
