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
    /// An inference component: how many of its copies the endpoint's instances hold (`None`
    /// for variants).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<Room>,
}

/// How many copies of an inference component its endpoint's instances can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Room {
    /// Worked out from the component's compute requirements and the instances.
    Known(CopyRoom),
    /// Not known, so the copy count is not capped: why.
    Unknown(&'static str),
}

impl Room {
    /// The most copies, when known.
    #[must_use]
    pub fn copies(self) -> Option<Capacity> {
        match self {
            Self::Known(r) => Some(r.copies),
            Self::Unknown(_) => None,
        }
    }
}

/// The copies an endpoint's instances hold: `per_instance × instances`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CopyRoom {
    /// The most copies.
    pub copies: Capacity,
    /// Copies one instance holds.
    pub per_instance: u32,
    /// The most instances: managed instance scaling's `MaxInstanceCount`, or the variant's
    /// instance count when managed instance scaling is off.
    pub instances: u32,
    /// Whether managed instance scaling sets `instances`.
    pub managed: bool,
    /// The variant's instance type.
    pub instance_type: &'static str,
    /// What runs out first: `accelerators`, `CPU cores` or `memory`.
    pub limit: &'static str,
    /// The other components on the same instances and the copies they hold (`None`: they
    /// could not be listed, and the room is the component's as if it were alone).
    pub others: Option<(u32, Capacity)>,
}

impl std::fmt::Display for CopyRoom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "at most {} copies: {} x {} ({}), {} copies each alone ({} run out first)",
            self.copies,
            self.instances,
            self.instance_type,
            if self.managed {
                "managed instance scaling's MaxInstanceCount"
            } else {
                "the variant's instances; managed instance scaling is off"
            },
            self.per_instance,
            self.limit
        )?;
        match self.others {
            Some((0, _)) => Ok(()),
            Some((n, copies)) => {
                write!(f, "; beside {n} other component(s) holding {copies} copies")
            }
            None => f.write_str("; the endpoint's other components could not be listed"),
        }
    }
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
    /// `ListInferenceComponents` pages (one per endpoint an inference component runs on).
    pub list_inference_components: u32,
    /// `DescribeEndpointConfig` calls (once per config an inference component runs on).
    pub describe_endpoint_config: u32,
    /// `DescribeScalableTargets` pages.
    pub describe_scalable_targets: u32,
}
