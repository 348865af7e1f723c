//! One interval of a real-time fleet near saturation, overloaded, or working off a backlog.
//!
//! The steady-state model (`service_law.rs`) answers for a queue that has run long enough at
//! one load to forget its start. Near utilisation 1 that takes far longer than an interval, and
//! past 1 there is no steady state at all. So while every server is busy the waiting queue is
//! modelled as a Brownian motion reflected at an empty queue (the heavy-traffic diffusion):
//! drift θ = λ − r, where r = cμ is the fleet's service rate, and variance σ² = λ + r·cs² per
//! second (Poisson arrivals; departures of busy servers whose service time has squared CV
//! cs²). In units of one interval of T seconds and of σ√T requests it has drift γ = θ√T/σ and
//! starts from x0 = q0/(σ√T), the queue the last interval left.
//!
//! What one interval's CloudWatch statistics show is one realisation, so the functionals are
//! *per path*: the 99th percentile of the queue an arrival finds within the interval (arrivals
//! are uniform in time), its median and time average, and the queue at the end, each averaged
//! over paths. `transient_table.rs` tabulates them (scripts/transient_table.py, checked here by
//! an independent Monte Carlo). Off the table the queue moves as a fluid, `max(0, x0 + γs)`,
//! plus the table's diffusion correction at its edge.
//!
//! How an interval is served, in `fleet::serve`:
//! - The wait p99 one interval can build up from an empty queue, W, caps the steady state: the
//!   interval is served as a stable queue at the load whose steady-state wait p99 is W, when
//!   that is below the load offered. The steady-state model then adds the service time as it
//!   always does, so the cap never changes how waits and service times combine. Past
//!   utilisation 1 that load is still below 1: p99 is continuous and increasing across it.
//! - Where one interval spans many relaxation times of the queue (γ ≤ −8, a relaxation time of
//!   at most 1/64 of the interval) the steady state stands unchanged; between γ = −8 and −4 the
//!   cap phases in.
//! - A backlog adds its own wait: the difference its start makes to each functional.
//! - The queue carried into the next interval is the expected end queue, less the share of a
//!   steady-state queue the next interval's model already accounts for.
//! - A stable load's mean latency counts the queue built over the intervals before
//!   (`fleet::Waiting::queue`): its share of the steady queue, read back as an age
//!   ([`age_of_share`]), builds for one more interval as [`built_share`] says. The percentiles
//!   stay the interval's own, as above.

use super::transient_table as table;

/// The drift below which an interval is steady-state: the table's lower edge.
pub const STEADY_GAMMA: f64 = table::GAMMA_MIN;
/// The drift above which the cap applies in full.
const FULL_CAP_GAMMA: f64 = -4.0;

/// The diffusion's scales for one interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Diffusion {
    /// Drift in units of the interval and the noise.
    pub gamma: f64,
    /// Requests per unit of the normalised queue: σ√T.
    pub scale: f64,
}

impl Diffusion {
    /// For arrivals at `lambda` per second to servers serving `rate` per second in all, whose
    /// service time has squared CV `cs2`, over `dt` seconds.
    #[must_use]
    pub fn new(lambda: f64, rate: f64, cs2: f64, dt: f64) -> Self {
        let scale = (lambda + rate * cs2).max(1e-12).sqrt() * dt.sqrt();
        Self {
            gamma: (lambda - rate) * dt / scale,
            scale,
        }
    }

    /// How much of the cap applies: 0 at and below `STEADY_GAMMA`, 1 from `FULL_CAP_GAMMA`.
    #[must_use]
    pub fn cap_weight(&self) -> f64 {
        ((self.gamma - STEADY_GAMMA) / (FULL_CAP_GAMMA - STEADY_GAMMA)).clamp(0.0, 1.0)
    }
}

/// Whether an interval is steady-state (γ ≤ `STEADY_GAMMA`), as `Diffusion::new` would find,
/// without its square root: the simulator asks this of every interval.
#[inline]
#[must_use]
pub fn is_steady(lambda: f64, rate: f64, cs2: f64, dt: f64) -> bool {
    // γ = (λ − r)√T/σ ≤ G < 0  ⇔  λ < r and (r − λ)² T ≥ G² σ².
    let slack = rate - lambda;
    slack > 0.0 && slack * slack * dt >= STEADY_GAMMA * STEADY_GAMMA * (lambda + rate * cs2)
}

/// The per-path functionals of one interval, in units of σ√T.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Functionals {
    /// The 99th percentile of the queue arrivals find.
    pub p99: f64,
    /// Its median.
    pub p50: f64,
    /// Its time average.
    pub mean: f64,
    /// The queue at the end.
    pub end: f64,
}

/// The functionals for drift `gamma` from `x0`.
#[must_use]
pub fn functionals(gamma: f64, x0: f64) -> Functionals {
    let x0 = x0.max(0.0);
    let g = gamma.clamp(table::GAMMA_MIN, gamma_max());
    let x = x0.min(x_max());
    // The table's diffusion correction to the fluid at the nearest point it covers; below the
    // table a steady queue's level shrinks as 1/|γ|, and so does the correction.
    let shrink = if gamma < table::GAMMA_MIN {
        table::GAMMA_MIN / gamma
    } else {
        1.0
    };
    let at = |t: &[[f64; table::XS]; table::GAMMAS], fluid: fn(f64, f64) -> f64| {
        fluid(gamma, x0) + (bilinear(t, g, x) - fluid(g, x)) * shrink
    };
    Functionals {
        p99: at(&table::P99, fluid_p99),
        p50: at(&table::P50, fluid_p50),
        mean: at(&table::MEAN, fluid_mean),
        end: at(&table::END, fluid_end),
    }
}

/// The queue carried into the next interval, in units of σ√T: the expected end queue, less
/// the steady-state queue (mean 1/(2|γ|)) to the extent the next interval's steady-state model
/// already holds it, `1 − cap_weight`. Where the cap is in full (γ ≥ −4) the next interval
/// starts from the whole end queue; where the steady state stands, only a backlog beyond its
/// queue carries. Continuous in γ.
#[must_use]
pub fn carried(d: &Diffusion, end: f64) -> f64 {
    let steady = if d.gamma < 0.0 {
        (1.0 - d.cap_weight()) / (2.0 * -d.gamma)
    } else {
        0.0
    };
    (end - steady).max(0.0)
}

/// The share of its steady queue (mean 1/(2|γ|)) a stable queue builds from empty over one
/// interval at drift `g` < 0: the table's end queue times 2|g|, made monotone (its running
/// maximum towards stronger drifts) and brought to 1 at −8, where the table holds the steady
/// state. (The table's Monte Carlo comes a few per cent over its own limit at moderate drifts
/// and about 11 % under 1/(2|g|) at −8.) By Brownian scaling, `t` intervals at drift γ build
/// `built_share(γ√t)`.
#[must_use]
pub fn built_share(g: f64) -> f64 {
    if g >= 0.0 {
        return 0.0;
    }
    if g <= table::GAMMA_MIN {
        return 1.0;
    }
    let shares = shares();
    let x = (g - table::GAMMA_MIN) / table::GAMMA_STEP;
    let i = (x as usize).min(table::GAMMAS - 2);
    let f = x - i as f64;
    shares[i] + f * (shares[i + 1] - shares[i])
}

/// `built_share` at the table's drifts: row i is γ = GAMMA_MIN + i·STEP, non-increasing in i.
fn shares() -> &'static [f64; table::GAMMAS] {
    static SHARES: std::sync::OnceLock<[f64; table::GAMMAS]> = std::sync::OnceLock::new();
    SHARES.get_or_init(|| {
        let mut s = [0.0; table::GAMMAS];
        let mut best: f64 = 0.0;
        // Walk from the weakest drift to −8.
        for i in (0..table::GAMMAS).rev() {
            let gi = table::GAMMA_MIN + table::GAMMA_STEP * i as f64;
            if gi < 0.0 {
                best = best.max(table::END[i][0] * 2.0 * -gi);
            }
            s[i] = best;
        }
        let top = s[0];
        s.map(|v| (v / top).min(1.0))
    })
}

/// How many intervals at drift `gamma` < 0 a queue must have been building from empty to hold
/// `share` of its steady queue: the weakest drift γ√t at which `built_share` reaches it, read
/// off the table's rows (at most the time from which the table holds the steady state,
/// (8/γ)²).
#[must_use]
pub fn age_of_share(gamma: f64, share: f64) -> f64 {
    if gamma >= 0.0 || share <= 0.0 {
        return 0.0;
    }
    let shares = shares();
    // The last row still reaching `share` (row 0, at −8, always does), and the next, short of
    // it: interpolate between them.
    let i = shares.partition_point(|&v| v >= share.min(1.0)) - 1;
    let g = if i + 1 < table::GAMMAS {
        let f = (shares[i] - share) / (shares[i] - shares[i + 1]);
        table::GAMMA_MIN + table::GAMMA_STEP * (i as f64 + f.clamp(0.0, 1.0))
    } else {
        table::GAMMA_MIN + table::GAMMA_STEP * i as f64
    };
    (g / gamma).powi(2)
}

fn gamma_max() -> f64 {
    table::GAMMA_MIN + table::GAMMA_STEP * (table::GAMMAS - 1) as f64
}

fn x_max() -> f64 {
    table::X_STEP * (table::XS - 1) as f64
}

fn bilinear(t: &[[f64; table::XS]; table::GAMMAS], g: f64, x: f64) -> f64 {
    let gi = ((g - table::GAMMA_MIN) / table::GAMMA_STEP).clamp(0.0, (table::GAMMAS - 1) as f64);
    let xi = (x / table::X_STEP).clamp(0.0, (table::XS - 1) as f64);
    let (i, j) = (
        (gi as usize).min(table::GAMMAS - 2),
        (xi as usize).min(table::XS - 2),
    );
    let (fg, fx) = (gi - i as f64, xi - j as f64);
    let lo = t[i][j] + fx * (t[i][j + 1] - t[i][j]);
    let hi = t[i + 1][j] + fx * (t[i + 1][j + 1] - t[i + 1][j]);
    lo + fg * (hi - lo)
}

/// The fluid queue `max(0, x0 + γs)` over s in [0, 1]: its time profile's 99th percentile.
fn fluid_p99(g: f64, x0: f64) -> f64 {
    if g >= 0.0 {
        x0 + 0.99 * g
    } else {
        (x0 + 0.01 * g).max(0.0)
    }
}

fn fluid_p50(g: f64, x0: f64) -> f64 {
    (x0 + 0.5 * g).max(0.0)
}

fn fluid_mean(g: f64, x0: f64) -> f64 {
    if g >= 0.0 || x0 + g >= 0.0 {
        x0 + 0.5 * g
    } else {
        // Empty from s = x0/|γ| on.
        0.5 * x0 * x0 / -g
    }
}

fn fluid_end(g: f64, x0: f64) -> f64 {
    (x0 + g).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    use statrs::distribution::Normal;

    /// An independent estimate of the per-path functionals: Lindley's recursion on a Gaussian
    /// random walk, with its own seed and step count.
    fn monte_carlo(g: f64, x0: f64, paths: usize, steps: usize) -> Functionals {
        let mut rng = StdRng::seed_from_u64(99);
        let dt = 1.0 / steps as f64;
        let (mut p99, mut p50, mut mean, mut end) = (0.0, 0.0, 0.0, 0.0);
        let normal = Normal::standard();
        let mut z = vec![0.0; steps + 1];
        for _ in 0..paths {
            z[0] = x0;
            for k in 1..=steps {
                let n: f64 = rng.sample(normal);
                z[k] = (z[k - 1] + g * dt + dt.sqrt() * n).max(0.0);
            }
            end += z[steps];
            mean += z.iter().sum::<f64>() / (steps + 1) as f64;
            let mut sorted = z.clone();
            sorted.sort_by(f64::total_cmp);
            let q = |p: f64| {
                let k = p * steps as f64;
                let lo = k.floor() as usize;
                let hi = (lo + 1).min(steps);
                sorted[lo] + (k - lo as f64) * (sorted[hi] - sorted[lo])
            };
            p99 += q(0.99);
            p50 += q(0.5);
        }
        let n = paths as f64;
        Functionals {
            p99: p99 / n,
            p50: p50 / n,
            mean: mean / n,
            end: end / n,
        }
    }

    #[test]
    fn the_table_is_the_diffusions() {
        // On grid points and between them, within the two Monte Carlos' joint error.
        for &(g, x0) in &[(-6.0, 0.0), (-0.7, 0.0), (0.75, 0.6), (-2.0, 2.1)] {
            let want = monte_carlo(g, x0, 1000, 2000);
            let got = functionals(g, x0);
            for (name, a, b) in [
                ("p99", got.p99, want.p99),
                ("p50", got.p50, want.p50),
                ("mean", got.mean, want.mean),
                ("end", got.end, want.end),
            ] {
                assert!(
                    (a - b).abs() <= 0.03 + 0.02 * b,
                    "γ={g} x0={x0} {name}: table {a} against Monte Carlo {b}"
                );
            }
        }
    }

    #[test]
    fn the_steady_test_is_the_drifts() {
        for (lambda, rate, cs2, dt) in [
            (10.0, 20.0, 1.0, 60.0),
            (19.0, 20.0, 1.0, 60.0),
            (5.0, 6.0, 0.0, 10.0),
            (30.0, 20.0, 4.0, 60.0),
        ] {
            let d = Diffusion::new(lambda, rate, cs2, dt);
            assert_eq!(
                is_steady(lambda, rate, cs2, dt),
                d.gamma <= STEADY_GAMMA,
                "{d:?}"
            );
        }
    }

    #[test]
    fn off_the_table_the_queue_is_a_fluid_with_the_edges_correction() {
        // Deep overload from a large backlog: the profile's top is the fluid's end.
        let f = functionals(30.0, 20.0);
        assert!((f.p99 - (20.0 + 0.99 * 30.0)).abs() < 0.2, "{f:?}");
        assert!((f.end - 50.0).abs() < 0.2, "{f:?}");
        // Recovery from a backlog larger than the table: the top is at the start.
        let r = functionals(-14.6, 29.2);
        assert!((r.p99 - (29.2 - 0.146)).abs() < 0.1, "{r:?}");
        assert!((r.end - 14.6).abs() < 0.2, "{r:?}");
        // Far below the table a steady queue is small, and shrinks with the drift.
        let (a, b) = (functionals(-16.0, 0.0), functionals(-32.0, 0.0));
        assert!(
            a.p99 > 0.0 && (b.p99 - 0.5 * a.p99).abs() < 1e-9,
            "{a:?} {b:?}"
        );
    }

    #[test]
    fn the_functionals_are_continuous_at_the_tables_edges() {
        for x0 in [0.0, 1.0, 3.9] {
            for edge in [table::GAMMA_MIN, gamma_max()] {
                let (a, b) = (functionals(edge - 1e-9, x0), functionals(edge + 1e-9, x0));
                assert!((a.p99 - b.p99).abs() < 1e-6 && (a.end - b.end).abs() < 1e-6);
            }
        }
        let (a, b) = (
            functionals(-1.0, x_max() - 1e-9),
            functionals(-1.0, x_max() + 1e-9),
        );
        assert!((a.p99 - b.p99).abs() < 1e-6 && (a.mean - b.mean).abs() < 1e-6);
    }

    #[test]
    fn a_queue_builds_its_steady_share_monotonically_and_an_age_reads_it_back() {
        // The share is the table's, within its Monte Carlo's bias, rises as the drift
        // strengthens (as the queue ages), and is all of it from −8 on.
        let mut last = 0.0;
        for k in 1..=80 {
            let g = -0.1 * f64::from(k);
            let share = built_share(g);
            assert!(
                share >= last && share <= 1.0,
                "γ√t={g}: {share} after {last}"
            );
            let table = functionals(g, 0.0).end * 2.0 * -g;
            assert!(
                (share - table).abs() < 0.13,
                "γ√t={g}: {share} against {table}"
            );
            last = share;
        }
        assert_eq!(built_share(STEADY_GAMMA), 1.0);
        assert_eq!(built_share(0.5), 0.0);
        // Read back as an age: t intervals at γ built the share of γ√t.
        for (gamma, t) in [(-0.3, 2.0f64), (-0.3, 20.0), (-2.0, 0.3)] {
            let share = built_share(gamma * t.sqrt());
            let age = age_of_share(gamma, share);
            assert!(
                (built_share(gamma * age.sqrt()) - share).abs() < 1e-6,
                "γ={gamma} t={t}: {age}"
            );
        }
        assert_eq!(age_of_share(-1.0, 0.0), 0.0);
        assert!(age_of_share(-1.0, 1.0) <= 64.0);
    }

    #[test]
    fn the_carried_queue_is_the_end_queue_beyond_the_steady_states() {
        let at = |gamma: f64| Diffusion { gamma, scale: 1.0 };
        // Near saturation the whole end queue carries.
        assert_eq!(carried(&at(-1.0), 0.5), 0.5);
        // A queue that had time to settle carries little beyond the steady state...
        let steady = functionals(STEADY_GAMMA, 0.0);
        assert!(carried(&at(STEADY_GAMMA), steady.end) < 0.01, "{steady:?}");
        // ...but a backlog still draining carries.
        let draining = functionals(-14.6, 29.2);
        assert!((carried(&at(-14.6), draining.end) - 14.6).abs() < 0.2);
        // Continuous where the cap phases in.
        for g in [STEADY_GAMMA, FULL_CAP_GAMMA] {
            assert!((carried(&at(g - 1e-9), 0.3) - carried(&at(g + 1e-9), 0.3)).abs() < 1e-6);
        }
    }
}
