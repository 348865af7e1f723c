//! The baselines every comparison includes beside the compared policies: the AWS emulation
//! (target tracking as AWS documents it per workload, on the standard and the high-resolution
//! metric, and step scaling), and the peers users would otherwise pick (Kubernetes HPA, Knative
//! KPA, KEDA's CloudWatch scaler), each played by the engine with the peer's documented
//! defaults. Each is a [`Family`] with one tunable value, its target; `baseline_search.rs`
//! tunes it on the train window.

use super::run::{run, Driver, Replay, RunOutput};
use super::scenario::SimTarget;
use sagescale_engine::alarm::{AlarmSpec, Comparison as AlarmComparison, TreatMissingData};
use sagescale_engine::burst::BurstSpec;
use sagescale_engine::step::{AdjustmentType, StepAdjustment, StepSpec};
use sagescale_engine::target_tracking::{AlarmShape, TargetTrackingSpec};
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
    aws_baseline_at(t, t.aws_target)
}

/// The AWS emulation's target tracking at target value `target`.
#[must_use]
pub fn aws_baseline_at(t: &SimTarget, target: f64) -> (TargetSpec, Vec<MetricQuery>, Vec<u32>) {
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
        kind: PolicyKind::TargetTracking(TargetTrackingSpec::aws_default(MetricId(0), target)),
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

/// A baseline family: one way of scaling that a comparison includes, with the one value a
/// user would tune, its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// AWS target tracking on the workload's standard metric (`aws_baseline`).
    AwsTargetTracking,
    /// AWS target tracking on the high-resolution `ConcurrentRequestsPerModel`.
    AwsHighRes,
    /// AWS step scaling in the shape of AWS's examples.
    AwsStepScaling,
    /// Kubernetes HPA through a CloudWatch metrics adapter.
    Hpa,
    /// Knative's KPA.
    Kpa,
    /// KEDA's CloudWatch scaler.
    Keda,
}

impl Family {
    /// The peers.
    pub const PEERS: [Self; 3] = [Self::Hpa, Self::Kpa, Self::Keda];

    /// The row's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::AwsTargetTracking => "aws-target-tracking",
            Self::AwsHighRes => "aws-target-tracking-high-res",
            Self::AwsStepScaling => "aws-step-scaling",
            Self::Hpa => "k8s-hpa",
            Self::Kpa => "knative-kpa",
            Self::Keda => "keda-cloudwatch",
        }
    }

    /// The row's kind.
    #[must_use]
    pub fn kind(self) -> Kind {
        match self {
            Self::AwsTargetTracking => Kind::AwsTargetTracking,
            Self::AwsHighRes => Kind::AwsTargetTrackingHighRes,
            Self::AwsStepScaling => Kind::AwsStepScaling,
            Self::Hpa | Self::Kpa | Self::Keda => Kind::Peer,
        }
    }

    /// Whether the family applies to endpoint `t`: AWS target tracking everywhere; the
    /// high-resolution metric, step scaling and the peers on real-time and multi-model
    /// endpoints (async and serverless peers would scale queues and concurrency by other
    /// means, and neither publishes `ConcurrentRequestsPerModel`).
    #[must_use]
    pub fn applies(self, t: &SimTarget) -> bool {
        self == Self::AwsTargetTracking || !(t.asynchronous || t.serverless_endpoint.is_some())
    }

    /// The target value the family uses untuned: AWS's documented guidance or the peer's
    /// documented default (see each baseline), in the unit of the family's metric.
    #[must_use]
    pub fn default_target(self, t: &SimTarget) -> f64 {
        let concurrency = f64::from(t.fleet.concurrency);
        match self {
            Self::AwsTargetTracking | Self::AwsStepScaling | Self::Hpa => t.aws_target,
            // The same half-of-capacity guidance as InvocationsPerInstance's, in one
            // container's in-flight requests (docs/semantics.md).
            Self::AwsHighRes => 0.5 * concurrency,
            Self::Kpa => 0.7 * concurrency,
            Self::Keda => t.aws_target * 5.0,
        }
    }

    /// The engine target that plays the family on `t` at target value `target`.
    #[must_use]
    pub fn baseline(self, t: &SimTarget, target: f64) -> Baseline {
        match self {
            Self::AwsTargetTracking => {
                let (spec, metrics, history) = aws_baseline_at(t, target);
                Baseline {
                    name: self.name().into(),
                    kind: self.kind(),
                    spec,
                    metrics,
                    history,
                }
            }
            Self::AwsHighRes => aws_high_res(t, target),
            Self::AwsStepScaling => aws_step_scaling(t, target),
            Self::Hpa | Self::Kpa | Self::Keda => peer(self, t, target),
        }
    }
}

/// The peers and AWS step scaling on `t`, at their defaults (none on async and serverless
/// endpoints).
#[must_use]
pub fn peer_baselines(t: &SimTarget) -> Vec<Baseline> {
    [
        Family::AwsStepScaling,
        Family::Hpa,
        Family::Kpa,
        Family::Keda,
    ]
    .into_iter()
    .filter(|f| f.applies(t))
    .map(|f| f.baseline(t, f.default_target(t)))
    .collect()
}

/// A real-time target spec for `t` with `policies`.
fn realtime(t: &SimTarget, policies: Vec<PolicySpec>) -> TargetSpec {
    TargetSpec {
        name: t.name.clone(),
        resource_id: format!("endpoint/{}/variant/AllTraffic", t.name),
        dimension: ScalableDimension::InstanceCount,
        workload: Workload::Realtime,
        min: t.min,
        max: t.max,
        policies,
    }
}

/// AWS target tracking on `ConcurrentRequestsPerModel` (predefined
/// `SageMakerVariantConcurrentRequestsPerModelHighResolution`): one model container's
/// in-flight requests, the Maximum of 10-second datapoints. AWS documents that such a policy
/// scales out much faster than on a one-minute metric and scales in at the standard speed,
/// not the alarm shapes; the emulation's (docs/semantics.md): scale out on 3 of 3 10-second
/// datapoints above the target (30 s), scale in on 90 of 90 below 90 % of it (15 minutes, as
/// the standard policy's 15 of 15 minutes); SageMaker's 300 s cooldowns.
fn aws_high_res(t: &SimTarget, target: f64) -> Baseline {
    let spec = TargetTrackingSpec::new(
        MetricId(0),
        target,
        AlarmShape {
            evaluation_periods: 3,
            datapoints_to_alarm: 3,
        },
        AlarmShape {
            evaluation_periods: 90,
            datapoints_to_alarm: 90,
        },
        0.9,
        Seconds(300),
        Seconds(300),
        false,
    );
    Baseline {
        name: Family::AwsHighRes.name().into(),
        kind: Kind::AwsTargetTrackingHighRes,
        spec: realtime(
            t,
            vec![PolicySpec {
                name: Family::AwsHighRes.name().into(),
                kind: PolicyKind::TargetTracking(spec),
            }],
        ),
        metrics: vec![MetricQuery::sagemaker(
            "ConcurrentRequestsPerModel",
            Statistic::Maximum,
            Seconds(10),
        )],
        history: vec![180],
    }
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
fn peer(which: Family, t: &SimTarget, target: f64) -> Baseline {
    let (query, spec) = match which {
        Family::Kpa => (
            MetricQuery::sagemaker(
                "ConcurrentRequestsPerModel",
                Statistic::Maximum,
                Seconds(10),
            ),
            BurstSpec {
                metric: MetricId(0),
                // Knative sums its pods' concurrency: one container's × the containers.
                per_unit: true,
                target,
                stable_window: Seconds(60),
                panic_window: Seconds(10),
                panic_threshold: 2.0,
                scale_in_stabilization: Seconds(0),
                tolerance: 0.0,
                disable_scale_in: false,
            },
        ),
        Family::Keda => (
            MetricQuery::sagemaker("Invocations", Statistic::Sum, Seconds(300)),
            BurstSpec {
                metric: MetricId(0),
                per_unit: false,
                target,
                stable_window: Seconds(300),
                panic_window: Seconds(300),
                panic_threshold: f64::INFINITY,
                scale_in_stabilization: Seconds(300),
                tolerance: 0.1,
                disable_scale_in: false,
            },
        ),
        _ => (
            MetricQuery::sagemaker("Invocations", Statistic::Sum, Seconds(60)),
            BurstSpec {
                metric: MetricId(0),
                per_unit: false,
                target,
                stable_window: Seconds(60),
                panic_window: Seconds(60),
                panic_threshold: f64::INFINITY,
                scale_in_stabilization: Seconds(300),
                tolerance: 0.1,
                disable_scale_in: false,
            },
        ),
    };
    let history = u32::try_from(spec.history(query.period())).unwrap_or(1) + 1;
    Baseline {
        name: which.name().into(),
        kind: Kind::Peer,
        spec: realtime(
            t,
            vec![PolicySpec {
                name: which.name().into(),
                kind: PolicyKind::BurstAware(spec),
            }],
        ),
        metrics: vec![query],
        history: vec![history],
    }
}

/// A baseline contender: a name, its kind, and the engine target that plays it.
#[derive(Clone, Debug)]
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
fn aws_step_scaling(t: &SimTarget, target: f64) -> Baseline {
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
        spec: realtime(
            t,
            vec![
                PolicySpec {
                    name: "scale-out".into(),
                    kind: PolicyKind::Step(out),
                },
                PolicySpec {
                    name: "scale-in".into(),
                    kind: PolicyKind::Step(r#in),
                },
            ],
        ),
        metrics: vec![MetricQuery::sagemaker(
            "InvocationsPerInstance",
            Statistic::Sum,
            Seconds(60),
        )],
        history: vec![30],
    }
}

impl Baseline {
    /// Run it for `t` over `replay`, judged against `demand`.
    #[must_use]
    pub fn run(
        &self,
        t: &SimTarget,
        replay: &Replay<'_>,
        demand: &[u32],
        record: bool,
    ) -> RunOutput {
        let driver = Driver::Engine {
            spec: &self.spec,
            metrics: &self.metrics,
            history: &self.history,
        };
        run(t, replay, demand, &driver, record)
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
