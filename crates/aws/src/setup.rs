//! Reading an Application Auto Scaling setup as people configure it by hand, for
//! `sagescale import` and `init`: the scalable targets, their target-tracking and step
//! policies (with the CloudWatch alarms whose actions name them), their scheduled actions, and
//! the endpoint kind from SageMaker.

use aws_sdk_applicationautoscaling::types as aas_t;
use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use aws_sdk_cloudwatch::types as cw_t;

use super::clients::AwsClients;
use super::retry::{all_pages, with_retries, RetryPolicy};
use sagescale_core::{CallError, CallObserver};
use sagescale_interop::aas::{
    Alarm, AlarmMetric, Math, MetricStat, ScalingPolicy, ScheduledAction, Setup, Step,
    StepAdjustment, Target, TargetTracking, TrackedMetric,
};
use sagescale_interop::from_aas::target_name;

/// Which targets to read.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only the variants of these endpoints and these inference components (all when empty).
    pub endpoints: Vec<String>,
}

impl Selection {
    fn wants(&self, resource_id: &str) -> bool {
        if self.endpoints.is_empty() {
            return true;
        }
        let parts: Vec<&str> = resource_id.split('/').collect();
        let name = match parts.as_slice() {
            ["endpoint", e, ..] | ["inference-component", e] => *e,
            _ => return false,
        };
        self.endpoints.iter().any(|e| e == name)
    }
}

/// Read the setup of every SageMaker scalable target `selection` names, in resource order.
///
/// # Errors
/// An AWS call failed after its retries (the endpoint-kind lookups excepted: an endpoint that
/// cannot be described leaves its kind unknown).
pub async fn read_setup(
    c: &AwsClients,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    selection: &Selection,
) -> Result<Setup, CallError> {
    let registered = all_pages(
        retry,
        observer,
        "application_autoscaling",
        "DescribeScalableTargets",
        |token| {
            c.autoscaling
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::Sagemaker)
                .set_next_token(token)
                .send()
        },
        |page| {
            (
                page.scalable_targets().to_vec(),
                page.next_token().map(str::to_string),
            )
        },
    )
    .await?;
    let mut targets: Vec<Target> = registered
        .iter()
        .filter(|t| selection.wants(t.resource_id()))
        .map(|t| Target {
            name: target_name(t.resource_id()),
            resource_id: t.resource_id().to_string(),
            scalable_dimension: t.scalable_dimension().as_str().to_string(),
            min_capacity: u32::try_from(t.min_capacity()).unwrap_or(0),
            max_capacity: u32::try_from(t.max_capacity()).unwrap_or(0),
            workload: None,
            policies: Vec::new(),
            scheduled: Vec::new(),
            suspended: suspended(t.suspended_state()),
        })
        .collect();
    targets.sort_by(|a, b| a.resource_id.cmp(&b.resource_id));
    if targets.is_empty() {
        return Ok(Setup { targets });
    }
    let alarms = all_alarms(c, retry, observer).await?;
    let policies = super::conflicts::scaling_policies(&c.autoscaling, retry, observer).await?;
    for p in &policies {
        let Some(t) = targets.iter_mut().find(|t| {
            t.resource_id == p.resource_id()
                && t.scalable_dimension == p.scalable_dimension().as_str()
        }) else {
            continue;
        };
        t.policies.push(policy(p, &alarms));
    }
    for a in all_scheduled(c, retry, observer).await? {
        let Some(t) = targets.iter_mut().find(|t| {
            t.resource_id == a.resource_id()
                && a.scalable_dimension().map(aas_t::ScalableDimension::as_str)
                    == Some(t.scalable_dimension.as_str())
        }) else {
            continue;
        };
        t.scheduled.push(scheduled(&a));
    }
    for t in &mut targets {
        t.workload = workload(c, retry, observer, t).await;
    }
    Ok(Setup { targets })
}

async fn all_scheduled(
    c: &AwsClients,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
) -> Result<Vec<aas_t::ScheduledAction>, CallError> {
    all_pages(
        retry,
        observer,
        "application_autoscaling",
        "DescribeScheduledActions",
        |token| {
            c.autoscaling
                .describe_scheduled_actions()
                .service_namespace(ServiceNamespace::Sagemaker)
                .set_next_token(token)
                .send()
        },
        |page| {
            (
                page.scheduled_actions().to_vec(),
                page.next_token().map(str::to_string),
            )
        },
    )
    .await
}

async fn all_alarms(
    c: &AwsClients,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
) -> Result<Vec<cw_t::MetricAlarm>, CallError> {
    all_pages(
        retry,
        observer,
        "cloudwatch",
        "DescribeAlarms",
        |token| c.cloudwatch.describe_alarms().set_next_token(token).send(),
        |page| {
            (
                page.metric_alarms().to_vec(),
                page.next_token().map(str::to_string),
            )
        },
    )
    .await
}

/// The activities a `SuspendedState` holds suspended, by AWS's names.
fn suspended(s: Option<&aas_t::SuspendedState>) -> Vec<String> {
    let Some(s) = s else {
        return Vec::new();
    };
    [
        (
            s.dynamic_scaling_in_suspended(),
            "DynamicScalingInSuspended",
        ),
        (
            s.dynamic_scaling_out_suspended(),
            "DynamicScalingOutSuspended",
        ),
        (s.scheduled_scaling_suspended(), "ScheduledScalingSuspended"),
    ]
    .into_iter()
    .filter(|(on, _)| *on == Some(true))
    .map(|(_, name)| name.to_string())
    .collect()
}

fn aas_dimensions(d: &[aas_t::MetricDimension]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = d
        .iter()
        .map(|d| (d.name().to_string(), d.value().to_string()))
        .collect();
    v.sort();
    v
}

fn cw_dimensions(d: &[cw_t::Dimension]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = d
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_string(),
                d.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn policy(p: &aas_t::ScalingPolicy, alarms: &[cw_t::MetricAlarm]) -> ScalingPolicy {
    let name = p.policy_name().to_string();
    match (
        p.policy_type(),
        p.target_tracking_scaling_policy_configuration(),
        p.step_scaling_policy_configuration(),
    ) {
        (aas_t::PolicyType::TargetTrackingScaling, Some(c), _) => {
            ScalingPolicy::TargetTracking(TargetTracking {
                name,
                target_value: c.target_value(),
                metric: tracked(c),
                scale_out_cooldown: c.scale_out_cooldown().and_then(|v| u32::try_from(v).ok()),
                scale_in_cooldown: c.scale_in_cooldown().and_then(|v| u32::try_from(v).ok()),
                disable_scale_in: c.disable_scale_in().unwrap_or(false),
            })
        }
        (aas_t::PolicyType::StepScaling, _, Some(c)) => {
            let arn = p.policy_arn();
            let named: Vec<&str> = p.alarms().iter().map(aas_t::Alarm::alarm_name).collect();
            let invoking = alarms
                .iter()
                .filter(|a| {
                    a.alarm_actions().iter().any(|x| x == arn)
                        || a.alarm_name().is_some_and(|n| named.contains(&n))
                })
                .map(alarm)
                .collect();
            ScalingPolicy::Step(Step {
                name,
                adjustment_type: c
                    .adjustment_type()
                    .map_or("ChangeInCapacity", aas_t::AdjustmentType::as_str)
                    .to_string(),
                steps: c
                    .step_adjustments()
                    .iter()
                    .map(|s| StepAdjustment {
                        lower: s.metric_interval_lower_bound(),
                        upper: s.metric_interval_upper_bound(),
                        adjustment: s.scaling_adjustment(),
                    })
                    .collect(),
                min_adjustment_magnitude: c
                    .min_adjustment_magnitude()
                    .and_then(|v| u32::try_from(v).ok()),
                cooldown: c.cooldown().and_then(|v| u32::try_from(v).ok()),
                metric_aggregation_type: c
                    .metric_aggregation_type()
                    .map(|m| m.as_str().to_string()),
                alarms: invoking,
            })
        }
        (t, _, _) => ScalingPolicy::Other {
            name,
            policy_type: t.as_str().to_string(),
        },
    }
}

fn tracked(c: &aas_t::TargetTrackingScalingPolicyConfiguration) -> TrackedMetric {
    if let Some(p) = c.predefined_metric_specification() {
        return TrackedMetric::Predefined(p.predefined_metric_type().as_str().to_string());
    }
    let Some(m) = c.customized_metric_specification() else {
        return TrackedMetric::Predefined(String::new());
    };
    if !m.metrics().is_empty() {
        let mut inputs = Vec::new();
        let mut expression = String::new();
        for q in m.metrics() {
            if let Some(e) = q.expression() {
                expression = e.to_string();
            } else if let Some(s) = q.metric_stat() {
                let metric = s.metric();
                inputs.push((
                    q.id().to_string(),
                    MetricStat {
                        namespace: metric
                            .and_then(|m| m.namespace())
                            .unwrap_or_default()
                            .to_string(),
                        name: metric
                            .and_then(|m| m.metric_name())
                            .unwrap_or_default()
                            .to_string(),
                        dimensions: metric.map_or_else(Vec::new, |m| {
                            let mut v: Vec<(String, String)> = m
                                .dimensions()
                                .iter()
                                .map(|d| (d.name().to_string(), d.value().to_string()))
                                .collect();
                            v.sort();
                            v
                        }),
                        statistic: s.stat().to_string(),
                        period: 60,
                    },
                ));
            }
        }
        if expression.is_empty() && inputs.len() == 1 {
            return TrackedMetric::Custom(inputs.remove(0).1);
        }
        return TrackedMetric::Math(Math {
            expression,
            inputs,
            period: 60,
        });
    }
    TrackedMetric::Custom(MetricStat {
        namespace: m.namespace().unwrap_or_default().to_string(),
        name: m.metric_name().unwrap_or_default().to_string(),
        dimensions: aas_dimensions(m.dimensions()),
        statistic: m
            .statistic()
            .map_or("Average", aas_t::MetricStatistic::as_str)
            .to_string(),
        period: 60,
    })
}

fn alarm(a: &cw_t::MetricAlarm) -> Alarm {
    let metric = if a.metrics().is_empty() {
        AlarmMetric::Stat(MetricStat {
            namespace: a.namespace().unwrap_or_default().to_string(),
            name: a.metric_name().unwrap_or_default().to_string(),
            dimensions: cw_dimensions(a.dimensions()),
            statistic: a
                .extended_statistic()
                .map(str::to_string)
                .or_else(|| a.statistic().map(|s| s.as_str().to_string()))
                .unwrap_or_else(|| "Average".into()),
            period: a.period().and_then(|p| u32::try_from(p).ok()).unwrap_or(60),
        })
    } else {
        let mut expression = String::new();
        let mut inputs = Vec::new();
        let mut period = 60;
        for q in a.metrics() {
            if let Some(e) = q.expression() {
                expression = e.to_string();
                if let Some(p) = q.period().and_then(|p| u32::try_from(p).ok()) {
                    period = p;
                }
            } else if let Some(s) = q.metric_stat() {
                let m = s.metric();
                let p = u32::try_from(s.period().unwrap_or(60)).unwrap_or(60);
                period = p;
                inputs.push((
                    q.id().unwrap_or_default().to_string(),
                    MetricStat {
                        namespace: m
                            .and_then(|m| m.namespace())
                            .unwrap_or_default()
                            .to_string(),
                        name: m
                            .and_then(|m| m.metric_name())
                            .unwrap_or_default()
                            .to_string(),
                        dimensions: m.map_or_else(Vec::new, |m| cw_dimensions(m.dimensions())),
                        statistic: s.stat().unwrap_or("Average").to_string(),
                        period: p,
                    },
                ));
            }
        }
        AlarmMetric::Math(Math {
            expression,
            inputs,
            period,
        })
    };
    Alarm {
        name: a.alarm_name().unwrap_or_default().to_string(),
        metric,
        comparison: a
            .comparison_operator()
            .map_or("GreaterThanThreshold", cw_t::ComparisonOperator::as_str)
            .to_string(),
        threshold: a.threshold().unwrap_or(0.0),
        evaluation_periods: a
            .evaluation_periods()
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(1),
        datapoints_to_alarm: a.datapoints_to_alarm().and_then(|v| u16::try_from(v).ok()),
        treat_missing_data: a.treat_missing_data().map(str::to_string),
    }
}

fn scheduled(a: &aas_t::ScheduledAction) -> ScheduledAction {
    let time = |t: Option<&aws_sdk_applicationautoscaling::primitives::DateTime>| {
        t.and_then(|t| {
            t.fmt(aws_sdk_applicationautoscaling::primitives::DateTimeFormat::DateTime)
                .ok()
        })
    };
    let action = a.scalable_target_action();
    ScheduledAction {
        name: a.scheduled_action_name().to_string(),
        schedule: a.schedule().to_string(),
        timezone: a.timezone().filter(|z| *z != "UTC").map(str::to_string),
        start: time(a.start_time()),
        end: time(a.end_time()),
        min_capacity: action
            .and_then(aas_t::ScalableTargetAction::min_capacity)
            .and_then(|v| u32::try_from(v).ok()),
        max_capacity: action
            .and_then(aas_t::ScalableTargetAction::max_capacity)
            .and_then(|v| u32::try_from(v).ok()),
    }
}

/// The endpoint kind, from its endpoint config: async (an `AsyncInferenceConfig`), serverless
/// (the variant's `ServerlessConfig`), else real-time. Unknown (`None`) when the endpoint
/// cannot be described; an inference component is none of these.
async fn workload(
    c: &AwsClients,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    t: &Target,
) -> Option<String> {
    let parts: Vec<&str> = t.resource_id.split('/').collect();
    let ["endpoint", endpoint, "variant", variant] = parts.as_slice() else {
        return None;
    };
    let e = with_retries(retry, observer, "sagemaker", "DescribeEndpoint", || {
        c.sagemaker
            .describe_endpoint()
            .endpoint_name(*endpoint)
            .send()
    })
    .await
    .ok()?;
    let config = e.endpoint_config_name()?.to_string();
    let ec = with_retries(
        retry,
        observer,
        "sagemaker",
        "DescribeEndpointConfig",
        || {
            c.sagemaker
                .describe_endpoint_config()
                .endpoint_config_name(&config)
                .send()
        },
    )
    .await
    .ok()?;
    if ec.async_inference_config().is_some() {
        return Some("async".into());
    }
    let serverless = ec
        .production_variants()
        .iter()
        .any(|v| v.variant_name() == Some(*variant) && v.serverless_config().is_some());
    Some(if serverless { "serverless" } else { "realtime" }.into())
}

/// An endpoint's variants and their current instance counts (`init` on an endpoint that has no
/// scalable target yet).
///
/// # Errors
/// `DescribeEndpoint` failed after its retries (for one that does not exist too).
pub async fn variants(
    c: &AwsClients,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    endpoint: &str,
) -> Result<Vec<(String, u32)>, CallError> {
    let e = with_retries(retry, observer, "sagemaker", "DescribeEndpoint", || {
        c.sagemaker
            .describe_endpoint()
            .endpoint_name(endpoint)
            .send()
    })
    .await?;
    Ok(e.production_variants()
        .iter()
        .map(|v| {
            (
                v.variant_name().unwrap_or_default().to_string(),
                v.current_instance_count()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(1),
            )
        })
        .collect())
}
