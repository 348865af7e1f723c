//! Capacity out: `RegisterScalableTarget`, the one call sagescale moves capacity with;
//! `UpdateEndpointWeightsAndCapacities`, with which a quality guard moves traffic between
//! variants; and `PutMetricData` for sagescale's own metrics.
//!
//! Application Auto Scaling moves an active resource's capacity into new `[Min, Max]` at
//! once: raising Min above current scales out, lowering Max below current scales in.
//! docs/daemon.md gives the whole call sequence and why it is safe.

use aws_sdk_applicationautoscaling::types::{ScalableDimension as AasDimension, ServiceNamespace};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};

use super::retry::{with_retries, RetryPolicy};
use sagescale_core::{CallError, CallObserver};
pub use sagescale_core::{OwnDatum, VariantWeight};
use sagescale_engine::{Capacity, ScalableDimension, Timestamp};

/// Register (or update) a scalable target's bounds. Suspended state is left as it is.
pub async fn register(
    client: &aws_sdk_applicationautoscaling::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    resource_id: &str,
    dimension: ScalableDimension,
    min: Capacity,
    max: Capacity,
) -> Result<u32, CallError> {
    let mut attempts = 0;
    with_retries(
        retry,
        observer,
        "application_autoscaling",
        "RegisterScalableTarget",
        || {
            attempts += 1;
            client
                .register_scalable_target()
                .service_namespace(ServiceNamespace::Sagemaker)
                .resource_id(resource_id)
                .scalable_dimension(AasDimension::from(dimension.aws_name()))
                .min_capacity(i32::try_from(min).unwrap_or(i32::MAX))
                .max_capacity(i32::try_from(max).unwrap_or(i32::MAX))
                .send()
        },
    )
    .await
    .map(|_| attempts)
}

/// Move traffic between an endpoint's variants: `UpdateEndpointWeightsAndCapacities`.
///
/// Each variant's settled instance count goes with its weight. Omitting it is allowed by
/// SageMaker, which then keeps the count, but some emulators (moto 5) clear it; sending the
/// count it already has changes nothing. The call is made only when both variants are settled
/// (`InService`, desired = current), and SageMaker refuses it while the endpoint is updating,
/// so it cannot undo a change in flight.
pub async fn set_weights(
    client: &aws_sdk_sagemaker::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    endpoint: &str,
    variants: &[VariantWeight],
) -> Result<u32, CallError> {
    use aws_sdk_sagemaker::types::DesiredWeightAndCapacity;
    let mut attempts = 0;
    let desired: Vec<DesiredWeightAndCapacity> = variants
        .iter()
        .map(|v| {
            DesiredWeightAndCapacity::builder()
                .variant_name(&v.variant)
                .desired_weight(v.weight as f32)
                .desired_instance_count(i32::try_from(v.instances).unwrap_or(i32::MAX))
                .build()
        })
        .collect();
    with_retries(
        retry,
        observer,
        "sagemaker",
        "UpdateEndpointWeightsAndCapacities",
        || {
            attempts += 1;
            client
                .update_endpoint_weights_and_capacities()
                .endpoint_name(endpoint)
                .set_desired_weights_and_capacities(Some(desired.clone()))
                .send()
        },
    )
    .await
    .map(|_| attempts)
}

/// Publish `data` at `at` in calls of at most 1,000 datums (CloudWatch's limit).
pub async fn publish(
    client: &aws_sdk_cloudwatch::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    at: Timestamp,
    data: &[OwnDatum],
) -> Result<u32, CallError> {
    let mut calls = 0;
    for chunk in data.chunks(1000) {
        let datums: Vec<MetricDatum> = chunk
            .iter()
            .map(|d| {
                let mut b = MetricDatum::builder()
                    .metric_name(d.name)
                    .timestamp(DateTime::from_secs(at.0))
                    .value(d.value)
                    .unit(if d.count {
                        StandardUnit::Count
                    } else {
                        StandardUnit::None
                    });
                if let Some(t) = &d.target {
                    b = b.dimensions(Dimension::builder().name("Target").value(t).build());
                }
                b.build()
            })
            .collect();
        with_retries(retry, observer, "cloudwatch", "PutMetricData", || {
            client
                .put_metric_data()
                .namespace("sagescale")
                .set_metric_data(Some(datums.clone()))
                .send()
        })
        .await?;
        calls += 1;
    }
    Ok(calls)
}
