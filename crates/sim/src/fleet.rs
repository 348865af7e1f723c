//! A SageMaker real-time variant's fleet: instances launching after a seeded provisioning
//! delay, instances draining after removal, the endpoint `Updating` meanwhile, and the service
//! each interval gives: M/M/c while stable, a fluid backlog with timeouts when overloaded.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use statrs::distribution::LogNormal;

use super::async_queue::AsyncQueue;
use super::model_cache::{CacheSpec, ModelCache};
use super::serverless::{ServerlessPool, ServerlessSpec};
use super::service_law::response;
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

/// The service of `instances` to `arrivals` over `dt`, carrying `backlog` between intervals.
pub fn serve(
    spec: &FleetSpec,
    instances: u32,
    backlog: &mut f64,
    arrivals: f64,
    dt: f64,
) -> Service {
    let c = instances * spec.concurrency;
    let mu = 1.0 / spec.latency_s;
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
    let cap = f64::from(c) * mu;
    s.utilisation = (lambda / cap).min(1.0);
    if *backlog <= 0.0 && lambda < cap * (1.0 - 1e-9) {
        if arrivals > 0.0 {
            let q = response(c, lambda, mu, spec.service, spec.timeout_s);
            (s.p50_s, s.p99_s, s.mean_s) = (q.p50, q.p99, q.mean);
            s.failed = arrivals * q.beyond_timeout;
        }
        return s;
    }
    // Overloaded (or still working off a backlog): a fluid queue. What cannot be served within
    // the timeout fails.
    let total = *backlog + arrivals;
    let served = total.min(cap * dt);
    let mut left = total - served;
    let max_backlog = cap * spec.timeout_s;
    if left > max_backlog {
        s.failed = left - max_backlog;
        left = max_backlog;
    }
    let wait = 0.5 * (*backlog + left) / cap;
    *backlog = if left < 1e-9 { 0.0 } else { left };
    s.utilisation = 1.0;
    s.p50_s = (wait + std::f64::consts::LN_2 / mu).min(spec.timeout_s);
    s.p99_s = (wait + 100f64.ln() / mu).min(spec.timeout_s);
    s.mean_s = (wait + 1.0 / mu).min(spec.timeout_s);
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
        // 1 instance: 20 req/s capacity; 60 s at 40 req/s.
        let over = serve(&s, 1, &mut backlog, 2400.0, 60.0);
        assert!((backlog - 1200.0).abs() < 1e-6);
        assert_eq!(over.failed, 0.0);
        assert!(over.p99_s > 20.0);
        // Way past the timeout: only 60 s of capacity may wait.
        let worse = serve(&s, 1, &mut backlog, 60_000.0, 60.0);
        assert!((backlog - 1200.0).abs() < 1e-6);
        assert!(worse.failed > 50_000.0);
        // Load drops: the backlog drains.
        let calm = serve(&s, 4, &mut backlog, 60.0, 60.0);
        assert_eq!(backlog, 0.0);
        assert_eq!(calm.failed, 0.0);
    }

    #[test]
    fn no_instances_fail_every_request() {
        let mut backlog = 0.0;
        let s = serve(&spec(), 0, &mut backlog, 10.0, 60.0);
        assert_eq!(s.failed, 10.0);
    }
}
