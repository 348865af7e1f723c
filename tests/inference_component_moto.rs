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
use moto_daemon::{clients, moto, put_metric, wait_for, Daemon};

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

/// An endpoint with `component` on it at `copies` copies of one GPU each, registered at
/// `[0, 6]` copies: one ml.g4dn.12xlarge (four GPUs) under managed instance scaling up to two,
/// so its instances hold 8 copies.
async fn component(
    c: &sagescale::aws::AwsClients,
    endpoint_name: &str,
    component: &str,
    copies: i32,
) {
    component_on(c, endpoint_name, component, copies, 1.0, 2).await;
}

/// An ml.g4dn.12xlarge endpoint under managed instance scaling (1 to `max_instances`), with
/// `component` on it at `copies` copies of `gpus` GPUs and 8 GiB each, registered at `[0, 6]`
/// copies.
async fn component_on(
    c: &sagescale::aws::AwsClients,
    endpoint_name: &str,
    component: &str,
    copies: i32,
    gpus: f32,
    max_instances: i32,
) {
    use aws_sdk_sagemaker::types::{
        ManagedInstanceScalingStatus, ProductionVariant, ProductionVariantInstanceType,
        ProductionVariantManagedInstanceScaling,
    };
    // An endpoint for inference components names no model on its variant; moto 5.2.5 requires
    // one, so the rig gives it a model it never uses.
    c.sagemaker
        .create_model()
        .model_name(format!("{endpoint_name}-model"))
        .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker")
        .primary_container(
            aws_sdk_sagemaker::types::ContainerDefinition::builder()
                .image("123456789012.dkr.ecr.us-east-1.amazonaws.com/model:latest")
                .build(),
        )
        .send()
        .await
        .expect("CreateModel");
    c.sagemaker
        .create_endpoint_config()
        .endpoint_config_name(format!("{endpoint_name}-config"))
        .production_variants(
            ProductionVariant::builder()
                .variant_name("AllTraffic")
                .model_name(format!("{endpoint_name}-model"))
                .instance_type(ProductionVariantInstanceType::MlG4Dn12Xlarge)
                .initial_instance_count(1)
                .managed_instance_scaling(
                    ProductionVariantManagedInstanceScaling::builder()
                        .status(ManagedInstanceScalingStatus::Enabled)
                        .min_instance_count(1)
                        .max_instance_count(max_instances)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("CreateEndpointConfig");
    c.sagemaker
        .create_endpoint()
        .endpoint_name(endpoint_name)
        .endpoint_config_name(format!("{endpoint_name}-config"))
        .send()
        .await
        .expect("CreateEndpoint");
    add_component(c, endpoint_name, component, copies, gpus).await;
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

/// `component` on `endpoint_name`'s `AllTraffic` at `copies` copies of `gpus` GPUs and 8 GiB.
async fn add_component(
    c: &sagescale::aws::AwsClients,
    endpoint_name: &str,
    component: &str,
    copies: i32,
    gpus: f32,
) {
    c.sagemaker
        .create_inference_component()
        .inference_component_name(component)
        .endpoint_name(endpoint_name)
        .variant_name("AllTraffic")
        .specification(
            InferenceComponentSpecification::builder()
                .model_name(format!("{component}-model"))
                .compute_resource_requirements(
                    InferenceComponentComputeResourceRequirements::builder()
                        .number_of_accelerator_devices_required(gpus)
                        .min_memory_required_in_mb(8192)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_per_copy_scales_out_only_as_far_as_the_instances_hold_beside_their_neighbours()
{
    let url = moto();
    let c = clients(&url).await;
    let name = "ic-roomy";
    // Two GPUs a copy on four-GPU instances, managed instance scaling up to two: room for four
    // copies alone. A neighbour outside the policy set holds one copy of two GPUs, so three
    // are left, whatever the policy file's max of 6 says. (The component's own copy is not
    // counted against it.)
    component_on(&c, "ic-roomy-endpoint", name, 1, 2.0, 2).await;
    add_component(&c, "ic-roomy-endpoint", "ic-roomy-neighbour", 1, 2.0).await;
    // On another endpoint: not a neighbour.
    component_on(&c, "ic-elsewhere-endpoint", "ic-elsewhere", 3, 2.0, 2).await;
    // 10 requests in flight on the one copy against a target of 2, every 10 seconds for three
    // minutes (and the first 20 s of this one, which the plan's clock may already be in):
    // target tracking wants five copies.
    let points: Vec<(i64, f64)> = (-2..=18).map(|k| (10 * k, 10.0)).collect();
    put_metric(
        &c,
        "AWS/SageMaker",
        "ConcurrentRequestsPerCopy",
        &[("InferenceComponentName", name)],
        &points,
    )
    .await;
    let policy = format!(
        r#"[[targets]]
name = "{name}"
resource_id = "inference-component/{name}"
min = 0
max = 6

[[targets.policies]]
name = "concurrency"
type = "target-tracking"
metric = {{ predefined = "ConcurrentRequestsPerCopy" }}
target = 2
"#
    );
    let mut d = Daemon::new(&url, &policy, "");
    let validate = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["validate"])
        .arg(d.path("policies"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&validate.stdout).into_owned()
        + &String::from_utf8_lossy(&validate.stderr);
    assert!(validate.status.success(), "{said}");

    let (code, text) = d.cli(&["plan"]);
    assert_eq!(code, Some(0), "{text}");
    for needle in [
        "scale out 1 -> 3",
        "max lowered to the copies the endpoint's instances can hold",
        "room: at most 3 copies: 2 x ml.g4dn.12xlarge (managed instance scaling's MaxInstanceCount), 2 copies each alone (accelerators run out first); beside 1 other component(s) holding 1 copies",
        "would call RegisterScalableTarget min=3 max=3",
        // The built-in wake stands beside target tracking for a component that may reach 0.
        "`wake-from-zero`",
    ] {
        assert!(text.contains(needle), "plan lacks `{needle}`:\n{text}");
    }

    d.start();
    assert!(
        wait_for(30, || !d.calls("ok").is_empty()).await,
        "no call made\n{}",
        d.log()
    );
    assert_eq!(component_copy_bounds(&c, name).await, (3, 3), "{}", d.log());
    let record = d
        .records()
        .into_iter()
        .find(|r| !r["calls"].as_array().unwrap().is_empty())
        .unwrap();
    let room = &record["capacity"]["room"]["known"];
    assert_eq!(
        (
            room["copies"].as_u64(),
            room["per_instance"].as_u64(),
            room["instances"].as_u64()
        ),
        (Some(3), Some(2), Some(2)),
        "{record}"
    );
    assert_eq!(d.stop(), Some(0), "{}", d.log());
    let (code, story) = d.cli(&["explain", name]);
    assert_eq!(code, Some(0), "{story}");
    assert!(
        story.contains("scale out 1 -> 3")
            && story.contains("max lowered to the copies the endpoint's instances can hold"),
        "{story}"
    );
}
