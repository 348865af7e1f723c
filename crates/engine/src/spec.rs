//! Compiled, validated policy specifications: what the engine evaluates.
//!
//! The policy layer turns policy files into these; nothing here parses text.

use serde::{Deserialize, Serialize};

use super::burst::BurstSpec;
use super::deadline::DeadlineSpec;
use super::predictive::PredictiveSpec;
use super::quality::QualityGuardSpec;
use super::schedule::ScheduleSpec;
use super::slo::SloSpec;
use super::step::StepSpec;
use super::target_tracking::TargetTrackingSpec;
use sagescale_metrics::Capacity;

/// Application Auto Scaling's scalable dimensions for SageMaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScalableDimension {
    /// `sagemaker:variant:DesiredInstanceCount`
    InstanceCount,
    /// `sagemaker:variant:DesiredProvisionedConcurrency` (serverless endpoints)
    ProvisionedConcurrency,
    /// `sagemaker:inference-component:DesiredCopyCount`
    CopyCount,
}

impl ScalableDimension {
    /// The dimension as Application Auto Scaling spells it.
    #[must_use]
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::InstanceCount => "sagemaker:variant:DesiredInstanceCount",
            Self::ProvisionedConcurrency => "sagemaker:variant:DesiredProvisionedConcurrency",
            Self::CopyCount => "sagemaker:inference-component:DesiredCopyCount",
        }
    }
}

/// The kind of SageMaker endpoint a target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Workload {
    /// Real-time inference, one model.
    Realtime,
    /// A multi-model endpoint.
    MultiModel,
    /// Asynchronous inference (may scale to zero).
    Async,
    /// Serverless inference (provisioned concurrency).
    Serverless,
}

/// A scalable target with the policies attached to it.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetSpec {
    /// Unique name of the target in its policy set.
    pub name: String,
    /// `endpoint/NAME/variant/VARIANT` or `inference-component/NAME`.
    pub resource_id: String,
    /// The scalable dimension.
    pub dimension: ScalableDimension,
    /// The endpoint kind.
    pub workload: Workload,
    /// Standing lower bound, until a scheduled action changes it.
    pub min: Capacity,
    /// Standing upper bound, until a scheduled action changes it.
    pub max: Capacity,
    /// Attached policies, in file order.
    pub policies: Vec<PolicySpec>,
}

/// One named policy.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicySpec {
    /// Name, unique within its target.
    pub name: String,
    /// What the policy does.
    pub kind: PolicyKind,
}

/// The kinds of policy.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyKind {
    /// Target tracking.
    TargetTracking(TargetTrackingSpec),
    /// Step scaling on an alarm.
    Step(StepSpec),
    /// A scheduled change of the bounds.
    Scheduled(ScheduleSpec),
    /// Burst-aware target tracking (sagescale only).
    BurstAware(BurstSpec),
    /// Predictive: a capacity floor from a seasonal forecast (sagescale only).
    Predictive(PredictiveSpec),
    /// Async: serve the backlog before the oldest request's deadline (sagescale only).
    BacklogDeadline(DeadlineSpec),
    /// Move traffic to a fallback variant while model quality is in breach (sagescale only).
    QualityGuard(QualityGuardSpec),
    /// Capacity sized by the latency and error SLO, from a learned queueing model (sagescale
    /// only).
    Slo(SloSpec),
}

impl PolicyKind {
    /// Whether this policy is scale-in-enabled, so a scale-in needs its agreement. As in
    /// Application Auto Scaling, that is a target-tracking policy without `disable_scale_in`.
    /// Step policies act on their own alarms and do not vote: a step rule that pins a floor
    /// must not block every scale-in while its alarm is quiet.
    #[must_use]
    pub fn votes_on_scale_in(&self) -> bool {
        match self {
            Self::TargetTracking(t) => !t.disable_scale_in,
            Self::BurstAware(b) => !b.disable_scale_in,
            Self::BacklogDeadline(_) | Self::Slo(_) => true,
            Self::Step(_) | Self::Scheduled(_) | Self::Predictive(_) | Self::QualityGuard(_) => {
                false
            }
        }
    }
}
