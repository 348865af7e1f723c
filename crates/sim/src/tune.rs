//! `sagescale tune`: search a policy template's parameters for the cheapest setting that keeps
//! the SLO on a scenario's trace.
//!
//! A template is a policy file with placeholders where values are to be searched:
//! `{{name = 1200..1800 step 60}}` (an inclusive range) or `{{name = 60 | 120 | 180}}` (a list).
//! Each candidate is the template with one value per placeholder, compiled and validated like
//! any policy file, and replayed through the same world as `simulate`. Candidates are the grid
//! of all combinations, or, past `budget`, a seeded sample of it. The work splits over threads
//! and, with `shard`, over processes or hosts; every result carries its grid index, so shards
//! merge by concatenation and the same inputs always give the same answer.
//!
//! Walk-forward: every candidate is scored on the train window and on the test window. The
//! winner is chosen on the train window alone; the figures it is quoted with are the test
//! window's, against `aws-tuned` (AWS target tracking with its metric and target chosen on the
//! same train window by the same rule, `baseline_search.rs`).

use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::baseline_search::{parallel, sweep, Choice, Sweep};
use super::baselines::Family;
use super::run::{run, Driver, Replay};
use super::scenario::{compared_policy_text, Scenario};

/// One placeholder: its name and the values it takes, as text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Name.
    pub name: String,
    /// Values, as they are written into the policy file.
    pub values: Vec<String>,
}

/// A policy template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Where it was read from.
    pub path: PathBuf,
    /// Text pieces between placeholders (one more than placeholders).
    pub pieces: Vec<String>,
    /// Placeholders, in order of appearance.
    pub params: Vec<Param>,
    /// The placeholder each gap between pieces takes: a `{{name = ...}}` defines one, a later
    /// `{{name}}` takes the same value again (one target's value on several targets).
    #[serde(default)]
    pub slots: Vec<usize>,
}

/// Format a range value without float noise: 0.1 + 2 × 0.1 is 0.3.
fn number(x: f64) -> String {
    let r = (x * 1e9).round() / 1e9;
    let s = format!("{r}");
    if s.contains('e') {
        format!("{x}")
    } else {
        s
    }
}

fn parse_placeholder(inner: &str) -> Result<Param, String> {
    let (name, spec) = inner.split_once('=').ok_or_else(|| {
        format!(
            "`{{{{{inner}}}}}`: write `{{{{name = a..b step s}}}}` or `{{{{name = a | b | c}}}}`"
        )
    })?;
    let name = name.trim().to_string();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "`{name}`: a placeholder name is letters, digits and `_`"
        ));
    }
    let spec = spec.trim();
    let values: Vec<String> = if let Some((range, step)) = spec.split_once("step") {
        let (a, b) = range
            .split_once("..")
            .ok_or_else(|| format!("`{name}`: a range is `a..b step s`"))?;
        let parse = |v: &str| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| format!("`{name}`: `{}` is not a number", v.trim()))
        };
        let (a, b, s) = (parse(a)?, parse(b)?, parse(step)?);
        if !(s > 0.0 && b >= a && a.is_finite() && b.is_finite()) {
            return Err(format!("`{name}`: need a <= b and a step above 0"));
        }
        let n = ((b - a) / s + 1e-9).floor() as usize + 1;
        if n > 10_000 {
            return Err(format!("`{name}`: {n} values; at most 10,000"));
        }
        (0..n).map(|k| number(a + k as f64 * s)).collect()
    } else {
        spec.split('|').map(|v| v.trim().to_string()).collect()
    };
    if values.iter().any(String::is_empty) {
        return Err(format!("`{name}`: an empty value"));
    }
    Ok(Param { name, values })
}

impl Template {
    /// Read a template.
    ///
    /// # Errors
    /// The file cannot be read, a placeholder is malformed or repeated, or there is none.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Self::parse(path, &text)
    }

    /// Parse a template's text.
    ///
    /// # Errors
    /// A placeholder is malformed or repeated, or there is none.
    pub fn parse(path: &Path, text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        let mut slots = Vec::new();
        let mut rest = text;
        let mut line = 1;
        while let Some(open) = rest.find("{{") {
            let before = &rest[..open];
            line += before.matches('\n').count();
            let Some(close) = rest[open..].find("}}") else {
                return Err(format!("{}:{line}: `{{{{` without `}}}}`", path.display()));
            };
            let inner = &rest[open + 2..open + close];
            pieces.push(before.to_string());
            rest = &rest[open + close + 2..];
            let reference = inner.trim();
            if !inner.contains('=')
                && !reference.is_empty()
                && reference
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                let name = reference;
                let Some(k) = params.iter().position(|q| q.name == name) else {
                    return Err(format!(
                        "{}:{line}: `{{{{{name}}}}}` takes the value of a placeholder defined before it, and none is called `{name}`: define it first with `{{{{{name} = a | b}}}}`",
                        path.display()
                    ));
                };
                slots.push(k);
                continue;
            }
            let p =
                parse_placeholder(inner).map_err(|e| format!("{}:{line}: {e}", path.display()))?;
            if params.iter().any(|q| q.name == p.name) {
                return Err(format!(
                    "{}:{line}: `{}` is defined twice: each placeholder is searched once (write `{{{{{}}}}}` to use its value again)",
                    path.display(),
                    p.name,
                    p.name
                ));
            }
            slots.push(params.len());
            params.push(p);
        }
        pieces.push(rest.to_string());
        if params.is_empty() {
            return Err(format!(
                "{}: no `{{{{name = ...}}}}` placeholder: nothing to tune",
                path.display()
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            pieces,
            params,
            slots,
        })
    }

    /// Candidates in the full grid.
    #[must_use]
    pub fn grid_size(&self) -> usize {
        self.params
            .iter()
            .map(|p| p.values.len())
            .fold(1usize, usize::saturating_mul)
    }

    /// The value index of each placeholder for grid index `i` (the last placeholder varies
    /// fastest).
    #[must_use]
    pub fn choice(&self, mut i: usize) -> Vec<usize> {
        let mut out = vec![0; self.params.len()];
        for (k, p) in self.params.iter().enumerate().rev() {
            out[k] = i % p.values.len();
            i /= p.values.len();
        }
        out
    }

    /// The placeholders' values for grid index `i`.
    #[must_use]
    pub fn values(&self, i: usize) -> Vec<(String, String)> {
        self.choice(i)
            .iter()
            .zip(&self.params)
            .map(|(&v, p)| (p.name.clone(), p.values[v].clone()))
            .collect()
    }

    /// The policy file for grid index `i`.
    #[must_use]
    pub fn render(&self, i: usize) -> String {
        let mut out = String::new();
        let choice = self.choice(i);
        // A template from before references had one slot per placeholder, in order.
        let slots: Vec<usize> = if self.slots.is_empty() {
            (0..self.params.len()).collect()
        } else {
            self.slots.clone()
        };
        for (piece, k) in self.pieces.iter().zip(slots) {
            out.push_str(piece);
            out.push_str(&self.params[k].values[choice[k]]);
        }
        out.push_str(self.pieces.last().map_or("", String::as_str));
        out
    }

    /// The name candidates are compiled under: the template's path, with `.toml` added when
    /// its name gives no format (a YAML template must end in `.yaml` or `.yml`).
    fn candidate_name(&self) -> PathBuf {
        match self.path.extension().and_then(|e| e.to_str()) {
            Some("toml" | "yaml" | "yml") => self.path.clone(),
            _ => {
                let mut name = self.path.clone().into_os_string();
                name.push(".toml");
                PathBuf::from(name)
            }
        }
    }
}

/// How to search.
#[derive(Clone, Copy, Debug)]
pub struct TuneOptions {
    /// Largest number of candidates; past it, a seeded sample of the grid.
    pub budget: usize,
    /// The SLO-violation minutes a winner may have (default: the AWS emulation's).
    pub max_slo_minutes: Option<f64>,
    /// Threads.
    pub threads: usize,
    /// This process's share: `(k, n)` takes every n-th candidate from the k-th (0-based).
    pub shard: Option<(usize, usize)>,
    /// Show a progress bar.
    pub progress: bool,
}

/// A run's figures over one window, summed over the endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Total cost, USD (NaN, `null` in JSON, for an invalid candidate).
    #[serde(deserialize_with = "nan_if_null")]
    pub cost_usd: f64,
    /// SLO-violation minutes.
    #[serde(deserialize_with = "nan_if_null")]
    pub slo_violation_minutes: f64,
    /// Failed requests.
    #[serde(deserialize_with = "nan_if_null")]
    pub failed_requests: f64,
}

impl Scores {
    const NAN: Self = Self {
        cost_usd: f64::NAN,
        slo_violation_minutes: f64::NAN,
        failed_requests: f64::NAN,
    };
}

/// One candidate's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Index in the grid.
    pub index: usize,
    /// Placeholder values.
    pub values: Vec<(String, String)>,
    /// The train window's figures: what the winner is chosen by.
    pub train: Scores,
    /// The test window's figures: what the winner is quoted with.
    pub test: Scores,
    /// Why it could not run (an invalid policy), if it could not.
    pub error: Option<String>,
}

/// The walk-forward windows of a search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Windows {
    /// The window candidates are chosen on (`None`: the test window itself).
    pub train: Option<String>,
    /// The window the figures are quoted on (`None`: the whole trace).
    pub test: Option<String>,
    /// Chosen and quoted on the same window.
    pub in_sample: bool,
    /// Why the windows are what they are.
    pub note: Option<String>,
}

/// A baseline's figures on both windows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineScores {
    /// Train window.
    pub train: Scores,
    /// Test window.
    pub test: Scores,
    /// Per endpoint: the family and target chosen on the train window (tuned baselines).
    #[serde(default)]
    pub chosen: Vec<(String, String, f64)>,
}

/// JSON writes NaN as `null`; read it back as NaN.
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// A search's results (one shard's, or merged).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TuneReport {
    /// Scenario name.
    pub scenario: String,
    /// The template.
    pub template: Template,
    /// The windows.
    pub evaluation: Windows,
    /// SLO-violation minutes a winner may have on the train window.
    pub max_slo_minutes: f64,
    /// AWS target tracking at its documented defaults.
    pub aws: BaselineScores,
    /// `aws-tuned`: AWS target tracking with its metric and target chosen on the train window.
    pub aws_tuned: BaselineScores,
    /// Candidates in the full grid.
    pub grid_size: usize,
    /// The candidates run, by grid index.
    pub candidates: Vec<Candidate>,
    /// The baseline families' sweeps (both windows): their trade-off curves.
    #[serde(default)]
    pub baseline_sweeps: Vec<Sweep>,
    /// On the test window, `(a, b)`: family `a` is no dearer than `b` at every SLO budget both
    /// reach, and cheaper at one (the template is `template`).
    #[serde(default)]
    pub dominance: Vec<(String, String)>,
}

impl TuneReport {
    /// The cheapest candidate within the SLO budget on the train window (ties: fewer SLO
    /// minutes, then grid order). Its test figures play no part.
    #[must_use]
    pub fn best(&self) -> Option<&Candidate> {
        self.candidates
            .iter()
            .filter(|c| {
                c.error.is_none() && c.train.slo_violation_minutes <= self.max_slo_minutes + 1e-9
            })
            .min_by(|a, b| {
                (a.train.cost_usd, a.train.slo_violation_minutes, a.index)
                    .partial_cmp(&(b.train.cost_usd, b.train.slo_violation_minutes, b.index))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
    }

    /// The trade-off curve on the test window: candidates no other candidate beats on both
    /// cost and SLO minutes there, cheapest first.
    #[must_use]
    pub fn pareto(&self) -> Vec<&Candidate> {
        pareto(self.candidates.iter().filter(|c| c.error.is_none()), |c| {
            (c.test.cost_usd, c.test.slo_violation_minutes)
        })
    }

    /// Each family's test-window points: the template's candidates, then each baseline's.
    #[must_use]
    pub fn curves(&self) -> Vec<(String, Vec<(f64, f64)>)> {
        let mut out = vec![(
            "template".to_string(),
            self.candidates
                .iter()
                .filter(|c| c.error.is_none())
                .map(|c| (c.test.cost_usd, c.test.slo_violation_minutes))
                .collect(),
        )];
        out.extend(super::report::tradeoff::family_curves(
            &self.baseline_sweeps,
        ));
        out
    }

    fn judge(&mut self) {
        self.dominance = super::report::tradeoff::verdicts(&self.curves());
    }

    /// Merge shards of one search.
    ///
    /// # Errors
    /// The shards come from different searches.
    pub fn merge(mut parts: Vec<Self>) -> Result<Self, String> {
        let Some(mut first) = (!parts.is_empty()).then(|| parts.remove(0)) else {
            return Err("nothing to merge".into());
        };
        for p in parts {
            if p.template != first.template || p.scenario != first.scenario {
                return Err(format!(
                    "shards of different searches: `{}` with {} against `{}` with {}",
                    first.scenario,
                    first.template.path.display(),
                    p.scenario,
                    p.template.path.display()
                ));
            }
            first.candidates.extend(p.candidates);
        }
        first.candidates.sort_by_key(|c| c.index);
        first.candidates.dedup_by_key(|c| c.index);
        first.judge();
        Ok(first)
    }
}

/// The points no other beats on both cost and SLO minutes, cheapest first (`f` gives a
/// point's cost and SLO minutes).
pub fn pareto<'a, T>(
    items: impl Iterator<Item = &'a T>,
    f: impl Fn(&T) -> (f64, f64),
) -> Vec<&'a T> {
    let mut ok: Vec<&T> = items.collect();
    ok.sort_by(|a, b| f(a).partial_cmp(&f(b)).unwrap_or(std::cmp::Ordering::Equal));
    let mut front: Vec<&T> = Vec::new();
    for c in ok {
        if front.last().is_none_or(|l| f(c).1 < f(l).1) {
            front.push(c);
        }
    }
    front
}

/// The grid indices to run: all of them, or a seeded sample of `budget`; then this shard's.
#[must_use]
pub fn plan(grid: usize, budget: usize, seed: u64, shard: Option<(usize, usize)>) -> Vec<usize> {
    let mut picked: Vec<usize> = if grid <= budget {
        (0..grid).collect()
    } else {
        // Floyd's sampling: `budget` distinct indices, the same for a seed.
        let mut rng = StdRng::seed_from_u64(seed ^ 0x7u64.rotate_left(61));
        let mut set = std::collections::BTreeSet::new();
        for j in grid - budget..grid {
            let t = rng.random_range(0..=j);
            if !set.insert(t) {
                set.insert(j);
            }
        }
        set.into_iter().collect()
    };
    if let Some((k, n)) = shard {
        picked = picked
            .into_iter()
            .enumerate()
            .filter(|(pos, _)| pos % n == k)
            .map(|(_, i)| i)
            .collect();
    }
    picked
}

/// Run the search.
///
/// # Errors
/// Every candidate failed to compile (the first one's problems are given).
pub fn tune(s: &Scenario, template: &Template, o: &TuneOptions) -> Result<TuneReport, String> {
    let windows: Vec<Window<'_>> = [s.train.as_deref(), Some(s)]
        .into_iter()
        .flatten()
        .map(Window::of)
        .collect();
    // The baselines on both windows: AWS at its defaults and tuned (and the peers' sweeps,
    // for the trade-off curves).
    let sweeps = sweep(s, o.threads);
    let mut aws = BaselineScores {
        train: Scores::zero(),
        test: Scores::zero(),
        chosen: Vec::new(),
    };
    let mut aws_tuned = aws.clone();
    for (i, t) in s.targets.iter().enumerate() {
        if let Some(p) = sweeps.default_point(t, Family::AwsTargetTracking) {
            aws.add(
                p.train_cost_usd,
                p.train_slo_violation_minutes,
                p.cost_usd,
                p.slo_violation_minutes,
            );
        }
        if let Some(Choice {
            family, point: p, ..
        }) = sweeps.choose(i, &t.name, &[Family::AwsTargetTracking, Family::AwsHighRes])
        {
            aws_tuned.add(
                p.train_cost_usd,
                p.train_slo_violation_minutes,
                p.cost_usd,
                p.slo_violation_minutes,
            );
            aws_tuned
                .chosen
                .push((t.name.clone(), family.to_string(), p.target));
        }
    }
    // An endpoint of inference components: AWS's recipe, at its guidance and tuned.
    if let (Some(r), Some(e)) = (
        super::ic_compare::recipe_scores(s),
        s.inference_components.as_ref(),
    ) {
        let [(a, b), (c, d)] = r.default;
        aws.add(a, b, c, d);
        let [(a, b), (c, d)] = r.tuned;
        aws_tuned.add(a, b, c, d);
        aws_tuned
            .chosen
            .push((e.name.clone(), "aws-recipe".to_string(), r.choice.factor));
    }
    let aws_train_slo = aws.train.slo_violation_minutes;
    let grid = template.grid_size();
    let todo = plan(grid, o.budget, s.seed, o.shard);

    let bar = if o.progress {
        let b = indicatif::ProgressBar::with_draw_target(
            Some(todo.len() as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {wide_bar} {pos}/{len} candidates {elapsed} (eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut results: Vec<Candidate> = parallel(&todo, o.threads, |&index| {
        let c = candidate(s, template, index, &windows);
        bar.inc(1);
        c
    });
    bar.finish_and_clear();
    results.sort_by_key(|c| c.index);
    // A shard may hold only invalid candidates; the merged search decides.
    if o.shard.is_none() && !results.is_empty() && results.iter().all(|c| c.error.is_some()) {
        return Err(format!(
            "no candidate compiled; the first: {}",
            results[0].error.clone().unwrap_or_default()
        ));
    }
    let mut report = TuneReport {
        scenario: s.name.clone(),
        template: template.clone(),
        evaluation: Windows {
            train: s
                .train
                .as_ref()
                .and_then(|t| t.window.as_ref().map(ToString::to_string)),
            test: s.window.as_ref().map(ToString::to_string),
            in_sample: s.train.is_none(),
            note: s.evaluation_note.clone(),
        },
        max_slo_minutes: o
            .max_slo_minutes
            .unwrap_or((aws_train_slo * 1e6).round() / 1e6),
        aws: aws.rounded(),
        aws_tuned: aws_tuned.rounded(),
        grid_size: grid,
        candidates: results,
        baseline_sweeps: sweeps.sweeps,
        dominance: Vec::new(),
    };
    report.judge();
    Ok(report)
}

/// One window's arrivals, ready to replay.
struct Window<'a> {
    s: &'a Scenario,
    arrivals: Vec<Vec<f64>>,
}

impl<'a> Window<'a> {
    fn of(s: &'a Scenario) -> Self {
        Self {
            s,
            arrivals: s
                .targets
                .iter()
                .map(|t| s.arrivals(t).into_owned())
                .collect(),
        }
    }
}

impl Scores {
    fn zero() -> Self {
        Self {
            cost_usd: 0.0,
            slo_violation_minutes: 0.0,
            failed_requests: 0.0,
        }
    }

    fn rounded(self) -> Self {
        let r = |x: f64| (x * 1e6).round() / 1e6;
        Self {
            cost_usd: r(self.cost_usd),
            slo_violation_minutes: r(self.slo_violation_minutes),
            failed_requests: r(self.failed_requests),
        }
    }
}

impl BaselineScores {
    fn add(&mut self, train_cost: f64, train_slo: f64, cost: f64, slo: f64) {
        self.train.cost_usd += train_cost;
        self.train.slo_violation_minutes += train_slo;
        self.test.cost_usd += cost;
        self.test.slo_violation_minutes += slo;
    }

    fn rounded(mut self) -> Self {
        self.train = self.train.rounded();
        self.test = self.test.rounded();
        self
    }
}

fn candidate(s: &Scenario, template: &Template, index: usize, windows: &[Window<'_>]) -> Candidate {
    let values = template.values(index);
    let mut c = Candidate {
        index,
        values,
        train: Scores::NAN,
        test: Scores::NAN,
        error: None,
    };
    // Compiled from text, reported under the template's own path: no file is written.
    let policy = compared_policy_text(
        format!("candidate-{index}"),
        &template.candidate_name(),
        &template.render(index),
        &s.driven(),
    );
    let policy = match policy {
        Ok(p) => p,
        Err(e) => {
            c.error = Some(e.to_string());
            return c;
        }
    };
    let mut scores = windows.iter().map(|w| {
        let mut sum = Scores::zero();
        for (i, t) in w.s.targets.iter().enumerate() {
            let spec = &policy.set.targets[policy.target_of[i]];
            let driver = Driver::Engine {
                spec,
                metrics: &policy.set.metrics,
                history: &policy.set.metric_history,
            };
            let models = w.s.model_arrivals(t);
            let out = run(
                t,
                &Replay::of(w.s, i, &w.arrivals[i], &models),
                &[],
                &driver,
                false,
            );
            sum.cost_usd += out.acc.cost_usd(t.fleet.price_per_hour);
            sum.slo_violation_minutes += out.acc.violation_seconds / 60.0;
            sum.failed_requests += out.acc.failed;
        }
        if let Some(e) = &w.s.inference_components {
            let r = super::ic_compare::run_policy(w.s, e, &policy);
            sum.cost_usd += r.cost_usd;
            sum.slo_violation_minutes += r.slo_violation_minutes;
            sum.failed_requests += r.failed;
        }
        // Rounded as the simulate report rounds, so results survive a JSON round trip exactly.
        sum.rounded()
    });
    // In-sample (no train window): the one window is both.
    let first = scores.next().unwrap_or(Scores::NAN);
    c.test = scores.next().unwrap_or(first);
    c.train = first;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template::parse(Path::new("t.toml"), text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn placeholders_expand_to_a_grid_and_render() {
        let t = template("a = {{x = 1..2 step 0.5}}\nb = {{y = 60 | 120}}\n");
        assert_eq!(t.params[0].values, ["1", "1.5", "2"]);
        assert_eq!(t.grid_size(), 6);
        assert_eq!(t.render(0), "a = 1\nb = 60\n");
        assert_eq!(t.render(5), "a = 2\nb = 120\n");
        assert_eq!(
            t.values(3),
            [("x".into(), "1.5".into()), ("y".into(), "120".into())]
        );
        // `{{x}}` takes the value `x` has: one search dimension, two places.
        let r = template("a = {{x = 1 | 2}}\nb = {{y = 3 | 4}}\nc = {{x}}\n");
        assert_eq!(r.grid_size(), 4);
        assert_eq!(r.render(3), "a = 2\nb = 4\nc = 2\n");
        assert_eq!(r.values(2).len(), 2);
        // Float steps do not drift.
        let f = template("v = {{r = 0.1..0.7 step 0.1}}");
        assert_eq!(
            f.params[0].values,
            ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]
        );
    }

    #[test]
    fn malformed_templates_name_the_line() {
        let e = Template::parse(Path::new("t.toml"), "a = 1\nb = {{x 5}}\n").unwrap_err();
        assert!(e.starts_with("t.toml:2:"), "{e}");
        let e =
            Template::parse(Path::new("t.toml"), "a = {{x = 1|2}}\nb = {{x = 3|4}}").unwrap_err();
        assert!(e.contains("defined twice"), "{e}");
        let e = Template::parse(Path::new("t.toml"), "a = 1\nb = {{x}}").unwrap_err();
        assert!(
            e.starts_with("t.toml:2:") && e.contains("none is called `x`"),
            "{e}"
        );
        let e = Template::parse(Path::new("t.toml"), "a = 1").unwrap_err();
        assert!(e.contains("nothing to tune"), "{e}");
        let e = Template::parse(Path::new("t.toml"), "a = {{x = 5..1 step 1}}").unwrap_err();
        assert!(e.contains("a <= b"), "{e}");
    }

    #[test]
    fn plans_sample_reproducibly_and_shards_partition() {
        assert_eq!(plan(5, 10, 1, None), [0, 1, 2, 3, 4]);
        let a = plan(1000, 50, 7, None);
        assert_eq!(a.len(), 50);
        assert_eq!(a, plan(1000, 50, 7, None), "same seed, same sample");
        assert_ne!(a, plan(1000, 50, 8, None));
        let mut all: Vec<usize> = (0..3)
            .flat_map(|k| plan(1000, 50, 7, Some((k, 3))))
            .collect();
        all.sort_unstable();
        assert_eq!(all, a, "shards cover the sample exactly once");
    }

    #[test]
    fn the_winner_is_chosen_on_train_and_the_curve_drawn_on_test() {
        let scores = |cost_usd, slo_violation_minutes| Scores {
            cost_usd,
            slo_violation_minutes,
            failed_requests: 0.0,
        };
        // (train cost, train SLO) and (test cost, test SLO).
        let c = |index, train: (f64, f64), test: (f64, f64)| Candidate {
            index,
            values: vec![],
            train: scores(train.0, train.1),
            test: scores(test.0, test.1),
            error: None,
        };
        let zero = BaselineScores {
            train: scores(10.0, 5.0),
            test: scores(10.0, 5.0),
            chosen: vec![],
        };
        let r = TuneReport {
            scenario: "s".into(),
            template: template("a = {{x = 1|2}}"),
            evaluation: Windows {
                train: Some("a..b".into()),
                test: Some("b..c".into()),
                in_sample: false,
                note: None,
            },
            max_slo_minutes: 5.0,
            aws: zero.clone(),
            aws_tuned: zero,
            grid_size: 4,
            candidates: vec![
                c(0, (5.0, 20.0), (5.0, 20.0)),
                // Cheapest within budget on train, though test would pick another.
                c(1, (6.0, 4.0), (9.0, 30.0)),
                c(2, (7.0, 6.0), (6.0, 4.0)),
                c(3, (8.0, 1.0), (8.0, 1.0)),
            ],
            baseline_sweeps: vec![],
            dominance: vec![],
        };
        assert_eq!(r.best().map(|b| b.index), Some(1));
        let front: Vec<usize> = r.pareto().iter().map(|c| c.index).collect();
        assert_eq!(front, [0, 2, 3], "the curve is the test window's");
    }
}
