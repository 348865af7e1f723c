//! An inference-component target against moto's server, which the test rig's launcher
//! (scripts/moto_launcher.py) teaches the copy-count dimension and the inference-component
//! calls: a policy file on `inference-component/NAME` with min 0 validates, `plan` reads the
//! copies and says what it would do, and `run` moves the copy count through Application Auto
//! Scaling.

#[path = "support/moto_daemon.rs"]
mod moto_daemon;

use std::process::Command;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_sagemaker::types::{
    InferenceComponentComputeResourceRequirements, InferenceComponentRuntimeConfig,
    InferenceComponentSpecification,
};
use moto_daemon::{clients, endpoint, moto, put_metric, wait_for, Daemon};

const COMPONENT: &str = "ic-llama";

fn policy_for(component: &str) -> String {
    policy().replace(COMPONENT, component)
}

fn policy() -> String {
    format!(
        r#"[[targets]]
name = "{COMPONENT}"
resource_id = "inference-component/{COMPONENT}"
min = 0
max = 6

[[targets.policies]]
name = "invocations-per-copy"
type = "target-tracking"
metric = {{ predefined = "InvocationsPerCopy" }}
target = 100
scale_out_datapoints = 2
scale_out_evaluation_periods = 2
"#
    )
}

async fn component_copy_bounds(c: &sagescale::aws::AwsClients, component: &str) -> (i32, i32) {
    let got = c
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_ids(format!("inference-component/{component}"))
        .scalable_dimension(ScalableDimension::SageMakerInferenceComponentDesiredCopyCount)
        .send()
        .await
        .expect("DescribeScalableTargets");
    let t = &got.scalable_targets()[0];
    (t.min_capacity(), t.max_capacity())
}

/// An endpoint with `component` on it at `copies` copies, registered at `[0, 6]` copies.
async fn component(
    c: &sagescale::aws::AwsClients,
    endpoint_name: &str,
    component: &str,
    copies: i32,
) {
    endpoint(c, endpoint_name, 2, 1, 4).await;
    c.sagemaker
        .create_inference_component()
        .inference_component_name(component)
        .endpoint_name(endpoint_name)
        .variant_name("AllTraffic")
        .specification(
            InferenceComponentSpecification::builder()
                .model_name(format!("{endpoint_name}-model"))
                .compute_resource_requirements(
                    InferenceComponentComputeResourceRequirements::builder()
                        .number_of_accelerator_devices_required(1.0)
                        .min_memory_required_in_mb(1024)
                        .build(),
                )
                .build(),
        )
        .runtime_config(
            InferenceComponentRuntimeConfig::builder()
                .copy_count(copies)
                .build(),
        )
        .send()
        .await
        .expect("CreateInferenceComponent (the launcher's patch)");
    c.autoscaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(format!("inference-component/{component}"))
        .scalable_dimension(ScalableDimension::SageMakerInferenceComponentDesiredCopyCount)
        .min_capacity(0)
        .max_capacity(6)
        .send()
        .await
        .expect("RegisterScalableTarget on the copy count (the launcher's patch)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_count_target_is_planned_and_scaled_out() {
    let url = moto();
    let c = clients(&url).await;
    component(&c, "ic-endpoint", COMPONENT, 1).await;
    // 400 invocations per copy per minute against a target of 100: one copy wants four.
    let points: Vec<(i64, f64)> = (1..=6).map(|i| (60 * i, 400.0)).collect();
    put_metric(
        &c,
        "AWS/SageMaker",
        "InvocationsPerCopy",
        &[("InferenceComponentName", COMPONENT)],
        &points,
    )
    .await;

    let mut d = Daemon::new(&url, &policy(), "");
    let validate = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["validate"])
        .arg(d.path("policies"))
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let plan = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["plan", "--config"])
        .arg(d.path("sagescale.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        text.contains("scale out 1 -> 4")
            && text.contains("would call RegisterScalableTarget min=4"),
        "{text}{}",
        String::from_utf8_lossy(&plan.stderr)
    );

    d.start();
    assert!(
        wait_for(30, || !d.calls("ok").is_empty()).await,
        "no call made\n{}",
        d.log()
    );
    assert_eq!(
        component_copy_bounds(&c, COMPONENT).await,
        (4, 6),
        "{}",
        d.log()
    );
    assert_eq!(d.stop(), Some(0), "{}", d.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_at_zero_copies_wakes_on_its_first_failed_invocation() {
    let url = moto();
    let c = clients(&url).await;
    let name = "ic-asleep";
    component(&c, "ic-asleep-endpoint", name, 0).await;
    // Requests failed for lack of capacity in the last minute: the built-in wake asks for one copy.
    put_metric(
        &c,
        "AWS/SageMaker",
        "NoCapacityInvocationFailures",
        &[("InferenceComponentName", name)],
        &[(60, 3.0)],
    )
    .await;
    let d = Daemon::new(&url, &policy_for(name), "");
    let plan = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["plan", "--config"])
        .arg(d.path("sagescale.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&plan.stdout);
    assert!(
        text.contains("scale out 0 -> 1") && text.contains("`wake-from-zero`"),
        "{text}{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    assert!(
        text.contains("would call RegisterScalableTarget min=1 max=6"),
        "{text}"
    );
}
