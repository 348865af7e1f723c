//! M/M/c queueing: Erlang C waiting probability and response-time percentiles.
//!
//! Why M/M/c: arrivals within a trace interval are Poisson (the trace gives only counts), an
//! instance serves `concurrency` requests at once, and model latency is modelled as exponential
//! with the configured mean: the simplest model whose tail (p99) reacts to utilisation the way
//! real endpoints do, with closed forms to test against. Overload, where M/M/c has no steady
//! state, is handled by the fluid backlog in `fleet`.

/// Erlang C: the probability that an arrival waits, for `c` servers at offered load
/// `a = λ/μ` (< c). Computed by the Erlang B recursion, stable for large `c`.
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
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

/// P(response time > t) in M/M/c FCFS: the service time `S ~ Exp(μ)` plus, with probability
/// `C`, a wait `W ~ Exp(cμ − λ)`.
#[must_use]
pub fn response_survival(c: u32, lambda: f64, mu: f64, t: f64) -> f64 {
    let wait_p = erlang_c(c, lambda / mu);
    survival_with(wait_p, f64::from(c) * mu - lambda, mu, t)
}

fn survival_with(wait_p: f64, theta: f64, mu: f64, t: f64) -> f64 {
    let service = (-mu * t).exp();
    // P(S + W > t) for independent exponentials with rates μ and θ.
    let sum = if (theta - mu).abs() < 1e-9 * mu {
        (1.0 + mu * t) * service
    } else {
        (theta * service - mu * (-theta * t).exp()) / (theta - mu)
    };
    (1.0 - wait_p) * service + wait_p * sum
}

/// The `q`-quantile (e.g. 0.99) of the response time, in the unit of `1/μ`.
/// Requires a stable queue (`λ < cμ`).
#[must_use]
pub fn response_quantile(c: u32, lambda: f64, mu: f64, q: f64) -> f64 {
    let wait_p = erlang_c(c, lambda / mu);
    let theta = f64::from(c) * mu - lambda;
    let target = 1.0 - q;
    // Bracket: the answer lies between the service quantile and service plus wait quantiles.
    let mut lo = 0.0;
    let mut hi = (-(target).ln()) / mu + (-(target).ln()) / theta.max(1e-12);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if survival_with(wait_p, theta, mu, mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-6 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
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
    fn mm1_response_time_is_exponential() {
        // In M/M/1, T ~ Exp(μ − λ): the p99 is ln(100) / (μ − λ).
        let (lambda, mu) = (7.0, 10.0);
        let p99 = response_quantile(1, lambda, mu, 0.99);
        assert!((p99 - 100f64.ln() / 3.0).abs() < 1e-5, "{p99}");
        let p50 = response_quantile(1, lambda, mu, 0.5);
        assert!((p50 - 2f64.ln() / 3.0).abs() < 1e-5, "{p50}");
        assert!((response_survival(1, lambda, mu, 0.5) - (-1.5f64).exp()).abs() < 1e-9);
    }

    #[test]
    fn light_load_leaves_only_service_time() {
        // With almost no waiting, p99 tends to ln(100)/μ.
        let p99 = response_quantile(64, 0.01, 10.0, 0.99);
        assert!((p99 - 100f64.ln() / 10.0).abs() < 1e-4);
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
