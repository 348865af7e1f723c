//! Export and import against each other and against the tools' own parsers: the Terraform
//! output parses as HCL with the resources and references Terraform needs, the CloudFormation
//! template's references resolve, and a policy file exported then imported compiles back to
//! the same AWS setup.

use std::path::Path;

use sagescale_interop::{cloudformation, from_aas, terraform, to_aas};

const POLICY: &str = r#"
[[targets]]
name = "recs"
resource_id = "endpoint/recs/variant/AllTraffic"
min = 2
max = 40

[[targets.policies]]
type = "target-tracking"
name = "invocations"
metric = { predefined = "InvocationsPerInstance" }
target = 750
scale_in_cooldown = 600

[[targets.policies]]
type = "target-tracking"
name = "p99-latency"
metric = { namespace = "Custom/Recs", name = "Latency", statistic = "p99", dimensions = { Service = "recs" } }
target = 120.5
disable_scale_in = true

[[targets.policies]]
type = "step"
name = "errors"
adjustment_type = "ChangeInCapacity"
cooldown = 120
steps = [ { lower = 0.0, upper = 10.0, adjustment = 1 }, { lower = 10.0, adjustment = 3 } ]
[targets.policies.alarm]
metric = { predefined = "Invocation5XXErrors" }
comparison = "GreaterThanOrEqualToThreshold"
threshold = 5.0
evaluation_periods = 2

[[targets.policies]]
type = "scheduled"
name = "weekday-floor"
schedule = "cron(0 8 * * 1-5)"
timezone = "Europe/Paris"
min = 6

[[targets.policies]]
type = "scheduled"
name = "nightly"
schedule = "rate(1 day)"
start = "2026-12-01T23:00:00Z"
max = 20
"#;

fn set(text: &str) -> sagescale_policy::PolicySet {
    sagescale_policy::load_text(Path::new("recs.toml"), text)
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn attr<'a>(block: &'a hcl::Block, key: &str) -> &'a hcl::Expression {
    block
        .body()
        .attributes()
        .find(|a| a.key() == key)
        .map(hcl::Attribute::expr)
        .unwrap_or_else(|| panic!("no `{key}` in {block:?}"))
}

fn resources<'a>(body: &'a hcl::Body, kind: &str) -> Vec<&'a hcl::Block> {
    body.blocks()
        .filter(|b| b.identifier() == "resource" && b.labels()[0].as_str() == kind)
        .collect()
}

#[test]
fn terraform_parses_with_the_resources_and_references_terraform_needs() {
    let e = to_aas::export(&set(POLICY));
    assert!(e.refused.is_empty(), "{:?}", e.refused);
    let text = terraform::render(&e.setup, &["header".into()]);
    let body: hcl::Body = hcl::from_str(&text).unwrap_or_else(|err| panic!("{err}\n{text}"));

    let targets = resources(&body, "aws_appautoscaling_target");
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].labels()[1].as_str(), "recs");
    assert_eq!(attr(targets[0], "min_capacity"), &hcl::Expression::from(2));
    assert_eq!(
        attr(targets[0], "resource_id"),
        &hcl::Expression::from("endpoint/recs/variant/AllTraffic")
    );

    let policies = resources(&body, "aws_appautoscaling_policy");
    assert_eq!(policies.len(), 3);
    let tt = policies
        .iter()
        .find(|b| b.labels()[1].as_str() == "recs_invocations")
        .unwrap();
    assert_eq!(
        attr(tt, "policy_type"),
        &hcl::Expression::from("TargetTrackingScaling")
    );
    // The policy names its target by reference, so Terraform orders them.
    assert_eq!(
        attr(tt, "resource_id").to_string(),
        "aws_appautoscaling_target.recs.resource_id"
    );
    let conf = tt
        .body()
        .blocks()
        .find(|b| b.identifier() == "target_tracking_scaling_policy_configuration")
        .unwrap();
    assert_eq!(attr(conf, "target_value"), &hcl::Expression::from(750));
    assert_eq!(attr(conf, "scale_in_cooldown"), &hcl::Expression::from(600));
    let pre = conf
        .body()
        .blocks()
        .find(|b| b.identifier() == "predefined_metric_specification")
        .unwrap();
    assert_eq!(
        attr(pre, "predefined_metric_type"),
        &hcl::Expression::from("SageMakerVariantInvocationsPerInstance")
    );

    // A percentile is only expressible in the `metrics` form.
    let p99 = policies
        .iter()
        .find(|b| b.labels()[1].as_str() == "recs_p99_latency")
        .unwrap();
    let text_p99 = hcl::format::to_string(*p99).unwrap();
    assert!(text_p99.contains("stat = \"p99\""), "{text_p99}");
    assert!(!text_p99.contains("statistic"), "{text_p99}");

    let alarms = resources(&body, "aws_cloudwatch_metric_alarm");
    assert_eq!(alarms.len(), 1);
    let actions: String = attr(alarms[0], "alarm_actions")
        .to_string()
        .split_whitespace()
        .collect();
    assert_eq!(actions, "[aws_appautoscaling_policy.recs_errors.arn]");
    assert_eq!(
        attr(alarms[0], "metric_name"),
        &hcl::Expression::from("Invocation5XXErrors")
    );

    let scheduled = resources(&body, "aws_appautoscaling_scheduled_action");
    assert_eq!(scheduled.len(), 2);
    let weekday = scheduled
        .iter()
        .find(|b| b.labels()[1].as_str() == "recs_weekday_floor")
        .unwrap();
    // POSIX weekdays 1-5 (Monday-Friday) are AWS's 2-6.
    assert_eq!(
        attr(weekday, "schedule"),
        &hcl::Expression::from("cron(0 8 ? * 2-6 *)")
    );
    assert_eq!(
        attr(weekday, "timezone"),
        &hcl::Expression::from("Europe/Paris")
    );
}

#[test]
fn cloudformation_references_resolve_to_resources_of_the_right_type() {
    let e = to_aas::export(&set(POLICY));
    let text = cloudformation::render(&e.setup, "test", &e.notes);
    let t: serde_json::Value = serde_json::from_str(&text).unwrap();
    let res = t["Resources"].as_object().unwrap();
    let kind = |id: &str| res[id]["Type"].as_str().unwrap().to_string();
    let mut policies = 0;
    for (id, r) in res {
        match r["Type"].as_str().unwrap() {
            "AWS::ApplicationAutoScaling::ScalingPolicy" => {
                policies += 1;
                let target = r["Properties"]["ScalingTargetId"]["Ref"].as_str().unwrap();
                assert_eq!(
                    kind(target),
                    "AWS::ApplicationAutoScaling::ScalableTarget",
                    "{id}"
                );
            }
            "AWS::CloudWatch::Alarm" => {
                let p = r["Properties"]["AlarmActions"][0]["Ref"].as_str().unwrap();
                assert_eq!(kind(p), "AWS::ApplicationAutoScaling::ScalingPolicy");
                assert_eq!(r["Properties"]["EvaluationPeriods"], 2);
            }
            "AWS::ApplicationAutoScaling::ScalableTarget" => {
                assert_eq!(
                    r["Properties"]["ScheduledActions"]
                        .as_array()
                        .unwrap()
                        .len(),
                    2
                );
                assert_eq!(r["Properties"]["MaxCapacity"], 40);
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(policies, 3);
    // The rate() without a sagescale start would differ; this one has a start, so no note.
    assert!(e.notes.is_empty(), "{:?}", e.notes);
}

#[test]
fn a_policy_file_exported_then_imported_compiles_back_to_the_same_setup() {
    let first = to_aas::export(&set(POLICY));
    let imported = from_aas::render(&first.setup, &["imported".into()]);
    let second = to_aas::export(&set(&imported));
    assert!(
        second.refused.is_empty(),
        "{:?}\n{imported}",
        second.refused
    );
    assert_eq!(first.setup, second.setup, "\n{imported}");
}

#[test]
fn sagescale_only_kinds_and_settings_are_refused_by_name_with_the_fix() {
    let text = r#"
[[targets]]
name = "recs"
resource_id = "endpoint/recs/variant/AllTraffic"
min = 1
max = 10

[[targets.policies]]
type = "burst-aware"
name = "burst"
metric = { predefined = "Invocations" }
target = 1000

[[targets.policies]]
type = "target-tracking"
name = "fast"
metric = { predefined = "InvocationsPerInstance" }
target = 750
scale_out_datapoints = 1
scale_out_evaluation_periods = 1

[[targets.policies]]
type = "target-tracking"
name = "high-res"
metric = { predefined = "ConcurrentRequestsPerModel" }
target = 4
"#;
    let e = to_aas::export(&set(text));
    let why: Vec<String> = e.refused.iter().map(ToString::to_string).collect();
    assert_eq!(why.len(), 3, "{why:#?}");
    assert!(
        why[0].contains("recs.toml: targets[0].policies[0] (`burst`)")
            && why[0].contains("`burst-aware` is a sagescale policy kind"),
        "{}",
        why[0]
    );
    assert!(
        why[1].contains("scale-out on 1 of 1 datapoints (AWS: 3 of 3)")
            && why[1].contains("remove `scale_out_datapoints`"),
        "{}",
        why[1]
    );
    assert!(
        why[2].contains("set `scale_in_datapoints = 90`"),
        "{}",
        why[2]
    );
    // What is refused is left out; the target itself still exports.
    assert_eq!(e.setup.targets[0].policies.len(), 0);
}

#[test]
fn a_high_resolution_policy_imported_from_aws_exports_back_unchanged() {
    use sagescale_interop::aas::*;
    let setup = Setup {
        targets: vec![Target {
            name: "llm".into(),
            resource_id: "endpoint/llm/variant/AllTraffic".into(),
            scalable_dimension: "sagemaker:variant:DesiredInstanceCount".into(),
            min_capacity: 1,
            max_capacity: 8,
            workload: None,
            policies: vec![
                ScalingPolicy::TargetTracking(TargetTracking {
                    name: "concurrency".into(),
                    target_value: 4.0,
                    metric: TrackedMetric::Predefined(
                        "SageMakerVariantConcurrentRequestsPerModelHighResolution".into(),
                    ),
                    scale_out_cooldown: Some(300),
                    scale_in_cooldown: Some(300),
                    disable_scale_in: false,
                }),
                // An alarm on a high-resolution metric read at one minute keeps its period.
                ScalingPolicy::Step(Step {
                    name: "busy".into(),
                    adjustment_type: "ChangeInCapacity".into(),
                    steps: vec![StepAdjustment {
                        lower: Some(0.0),
                        upper: None,
                        adjustment: 1,
                    }],
                    min_adjustment_magnitude: None,
                    cooldown: Some(300),
                    metric_aggregation_type: None,
                    alarms: vec![Alarm {
                        name: "llm-busy".into(),
                        metric: AlarmMetric::Stat(MetricStat {
                            namespace: "AWS/SageMaker".into(),
                            name: "ConcurrentRequestsPerModel".into(),
                            dimensions: vec![
                                ("EndpointName".into(), "llm".into()),
                                ("VariantName".into(), "AllTraffic".into()),
                            ],
                            statistic: "Maximum".into(),
                            period: 60,
                        }),
                        comparison: "GreaterThanThreshold".into(),
                        threshold: 6.0,
                        evaluation_periods: 2,
                        datapoints_to_alarm: Some(2),
                        treat_missing_data: Some("missing".into()),
                    }],
                }),
                ScalingPolicy::Other {
                    name: "forecast".into(),
                    policy_type: "PredictiveScaling".into(),
                },
            ],
            scheduled: vec![],
            suspended: vec!["DynamicScalingInSuspended".into()],
        }],
    };
    let text = from_aas::render(&setup, &[]);
    assert!(
        text.contains("PredictiveScaling) is not imported"),
        "{text}"
    );
    assert!(
        text.contains("DynamicScalingInSuspended suspended"),
        "{text}"
    );
    let back = to_aas::export(&set(&text));
    assert!(back.refused.is_empty(), "{:?}", back.refused);
    let mut want = setup.targets[0].clone();
    want.policies.pop();
    // sagescale names the alarm after the target and policy.
    if let ScalingPolicy::Step(st) = &mut want.policies[1] {
        st.alarms[0].name = "llm-busy".into();
    }
    want.suspended.clear();
    want.workload = Some("realtime".into());
    assert_eq!(back.setup.targets[0], want, "{text}");
}

#[test]
fn an_inference_component_exports_its_wake_as_aws_recipe_and_imports_without_a_second() {
    let text = r#"
[[targets]]
name = "llm"
resource_id = "inference-component/llm"
min = 0
max = 8

[[targets.policies]]
type = "target-tracking"
name = "concurrency"
metric = { predefined = "ConcurrentRequestsPerCopy" }
target = 4
scale_in_datapoints = 90
scale_in_evaluation_periods = 90
"#;
    let first = to_aas::export(&set(text));
    assert!(first.refused.is_empty(), "{:?}", first.refused);
    let t = &first.setup.targets[0];
    assert_eq!(
        t.scalable_dimension,
        "sagemaker:inference-component:DesiredCopyCount"
    );
    // AWS's two-policy recipe: target tracking on the high-resolution per-copy metric, and a
    // step policy on NoCapacityInvocationFailures that adds a copy.
    let sagescale_interop::aas::ScalingPolicy::Step(wake) = &t.policies[1] else {
        panic!("{:?}", t.policies)
    };
    assert_eq!(wake.name, "wake-from-zero");
    assert_eq!(wake.steps[0].adjustment, 1);
    let hcl_text = terraform::render(&first.setup, &[]);
    assert!(hcl_text.contains("SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"));
    assert!(
        hcl_text.contains("\"NoCapacityInvocationFailures\""),
        "{hcl_text}"
    );
    // Imported back: the wake comes in as the step policy it is, and turns the built-in off.
    let imported = from_aas::render(&first.setup, &[]);
    assert!(imported.contains("wake_from_zero = false"), "{imported}");
    let second = to_aas::export(&set(&imported));
    assert_eq!(first.setup, second.setup, "{imported}");
}
