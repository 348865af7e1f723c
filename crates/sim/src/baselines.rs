//! The baselines every comparison includes beside the compared policies: the AWS emulation
//! (target tracking as AWS documents it per workload, and step scaling), and the peers users
//! would otherwise pick (Kubernetes HPA, Knative KPA, KEDA's CloudWatch scaler), each played by
//! the engine with the peer's documented defaults.

use super::run::{run, Driver, Replay, RunOutput};
use super::scenario::SimTarget;
use sagescale_engine::alarm::{AlarmSpec, Comparison as AlarmComparison, TreatMissingData};
use sagescale_engine::burst::BurstSpec;
use sagescale_engine::step::{AdjustmentType, StepAdjustment, StepSpec};
use sagescale_engine::target_tracking::TargetTrackingSpec;
use sagescale_engine::{PolicyKind, PolicySpec, ScalableDimension, Seconds, TargetSpec, Workload};
use sagescale_metrics::{MetricId, MetricQuery, Statistic};

use super::contender::Kind;

/// The AWS emulation's target, as AWS documents it for the workload: real-time, target
/// tracking on InvocationsPerInstance with AWS defaults; async, target tracking on
/// ApproximateBacklogSizePerInstance plus a +1 step policy on HasBacklogWithoutCapacity
/// (average, 60 s, 2 of 2, >= 1) to wake from zero; serverless, target tracking of the
/// provisioned concurrency on SageMakerVariantProvisionedConcurrencyUtilization.
#[must_use]
pub fn aws_baseline(t: &SimTarget) -> (TargetSpec, Vec<MetricQuery>, Vec<u32>) {
    let stat = |name: &str, statistic| MetricQuery::sagemaker(name, statistic, Seconds(60));
    let serverless = t.serverless_endpoint.is_some();
    let tracked = if t.asynchronous {
        "ApproximateBacklogSizePerInstance"
    } else if serverless {
        "ServerlessProvisionedConcurrencyUtilization"
    } else {
        "InvocationsPerInstance"
    };
    let mut policies = vec![PolicySpec {
        name: "aws-target-tracking".into(),
        kind: PolicyKind::TargetTracking(TargetTrackingSpec::aws_default(
            MetricId(0),
            t.aws_target,
        )),
    }];
    let mut queries = vec![stat(
        tracked,
        if t.asynchronous || serverless {
            Statistic::Average
        } else {
            Statistic::Sum
        },
    )];
    let mut history = vec![30];
    if t.asynchronous {
        policies.push(PolicySpec {
            name: "aws-wake-from-zero".into(),
            kind: PolicyKind::Step(StepSpec {
                alarm: AlarmSpec {
                    metric: MetricId(1),
                    comparison: AlarmComparison::GreaterOrEqual,
                    threshold: 1.0,
                    evaluation_periods: 2,
                    datapoints_to_alarm: 2,
                    treat_missing: TreatMissingData::Missing,
                },
                adjustment_type: AdjustmentType::ChangeInCapacity,
                steps: vec![StepAdjustment {
                    lower: Some(0.0),
                    upper: None,
                    adjustment: 1,
                }],
                min_adjustment_magnitude: None,
                cooldown: Seconds(300),
            }),
        });
        queries.push(stat("HasBacklogWithoutCapacity", Statistic::Average));
        history.push(4);
    }
    let spec = TargetSpec {
        name: t.name.clone(),
        resource_id: format!("endpoint/{}/variant/AllTraffic", t.name),
        dimension: if serverless {
            ScalableDimension::ProvisionedConcurrency
        } else {
            ScalableDimension::InstanceCount
        },
        workload: if t.asynchronous {
            Workload::Async
        } else if serverless {
            Workload::Serverless
        } else {
            Workload::Realtime
        },
        min: t.min,
        max: t.max,
        policies,
    };
    (spec, queries, history)
}

/// The peers users would otherwise pick, emulated with their documented defaults
/// (DESIGN §4), on real-time and multi-model endpoints; each sizes from the total load as
/// `ceil(load / per-instance target)`, through the engine's burst-aware policy:
/// - `k8s-hpa`: Kubernetes HPA on the per-minute `Invocations` through a CloudWatch metrics
///   adapter, at the AWS emulation's per-instance target: tolerance 0.1, 300 s scale-down
///   stabilisation, no panic.
/// - `knative-kpa`: Knative's KPA on concurrency (the 10-second `ConcurrentRequestsPerModel`,
///   one model container's, times the containers in service, as the KPA sums its pods') at
///   70 % of an instance's concurrency: 60 s stable window, panic window of one 10 s
///   period (Knative: 6 s), panic at 2×, no tolerance, no scale-down delay.
/// - `keda-cloudwatch`: KEDA's CloudWatch scaler with its defaults (metricStatPeriod and
///   metricCollectionTime 300 s: the newest five-minute datapoint), `Invocations` summed (its
///   default Average means nothing for a count), handed to the HPA with its defaults.
///
/// Async and serverless endpoints get none: their peers would scale queues and concurrency
/// by other means.
#[must_use]
pub fn peer_baselines(t: &SimTarget) -> Vec<Baseline> {
    if t.asynchronous || t.serverless_endpoint.is_some() {
        return Vec::new();
    }
    let per_minute = t.aws_target;
    let kpa_target = 0.7 * f64::from(t.fleet.concurrency);
    let peers = [
        (
            "k8s-hpa",
            MetricQuery::sagemaker("Invocations", Statistic::Sum, Seconds(60)),
            BurstSpec {
                metric: MetricId(0),
                per_unit: false,
                target: per_minute,
                stable_window: Seconds(60),
                panic_window: Seconds(60),
                panic_threshold: f64::INFINITY,
                scale_in_stabilization: Seconds(300),
                tolerance: 0.1,
                disable_scale_in: false,
            },
        ),
        (
            "knative-kpa",
            MetricQuery::sagemaker(
                "ConcurrentRequestsPerModel",
                Statistic::Maximum,
                Seconds(10),
            ),
            BurstSpec {
                metric: MetricId(0),
                // Knative sums its pods' concurrency: one container's × the containers.
                per_unit: true,
                target: kpa_target,
                stable_window: Seconds(60),
                panic_window: Seconds(10),
                panic_threshold: 2.0,
                scale_in_stabilization: Seconds(0),
                tolerance: 0.0,
                disable_scale_in: false,
            },
        ),
        (
            "keda-cloudwatch",
            MetricQuery::sagemaker("Invocations", Statistic::Sum, Seconds(300)),
            BurstSpec {
                metric: MetricId(0),
                per_unit: false,
                target: per_minute * 5.0,
                stable_window: Seconds(300),
                panic_window: Seconds(300),
                panic_threshold: f64::INFINITY,
                scale_in_stabilization: Seconds(300),
                tolerance: 0.1,
                disable_scale_in: false,
            },
        ),
    ];
    let realtime = |policies: Vec<PolicySpec>| TargetSpec {
        name: t.name.clone(),
        resource_id: format!("endpoint/{}/variant/AllTraffic", t.name),
        dimension: ScalableDimension::InstanceCount,
        workload: Workload::Realtime,
        min: t.min,
        max: t.max,
        policies,
    };
    let mut out = vec![aws_step_scaling(t, &realtime)];
    out.extend(peers.into_iter().map(|(name, query, spec)| {
        let history = u32::try_from(spec.history(query.period())).unwrap_or(1) + 1;
        Baseline {
            name: name.into(),
            kind: Kind::Peer,
            spec: realtime(vec![PolicySpec {
                name: name.into(),
                kind: PolicyKind::BurstAware(spec),
            }]),
            metrics: vec![query],
            history: vec![history],
        }
    }));
    out
}

/// A baseline contender: a name, its kind, and the engine target that plays it.
pub struct Baseline {
    /// Name in the report.
    pub name: String,
    /// Kind.
    pub kind: Kind,
    /// The target spec.
    pub spec: TargetSpec,
    /// Its metric queries.
    pub metrics: Vec<MetricQuery>,
    /// Periods of history per query.
    pub history: Vec<u32>,
}

/// AWS step scaling in the shape of AWS's examples, at the AWS emulation's target: a
/// scale-out policy on InvocationsPerInstance > target (3 of 3 one-minute datapoints) adding
/// 10 %, 30 % or 50 % as the metric is 0–20 %, 20–50 % or over 50 % past the target, and a
/// scale-in policy on InvocationsPerInstance < 0.7 × target (15 of 15) removing 10 % (at
/// least 1); cooldowns of 300 s.
fn aws_step_scaling(t: &SimTarget, realtime: &dyn Fn(Vec<PolicySpec>) -> TargetSpec) -> Baseline {
    let target = t.aws_target;
    let alarm = |comparison, threshold, n| AlarmSpec {
        metric: MetricId(0),
        comparison,
        threshold,
        evaluation_periods: n,
        datapoints_to_alarm: n,
        treat_missing: TreatMissingData::Missing,
    };
    let step = |lower, upper, adjustment| StepAdjustment {
        lower,
        upper,
        adjustment,
    };
    let out = StepSpec {
        alarm: alarm(AlarmComparison::Greater, target, 3),
        adjustment_type: AdjustmentType::PercentChangeInCapacity,
        steps: vec![
            step(Some(0.0), Some(0.2 * target), 10),
            step(Some(0.2 * target), Some(0.5 * target), 30),
            step(Some(0.5 * target), None, 50),
        ],
        min_adjustment_magnitude: Some(1),
        cooldown: Seconds(300),
    };
    let r#in = StepSpec {
        alarm: alarm(AlarmComparison::Less, 0.7 * target, 15),
        adjustment_type: AdjustmentType::PercentChangeInCapacity,
        steps: vec![step(None, Some(0.0), -10)],
        min_adjustment_magnitude: Some(1),
        cooldown: Seconds(300),
    };
    Baseline {
        name: "aws-step-scaling".into(),
        kind: Kind::AwsStepScaling,
        spec: realtime(vec![
            PolicySpec {
                name: "scale-out".into(),
                kind: PolicyKind::Step(out),
            },
            PolicySpec {
                name: "scale-in".into(),
                kind: PolicyKind::Step(r#in),
            },
        ]),
        metrics: vec![MetricQuery::sagemaker(
            "InvocationsPerInstance",
            Statistic::Sum,
            Seconds(60),
        )],
        history: vec![30],
    }
}

/// Run the AWS emulation for `t` over `replay`, judged against `demand`.
#[must_use]
pub fn run_aws(t: &SimTarget, replay: &Replay<'_>, demand: &[u32], record: bool) -> RunOutput {
    let (spec, metrics, history) = aws_baseline(t);
    let driver = Driver::Engine {
        spec: &spec,
        metrics: &metrics,
        history: &history,
    };
    run(t, replay, demand, &driver, record)
}
