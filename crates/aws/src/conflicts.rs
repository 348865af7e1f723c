//! Application Auto Scaling policies attached to a target sagescale drives. A target-tracking
//! or step policy on the same scalable target moves capacity too, and the two fight: AAS's
//! alarms scale within the bounds sagescale registers, sagescale re-registers, and neither
//! holds. `plan` and `run` name every such policy, with the command that removes it.

use aws_sdk_applicationautoscaling::types::ServiceNamespace;

use super::retry::{all_pages, RetryPolicy};
use sagescale_core::{CallError, CallObserver};
use sagescale_engine::ScalableDimension;

/// A scaling policy AAS holds for a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// The target's resource id.
    pub resource_id: String,
    /// Its scalable dimension, as AWS names it.
    pub dimension: String,
    /// The policy's name.
    pub name: String,
    /// `TargetTrackingScaling`, `StepScaling` or `PredictiveScaling`.
    pub kind: String,
}

impl AttachedPolicy {
    /// What to tell the user: the conflict, and the AWS CLI command that ends it.
    #[must_use]
    pub fn warning(&self) -> String {
        format!(
            "Application Auto Scaling policy `{}` ({}) is attached to {} ({}): it moves capacity too and will fight sagescale. Remove it: aws application-autoscaling delete-scaling-policy --service-namespace sagemaker --resource-id {} --scalable-dimension {} --policy-name {}",
            self.name, self.kind, self.resource_id, self.dimension, self.resource_id, self.dimension, self.name
        )
    }
}

/// Every scaling policy AAS holds for `targets` (resource id and dimension): the namespace's
/// policies, paged (a few calls however many targets there are: a daemon of 1,000 targets
/// makes no 1,000 calls at start), kept where they belong to one of `targets`.
///
/// # Errors
/// A `DescribeScalingPolicies` call failed after its retries.
pub async fn attached_policies(
    client: &aws_sdk_applicationautoscaling::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    targets: &[(String, ScalableDimension)],
) -> Result<Vec<AttachedPolicy>, CallError> {
    let ours: std::collections::HashSet<(&str, &str)> = targets
        .iter()
        .map(|(id, dim)| (id.as_str(), dim.aws_name()))
        .collect();
    let policies = scaling_policies(client, retry, observer).await?;
    let out = policies
        .iter()
        .filter(|p| ours.contains(&(p.resource_id(), p.scalable_dimension().as_str())))
        .map(|p| AttachedPolicy {
            resource_id: p.resource_id().to_string(),
            dimension: p.scalable_dimension().as_str().to_string(),
            name: p.policy_name().to_string(),
            kind: p.policy_type().as_str().to_string(),
        })
        .collect();
    Ok(out)
}

/// Every SageMaker scaling policy Application Auto Scaling holds, paged.
///
/// # Errors
/// A `DescribeScalingPolicies` page failed after its retries.
pub async fn scaling_policies(
    client: &aws_sdk_applicationautoscaling::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
) -> Result<Vec<aws_sdk_applicationautoscaling::types::ScalingPolicy>, CallError> {
    all_pages(
        retry,
        observer,
        "application_autoscaling",
        "DescribeScalingPolicies",
        |token| {
            client
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Sagemaker)
                .set_next_token(token)
                .send()
        },
        |page| {
            (
                page.scaling_policies().to_vec(),
                page.next_token().map(str::to_string),
            )
        },
    )
    .await
}
