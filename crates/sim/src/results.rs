//! What a run is judged by: cost, SLO, latency, scaling actions, reaction time, and the SPEC
//! Research Group elasticity metrics against the oracle's demand curve.

use serde::Serialize;

use super::service::Service;
use super::slo::Slo;

/// Log-spaced latency histogram, 1 ms to 100 s, weighted by requests.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    p50: Vec<f64>,
    p99: Vec<f64>,
}

const BUCKETS: usize = 250;
const LO_S: f64 = 1e-3;
const DECADES: f64 = 5.0;

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            p50: vec![0.0; BUCKETS],
            p99: vec![0.0; BUCKETS],
        }
    }
}

/// Lower edges of buckets 1.. (bucket 0 takes everything below the first edge, NaN too).
static EDGES: std::sync::LazyLock<Vec<f64>> = std::sync::LazyLock::new(|| {
    (1..BUCKETS)
        .map(|i| LO_S * 10f64.powf(i as f64 / BUCKETS as f64 * DECADES))
        .collect()
});

/// The bucket of `s` seconds: a binary search over the edges, which is cheaper per interval
/// than a logarithm.
fn bucket(s: f64) -> usize {
    EDGES.partition_point(|&edge| edge <= s)
}

fn bucket_value(i: usize) -> f64 {
    LO_S * 10f64.powf((i as f64 + 0.5) / BUCKETS as f64 * DECADES)
}

impl LatencyHistogram {
    fn add(&mut self, s: &Service) {
        if s.arrivals > 0.0 && s.p99_s.is_finite() {
            self.p50[bucket(s.p50_s)] += s.arrivals;
            self.p99[bucket(s.p99_s)] += s.arrivals;
        }
    }

    /// Merge another histogram in.
    pub fn merge(&mut self, o: &Self) {
        for (a, b) in self.p50.iter_mut().zip(&o.p50) {
            *a += b;
        }
        for (a, b) in self.p99.iter_mut().zip(&o.p99) {
            *a += b;
        }
    }

    fn quantile(h: &[f64], q: f64) -> Option<f64> {
        let total: f64 = h.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut acc = 0.0;
        for (i, w) in h.iter().enumerate() {
            acc += w;
            if acc >= q * total {
                return Some(bucket_value(i));
            }
        }
        Some(bucket_value(BUCKETS - 1))
    }

    /// Request-weighted median of the intervals' medians, seconds.
    #[must_use]
    pub fn p50(&self) -> Option<f64> {
        Self::quantile(&self.p50, 0.5)
    }

    /// Request-weighted 99th percentile of the intervals' 99th percentiles, seconds.
    #[must_use]
    pub fn p99(&self) -> Option<f64> {
        Self::quantile(&self.p99, 0.99)
    }
}

/// SPEC RG elasticity metrics (Herbst et al.), in percent of time, and jitter in adaptations
/// per minute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Elasticity {
    /// θ_U: mean relative under-provisioning, %.
    pub under_provisioning_accuracy_pct: f64,
    /// θ_O: mean relative over-provisioning, %.
    pub over_provisioning_accuracy_pct: f64,
    /// τ_U: share of time under-provisioned, %.
    pub under_provisioning_timeshare_pct: f64,
    /// τ_O: share of time over-provisioned, %.
    pub over_provisioning_timeshare_pct: f64,
    /// j = (E_S − E_D) / T, unit changes per minute.
    pub jitter_per_minute: f64,
}

/// Sums a run accumulates, interval by interval.
#[derive(Clone, Debug, Default)]
pub struct Accumulator {
    /// Instance-seconds billed.
    pub billed_seconds: f64,
    /// Seconds in which the SLO was broken.
    pub violation_seconds: f64,
    /// Requests.
    pub requests: f64,
    /// Failed requests.
    pub failed: f64,
    /// Latency histogram.
    pub latency: LatencyHistogram,
    /// Capacity changes decided.
    pub actions: u32,
    /// USD billed per use (serverless compute), beyond the capacity billed per second.
    pub usage_usd: f64,
    seconds: f64,
    under_acc: f64,
    over_acc: f64,
    under_time: f64,
    over_time: f64,
    supply_changes: f64,
    demand_changes: f64,
    last: Option<(u32, u32)>,
    episode_start: Option<f64>,
    reactions: Vec<f64>,
}

impl Accumulator {
    /// Add one interval of `dt` seconds: its service, `supply` instances in service,
    /// `billed` instances paid for, and the oracle's `demand`.
    pub fn add(&mut self, dt: f64, s: &Service, supply: u32, billed: u32, demand: u32, slo: &Slo) {
        self.billed_seconds += f64::from(billed) * dt;
        self.usage_usd += s.usage_usd;
        self.requests += s.arrivals;
        self.failed += s.failed;
        self.latency.add(s);
        // An interval with traffic, or (async) with requests still waiting, is judged: its p99
        // (async: the oldest request's age) against the bound, its failures against the budget.
        let judged = s.arrivals > 0.0 || s.backlog > 0.0;
        let error_rate = if s.arrivals > 0.0 {
            s.failed / s.arrivals
        } else {
            f64::from(u8::from(s.failed > 0.0))
        };
        if judged && (s.p99_s > slo.latency_s || error_rate > slo.max_error_rate) {
            self.violation_seconds += dt;
        }
        let (d, sp) = (f64::from(demand), f64::from(supply));
        if demand > 0 {
            self.under_acc += (d - sp).max(0.0) / d * dt;
            self.over_acc += (sp - d).max(0.0) / d * dt;
        }
        if supply < demand {
            self.under_time += dt;
            if self.episode_start.is_none() {
                self.episode_start = Some(self.seconds);
            }
        } else if let Some(start) = self.episode_start.take() {
            self.reactions.push(self.seconds - start);
        }
        if supply > demand {
            self.over_time += dt;
        }
        if let Some((ls, ld)) = self.last {
            self.supply_changes += f64::from(supply.abs_diff(ls));
            self.demand_changes += f64::from(demand.abs_diff(ld));
        }
        self.last = Some((supply, demand));
        self.seconds += dt;
    }

    /// Merge another run's sums (another target of the same policy).
    pub fn merge(&mut self, o: &Self) {
        self.billed_seconds += o.billed_seconds;
        self.usage_usd += o.usage_usd;
        self.violation_seconds += o.violation_seconds;
        self.requests += o.requests;
        self.failed += o.failed;
        self.latency.merge(&o.latency);
        self.actions += o.actions;
        self.seconds += o.seconds;
        self.under_acc += o.under_acc;
        self.over_acc += o.over_acc;
        self.under_time += o.under_time;
        self.over_time += o.over_time;
        self.supply_changes += o.supply_changes;
        self.demand_changes += o.demand_changes;
        self.reactions.extend_from_slice(&o.reactions);
    }

    /// USD: the capacity billed per second at `price_per_hour`, plus what was billed per use.
    #[must_use]
    pub fn cost_usd(&self, price_per_hour: f64) -> f64 {
        self.billed_seconds / 3600.0 * price_per_hour + self.usage_usd
    }

    /// Mean seconds from the start of an under-provisioned stretch to its end.
    #[must_use]
    pub fn mean_reaction_s(&self) -> Option<f64> {
        (!self.reactions.is_empty())
            .then(|| self.reactions.iter().sum::<f64>() / self.reactions.len() as f64)
    }

    /// The elasticity metrics over the time accumulated.
    #[must_use]
    pub fn elasticity(&self) -> Elasticity {
        if self.seconds <= 0.0 {
            return Elasticity::default();
        }
        let pct = 100.0 / self.seconds;
        Elasticity {
            under_provisioning_accuracy_pct: self.under_acc * pct,
            over_provisioning_accuracy_pct: self.over_acc * pct,
            under_provisioning_timeshare_pct: self.under_time * pct,
            over_provisioning_timeshare_pct: self.over_time * pct,
            jitter_per_minute: (self.supply_changes - self.demand_changes) / (self.seconds / 60.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_log_spaced_from_1_ms_to_100_s() {
        let by_log = |s: f64| {
            let x = ((s / LO_S).log10() / DECADES * BUCKETS as f64).floor();
            (x.max(0.0) as usize).min(BUCKETS - 1)
        };
        let mut s = 1e-4;
        while s < 1e3 {
            assert_eq!(bucket(s), by_log(s), "{s}");
            s *= 1.013;
        }
        assert_eq!(
            (bucket(f64::NAN), bucket(0.0), bucket(1e9)),
            (0, 0, BUCKETS - 1)
        );
        // A bucket's value lies inside it.
        for i in 0..BUCKETS {
            assert_eq!(bucket(bucket_value(i)), i);
        }
    }

    #[test]
    fn elasticity_matches_hand_computed_values() {
        let slo = Slo {
            latency_s: 1.0,
            percentile: 0.99,
            max_error_rate: 0.01,
        };
        let s = Service {
            arrivals: 10.0,
            p50_s: 0.1,
            p99_s: 0.2,
            mean_s: 0.1,
            ..Service::default()
        };
        let mut a = Accumulator::default();
        // demand 2 throughout; supply 1, 2, 4, 2 over four one-minute intervals.
        for supply in [1, 2, 4, 2] {
            a.add(60.0, &s, supply, supply, 2, &slo);
        }
        let e = a.elasticity();
        assert!((e.under_provisioning_accuracy_pct - 12.5).abs() < 1e-9); // (1/2)/4
        assert!((e.over_provisioning_accuracy_pct - 25.0).abs() < 1e-9); // (2/2)/4
        assert!((e.under_provisioning_timeshare_pct - 25.0).abs() < 1e-9);
        assert!((e.over_provisioning_timeshare_pct - 25.0).abs() < 1e-9);
        assert!((e.jitter_per_minute - 5.0 / 4.0).abs() < 1e-9); // 1 + 2 + 2 unit changes
        assert_eq!(a.mean_reaction_s(), Some(60.0));
    }

    #[test]
    fn slo_violations_count_latency_and_errors() {
        let slo = Slo {
            latency_s: 0.5,
            percentile: 0.99,
            max_error_rate: 0.01,
        };
        let mut a = Accumulator::default();
        let slow = Service {
            arrivals: 100.0,
            p50_s: 0.2,
            p99_s: 0.6,
            ..Service::default()
        };
        let failing = Service {
            arrivals: 100.0,
            failed: 2.0,
            p50_s: 0.1,
            p99_s: 0.2,
            ..Service::default()
        };
        let idle = Service::default();
        // Async: no arrivals this minute, but the oldest waiting request is past the bound.
        let stale_backlog = Service {
            backlog: 40.0,
            p99_s: 0.9,
            p50_s: f64::NAN,
            ..Service::default()
        };
        let drained = Service {
            backlog: 0.0,
            p99_s: f64::NAN,
            ..Service::default()
        };
        for s in [slow, failing, idle, stale_backlog, drained] {
            a.add(60.0, &s, 1, 1, 1, &slo);
        }
        assert_eq!(a.violation_seconds, 180.0);
        let p99 = a.latency.p99().unwrap();
        assert!((p99 / 0.6 - 1.0).abs() < 0.03, "{p99}");
    }
}
