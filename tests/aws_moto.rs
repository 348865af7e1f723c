//! Round trips through the official AWS SDK against moto's server over real HTTP: the rig
//! later issues build their AWS tests on. Run by scripts/test.sh, which starts moto and sets
//! MOTO_ENDPOINT_URL.

#[path = "support/moto_daemon.rs"]
mod moto_daemon;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat};

#[tokio::test]
async fn registers_and_reads_back_a_scalable_target() {
    let c = moto_daemon::clients(&moto_daemon::moto()).await;
    let resource = "endpoint/moto-register/variant/AllTraffic";
    c.autoscaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .min_capacity(2)
        .max_capacity(9)
        .send()
        .await
        .expect("RegisterScalableTarget");
    let got = c
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_ids(resource)
        .send()
        .await
        .expect("DescribeScalableTargets");
    let targets = got.scalable_targets();
    assert_eq!(targets.len(), 1);
    assert_eq!(
        (targets[0].min_capacity(), targets[0].max_capacity()),
        (2, 9)
    );
    assert_eq!(
        targets[0].scalable_dimension(),
        &ScalableDimension::SageMakerVariantDesiredInstanceCount
    );
}

#[tokio::test]
async fn puts_metric_data_and_reads_it_back_with_get_metric_data() {
    let c = moto_daemon::clients(&moto_daemon::moto()).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let minute = now - now % 60 - 120;
    let dims = [
        Dimension::builder()
            .name("EndpointName")
            .value("moto-metrics")
            .build(),
        Dimension::builder()
            .name("VariantName")
            .value("AllTraffic")
            .build(),
    ];
    let data: Vec<MetricDatum> = [(minute - 60, 40.0), (minute, 75.0)]
        .into_iter()
        .map(|(t, v)| {
            MetricDatum::builder()
                .metric_name("InvocationsPerInstance")
                .set_dimensions(Some(dims.to_vec()))
                .timestamp(DateTime::from_secs(t))
                .value(v)
                .build()
        })
        .collect();
    c.cloudwatch
        .put_metric_data()
        .namespace("AWS/SageMaker")
        .set_metric_data(Some(data))
        .send()
        .await
        .expect("PutMetricData");

    let query = MetricDataQuery::builder()
        .id("m0")
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("AWS/SageMaker")
                        .metric_name("InvocationsPerInstance")
                        .set_dimensions(Some(dims.to_vec()))
                        .build(),
                )
                .period(60)
                .stat("Sum")
                .build(),
        )
        .build();
    let got = c
        .cloudwatch
        .get_metric_data()
        .metric_data_queries(query)
        .start_time(DateTime::from_secs(minute - 300))
        .end_time(DateTime::from_secs(minute + 60))
        .send()
        .await
        .expect("GetMetricData");
    let result = &got.metric_data_results()[0];
    assert_eq!(result.id(), Some("m0"));
    let mut values: Vec<f64> = result.values().to_vec();
    values.sort_by(f64::total_cmp);
    assert_eq!(values, vec![40.0, 75.0]);
}

#[tokio::test]
async fn creates_and_describes_an_endpoint() {
    let c = moto_daemon::clients(&moto_daemon::moto()).await;
    moto_daemon::endpoint(&c, "moto-endpoint", 3, 1, 5).await;
    let e = c
        .sagemaker
        .describe_endpoint()
        .endpoint_name("moto-endpoint")
        .send()
        .await
        .expect("DescribeEndpoint");
    assert_eq!(e.endpoint_name(), Some("moto-endpoint"));
    let variants = e.production_variants();
    assert_eq!(variants.len(), 1);
    assert_eq!(variants[0].variant_name(), Some("AllTraffic"));
    assert!(e.endpoint_status().is_some());
}

#[tokio::test]
async fn an_unknown_endpoint_is_an_api_error_not_a_panic() {
    let c = moto_daemon::clients(&moto_daemon::moto()).await;
    let err = c
        .sagemaker
        .describe_endpoint()
        .endpoint_name("does-not-exist")
        .send()
        .await
        .expect_err("no such endpoint");
    let text = format!("{}", aws_sdk_sagemaker::error::DisplayErrorContext(&err));
    assert!(
        text.contains("ValidationException") || text.contains("Could not find"),
        "{text}"
    );
}
