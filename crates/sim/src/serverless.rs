//! A SageMaker Serverless Inference variant with provisioned concurrency (PC): the scaling
//! target is the PC, `sagemaker:variant:DesiredProvisionedConcurrency`.
//!
//! The model, per interval, for Poisson arrivals at rate λ and exponential model latency of
//! mean S (offered load a = λS):
//! - Requests take the PC first; what finds every PC slot busy spills over to on-demand
//!   capacity, up to the endpoint's `MaxConcurrency`; beyond that SageMaker throttles. With
//!   ordered hunting over loss servers this is exact: the first `k` slots overflow at rate
//!   λ·B(k, a) (Erlang B), so PC serves λ(1 − B(pc, a)), on-demand λ(B(pc, a) − B(max, a)),
//!   and λ·B(max, a) is throttled (failed).
//! - On-demand capacity comes in environments. The endpoint reaches the concurrency at which
//!   Erlang B loss falls to 0.1 % (its peak); environments beyond the PC up to that peak are
//!   needed. Each one not still warm is a cold start: one request waits the model set-up time
//!   (`ModelSetupTime`), drawn per interval from a seeded log-normal. An environment stays warm
//!   for `keep_warm_s` after it was last needed (AWS does not document this; Lambda keeps
//!   environments for minutes).
//! - A request's latency is S, plus the set-up time for a cold start: p50 and p99 are the
//!   exact quantiles of that mixture.
//! - Cost: PC is billed per GB-second provisioned, whether busy or not (only once in
//!   service); requests served on PC pay the PC inference rate for their duration, spillover
//!   pays the on-demand rate.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use statrs::distribution::LogNormal;

use super::service::Service;

/// The Erlang B loss below which a concurrency is taken as the endpoint's peak.
const PEAK_LOSS: f64 = 0.001;

/// A serverless variant's configuration and prices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServerlessSpec {
    /// Memory size, GB (1 to 6).
    pub memory_gb: f64,
    /// `MaxConcurrency`: requests at once, on PC and on demand together (1 to 200).
    pub max_concurrency: u32,
    /// Median cold start (`ModelSetupTime`), seconds.
    pub cold_start_median_s: f64,
    /// Log-normal shape of the cold start.
    pub cold_start_sigma: f64,
    /// Seconds an on-demand environment stays warm after it was last needed.
    pub keep_warm_s: u32,
    /// USD per GB-second of on-demand compute.
    pub on_demand_price_per_gb_second: f64,
    /// USD per GB-second of provisioned concurrency, busy or idle.
    pub pc_price_per_gb_second: f64,
    /// USD per GB-second of compute for requests served on provisioned concurrency.
    pub pc_inference_price_per_gb_second: f64,
}

impl ServerlessSpec {
    /// USD per hour of one unit of provisioned concurrency: what the fleet bills per
    /// "instance" in service.
    #[must_use]
    pub fn pc_price_per_hour(&self) -> f64 {
        self.pc_price_per_gb_second * self.memory_gb * 3600.0
    }
}

/// Erlang B: the share of arrivals that find all `servers` busy, at offered load `a`.
#[must_use]
pub fn erlang_b(servers: u32, a: f64) -> f64 {
    if a <= 0.0 {
        return if servers == 0 { 1.0 } else { 0.0 };
    }
    let mut b = 1.0;
    for k in 1..=servers {
        b = a * b / (f64::from(k) + a * b);
    }
    b
}

/// The least concurrency at which Erlang B loss is at most 0.1 %, capped at `cap`.
#[must_use]
pub fn peak_concurrency(a: f64, cap: u32) -> u32 {
    if a <= 0.0 {
        return 0;
    }
    let mut b = 1.0;
    for k in 1..=cap {
        b = a * b / (f64::from(k) + a * b);
        if b <= PEAK_LOSS {
            return k;
        }
    }
    cap
}

/// How `arrivals` over `dt` split between provisioned concurrency `pc` and on demand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Split {
    /// Served on provisioned concurrency.
    pub on_pc: f64,
    /// Served on demand (spillover).
    pub spillover: f64,
    /// Throttled: beyond `MaxConcurrency`.
    pub throttled: f64,
    /// Mean concurrent executions on PC.
    pub pc_executions: f64,
    /// Mean concurrent executions in all.
    pub executions: f64,
    /// On-demand environments the interval needs (its peak beyond the PC).
    pub on_demand_needed: u32,
}

/// The split of an interval's traffic, for mean latency `latency_s`.
#[must_use]
pub fn split(spec: &ServerlessSpec, latency_s: f64, pc: u32, arrivals: f64, dt: f64) -> Split {
    let a = arrivals / dt * latency_s;
    let pc = pc.min(spec.max_concurrency);
    let b_pc = erlang_b(pc, a);
    let b_max = erlang_b(spec.max_concurrency, a);
    let spillover = arrivals * (b_pc - b_max).max(0.0);
    Split {
        on_pc: arrivals * (1.0 - b_pc),
        spillover,
        throttled: arrivals * b_max,
        pc_executions: a * (1.0 - b_pc),
        executions: a * (1.0 - b_max),
        on_demand_needed: if spillover > 0.0 {
            peak_concurrency(a, spec.max_concurrency).saturating_sub(pc)
        } else {
            0
        },
    }
}

/// USD of compute for an interval's split (PC inference plus on-demand), at mean latency
/// `latency_s`. The provisioned concurrency itself is billed by the fleet, per unit in service.
#[must_use]
pub fn usage_usd(spec: &ServerlessSpec, latency_s: f64, s: &Split) -> f64 {
    spec.memory_gb
        * latency_s
        * (s.on_pc * spec.pc_inference_price_per_gb_second
            + s.spillover * spec.on_demand_price_per_gb_second)
}

/// The `q`-quantile of a response time that is Exp(mean `latency_s`), plus `setup_s` for a
/// share `cold` of requests.
#[must_use]
pub fn latency_quantile(latency_s: f64, cold: f64, setup_s: f64, q: f64) -> f64 {
    let mu = 1.0 / latency_s;
    let tail = 1.0 - q;
    let survival = |t: f64| {
        let warm = (-mu * t).exp();
        let cold_part = if t < setup_s {
            1.0
        } else {
            (-mu * (t - setup_s)).exp()
        };
        (1.0 - cold) * warm + cold * cold_part
    };
    // The survival falls from 1 at t = 0; bracket the quantile and bisect.
    let mut lo = 0.0;
    let mut hi = setup_s + (1.0 / tail).ln() / mu + latency_s;
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if survival(mid) > tail {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The endpoint's on-demand side during a run: which environments are warm, and the seeded
/// cold-start draws.
pub struct ServerlessPool {
    spec: ServerlessSpec,
    /// Per on-demand environment, the time until which it stays warm.
    warm_until: Vec<i64>,
    rng: StdRng,
    setup: LogNormal,
}

impl ServerlessPool {
    /// A pool with no warm on-demand environment.
    #[must_use]
    pub fn new(spec: ServerlessSpec, seed: u64) -> Self {
        let setup = LogNormal::new(
            spec.cold_start_median_s.max(1e-3).ln(),
            spec.cold_start_sigma.max(1e-6),
        )
        .unwrap_or_else(|_| unreachable!("validated log-normal parameters"));
        Self {
            spec,
            warm_until: Vec::new(),
            rng: StdRng::seed_from_u64(seed ^ 0x5e41_7e55),
            setup,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn spec(&self) -> &ServerlessSpec {
        &self.spec
    }

    /// On-demand environments warm at `now`.
    #[must_use]
    pub fn warm(&self, now: i64) -> u32 {
        u32::try_from(self.warm_until.iter().filter(|&&t| t >= now).count()).unwrap_or(u32::MAX)
    }

    /// Requests that wait for a cold start in an interval split as `sp` from `now`: the
    /// environments it needs that are not warm, one request each, and no more than spilled over.
    #[must_use]
    pub fn cold_starts(&self, sp: &Split, now: i64) -> f64 {
        let needed = sp.on_demand_needed as usize;
        let warm = self.warm_until[..needed.min(self.warm_until.len())]
            .iter()
            .filter(|&&t| t >= now)
            .count();
        ((needed - warm) as f64).min(sp.spillover)
    }

    /// Mark the environments an interval split as `sp` needs as warm until `keep_warm_s` after
    /// it ends.
    pub fn use_environments(&mut self, sp: &Split, now: i64, dt: f64) {
        let needed = sp.on_demand_needed as usize;
        if self.warm_until.len() < needed {
            self.warm_until.resize(needed, i64::MIN);
        }
        let keep = now + dt as i64 + i64::from(self.spec.keep_warm_s);
        for t in &mut self.warm_until[..needed] {
            *t = keep;
        }
    }

    /// Serve `arrivals` over `[now, now + dt)` with `pc` provisioned concurrency.
    pub fn serve(
        &mut self,
        latency_s: f64,
        timeout_s: f64,
        pc: u32,
        arrivals: f64,
        now: i64,
        dt: f64,
    ) -> Service {
        let mut s = Service::unserved(arrivals);
        let pc = pc.min(self.spec.max_concurrency);
        if arrivals <= 0.0 {
            return s;
        }
        let sp = split(&self.spec, latency_s, pc, arrivals, dt);
        let cold = self.cold_starts(&sp, now);
        self.use_environments(&sp, now, dt);
        let setup_s = if cold > 0.0 {
            self.rng.sample(self.setup)
        } else {
            0.0
        };
        let share = cold / arrivals;
        s.p50_s = latency_quantile(latency_s, share, setup_s, 0.5).min(timeout_s);
        s.p99_s = latency_quantile(latency_s, share, setup_s, 0.99).min(timeout_s);
        s.mean_s = latency_s + share * setup_s;
        s.failed = sp.throttled + if setup_s > timeout_s { cold } else { 0.0 };
        s.utilisation = if pc > 0 {
            sp.pc_executions / f64::from(pc)
        } else {
            0.0
        };
        s.serverless = Some(super::service::ServerlessService {
            pc_invocations: sp.on_pc,
            spillover: sp.spillover,
            pc_executions: sp.pc_executions,
            executions_utilisation: sp.executions / f64::from(self.spec.max_concurrency),
            cold_starts: cold,
            setup_s,
        });
        s.usage_usd = usage_usd(&self.spec, latency_s, &sp);
        s
    }
}

/// The oracle's provisioned concurrency, interval by interval, with perfect foresight of the
/// arrivals: in each interval the cheapest PC in `floor..=cap` (PC, its inference and the
/// spillover priced) whose latency meets the SLO given the on-demand environments still warm
/// from its own earlier intervals, with every cold start taken as never ending (so no draw of
/// the set-up time can break it). Without traffic, `floor`.
#[must_use]
pub fn oracle_schedule(
    spec: &ServerlessSpec,
    latency_s: f64,
    slo: &super::slo::Slo,
    arrivals: &[f64],
    dt: f64,
    floor: u32,
    cap: u32,
) -> Vec<u32> {
    let cap = cap.min(spec.max_concurrency).max(floor);
    let tail = 1.0 - slo.percentile;
    let mu = 1.0 / latency_s;
    let mut pool = ServerlessPool::new(*spec, 0);
    let mut out = Vec::with_capacity(arrivals.len());
    for (i, &n) in arrivals.iter().enumerate() {
        let now = (i as f64 * dt) as i64;
        if n <= 0.0 {
            out.push(floor);
            continue;
        }
        let mut best: Option<(f64, u32, Split)> = None;
        for pc in floor..=cap {
            let sp = split(spec, latency_s, pc, n, dt);
            let cold = pool.cold_starts(&sp, now) / n;
            // With a cold start of unbounded length: P(T > t) = (1 − f)e^{−μt} + f.
            let meets = cold <= 0.0
                || (cold < tail && ((1.0 - cold) / (tail - cold)).ln() / mu <= slo.latency_s);
            if meets {
                let cost = f64::from(pc) * spec.memory_gb * dt * spec.pc_price_per_gb_second
                    + usage_usd(spec, latency_s, &sp);
                if best.as_ref().is_none_or(|(c, ..)| cost < *c) {
                    best = Some((cost, pc, sp));
                }
            }
            if sp.spillover <= 0.0 {
                // More PC only adds its own price.
                break;
            }
        }
        let (pc, sp) = best.map_or_else(
            || (cap, split(spec, latency_s, cap, n, dt)),
            |(_, pc, sp)| (pc, sp),
        );
        pool.use_environments(&sp, now, dt);
        out.push(pc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ServerlessSpec {
        ServerlessSpec {
            memory_gb: 2.0,
            max_concurrency: 20,
            cold_start_median_s: 4.0,
            cold_start_sigma: 0.3,
            keep_warm_s: 600,
            on_demand_price_per_gb_second: 0.00002,
            pc_price_per_gb_second: 0.000005,
            pc_inference_price_per_gb_second: 0.0000117,
        }
    }

    #[test]
    fn erlang_b_matches_closed_forms() {
        // B(1, a) = a / (1 + a); B(2, a) = (a²/2) / (1 + a + a²/2).
        for a in [0.1, 0.5, 1.0, 3.0] {
            assert!((erlang_b(1, a) - a / (1.0 + a)).abs() < 1e-12);
            let b2 = (a * a / 2.0) / (1.0 + a + a * a / 2.0);
            assert!((erlang_b(2, a) - b2).abs() < 1e-12);
        }
        // A textbook value: 10 servers at 5 Erlangs lose 1.84 %.
        assert!((erlang_b(10, 5.0) - 0.018_385).abs() < 1e-5);
        assert_eq!(erlang_b(0, 2.0), 1.0);
        assert_eq!(erlang_b(3, 0.0), 0.0);
    }

    #[test]
    fn traffic_splits_between_pc_spillover_and_throttling_and_sums_to_the_arrivals() {
        let s = spec();
        // 60 req/s at 100 ms: 6 Erlangs.
        for pc in [0, 1, 4, 6, 10, 20, 50] {
            let sp = split(&s, 0.1, pc, 3600.0, 60.0);
            let total = sp.on_pc + sp.spillover + sp.throttled;
            assert!((total - 3600.0).abs() < 1e-6, "pc {pc}: {sp:?}");
            assert!((sp.throttled - 3600.0 * erlang_b(20, 6.0)).abs() < 1e-9);
        }
        let few = split(&s, 0.1, 2, 3600.0, 60.0);
        let many = split(&s, 0.1, 12, 3600.0, 60.0);
        assert!(few.spillover > many.spillover && many.spillover > 0.0);
        assert!(few.on_demand_needed > many.on_demand_needed);
        // PC at MaxConcurrency: nothing spills.
        let all = split(&s, 0.1, 20, 3600.0, 60.0);
        assert_eq!((all.spillover, all.on_demand_needed), (0.0, 0));
    }

    #[test]
    fn cold_starts_happen_only_on_environments_not_yet_warm_and_expire() {
        let mut pool = ServerlessPool::new(spec(), 3);
        // 6 Erlangs on 2 PC: spillover needs on-demand environments, all cold at first.
        let first = pool.serve(0.1, 60.0, 2, 3600.0, 0, 60.0);
        let cold = first.serverless.unwrap().cold_starts;
        assert!(cold >= 5.0, "{first:?}");
        assert!(first.p99_s > 0.1 * 100f64.ln(), "cold starts lift the tail");
        // The same load a minute later: the environments are warm.
        let second = pool.serve(0.1, 60.0, 2, 3600.0, 60, 60.0);
        assert_eq!(second.serverless.unwrap().cold_starts, 0.0);
        assert!((second.p99_s - 0.1 * 100f64.ln()).abs() < 1e-6);
        // After the keep-warm time without need, they start cold again.
        let idle = pool.serve(0.1, 60.0, 2, 0.0, 120, 60.0);
        assert!(idle.p99_s.is_nan());
        let later = pool.serve(0.1, 60.0, 2, 3600.0, 60 + 60 + 600 + 60, 60.0);
        assert_eq!(later.serverless.unwrap().cold_starts, cold);
        // Same seed, same draws.
        let mut again = ServerlessPool::new(spec(), 3);
        assert_eq!(again.serve(0.1, 60.0, 2, 3600.0, 0, 60.0), first);
    }

    #[test]
    fn the_latency_mixture_has_exact_quantiles() {
        // No cold starts: the exponential's quantile.
        assert!((latency_quantile(0.2, 0.0, 5.0, 0.99) - 0.2 * 100f64.ln()).abs() < 1e-9);
        // 2 % cold with a 5 s set-up: the p99 falls among the cold requests, past 5 s.
        let q = latency_quantile(0.2, 0.02, 5.0, 0.99);
        let survival = 0.98 * (-q / 0.2f64).exp() + 0.02 * (-(q - 5.0) / 0.2f64).exp();
        assert!(q > 5.0 && (survival - 0.01).abs() < 1e-9, "{q}");
    }

    #[test]
    fn usage_prices_pc_inference_below_on_demand() {
        let s = spec();
        let pc = split(&s, 0.1, 20, 3600.0, 60.0);
        let od = split(&s, 0.1, 0, 3600.0, 60.0);
        let pc_usd = usage_usd(&s, 0.1, &pc);
        let od_usd = usage_usd(&s, 0.1, &od);
        // 3,600 requests × 0.1 s × 2 GB = 720 GB-s, less what was throttled.
        let served = 3600.0 * (1.0 - erlang_b(20, 6.0)) * 0.1 * 2.0;
        assert!((od_usd - served * 0.00002).abs() < 1e-12);
        assert!((pc_usd - served * 0.0000117).abs() < 1e-12);
    }

    #[test]
    fn the_oracle_buys_pc_only_where_it_pays_and_the_slo_needs_it() {
        let s = spec();
        let slo = super::super::oracle::Slo {
            latency_s: 1.0,
            percentile: 0.99,
            max_error_rate: 0.001,
        };
        // A trickle: PC idles, on demand is cheaper, and a cold start is a tiny share.
        assert_eq!(
            oracle_schedule(&s, 0.1, &slo, &[600.0; 3], 60.0, 1, 20),
            [1, 1, 1]
        );
        // Busy: each PC slot is busy most of the time, so PC beats on demand.
        let busy = oracle_schedule(&s, 0.1, &slo, &[6000.0], 60.0, 1, 20)[0];
        assert!(busy >= 8, "{busy}");
        // Exhaustive check that it is the cheapest feasible choice, starting cold.
        let pool = ServerlessPool::new(s, 0);
        let cost = |pc: u32| {
            let sp = split(&s, 0.1, pc, 6000.0, 60.0);
            f64::from(pc) * 2.0 * 60.0 * 0.000005 + usage_usd(&s, 0.1, &sp)
        };
        for pc in 1..=20 {
            let sp = split(&s, 0.1, pc, 6000.0, 60.0);
            let f = pool.cold_starts(&sp, 0) / 6000.0;
            let ok = f <= 0.0 || (f < 0.01 && ((1.0 - f) / (0.01 - f)).ln() * 0.1 <= 1.0);
            if ok {
                assert!(
                    cost(busy) <= cost(pc) + 1e-15,
                    "{pc} is cheaper than {busy}"
                );
            }
        }
        // A burst after quiet needs PC against cold starts; the same burst while the on-demand
        // environments are still warm does not.
        let tight = super::super::oracle::Slo {
            latency_s: 0.6,
            ..slo
        };
        let cold_burst = oracle_schedule(&s, 0.1, &tight, &[60.0, 7000.0], 60.0, 1, 20);
        let warm_burst = oracle_schedule(&s, 0.1, &tight, &[7000.0, 7000.0], 60.0, 1, 20);
        assert!(
            warm_burst[1] <= cold_burst[1],
            "{warm_burst:?} {cold_burst:?}"
        );
    }
}
