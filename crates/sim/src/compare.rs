//! A comparison: every compared policy, the AWS target-tracking emulation and the oracle,
//! over every simulated endpoint of a scenario.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::oracle::{need, need_async, schedule};
use super::quality::{without_guard, PairRun};
use super::results::Accumulator;
use super::run::{run, Driver, Emitted, Replay, RunOutput};
use super::run::{run_pair, Variant};
use super::scenario::{Scenario, SimTarget};
use super::serverless::oracle_schedule;
use super::trace::sample;
use sagescale_engine::alarm::{AlarmSpec, Comparison as AlarmComparison, TreatMissingData};
use sagescale_engine::burst::BurstSpec;
use sagescale_engine::step::{AdjustmentType, StepAdjustment, StepSpec};
use sagescale_engine::target_tracking::TargetTrackingSpec;
use sagescale_engine::{PolicyKind, PolicySpec, ScalableDimension, Seconds, TargetSpec, Workload};
use sagescale_metrics::{MetricId, MetricQuery, Statistic};

/// What kind of contender a result is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A compared policy file.
    Policy,
    /// AWS target tracking with AWS defaults.
    AwsTargetTracking,
    /// AWS step scaling in the shape of AWS's examples.
    AwsStepScaling,
    /// An emulation of another autoscaler users would pick (Kubernetes HPA, Knative KPA,
    /// KEDA's CloudWatch scaler) with its documented defaults.
    Peer,
    /// The oracle lower bound.
    Oracle,
}

/// One contender's run over one endpoint.
pub struct EndpointRun {
    /// The endpoint's name.
    pub target: String,
    /// Sums.
    pub acc: Accumulator,
    /// USD per instance-hour.
    pub price_per_hour: f64,
    /// Instances in service per interval.
    pub in_service: Vec<u32>,
    /// p99 per interval, ms.
    pub p99_ms: Vec<f32>,
    /// With `--emit-metrics`: the contender's metric queries, and what it saw and did.
    pub emitted: Option<(Vec<MetricQuery>, Emitted)>,
}

/// One contender over all endpoints.
pub struct Contender {
    /// Name in the report.
    pub name: String,
    /// Kind.
    pub kind: Kind,
    /// Per endpoint.
    pub runs: Vec<EndpointRun>,
}

/// A finished comparison.
pub struct Comparison {
    /// Contenders: the compared policies, then the AWS emulation, then the oracle.
    pub contenders: Vec<Contender>,
    /// The oracle's demand curve per endpoint.
    pub demand: Vec<Vec<u32>>,
    /// Serverless endpoints: the same traffic with no provisioned concurrency, every request
    /// on demand (`None` for other endpoints).
    pub on_demand: Vec<Option<Accumulator>>,
    /// Quality-guarded endpoints: each contender over both variants.
    pub guards: Vec<GuardComparison>,
}

/// A quality-guarded endpoint: the compared policies with and without their guard, and the
/// AWS emulation (which has none), each over the guarded variant and its fallback.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GuardComparison {
    /// The guarded endpoint.
    pub target: String,
    /// Its fallback.
    pub fallback: String,
    /// One row per contender.
    pub rows: Vec<GuardRow>,
}

/// One contender over a guarded pair.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GuardRow {
    /// Name.
    pub name: String,
    /// Whether a quality guard acted.
    pub guarded: bool,
    /// The run.
    #[serde(flatten)]
    pub run: PairRun,
}

/// Run every guarded endpoint's pairs.
fn guard_comparisons(
    s: &Scenario,
    arrivals: &[std::borrow::Cow<'_, [f64]>],
) -> Vec<GuardComparison> {
    let mut out = Vec::new();
    for (i, t) in s.targets.iter().enumerate() {
        let Some(q) = &t.quality else { continue };
        let quality = sample(&q.points, s.trace.start, s.trace.step.0, arrivals[i].len());
        let replay = Replay::of(s, i, &arrivals[i], &[]);
        let mut rows = Vec::new();
        for p in &s.policies {
            let spec = &p.set.targets[p.target_of[i]];
            let Some(fb) = p.set.targets.iter().find(|x| x.name == q.fallback) else {
                continue;
            };
            let variant = |spec| Variant {
                spec,
                metrics: &p.set.metrics,
                history: &p.set.metric_history,
            };
            let has_guard = spec
                .policies
                .iter()
                .any(|x| matches!(x.kind, PolicyKind::QualityGuard(_)));
            if has_guard {
                rows.push(GuardRow {
                    name: p.name.clone(),
                    guarded: true,
                    run: run_pair(t, q, &quality, &replay, variant(spec), variant(fb)),
                });
            }
            let bare = without_guard(spec);
            rows.push(GuardRow {
                name: if has_guard {
                    format!("{} without guard", p.name)
                } else {
                    p.name.clone()
                },
                guarded: false,
                run: run_pair(t, q, &quality, &replay, variant(&bare), variant(fb)),
            });
        }
        let (spec, metrics, history) = aws_baseline(t);
        let aws = Variant {
            spec: &spec,
            metrics: &metrics,
            history: &history,
        };
        rows.push(GuardRow {
            name: "aws-target-tracking".into(),
            guarded: false,
            run: run_pair(t, q, &quality, &replay, aws, aws),
        });
        out.push(GuardComparison {
            target: t.name.clone(),
            fallback: q.fallback.clone(),
            rows,
        });
    }
    out
}

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

/// Mix a seed with an endpoint index (splitmix64), so endpoints draw independently.
#[must_use]
pub fn endpoint_seed(seed: u64, index: usize) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(index as u64 + 1));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Run the comparison. `progress` shows a bar on a terminal.
#[must_use]
pub fn compare(s: &Scenario, progress: bool) -> Comparison {
    compare_emitting(s, progress, false)
}

/// Run the comparison, keeping with `emit` every datapoint each contender's policies saw and
/// every call they made (`simulate --emit-metrics`).
#[must_use]
pub fn compare_emitting(s: &Scenario, progress: bool, emit: bool) -> Comparison {
    let dt = s.trace.step.0;
    let peers: Vec<Vec<Baseline>> = s.targets.iter().map(peer_baselines).collect();
    let runs_total =
        (s.policies.len() + 2) * s.targets.len() + peers.iter().map(Vec::len).sum::<usize>();
    let bar = if progress {
        let b =
            ProgressBar::with_draw_target(Some(runs_total as u64), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{spinner} {wide_bar} {pos}/{len} runs {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };

    let arrivals: Vec<_> = s.targets.iter().map(|t| s.arrivals(t)).collect();
    let mut demand = Vec::new();
    let mut oracle_plans = Vec::new();
    for (t, arrivals) in s.targets.iter().zip(&arrivals) {
        // The demand curve: the least capacity within the SLO at each interval's load (async:
        // the least that keeps up, zero when idle; serverless: the cheapest provisioned
        // concurrency within the SLO).
        let mut d: Vec<u32> = if let Some(e) = &t.serverless_endpoint {
            oracle_schedule(
                e,
                t.fleet.latency_s,
                &t.slo,
                arrivals,
                f64::from(dt),
                t.min,
                t.max,
            )
        } else if t.asynchronous {
            need_async(&t.fleet, t.slo.latency_s, arrivals, f64::from(dt), t.max)
        } else {
            arrivals
                .iter()
                .map(|&a| need(&t.fleet, &t.slo, a, f64::from(dt), 1, t.max))
                .collect()
        };
        // Multi-model: also room for every model in use in the interval.
        if let Some(cache) = t.cache {
            let per_instance = (cache.cache_gb_per_instance / cache.model_size_gb)
                .floor()
                .max(1.0);
            for (i, need) in d.iter_mut().enumerate() {
                let active = t
                    .models
                    .iter()
                    .filter(|&&m| s.trace.series[m].counts[i] > 0.0)
                    .count();
                let room = ((active as f64) / per_instance).ceil() as u32;
                *need = (*need).max(room.min(t.max));
            }
        }
        let floor: Vec<u32> = d.iter().map(|&x| x.max(t.min)).collect();
        // Provisioned concurrency is billed only once in service: no lead time to pay.
        let lead = if t.serverless_endpoint.is_some() {
            0.0
        } else {
            t.fleet.provisioning_median_s
        };
        oracle_plans.push(schedule(&floor, f64::from(dt), lead));
        demand.push(d);
    }

    let models: Vec<Vec<&[f64]>> = s.targets.iter().map(|t| s.model_arrivals(t)).collect();
    let replay = |i: usize| Replay {
        emit,
        ..Replay::of(s, i, &arrivals[i], &models[i])
    };
    let mut contenders = Vec::new();
    for p in &s.policies {
        let mut runs = Vec::new();
        for (i, t) in s.targets.iter().enumerate() {
            let spec = &p.set.targets[p.target_of[i]];
            let driver = Driver::Engine {
                spec,
                metrics: &p.set.metrics,
                history: &p.set.metric_history,
            };
            runs.push(endpoint_run(
                t,
                run(t, &replay(i), &demand[i], &driver, true),
                &p.set.metrics,
            ));
            bar.inc(1);
        }
        contenders.push(Contender {
            name: p.name.clone(),
            kind: Kind::Policy,
            runs,
        });
    }
    let mut runs = Vec::new();
    for (i, t) in s.targets.iter().enumerate() {
        let (_, aws_metrics, _) = aws_baseline(t);
        runs.push(endpoint_run(
            t,
            run_aws(t, &replay(i), &demand[i], true),
            &aws_metrics,
        ));
        bar.inc(1);
    }
    contenders.push(Contender {
        name: "aws-target-tracking".into(),
        kind: Kind::AwsTargetTracking,
        runs,
    });
    // AWS step scaling and the peers: one contender each, over the endpoints that have it.
    let names: Vec<(String, Kind)> = peers
        .iter()
        .flat_map(|p| p.iter().map(|b| (b.name.clone(), b.kind)))
        .fold(Vec::new(), |mut acc, n| {
            if !acc.contains(&n) {
                acc.push(n);
            }
            acc
        });
    for (name, kind) in names {
        let mut runs = Vec::new();
        for (i, t) in s.targets.iter().enumerate() {
            let Some(b) = peers[i].iter().find(|b| b.name == name) else {
                continue;
            };
            let driver = Driver::Engine {
                spec: &b.spec,
                metrics: &b.metrics,
                history: &b.history,
            };
            runs.push(endpoint_run(
                t,
                run(t, &replay(i), &demand[i], &driver, true),
                &b.metrics,
            ));
            bar.inc(1);
        }
        contenders.push(Contender { name, kind, runs });
    }
    let mut runs = Vec::new();
    for (i, t) in s.targets.iter().enumerate() {
        let plan = &oracle_plans[i];
        let driver = Driver::Scripted {
            in_service: &plan.in_service,
            billed_seconds: plan.billed_seconds,
        };
        runs.push(endpoint_run(
            t,
            run(t, &replay(i), &demand[i], &driver, true),
            &[],
        ));
        bar.inc(1);
    }
    contenders.push(Contender {
        name: "oracle".into(),
        kind: Kind::Oracle,
        runs,
    });
    // Serverless endpoints: the pay-per-use alternative, served through the same world with no
    // provisioned concurrency, cold starts and all.
    let on_demand = s
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.serverless_endpoint.map(|_| {
                let none = vec![0u32; arrivals[i].len()];
                let driver = Driver::Scripted {
                    in_service: &none,
                    billed_seconds: 0.0,
                };
                run(t, &replay(i), &demand[i], &driver, false).acc
            })
        })
        .collect();
    let guards = guard_comparisons(s, &arrivals);
    bar.finish_and_clear();
    Comparison {
        contenders,
        demand,
        on_demand,
        guards,
    }
}

fn endpoint_run(t: &SimTarget, o: RunOutput, queries: &[MetricQuery]) -> EndpointRun {
    EndpointRun {
        target: t.name.clone(),
        acc: o.acc,
        price_per_hour: t.fleet.price_per_hour,
        in_service: o.in_service,
        p99_ms: o.p99_ms,
        emitted: o.emitted.map(|e| (queries.to_vec(), e)),
    }
}
