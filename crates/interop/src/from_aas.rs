//! A setup read from Application Auto Scaling as a sagescale policy file (TOML), for
//! `sagescale import`.
//!
//! Lossless where the semantics map: the file compiles to the policies AWS runs, as the
//! simulator models them (the export of it gives back the same setup). Every setting that does
//! not map is kept as a comment on the line where it would go, saying why.

use std::fmt::Write as _;

use crate::aas::{
    Alarm, AlarmMetric, Math, MetricStat, ScalingPolicy, ScheduledAction, Setup, Step, Target,
    TargetTracking, TrackedMetric,
};
use sagescale_metrics::catalogue::{self, Scope};
use sagescale_metrics::MetricQuery;

/// A TOML basic string.
fn s(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// A number as TOML writes it (a float keeps its point).
fn f(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// sagescale's name for a resource id: the endpoint (with `-VARIANT` unless it is
/// `AllTraffic`), or the inference component.
#[must_use]
pub fn target_name(resource_id: &str) -> String {
    let parts: Vec<&str> = resource_id.split('/').collect();
    match parts.as_slice() {
        ["endpoint", e, "variant", "AllTraffic"] => (*e).to_string(),
        ["endpoint", e, "variant", v] => format!("{e}-{v}"),
        ["inference-component", c] => (*c).to_string(),
        _ => name(resource_id),
    }
}

/// `text` as a policy-file name: letters, digits, `.`, `_` and `-`, at most 128 characters.
fn name(text: &str) -> String {
    let n: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(128)
        .collect();
    if n.is_empty() {
        "policy".into()
    } else {
        n
    }
}

/// The policy file for `setup`, headed by `header` comment lines.
#[must_use]
pub fn render(setup: &Setup, header: &[String]) -> String {
    let mut out = String::new();
    for h in header {
        for line in h.lines() {
            let _ = writeln!(out, "# {line}");
        }
    }
    for t in &setup.targets {
        target(&mut out, t);
    }
    out
}

fn target(out: &mut String, t: &Target) {
    let scope = if t.resource_id.starts_with("inference-component/") {
        Scope::InferenceComponent
    } else {
        Scope::Variant
    };
    let _ = writeln!(out, "\n[[targets]]");
    let _ = writeln!(out, "name = {}", s(&t.name));
    let _ = writeln!(out, "resource_id = {}", s(&t.resource_id));
    let dimension = match t.scalable_dimension.as_str() {
        "sagemaker:variant:DesiredInstanceCount" => None,
        "sagemaker:variant:DesiredProvisionedConcurrency" => Some("provisioned-concurrency"),
        "sagemaker:inference-component:DesiredCopyCount" => None,
        other => {
            let _ = writeln!(
                out,
                "# scalable dimension {} is not a SageMaker one sagescale drives",
                s(other)
            );
            None
        }
    };
    if let Some(d) = dimension {
        let _ = writeln!(out, "dimension = {}", s(d));
    }
    match t.workload.as_deref() {
        None | Some("realtime") => {}
        Some(w) => {
            let _ = writeln!(out, "workload = {}", s(w));
        }
    }
    let _ = writeln!(out, "min = {}", t.min_capacity);
    let _ = writeln!(out, "max = {}", t.max_capacity);
    if scope == Scope::InferenceComponent && wakes_itself(t) {
        let _ = writeln!(
            out,
            "# AWS's own wake from zero (a step policy on NoCapacityInvocationFailures) is imported below: no second, built-in one"
        );
        let _ = writeln!(out, "wake_from_zero = false");
    }
    if !t.suspended.is_empty() {
        let _ = writeln!(
            out,
            "# AWS holds {} suspended on this target. A policy file cannot say that: sagescale's kill switch is the daemon's `suspend_actuation` (docs/daemon.md)",
            t.suspended.join(", ")
        );
    }
    for p in &t.policies {
        match p {
            ScalingPolicy::TargetTracking(tt) => target_tracking(out, tt, t, scope),
            ScalingPolicy::Step(st) => step(out, st, t),
            ScalingPolicy::Other { name, policy_type } => {
                let _ = writeln!(
                    out,
                    "\n# Policy {} ({policy_type}) is not imported: sagescale has no {policy_type} policy. Its `predictive` kind forecasts from the endpoint's own metrics (docs/semantics.md)",
                    s(name)
                );
            }
        }
    }
    for a in &t.scheduled {
        scheduled(out, a);
    }
}

/// Whether a step policy of `t` already wakes it on `NoCapacityInvocationFailures`.
fn wakes_itself(t: &Target) -> bool {
    t.policies.iter().any(|p| match p {
        ScalingPolicy::Step(s) => s.alarms.iter().any(|a| match &a.metric {
            AlarmMetric::Stat(m) => m.name == "NoCapacityInvocationFailures",
            AlarmMetric::Math(m) => m
                .inputs
                .iter()
                .any(|(_, i)| i.name == "NoCapacityInvocationFailures"),
        }),
        _ => false,
    })
}

fn policy_header(out: &mut String, kind: &str, aws_name: &str) {
    let _ = writeln!(out, "\n[[targets.policies]]");
    let n = name(aws_name);
    if n != aws_name {
        let _ = writeln!(
            out,
            "# AWS name {}: policy-file names hold letters, digits, `.`, `_` and `-` only",
            s(aws_name)
        );
    }
    let _ = writeln!(out, "type = {}", s(kind));
    let _ = writeln!(out, "name = {}", s(&n));
}

/// The dimensions the policy compiler gives predefined metric `name` on target `t` (its
/// own resolution, so import and validation agree), or `None` where it would refuse it.
fn predefined_dimensions(name: &str, t: &Target) -> Option<Vec<(String, String)>> {
    let resource = sagescale_policy::parse_resource(&t.resource_id).ok()?;
    let doc = sagescale_policy::document::MetricDoc {
        predefined: Some(name.to_string()),
        ..Default::default()
    };
    let mut errors = Vec::new();
    match sagescale_policy::metric::resolve(&doc, Some(&resource), "metric", &mut errors) {
        Some(MetricQuery::Stat(q)) if errors.is_empty() => Some(q.dimensions),
        _ => None,
    }
}

/// A metric as a policy file writes it: by catalogue name when it is the catalogue's metric on
/// this target, else in full; `period` only where it differs from what the file assumes.
fn metric(m: &MetricStat, t: &Target) -> String {
    let mut dims = m.dimensions.clone();
    dims.sort();
    if let Some(def) = catalogue::lookup(&m.namespace, &m.name) {
        if predefined_dimensions(def.name, t).is_some_and(|d| d == dims) {
            let mut parts = vec![format!("predefined = {}", s(def.name))];
            if m.statistic != def.statistic.to_string() {
                parts.push(format!("statistic = {}", s(&m.statistic)));
            }
            // A predefined metric's period defaults to the catalogue's (10 s for the
            // high-resolution ones), not 60.
            if m.period != def.period {
                parts.push(format!("period = {}", m.period));
            }
            return format!("{{ {} }}", parts.join(", "));
        }
    }
    let mut parts = vec![
        format!("namespace = {}", s(&m.namespace)),
        format!("name = {}", s(&m.name)),
        format!("statistic = {}", s(&m.statistic)),
    ];
    if m.period != 60 {
        parts.push(format!("period = {}", m.period));
    }
    if !dims.is_empty() {
        let d: Vec<String> = dims
            .iter()
            .map(|(k, v)| format!("{} = {}", s(k), s(v)))
            .collect();
        parts.push(format!("dimensions = {{ {} }}", d.join(", ")));
    }
    format!("{{ {} }}", parts.join(", "))
}

fn math(m: &Math, t: &Target) -> String {
    let inputs: Vec<String> = m
        .inputs
        .iter()
        .map(|(id, st)| format!("{id} = {}", metric(st, t)))
        .collect();
    let mut parts = vec![format!("expression = {}", s(&m.expression))];
    if m.period != 60 {
        parts.push(format!("period = {}", m.period));
    }
    parts.push(format!("metrics = {{ {} }}", inputs.join(", ")));
    format!("{{ {} }}", parts.join(", "))
}

fn target_tracking(out: &mut String, tt: &TargetTracking, t: &Target, scope: Scope) {
    policy_header(out, "target-tracking", &tt.name);
    let mut high_res = false;
    match &tt.metric {
        TrackedMetric::Predefined(p) => match catalogue::by_name(p) {
            Some(def) => {
                if def.scope != scope && !(def.scope == Scope::Endpoint && scope == Scope::Variant)
                {
                    let _ = writeln!(
                        out,
                        "# {} measures {}, not this target: sagescale will refuse it",
                        s(p),
                        def.measures.describe()
                    );
                }
                high_res = def.period < 60;
                let _ = writeln!(out, "metric = {{ predefined = {} }}", s(def.name));
            }
            None => {
                let _ = writeln!(
                    out,
                    "# AWS's predefined metric {} is not in sagescale's metric catalogue (docs/metrics.md): name it as a custom metric",
                    s(p)
                );
                let _ = writeln!(out, "metric = {{ predefined = {} }}", s(p));
            }
        },
        TrackedMetric::Custom(m) => {
            let _ = writeln!(out, "metric = {}", metric(m, t));
        }
        TrackedMetric::Math(m) => {
            let _ = writeln!(out, "metric = {}", math(m, t));
        }
    }
    let _ = writeln!(out, "target = {}", f(tt.target_value));
    if let Some(c) = tt.scale_out_cooldown {
        let _ = writeln!(out, "scale_out_cooldown = {c}");
    }
    if let Some(c) = tt.scale_in_cooldown {
        let _ = writeln!(out, "scale_in_cooldown = {c}");
    }
    if tt.disable_scale_in {
        let _ = writeln!(out, "disable_scale_in = true");
    }
    if high_res {
        let _ = writeln!(
            out,
            "# AWS scales in on a high-resolution metric \"at the same speed\" as on a one-minute one: 15 minutes of 10 s datapoints (docs/semantics.md)"
        );
        let _ = writeln!(out, "scale_in_datapoints = 90");
        let _ = writeln!(out, "scale_in_evaluation_periods = 90");
    }
}

fn alarm_metric(a: &Alarm, t: &Target) -> String {
    match &a.metric {
        AlarmMetric::Stat(m) => metric(m, t),
        AlarmMetric::Math(m) => math(m, t),
    }
}

fn step(out: &mut String, st: &Step, t: &Target) {
    let Some(a) = st.alarms.first() else {
        let _ = writeln!(
            out,
            "\n# Step policy {} is not imported: no CloudWatch alarm names it in its actions, so AWS never runs it",
            s(&st.name)
        );
        return;
    };
    policy_header(out, "step", &st.name);
    let _ = writeln!(out, "adjustment_type = {}", s(&st.adjustment_type));
    if let Some(m) = st.min_adjustment_magnitude {
        let _ = writeln!(out, "min_adjustment_magnitude = {m}");
    }
    if let Some(c) = st.cooldown {
        let _ = writeln!(out, "cooldown = {c}");
    }
    match st.metric_aggregation_type.as_deref() {
        None | Some("Average") => {}
        Some(other) => {
            let _ = writeln!(
                out,
                "# MetricAggregationType {other}: sagescale picks the step from the alarm's newest datapoint (docs/semantics.md)"
            );
        }
    }
    for extra in &st.alarms[1..] {
        let _ = writeln!(
            out,
            "# alarm {} also invokes this policy: a policy file gives one alarm per step policy; add a second step policy for it",
            s(&extra.name)
        );
    }
    let steps: Vec<String> = st
        .steps
        .iter()
        .map(|x| {
            let mut p = Vec::new();
            if let Some(l) = x.lower {
                p.push(format!("lower = {}", f(l)));
            }
            if let Some(u) = x.upper {
                p.push(format!("upper = {}", f(u)));
            }
            p.push(format!("adjustment = {}", x.adjustment));
            format!("  {{ {} }},", p.join(", "))
        })
        .collect();
    let _ = writeln!(out, "steps = [\n{}\n]", steps.join("\n"));
    let _ = writeln!(out, "[targets.policies.alarm]");
    let _ = writeln!(out, "# CloudWatch alarm {}", s(&a.name));
    let _ = writeln!(out, "metric = {}", alarm_metric(a, t));
    let _ = writeln!(out, "comparison = {}", s(&a.comparison));
    let _ = writeln!(out, "threshold = {}", f(a.threshold));
    let _ = writeln!(out, "evaluation_periods = {}", a.evaluation_periods);
    if let Some(d) = a.datapoints_to_alarm {
        let _ = writeln!(out, "datapoints_to_alarm = {d}");
    }
    if let Some(m) = &a.treat_missing_data {
        let _ = writeln!(out, "treat_missing_data = {}", s(m));
    }
}

fn scheduled(out: &mut String, a: &ScheduledAction) {
    policy_header(out, "scheduled", &a.name);
    let _ = writeln!(out, "schedule = {}", s(&a.schedule));
    if let Some(tz) = &a.timezone {
        let _ = writeln!(out, "timezone = {}", s(tz));
    }
    if let Some(t) = &a.start {
        let _ = writeln!(out, "start = {}", s(t));
    }
    if let Some(t) = &a.end {
        let _ = writeln!(out, "end = {}", s(t));
    }
    if let Some(m) = a.min_capacity {
        let _ = writeln!(out, "min = {m}");
    }
    if let Some(m) = a.max_capacity {
        let _ = writeln!(out, "max = {m}");
    }
}
