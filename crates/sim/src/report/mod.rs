//! What a comparison reports: a summary with a stable JSON schema (docs/simulator.md), the
//! terminal table, and a self-contained HTML page with SVG charts.

mod emitted;
mod html;
mod table;
pub mod tradeoff;
mod tune;

use serde::Serialize;

use super::baseline_search::{Choice, Sweep};
use super::compare::{Comparison, Contender, GuardComparison, Kind};
use super::results::{Accumulator, Elasticity};
use super::scenario::Scenario;

pub use emitted::emitted_json;
pub use html::html;
pub use table::table;
pub use tune::{tune_html, tune_table};

/// Version of the JSON layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// JSON layout version.
    pub schema_version: u32,
    /// Scenario title.
    pub scenario: String,
    /// Scenario description.
    pub description: String,
    /// Seed used.
    pub seed: u64,
    /// The trace replayed.
    pub trace: TraceInfo,
    /// Simulated endpoints.
    pub targets: Vec<TargetInfo>,
    /// One entry per contender: the compared policies, `aws-target-tracking`, `oracle`.
    pub policies: Vec<PolicySummary>,
    /// Quality-guarded endpoints: each contender over the guarded variant and its fallback.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quality_guards: Vec<GuardComparison>,
    /// The windows: every figure is the test window's; tuned baselines chose on the train one.
    pub evaluation: Evaluation,
    /// Each baseline family's target swept: train and test figures per target (the trade-off
    /// curves).
    pub baseline_sweeps: Vec<Sweep>,
    /// An endpoint of inference components: its models under each contender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_components: Option<super::ic_compare::IcComparison>,
}

/// The walk-forward windows.
#[derive(Debug, Serialize)]
pub struct Evaluation {
    /// The window every figure is scored on (`null`: the whole trace).
    pub test: Option<String>,
    /// The window tuned baselines chose on (`null`: none, so they are in-sample).
    pub train: Option<String>,
    /// Tuned rows chose on the window they are scored on.
    pub in_sample: bool,
    /// Why the windows are what they are.
    pub note: Option<String>,
}

/// The trace replayed.
#[derive(Debug, Serialize)]
pub struct TraceInfo {
    /// File.
    pub path: String,
    /// First interval, RFC 3339.
    pub start: String,
    /// Interval length, seconds.
    pub step_seconds: u32,
    /// Number of intervals.
    pub intervals: usize,
}

/// A simulated endpoint.
#[derive(Debug, Serialize)]
pub struct TargetInfo {
    /// Name.
    pub name: String,
    /// Instance type.
    pub instance_type: String,
    /// USD per instance-hour.
    pub price_per_hour: f64,
    /// SLO: p99 latency bound, ms.
    pub slo_p99_latency_ms: f64,
    /// SLO: largest failed fraction per interval.
    pub slo_max_error_rate: f64,
    /// Requests in the trace for this endpoint.
    pub requests: f64,
    /// Real-time: the same traffic on Serverless Inference, pay-per-use.
    pub pay_per_use: Option<PayPerUse>,
}

/// An estimate of serving the trace on SageMaker Serverless Inference (on demand): every
/// request billed for its model latency at the configured memory size.
#[derive(Debug, Serialize)]
pub struct PayPerUse {
    /// Memory size, GB.
    pub memory_gb: f64,
    /// USD per GB-second.
    pub price_per_gb_second: f64,
    /// GB-seconds of compute.
    pub gb_seconds: f64,
    /// USD.
    pub cost_usd: f64,
    /// Cost relative to the cheapest compared policy on instances, % (negative: serverless is
    /// cheaper).
    pub vs_cheapest_policy_pct: f64,
    /// Serverless endpoints: SLO-violation minutes of the simulated pay-per-use run, cold
    /// starts included (`null` for the estimate beside a real-time endpoint).
    pub slo_violation_minutes: Option<f64>,
    /// What the estimate leaves out.
    pub caveat: &'static str,
}

/// One contender's figures.
#[derive(Debug, Serialize)]
pub struct PolicySummary {
    /// Name.
    pub name: String,
    /// `policy`, `aws-target-tracking` or `oracle`.
    pub kind: Kind,
    /// Figures over all endpoints.
    #[serde(flatten)]
    pub totals: Figures,
    /// Cost relative to `aws-tuned` (AWS target tracking with its metric and target tuned on
    /// the train window), % (negative is cheaper): the headline comparison.
    pub cost_vs_aws_tuned_pct: f64,
    /// Cost relative to AWS target tracking at its documented defaults, %.
    pub cost_vs_aws_pct: f64,
    /// Cost relative to the oracle, % (how far above the floor).
    pub cost_vs_oracle_pct: f64,
    /// Figures per endpoint.
    pub per_target: Vec<TargetFigures>,
}

/// Figures of a run (or a sum of runs).
#[derive(Debug, Serialize)]
pub struct Figures {
    /// USD.
    pub cost_usd: f64,
    /// Instance-hours paid.
    pub instance_hours: f64,
    /// Minutes in which p99 latency or the error rate broke the SLO.
    pub slo_violation_minutes: f64,
    /// Failed requests.
    pub failed_requests: f64,
    /// Requests-weighted median of per-interval medians, ms.
    pub p50_latency_ms: Option<f64>,
    /// Requests-weighted 99th percentile of per-interval 99th percentiles, ms.
    pub p99_latency_ms: Option<f64>,
    /// Capacity changes.
    pub scaling_actions: u32,
    /// Mean seconds from the start of an under-provisioned stretch to its end.
    pub mean_reaction_time_s: Option<f64>,
    /// SPEC RG elasticity metrics against the oracle's demand curve.
    pub elasticity: Elasticity,
}

/// One endpoint's figures.
#[derive(Debug, Serialize)]
pub struct TargetFigures {
    /// Endpoint.
    pub target: String,
    /// Figures.
    #[serde(flatten)]
    pub figures: Figures,
    /// A tuned baseline: the family and target the train window chose, with its train figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuned: Option<Choice>,
}

/// Round for a stable, readable JSON: 6 significant decimals is far below model error.
fn r(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn figures(acc: &Accumulator, cost: f64) -> Figures {
    let e = acc.elasticity();
    Figures {
        cost_usd: r(cost),
        instance_hours: r(acc.billed_seconds / 3600.0),
        slo_violation_minutes: r(acc.violation_seconds / 60.0),
        failed_requests: r(acc.failed),
        p50_latency_ms: acc.latency.p50().map(|s| r(s * 1000.0)),
        p99_latency_ms: acc.latency.p99().map(|s| r(s * 1000.0)),
        scaling_actions: acc.actions,
        mean_reaction_time_s: acc.mean_reaction_s().map(r),
        elasticity: Elasticity {
            under_provisioning_accuracy_pct: r(e.under_provisioning_accuracy_pct),
            over_provisioning_accuracy_pct: r(e.over_provisioning_accuracy_pct),
            under_provisioning_timeshare_pct: r(e.under_provisioning_timeshare_pct),
            over_provisioning_timeshare_pct: r(e.over_provisioning_timeshare_pct),
            jitter_per_minute: r(e.jitter_per_minute),
        },
    }
}

fn cost(c: &Contender) -> f64 {
    c.runs
        .iter()
        .map(|r| r.acc.cost_usd(r.price_per_hour))
        .sum()
}

/// Summarise a comparison.
#[must_use]
pub fn summarise(s: &Scenario, c: &Comparison) -> Report {
    let find = |k: Kind| c.contenders.iter().find(|x| x.kind == k).map_or(0.0, cost);
    let (aws, aws_tuned, oracle) = (
        find(Kind::AwsTargetTracking),
        find(Kind::AwsTuned),
        find(Kind::Oracle),
    );
    let pct = |x: f64, base: f64| {
        if base > 0.0 {
            r((x / base - 1.0) * 100.0)
        } else {
            0.0
        }
    };
    let policies = c
        .contenders
        .iter()
        .map(|k| {
            let mut total = Accumulator::default();
            for run in &k.runs {
                total.merge(&run.acc);
            }
            let all = cost(k);
            PolicySummary {
                name: k.name.clone(),
                kind: k.kind,
                totals: figures(&total, all),
                cost_vs_aws_tuned_pct: pct(all, aws_tuned),
                cost_vs_aws_pct: pct(all, aws),
                cost_vs_oracle_pct: pct(all, oracle),
                per_target: k
                    .runs
                    .iter()
                    .map(|run| TargetFigures {
                        target: run.target.clone(),
                        figures: figures(&run.acc, run.acc.cost_usd(run.price_per_hour)),
                        tuned: run.choice.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    Report {
        schema_version: SCHEMA_VERSION,
        scenario: s.name.clone(),
        description: s.description.clone(),
        seed: s.seed,
        trace: TraceInfo {
            path: s.trace_path.display().to_string(),
            start: s.trace.start.to_string(),
            step_seconds: s.trace.step.0,
            intervals: s.trace.len(),
        },
        targets: s
            .targets
            .iter()
            .enumerate()
            .map(|(ti, t)| TargetInfo {
                name: t.name.clone(),
                instance_type: t.fleet.instance_type.clone(),
                price_per_hour: r(t.fleet.price_per_hour),
                slo_p99_latency_ms: r(t.slo.latency_s * 1000.0),
                slo_max_error_rate: t.slo.max_error_rate,
                requests: r(s.arrivals(t).iter().sum()),
                pay_per_use: t.serverless.map(|(memory_gb, price)| {
                    let simulated = c.on_demand.get(ti).and_then(Option::as_ref);
                    let (gb_seconds, cost) = match simulated {
                        Some(acc) => (acc.usage_usd / price, acc.usage_usd),
                        None => {
                            let requests: f64 = s.arrivals(t).iter().sum();
                            let gb_seconds = requests * t.fleet.latency_s * memory_gb;
                            (gb_seconds, gb_seconds * price)
                        }
                    };
                    let cheapest = c
                        .contenders
                        .iter()
                        .filter(|k| k.kind == Kind::Policy)
                        .filter_map(|k| k.runs.iter().find(|run| run.target == t.name))
                        .map(|run| run.acc.cost_usd(run.price_per_hour))
                        .fold(f64::INFINITY, f64::min);
                    PayPerUse {
                        memory_gb,
                        price_per_gb_second: price,
                        gb_seconds: r(gb_seconds),
                        cost_usd: r(cost),
                        vs_cheapest_policy_pct: if cheapest.is_finite() && cheapest > 0.0 { r((cost / cheapest - 1.0) * 100.0) } else { 0.0 },
                        slo_violation_minutes: simulated.map(|acc| r(acc.violation_seconds / 60.0)),
                        caveat: if simulated.is_some() {
                            "simulated with no provisioned concurrency: cold starts included; data-processing charges not costed"
                        } else {
                            "model latency as on the instance type; cold starts, data-processing charges, the 6 GB and 200-concurrency limits, and CPU-only hardware not costed"
                        },
                    }
                }),
            })
            .collect(),
        // With no endpoint targets (a scenario of inference components alone), no contender
        // has figures of its own here: its figures are `inference_components`.
        policies: if s.targets.is_empty() {
            Vec::new()
        } else {
            policies
        },
        quality_guards: c.guards.clone(),
        inference_components: c.inference_components.clone(),
        evaluation: Evaluation {
            test: s.window.as_ref().map(ToString::to_string),
            train: s
                .train
                .as_ref()
                .and_then(|t| t.window.as_ref().map(ToString::to_string)),
            in_sample: c.in_sample,
            note: s.evaluation_note.clone(),
        },
        baseline_sweeps: c.sweeps.clone(),
    }
}
