//! An asynchronous endpoint's queue: requests wait in a FIFO backlog until an instance takes
//! them. None fail for want of capacity; a request that waits longer than the timeout expires.

use std::collections::VecDeque;

use super::service::{FleetSpec, Service};

/// The backlog: chunks of requests by arrival time, oldest first.
#[derive(Clone, Debug, Default)]
pub struct AsyncQueue {
    chunks: VecDeque<(f64, f64)>,
    total: f64,
}

impl AsyncQueue {
    /// Requests waiting.
    #[must_use]
    pub fn backlog(&self) -> f64 {
        self.total
    }

    /// Queue `arrivals` (arriving mid-interval) and let `instances` work through the backlog
    /// for `dt` seconds from `now`.
    pub fn serve(
        &mut self,
        spec: &FleetSpec,
        instances: u32,
        arrivals: f64,
        now: f64,
        dt: f64,
    ) -> Service {
        if arrivals > 0.0 {
            self.chunks.push_back((now + 0.5 * dt, arrivals));
            self.total += arrivals;
        }
        let end = now + dt;
        let mut capacity = f64::from(instances * spec.concurrency) / spec.latency_s * dt;
        let (mut served, mut wait_sum, mut wait_max) = (0.0, 0.0, 0.0f64);
        while capacity > 1e-9 {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            let take = front.1.min(capacity);
            let wait = (end - front.0).max(0.0);
            served += take;
            wait_sum += take * wait;
            wait_max = wait_max.max(wait);
            capacity -= take;
            front.1 -= take;
            self.total -= take;
            if front.1 <= 1e-9 {
                self.chunks.pop_front();
            }
        }
        // Requests past the timeout expire.
        let mut failed = 0.0;
        while let Some(&(at, n)) = self.chunks.front() {
            if end - at <= spec.timeout_s {
                break;
            }
            failed += n;
            self.total -= n;
            self.chunks.pop_front();
        }
        if self.chunks.is_empty() {
            self.total = 0.0;
        }
        let oldest = self
            .chunks
            .front()
            .map_or(0.0, |&(at, _)| (end - at).max(0.0));
        let busy = served > 0.0 || self.total > 0.0;
        let cap_rate = f64::from(instances * spec.concurrency) / spec.latency_s;
        Service {
            arrivals,
            failed,
            p50_s: if served > 0.0 {
                wait_sum / served + std::f64::consts::LN_2 * spec.latency_s
            } else {
                f64::NAN
            },
            // The age of the oldest request, waiting or just served: what an async SLO bounds.
            p99_s: if busy {
                wait_max.max(oldest) + spec.latency_s
            } else {
                f64::NAN
            },
            mean_s: if served > 0.0 {
                wait_sum / served + spec.latency_s
            } else {
                f64::NAN
            },
            utilisation: if cap_rate > 0.0 {
                (served / dt / cap_rate).min(1.0)
            } else {
                0.0
            },
            backlog: self.total,
            oldest_age_s: oldest,
            ..Service::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FleetSpec {
        FleetSpec {
            instance_type: "ml.g5.xlarge".into(),
            price_per_hour: 1.408,
            concurrency: 1,
            latency_s: 1.0,
            service: Default::default(),
            provisioning_median_s: 240.0,
            provisioning_sigma: 0.3,
            drain_s: 30,
            timeout_s: 3600.0,
            batching: None,
        }
    }

    #[test]
    fn the_backlog_waits_for_capacity_and_drains_oldest_first() {
        let mut q = AsyncQueue::default();
        // No instances: everything waits.
        let s = q.serve(&spec(), 0, 100.0, 0.0, 60.0);
        assert_eq!((s.backlog, s.failed), (100.0, 0.0));
        assert!((s.oldest_age_s - 30.0).abs() < 1e-9);
        let s = q.serve(&spec(), 0, 20.0, 60.0, 60.0);
        assert_eq!(s.backlog, 120.0);
        assert!((s.oldest_age_s - 90.0).abs() < 1e-9);
        // One instance, 60 per minute: the first chunk is served first.
        let s = q.serve(&spec(), 1, 0.0, 120.0, 60.0);
        assert_eq!(s.backlog, 60.0);
        assert!((s.p99_s - (150.0 + 1.0)).abs() < 1e-9);
        let s = q.serve(&spec(), 2, 0.0, 180.0, 60.0);
        assert_eq!(s.backlog, 0.0);
        assert_eq!(s.oldest_age_s, 0.0);
    }

    #[test]
    fn requests_expire_after_the_timeout() {
        let mut q = AsyncQueue::default();
        let mut s = spec();
        s.timeout_s = 100.0;
        q.serve(&s, 0, 10.0, 0.0, 60.0);
        // Arrived at 30 s: 90 s old at the end of the second interval, 150 s at the third.
        let r = q.serve(&s, 0, 0.0, 60.0, 60.0);
        assert_eq!((r.failed, r.backlog), (0.0, 10.0));
        let r = q.serve(&s, 0, 0.0, 120.0, 60.0);
        assert_eq!((r.failed, r.backlog), (10.0, 0.0));
    }
}
