//! The setup as Terraform (the AWS provider's `aws_appautoscaling_target`,
//! `aws_appautoscaling_policy`, `aws_cloudwatch_metric_alarm` and
//! `aws_appautoscaling_scheduled_action`), written through an HCL library so the output always
//! parses.

use hcl::expr::{Traversal, Variable};
use hcl::{Block, Body, Expression, Object, ObjectKey};

use crate::aas::{
    slug, Alarm, AlarmMetric, Math, MetricStat, ScalingPolicy, ScheduledAction, Setup, Step,
    Target, TargetTracking, TrackedMetric,
};
use crate::to_aas::is_simple_statistic;

/// `setup` as one Terraform file, headed by `header` lines as comments.
#[must_use]
pub fn render(setup: &Setup, header: &[String]) -> String {
    let mut body = Body::builder();
    for t in &setup.targets {
        for b in target(t) {
            body = body.add_block(b);
        }
    }
    let text = hcl::format::to_string(&body.build()).unwrap_or_default();
    let mut out = String::new();
    for h in header {
        for line in h.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    if !header.is_empty() {
        out.push('\n');
    }
    out.push_str(&text);
    out
}

/// `resource.name.attr`.
fn reference(resource: &str, name: &str, attr: &str) -> Expression {
    Traversal::builder(Variable::unchecked(resource))
        .attr(name)
        .attr(attr)
        .build()
        .into()
}

fn number(v: f64) -> Expression {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        Expression::from(v as i64)
    } else {
        Expression::from(v)
    }
}

fn target(t: &Target) -> Vec<Block> {
    let name = t.slug();
    let mut out = vec![Block::builder("resource")
        .add_label("aws_appautoscaling_target")
        .add_label(name.as_str())
        .add_attribute(("service_namespace", "sagemaker"))
        .add_attribute(("resource_id", t.resource_id.as_str()))
        .add_attribute(("scalable_dimension", t.scalable_dimension.as_str()))
        .add_attribute(("min_capacity", i64::from(t.min_capacity)))
        .add_attribute(("max_capacity", i64::from(t.max_capacity)))
        .build()];
    let on_target = |b: hcl::structure::BlockBuilder| {
        b.add_attribute((
            "service_namespace",
            reference("aws_appautoscaling_target", &name, "service_namespace"),
        ))
        .add_attribute((
            "resource_id",
            reference("aws_appautoscaling_target", &name, "resource_id"),
        ))
        .add_attribute((
            "scalable_dimension",
            reference("aws_appautoscaling_target", &name, "scalable_dimension"),
        ))
    };
    for p in &t.policies {
        match p {
            ScalingPolicy::TargetTracking(tt) => {
                let id = format!("{name}_{}", slug(&tt.name));
                let b = Block::builder("resource")
                    .add_label("aws_appautoscaling_policy")
                    .add_label(id.as_str())
                    .add_attribute(("name", tt.name.as_str()))
                    .add_attribute(("policy_type", "TargetTrackingScaling"));
                out.push(on_target(b).add_block(target_tracking(tt)).build());
            }
            ScalingPolicy::Step(s) => {
                let id = format!("{name}_{}", slug(&s.name));
                let b = Block::builder("resource")
                    .add_label("aws_appautoscaling_policy")
                    .add_label(id.as_str())
                    .add_attribute(("name", s.name.as_str()))
                    .add_attribute(("policy_type", "StepScaling"));
                out.push(on_target(b).add_block(step(s)).build());
                for a in &s.alarms {
                    out.push(alarm(a, &id));
                }
            }
            ScalingPolicy::Other { .. } => {}
        }
    }
    for s in &t.scheduled {
        out.push(scheduled(s, &name, on_target));
    }
    out
}

fn dimensions_block(dims: &[(String, String)]) -> Vec<Block> {
    dims.iter()
        .map(|(k, v)| {
            Block::builder("dimensions")
                .add_attribute(("name", k.as_str()))
                .add_attribute(("value", v.as_str()))
                .build()
        })
        .collect()
}

fn target_tracking(tt: &TargetTracking) -> Block {
    let mut b = Block::builder("target_tracking_scaling_policy_configuration")
        .add_attribute(("target_value", number(tt.target_value)));
    if let Some(c) = tt.scale_in_cooldown {
        b = b.add_attribute(("scale_in_cooldown", i64::from(c)));
    }
    if let Some(c) = tt.scale_out_cooldown {
        b = b.add_attribute(("scale_out_cooldown", i64::from(c)));
    }
    b = b.add_attribute(("disable_scale_in", tt.disable_scale_in));
    let metric = match &tt.metric {
        TrackedMetric::Predefined(p) => Block::builder("predefined_metric_specification")
            .add_attribute(("predefined_metric_type", p.as_str()))
            .build(),
        TrackedMetric::Custom(s) if is_simple_statistic(&s.statistic) => {
            Block::builder("customized_metric_specification")
                .add_attribute(("metric_name", s.name.as_str()))
                .add_attribute(("namespace", s.namespace.as_str()))
                .add_attribute(("statistic", s.statistic.as_str()))
                .add_blocks(dimensions_block(&s.dimensions))
                .build()
        }
        TrackedMetric::Custom(s) => {
            // A percentile: only the `metrics` form takes one.
            let m = Math {
                expression: String::new(),
                inputs: vec![("m1".into(), s.clone())],
                period: s.period,
            };
            tracked_math(&m)
        }
        TrackedMetric::Math(m) => tracked_math(m),
    };
    b.add_block(metric).build()
}

fn tracked_math(m: &Math) -> Block {
    let mut b = Block::builder("customized_metric_specification");
    if !m.expression.is_empty() {
        b = b.add_block(
            Block::builder("metrics")
                .add_attribute(("id", "e1"))
                .add_attribute(("expression", m.expression.as_str()))
                .add_attribute(("return_data", true))
                .build(),
        );
    }
    let only = m.expression.is_empty();
    for (id, s) in &m.inputs {
        let metric = Block::builder("metric")
            .add_attribute(("metric_name", s.name.as_str()))
            .add_attribute(("namespace", s.namespace.as_str()))
            .add_blocks(dimensions_block(&s.dimensions))
            .build();
        b = b.add_block(
            Block::builder("metrics")
                .add_attribute(("id", id.as_str()))
                .add_block(
                    Block::builder("metric_stat")
                        .add_block(metric)
                        .add_attribute(("stat", s.statistic.as_str()))
                        .build(),
                )
                .add_attribute(("return_data", only))
                .build(),
        );
    }
    b.build()
}

fn step(s: &Step) -> Block {
    let mut b = Block::builder("step_scaling_policy_configuration")
        .add_attribute(("adjustment_type", s.adjustment_type.as_str()));
    if let Some(c) = s.cooldown {
        b = b.add_attribute(("cooldown", i64::from(c)));
    }
    b = b.add_attribute((
        "metric_aggregation_type",
        s.metric_aggregation_type.as_deref().unwrap_or("Average"),
    ));
    if let Some(m) = s.min_adjustment_magnitude {
        b = b.add_attribute(("min_adjustment_magnitude", i64::from(m)));
    }
    for a in &s.steps {
        let mut sb = Block::builder("step_adjustment");
        if let Some(l) = a.lower {
            sb = sb.add_attribute(("metric_interval_lower_bound", number(l)));
        }
        if let Some(u) = a.upper {
            sb = sb.add_attribute(("metric_interval_upper_bound", number(u)));
        }
        b = b.add_block(
            sb.add_attribute(("scaling_adjustment", i64::from(a.adjustment)))
                .build(),
        );
    }
    b.build()
}

fn dimension_map(dims: &[(String, String)]) -> Expression {
    let mut o: Object<ObjectKey, Expression> = Object::new();
    for (k, v) in dims {
        o.insert(ObjectKey::from(k.as_str()), Expression::from(v.as_str()));
    }
    Expression::from(o)
}

fn alarm(a: &Alarm, policy: &str) -> Block {
    let mut b = Block::builder("resource")
        .add_label("aws_cloudwatch_metric_alarm")
        .add_label(format!("{policy}_alarm"))
        .add_attribute(("alarm_name", a.name.as_str()))
        .add_attribute(("comparison_operator", a.comparison.as_str()))
        .add_attribute(("threshold", number(a.threshold)))
        .add_attribute(("evaluation_periods", i64::from(a.evaluation_periods)));
    if let Some(d) = a.datapoints_to_alarm {
        b = b.add_attribute(("datapoints_to_alarm", i64::from(d)));
    }
    if let Some(t) = &a.treat_missing_data {
        b = b.add_attribute(("treat_missing_data", t.as_str()));
    }
    b = match &a.metric {
        AlarmMetric::Stat(s) => alarm_stat(b, s),
        AlarmMetric::Math(m) => {
            let mut b = b.add_block(
                Block::builder("metric_query")
                    .add_attribute(("id", "e1"))
                    .add_attribute(("expression", m.expression.as_str()))
                    .add_attribute(("return_data", true))
                    .build(),
            );
            for (id, s) in &m.inputs {
                b = b.add_block(
                    Block::builder("metric_query")
                        .add_attribute(("id", id.as_str()))
                        .add_block(
                            Block::builder("metric")
                                .add_attribute(("metric_name", s.name.as_str()))
                                .add_attribute(("namespace", s.namespace.as_str()))
                                .add_attribute(("period", i64::from(s.period)))
                                .add_attribute(("stat", s.statistic.as_str()))
                                .add_attribute(("dimensions", dimension_map(&s.dimensions)))
                                .build(),
                        )
                        .build(),
                );
            }
            b
        }
    };
    b.add_attribute((
        "alarm_actions",
        Expression::from(vec![reference("aws_appautoscaling_policy", policy, "arn")]),
    ))
    .build()
}

fn alarm_stat(b: hcl::structure::BlockBuilder, s: &MetricStat) -> hcl::structure::BlockBuilder {
    let b = b
        .add_attribute(("namespace", s.namespace.as_str()))
        .add_attribute(("metric_name", s.name.as_str()))
        .add_attribute(("period", i64::from(s.period)));
    let b = if is_simple_statistic(&s.statistic) {
        b.add_attribute(("statistic", s.statistic.as_str()))
    } else {
        b.add_attribute(("extended_statistic", s.statistic.as_str()))
    };
    b.add_attribute(("dimensions", dimension_map(&s.dimensions)))
}

fn scheduled(
    s: &ScheduledAction,
    target: &str,
    on_target: impl Fn(hcl::structure::BlockBuilder) -> hcl::structure::BlockBuilder,
) -> Block {
    let mut b = on_target(
        Block::builder("resource")
            .add_label("aws_appautoscaling_scheduled_action")
            .add_label(format!("{target}_{}", slug(&s.name)))
            .add_attribute(("name", s.name.as_str())),
    )
    .add_attribute(("schedule", s.schedule.as_str()));
    if let Some(tz) = &s.timezone {
        b = b.add_attribute(("timezone", tz.as_str()));
    }
    if let Some(t) = &s.start {
        b = b.add_attribute(("start_time", t.as_str()));
    }
    if let Some(t) = &s.end {
        b = b.add_attribute(("end_time", t.as_str()));
    }
    let mut a = Block::builder("scalable_target_action");
    if let Some(m) = s.min_capacity {
        a = a.add_attribute(("min_capacity", i64::from(m)));
    }
    if let Some(m) = s.max_capacity {
        a = a.add_attribute(("max_capacity", i64::from(m)));
    }
    b.add_block(a.build()).build()
}
