//! The instances of an endpoint that hosts inference components, and the copies placed on
//! them: managed instance scaling as SageMaker documents it.
//!
//! - A copy needs its component's accelerators on one instance. It goes on an instance in
//!   service that has them free (the short delay: a copy on a warm instance), else on an
//!   instance still launching that has them, else on a new instance if `MaxInstanceCount`
//!   allows (the long delay: an instance end to end), else it waits until room frees.
//! - Scale-in is `IDLE_RELEASE`: an instance that hosts no copy is released at once, down to
//!   `MinInstanceCount` (`CONSOLIDATION`, which moves copies, is not modelled).
//! - Instances are billed from launch to release, launching or not; copies are not billed.
//! - Which copy SageMaker removes on scale-in is not documented: the newest goes first.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use statrs::distribution::LogNormal;

use sagescale_engine::{EndpointStatus, Timestamp};

/// What the endpoint's instances are and how long capacity takes.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolSpec {
    /// Instance type name.
    pub instance_type: String,
    /// USD per instance-hour.
    pub price_per_hour: f64,
    /// Accelerators one instance has.
    pub accelerators: u32,
    /// `MinInstanceCount`.
    pub min_instances: u32,
    /// `MaxInstanceCount`.
    pub max_instances: u32,
    /// Median seconds from launching an instance to its first copies serving, end to end.
    pub instance_median_s: f64,
    /// Median seconds from placing a copy on an instance in service to its serving.
    pub copy_median_s: f64,
    /// Log-normal shape of both delays.
    pub sigma: f64,
}

#[derive(Clone, Copy, Debug)]
struct Instance {
    /// When it serves (its launch's end).
    ready_at: i64,
    /// Accelerators its copies hold, serving or loading.
    used: u32,
    alive: bool,
}

/// One endpoint's instances and every component's copies during a run.
pub struct Pool {
    spec: PoolSpec,
    /// Accelerators one copy of each component needs.
    needs: Vec<u32>,
    instances: Vec<Instance>,
    /// Per component: its placed copies, `(instance, serving from)`, oldest first.
    copies: Vec<Vec<(usize, i64)>>,
    /// Per component: copies asked for that no instance can hold yet.
    waiting: Vec<u32>,
    rng: StdRng,
    instance_delay: LogNormal,
    copy_delay: LogNormal,
}

impl Pool {
    /// A pool serving `initial[k]` copies of each component at once, on as few instances as
    /// hold them (at least `MinInstanceCount`), drawing delays from `seed`.
    #[must_use]
    pub fn new(spec: &PoolSpec, needs: &[u32], initial: &[u32], seed: u64) -> Self {
        let law = |median: f64| {
            LogNormal::new(median.max(1.0).ln(), spec.sigma.max(1e-6))
                .unwrap_or_else(|_| unreachable!("validated log-normal parameters"))
        };
        let mut pool = Self {
            spec: spec.clone(),
            needs: needs.to_vec(),
            instances: Vec::new(),
            copies: vec![Vec::new(); needs.len()],
            waiting: vec![0; needs.len()],
            rng: StdRng::seed_from_u64(seed),
            instance_delay: law(spec.instance_median_s),
            copy_delay: law(spec.copy_median_s),
        };
        for _ in 0..spec.min_instances {
            pool.launch(i64::MIN);
        }
        for (k, &n) in initial.iter().enumerate() {
            for _ in 0..n {
                match pool.fit(k) {
                    Some(i) => pool.put(k, i, i64::MIN),
                    None if pool.alive() < pool.spec.max_instances => {
                        let i = pool.launch(i64::MIN);
                        pool.put(k, i, i64::MIN);
                    }
                    None => pool.waiting[k] += 1,
                }
            }
        }
        pool
    }

    fn alive(&self) -> u32 {
        self.instances.iter().filter(|i| i.alive).count() as u32
    }

    /// Launch an instance serving from `ready_at`, reusing a released slot.
    fn launch(&mut self, ready_at: i64) -> usize {
        let fresh = Instance {
            ready_at,
            used: 0,
            alive: true,
        };
        if let Some(i) = self.instances.iter().position(|i| !i.alive) {
            self.instances[i] = fresh;
            i
        } else {
            self.instances.push(fresh);
            self.instances.len() - 1
        }
    }

    /// The instance a copy of `k` fits on: the first in service with room, else the first
    /// launching with room.
    fn fit(&self, k: usize) -> Option<usize> {
        let need = self.needs[k];
        let free = |i: &Instance| i.alive && i.used + need <= self.spec.accelerators;
        let mut launching = None;
        for (n, i) in self.instances.iter().enumerate() {
            if free(i) {
                if i.ready_at == i64::MIN {
                    return Some(n);
                }
                launching = launching.or(Some(n));
            }
        }
        launching
    }

    fn put(&mut self, k: usize, instance: usize, serving_from: i64) {
        self.instances[instance].used += self.needs[k];
        self.copies[k].push((instance, serving_from));
    }

    /// Place what waits, in component order, at `now`.
    fn place(&mut self, now: Timestamp) {
        for k in 0..self.needs.len() {
            while self.waiting[k] > 0 {
                let at = match self.fit(k) {
                    Some(i) if self.instances[i].ready_at <= now.0 => {
                        let d: f64 = self.rng.sample(self.copy_delay);
                        (i, now.0 + d.round().max(1.0) as i64)
                    }
                    // An instance still launching: its end-to-end delay covers its copies.
                    Some(i) => (i, self.instances[i].ready_at),
                    None if self.alive() < self.spec.max_instances => {
                        let d: f64 = self.rng.sample(self.instance_delay);
                        let ready = now.0 + d.round().max(1.0) as i64;
                        (self.launch(ready), ready)
                    }
                    None => break,
                };
                self.put(k, at.0, at.1);
                self.waiting[k] -= 1;
            }
        }
    }

    /// Mark instances that serve by `now` as in service (their `ready_at` is kept for copies
    /// placed on them) and place what waits.
    pub fn advance(&mut self, now: Timestamp) {
        for i in &mut self.instances {
            if i.alive && i.ready_at <= now.0 {
                i.ready_at = i64::MIN;
            }
        }
        if self.waiting.iter().any(|&w| w > 0) {
            self.place(now);
        }
    }

    /// Move component `k` toward `desired` copies at `now`: place the difference, or remove
    /// copies (waiting ones first, then the newest) and release the instances left empty.
    pub fn set_copies(&mut self, k: usize, desired: u32, now: Timestamp) {
        let planned = self.planned(k);
        if desired > planned {
            self.waiting[k] += desired - planned;
            self.place(now);
            return;
        }
        let mut cut = planned - desired;
        let from_waiting = cut.min(self.waiting[k]);
        self.waiting[k] -= from_waiting;
        cut -= from_waiting;
        for _ in 0..cut {
            if let Some((i, _)) = self.copies[k].pop() {
                self.instances[i].used -= self.needs[k];
            }
        }
        if cut > 0 {
            self.release_idle();
            self.place(now);
        }
    }

    /// `IDLE_RELEASE`: release instances with no copy, launching ones first, down to the
    /// minimum.
    fn release_idle(&mut self) {
        let mut alive = self.alive();
        for launching in [true, false] {
            for i in self.instances.iter_mut().rev() {
                if alive <= self.spec.min_instances {
                    return;
                }
                if i.alive && i.used == 0 && (i.ready_at != i64::MIN) == launching {
                    i.alive = false;
                    alive -= 1;
                }
            }
        }
    }

    /// Copies of `k` serving at `now`.
    #[must_use]
    pub fn serving(&self, k: usize, now: Timestamp) -> u32 {
        self.copies[k].iter().filter(|c| c.1 <= now.0).count() as u32
    }

    /// Copies of `k` serving, loading or waiting for room: `DesiredCopyCount`.
    #[must_use]
    pub fn planned(&self, k: usize) -> u32 {
        self.copies[k].len() as u32 + self.waiting[k]
    }

    /// Copies of `k` asked for that no instance can hold yet.
    #[must_use]
    pub fn waiting(&self, k: usize) -> u32 {
        self.waiting[k]
    }

    /// `Updating` while copies of `k` load or wait for room.
    #[must_use]
    pub fn status(&self, k: usize, now: Timestamp) -> EndpointStatus {
        if self.serving(k, now) == self.planned(k) {
            EndpointStatus::InService
        } else {
            EndpointStatus::Updating
        }
    }

    /// Instances billed now: launching or in service.
    #[must_use]
    pub fn billed(&self) -> u32 {
        self.alive()
    }

    /// Instances in service at `now`.
    #[must_use]
    pub fn in_service(&self, now: Timestamp) -> u32 {
        self.instances
            .iter()
            .filter(|i| i.alive && i.ready_at <= now.0)
            .count() as u32
    }

    /// The most copies of `k` the instances could hold, the others' copies staying where
    /// they are: its own, plus what fits in the free accelerators of the instances there and
    /// of those `MaxInstanceCount` still allows.
    #[must_use]
    pub fn room(&self, k: usize) -> u32 {
        let (need, per) = (self.needs[k], self.spec.accelerators);
        let free: u32 = self
            .instances
            .iter()
            .filter(|i| i.alive)
            .map(|i| (per - i.used) / need)
            .sum();
        let more = self.spec.max_instances.saturating_sub(self.alive()) * (per / need);
        self.copies[k].len() as u32 + free + more
    }

    /// Copies one instance holds of `k`, alone.
    #[must_use]
    pub fn per_instance(&self, k: usize) -> u32 {
        self.spec.accelerators / self.needs[k]
    }

    /// Components placed on this pool.
    #[must_use]
    pub fn components(&self) -> usize {
        self.needs.len()
    }

    /// What the instances are.
    #[must_use]
    pub fn spec(&self) -> &PoolSpec {
        &self.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> PoolSpec {
        PoolSpec {
            instance_type: "ml.g5.12xlarge".into(),
            price_per_hour: 7.09,
            accelerators: 4,
            min_instances: 0,
            max_instances: 2,
            instance_median_s: 258.0,
            copy_median_s: 60.0,
            sigma: 0.1,
        }
    }

    #[test]
    fn a_copy_on_a_warm_instance_serves_sooner_than_one_that_needs_a_new_instance() {
        // Two components of 1 and 2 GPUs; one copy each fills 3 of the first instance's 4.
        let mut p = Pool::new(&spec(), &[1, 2], &[1, 1], 7);
        assert_eq!((p.billed(), p.in_service(Timestamp(0))), (1, 1));
        // A second copy of the 1-GPU component fits the warm instance: about a minute.
        p.set_copies(0, 2, Timestamp(0));
        assert_eq!(p.billed(), 1);
        p.advance(Timestamp(45));
        assert_eq!(p.serving(0, Timestamp(45)), 1);
        p.advance(Timestamp(90));
        assert_eq!(p.serving(0, Timestamp(90)), 2);
        assert_eq!(p.status(0, Timestamp(90)), EndpointStatus::InService);
        // A second 2-GPU copy does not fit: a new instance, minutes away.
        p.set_copies(1, 2, Timestamp(100));
        assert_eq!((p.billed(), p.in_service(Timestamp(100))), (2, 1));
        p.advance(Timestamp(200));
        assert_eq!(p.serving(1, Timestamp(200)), 1);
        assert_eq!(p.status(1, Timestamp(200)), EndpointStatus::Updating);
        p.advance(Timestamp(500));
        assert_eq!(p.serving(1, Timestamp(500)), 2);
    }

    #[test]
    fn copies_past_max_instances_wait_for_room_and_take_it_when_another_component_frees_it() {
        let mut p = Pool::new(&spec(), &[2, 2], &[2, 2], 1);
        assert_eq!(p.billed(), 2);
        assert_eq!((p.room(0), p.room(1)), (2, 2), "both instances are full");
        p.set_copies(0, 3, Timestamp(0));
        assert_eq!((p.planned(0), p.serving(0, Timestamp(10_000))), (3, 2));
        // The other component scales in: its newest copy goes, and the waiting copy takes its
        // place on the warm instance.
        p.set_copies(1, 1, Timestamp(100));
        p.advance(Timestamp(10_000));
        assert_eq!(p.serving(0, Timestamp(10_000)), 3);
        assert_eq!(p.billed(), 2);
    }

    #[test]
    fn idle_instances_are_released_down_to_the_minimum_and_scale_to_zero_bills_nothing() {
        let mut p = Pool::new(&spec(), &[4, 4], &[1, 1], 3);
        assert_eq!(p.billed(), 2);
        p.set_copies(1, 0, Timestamp(0));
        assert_eq!(
            p.billed(),
            1,
            "an instance with no copy is released at once"
        );
        p.set_copies(0, 0, Timestamp(0));
        assert_eq!(p.billed(), 0);
        // Waking: the copy needs a new instance.
        p.set_copies(0, 1, Timestamp(60));
        assert_eq!((p.billed(), p.serving(0, Timestamp(100))), (1, 0));
        p.advance(Timestamp(1000));
        assert_eq!(p.serving(0, Timestamp(1000)), 1);
        // With a minimum of one instance, the last one stays.
        let mut s = spec();
        s.min_instances = 1;
        let mut q = Pool::new(&s, &[4], &[1], 3);
        q.set_copies(0, 0, Timestamp(0));
        assert_eq!(q.billed(), 1);
    }

    #[test]
    fn a_launching_instance_whose_copies_are_removed_stops_billing() {
        let mut p = Pool::new(&spec(), &[4], &[0], 3);
        p.set_copies(0, 1, Timestamp(0));
        assert_eq!(p.billed(), 1);
        p.set_copies(0, 0, Timestamp(30));
        assert_eq!(p.billed(), 0);
    }
}
