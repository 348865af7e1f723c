//! What a capacity read returns: a target's status, counts, registration and weight, or why it
//! could not be read. The daemon fills these from SageMaker and Application Auto Scaling; the
//! simulator from its modelled fleet.

use sagescale_engine::{Capacity, EndpointStatus, Suspension};

use crate::calls::CallError;

/// What Application Auto Scaling holds for a scalable target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Registration {
    /// `MinCapacity`.
    pub min: Capacity,
    /// `MaxCapacity`.
    pub max: Capacity,
    /// `SuspendedState`.
    pub suspended: Suspension,
}

/// One target's capacity as read this cycle.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct TargetCapacity {
    /// Endpoint (or inference component) status.
    pub status: EndpointStatus,
    /// Capacity in service.
    pub current: Capacity,
    /// Capacity SageMaker is moving to (equal to `current` when settled).
    pub desired: Capacity,
    /// The AAS registration, if the target is registered.
    pub registration: Option<Registration>,
    /// A variant's current traffic weight (`None` for inference components).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// Why a target's capacity could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CapacityError {
    /// An AWS call failed after its retries.
    #[error("{operation}: {error}")]
    Call {
        /// The operation.
        operation: &'static str,
        /// The error.
        error: CallError,
    },
    /// The endpoint, variant or component does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A reply lacked a field sagescale needs.
    #[error("{0}")]
    BadReply(String),
}

/// Calls made by one read, by operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadCalls {
    /// `ListEndpoints` pages.
    pub list_endpoints: u32,
    /// `DescribeEndpoint` calls.
    pub describe_endpoint: u32,
    /// `DescribeInferenceComponent` calls.
    pub describe_inference_component: u32,
    /// `DescribeScalableTargets` pages.
    pub describe_scalable_targets: u32,
}
