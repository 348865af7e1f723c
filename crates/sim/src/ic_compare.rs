//! The comparison people ask for on an endpoint of inference components: for its set of
//! models, side by side, the cost, the requests failed and late while a component wakes, and
//! SLO minutes, for
//! - each compared policy file;
//! - AWS's recipe: target tracking on `ConcurrentRequestsPerCopy` (high resolution, AWS's
//!   defaults) plus the step policy on `NoCapacityInvocationFailures` that wakes a component
//!   from zero, at AWS's guidance and tuned on the train window;
//! - one endpoint per model, each on its own instances with AWS target tracking tuned the
//!   same way (a real-time endpoint without components keeps at least one instance);
//! - the peers (Kubernetes HPA, Knative KPA, KEDA) scaling copies, tuned the same way
//!   (`ic_baselines.rs` has every baseline's settings);
//! - the oracle, the floor: each interval's least copies within the SLO, packed onto the
//!   fewest instances, launched ahead of need;
//! - and whether each model fits Serverless Inference at all.
//!
//! Tuning is the honest-proof protocol's: one factor of each component's concurrency per
//! copy, chosen on the train window as the cheapest whose SLO minutes stay within the budget
//! (AWS's recipe at its guidance, on the train window), and scored on the test window.

use std::fmt::Write as _;

use super::baseline_search::{parallel, FACTORS};
use super::ic_baselines::{set, Family};
use super::ic_run::{run_components, IcDriver, IcReplay, IcRun, Layout};
use super::ic_scenario::IcEndpoint;
use super::oracle::{need, schedule};
use super::run::endpoint_seed;
use super::scenario::{ComparedPolicy, Scenario};
use sagescale_engine::TargetSpec;
use sagescale_policy::PolicySet;

/// One contender over the endpoint's models.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IcRow {
    /// Name in the report.
    pub name: String,
    /// How the models are housed: `shared` (the endpoint's components) or `dedicated` (one
    /// endpoint per model).
    pub layout: &'static str,
    /// Tuned rows: the factor of each copy's concurrency chosen as the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_factor: Option<f64>,
    /// Tuned rows: whether the choice kept the SLO budget on the train window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_budget: Option<bool>,
    /// The test window's figures.
    #[serde(flatten)]
    pub run: IcRun,
}

/// Whether one model fits Serverless Inference.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ServerlessFit {
    /// The component.
    pub component: String,
    /// Why it does not fit, or `None` if it does.
    pub does_not_fit: Option<String>,
}

/// The whole comparison.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IcComparison {
    /// The endpoint.
    pub endpoint: String,
    /// Its instance type.
    pub instance_type: String,
    /// One endpoint per model: their instance type.
    pub dedicated_instance_type: String,
    /// Managed instance scaling's bounds.
    pub instances: (u32, u32),
    /// Median seconds for a new instance end to end, and for a copy on a warm instance.
    pub delays_s: (f64, f64),
    /// Container caching on.
    pub container_caching: bool,
    /// Managed instance scaling's scale-in strategy, as `ic_table` prints it.
    pub scale_in: String,
    /// The train window's SLO budget (AWS's recipe at its guidance), minutes.
    pub budget_slo_minutes: f64,
    /// Tuned on the window scored (the scenario has no train window).
    pub in_sample: bool,
    /// The contenders.
    pub rows: Vec<IcRow>,
    /// Serverless Inference, per model.
    pub serverless: Vec<ServerlessFit>,
}

/// The replay of `s`'s components.
fn replay<'a>(s: &'a Scenario, e: &IcEndpoint) -> IcReplay<'a> {
    IcReplay {
        arrivals: e
            .components
            .iter()
            .map(|c| s.trace.series[c.series].counts.as_slice())
            .collect(),
        lead_in: e
            .components
            .iter()
            .map(|c| s.trace.lead_in.get(c.series).map_or(&[][..], Vec::as_slice))
            .collect(),
        start: s.trace.start,
        dt: s.trace.step.0,
        evaluation_interval: s.evaluation_interval,
        cloudwatch: s.cloudwatch,
        seed: endpoint_seed(s.seed, 0),
    }
}

/// Baseline `family` at `factor` over `s`'s components.
fn run_family(s: &Scenario, e: &IcEndpoint, family: Family, factor: f64) -> IcRun {
    let layout = if family.dedicated() {
        Layout::Dedicated
    } else {
        Layout::Shared
    };
    run_set(s, e, &set(family, e, factor), layout)
}

/// A baseline's `set` over `s`'s components, each driven by its target of the same name. It
/// too is held to the room: AWS does not document what becomes of copies it asks for past
/// `MaxInstanceCount` (a failed scaling activity, or copies pending until room frees), and
/// held copies would block its scale-in, so sagescale's room is not credited here.
fn run_set(s: &Scenario, e: &IcEndpoint, set: &PolicySet, layout: Layout) -> IcRun {
    let specs: Vec<TargetSpec> = e
        .components
        .iter()
        .map(|c| {
            set.targets
                .iter()
                .find(|t| t.name == c.name)
                .cloned()
                .unwrap_or_else(|| unreachable!("matched when the scenario loaded"))
        })
        .collect();
    run_components(
        e,
        layout,
        &replay(s, e),
        &IcDriver::Engine {
            room_aware: true,
            specs: &specs,
            metrics: &set.metrics,
            history: &set.metric_history,
        },
    )
}

/// The oracle over `s`: each interval's least copies within each SLO, the fewest instances
/// that hold them (at least the minimum), billed from a launch lead ahead of need.
fn oracle(s: &Scenario, e: &IcEndpoint) -> IcRun {
    let dt = f64::from(s.trace.step.0);
    let copies: Vec<Vec<u32>> = e
        .components
        .iter()
        .map(|c| {
            let a = &s.trace.series[c.series].counts;
            // A copy stays for the interval after traffic, to serve what is still queued.
            (0..a.len())
                .map(|i| {
                    let hold = u32::from(i > 0 && a[i - 1] > 0.0);
                    need(&c.fleet, &c.slo, a[i], dt, hold, c.max)
                })
                .collect()
        })
        .collect();
    let per = e.pool.accelerators;
    let instances: Vec<u32> = (0..s.trace.len())
        .map(|i| {
            let used: u32 = copies
                .iter()
                .zip(&e.accelerators)
                .map(|(c, a)| c[i] * a)
                .sum();
            used.div_ceil(per).max(e.pool.min_instances)
        })
        .collect();
    let paid = schedule(&instances, dt, e.pool.instance_median_s);
    let mut run = run_components(
        e,
        Layout::Shared,
        &replay(s, e),
        &IcDriver::Scripted {
            copies: &copies,
            billed_seconds: paid.billed_seconds,
        },
    );
    run.peak_instances = paid.in_service.iter().copied().max().unwrap_or(0);
    run
}

/// AWS's recipe tuned on a train window: the factor, whether it kept the budget, and its
/// train cost and SLO minutes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tuned {
    /// The factor of each copy's concurrency chosen as the target.
    pub factor: f64,
    /// Whether it kept the budget on the train window.
    pub within: bool,
    /// Its train window's cost, USD.
    pub train_cost_usd: f64,
    /// Its train window's SLO-violation minutes.
    pub train_slo_minutes: f64,
}

/// `family`'s factor tuned on the train window: the cheapest within `budget` SLO minutes
/// (if none keeps it, the fewest minutes), and whether it kept it.
fn tune(train: &Scenario, e: &IcEndpoint, family: Family, budget: f64) -> Tuned {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let d = family.default_factor();
    let scores = parallel(&FACTORS, threads, |&f| {
        let r = run_family(train, e, family, d * f);
        (f, r.cost_usd, r.slo_violation_minutes)
    });
    let within: Vec<_> = scores.iter().filter(|s| s.2 <= budget + 1e-9).collect();
    let ok = !within.is_empty();
    let pick = if ok {
        within.into_iter().min_by(|a, b| {
            (a.1, a.2)
                .partial_cmp(&(b.1, b.2))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    } else {
        scores.iter().min_by(|a, b| {
            (a.2, a.1)
                .partial_cmp(&(b.2, b.1))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    };
    let (f, cost, slo) = pick.copied().unwrap_or((1.0, f64::NAN, f64::NAN));
    Tuned {
        factor: d * f,
        within: ok,
        train_cost_usd: cost,
        train_slo_minutes: slo,
    }
}

/// AWS's recipe on `s`'s components, for `tune`'s baselines: at its guidance and tuned, each
/// on the train window (`s`'s own without one) and on the test window, as `(cost, SLO
/// minutes)`; and the tuned factor.
pub(crate) struct RecipeScores {
    /// At its guidance: train, then test.
    pub default: [(f64, f64); 2],
    /// Tuned on the train window: train, then test.
    pub tuned: [(f64, f64); 2],
    /// What the train window chose.
    pub choice: Tuned,
}

/// The recipe's scores on `s`, if it has components.
pub(crate) fn recipe_scores(s: &Scenario) -> Option<RecipeScores> {
    let e = s.inference_components.as_ref()?;
    let train: &Scenario = s.train.as_deref().unwrap_or(s);
    let te = train.inference_components.as_ref().unwrap_or(e);
    let pair = |r: IcRun| (r.cost_usd, r.slo_violation_minutes);
    let recipe = Family::AwsRecipe;
    let default_train = pair(run_family(train, te, recipe, recipe.default_factor()));
    let choice = tune(train, te, recipe, default_train.1);
    Some(RecipeScores {
        default: [
            default_train,
            pair(run_family(s, e, recipe, recipe.default_factor())),
        ],
        tuned: [
            (choice.train_cost_usd, choice.train_slo_minutes),
            pair(run_family(s, e, recipe, choice.factor)),
        ],
        choice,
    })
}

/// Compared policy `p` over `s`'s components, reading the room as sagescale's daemon does.
pub(crate) fn run_policy(s: &Scenario, e: &IcEndpoint, p: &ComparedPolicy) -> IcRun {
    let offset = s.targets.len();
    let specs: Vec<TargetSpec> = (0..e.components.len())
        .map(|k| p.set.targets[p.target_of[offset + k]].clone())
        .collect();
    run_components(
        e,
        Layout::Shared,
        &replay(s, e),
        &IcDriver::Engine {
            room_aware: true,
            specs: &specs,
            metrics: &p.set.metrics,
            history: &p.set.metric_history,
        },
    )
}

/// Compare on `s`'s inference-component endpoint, if it has one.
#[must_use]
pub fn compare_components(s: &Scenario) -> Option<IcComparison> {
    let e = s.inference_components.as_ref()?;
    let train: &Scenario = s.train.as_deref().unwrap_or(s);
    let te = train.inference_components.as_ref().unwrap_or(e);
    let mut rows = Vec::new();
    for p in &s.policies {
        rows.push(IcRow {
            name: p.name.clone(),
            layout: "shared",
            target_factor: None,
            within_budget: None,
            run: run_policy(s, e, p),
        });
    }
    let recipe = Family::AwsRecipe;
    let budget = run_family(train, te, recipe, recipe.default_factor()).slo_violation_minutes;
    rows.push(IcRow {
        name: "aws-recipe".into(),
        layout: "shared",
        target_factor: Some(recipe.default_factor()),
        within_budget: None,
        run: run_family(s, e, recipe, recipe.default_factor()),
    });
    for family in Family::ALL {
        let t = tune(train, te, family, budget);
        rows.push(IcRow {
            name: family.tuned_name().into(),
            layout: if family.dedicated() {
                "dedicated"
            } else {
                "shared"
            },
            target_factor: Some(t.factor),
            within_budget: Some(t.within),
            run: run_family(s, e, family, t.factor),
        });
    }
    rows.push(IcRow {
        name: "oracle".into(),
        layout: "shared",
        target_factor: None,
        within_budget: None,
        run: oracle(s, e),
    });
    let serverless = e
        .components
        .iter()
        .zip(&e.accelerators)
        .map(|(c, &a)| ServerlessFit {
            component: c.name.clone(),
            does_not_fit: (a > 0).then(|| {
                format!(
                    "needs {a} accelerator(s) a copy: Serverless Inference has none (CPU only, 1 to 6 GB of memory)"
                )
            }),
        })
        .collect();
    Some(IcComparison {
        endpoint: e.name.clone(),
        instance_type: e.pool.instance_type.clone(),
        dedicated_instance_type: e.dedicated.instance_type.clone(),
        instances: (e.pool.min_instances, e.pool.max_instances),
        delays_s: (e.pool.instance_median_s, e.pool.copy_median_s),
        container_caching: e.container_caching,
        scale_in: e.pool.scale_in.to_string(),
        budget_slo_minutes: budget,
        in_sample: s.train.is_none(),
        rows,
        serverless,
    })
}

/// The comparison as the terminal prints it.
#[must_use]
pub fn ic_table(c: &IcComparison) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\ninference components on `{}` ({}, {}..={} instances by managed instance scaling; a new instance {:.0} s{}, a copy on a warm one {:.0} s; scale-in {})",
        c.endpoint,
        c.instance_type,
        c.instances.0,
        c.instances.1,
        c.delays_s.0,
        if c.container_caching { " with container caching" } else { "" },
        c.delays_s.1,
        c.scale_in
    );
    let _ = writeln!(
        s,
        "  {:<30} {:>9} {:>9} {:>8} {:>8} {:>10} {:>9} {:>6} {:>8}",
        "contender", "layout", "cost $", "inst-h", "SLO min", "no copy", "late", "wakes", "wake s"
    );
    for r in &c.rows {
        let wake = r
            .run
            .components
            .iter()
            .filter(|x| x.wakes > 0)
            .map(|x| x.mean_wake_s * f64::from(x.wakes))
            .sum::<f64>()
            / f64::from(r.run.wakes.max(1));
        let _ = writeln!(
            s,
            "  {:<30} {:>9} {:>9.2} {:>8.1} {:>8.0} {:>10.0} {:>9.0} {:>6} {:>8}",
            r.name,
            r.layout,
            r.run.cost_usd,
            r.run.instance_hours,
            r.run.slo_violation_minutes,
            r.run.failed_without_copy,
            r.run.late_after_wake,
            r.run.wakes,
            if r.run.wakes > 0 {
                format!("{wake:.0}")
            } else {
                "-".into()
            }
        );
    }
    let _ = writeln!(
        s,
        "  tuned rows: target = factor x a copy's concurrency (k8s-hpa, keda: x its requests a minute), chosen {} as the cheapest within {:.0} SLO minutes (aws-recipe's){}",
        if c.in_sample { "in-sample" } else { "on the train window" },
        c.budget_slo_minutes,
        if c.in_sample { "" } else { "; every figure is the test window's" }
    );
    let _ = writeln!(
        s,
        "  one-endpoint-per-model: each model alone on {} instances, at least one each",
        c.dedicated_instance_type
    );
    for f in &c.serverless {
        if let Some(why) = &f.does_not_fit {
            let _ = writeln!(s, "  serverless: `{}` does not fit: {why}", f.component);
        } else {
            let _ = writeln!(s, "  serverless: `{}` fits", f.component);
        }
    }
    s
}
