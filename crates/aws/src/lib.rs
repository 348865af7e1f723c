//! AWS adapters: the only crate that knows the AWS SDK.
//!
//! Architecture invariant: SDK types stay in here. The engine and the simulator never see them;
//! the daemon sees them only through [`Aws`], which implements the ports of `sagescale-core`.
//!
//! Layout: [`clients`] builds the SDK clients; [`retry`] wraps every call in Step-Functions
//! style retriers; [`metric_source`] batches `GetMetricData`; [`capacity`] reads endpoint and
//! registration state; [`actuator`] registers bounds and publishes sagescale's own metrics.

pub mod actuator;
mod adapter;
pub mod capacity;
mod clients;
pub mod conflicts;
pub mod identity;
pub mod lease;
pub mod metric_source;
pub mod retry;
pub mod setup;

pub use adapter::Aws;
pub use capacity::CapacityReader;
// The types the ports carry live in the core; re-exported here because every adapter returns them.
pub use clients::{
    at_endpoint, AwsClients, AwsSettings, EndpointUrls, Endpoints, SettingsError, Timeouts,
};
pub use lease::Lease;
pub use metric_source::QueryPlan;
pub use retry::{Retrier, RetryPolicy};
pub use sagescale_core::{
    CallError, CallObserver, CapacityError, ErrorClass, FetchReport, ReadCalls, Registration,
    TargetCapacity,
};
