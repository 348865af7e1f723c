//! Load-dependent latency for batched servers: a measured batching curve, and the response time
//! a fleet of such instances gives.
//!
//! A GPU server that batches serves more requests per second with more in flight, and each
//! request takes longer. A target may give that curve as measured, for example by a load test
//! or an inference-server benchmark (Triton's perf_analyzer prints exactly this): per-instance
//! throughput at a number of requests in flight. With `n` in flight an instance completes
//! X(n) requests per second, linear between the measured points, proportional to `n` below the
//! first (each request at the first point's latency) and flat from the last, which is the most
//! an instance takes at once; a request's latency there is n / X(n) (Little's law).
//!
//! The fleet pools its instances as the M/M/c model does: with N requests in the endpoint and
//! I instances, they complete I · X(N / I) per second, I · X(max) once every instance is full,
//! and the rest wait. That is a birth-death chain; its steady state is solved exactly each
//! interval (PASTA: an arrival finds the chain's steady state). A request that finds N ahead
//! of it joins at once when there is room and takes the latency at the in-flight count it
//! makes, L((N + 1) / I); otherwise it waits for N − I·max + 1 completions at the full rate,
//! then takes L(max). The curve replaces the service law: its latency is a function of the
//! load, not a draw.

use super::service_law::Quantiles;

/// A measured curve: per instance, requests in flight and the throughput at them.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchingCurve {
    /// (requests in flight, requests per second), in flight strictly increasing from 1.
    points: Vec<(f64, f64)>,
}

/// Why a curve cannot be used.
#[derive(Debug, PartialEq)]
pub enum CurveError {
    /// Fewer than one point.
    Empty,
    /// Point `i`'s in-flight count is not above the last one's (or below 1).
    InFlightOrder(usize),
    /// Point `i`'s throughput is not a positive number.
    Throughput(usize),
    /// Point `i`'s latency is below the last point's: more in flight never makes a request
    /// faster.
    LatencyFalls(usize),
}

impl BatchingCurve {
    /// A curve from `(in_flight, throughput_rps)` points.
    ///
    /// # Errors
    /// A [`CurveError`] naming the first bad point.
    pub fn new(points: Vec<(f64, f64)>) -> Result<Self, CurveError> {
        if points.is_empty() {
            return Err(CurveError::Empty);
        }
        let mut last = (0.0, 0.0);
        let mut last_latency = 0.0;
        for (i, &(n, x)) in points.iter().enumerate() {
            if !(n.is_finite() && n >= 1.0 && n > last.0) {
                return Err(CurveError::InFlightOrder(i));
            }
            if !(x.is_finite() && x > 0.0) {
                return Err(CurveError::Throughput(i));
            }
            let latency = n / x;
            if latency < last_latency * (1.0 - 1e-9) {
                return Err(CurveError::LatencyFalls(i));
            }
            (last, last_latency) = ((n, x), latency);
        }
        Ok(Self { points })
    }

    /// The most requests one instance serves at once: the last point's.
    #[must_use]
    pub fn max_in_flight(&self) -> f64 {
        self.points[self.points.len() - 1].0
    }

    /// Requests per second one full instance completes.
    #[must_use]
    pub fn max_rps(&self) -> f64 {
        self.points[self.points.len() - 1].1
    }

    /// Requests per second one instance completes with `n` in flight.
    #[must_use]
    pub fn throughput(&self, n: f64) -> f64 {
        let (n0, x0) = self.points[0];
        if n <= n0 {
            return x0 * n.max(0.0) / n0;
        }
        for w in self.points.windows(2) {
            let ((a, xa), (b, xb)) = (w[0], w[1]);
            if n <= b {
                return xa + (xb - xa) * (n - a) / (b - a);
            }
        }
        self.max_rps()
    }

    /// One request's latency with `n` in flight on its instance, seconds.
    #[must_use]
    pub fn latency(&self, n: f64) -> f64 {
        let (n0, x0) = self.points[0];
        if n <= n0 {
            return n0 / x0;
        }
        let n = n.min(self.max_in_flight());
        n / self.throughput(n)
    }

    /// The mean latency at the lightest measured load: what `latency_ms` means for a batched
    /// target.
    #[must_use]
    pub fn light_latency(&self) -> f64 {
        self.latency(0.0)
    }

    /// The steady-state response time of `instances` such instances under Poisson arrivals at
    /// `lambda` (< `instances` × `max_rps`), and the share past `timeout`, solved exactly.
    #[must_use]
    pub fn steady(&self, instances: u32, lambda: f64, timeout: f64) -> Quantiles {
        Chain::new(self, instances, lambda).quantiles(timeout)
    }

    /// That steady state, solved once, to ask several questions of (`Chain::survival`).
    #[must_use]
    pub fn steady_state(&self, instances: u32, lambda: f64) -> Chain<'_> {
        Chain::new(self, instances, lambda)
    }
}

/// The birth-death chain of one interval's steady state.
pub struct Chain<'a> {
    curve: &'a BatchingCurve,
    instances: f64,
    /// States 0..=full are solved term by term; beyond, the chain is geometric.
    full: usize,
    d_max: f64,
    ratio: f64,
    /// π_0..=π_full, scaled so that the largest is 1.
    pi: Vec<f64>,
    total: f64,
}

impl<'a> Chain<'a> {
    fn new(curve: &'a BatchingCurve, instances: u32, lambda: f64) -> Self {
        let i = f64::from(instances.max(1));
        let full = ((i * curve.max_in_flight()).floor() as usize).max(1);
        let d_max = i * curve.max_rps();
        let ratio = (lambda / d_max).clamp(0.0, 1.0 - 1e-12);
        // In logs: π_N / π_{N−1} = λ / D(N) may be large at small N on a big fleet.
        let mut log_pi = Vec::with_capacity(full + 1);
        log_pi.push(0.0f64);
        for n in 1..=full {
            let d = i * curve.throughput(n as f64 / i);
            log_pi.push(log_pi[n - 1] + (lambda.max(1e-300) / d).ln());
        }
        let top = log_pi.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pi: Vec<f64> = log_pi.iter().map(|l| (l - top).exp()).collect();
        let total = pi.iter().sum::<f64>() + pi[full] * ratio / (1.0 - ratio);
        Self {
            curve,
            instances: i,
            full,
            d_max,
            ratio,
            pi,
            total,
        }
    }

    /// The latency of a full instance.
    fn head(&self) -> f64 {
        self.curve.latency(self.curve.max_in_flight())
    }

    /// The response of an arrival that finds `n` requests in the endpoint.
    fn response(&self, n: usize) -> f64 {
        if n < self.full {
            self.curve.latency((n + 1) as f64 / self.instances)
        } else {
            (n - self.full + 1) as f64 / self.d_max + self.head()
        }
    }

    fn quantile(&self, q: f64) -> f64 {
        let target = q * self.total;
        let mut cum = 0.0;
        for (n, &w) in self.pi.iter().enumerate() {
            if cum + w >= target {
                // Within a state, continuously in the load.
                let f = (target - cum) / w;
                let lo = self.response(n.saturating_sub(1));
                return lo + f * (self.response(n) - lo);
            }
            cum += w;
        }
        // Tail states full + k, k ≥ 1, hold π_full r^k: the k at which the sum reaches target.
        let (r, last) = (self.ratio, self.pi[self.full]);
        let k = (1.0 - (target - cum) * (1.0 - r) / (last * r))
            .max(1e-300)
            .ln()
            / r.ln();
        (k + 1.0) / self.d_max + self.head()
    }

    /// P(response > `t`).
    #[must_use]
    pub fn survival(&self, t: f64) -> f64 {
        let (r, last) = (self.ratio, self.pi[self.full]);
        let mut beyond = 0.0;
        for (n, &w) in self.pi.iter().enumerate() {
            if self.response(n) > t {
                beyond += w;
            }
        }
        // Tail state full + k responds in (k + 1)/D_max + head: past t from k_min on.
        let k_min = ((t - self.head()) * self.d_max - 1.0).floor().max(0.0) + 1.0;
        beyond += last * r.powf(k_min) / (1.0 - r);
        (beyond / self.total).min(1.0)
    }

    fn quantiles(&self, timeout: f64) -> Quantiles {
        let (r, last) = (self.ratio, self.pi[self.full]);
        let head = self.head() + 1.0 / self.d_max;
        let mut mean = 0.0;
        for (n, &w) in self.pi.iter().enumerate() {
            mean += w * self.response(n);
        }
        // Σ_{k≥1} π_full r^k (k/D_max + head + 1/D_max).
        mean += last * (head * r / (1.0 - r) + r / ((1.0 - r) * (1.0 - r)) / self.d_max);
        Quantiles {
            p50: self.quantile(0.5),
            p99: self.quantile(0.99),
            mean: mean / self.total,
            beyond_timeout: self.survival(timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triton() -> BatchingCurve {
        // Triton's dynamic-batching tutorial (see simulations/traces/README.md), requests/s.
        BatchingCurve::new(vec![
            (2.0, 499.1),
            (4.0, 882.8),
            (6.0, 1259.2),
            (8.0, 1547.9),
            (10.0, 1591.4),
            (12.0, 1590.7),
            (14.0, 1592.3),
            (16.0, 1593.9),
        ])
        .unwrap()
    }

    #[test]
    fn throughput_and_latency_follow_the_curve_and_littles_law() {
        let c = triton();
        assert_eq!((c.max_in_flight(), c.max_rps()), (16.0, 1593.9));
        assert!((c.throughput(3.0) - 0.5 * (499.1 + 882.8)).abs() < 1e-9);
        assert!((c.throughput(1.0) - 0.5 * 499.1).abs() < 1e-9);
        assert!(
            (c.latency(1.0) - 2.0 / 499.1).abs() < 1e-12,
            "below the first point"
        );
        assert!((c.latency(16.0) - 16.0 / 1593.9).abs() < 1e-12);
        assert_eq!(c.latency(40.0), c.latency(16.0));
    }

    #[test]
    fn bad_curves_name_their_point() {
        assert_eq!(BatchingCurve::new(vec![]), Err(CurveError::Empty));
        assert_eq!(
            BatchingCurve::new(vec![(2.0, 10.0), (2.0, 12.0)]),
            Err(CurveError::InFlightOrder(1))
        );
        assert_eq!(
            BatchingCurve::new(vec![(1.0, 10.0), (2.0, -1.0)]),
            Err(CurveError::Throughput(1))
        );
        // 4 in flight at 100/s is 40 ms each; 8 at 400/s would be 20 ms.
        assert_eq!(
            BatchingCurve::new(vec![(4.0, 100.0), (8.0, 400.0)]),
            Err(CurveError::LatencyFalls(1))
        );
    }

    #[test]
    fn the_chain_is_m_m_1_for_a_flat_single_slot_curve() {
        // One request at a time at 10/s: R(N) = (N + 1)/10 for an arrival finding N, and
        // N is geometric, so the response is that of M/M/1 read at its state: P(R > t) =
        // ρ^⌈10t⌉. The mean is E[N + 1]/10 = 1/(10 − λ).
        let c = BatchingCurve::new(vec![(1.0, 10.0)]).unwrap();
        let q = c.steady(1, 7.0, 60.0);
        assert!((q.mean - 1.0 / 3.0).abs() < 1e-9, "{q:?}");
        // P(N ≥ k) = 0.7^k: the p99 is where 0.7^k = 0.01, k = 12.9; R = (k + 1)/10.
        let k = 0.01f64.ln() / 0.7f64.ln();
        assert!(
            (q.p99 - (k + 1.0) / 10.0).abs() < 0.11,
            "{q:?} against {}",
            (k + 1.0) / 10.0
        );
    }

    #[test]
    fn batching_trades_latency_for_throughput_as_the_load_rises() {
        let c = triton();
        let (light, busy) = (c.steady(2, 100.0, 60.0), c.steady(2, 2800.0, 60.0));
        // Light load: requests find empty instances and take the first point's latency.
        assert!((light.p50 - c.latency(1.0)).abs() < 1e-3, "{light:?}");
        // Busy (utilisation 0.88): about 9 in flight per instance, each request slower:
        // L(8.8) = 5.4 ms against 4.0 ms.
        assert!(
            busy.p50 > 1.2 * light.p50 && busy.mean > light.mean,
            "{busy:?}"
        );
        assert!(
            (busy.mean - c.latency(2800.0 * busy.mean / 2.0)).abs() < 1.5e-3,
            "{busy:?}"
        );
        // The p99 rises with the load.
        let mut last = 0.0;
        for k in 1..60 {
            let q = c.steady(2, 3187.0 * f64::from(k) / 60.0, 60.0);
            assert!(q.p99 >= last, "p99 fell at {k}");
            last = q.p99;
        }
    }
}
