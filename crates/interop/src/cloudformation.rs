//! The setup as a CloudFormation template (JSON): `AWS::ApplicationAutoScaling::ScalableTarget`
//! with its `ScheduledActions`, `AWS::ApplicationAutoScaling::ScalingPolicy` and
//! `AWS::CloudWatch::Alarm`. Notes go in the template's `Metadata`, JSON having no comments.

use serde_json::{json, Map, Value};

use crate::aas::{
    logical_id, Alarm, AlarmMetric, Math, MetricStat, ScalingPolicy, ScheduledAction, Setup, Step,
    TargetTracking, TrackedMetric,
};
use crate::to_aas::is_simple_statistic;

/// `setup` as a template, with `notes` in its metadata.
#[must_use]
pub fn render(setup: &Setup, description: &str, notes: &[String]) -> String {
    let mut resources = Map::new();
    for t in &setup.targets {
        let tid = logical_id(&[&t.name, "target"]);
        let mut props = json!({
            "ServiceNamespace": "sagemaker",
            "ResourceId": t.resource_id,
            "ScalableDimension": t.scalable_dimension,
            "MinCapacity": t.min_capacity,
            "MaxCapacity": t.max_capacity,
        });
        if !t.scheduled.is_empty() {
            props["ScheduledActions"] = t.scheduled.iter().map(scheduled).collect();
        }
        resources.insert(
            tid.clone(),
            json!({"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": props}),
        );
        for p in &t.policies {
            match p {
                ScalingPolicy::TargetTracking(tt) => {
                    resources.insert(
                        logical_id(&[&t.name, &tt.name, "policy"]),
                        json!({
                            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                            "Properties": {
                                "PolicyName": tt.name,
                                "PolicyType": "TargetTrackingScaling",
                                "ScalingTargetId": {"Ref": tid},
                                "TargetTrackingScalingPolicyConfiguration": target_tracking(tt),
                            }
                        }),
                    );
                }
                ScalingPolicy::Step(s) => {
                    let pid = logical_id(&[&t.name, &s.name, "policy"]);
                    resources.insert(
                        pid.clone(),
                        json!({
                            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                            "Properties": {
                                "PolicyName": s.name,
                                "PolicyType": "StepScaling",
                                "ScalingTargetId": {"Ref": tid},
                                "StepScalingPolicyConfiguration": step(s),
                            }
                        }),
                    );
                    for (k, a) in s.alarms.iter().enumerate() {
                        let aid = logical_id(&[&t.name, &s.name, "alarm", &k.to_string()]);
                        resources.insert(aid, alarm(a, &pid));
                    }
                }
                ScalingPolicy::Other { .. } => {}
            }
        }
    }
    let mut template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description,
        "Resources": resources,
    });
    if !notes.is_empty() {
        template["Metadata"] = json!({"sagescale": {"notes": notes}});
    }
    let mut text = serde_json::to_string_pretty(&template).unwrap_or_default();
    text.push('\n');
    text
}

fn dimensions(dims: &[(String, String)]) -> Value {
    dims.iter()
        .map(|(k, v)| json!({"Name": k, "Value": v}))
        .collect()
}

/// `TargetTrackingScalingPolicyConfiguration`, as the API and CloudFormation spell it.
pub(crate) fn target_tracking(tt: &TargetTracking) -> Value {
    let mut c = json!({
        "TargetValue": tt.target_value,
        "DisableScaleIn": tt.disable_scale_in,
    });
    if let Some(v) = tt.scale_in_cooldown {
        c["ScaleInCooldown"] = json!(v);
    }
    if let Some(v) = tt.scale_out_cooldown {
        c["ScaleOutCooldown"] = json!(v);
    }
    match &tt.metric {
        TrackedMetric::Predefined(p) => {
            c["PredefinedMetricSpecification"] = json!({"PredefinedMetricType": p});
        }
        TrackedMetric::Custom(s) if is_simple_statistic(&s.statistic) => {
            c["CustomizedMetricSpecification"] = json!({
                "MetricName": s.name,
                "Namespace": s.namespace,
                "Statistic": s.statistic,
                "Dimensions": dimensions(&s.dimensions),
            });
        }
        TrackedMetric::Custom(s) => {
            c["CustomizedMetricSpecification"] = json!({"Metrics": [
                {"Id": "m1", "ReturnData": true, "MetricStat": metric_stat(s)}
            ]});
        }
        TrackedMetric::Math(m) => {
            c["CustomizedMetricSpecification"] = json!({"Metrics": math(m, false)});
        }
    }
    c
}

fn metric_stat(s: &MetricStat) -> Value {
    json!({
        "Metric": {"MetricName": s.name, "Namespace": s.namespace, "Dimensions": dimensions(&s.dimensions)},
        "Stat": s.statistic,
    })
}

/// Metric-math queries; an alarm's carry their period.
fn math(m: &Math, alarm: bool) -> Value {
    let mut q = vec![json!({"Id": "e1", "Expression": m.expression, "ReturnData": true})];
    for (id, s) in &m.inputs {
        let mut stat = metric_stat(s);
        if alarm {
            stat["Period"] = json!(s.period);
        }
        q.push(json!({"Id": id, "MetricStat": stat, "ReturnData": false}));
    }
    Value::Array(q)
}

/// `StepScalingPolicyConfiguration`, as the API and CloudFormation spell it.
pub(crate) fn step(s: &Step) -> Value {
    let mut c = json!({
        "AdjustmentType": s.adjustment_type,
        "MetricAggregationType": s.metric_aggregation_type.as_deref().unwrap_or("Average"),
        "StepAdjustments": s.steps.iter().map(|a| {
            let mut v = json!({"ScalingAdjustment": a.adjustment});
            if let Some(l) = a.lower { v["MetricIntervalLowerBound"] = json!(l); }
            if let Some(u) = a.upper { v["MetricIntervalUpperBound"] = json!(u); }
            v
        }).collect::<Vec<_>>(),
    });
    if let Some(v) = s.cooldown {
        c["Cooldown"] = json!(v);
    }
    if let Some(v) = s.min_adjustment_magnitude {
        c["MinAdjustmentMagnitude"] = json!(v);
    }
    c
}

fn alarm(a: &Alarm, policy: &str) -> Value {
    let mut p = alarm_properties(a);
    p["AlarmActions"] = json!([{"Ref": policy}]);
    json!({"Type": "AWS::CloudWatch::Alarm", "Properties": p})
}

/// An alarm as `PutMetricAlarm` takes it (and CloudFormation, which names it alike), without
/// its actions.
pub(crate) fn alarm_properties(a: &Alarm) -> Value {
    let mut p = json!({
        "AlarmName": a.name,
        "ComparisonOperator": a.comparison,
        "Threshold": a.threshold,
        "EvaluationPeriods": a.evaluation_periods,
    });
    if let Some(d) = a.datapoints_to_alarm {
        p["DatapointsToAlarm"] = json!(d);
    }
    if let Some(t) = &a.treat_missing_data {
        p["TreatMissingData"] = json!(t);
    }
    match &a.metric {
        AlarmMetric::Stat(s) => {
            p["Namespace"] = json!(s.namespace);
            p["MetricName"] = json!(s.name);
            p["Period"] = json!(s.period);
            p["Dimensions"] = dimensions(&s.dimensions);
            let key = if is_simple_statistic(&s.statistic) {
                "Statistic"
            } else {
                "ExtendedStatistic"
            };
            p[key] = json!(s.statistic);
        }
        AlarmMetric::Math(m) => p["Metrics"] = math(m, true),
    }
    p
}

fn scheduled(s: &ScheduledAction) -> Value {
    let mut v = json!({"ScheduledActionName": s.name, "Schedule": s.schedule});
    if let Some(tz) = &s.timezone {
        v["Timezone"] = json!(tz);
    }
    if let Some(t) = &s.start {
        v["StartTime"] = json!(t);
    }
    if let Some(t) = &s.end {
        v["EndTime"] = json!(t);
    }
    let mut a = json!({});
    if let Some(m) = s.min_capacity {
        a["MinCapacity"] = json!(m);
    }
    if let Some(m) = s.max_capacity {
        a["MaxCapacity"] = json!(m);
    }
    v["ScalableTargetAction"] = a;
    v
}
