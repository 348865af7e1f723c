//! A SageMaker real-time variant's fleet: instances launching after a seeded provisioning
//! delay, instances draining after removal, the endpoint `Updating` meanwhile, and the service
//! each interval gives: the steady state of its service law while stable, the diffusion of
//! `transient.rs` near and past saturation, with timeouts.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use statrs::distribution::LogNormal;

use super::async_queue::AsyncQueue;
use super::model_cache::{CacheSpec, ModelCache};
use super::serverless::{ServerlessPool, ServerlessSpec};
use super::service_law::{load_for_wait_p99, response, LawResponse};
use super::transient::{self, Diffusion};
use sagescale_engine::{EndpointStatus, Timestamp};

pub use super::service::{FleetSpec, ServerlessService, Service};

/// One fleet's state during a run.
pub struct Fleet {
    spec: FleetSpec,
    in_service: u32,
    pending: Vec<i64>,
    draining: Vec<i64>,
    backlog: f64,
    queue: Option<AsyncQueue>,
    cache: Option<(ModelCache, Vec<usize>)>,
    serverless: Option<ServerlessPool>,
    rng: StdRng,
    delay: LogNormal,
}

impl Fleet {
    /// A fleet of `initial` instances in service, drawing delays from `seed`; `asynchronous`
    /// endpoints queue requests instead of serving them on arrival.
    #[must_use]
    pub fn new(spec: &FleetSpec, initial: u32, seed: u64, asynchronous: bool) -> Self {
        let sigma = spec.provisioning_sigma.max(1e-6);
        // A log-normal's median is e^μ. Parameters were validated with the scenario.
        let delay = LogNormal::new(spec.provisioning_median_s.max(1.0).ln(), sigma)
            .unwrap_or_else(|_| unreachable!("validated log-normal parameters"));
        Self {
            spec: spec.clone(),
            in_service: initial,
            pending: Vec::new(),
            draining: Vec::new(),
            backlog: 0.0,
            queue: asynchronous.then(AsyncQueue::default),
            cache: None,
            serverless: None,
            rng: StdRng::seed_from_u64(seed),
            delay,
        }
    }

    /// Make this a multi-model endpoint serving `models` models.
    #[must_use]
    pub fn with_models(mut self, spec: CacheSpec, models: usize) -> Self {
        self.cache = Some((ModelCache::new(spec, models), Vec::with_capacity(models)));
        self
    }

    /// Make this a serverless endpoint: "instances" are units of provisioned concurrency,
    /// billed only once in service, and removed at once.
    #[must_use]
    pub fn with_serverless(mut self, spec: ServerlessSpec, seed: u64) -> Self {
        self.serverless = Some(ServerlessPool::new(spec, seed));
        self
    }

    /// Set the instances in service directly, with no launch delay (the oracle's script,
    /// which launched them ahead of need).
    pub fn force(&mut self, instances: u32) {
        self.in_service = instances;
    }

    /// Instances serving now.
    #[must_use]
    pub fn in_service(&self) -> u32 {
        self.in_service
    }

    /// Instances serving or launching: the count the endpoint is moving to (SageMaker's
    /// `DesiredInstanceCount`).
    #[must_use]
    pub fn planned(&self) -> u32 {
        self.in_service + u32::try_from(self.pending.len()).unwrap_or(u32::MAX)
    }

    /// Instances billed now: serving, launching and draining.
    #[must_use]
    pub fn billed(&self) -> u32 {
        if self.serverless.is_some() {
            return self.in_service;
        }
        self.in_service
            + u32::try_from(self.pending.len() + self.draining.len()).unwrap_or(u32::MAX)
    }

    /// `Updating` while instances launch or drain.
    #[must_use]
    pub fn status(&self) -> EndpointStatus {
        if self.pending.is_empty() && self.draining.is_empty() {
            EndpointStatus::InService
        } else {
            EndpointStatus::Updating
        }
    }

    /// Bring launched instances into service and finish drains, up to `now`.
    pub fn advance(&mut self, now: Timestamp) {
        let before = self.pending.len();
        self.pending.retain(|&t| t > now.0);
        self.in_service += u32::try_from(before - self.pending.len()).unwrap_or(0);
        self.draining.retain(|&t| t > now.0);
    }

    /// Move toward `desired` instances: launch the difference, or remove instances at once
    /// (they drain, still billed, for the drain time).
    pub fn set_desired(&mut self, desired: u32, now: Timestamp) {
        let planned = self.in_service + u32::try_from(self.pending.len()).unwrap_or(u32::MAX);
        if desired > planned {
            for _ in 0..desired - planned {
                let d: f64 = self.rng.sample(self.delay);
                self.pending.push(now.0 + d.round().max(1.0) as i64);
            }
        } else if desired < self.in_service {
            for _ in 0..self.in_service - desired {
                self.draining.push(now.0 + i64::from(self.spec.drain_s));
            }
            self.in_service = desired;
        }
    }

    /// Serve `arrivals` requests over the `dt` seconds from `now`; on a multi-model endpoint
    /// `per_model` splits them by model.
    pub fn serve(&mut self, arrivals: f64, per_model: &[f64], now: Timestamp, dt: f64) -> Service {
        if let Some(q) = &mut self.queue {
            return q.serve(&self.spec, self.in_service, arrivals, now.0 as f64, dt);
        }
        if let Some(pool) = &mut self.serverless {
            let (latency, timeout) = (self.spec.latency_s, self.spec.timeout_s);
            return pool.serve(latency, timeout, self.in_service, arrivals, now.0, dt);
        }
        let mut s = serve(&self.spec, self.in_service, &mut self.backlog, arrivals, dt);
        if let Some((cache, order)) = &mut self.cache {
            let c = cache.serve(per_model, self.in_service, dt, order);
            apply_cache(&mut s, &c, cache.load_s(), self.in_service);
        }
        s
    }
}

/// Requests that wait for a model load wait uniformly up to the load time; add that to the
/// interval's mean latency. The percentiles are of the requests the SLO judges: all but those
/// that waited for their model's first load (`model_cache.rs`). Where more than 1 % (50 %) of
/// those waited for a reload, the p99 (p50) falls among them.
fn apply_cache(
    s: &mut Service,
    c: &super::model_cache::CacheInterval,
    load_s: f64,
    instances: u32,
) {
    let total = s.arrivals;
    s.loaded_models = if instances > 0 {
        c.loaded as f64 / f64::from(instances)
    } else {
        0.0
    };
    if total <= 0.0 {
        s.cache_hit_ratio = f64::NAN;
        return;
    }
    s.cache_hit_ratio = (total - c.waited) / total;
    if c.waited <= 0.0 {
        return;
    }
    s.loading_wait_s = 0.5 * load_s;
    s.mean_s += c.waited / total * 0.5 * load_s;
    let judged = total - c.first_waited;
    let reloads = c.waited - c.first_waited;
    if judged <= 0.0 || reloads <= 0.0 {
        return;
    }
    let w = reloads / judged;
    if w > 0.01 {
        s.p99_s += load_s * (1.0 - 0.01 / w);
    }
    if w > 0.5 {
        s.p50_s += load_s * (1.0 - 0.5 / w);
    }
}

/// The service of `instances` to `arrivals` over `dt`, carrying `backlog` (requests waiting)
/// between intervals: the steady state while the queue forgets its start within the interval,
/// the diffusion of `transient.rs` near saturation, past it and while a backlog drains.
pub fn serve(
    spec: &FleetSpec,
    instances: u32,
    backlog: &mut f64,
    arrivals: f64,
    dt: f64,
) -> Service {
    // A batched fleet is, for its queue, `instances × max in flight` servers of the full
    // batch's latency (deterministic); its steady state is its curve's chain.
    let (c, mu) = match &spec.batching {
        Some(b) => (
            ((f64::from(instances) * b.max_in_flight()).floor() as u32)
                .max(u32::from(instances > 0)),
            b.max_rps() / b.max_in_flight(),
        ),
        None => (instances * spec.concurrency, 1.0 / spec.latency_s),
    };
    let steady = |lambda: f64| match &spec.batching {
        Some(b) => b.steady(instances, lambda, spec.timeout_s),
        None => response(c, lambda, mu, spec.service, spec.timeout_s),
    };
    let mut s = Service::unserved(arrivals);
    if c == 0 {
        s.failed = arrivals + *backlog;
        *backlog = 0.0;
        if arrivals > 0.0 {
            s.p50_s = spec.timeout_s;
            s.p99_s = spec.timeout_s;
            s.mean_s = spec.timeout_s;
        }
        return s;
    }
    let lambda = arrivals / dt;
    let rate = f64::from(c) * mu;
    s.utilisation = (lambda / rate).min(1.0);
    let law = spec.service;
    if *backlog <= 0.0 && transient::is_steady(lambda, rate, law.cv * law.cv, dt) {
        if arrivals > 0.0 {
            let q = steady(lambda);
            (s.p50_s, s.p99_s, s.mean_s) = (q.p50, q.p99, q.mean);
            s.failed = arrivals * q.beyond_timeout;
        }
        return s;
    }
    let d = Diffusion::new(lambda, rate, law.cv * law.cv, dt);
    // What cannot be served within the timeout fails: at most the fleet's `timeout` seconds of
    // work waits.
    let max_backlog = rate * spec.timeout_s;
    let left = (*backlog + arrivals - rate * dt).max(0.0);
    s.failed = (left - max_backlog).max(0.0);
    let start = transient::functionals(d.gamma, *backlog / d.scale);
    // From an empty queue the start is the empty queue's: no second lookup.
    let empty = if *backlog > 0.0 {
        transient::functionals(d.gamma, 0.0)
    } else {
        start
    };
    *backlog = (transient::carried(&d, start.end) * d.scale).min(max_backlog);
    if *backlog < 1e-9 {
        *backlog = 0.0;
    }
    if arrivals <= 0.0 {
        return s;
    }
    // The load the interval is served at: capped where one interval cannot build up the steady
    // state's wait, fully from γ = −4 on, and always past utilisation 1.
    let to_s = d.scale / rate;
    let capped = load_for_wait_p99(c, mu, law, empty.p99 * to_s);
    let served = lambda - d.cap_weight() * (lambda - lambda.min(capped));
    let q = steady(served);
    // A backlog adds the wait its start makes (never less than none). The median and the
    // mean are at least the profile's own, plus the service's: where the queue ramps up or
    // drains through the interval, the steady state's exponential shape says nothing of them.
    s.p99_s = (q.p99 + (start.p99 - empty.p99).max(0.0) * to_s).min(spec.timeout_s);
    s.p50_s = (q.p50 + (start.p50 - empty.p50).max(0.0) * to_s)
        .max(start.p50 * to_s + law.service_quantile(1.0 / mu, 0.5))
        .min(spec.timeout_s);
    s.mean_s = (q.mean + (start.mean - empty.mean).max(0.0) * to_s)
        .max(start.mean * to_s + 1.0 / mu)
        .min(spec.timeout_s);
    // Besides the queue past the timeout (above), requests whose service alone outlasts it.
    if spec.batching.is_none() {
        s.failed += arrivals * LawResponse::new(c, 0.0, mu, law).survival(spec.timeout_s);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FleetSpec {
        FleetSpec {
            instance_type: "ml.c5.xlarge".into(),
            price_per_hour: 0.204,
            concurrency: 2,
            latency_s: 0.1,
            service: Default::default(),
            provisioning_median_s: 120.0,
            provisioning_sigma: 0.3,
            drain_s: 30,
            timeout_s: 60.0,
            batching: None,
        }
    }

    #[test]
    fn instances_arrive_after_a_seeded_delay_and_the_endpoint_updates_meanwhile() {
        let mut a = Fleet::new(&spec(), 2, 7, false);
        a.set_desired(5, Timestamp(0));
        assert_eq!(
            (a.in_service(), a.billed(), a.status()),
            (2, 5, EndpointStatus::Updating)
        );
        let mut b = Fleet::new(&spec(), 2, 7, false);
        b.set_desired(5, Timestamp(0));
        assert_eq!(a.pending, b.pending, "the same seed draws the same delays");
        assert!(
            a.pending.iter().all(|&t| t > 30 && t < 600),
            "{:?}",
            a.pending
        );
        a.advance(Timestamp(10_000));
        assert_eq!((a.in_service(), a.status()), (5, EndpointStatus::InService));
        b.set_desired(1, Timestamp(0));
        assert_eq!((b.in_service(), b.status()), (1, EndpointStatus::Updating));
        b.advance(Timestamp(10_000));
        assert_eq!(b.in_service(), 4, "the launches still land");
    }

    #[test]
    fn overload_builds_a_backlog_times_out_and_recovers() {
        let s = spec();
        let mut backlog = 0.0;
        // 1 instance: 20 req/s capacity; 60 s at 40 req/s leaves the fluid's 1,200 requests,
        // and a little more for the queue's noise.
        let over = serve(&s, 1, &mut backlog, 2400.0, 60.0);
        assert!(backlog > 1199.9 && backlog < 1200.0 * 1.01, "{backlog}");
        assert!(over.failed < 1.0, "{over:?}");
        assert!(over.p99_s > 55.0, "waits reach 60 s by the end: {over:?}");
        // Way past the timeout: only 60 s of capacity may wait.
        let worse = serve(&s, 1, &mut backlog, 60_000.0, 60.0);
        assert!((backlog - 1200.0).abs() < 1e-6);
        assert!(worse.failed > 50_000.0);
        assert_eq!(worse.p99_s, s.timeout_s);
        // Load drops: the backlog drains.
        let calm = serve(&s, 4, &mut backlog, 60.0, 60.0);
        assert_eq!(backlog, 0.0);
        assert_eq!(calm.failed, 0.0);
    }

    #[test]
    fn overload_then_recovery_serves_the_waits_profile_not_its_mean() {
        // 8 servers of 50 ms: two minutes at utilisation 1.2 leave 3,840 requests (24 s of
        // work); in the third minute, at 0.8, arrivals find 24 s falling to 12 s. The p99 is
        // near the top of that profile (ciw: 23.8 s), not its mean (18 s).
        let mut s = spec();
        (s.concurrency, s.latency_s) = (1, 0.05);
        let mut backlog = 0.0;
        for _ in 0..2 {
            serve(&s, 8, &mut backlog, 1.2 * 160.0 * 60.0, 60.0);
        }
        assert!((backlog - 3840.0).abs() < 30.0, "{backlog}");
        let third = serve(&s, 8, &mut backlog, 0.8 * 160.0 * 60.0, 60.0);
        assert!((third.p99_s - 23.9).abs() < 0.3, "{third:?}");
        assert!((third.mean_s - 18.05).abs() < 0.3, "{third:?}");
        assert!((backlog - 1920.0).abs() < 30.0, "{backlog}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// From an empty queue, p99 rises with the load and is continuous across utilisation
        /// 1, for any law, fleet and interval. With a backlog it is continuous across 1 too,
        /// and never below the empty queue's.
        #[test]
        fn p99_is_continuous_and_monotone_across_utilisation_one(
            servers in 1u32..64,
            latency_s in 0.01f64..2.0,
            cv in 0.0f64..3.0,
            dt in proptest::sample::select(vec![10.0, 60.0, 300.0]),
            backlog_s in proptest::sample::select(vec![0.5, 5.0, 30.0]),
        ) {
            let mut s = spec();
            (s.concurrency, s.latency_s) = (1, latency_s);
            s.service = crate::service_law::ServiceLaw { cv };
            let rate = f64::from(servers) / latency_s;
            let p99 = |rho: f64, waiting_s: f64| {
                let mut backlog = waiting_s * rate;
                serve(&s, servers, &mut backlog, rho * rate * dt, dt).p99_s
            };
            let mut last = 0.0;
            for k in 0..=300 {
                let rho = 0.7 + 0.6 * f64::from(k) / 300.0;
                let p = p99(rho, 0.0);
                proptest::prop_assert!(p.is_finite() && p >= last * (1.0 - 1e-9),
                    "p99 fell from {last} to {p} at utilisation {rho}");
                proptest::prop_assert!(p99(rho, backlog_s) >= p * (1.0 - 1e-9),
                    "a backlog lowered the p99 at utilisation {rho}");
                last = p;
            }
            for waiting in [0.0, backlog_s] {
                let (below, above) = (p99(1.0 - 1e-7, waiting), p99(1.0 + 1e-7, waiting));
                proptest::prop_assert!((above - below).abs() <= 1e-3 * below,
                    "p99 jumps from {below} to {above} across utilisation 1 ({waiting} s waiting)");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]
        /// A batched fleet too: p99 rises with the load and is continuous across utilisation 1.
        #[test]
        fn a_batched_fleets_p99_is_continuous_and_monotone(
            instances in 1u32..12,
            dt in proptest::sample::select(vec![10.0, 60.0]),
        ) {
            let mut s = spec();
            let curve = crate::batching::BatchingCurve::new(vec![
                (2.0, 499.1), (4.0, 882.8), (8.0, 1547.9), (16.0, 1593.9),
            ]).unwrap();
            (s.concurrency, s.latency_s) = (16, curve.light_latency());
            s.service = crate::service_law::ServiceLaw { cv: 0.0 };
            s.batching = Some(curve);
            let rate = f64::from(instances) * 1593.9;
            let p99 = |rho: f64| serve(&s, instances, &mut 0.0, rho * rate * dt, dt).p99_s;
            let mut last = 0.0;
            for k in 0..=200 {
                let rho = 0.05 + 1.25 * f64::from(k) / 200.0;
                let p = p99(rho);
                proptest::prop_assert!(p.is_finite() && p >= last * (1.0 - 1e-9),
                    "p99 fell from {last} to {p} at utilisation {rho}");
                last = p;
            }
            let (below, above) = (p99(1.0 - 1e-7), p99(1.0 + 1e-7));
            proptest::prop_assert!((above - below).abs() <= 1e-3 * below,
                "p99 jumps from {below} to {above} across utilisation 1");
        }
    }

    #[test]
    fn no_instances_fail_every_request() {
        let mut backlog = 0.0;
        let s = serve(&spec(), 0, &mut backlog, 10.0, 60.0);
        assert_eq!(s.failed, 10.0);
    }
}
