//! M/M/c queueing: Erlang C waiting probability and response-time percentiles.
//!
//! Why M/M/c: arrivals within a trace interval are Poisson (the trace gives only counts), an
//! instance serves `concurrency` requests at once, and model latency is modelled as exponential
//! with the configured mean: the simplest model whose tail (p99) reacts to utilisation the way
//! real endpoints do, with closed forms to test against. Overload, where M/M/c has no steady
//! state, is handled by the fluid backlog in `fleet`.

use std::sync::OnceLock;

/// Where `erlang_c` stops and answers 0: with 1/B past this, C is below c × 1e-30, nothing
/// against any probability it is compared with.
const EARLY_EXIT: f64 = 1e30;

/// Erlang C: the probability that an arrival waits, for `c` servers at offered load
/// `a = λ/μ` (< c). Computed by the Erlang B recursion on `1/B`, which needs one division in
/// all and is stable for large `c`.
#[must_use]
pub fn erlang_c(c: u32, a: f64) -> f64 {
    if c == 0 {
        return 1.0;
    }
    if a <= 0.0 {
        return 0.0;
    }
    if a >= f64::from(c) {
        return 1.0;
    }
    let inv_a = 1.0 / a;
    let mut inv_b = 1.0;
    for k in 1..=c {
        inv_b = 1.0 + f64::from(k) * inv_a * inv_b;
        // Past the offered load each step multiplies 1/B by more than 1, so once it passes
        // 1e30 there, B at `c` is below 1e-30 and C, at most c / (c - a) × B with c - a > 1,
        // below c × 1e-30. Stopping here makes a fleet far larger than its load cost O(a),
        // not O(c).
        if inv_b > EARLY_EXIT && f64::from(k) > a + 1.0 {
            return 0.0;
        }
    }
    let b = 1.0 / inv_b;
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

/// The response time of an M/M/c FCFS queue: the service time `S ~ Exp(μ)` plus, with
/// probability `C` (Erlang C), a wait `W ~ Exp(cμ − λ)`. Build once per interval and ask it
/// several questions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResponseTime {
    wait_p: f64,
    theta: f64,
    mu: f64,
}

impl ResponseTime {
    /// For `c` servers of rate `mu` under arrivals at rate `lambda` (< cμ).
    #[must_use]
    pub fn new(c: u32, lambda: f64, mu: f64) -> Self {
        Self {
            wait_p: erlang_c(c, lambda / mu),
            theta: f64::from(c) * mu - lambda,
            mu,
        }
    }

    /// Mean response time.
    #[must_use]
    pub fn mean(&self) -> f64 {
        1.0 / self.mu + self.wait_p / self.theta
    }

    /// P(T > t) and the density at t.
    fn survival_density(&self, t: f64) -> (f64, f64) {
        let (mu, theta, cw) = (self.mu, self.theta, self.wait_p);
        let em = (-mu * t).exp();
        let (sum_s, sum_d) = if (theta - mu).abs() < 1e-9 * mu {
            ((1.0 + mu * t) * em, mu * mu * t * em)
        } else {
            let et = (-theta * t).exp();
            (
                (theta * em - mu * et) / (theta - mu),
                mu * theta * (em - et) / (theta - mu),
            )
        };
        (
            (1.0 - cw) * em + cw * sum_s,
            (1.0 - cw) * mu * em + cw * sum_d,
        )
    }

    /// P(T > t).
    #[must_use]
    pub fn survival(&self, t: f64) -> f64 {
        // S(t) <= e^{-min(μ,θ)t} (1 + (θ + μ)/|θ − μ|) away from the equal-rates case: far
        // in the tail that bound alone shows nothing survives that matters.
        if self.mu.min(self.theta) * t > 40.0 && (self.theta - self.mu).abs() > 1e-3 * self.mu {
            let bound = (-self.mu.min(self.theta) * t).exp()
                * (1.0 + (self.theta + self.mu) / (self.theta - self.mu).abs());
            if bound < 1e-15 {
                return 0.0;
            }
        }
        self.survival_density(t).0
    }

    /// The `q`-quantile, to a relative precision of 1e-6. Starts from the service time's own
    /// quantile, a lower bound, and is done there when waiting hardly matters (a lightly
    /// loaded fleet); otherwise Newton steps, which approach from below on the convex tail,
    /// with bisection as a safeguard.
    #[must_use]
    pub fn quantile(&self, q: f64) -> f64 {
        let target = 1.0 - q;
        let mut lo = -(target.ln()) / self.mu;
        let (s, d) = self.survival_density(lo);
        if s <= target * (1.0 + 1e-6) {
            return lo;
        }
        // P(S + W > a + b) <= P(S > a) + P(W > b): with each at target/2, `hi` is above the
        // quantile.
        let half = (0.5 * target).ln();
        let mut hi = -half / self.mu - half / self.theta.max(1e-12);
        let (mut t, mut s, mut d) = (lo, s, d);
        for _ in 0..100 {
            if s > target {
                lo = t;
            } else {
                hi = t;
            }
            let newton = t + (s - target) / d.max(1e-300);
            let next = if newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if (next - t).abs() <= 1e-6 * next || hi - lo <= 1e-9 * hi {
                return next;
            }
            t = next;
            (s, d) = self.survival_density(t);
        }
        t
    }
}

/// Utilisation grid of the quantile table: `GRID + 1` points from 0 to `RHO_MAX`. Above it the
/// tail steepens fast, so quantiles there are solved exactly.
const GRID: usize = 512;
const RHO_MAX: f64 = 0.96;
/// Server counts the table covers; more servers are solved exactly.
const MAX_TABULATED: u32 = 2048;

/// p50 and p99 per utilisation grid point, for one server count.
type Row = Box<[[f64; 2]]>;

/// One row per server count, filled on first use: p50 and p99 in units of the mean service
/// time `1/μ` (the M/M/c response time scales with it at fixed utilisation).
static TABLE: OnceLock<Vec<OnceLock<Row>>> = OnceLock::new();

fn row(c: u32) -> &'static [[f64; 2]] {
    let rows = TABLE.get_or_init(|| (0..=MAX_TABULATED).map(|_| OnceLock::new()).collect());
    rows[c as usize].get_or_init(|| {
        (0..=GRID)
            .map(|i| {
                let rho = RHO_MAX * i as f64 / GRID as f64;
                let rt = ResponseTime::new(c, rho * f64::from(c), 1.0);
                [rt.quantile(0.5), rt.quantile(0.99)]
            })
            .collect()
    })
}

/// p50 and p99 of the M/M/c response time for `c` servers of rate `mu` under arrivals at rate
/// `lambda` (< cμ), by linear interpolation in a per-`c` table on a utilisation grid (relative
/// error below 0.1 %, tested), or solved exactly at high utilisation or for very many servers.
/// The table is what makes the simulator's per-interval service cheap.
#[must_use]
pub fn tabulated_p50_p99(rt: &ResponseTime, c: u32, lambda: f64, mu: f64) -> (f64, f64) {
    let rho = lambda / (f64::from(c) * mu);
    if c == 0 || c > MAX_TABULATED || !(0.0..RHO_MAX).contains(&rho) {
        return (rt.quantile(0.5), rt.quantile(0.99));
    }
    let x = rho / RHO_MAX * GRID as f64;
    let i = (x as usize).min(GRID - 1);
    let f = x - i as f64;
    let r = row(c);
    let (a, b) = (r[i], r[i + 1]);
    (
        (a[0] + f * (b[0] - a[0])) / mu,
        (a[1] + f * (b[1] - a[1])) / mu,
    )
}

/// P(response time > t) in M/M/c FCFS.
#[must_use]
pub fn response_survival(c: u32, lambda: f64, mu: f64, t: f64) -> f64 {
    ResponseTime::new(c, lambda, mu).survival(t)
}

/// The `q`-quantile (e.g. 0.99) of the response time, in the unit of `1/μ`.
/// Requires a stable queue (`λ < cμ`).
#[must_use]
pub fn response_quantile(c: u32, lambda: f64, mu: f64, q: f64) -> f64 {
    ResponseTime::new(c, lambda, mu).quantile(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_closed_forms() {
        // M/M/1: P(wait) = ρ.
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
        // M/M/2 at a = 1: C = a^2 / (a^2 + (2 - a)(1 + a)) ... = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // Tabulated: c = 10, a = 8 -> 0.4092.
        assert!((erlang_c(10, 8.0) - 0.409_2).abs() < 1e-4);
        assert_eq!(erlang_c(3, 0.0), 0.0);
        assert_eq!(erlang_c(3, 3.0), 1.0);
    }

    #[test]
    fn erlang_c_stopping_early_changes_nothing_a_probability_can_see() {
        let full = |c: u32, a: f64| {
            let mut inv_b = 1.0;
            for k in 1..=c {
                inv_b = 1.0 + f64::from(k) * (1.0 / a) * inv_b;
            }
            let b = 1.0 / inv_b;
            f64::from(c) * b / (f64::from(c) - a * (1.0 - b))
        };
        for a in [0.3, 2.0, 7.5, 50.0, 400.0] {
            for c in [1u32, 2, 5, 10, 60, 100, 450, 1000, 20_000] {
                if f64::from(c) <= a {
                    continue;
                }
                let (got, want) = (erlang_c(c, a), full(c, a));
                assert!((got - want).abs() <= 1e-25, "c={c} a={a}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn mm1_response_time_is_exponential() {
        // In M/M/1, T ~ Exp(μ − λ): the p99 is ln(100) / (μ − λ).
        let (lambda, mu) = (7.0, 10.0);
        let p99 = response_quantile(1, lambda, mu, 0.99);
        assert!((p99 - 100f64.ln() / 3.0).abs() < 1e-5, "{p99}");
        let p50 = response_quantile(1, lambda, mu, 0.5);
        assert!((p50 - 2f64.ln() / 3.0).abs() < 1e-5, "{p50}");
        let rt = ResponseTime::new(1, lambda, mu);
        assert!((rt.mean() - 1.0 / 3.0).abs() < 1e-12);
        assert!((response_survival(1, lambda, mu, 0.5) - (-1.5f64).exp()).abs() < 1e-9);
    }

    #[test]
    fn light_load_leaves_only_service_time() {
        // With almost no waiting, p99 tends to ln(100)/μ.
        let p99 = response_quantile(64, 0.01, 10.0, 0.99);
        assert!((p99 - 100f64.ln() / 10.0).abs() < 1e-4);
    }

    #[test]
    fn quantiles_invert_the_survival_function_at_every_load() {
        for &(c, rho) in &[
            (1, 0.5),
            (4, 0.9),
            (16, 0.7),
            (64, 0.95),
            (200, 0.99),
            (8, 0.01),
        ] {
            let mu = 20.0;
            let lambda = rho * f64::from(c) * mu;
            let rt = ResponseTime::new(c, lambda, mu);
            for q in [0.5, 0.9, 0.99, 0.999] {
                let t = rt.quantile(q);
                assert!(
                    (rt.survival(t) - (1.0 - q)).abs() <= 1e-5 * (1.0 - q),
                    "c={c} rho={rho} q={q}: S({t}) = {}",
                    rt.survival(t)
                );
            }
        }
    }

    #[test]
    fn the_table_interpolates_within_a_tenth_of_a_percent() {
        let mut worst: f64 = 0.0;
        for c in [1, 2, 3, 5, 8, 13, 40, 100, 400, 2048] {
            for k in 0..400 {
                // Off-grid utilisations up to the table's edge, and past it (solved exactly).
                let rho = 0.999 * f64::from(k) / 400.0 + 0.000_37;
                let mu = 7.3;
                let lambda = rho * f64::from(c) * mu;
                let rt = ResponseTime::new(c, lambda, mu);
                let (p50, p99) = tabulated_p50_p99(&rt, c, lambda, mu);
                for (got, want) in [(p50, rt.quantile(0.5)), (p99, rt.quantile(0.99))] {
                    worst = worst.max((got - want).abs() / want);
                }
            }
        }
        eprintln!("worst relative error {worst:e}");
        assert!(worst < 1e-3, "worst relative error {worst}");
    }

    #[test]
    fn survival_far_in_the_tail_is_zero_not_noise() {
        let rt = ResponseTime::new(4, 60.0, 20.0);
        assert_eq!(rt.survival(60.0), 0.0);
        assert!(rt.survival(0.5) > 0.0);
        // Close to the bound the exact value is used.
        let near = ResponseTime::new(4, 79.9, 20.0);
        assert!(near.survival(60.0) > 0.0);
    }

    #[test]
    fn more_servers_never_worsen_the_tail() {
        let mut last = f64::INFINITY;
        for c in 9..30 {
            let p = response_quantile(c, 80.0, 10.0, 0.99);
            assert!(p <= last * (1.0 + 1e-5), "c = {c}: {p} > {last}");
            last = p;
        }
    }
}
