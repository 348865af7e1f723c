//! The commands a new user starts with, against moto's server: `import` reads a setup made by
//! hand through the official SDK (a target-tracking policy, a step policy with the alarm whose
//! action names it, a scheduled action) back as a policy file that compiles and exports to
//! what was put; `init` writes a config and a starter policy that validate; `doctor` finds an
//! attached AAS policy and a metric with no data. Run by scripts/test.sh, which starts moto.

#[path = "support/moto_daemon.rs"]
mod moto_daemon;

use std::path::Path;
use std::process::Command;

use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, MetricAggregationType, PolicyType, PredefinedMetricSpecification,
    ScalableDimension, ScalableTargetAction, ServiceNamespace, StepAdjustment,
    StepScalingPolicyConfiguration, TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use moto_daemon::{clients, endpoint, endpoint_variants, invocations_per_instance, moto};
use sagescale::interop::aas::{ScalingPolicy, TrackedMetric};
use sagescale::interop::to_aas;

fn sagescale(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(args)
        .output()
        .expect("run sagescale");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reproduces_a_setup_made_by_hand() {
    let url = moto();
    let c = clients(&url).await;
    let name = "imp-recs";
    let resource = format!("endpoint/{name}/variant/AllTraffic");
    endpoint(&c, name, 2, 2, 30).await;
    let on = |b: aws_sdk_applicationautoscaling::operation::put_scaling_policy::builders::PutScalingPolicyFluentBuilder| {
        b.service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(&resource)
            .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
    };
    on(c.autoscaling.put_scaling_policy())
        .policy_name("invocations")
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(750.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(
                            aws_sdk_applicationautoscaling::types::MetricType::SageMakerVariantInvocationsPerInstance,
                        )
                        .build()
                        .unwrap(),
                )
                .scale_in_cooldown(600)
                .scale_out_cooldown(120)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutScalingPolicy target tracking");
    let step = on(c.autoscaling.put_scaling_policy())
        .policy_name("errors")
        .policy_type(PolicyType::StepScaling)
        .step_scaling_policy_configuration(
            StepScalingPolicyConfiguration::builder()
                .adjustment_type(AdjustmentType::ChangeInCapacity)
                .cooldown(120)
                .metric_aggregation_type(MetricAggregationType::Maximum)
                .step_adjustments(
                    StepAdjustment::builder()
                        .metric_interval_lower_bound(0.0)
                        .scaling_adjustment(2)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect("PutScalingPolicy step");
    c.cloudwatch
        .put_metric_alarm()
        .alarm_name("imp-recs-5xx")
        .namespace("AWS/SageMaker")
        .metric_name("Invocation5XXErrors")
        .dimensions(
            Dimension::builder()
                .name("EndpointName")
                .value(name)
                .build(),
        )
        .dimensions(
            Dimension::builder()
                .name("VariantName")
                .value("AllTraffic")
                .build(),
        )
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .threshold(10.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .alarm_actions(step.policy_arn())
        .send()
        .await
        .expect("PutMetricAlarm");
    c.autoscaling
        .put_scheduled_action()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(&resource)
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .scheduled_action_name("weekday-floor")
        .schedule("cron(0 8 ? * MON-FRI *)")
        .timezone("Europe/Berlin")
        .scalable_target_action(ScalableTargetAction::builder().min_capacity(6).build())
        .send()
        .await
        .expect("PutScheduledAction");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("imported.toml");
    let (ok, _, err) = sagescale(&[
        "import",
        name,
        "--endpoint-url",
        &url,
        "--region",
        "us-east-1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    // What does not map is said where it would go.
    assert!(text.contains("MetricAggregationType Maximum"), "{text}");

    // It compiles, and it is the setup AWS runs.
    let set = sagescale::policy::load_text(Path::new("imported.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let e = to_aas::export(&set);
    assert!(e.refused.is_empty(), "{:?}", e.refused);
    let t = &e.setup.targets[0];
    assert_eq!(
        (t.resource_id.as_str(), t.min_capacity, t.max_capacity),
        (resource.as_str(), 2, 30)
    );
    assert_eq!(t.workload.as_deref(), Some("realtime"));
    let ScalingPolicy::TargetTracking(tt) = &t.policies[0] else {
        panic!("{text}")
    };
    assert_eq!(
        tt.metric,
        TrackedMetric::Predefined("SageMakerVariantInvocationsPerInstance".into())
    );
    assert_eq!(
        (tt.target_value, tt.scale_in_cooldown, tt.scale_out_cooldown),
        (750.0, Some(600), Some(120))
    );
    let ScalingPolicy::Step(st) = &t.policies[1] else {
        panic!("{text}")
    };
    assert_eq!(st.steps[0].adjustment, 2);
    let a = &st.alarms[0];
    assert_eq!(
        (a.threshold, a.evaluation_periods, a.datapoints_to_alarm),
        (10.0, 3, Some(2))
    );
    assert_eq!(t.scheduled[0].schedule, "cron(0 8 ? * MON-FRI *)");
    assert_eq!(t.scheduled[0].timezone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(t.scheduled[0].min_capacity, Some(6));

    // And `validate` agrees.
    let (ok, _, err) = sagescale(&["validate", out.to_str().unwrap()]);
    assert!(ok, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_writes_a_config_and_a_starter_policy_that_validate() {
    let url = moto();
    let c = clients(&url).await;
    // An endpoint with no scalable target: `init` starts from its instance count.
    endpoint_variants(&c, "init-fresh", &[("AllTraffic", 3, 1.0)], 1, 1).await;
    c.autoscaling
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id("endpoint/init-fresh/variant/AllTraffic")
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .send()
        .await
        .expect("DeregisterScalableTarget");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (ok, stdout, err) = sagescale(&[
        "init",
        "init-fresh",
        "--endpoint-url",
        &url,
        "--region",
        "us-east-1",
        "--dir",
        d,
    ]);
    assert!(ok, "{err}");
    assert!(stdout.contains("a starter policy"), "{stdout}");
    let policy = dir.path().join("policies/init-fresh.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    assert!(
        text.contains("min = 3") && text.contains("max = 12"),
        "{text}"
    );
    let (ok, _, err) = sagescale(&["validate", policy.to_str().unwrap()]);
    assert!(ok, "{err}");
    // The config's paths are relative, and `plan` reads it as it stands.
    let config = std::fs::read_to_string(dir.path().join("sagescale.toml")).unwrap();
    assert!(config.contains("policy_dir = \"policies\""), "{config}");
    // A second init does not overwrite.
    let (ok, _, err) = sagescale(&[
        "init",
        "init-fresh",
        "--endpoint-url",
        &url,
        "--region",
        "us-east-1",
        "--dir",
        d,
    ]);
    assert!(!ok && err.contains("exists: nothing was written"), "{err}");
    // An endpoint that does not exist says so.
    let (ok, _, err) = sagescale(&[
        "init",
        "no-such-endpoint",
        "--endpoint-url",
        &url,
        "--region",
        "us-east-1",
        "--dir",
        &format!("{d}/other"),
    ]);
    assert!(
        !ok && err.contains("cannot read endpoint no-such-endpoint"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_names_what_would_stop_the_daemon_and_exits_for_ci() {
    let url = moto();
    let c = clients(&url).await;
    let name = "doc-recs";
    endpoint(&c, name, 2, 1, 10).await;
    invocations_per_instance(&c, name, 300.0, 5).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (ok, _, err) = sagescale(&[
        "init",
        name,
        "--endpoint-url",
        &url,
        "--region",
        "us-east-1",
        "--dir",
        d,
    ]);
    assert!(ok, "{err}");
    // A target-tracking policy AWS runs beside sagescale: the two would fight.
    c.autoscaling
        .put_scaling_policy()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(format!("endpoint/{name}/variant/AllTraffic"))
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .policy_name("aws-tt")
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(500.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(
                            aws_sdk_applicationautoscaling::types::MetricType::SageMakerVariantInvocationsPerInstance,
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutScalingPolicy");
    let config = dir.path().join("sagescale.toml");
    let cfg = config.to_str().unwrap();
    let (ok, stdout, err) = sagescale(&["doctor", "--config", cfg]);
    assert!(!ok, "an attached AAS policy fails the check\n{stdout}{err}");
    let line = |needle: &str| {
        stdout
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with `{needle}`\n{stdout}"))
            .to_string()
    };
    assert!(line("credentials from").contains("ok"), "{stdout}");
    assert!(line("caller arn:aws:").contains("ok"), "{stdout}");
    assert!(line("InService").contains("ok"), "{stdout}");
    assert!(
        line("scalable target registered").contains("ok"),
        "{stdout}"
    );
    let fight = line("`aws-tt`");
    assert!(
        fight.contains("FAIL") && fight.contains("delete-scaling-policy"),
        "{fight}"
    );
    // The metric with datapoints passes; moto has no IAM simulation, which is said, not hidden.
    assert!(line("InvocationsPerInstance").contains("ok"), "{stdout}");
    assert!(line("not checked").contains("WARN"), "{stdout}");

    // With the AWS policy gone, only the warning is left: exit 0, or 2 with --strict.
    c.autoscaling
        .delete_scaling_policy()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(format!("endpoint/{name}/variant/AllTraffic"))
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .policy_name("aws-tt")
        .send()
        .await
        .expect("DeleteScalingPolicy");
    let (ok, stdout, err) = sagescale(&["doctor", "--config", cfg]);
    assert!(ok, "{stdout}{err}");
    assert!(
        stdout.contains("no Application Auto Scaling policy attached"),
        "{stdout}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["doctor", "--strict", "--config", cfg])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
