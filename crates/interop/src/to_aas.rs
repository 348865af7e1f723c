//! A compiled policy set as the Application Auto Scaling setup that runs it natively, for
//! `sagescale export`.
//!
//! Only what AWS runs as sagescale simulates it is exported: target tracking with AWS's own
//! alarms, step scaling and scheduled actions. Everything else is refused by name, with the
//! field and the fix, so an exported setup never behaves differently from the one the simulator
//! measured.

use chrono::{DateTime, Utc};

use crate::aas::{
    Alarm, AlarmMetric, Math, MetricStat, ScalingPolicy, ScheduledAction, Setup, Step,
    StepAdjustment, Target, TargetTracking, TrackedMetric,
};
use sagescale_engine::alarm::{AlarmSpec, TreatMissingData};
use sagescale_engine::schedule::ScheduleSpec;
use sagescale_engine::schedule::Trigger;
use sagescale_engine::step::StepSpec;
use sagescale_engine::target_tracking::TargetTrackingSpec;
use sagescale_engine::{PolicyKind, TargetSpec, Timestamp, Workload};
use sagescale_metrics::catalogue;
use sagescale_metrics::{MetricQuery, Statistic};
use sagescale_policy::PolicySet;

/// A policy with no AWS equivalent: where it is, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `FILE: targets[i].policies[j] (`name`)`.
    pub at: String,
    /// Why, and what to do.
    pub why: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.why)
    }
}

/// The setup, the policies left out, and notes on what AWS will do differently from what a
/// policy file can say (for comments in the output).
#[derive(Debug, Default)]
pub struct Export {
    /// What AWS runs.
    pub setup: Setup,
    /// Policies with no AWS equivalent.
    pub refused: Vec<Refusal>,
    /// Notes for the reader.
    pub notes: Vec<String>,
}

/// The setup that runs `set` natively.
#[must_use]
pub fn export(set: &PolicySet) -> Export {
    let mut out = Export::default();
    for (i, t) in set.targets.iter().enumerate() {
        let origin = set
            .origins
            .get(i)
            .map_or_else(|| t.name.clone(), |(f, p)| format!("{}: {p}", f.display()));
        let target = target(set, t, &origin, &mut out);
        out.setup.targets.push(target);
    }
    out
}

fn target(set: &PolicySet, t: &TargetSpec, origin: &str, out: &mut Export) -> Target {
    let mut target = Target {
        name: t.name.clone(),
        resource_id: t.resource_id.clone(),
        scalable_dimension: t.dimension.aws_name().to_string(),
        min_capacity: t.min,
        max_capacity: t.max,
        workload: Some(workload_name(t.workload).to_string()),
        policies: Vec::new(),
        scheduled: Vec::new(),
        suspended: Vec::new(),
    };
    for (j, p) in t.policies.iter().enumerate() {
        let at = format!("{origin}.policies[{j}] (`{}`)", p.name);
        let refuse = |out: &mut Export, why: String| {
            out.refused.push(Refusal {
                at: at.clone(),
                why,
            })
        };
        match &p.kind {
            PolicyKind::TargetTracking(tt) => match target_tracking(set, &p.name, tt) {
                Ok((policy, note)) => {
                    if let Some(n) = note {
                        out.notes.push(format!("{at}: {n}"));
                    }
                    target.policies.push(ScalingPolicy::TargetTracking(policy));
                }
                Err(why) => refuse(out, why),
            },
            PolicyKind::Step(s) => match step(set, &t.name, &p.name, s) {
                Ok(policy) => target.policies.push(ScalingPolicy::Step(policy)),
                Err(why) => refuse(out, why),
            },
            PolicyKind::Scheduled(s) => match scheduled(&p.name, s) {
                Ok((action, note)) => {
                    if let Some(n) = note {
                        out.notes.push(format!("{at}: {n}"));
                    }
                    target.scheduled.push(action);
                }
                Err(why) => refuse(out, why),
            },
            other => refuse(
                out,
                format!(
                    "`{}` is a sagescale policy kind: Application Auto Scaling has no equivalent, so only the daemon runs it. Keep it in a policy file `sagescale run` reads, or pass --skip-unsupported to export the rest",
                    kind_name(other)
                ),
            ),
        }
    }
    target
}

/// The policy file's spelling of a kind.
#[must_use]
pub fn kind_name(k: &PolicyKind) -> &'static str {
    match k {
        PolicyKind::TargetTracking(_) => "target-tracking",
        PolicyKind::Step(_) => "step",
        PolicyKind::Scheduled(_) => "scheduled",
        PolicyKind::BurstAware(_) => "burst-aware",
        PolicyKind::Predictive(_) => "predictive",
        PolicyKind::BacklogDeadline(_) => "backlog-deadline",
        PolicyKind::Slo(_) => "slo",
        PolicyKind::QualityGuard(_) => "quality-guard",
    }
}

/// The policy file's spelling of a workload.
#[must_use]
pub fn workload_name(w: Workload) -> &'static str {
    match w {
        Workload::Realtime => "realtime",
        Workload::MultiModel => "multi-model",
        Workload::Async => "async",
        Workload::Serverless => "serverless",
    }
}

/// AWS's own target-tracking alarms for a metric of `period` seconds: scale out on 3 of 3,
/// scale in on 15 of 15 one-minute datapoints, which on a 10-second metric sagescale reads as
/// 90 of 90 (AWS documents the high-resolution scale-in as "the same speed"; docs/semantics.md).
fn aws_scale_in_periods(period: u32) -> u16 {
    if period < 60 {
        u16::try_from(900 / period.max(1)).unwrap_or(u16::MAX)
    } else {
        15
    }
}

fn target_tracking(
    set: &PolicySet,
    name: &str,
    tt: &TargetTrackingSpec,
) -> Result<(TargetTracking, Option<String>), String> {
    let query = &set.metrics[tt.metric.index()];
    let period = query.period().0;
    let want_in = aws_scale_in_periods(period);
    let mut off = Vec::new();
    if (
        tt.scale_out.datapoints_to_alarm,
        tt.scale_out.evaluation_periods,
    ) != (3, 3)
    {
        off.push(format!(
            "scale-out on {} of {} datapoints (AWS: 3 of 3): remove `scale_out_datapoints` and `scale_out_evaluation_periods`",
            tt.scale_out.datapoints_to_alarm, tt.scale_out.evaluation_periods
        ));
    }
    if (
        tt.scale_in.datapoints_to_alarm,
        tt.scale_in.evaluation_periods,
    ) != (want_in, want_in)
    {
        let fix = if want_in == 15 {
            "remove `scale_in_datapoints` and `scale_in_evaluation_periods`".to_string()
        } else {
            format!("set `scale_in_datapoints = {want_in}` and `scale_in_evaluation_periods = {want_in}` (15 minutes of {period} s datapoints)")
        };
        off.push(format!(
            "scale-in on {} of {} datapoints of {period} s (AWS: {want_in} of {want_in}): {fix}",
            tt.scale_in.datapoints_to_alarm, tt.scale_in.evaluation_periods
        ));
    }
    if (tt.scale_in_ratio - 0.9).abs() > 1e-12 {
        off.push(format!(
            "scale-in below {} × the target (AWS: 0.9): remove `scale_in_ratio`",
            tt.scale_in_ratio
        ));
    }
    if !off.is_empty() {
        return Err(format!(
            "AWS's target tracking fixes its alarms, and this policy sets them otherwise: {}",
            off.join("; ")
        ));
    }
    let (metric, note) = tracked(query)?;
    Ok((
        TargetTracking {
            name: name.to_string(),
            target_value: tt.target,
            metric,
            scale_out_cooldown: Some(tt.scale_out_cooldown.0),
            scale_in_cooldown: Some(tt.scale_in_cooldown.0),
            disable_scale_in: tt.disable_scale_in,
        },
        note,
    ))
}

/// A tracked metric: AWS's predefined type when the query is exactly it, else a customized
/// metric (one metric, or metric math).
fn tracked(query: &MetricQuery) -> Result<(TrackedMetric, Option<String>), String> {
    match query {
        MetricQuery::Stat(s) => {
            if let Some(def) = catalogue::lookup(&s.namespace, &s.name) {
                let predefined = def.aliases.iter().find(|a| a.starts_with("SageMaker"));
                if let Some(p) = predefined {
                    if s.statistic == def.statistic && s.period.0 == def.period {
                        return Ok((TrackedMetric::Predefined((*p).to_string()), None));
                    }
                }
            }
            if s.period.0 != 60 {
                return Err(format!(
                    "AWS's target tracking reads a customized metric at one minute; this one is {} s: use period 60, or a predefined high-resolution metric",
                    s.period.0
                ));
            }
            Ok((TrackedMetric::Custom(stat(s)), None))
        }
        MetricQuery::Expression {
            expression,
            period,
            inputs,
        } => {
            if period.0 != 60 {
                return Err(format!(
                    "AWS's target tracking reads metric math at one minute; this expression is {} s: use period 60",
                    period.0
                ));
            }
            Ok((
                TrackedMetric::Math(Math {
                    expression: expression.clone(),
                    inputs: inputs.iter().map(|(id, s)| (id.clone(), stat(s))).collect(),
                    period: period.0,
                }),
                None,
            ))
        }
    }
}

fn stat(s: &sagescale_metrics::MetricStat) -> MetricStat {
    MetricStat {
        namespace: s.namespace.clone(),
        name: s.name.clone(),
        dimensions: s.dimensions.clone(),
        statistic: s.statistic.to_string(),
        period: s.period.0,
    }
}

fn step(set: &PolicySet, target: &str, name: &str, s: &StepSpec) -> Result<Step, String> {
    let alarm = alarm(set, &format!("{target}-{name}"), &s.alarm);
    Ok(Step {
        name: name.to_string(),
        adjustment_type: format!("{:?}", s.adjustment_type),
        steps: s
            .steps
            .iter()
            .map(|a| StepAdjustment {
                lower: a.lower,
                upper: a.upper,
                adjustment: a.adjustment,
            })
            .collect(),
        min_adjustment_magnitude: s.min_adjustment_magnitude,
        cooldown: Some(s.cooldown.0),
        // sagescale's step reads the alarm's newest datapoint (docs/semantics.md); of AWS's
        // aggregations, Average over the alarm's datapoints is the one AWS defaults to.
        metric_aggregation_type: None,
        alarms: vec![alarm],
    })
}

fn alarm(set: &PolicySet, name: &str, a: &AlarmSpec) -> Alarm {
    let metric = match &set.metrics[a.metric.index()] {
        MetricQuery::Stat(s) => AlarmMetric::Stat(stat(s)),
        MetricQuery::Expression {
            expression,
            period,
            inputs,
        } => AlarmMetric::Math(Math {
            expression: expression.clone(),
            inputs: inputs.iter().map(|(id, s)| (id.clone(), stat(s))).collect(),
            period: period.0,
        }),
    };
    Alarm {
        name: name.to_string(),
        metric,
        comparison: a.comparison.aws_name().to_string(),
        threshold: a.threshold,
        evaluation_periods: a.evaluation_periods,
        datapoints_to_alarm: Some(a.datapoints_to_alarm),
        treat_missing_data: Some(
            match a.treat_missing {
                TreatMissingData::Missing => "missing",
                TreatMissingData::Ignore => "ignore",
                TreatMissingData::Breaching => "breaching",
                TreatMissingData::NotBreaching => "notBreaching",
            }
            .to_string(),
        ),
    }
}

fn rfc3339(t: Timestamp) -> String {
    DateTime::<Utc>::from_timestamp(t.0, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn scheduled(name: &str, s: &ScheduleSpec) -> Result<(ScheduledAction, Option<String>), String> {
    let mut note = None;
    let (schedule, timezone) = match &s.trigger {
        Trigger::At(t) => {
            let at = DateTime::<Utc>::from_timestamp(t.0, 0)
                .map(|d| d.format("%Y-%m-%dT%H:%M:%S").to_string())
                .unwrap_or_default();
            (format!("at({at})"), None)
        }
        Trigger::Rate { every, .. } => {
            let n = every.0;
            let (v, unit) = if n % 86_400 == 0 {
                (n / 86_400, "day")
            } else if n % 3_600 == 0 {
                (n / 3_600, "hour")
            } else {
                (n / 60, "minute")
            };
            if s.start.is_none() {
                note = Some(
                    "AWS counts a rate() from when the action is created; sagescale counts it from the Unix epoch when no `start` is given. Give the action a `start` for the two to agree".to_string(),
                );
            }
            let plural = if v == 1 { "" } else { "s" };
            (format!("rate({v} {unit}{plural})"), None)
        }
        Trigger::Cron(c) => {
            let inner = c
                .text
                .strip_prefix("cron(")
                .and_then(|t| t.strip_suffix(')'))
                .unwrap_or(&c.text);
            let fields: Vec<&str> = inner.split_whitespace().collect();
            let expr = if fields.len() == 6 {
                c.text.clone()
            } else {
                aws_cron(&fields).ok_or_else(|| {
                    format!(
                        "`{}` is a 5-field cron whose day fields have no exact AWS form: write it in AWS's 6-field form (min hour day-of-month month day-of-week year, weekdays 1-7 from Sunday, one day field `?`)",
                        c.text
                    )
                })?
            };
            let tz = c.tz.name();
            (expr, (tz != "UTC").then(|| tz.to_string()))
        }
    };
    Ok((
        ScheduledAction {
            name: name.to_string(),
            schedule,
            timezone,
            start: s.start.map(rfc3339),
            end: s.end.map(rfc3339),
            min_capacity: s.min,
            max_capacity: s.max,
        },
        note,
    ))
}

/// A 5-field POSIX cron in AWS's 6-field form, when the translation is exact: a `*` day field
/// becomes `?`, and numeric weekdays (0-7 from Sunday) move to AWS's 1-7.
fn aws_cron(f: &[&str]) -> Option<String> {
    if f.len() != 5 {
        return None;
    }
    let (dom, dow) = (f[2], f[4]);
    let (dom, dow) = match (dom == "*", dow == "*") {
        (_, true) => (dom.to_string(), "?".to_string()),
        (true, false) => ("?".to_string(), posix_weekdays(dow)?),
        // Both restricted: POSIX fires on either, AWS cannot say that.
        (false, false) => return None,
    };
    Some(format!("cron({} {} {dom} {} {dow} *)", f[0], f[1], f[3]))
}

/// POSIX weekdays (0 or 7 = Sunday) as AWS's (1 = Sunday): names pass through, numbers and
/// ranges and lists of numbers shift; a step is not translated.
fn posix_weekdays(dow: &str) -> Option<String> {
    if dow.contains('/') || dow.contains('#') || dow.contains('L') {
        return None;
    }
    let shift = |n: &str| -> Option<String> {
        match n.parse::<u32>() {
            Ok(d) if d <= 7 => Some(((d % 7) + 1).to_string()),
            Ok(_) => None,
            Err(_) => Some(n.to_string()),
        }
    };
    let mut parts = Vec::new();
    for item in dow.split(',') {
        if let Some((a, b)) = item.split_once('-') {
            if a.parse::<u32>().is_err() || b.parse::<u32>().is_err() {
                // Names (MON-FRI) read the same in both.
                parts.push(item.to_string());
                continue;
            }
            let (a, b) = (shift(a)?, shift(b)?);
            // 5-7 (Fri-Sun) would wrap to 6-1: not a range AWS reads.
            if a.parse::<u32>().ok()? > b.parse::<u32>().ok()? {
                return None;
            }
            parts.push(format!("{a}-{b}"));
        } else {
            parts.push(shift(item)?);
        }
    }
    Some(parts.join(","))
}

/// Statistics AAS's `CustomizedMetricSpecification.Statistic` takes (a percentile needs the
/// `Metrics` form).
#[must_use]
pub fn is_simple_statistic(s: &str) -> bool {
    Statistic::parse(s).is_ok_and(|s| !matches!(s, Statistic::Percentile(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_cron_becomes_aws_cron_only_when_exact() {
        assert_eq!(
            aws_cron(&["0", "8", "*", "*", "1-5"]).as_deref(),
            Some("cron(0 8 ? * 2-6 *)")
        );
        assert_eq!(
            aws_cron(&["30", "*/2", "1", "*", "*"]).as_deref(),
            Some("cron(30 */2 1 * ? *)")
        );
        assert_eq!(
            aws_cron(&["0", "0", "*", "*", "0,6"]).as_deref(),
            Some("cron(0 0 ? * 1,7 *)")
        );
        assert_eq!(
            aws_cron(&["0", "0", "*", "*", "MON-FRI"]).as_deref(),
            Some("cron(0 0 ? * MON-FRI *)")
        );
        assert_eq!(aws_cron(&["0", "0", "1", "*", "1"]), None);
        assert_eq!(aws_cron(&["0", "0", "*", "*", "5-7"]), None);
        assert_eq!(aws_cron(&["0", "0", "*", "*", "*/2"]), None);
    }

    #[test]
    fn high_resolution_scale_in_is_fifteen_minutes() {
        assert_eq!(aws_scale_in_periods(60), 15);
        assert_eq!(aws_scale_in_periods(10), 90);
        assert_eq!(aws_scale_in_periods(300), 15);
    }
}
