//! AWS and the peers at their best: each baseline family's target swept over a grid, chosen on
//! the train window by the rule `tune` uses (the cheapest within the SLO budget), and every
//! grid point also scored on the test window, for the trade-off curves.
//!
//! The SLO budget is the SLO-violation minutes of AWS target tracking at its documented
//! defaults on the train window: a careful user tunes until it is cheaper without breaking
//! the SLO more often than the default did. `aws-tuned` takes whichever AWS metric (the
//! standard one, or the high-resolution `ConcurrentRequestsPerModel`) does better.

use serde::{Deserialize, Serialize};

use super::baselines::Family;
use super::run::Replay;
use super::scenario::{Scenario, SimTarget};

/// The multiples of a family's default target the sweep tries (1 is the default itself).
pub const FACTORS: [f64; 39] = [
    0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1,
    1.15, 1.2, 1.25, 1.3, 1.35, 1.4, 1.45, 1.5, 1.55, 1.6, 1.65, 1.7, 1.75, 1.8, 1.85, 1.9, 1.95,
    2.0, 2.25, 2.5, 2.75, 3.0,
];

/// One target value of a family, scored on both windows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// The target value, in the unit of the family's metric.
    pub target: f64,
    /// Train window: USD.
    pub train_cost_usd: f64,
    /// Train window: SLO-violation minutes.
    pub train_slo_violation_minutes: f64,
    /// Test window: USD.
    pub cost_usd: f64,
    /// Test window: SLO-violation minutes.
    pub slo_violation_minutes: f64,
}

/// A family's sweep on one endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// The endpoint.
    pub endpoint: String,
    /// The family's row name.
    pub family: String,
    /// Its untuned target.
    pub default_target: f64,
    /// Every grid point, by target.
    pub points: Vec<SweepPoint>,
}

/// What a tuned baseline chose, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The family chosen (for `aws-tuned`, one of the two AWS metrics).
    pub family: String,
    /// The chosen point.
    #[serde(flatten)]
    pub point: SweepPoint,
    /// The train window's SLO budget.
    pub budget_slo_minutes: f64,
    /// Whether the point keeps the budget on the train window (if none does: the fewest SLO
    /// minutes, then the cheapest).
    pub within_budget: bool,
    /// Chosen on the window it is scored on: the scenario has no train window.
    pub in_sample: bool,
}

/// Every sweep of a scenario, with the budget per endpoint.
pub struct Sweeps {
    /// One per family and endpoint it applies to.
    pub sweeps: Vec<Sweep>,
    /// Per endpoint: the train window's budget.
    pub budgets: Vec<f64>,
    /// Whether the choices are in-sample.
    pub in_sample: bool,
}

/// The families swept: both AWS target-tracking metrics and the peers.
pub const SWEPT: [Family; 5] = [
    Family::AwsTargetTracking,
    Family::AwsHighRes,
    Family::Hpa,
    Family::Kpa,
    Family::Keda,
];

/// The grid of targets for `family` on `t`: the default times each factor (a utilisation
/// target at most 1, or the default if that is higher, so the default is always swept).
#[must_use]
pub fn grid(family: Family, t: &SimTarget) -> Vec<f64> {
    let d = family.default_target(t);
    let cap = if t.serverless_endpoint.is_some() {
        d.max(1.0)
    } else {
        f64::INFINITY
    };
    let mut out: Vec<f64> = FACTORS
        .iter()
        .map(|f| ((d * f).min(cap) * 1e6).round() / 1e6)
        .collect();
    out.dedup();
    out
}

/// Cost and SLO-violation minutes of `family` at `target` over endpoint `i` of `s`.
fn score(s: &Scenario, i: usize, family: Family, target: f64, arrivals: &[f64]) -> (f64, f64) {
    let t = &s.targets[i];
    let models = s.model_arrivals(t);
    let replay = Replay::of(s, i, arrivals, &models);
    let out = family.baseline(t, target).run(t, &replay, &[], false);
    let r = |x: f64| (x * 1e6).round() / 1e6;
    (
        r(out.acc.cost_usd(t.fleet.price_per_hour)),
        r(out.acc.violation_seconds / 60.0),
    )
}

/// Sweep every family over every endpoint, on the train window (the scenario's own when it
/// has none) and on the test window, over `threads` threads.
#[must_use]
pub fn sweep(s: &Scenario, threads: usize) -> Sweeps {
    let train: &Scenario = s.train.as_deref().unwrap_or(s);
    let arrivals: Vec<Vec<f64>> = s
        .targets
        .iter()
        .map(|t| s.arrivals(t).into_owned())
        .collect();
    let train_arrivals: Vec<Vec<f64>> = train
        .targets
        .iter()
        .map(|t| train.arrivals(t).into_owned())
        .collect();
    // The work: (endpoint, family, target).
    let mut work = Vec::new();
    for (i, t) in s.targets.iter().enumerate() {
        for f in SWEPT.into_iter().filter(|f| f.applies(t)) {
            for x in grid(f, t) {
                work.push((i, f, x));
            }
        }
    }
    let points = parallel(&work, threads, |&(i, f, x)| {
        let (train_cost_usd, train_slo_violation_minutes) =
            score(train, i, f, x, &train_arrivals[i]);
        let (cost_usd, slo_violation_minutes) = score(s, i, f, x, &arrivals[i]);
        SweepPoint {
            target: x,
            train_cost_usd,
            train_slo_violation_minutes,
            cost_usd,
            slo_violation_minutes,
        }
    });
    let mut sweeps: Vec<Sweep> = Vec::new();
    for (&(i, f, _), p) in work.iter().zip(points) {
        match sweeps.last_mut() {
            Some(w) if w.endpoint == s.targets[i].name && w.family == f.name() => w.points.push(p),
            _ => sweeps.push(Sweep {
                endpoint: s.targets[i].name.clone(),
                family: f.name().to_string(),
                default_target: f.default_target(&s.targets[i]),
                points: vec![p],
            }),
        }
    }
    let mut out = Sweeps {
        sweeps,
        budgets: Vec::new(),
        in_sample: s.train.is_none(),
    };
    out.budgets = s
        .targets
        .iter()
        .map(|t| {
            out.default_point(t, Family::AwsTargetTracking)
                .map_or(0.0, |p| p.train_slo_violation_minutes)
        })
        .collect();
    out
}

impl Sweeps {
    /// `family` at its default target on endpoint `t`.
    #[must_use]
    pub fn default_point(&self, t: &SimTarget, family: Family) -> Option<&SweepPoint> {
        let d = family.default_target(t);
        self.sweeps
            .iter()
            .find(|w| w.endpoint == t.name && w.family == family.name())
            .and_then(|w| w.points.iter().find(|p| (p.target - d).abs() < 1e-6))
    }

    /// The best of `families` on endpoint `endpoint` (index `i`), by the train window: the
    /// cheapest within the budget (ties: fewer SLO minutes, then the smaller target); if none
    /// keeps it, the fewest SLO minutes, then the cheapest.
    #[must_use]
    pub fn choose(&self, i: usize, endpoint: &str, families: &[Family]) -> Option<Choice> {
        let budget = self.budgets[i];
        let candidates = self
            .sweeps
            .iter()
            .filter(|w| w.endpoint == endpoint && families.iter().any(|f| f.name() == w.family))
            .flat_map(|w| w.points.iter().map(move |p| (w.family.as_str(), *p)));
        let key = |within: bool, p: &SweepPoint| {
            if within {
                (p.train_cost_usd, p.train_slo_violation_minutes, p.target)
            } else {
                (p.train_slo_violation_minutes, p.train_cost_usd, p.target)
            }
        };
        let all: Vec<(&str, SweepPoint)> = candidates.collect();
        let within: Vec<&(&str, SweepPoint)> = all
            .iter()
            .filter(|(_, p)| p.train_slo_violation_minutes <= budget + 1e-9)
            .collect();
        let ok = !within.is_empty();
        let pool: Vec<&(&str, SweepPoint)> = if ok { within } else { all.iter().collect() };
        pool.into_iter()
            .min_by(|a, b| {
                key(ok, &a.1)
                    .partial_cmp(&key(ok, &b.1))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .map(|&(family, point)| Choice {
                family: family.to_string(),
                point,
                budget_slo_minutes: budget,
                within_budget: ok,
                in_sample: self.in_sample,
            })
    }
}

/// `f` over `items` on `threads` threads, each taking the next item from a shared counter;
/// the results in the items' order. `tune` runs its candidates through it too.
pub fn parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.max(1).min(items.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(k) else { break };
                        mine.push((k, f(item)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    out.sort_by_key(|(k, _)| *k);
    out.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweeps(points: &[(f64, f64, f64)], budget: f64) -> Sweeps {
        Sweeps {
            sweeps: vec![Sweep {
                endpoint: "e".into(),
                family: "aws-target-tracking".into(),
                default_target: 1.0,
                points: points
                    .iter()
                    .map(|&(target, cost, slo)| SweepPoint {
                        target,
                        train_cost_usd: cost,
                        train_slo_violation_minutes: slo,
                        cost_usd: 0.0,
                        slo_violation_minutes: 0.0,
                    })
                    .collect(),
            }],
            budgets: vec![budget],
            in_sample: false,
        }
    }

    #[test]
    fn the_cheapest_within_the_budget_wins_on_the_train_window() {
        let s = sweeps(&[(1.0, 10.0, 5.0), (2.0, 8.0, 5.0), (3.0, 6.0, 9.0)], 5.0);
        let c = s.choose(0, "e", &[Family::AwsTargetTracking]).unwrap();
        assert_eq!((c.point.target, c.within_budget), (2.0, true));
        // Nothing within: the fewest SLO minutes.
        let s = sweeps(&[(1.0, 10.0, 7.0), (2.0, 8.0, 6.0)], 5.0);
        let c = s.choose(0, "e", &[Family::AwsTargetTracking]).unwrap();
        assert_eq!((c.point.target, c.within_budget), (2.0, false));
        // A family not swept: nothing.
        assert!(s.choose(0, "e", &[Family::Hpa]).is_none());
    }
}
