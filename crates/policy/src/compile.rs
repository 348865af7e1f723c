//! Validate policy documents and compile them into engine specs, collecting every problem.
//!
//! Validation and compilation are one pass, so every rule that is checked is the rule that is
//! run, and nothing is checked twice.

use std::collections::HashMap;

use super::document::{
    AdjustmentTypeDoc, AlarmDoc, BacklogDeadlineDoc, BurstAwareDoc, ComparisonDoc, DimensionDoc,
    LoadDoc, PolicyDoc, PredictiveDoc, PredictiveModeDoc, QualityGuardDoc, ScheduledDoc, SloDoc,
    StepDoc, TargetDoc, TargetTrackingDoc, TreatMissingDoc, WorkloadDoc,
};
use super::load::LoadedFile;
use super::metric::{self, MetricTable, Resource};
use super::trigger;
use super::PolicySet;
use sagescale_engine::alarm::{AlarmSpec, Comparison, TreatMissingData};
use sagescale_engine::burst::BurstSpec;
use sagescale_engine::deadline::DeadlineSpec;
use sagescale_engine::predictive::{PredictiveMode, PredictiveSpec};
use sagescale_engine::quality::{QualityCheck, QualityGuardSpec, MAX_CHECKS};
use sagescale_engine::schedule::ScheduleSpec;
use sagescale_engine::slo::{IdleSign, SloSpec};
use sagescale_engine::step::{AdjustmentType, StepAdjustment, StepSpec};
use sagescale_engine::target_tracking::{AlarmShape, TargetTrackingSpec};
use sagescale_engine::{PolicyKind, PolicySpec, ScalableDimension, Seconds, TargetSpec, Workload};
use sagescale_files::diagnostic::{child, item, Diagnostic};
use sagescale_metrics::catalogue::{self, Unit};
use sagescale_metrics::{MetricId, MetricQuery};

/// The demand an `slo` policy on an inference component forecasts: what its copies served and
/// what found no copy, over 300 s periods, a missing datapoint read as none.
const COMPONENT_DEMAND: &str = "FILL(served, 0) + FILL(refused, 0)";

/// The largest capacity a target may have: a sanity ceiling against typos such as an extra
/// zero, far above any real SageMaker variant.
pub const MAX_CAPACITY: u32 = 10_000;
/// The most policies one target may have.
pub const MAX_POLICIES: usize = 50;
/// The most step adjustments in one step policy (Application Auto Scaling's limit).
pub const MAX_STEPS: usize = 20;
/// The longest cooldown, and the longest alarm evaluation window (CloudWatch: one day).
pub const MAX_SECONDS: u32 = 86_400;
/// AWS's default cooldown for SageMaker.
pub const DEFAULT_COOLDOWN: u32 = 300;

struct Ctx<'a> {
    file: &'a LoadedFile,
    out: &'a mut Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        let d = self.file.diagnostic(path, message);
        self.out.push(d);
    }

    fn errors(&mut self, list: Vec<(String, String)>) {
        for (p, m) in list {
            self.error(&p, m);
        }
    }
}

/// Compile all loaded files into one policy set. Returns `None` if anything is wrong, with
/// every problem in `out`.
pub fn compile(files: &[LoadedFile], out: &mut Vec<Diagnostic>) -> Option<PolicySet> {
    let before = out.len();
    let mut set = PolicySet::default();
    let mut metrics = MetricTable::default();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut resources: HashMap<(String, ScalableDimension), String> = HashMap::new();
    // Per compiled target: its file and its policies' paths, for cross-target checks.
    let mut places: Vec<(usize, Vec<String>)> = Vec::new();
    for (fi, file) in files.iter().enumerate() {
        let mut ctx = Ctx { file, out };
        for loaded in &file.targets {
            let doc = &loaded.doc;
            let path = item("targets", loaded.index);
            let here = format!("{} ({path})", file.source.path.display());
            if let Some(first) = names.get(&doc.name) {
                ctx.error(
                    &child(&path, "name"),
                    format!("target name `{}` is already used by {first}", doc.name),
                );
            } else {
                names.insert(doc.name.clone(), here.clone());
            }
            if let Some(spec) = target(&mut ctx, doc, &loaded.policy_index, &path, &mut metrics) {
                let key = (spec.resource_id.clone(), spec.dimension);
                if let Some(first) = resources.get(&key) {
                    ctx.error(
                        &child(&path, "resource_id"),
                        format!("{} {} is already controlled by {first}: two targets would fight over it", spec.resource_id, spec.dimension.aws_name()),
                    );
                } else {
                    resources.insert(key, here.clone());
                }
                let policy_paths = loaded
                    .policy_index
                    .iter()
                    .map(|&j| item(&child(&path, "policies"), j))
                    .collect();
                places.push((fi, policy_paths));
                set.targets.push(spec);
                set.origins.push((file.source.path.clone(), path));
            }
        }
    }
    link_guards(files, &places, &mut set.targets, out);
    set.metrics = metrics.queries;
    set.metric_history = metrics.history;
    (out.len() == before).then_some(set)
}

/// Check each quality guard's fallback against the whole set and fill in its variant: another
/// instance-count variant of the same endpoint, without a guard of its own; one guard per
/// target.
fn link_guards(
    files: &[LoadedFile],
    places: &[(usize, Vec<String>)],
    targets: &mut [TargetSpec],
    out: &mut Vec<Diagnostic>,
) {
    let has_guard = |t: &TargetSpec| {
        t.policies
            .iter()
            .any(|p| matches!(p.kind, PolicyKind::QualityGuard(_)))
    };
    let guarded: Vec<bool> = targets.iter().map(has_guard).collect();
    let variants: Vec<Option<(String, String)>> = targets
        .iter()
        .map(|t| match parse_resource(&t.resource_id) {
            Ok(Resource::Variant { endpoint, variant }) => Some((endpoint, variant)),
            _ => None,
        })
        .collect();
    let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    let dims: Vec<ScalableDimension> = targets.iter().map(|t| t.dimension).collect();
    for (ti, t) in targets.iter_mut().enumerate() {
        let (fi, paths) = &places[ti];
        let file = &files[*fi];
        let mut seen = false;
        for (k, p) in t.policies.iter_mut().enumerate() {
            let PolicyKind::QualityGuard(g) = &mut p.kind else {
                continue;
            };
            let mut err = |field: &str, m: String| {
                out.push(file.diagnostic(&child(&paths[k], field), m));
            };
            if std::mem::replace(&mut seen, true) {
                err("type", "a target has at most one quality guard".into());
                continue;
            }
            if dims[ti] != ScalableDimension::InstanceCount {
                err(
                    "type",
                    "a quality guard works on instance-count variants (its floor is in instances)"
                        .into(),
                );
                continue;
            }
            let Some(f) = names.iter().position(|n| *n == g.fallback) else {
                err(
                    "fallback",
                    format!(
                        "no target named `{}` in this policy set: the fallback variant must be a target too, so its capacity can be raised",
                        g.fallback
                    ),
                );
                continue;
            };
            let same_endpoint = match (&variants[ti], &variants[f]) {
                (Some((e1, v1)), Some((e2, v2))) if e1 == e2 && v1 != v2 => {
                    g.fallback_variant.clone_from(v2);
                    true
                }
                _ => false,
            };
            if f == ti || !same_endpoint {
                err(
                    "fallback",
                    format!(
                        "`{}` is not another variant of endpoint `{}`: traffic moves only between variants of one endpoint",
                        g.fallback, g.endpoint
                    ),
                );
            } else if guarded[f] {
                err(
                    "fallback",
                    format!(
                        "`{}` has a quality guard of its own: guards do not chain",
                        g.fallback
                    ),
                );
            } else if dims[f] != ScalableDimension::InstanceCount {
                err(
                    "fallback",
                    format!("`{}` does not scale by instance count", g.fallback),
                );
            }
        }
    }
}

fn target(
    ctx: &mut Ctx<'_>,
    doc: &TargetDoc,
    policy_index: &[usize],
    path: &str,
    metrics: &mut MetricTable,
) -> Option<TargetSpec> {
    let before = ctx.out.len();
    if !valid_name(&doc.name) {
        ctx.error(
            &child(path, "name"),
            format!(
                "target name `{}`: use 1-128 letters, digits, `.`, `_` or `-`",
                doc.name
            ),
        );
    }
    let resource = match parse_resource(&doc.resource_id) {
        Ok(r) => Some(r),
        Err(e) => {
            ctx.error(&child(path, "resource_id"), e);
            None
        }
    };
    let workload = match doc.workload.unwrap_or(WorkloadDoc::Realtime) {
        WorkloadDoc::Realtime => Workload::Realtime,
        WorkloadDoc::MultiModel => Workload::MultiModel,
        WorkloadDoc::Async => Workload::Async,
        WorkloadDoc::Serverless => Workload::Serverless,
    };
    let dimension = match (doc.dimension, &resource, workload) {
        (Some(DimensionDoc::InstanceCount), ..) => ScalableDimension::InstanceCount,
        (Some(DimensionDoc::ProvisionedConcurrency), ..) => {
            ScalableDimension::ProvisionedConcurrency
        }
        (Some(DimensionDoc::CopyCount), ..) => ScalableDimension::CopyCount,
        (None, Some(Resource::InferenceComponent { .. }), _) => ScalableDimension::CopyCount,
        (None, _, Workload::Serverless) => ScalableDimension::ProvisionedConcurrency,
        (None, ..) => ScalableDimension::InstanceCount,
    };
    let dpath = child(path, "dimension");
    match (&resource, dimension) {
        (Some(Resource::InferenceComponent { .. }), d) if d != ScalableDimension::CopyCount => {
            ctx.error(&dpath, "an inference component scales by `copy-count`");
        }
        (Some(Resource::Variant { .. }), ScalableDimension::CopyCount) => {
            ctx.error(&dpath, "`copy-count` belongs to inference components (resource `inference-component/NAME`)");
        }
        _ => {}
    }
    if (workload == Workload::Serverless)
        != (dimension == ScalableDimension::ProvisionedConcurrency)
    {
        ctx.error(&dpath, "a serverless workload scales by `provisioned-concurrency`, and only a serverless one does");
    }
    let may_be_zero = workload == Workload::Async || dimension == ScalableDimension::CopyCount;
    check_bounds(ctx, path, doc.min, doc.max, may_be_zero);

    if doc.policies.len() > MAX_POLICIES {
        ctx.error(
            &child(path, "policies"),
            format!(
                "{} policies: at most {MAX_POLICIES} per target",
                doc.policies.len()
            ),
        );
    }
    let mut policies = Vec::with_capacity(doc.policies.len());
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (p, &j) in doc.policies.iter().zip(policy_index) {
        let ppath = item(&child(path, "policies"), j);
        let name = p.name();
        if !valid_name(name) {
            ctx.error(
                &child(&ppath, "name"),
                format!("policy name `{name}`: use 1-128 letters, digits, `.`, `_` or `-`"),
            );
        }
        if let Some(first) = seen.insert(name, j) {
            ctx.error(
                &child(&ppath, "name"),
                format!("policy name `{name}` is already used by policies[{first}] of this target"),
            );
        }
        let kind = match p {
            PolicyDoc::TargetTracking(t) => {
                target_tracking(ctx, t, &ppath, resource.as_ref(), metrics)
                    .map(PolicyKind::TargetTracking)
            }
            PolicyDoc::Step(s) => {
                step(ctx, s, &ppath, resource.as_ref(), metrics).map(PolicyKind::Step)
            }
            PolicyDoc::Scheduled(s) => scheduled(ctx, s, &ppath, may_be_zero, (doc.min, doc.max))
                .map(PolicyKind::Scheduled),
            PolicyDoc::BurstAware(b) => {
                burst_aware(ctx, b, &ppath, resource.as_ref(), metrics).map(PolicyKind::BurstAware)
            }
            PolicyDoc::Predictive(p) => {
                predictive(ctx, p, &ppath, resource.as_ref(), metrics).map(PolicyKind::Predictive)
            }
            PolicyDoc::BacklogDeadline(d) => backlog_deadline(
                ctx,
                d,
                &ppath,
                resource.as_ref(),
                metrics,
                workload == Workload::Async,
            )
            .map(PolicyKind::BacklogDeadline),
            PolicyDoc::QualityGuard(q) => quality_guard(ctx, q, &ppath, resource.as_ref(), metrics)
                .map(PolicyKind::QualityGuard),
            PolicyDoc::Slo(d) => {
                slo(ctx, d, &ppath, resource.as_ref(), metrics, workload).map(PolicyKind::Slo)
            }
        };
        if let Some(kind) = kind {
            policies.push(PolicySpec {
                name: name.to_string(),
                kind,
            });
        }
    }
    let is_component = matches!(resource, Some(Resource::InferenceComponent { .. }));
    match doc.wake_from_zero {
        Some(true) if !is_component => ctx.error(
            &child(path, "wake_from_zero"),
            "only an inference component wakes on NoCapacityInvocationFailures: an endpoint variant never has zero instances (an async one wakes with `backlog-deadline`)",
        ),
        Some(true) | None if is_component && (doc.wake_from_zero.is_some() || doc.min == 0) => {
            if let Some(first) = seen.get(WAKE_POLICY) {
                ctx.error(
                    &child(&item(&child(path, "policies"), *first), "name"),
                    format!("`{WAKE_POLICY}` is the built-in wake of a component whose min is 0: rename this policy, or set `wake_from_zero = false` to wire your own"),
                );
            } else if let Some(wake) = wake_from_zero(resource.as_ref(), metrics) {
                policies.push(wake);
            }
        }
        _ => {}
    }
    (ctx.out.len() == before).then(|| TargetSpec {
        name: doc.name.clone(),
        resource_id: doc.resource_id.clone(),
        dimension,
        workload,
        min: doc.min,
        max: doc.max,
        policies,
    })
}

/// The name of an inference component's built-in wake from zero.
pub const WAKE_POLICY: &str = "wake-from-zero";

/// The built-in wake: a step policy adding one copy when `NoCapacityInvocationFailures` (Sum,
/// one minute) is at least 1 on one datapoint, with a 60 s cooldown. It is AWS's documented
/// recipe for leaving zero copies (target tracking cannot: no copy, no per-copy metric), in
/// the policy set so that `plan` and `explain` show it like any other policy.
fn wake_from_zero(resource: Option<&Resource>, metrics: &mut MetricTable) -> Option<PolicySpec> {
    let doc = super::document::MetricDoc {
        predefined: Some("NoCapacityInvocationFailures".into()),
        ..Default::default()
    };
    let mut errs = Vec::new();
    let query = metric::resolve(&doc, resource, "wake_from_zero", &mut errs)?;
    let mut alarm = AlarmSpec {
        metric: MetricId(0),
        comparison: Comparison::GreaterOrEqual,
        threshold: 1.0,
        evaluation_periods: 1,
        datapoints_to_alarm: 1,
        treat_missing: TreatMissingData::Missing,
    };
    alarm.metric = metrics.intern(query, alarm.evaluation_range());
    Some(PolicySpec {
        name: WAKE_POLICY.to_string(),
        kind: PolicyKind::Step(StepSpec {
            alarm,
            adjustment_type: AdjustmentType::ChangeInCapacity,
            steps: vec![StepAdjustment {
                lower: Some(0.0),
                upper: None,
                adjustment: 1,
            }],
            min_adjustment_magnitude: None,
            cooldown: Seconds(60),
        }),
    })
}

fn comparison(c: ComparisonDoc) -> Comparison {
    match c {
        ComparisonDoc::GreaterThanOrEqualToThreshold => Comparison::GreaterOrEqual,
        ComparisonDoc::GreaterThanThreshold => Comparison::Greater,
        ComparisonDoc::LessThanThreshold => Comparison::Less,
        ComparisonDoc::LessThanOrEqualToThreshold => Comparison::LessOrEqual,
    }
}

/// A quality guard, with its fallback's variant left for [`link_guards`] to fill in.
fn quality_guard(
    ctx: &mut Ctx<'_>,
    q: &QualityGuardDoc,
    path: &str,
    resource: Option<&Resource>,
    metrics: &mut MetricTable,
) -> Option<QualityGuardSpec> {
    let before = ctx.out.len();
    let (endpoint, variant) = match resource {
        Some(Resource::Variant { endpoint, variant }) => (endpoint.clone(), variant.clone()),
        Some(Resource::InferenceComponent { .. }) => {
            ctx.error(
                &child(path, "type"),
                "a quality guard moves traffic between endpoint variants; an inference component has no weight",
            );
            (String::new(), String::new())
        }
        None => (String::new(), String::new()),
    };
    let shift = q.shift.unwrap_or(1.0);
    if !(shift > 0.0 && shift <= 1.0) {
        ctx.error(
            &child(path, "shift"),
            format!("{shift}: use a share in (0, 1]"),
        );
    }
    let capacity_ratio = q.capacity_ratio.unwrap_or(1.0);
    if !(capacity_ratio.is_finite() && capacity_ratio > 0.0) {
        ctx.error(
            &child(path, "capacity_ratio"),
            format!("{capacity_ratio}: must be a positive number"),
        );
    }
    let recover = q.recover_after_seconds.unwrap_or(1800);
    if recover > MAX_SECONDS {
        ctx.error(
            &child(path, "recover_after_seconds"),
            format!("{recover} s: at most {MAX_SECONDS} (one day)"),
        );
    }
    let cpath = child(path, "checks");
    if q.checks.is_empty() || q.checks.len() > MAX_CHECKS {
        ctx.error(
            &cpath,
            format!("{} checks: a guard has 1 to {MAX_CHECKS}", q.checks.len()),
        );
    }
    let mut checks = Vec::new();
    for (k, c) in q.checks.iter().enumerate().take(MAX_CHECKS) {
        let at = item(&cpath, k);
        let mut errs = Vec::new();
        let query = metric::resolve(&c.metric, resource, &child(&at, "metric"), &mut errs);
        ctx.errors(errs);
        let breach = comparison(c.comparison);
        let clear = c.clear.unwrap_or(c.threshold);
        for (field, v) in [("threshold", c.threshold), ("clear", clear)] {
            if !v.is_finite() {
                ctx.error(&child(&at, field), "must be a finite number");
            }
        }
        // The clear threshold lies on the good side of the breach threshold.
        if breach.breaches(clear, c.threshold) {
            ctx.error(
                &child(&at, "clear"),
                format!(
                    "{clear} itself breaches ({} {}): put it on the good side of the threshold",
                    breach.symbol(),
                    c.threshold
                ),
            );
        }
        let n = c.evaluation_periods.unwrap_or(1);
        let m = c.datapoints_to_alarm.unwrap_or(n);
        let period = query.as_ref().map_or(60, |q| q.period().0);
        check_m_of_n(
            ctx,
            &child(&at, "datapoints_to_alarm"),
            &child(&at, "evaluation_periods"),
            m,
            n,
            period,
        );
        if let Some(query) = query {
            let alarm = |comparison, threshold| AlarmSpec {
                metric: sagescale_metrics::MetricId(0),
                comparison,
                threshold,
                evaluation_periods: n,
                datapoints_to_alarm: m,
                treat_missing: TreatMissingData::Missing,
            };
            let mut b = alarm(breach, c.threshold);
            // Clear means the opposite comparison at the clear threshold.
            let opposite = match breach {
                Comparison::Greater => Comparison::LessOrEqual,
                Comparison::GreaterOrEqual => Comparison::Less,
                Comparison::Less => Comparison::GreaterOrEqual,
                Comparison::LessOrEqual => Comparison::Greater,
            };
            let mut cl = alarm(opposite, clear);
            let id = metrics.intern(query, b.evaluation_range());
            b.metric = id;
            cl.metric = id;
            checks.push(QualityCheck {
                breach: b,
                clear: cl,
            });
        }
    }
    (ctx.out.len() == before).then(|| QualityGuardSpec {
        checks,
        fallback: q.fallback.clone(),
        fallback_variant: String::new(),
        variant,
        endpoint,
        shift,
        capacity_ratio,
        recover_after: Seconds(recover),
    })
}

fn check_bounds(ctx: &mut Ctx<'_>, path: &str, min: u32, max: u32, may_be_zero: bool) {
    if min > max {
        ctx.error(&child(path, "min"), format!("min {min} is above max {max}"));
    }
    if max == 0 {
        ctx.error(&child(path, "max"), "max must be at least 1");
    }
    if max > MAX_CAPACITY {
        ctx.error(
            &child(path, "max"),
            format!("max {max} is above sagescale's ceiling of {MAX_CAPACITY}"),
        );
    }
    if min == 0 && !may_be_zero {
        ctx.error(&child(path, "min"), "min 0 is only for async endpoints and inference components; real-time variants need at least 1 instance");
    }
}

fn target_tracking(
    ctx: &mut Ctx<'_>,
    t: &TargetTrackingDoc,
    path: &str,
    resource: Option<&Resource>,
    metrics: &mut MetricTable,
) -> Option<TargetTrackingSpec> {
    let before = ctx.out.len();
    let mut errs = Vec::new();
    let query = metric::resolve(&t.metric, resource, &child(path, "metric"), &mut errs);
    ctx.errors(errs);
    if !(t.target.is_finite() && t.target > 0.0) {
        ctx.error(
            &child(path, "target"),
            format!("target {} must be a number above 0", t.target),
        );
    }
    let out_cd = cooldown(
        ctx,
        t.scale_out_cooldown,
        &child(path, "scale_out_cooldown"),
    );
    let in_cd = cooldown(ctx, t.scale_in_cooldown, &child(path, "scale_in_cooldown"));
    let period = query.as_ref().map_or(60, |q| q.period().0);
    let out_shape = shape(
        ctx,
        path,
        "scale_out",
        t.scale_out_datapoints,
        t.scale_out_evaluation_periods,
        3,
        period,
    );
    let in_shape = shape(
        ctx,
        path,
        "scale_in",
        t.scale_in_datapoints,
        t.scale_in_evaluation_periods,
        15,
        period,
    );
    let ratio = t.scale_in_ratio.unwrap_or(0.9);
    if !(ratio > 0.0 && ratio <= 1.0) {
        ctx.error(
            &child(path, "scale_in_ratio"),
            format!("scale_in_ratio {ratio} must be above 0 and at most 1"),
        );
    }
    if ctx.out.len() != before {
        return None;
    }
    let range = usize::from(
        out_shape
            .evaluation_periods
            .max(in_shape.evaluation_periods),
    ) * 2;
    let id = metrics.intern(query?, range);
    Some(TargetTrackingSpec::new(
        id,
        t.target,
        out_shape,
        in_shape,
        ratio,
        out_cd,
        in_cd,
        t.disable_scale_in,
    ))
}

/// How a policy that sizes capacity from the load reads its metric.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LoadUse {
    /// Predictive: forecasts the history, so the metric must be a total.
    TotalOnly,
    /// Burst-aware: a total, or one unit's share × the capacity in service.
    Burst(Option<LoadDoc>),
}

/// A load metric for a burst-aware or predictive policy at `path`, or an error; and whether
/// its value is one unit's share (the load is value × capacity). The metric catalogue says what
/// one value measures: a utilisation is no load, and a per-unit metric is a total only when
/// multiplied out.
fn load_metric(
    ctx: &mut Ctx<'_>,
    doc: &super::document::MetricDoc,
    path: &str,
    resource: Option<&Resource>,
    what: &str,
    usage: LoadUse,
) -> (Option<MetricQuery>, bool) {
    let mut errs = Vec::new();
    let mpath = child(path, "metric");
    let query = metric::resolve(doc, resource, &mpath, &mut errs);
    ctx.errors(errs);
    let declared = match usage {
        LoadUse::Burst(l) => l,
        LoadUse::TotalOnly => None,
    };
    let per_unit = declared == Some(LoadDoc::PerUnit);
    let known = match &query {
        Some(MetricQuery::Stat(s)) => catalogue::lookup(&s.namespace, &s.name),
        _ => None,
    };
    let Some(def) = known else {
        // A custom metric or an expression: what one value is, the file says.
        return (query, per_unit);
    };
    let name = def.name;
    if matches!(def.unit, Unit::Percent | Unit::Ratio) {
        ctx.error(
            &mpath,
            format!("{name} is a utilisation, not a load; {what} sizes from a load (e.g. Invocations), or use target-tracking"),
        );
    } else if def.measures.is_per_unit() && !per_unit {
        let measures = def.measures.describe();
        let fix = match usage {
            LoadUse::TotalOnly => {
                "a forecast needs the whole target's load: use a total such as Invocations"
            }
            LoadUse::Burst(_) => {
                "set `load = \"per-unit\"` to size from its value × the capacity in service (as the Kubernetes HPA does for an AverageValue target), or use a total such as Invocations"
            }
        };
        ctx.error(
            &mpath,
            format!("{name} measures {measures}, not the whole target's load, so {what} would read it as a total and shrink the fleet; {fix}"),
        );
    } else if per_unit && !def.measures.is_per_unit() {
        ctx.error(
            &child(path, "load"),
            format!(
                "{name} already measures {}: it is a total, so drop `load = \"per-unit\"` (or set `load = \"total\"`)",
                def.measures.describe()
            ),
        );
    }
    (query, per_unit)
}

fn backlog_deadline(
    ctx: &mut Ctx<'_>,
    d: &BacklogDeadlineDoc,
    path: &str,
    resource: Option<&Resource>,
    metrics: &mut MetricTable,
    asynchronous: bool,
) -> Option<DeadlineSpec> {
    let before = ctx.out.len();
    if !asynchronous {
        ctx.error(
            &child(path, "type"),
            "backlog-deadline is for async endpoints (`workload = \"async\"`)",
        );
    }
    let default = |name: &str| super::document::MetricDoc {
        predefined: Some(name.into()),
        statistic: Some("Maximum".into()),
        ..Default::default()
    };
    let (default_backlog, default_age) = (
        default("ApproximateBacklogSize"),
        default("ApproximateAgeOfOldestRequest"),
    );
    let mut errs = Vec::new();
    let backlog = metric::resolve(
        d.backlog.as_ref().unwrap_or(&default_backlog),
        resource,
        &child(path, "backlog"),
        &mut errs,
    );
    let age = metric::resolve(
        d.age.as_ref().unwrap_or(&default_age),
        resource,
        &child(path, "age"),
        &mut errs,
    );
    ctx.errors(errs);
    if !(d.instance_throughput_per_minute.is_finite() && d.instance_throughput_per_minute > 0.0) {
        ctx.error(
            &child(path, "instance_throughput_per_minute"),
            format!(
                "{} must be a number above 0",
                d.instance_throughput_per_minute
            ),
        );
    }
    if d.deadline_seconds < 60 || d.deadline_seconds > MAX_SECONDS {
        ctx.error(
            &child(path, "deadline_seconds"),
            format!("{} s: between 60 and {MAX_SECONDS}", d.deadline_seconds),
        );
    }
    let safety = d.safety.unwrap_or(0.8);
    if !(safety > 0.0 && safety <= 1.0) {
        ctx.error(
            &child(path, "safety"),
            format!("{safety}: must be above 0 and at most 1"),
        );
    }
    let idle = d.idle_seconds.unwrap_or(600);
    if idle > MAX_SECONDS {
        ctx.error(
            &child(path, "idle_seconds"),
            format!("{idle} s: at most {MAX_SECONDS}"),
        );
    }
    if ctx.out.len() != before {
        return None;
    }
    let mut spec = DeadlineSpec {
        backlog: MetricId(0),
        age: MetricId(0),
        throughput_per_s: d.instance_throughput_per_minute / 60.0,
        deadline: Seconds(d.deadline_seconds),
        safety,
        idle: Seconds(idle),
    };
    let (b, a) = (backlog?, age?);
    let history = spec.history(b.period());
    spec.backlog = metrics.intern(b, history);
    spec.age = metrics.intern(a, 2);
    Some(spec)
}

fn slo(
    ctx: &mut Ctx<'_>,
    d: &SloDoc,
    path: &str,
    resource: Option<&Resource>,
    metrics: &mut MetricTable,
    workload: Workload,
) -> Option<SloSpec> {
    let before = ctx.out.len();
    if matches!(workload, Workload::Async | Workload::Serverless) {
        ctx.error(
            &child(path, "type"),
            "`slo` sizes real-time capacity (real-time and multi-model endpoints): an async endpoint uses `backlog-deadline`, a serverless one `target-tracking` on provisioned concurrency",
        );
    }
    let component = matches!(resource, Some(Resource::InferenceComponent { .. }));
    if !(d.p99_latency_ms.is_finite() && d.p99_latency_ms > 0.0) {
        ctx.error(
            &child(path, "p99_latency_ms"),
            format!(
                "{} must be a number of milliseconds above 0",
                d.p99_latency_ms
            ),
        );
    }
    let error = d.max_error_rate.unwrap_or(0.001);
    if !(0.0..1.0).contains(&error) {
        ctx.error(
            &child(path, "max_error_rate"),
            format!("{error}: a share of requests, at least 0 and below 1 (0.001 is 0.1 %)"),
        );
    }
    let risk = d.risk.unwrap_or(0.05);
    if !(risk > 0.0 && risk <= 0.5) {
        ctx.error(
            &child(path, "risk"),
            format!("{risk}: a chance above 0 and at most 0.5 (0.05 is 5 %)"),
        );
    }
    if let Some(c) = d.relaunch_cost_minutes {
        if !(c.is_finite() && (0.0..=240.0).contains(&c)) {
            ctx.error(
                &child(path, "relaunch_cost_minutes"),
                format!("{c}: minutes of one instance (or copy), 0 to 240"),
            );
        }
    }
    let band_hours = d.band_history_hours.unwrap_or(6);
    if !(1..=24).contains(&band_hours) {
        ctx.error(
            &child(path, "band_history_hours"),
            format!("{band_hours}: 1 to 24 hours"),
        );
    }
    let lead = d.lead_seconds.unwrap_or(381);
    if !(60..=3600).contains(&lead) {
        ctx.error(
            &child(path, "lead_seconds"),
            format!("{lead} s: between 60 and 3600"),
        );
    }
    let timeout = d.timeout_seconds.unwrap_or(60);
    if !(1..=3600).contains(&timeout) {
        ctx.error(
            &child(path, "timeout_seconds"),
            format!("{timeout} s: between 1 and 3600"),
        );
    }
    let days = d.seasonal_days.unwrap_or(7);
    if days != 0 && !(2..=28).contains(&days) {
        ctx.error(
            &child(path, "seasonal_days"),
            format!("{days}: 2 to 28 days, or 0 for no seasonal forecast"),
        );
    }
    let stat = |name: &str, statistic: &str, period: Option<u32>| super::document::MetricDoc {
        predefined: Some(name.into()),
        statistic: Some(statistic.into()),
        period,
        ..Default::default()
    };
    let resolve = |doc: &super::document::MetricDoc, ctx: &mut Ctx<'_>| {
        let mut errs = Vec::new();
        let q = metric::resolve(doc, resource, &child(path, "type"), &mut errs);
        ctx.errors(errs);
        q
    };
    let query = |name: &str, statistic: &str, period: Option<u32>, ctx: &mut Ctx<'_>| {
        resolve(&stat(name, statistic, period), ctx)
    };
    let load = query("Invocations", "Sum", None, ctx);
    let mean = query("ModelLatency", "Average", None, ctx);
    let p50 = query("ModelLatency", "p50", None, ctx);
    let p99 = query("ModelLatency", "p99", None, ctx);
    // A component at zero copies serves nothing, so its demand then shows only in
    // `NoCapacityInvocationFailures`: its forecast reads both, the missing ones as 0 (metric
    // math, as GetMetricData computes it), so a job that found no copy is forecast for the next
    // day from its true start and size.
    let seasonal = (days > 0)
        .then(|| {
            if component {
                let inputs = [
                    ("served", stat("Invocations", "Sum", Some(300))),
                    (
                        "refused",
                        stat("NoCapacityInvocationFailures", "Sum", Some(300)),
                    ),
                ];
                let doc = super::document::MetricDoc {
                    expression: Some(COMPONENT_DEMAND.into()),
                    period: Some(300),
                    metrics: Some(inputs.into_iter().map(|(k, v)| (k.into(), v)).collect()),
                    ..Default::default()
                };
                resolve(&doc, ctx)
            } else {
                query("Invocations", "Sum", Some(300), ctx)
            }
        })
        .flatten();
    // SageMaker publishes no Invocations datapoint of zero. A component's idle copies publish
    // 0 in flight; a variant's instances publish their utilisation, requests or none.
    let (idle_metric, idle_statistic, idle_sign): (_, _, fn(MetricId) -> IdleSign) = if component {
        (
            "ConcurrentRequestsPerCopy",
            "Maximum",
            IdleSign::ZeroInFlight,
        )
    } else {
        ("CPUUtilization", "Average", IdleSign::InstancesPublished)
    };
    let idle = query(idle_metric, idle_statistic, Some(60), ctx);
    if ctx.out.len() != before {
        return None;
    }
    let mut spec = SloSpec {
        load: MetricId(0),
        latency: MetricId(0),
        latency_p50: MetricId(0),
        latency_p99: MetricId(0),
        // ModelLatency is published in microseconds (the metric catalogue's unit).
        latency_unit_s: 1e-6,
        idle: None,
        forecast: None,
        p99_s: d.p99_latency_ms / 1e3,
        max_error_rate: error,
        timeout_s: f64::from(timeout),
        risk,
        relaunch_cost_minutes: d.relaunch_cost_minutes,
        band_history_s: band_hours * 3600,
        documented_lead: Seconds(lead),
    };
    let (load, mean, p50, p99) = (load?, mean?, p50?, p99?);
    spec.load = metrics.intern(load.clone(), spec.load_history(load.period()));
    spec.latency = metrics.intern(mean, spec.latency_history());
    spec.latency_p50 = metrics.intern(p50, spec.latency_history());
    spec.latency_p99 = metrics.intern(p99, spec.latency_history());
    let idle_history = idle_sign(MetricId(0)).history();
    spec.idle = idle.map(|q| idle_sign(metrics.intern(q, idle_history)));
    if let Some(q) = seasonal {
        let mut f = PredictiveSpec {
            metric: MetricId(0),
            target: 1.0,
            // Replaced by the horizon at each evaluation; sized here for the history.
            lead: Seconds(3600),
            history_days: days,
            max_error: 0.3,
            mode: PredictiveMode::ForecastOnly,
            // A component's idle Invocations publish nothing: no datapoint is no requests.
            missing_is_zero: component,
        };
        let history = f.history(q.period());
        f.metric = metrics.intern(q, history);
        spec.forecast = Some(f);
    }
    Some(spec)
}

fn predictive(
    ctx: &mut Ctx<'_>,
    p: &PredictiveDoc,
    path: &str,
    resource: Option<&Resource>,
    metrics: &mut MetricTable,
) -> Option<PredictiveSpec> {
    let before = ctx.out.len();
    let (query, _) = load_metric(
        ctx,
        &p.metric,
        path,
        resource,
        "predictive",
        LoadUse::TotalOnly,
    );
    if !(p.target.is_finite() && p.target > 0.0) {
        ctx.error(
            &child(path, "target"),
            format!("target {} must be a number above 0", p.target),
        );
    }
    let period = query.as_ref().map_or(60, |q| q.period().0);
    if !(60..=3600).contains(&period) {
        ctx.error(
            &child(path, "metric"),
            format!("a period of {period} s: a forecast needs 60 to 3600 s"),
        );
    }
    let lead = p.lead_seconds.unwrap_or(900);
    if lead < period || lead > 6 * 3600 {
        ctx.error(
            &child(path, "lead_seconds"),
            format!("{lead} s: between one metric period ({period} s) and 6 hours"),
        );
    }
    let days = p.history_days.unwrap_or(7);
    if !(2..=28).contains(&days) {
        ctx.error(
            &child(path, "history_days"),
            format!("{days}: 2 to 28 days"),
        );
    }
    let max_error = p.max_error.unwrap_or(0.3);
    if !(max_error.is_finite() && max_error > 0.0) {
        ctx.error(
            &child(path, "max_error"),
            format!("{max_error}: must be above 0"),
        );
    }
    if ctx.out.len() != before {
        return None;
    }
    let mut spec = PredictiveSpec {
        metric: MetricId(0),
        target: p.target,
        lead: Seconds(lead),
        history_days: days,
        max_error,
        mode: match p.mode {
            Some(PredictiveModeDoc::ForecastAndScale) => PredictiveMode::ForecastAndScale,
            Some(PredictiveModeDoc::ForecastOnly) | None => PredictiveMode::ForecastOnly,
        },
        // Any total the user names: a missing datapoint is unknown.
        missing_is_zero: false,
    };
    let q = query?;
    let history = spec.history(q.period());
    spec.metric = metrics.intern(q, history);
    Some(spec)
}

fn burst_aware(
    ctx: &mut Ctx<'_>,
    b: &BurstAwareDoc,
    path: &str,
    resource: Option<&Resource>,
    metrics: &mut MetricTable,
) -> Option<BurstSpec> {
    let before = ctx.out.len();
    let (query, per_unit) = load_metric(
        ctx,
        &b.metric,
        path,
        resource,
        "burst-aware",
        LoadUse::Burst(b.load),
    );
    if !(b.target.is_finite() && b.target > 0.0) {
        ctx.error(
            &child(path, "target"),
            format!("target {} must be a number above 0", b.target),
        );
    }
    let period = query.as_ref().map_or(60, |q| q.period().0);
    let stable = b.stable_window_seconds.unwrap_or(180.max(period));
    let panic_window = b.panic_window_seconds.unwrap_or(period);
    for (field, v) in [
        ("stable_window_seconds", stable),
        ("panic_window_seconds", panic_window),
    ] {
        if v < period || v > 3600 {
            ctx.error(
                &child(path, field),
                format!("{v} s: must be between one metric period ({period} s) and 3600 s"),
            );
        }
    }
    if panic_window > stable {
        ctx.error(
            &child(path, "panic_window_seconds"),
            format!("{panic_window} s is longer than the stable window ({stable} s)"),
        );
    }
    let threshold = b.panic_threshold.unwrap_or(2.0);
    if !(threshold == 0.0 || (threshold.is_finite() && threshold > 1.0)) {
        ctx.error(
            &child(path, "panic_threshold"),
            format!("{threshold}: must be above 1, or 0 to turn panic off"),
        );
    }
    let stabilization = b.scale_in_stabilization_seconds.unwrap_or(300);
    if stabilization > MAX_SECONDS {
        ctx.error(
            &child(path, "scale_in_stabilization_seconds"),
            format!("{stabilization} s: at most {MAX_SECONDS}"),
        );
    }
    let tolerance = b.tolerance.unwrap_or(0.1);
    if !(0.0..1.0).contains(&tolerance) {
        ctx.error(
            &child(path, "tolerance"),
            format!("{tolerance}: must lie in [0, 1)"),
        );
    }
    if ctx.out.len() != before {
        return None;
    }
    let mut spec = BurstSpec {
        metric: MetricId(0),
        per_unit,
        target: b.target,
        stable_window: Seconds(stable),
        panic_window: Seconds(panic_window),
        panic_threshold: if threshold == 0.0 {
            f64::INFINITY
        } else {
            threshold
        },
        scale_in_stabilization: Seconds(stabilization),
        tolerance,
        disable_scale_in: b.disable_scale_in,
    };
    let q = query?;
    let history = spec.history(q.period());
    spec.metric = metrics.intern(q, history);
    Some(spec)
}

fn cooldown(ctx: &mut Ctx<'_>, value: Option<u32>, path: &str) -> Seconds {
    let v = value.unwrap_or(DEFAULT_COOLDOWN);
    if v > MAX_SECONDS {
        ctx.error(
            path,
            format!("{v} s: a cooldown is at most {MAX_SECONDS} s (one day)"),
        );
    }
    Seconds(v)
}

fn shape(
    ctx: &mut Ctx<'_>,
    path: &str,
    prefix: &str,
    m: Option<u16>,
    n: Option<u16>,
    default: u16,
    period: u32,
) -> AlarmShape {
    let n = n.unwrap_or(default.max(m.unwrap_or(0)));
    let m = m.unwrap_or(n);
    check_m_of_n(
        ctx,
        &child(path, &format!("{prefix}_datapoints")),
        &child(path, &format!("{prefix}_evaluation_periods")),
        m,
        n,
        period,
    );
    AlarmShape {
        evaluation_periods: n,
        datapoints_to_alarm: m,
    }
}

fn check_m_of_n(ctx: &mut Ctx<'_>, m_path: &str, n_path: &str, m: u16, n: u16, period: u32) {
    if n == 0 {
        ctx.error(n_path, "evaluation periods must be at least 1");
    }
    if m == 0 || m > n {
        ctx.error(
            m_path,
            format!("{m} datapoints: must be between 1 and the evaluation periods ({n})"),
        );
    }
    if u64::from(n) * u64::from(period) > u64::from(MAX_SECONDS) {
        ctx.error(
            n_path,
            format!("{n} periods of {period} s exceed CloudWatch's one-day evaluation window"),
        );
    }
}

fn step(
    ctx: &mut Ctx<'_>,
    s: &StepDoc,
    path: &str,
    resource: Option<&Resource>,
    metrics: &mut MetricTable,
) -> Option<StepSpec> {
    let before = ctx.out.len();
    let alarm_path = child(path, "alarm");
    let (alarm, query) = alarm(ctx, &s.alarm, &alarm_path, resource);
    let adjustment_type = match s.adjustment_type {
        AdjustmentTypeDoc::ChangeInCapacity => AdjustmentType::ChangeInCapacity,
        AdjustmentTypeDoc::PercentChangeInCapacity => AdjustmentType::PercentChangeInCapacity,
        AdjustmentTypeDoc::ExactCapacity => AdjustmentType::ExactCapacity,
    };
    match s.min_adjustment_magnitude {
        Some(_) if adjustment_type != AdjustmentType::PercentChangeInCapacity => {
            ctx.error(
                &child(path, "min_adjustment_magnitude"),
                "min_adjustment_magnitude applies only to PercentChangeInCapacity",
            );
        }
        Some(0) => ctx.error(
            &child(path, "min_adjustment_magnitude"),
            "min_adjustment_magnitude must be at least 1",
        ),
        _ => {}
    }
    let steps: Vec<StepAdjustment> = s
        .steps
        .iter()
        .map(|d| StepAdjustment {
            lower: d.lower,
            upper: d.upper,
            adjustment: d.adjustment,
        })
        .collect();
    check_steps(
        ctx,
        &steps,
        adjustment_type,
        s.alarm.comparison,
        &child(path, "steps"),
    );
    let cd = cooldown(ctx, s.cooldown, &child(path, "cooldown"));
    if ctx.out.len() != before {
        return None;
    }
    let mut alarm = alarm?;
    alarm.metric = metrics.intern(query?, alarm.evaluation_range());
    Some(StepSpec {
        alarm,
        adjustment_type,
        steps,
        min_adjustment_magnitude: s.min_adjustment_magnitude,
        cooldown: cd,
    })
}

fn alarm(
    ctx: &mut Ctx<'_>,
    a: &AlarmDoc,
    path: &str,
    resource: Option<&Resource>,
) -> (Option<AlarmSpec>, Option<MetricQuery>) {
    let before = ctx.out.len();
    let mut errs = Vec::new();
    let query = metric::resolve(&a.metric, resource, &child(path, "metric"), &mut errs);
    ctx.errors(errs);
    if !a.threshold.is_finite() {
        ctx.error(
            &child(path, "threshold"),
            "the threshold must be a finite number",
        );
    }
    let n = a.evaluation_periods.unwrap_or(1);
    let m = a.datapoints_to_alarm.unwrap_or(n);
    let period = query.as_ref().map_or(60, |q| q.period().0);
    check_m_of_n(
        ctx,
        &child(path, "datapoints_to_alarm"),
        &child(path, "evaluation_periods"),
        m,
        n,
        period,
    );
    if ctx.out.len() != before {
        return (None, query);
    }
    let spec = AlarmSpec {
        metric: sagescale_metrics::MetricId(0),
        comparison: comparison(a.comparison),
        threshold: a.threshold,
        evaluation_periods: n,
        datapoints_to_alarm: m,
        treat_missing: match a.treat_missing_data.unwrap_or(TreatMissingDoc::Missing) {
            TreatMissingDoc::Missing => TreatMissingData::Missing,
            TreatMissingDoc::Ignore => TreatMissingData::Ignore,
            TreatMissingDoc::Breaching => TreatMissingData::Breaching,
            TreatMissingDoc::NotBreaching => TreatMissingData::NotBreaching,
        },
    };
    (Some(spec), query)
}

/// Application Auto Scaling's rules for step bounds: no gaps, no overlaps, at most one
/// unbounded step each way, an unbounded step wherever the bounds reach past zero, and at most
/// 20 steps. sagescale adds: a step the alarm can never reach is an error.
fn check_steps(
    ctx: &mut Ctx<'_>,
    steps: &[StepAdjustment],
    kind: AdjustmentType,
    comparison: ComparisonDoc,
    path: &str,
) {
    if steps.is_empty() {
        ctx.error(path, "a step policy needs at least one step");
        return;
    }
    if steps.len() > MAX_STEPS {
        ctx.error(path, format!("{} steps: at most {MAX_STEPS}", steps.len()));
    }
    let above = matches!(
        comparison,
        ComparisonDoc::GreaterThanOrEqualToThreshold | ComparisonDoc::GreaterThanThreshold
    );
    for (k, s) in steps.iter().enumerate() {
        let spath = item(path, k);
        for (name, v) in [("lower", s.lower), ("upper", s.upper)] {
            if v.is_some_and(|v| !v.is_finite()) {
                ctx.error(
                    &child(&spath, name),
                    "a bound must be a finite number, or absent for unbounded",
                );
            }
        }
        if let (Some(lo), Some(hi)) = (s.lower, s.upper) {
            if lo >= hi {
                ctx.error(
                    &child(&spath, "upper"),
                    format!("upper {hi} must be above lower {lo}"),
                );
            }
        }
        if s.lower.is_none() && s.upper.is_none() && steps.len() > 1 {
            ctx.error(
                &spath,
                "a step unbounded on both sides leaves no room for other steps",
            );
        }
        if above && s.upper.is_some_and(|u| u <= 0.0) {
            ctx.error(&child(&spath, "upper"), "this alarm breaches above its threshold, so offsets are >= 0 and this step never applies");
        }
        if !above && s.lower.is_some_and(|l| l >= 0.0) {
            ctx.error(&child(&spath, "lower"), "this alarm breaches below its threshold, so offsets are <= 0 and this step never applies");
        }
        if kind == AdjustmentType::ExactCapacity && s.adjustment < 0 {
            ctx.error(
                &child(&spath, "adjustment"),
                "ExactCapacity cannot be negative",
            );
        }
    }
    let null_lower = steps.iter().filter(|s| s.lower.is_none()).count();
    let null_upper = steps.iter().filter(|s| s.upper.is_none()).count();
    if null_lower > 1 {
        ctx.error(path, "only one step may have no lower bound");
    }
    if null_upper > 1 {
        ctx.error(path, "only one step may have no upper bound");
    }
    if null_lower == 0 && steps.iter().any(|s| s.lower.is_some_and(|l| l < 0.0)) {
        ctx.error(
            path,
            "a step has a negative lower bound, so one step must have no lower bound",
        );
    }
    if null_upper == 0 && steps.iter().any(|s| s.upper.is_some_and(|u| u > 0.0)) {
        ctx.error(
            path,
            "a step has a positive upper bound, so one step must have no upper bound",
        );
    }
    // Gaps and overlaps: sorted by lower bound, each step starts where the previous ends.
    let mut order: Vec<usize> = (0..steps.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |s: &StepAdjustment| s.lower.unwrap_or(f64::NEG_INFINITY);
        key(&steps[a]).total_cmp(&key(&steps[b]))
    });
    for pair in order.windows(2) {
        let (a, b) = (&steps[pair[0]], &steps[pair[1]]);
        let bpath = child(&item(path, pair[1]), "lower");
        match (a.upper, b.lower) {
            (Some(u), Some(l)) if u < l => ctx.error(
                &bpath,
                format!(
                    "gap between steps[{}] (upper {u}) and steps[{}] (lower {l})",
                    pair[0], pair[1]
                ),
            ),
            (Some(u), Some(l)) if u > l => ctx.error(
                &bpath,
                format!(
                    "steps[{}] (upper {u}) overlaps steps[{}] (lower {l})",
                    pair[0], pair[1]
                ),
            ),
            (None, _) => ctx.error(
                &bpath,
                format!(
                    "steps[{}] has no upper bound, so it overlaps steps[{}]",
                    pair[0], pair[1]
                ),
            ),
            _ => {}
        }
    }
}

fn scheduled(
    ctx: &mut Ctx<'_>,
    s: &ScheduledDoc,
    path: &str,
    may_be_zero: bool,
    (target_min, target_max): (u32, u32),
) -> Option<ScheduleSpec> {
    let before = ctx.out.len();
    let tz = match trigger::timezone(s.timezone.as_deref().unwrap_or("UTC")) {
        Ok(tz) => tz,
        Err(e) => {
            ctx.error(&child(path, "timezone"), e);
            chrono_tz::Tz::UTC
        }
    };
    let mut instant = |field: &str, v: &Option<String>| {
        v.as_deref().and_then(|t| match trigger::instant(t, tz) {
            Ok(ts) => Some(ts),
            Err(e) => {
                ctx.error(&child(path, field), e);
                None
            }
        })
    };
    let start = instant("start", &s.start);
    let end = instant("end", &s.end);
    if let (Some(a), Some(b)) = (start, end) {
        if a >= b {
            ctx.error(&child(path, "end"), "end must be after start");
        }
    }
    let trigger = match trigger::parse(&s.schedule, tz, start) {
        Ok(t) => Some(t),
        Err(e) => {
            ctx.error(&child(path, "schedule"), e);
            None
        }
    };
    match (s.min, s.max) {
        (None, None) => ctx.error(path, "a scheduled action sets `min`, `max` or both"),
        (Some(lo), Some(hi)) => check_bounds(ctx, path, lo, hi, may_be_zero),
        (Some(lo), None) => {
            check_bounds(ctx, path, lo, lo.max(1), may_be_zero);
            // The other bound stays the target's: the pair must still be a range.
            if lo > target_max {
                ctx.error(
                    &child(path, "min"),
                    format!(
                        "{lo} is above the target's max ({target_max}), which this action leaves in force: raise the target's `max`, or give this action a `max` too"
                    ),
                );
            }
        }
        (None, Some(hi)) => {
            check_bounds(ctx, path, hi.min(1), hi, true);
            if hi < target_min {
                ctx.error(
                    &child(path, "max"),
                    format!(
                        "{hi} is below the target's min ({target_min}), which this action leaves in force: lower the target's `min`, or give this action a `min` too"
                    ),
                );
            }
        }
    }
    if ctx.out.len() != before {
        return None;
    }
    Some(ScheduleSpec {
        trigger: trigger?,
        start,
        end,
        min: s.min,
        max: s.max,
    })
}

fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// SageMaker resource names: letters and digits, with single or repeated hyphens inside.
fn valid_sagemaker_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Parse a resource id into what it names.
pub fn parse_resource(id: &str) -> Result<Resource, String> {
    let parts: Vec<&str> = id.split('/').collect();
    let bad = |what: &str, name: &str| {
        format!("{what} `{name}` in `{id}` is not a SageMaker name (1-63 letters, digits and inner hyphens)")
    };
    match parts.as_slice() {
        ["endpoint", endpoint, "variant", variant] => {
            if !valid_sagemaker_name(endpoint) {
                return Err(bad("endpoint name", endpoint));
            }
            if !valid_sagemaker_name(variant) {
                return Err(bad("variant name", variant));
            }
            Ok(Resource::Variant { endpoint: (*endpoint).to_string(), variant: (*variant).to_string() })
        }
        ["inference-component", name] => {
            if !valid_sagemaker_name(name) {
                return Err(bad("inference component name", name));
            }
            Ok(Resource::InferenceComponent { name: (*name).to_string() })
        }
        _ => Err(format!("`{id}` is not a SageMaker resource id: expected `endpoint/NAME/variant/VARIANT` or `inference-component/NAME`")),
    }
}
