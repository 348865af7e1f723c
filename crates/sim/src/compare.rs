//! A comparison: every compared policy, the baselines (`baselines.rs`) and the oracle (whose
//! demand curve and schedule are `demand.rs`'s), over every simulated endpoint of a scenario.
//! This file is the orchestration and the types of its results.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::baseline_search::{sweep, Choice, Sweep};
use super::baselines::{aws_baseline, Baseline, Family};
pub use super::contender::Kind;
use super::demand::oracle_demand;
use super::quality::{without_guard, PairRun};
use super::results::Accumulator;
use super::run::{run, Driver, Emitted, Replay, RunOutput};
use super::run::{run_pair, Variant};
use super::scenario::{Scenario, SimTarget};
use super::trace::sample;
use sagescale_engine::PolicyKind;
use sagescale_metrics::MetricQuery;

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
    /// A tuned baseline: what the train window chose.
    pub choice: Option<Choice>,
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
    /// Each baseline family's target swept over both windows: the tuned rows' choices and the
    /// trade-off curves.
    pub sweeps: Vec<Sweep>,
    /// Whether the tuned rows were chosen in-sample (the scenario has no train window).
    pub in_sample: bool,
    /// The endpoint of inference components, compared on its own (`ic_compare.rs`).
    pub inference_components: Option<super::ic_compare::IcComparison>,
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
        let replay = Replay::of(s, i, &arrivals[i], &[]);
        let quality = sample(
            &q.points,
            replay.first_start(),
            s.trace.step.0,
            replay.lead_in.len() + arrivals[i].len(),
        );
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

/// Run the comparison. `progress` shows a bar on a terminal.
#[must_use]
pub fn compare(s: &Scenario, progress: bool) -> Comparison {
    compare_emitting(s, progress, false)
}

/// Run the comparison, keeping with `emit` every datapoint each contender's policies saw and
/// every call they made (`simulate --emit-metrics`).
#[must_use]
pub fn compare_emitting(s: &Scenario, progress: bool, emit: bool) -> Comparison {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let sweeps = sweep(s, threads);
    let baselines = baseline_rows(s, &sweeps);
    let runs_total = (s.policies.len() + 1) * s.targets.len()
        + baselines
            .iter()
            .map(|(_, _, r)| r.iter().flatten().count())
            .sum::<usize>();
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
        let (d, plan) = oracle_demand(s, t, arrivals);
        demand.push(d);
        oracle_plans.push(plan);
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
    // The baselines: AWS (defaults, high resolution, tuned), step scaling, the peers at
    // their defaults and tuned; each over the endpoints it applies to.
    for (name, kind, per_endpoint) in &baselines {
        let mut runs = Vec::new();
        for (i, t) in s.targets.iter().enumerate() {
            let Some((b, choice)) = &per_endpoint[i] else {
                continue;
            };
            let mut r = endpoint_run(t, b.run(t, &replay(i), &demand[i], true), &b.metrics);
            r.choice.clone_from(choice);
            runs.push(r);
            bar.inc(1);
        }
        contenders.push(Contender {
            name: name.clone(),
            kind: *kind,
            runs,
        });
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
    let inference_components = super::ic_compare::compare_components(s);
    bar.finish_and_clear();
    Comparison {
        contenders,
        demand,
        on_demand,
        guards,
        inference_components,
        sweeps: sweeps.sweeps,
        in_sample: sweeps.in_sample,
    }
}

/// A baseline row: its name, kind, and per endpoint the baseline that plays it (with what the
/// train window chose, for a tuned row), or `None` where it does not apply.
type BaselineRow = (String, Kind, Vec<Option<(Baseline, Option<Choice>)>>);

/// Every baseline row, in report order.
fn baseline_rows(s: &Scenario, sweeps: &super::baseline_search::Sweeps) -> Vec<BaselineRow> {
    let default = |f: Family| -> BaselineRow {
        let per = s
            .targets
            .iter()
            .map(|t| {
                f.applies(t)
                    .then(|| (f.baseline(t, f.default_target(t)), None))
            })
            .collect();
        (f.name().to_string(), f.kind(), per)
    };
    let tuned = |name: String, kind: Kind, families: &[Family]| -> BaselineRow {
        let per = s
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let c = sweeps.choose(i, &t.name, families)?;
                let f = families.iter().copied().find(|f| f.name() == c.family)?;
                let mut b = f.baseline(t, c.point.target);
                b.name.clone_from(&name);
                Some((b, Some(c)))
            })
            .collect();
        (name, kind, per)
    };
    let mut rows = vec![
        default(Family::AwsTargetTracking),
        default(Family::AwsHighRes),
        tuned(
            "aws-tuned".into(),
            Kind::AwsTuned,
            &[Family::AwsTargetTracking, Family::AwsHighRes],
        ),
        default(Family::AwsStepScaling),
    ];
    rows.extend(Family::PEERS.into_iter().map(default));
    rows.extend(
        Family::PEERS
            .into_iter()
            .map(|f| tuned(format!("{}-tuned", f.name()), Kind::PeerTuned, &[f])),
    );
    // A row no endpoint has is left out.
    rows.retain(|(_, _, per)| per.iter().any(Option::is_some));
    rows
}

fn endpoint_run(t: &SimTarget, o: RunOutput, queries: &[MetricQuery]) -> EndpointRun {
    EndpointRun {
        target: t.name.clone(),
        acc: o.acc,
        price_per_hour: t.fleet.price_per_hour,
        in_service: o.in_service,
        p99_ms: o.p99_ms,
        emitted: o.emitted.map(|e| (queries.to_vec(), e)),
        choice: None,
    }
}
