//! The instances of an endpoint that hosts inference components, and the copies placed on
//! them: managed instance scaling as SageMaker documents it.
//!
//! - A copy needs its component's accelerators on one instance. It goes on an instance in
//!   service that has them free (the short delay: a copy on a warm instance), else on an
//!   instance still launching that has them, else on a new instance if `MaxInstanceCount`
//!   allows (the long delay: an instance end to end), else it waits until room frees.
//! - Scale-in is `IDLE_RELEASE` (the default): an instance that hosts no copy is released at
//!   once, down to `MinInstanceCount`.
//! - Or `CONSOLIDATION`: as well, once no operation has run on the endpoint for its cooldown
//!   (20 minutes by default), the copies of the least-used instance in service move to the
//!   free accelerators of the others, and it is released. Up to `MaximumStepSize` instances
//!   (default 1) empty at a time. AWS documents what it does, not how: a moved copy loads on
//!   its new instance (the warm-copy delay) while the old one serves, and the old instance is
//!   billed until the last of its copies is replaced. Only instances whose copies all serve
//!   move, and only onto instances in service.
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
    /// Managed instance scaling's scale-in strategy.
    pub scale_in: ScaleIn,
}

/// `ProductionVariantManagedInstanceScalingScaleInPolicy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ScaleIn {
    /// `IDLE_RELEASE`: release instances that host no copy.
    #[default]
    IdleRelease,
    /// `CONSOLIDATION`: move copies onto fewer instances to release more.
    Consolidation {
        /// `CooldownInMinutes`, in seconds: quiet time after the last endpoint operation.
        cooldown_s: i64,
        /// `MaximumStepSize`: instances emptied in one consolidation.
        max_step: u32,
    },
}

impl std::fmt::Display for ScaleIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::IdleRelease => f.write_str("IDLE_RELEASE"),
            Self::Consolidation {
                cooldown_s,
                max_step,
            } => write!(
                f,
                "CONSOLIDATION after {} quiet minutes, {max_step} instance(s) at a time",
                cooldown_s / 60
            ),
        }
    }
}

/// A copy being replaced by consolidation: it serves on its old instance until its
/// replacement does.
#[derive(Clone, Copy, Debug)]
struct Leaving {
    component: usize,
    instance: usize,
    until: i64,
}

#[derive(Clone, Copy, Debug)]
struct Instance {
    /// When it serves (its launch's end).
    ready_at: i64,
    /// Accelerators its copies hold, serving or loading (or leaving, when draining).
    used: u32,
    alive: bool,
    /// Being emptied by consolidation: nothing new goes on it.
    draining: bool,
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
    /// Copies consolidation is moving, on their old instances.
    leaving: Vec<Leaving>,
    /// When the last endpoint operation (a placement, a removal, a move) ended.
    last_op: i64,
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
            leaving: Vec::new(),
            last_op: i64::MIN,
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
            draining: false,
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
        let free = |i: &Instance| i.alive && !i.draining && i.used + need <= self.spec.accelerators;
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
        self.last_op = self.last_op.max(serving_from);
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
        if !self.leaving.is_empty() {
            let before = self.leaving.len();
            let (instances, needs) = (&mut self.instances, &self.needs);
            self.leaving.retain(|l| {
                let stays = l.until > now.0;
                if !stays {
                    instances[l.instance].used -= needs[l.component];
                }
                stays
            });
            if self.leaving.len() < before {
                self.release_idle();
            }
        }
        if self.waiting.iter().any(|&w| w > 0) {
            self.place(now);
        }
        if let ScaleIn::Consolidation {
            cooldown_s,
            max_step,
        } = self.spec.scale_in
        {
            if self.leaving.is_empty()
                && now.0.saturating_sub(self.last_op) >= cooldown_s
                && self.waiting.iter().all(|&w| w == 0)
            {
                self.consolidate(now, max_step);
            }
        }
    }

    /// `CONSOLIDATION`: empty up to `max_step` instances, least used first, whose copies fit
    /// on the other instances in service; each copy loads on its new instance while the old
    /// one serves. Every copy serves by now: the cooldown counts from the last placement's
    /// serving.
    fn consolidate(&mut self, now: Timestamp, max_step: u32) {
        let per = self.spec.accelerators;
        let mut emptied = 0;
        while emptied < max_step && self.alive() - emptied > self.spec.min_instances {
            let settled = |i: &Instance| i.alive && !i.draining && i.ready_at == i64::MIN;
            let mut order: Vec<usize> = (0..self.instances.len())
                .filter(|&n| settled(&self.instances[n]) && self.instances[n].used > 0)
                .collect();
            order.sort_by_key(|&n| (self.instances[n].used, std::cmp::Reverse(n)));
            let mut plan = None;
            for &x in &order {
                // First fit of x's copies into the others' free accelerators.
                let mut free: Vec<u32> = self
                    .instances
                    .iter()
                    .enumerate()
                    .map(|(n, i)| {
                        if n != x && settled(i) {
                            per - i.used
                        } else {
                            0
                        }
                    })
                    .collect();
                let mut moves = Vec::new();
                let fits = self.copies.iter().enumerate().all(|(k, copies)| {
                    copies
                        .iter()
                        .enumerate()
                        .filter(|c| c.1 .0 == x)
                        .all(|(c, _)| {
                            let to = free.iter().position(|&f| f >= self.needs[k]);
                            if let Some(to) = to {
                                free[to] -= self.needs[k];
                                moves.push((k, c, to));
                            }
                            to.is_some()
                        })
                });
                if fits {
                    plan = Some((x, moves));
                    break;
                }
            }
            let Some((x, moves)) = plan else { return };
            self.instances[x].draining = true;
            for (k, c, to) in moves {
                let d: f64 = self.rng.sample(self.copy_delay);
                let until = now.0 + d.round().max(1.0) as i64;
                self.copies[k][c] = (to, until);
                self.instances[to].used += self.needs[k];
                self.leaving.push(Leaving {
                    component: k,
                    instance: x,
                    until,
                });
                self.last_op = self.last_op.max(until);
            }
            emptied += 1;
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
            if let Some((i, from)) = self.copies[k].pop() {
                self.instances[i].used -= self.needs[k];
                // A copy still moving: the one it was replacing goes with it.
                if let Some(l) = self
                    .leaving
                    .iter()
                    .position(|l| l.component == k && l.until == from && from > now.0)
                {
                    let l = self.leaving.swap_remove(l);
                    self.instances[l.instance].used -= self.needs[k];
                }
            }
        }
        if cut > 0 {
            self.last_op = self.last_op.max(now.0);
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
                    i.draining = false;
                    alive -= 1;
                }
            }
        }
    }

    /// Copies of `k` serving at `now`.
    #[must_use]
    pub fn serving(&self, k: usize, now: Timestamp) -> u32 {
        let moving = self
            .leaving
            .iter()
            .filter(|l| l.component == k && l.until > now.0)
            .count();
        (self.copies[k].iter().filter(|c| c.1 <= now.0).count() + moving) as u32
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
            .filter(|i| i.alive && !i.draining)
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
            scale_in: ScaleIn::IdleRelease,
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

    /// Two components of one GPU, 3 copies each: the first instance holds 3 + 1, the second 2.
    /// The first component scales in to 1 at 0 s, leaving 2 and 2 on two instances.
    fn fragmented(scale_in: ScaleIn) -> Pool {
        let mut s = spec();
        s.scale_in = scale_in;
        let mut p = Pool::new(&s, &[1, 1], &[3, 3], 5);
        p.set_copies(0, 1, Timestamp(0));
        assert_eq!((p.billed(), p.planned(0), p.planned(1)), (2, 1, 3));
        p
    }

    const CONSOLIDATE: ScaleIn = ScaleIn::Consolidation {
        cooldown_s: 1200,
        max_step: 1,
    };

    #[test]
    fn consolidation_moves_copies_off_an_instance_after_the_cooldown_and_releases_it() {
        // `IDLE_RELEASE` keeps both instances: neither is empty.
        let mut idle = fragmented(ScaleIn::IdleRelease);
        idle.advance(Timestamp(5000));
        assert_eq!(idle.billed(), 2);

        let mut p = fragmented(CONSOLIDATE);
        p.advance(Timestamp(1190));
        assert_eq!(p.billed(), 2, "nothing moves within the cooldown");
        p.advance(Timestamp(1200));
        // The second instance's two copies load on the first while they serve where they are.
        for t in (1200..1400).step_by(10) {
            p.advance(Timestamp(t));
            assert_eq!(
                (p.serving(0, Timestamp(t)), p.serving(1, Timestamp(t))),
                (1, 3),
                "at {t} s"
            );
            assert_eq!(p.status(1, Timestamp(t)), EndpointStatus::InService);
        }
        assert_eq!(
            p.billed(),
            1,
            "the emptied instance is released once its copies moved"
        );
        assert_eq!((p.planned(0), p.planned(1)), (1, 3));
        assert_eq!(
            p.room(0),
            1 + 4,
            "one copy, and a whole instance MaxInstanceCount allows"
        );
    }

    #[test]
    fn an_endpoint_operation_restarts_the_cooldown() {
        let mut p = fragmented(CONSOLIDATE);
        // At 1000 s the first component goes to zero: the first instance keeps one copy.
        p.set_copies(0, 0, Timestamp(1000));
        p.advance(Timestamp(1200));
        assert_eq!(
            p.billed(),
            2,
            "20 quiet minutes count from the last operation"
        );
        p.advance(Timestamp(2190));
        assert_eq!(p.billed(), 2);
        p.advance(Timestamp(2200));
        p.advance(Timestamp(2400));
        assert_eq!((p.billed(), p.serving(1, Timestamp(2400))), (1, 3));
        // The three copies share one instance: one accelerator free there, and one instance
        // more allowed.
        assert_eq!(p.room(1), 3 + 1 + 4);
    }

    #[test]
    fn a_copy_removed_while_it_moves_takes_its_old_place_with_it() {
        let mut p = fragmented(CONSOLIDATE);
        p.advance(Timestamp(1200));
        p.set_copies(1, 2, Timestamp(1210));
        assert_eq!((p.planned(1), p.serving(1, Timestamp(1210))), (2, 2));
        p.advance(Timestamp(1400));
        assert_eq!((p.billed(), p.serving(1, Timestamp(1400))), (1, 2));
        assert_eq!(
            p.room(0),
            1 + 1 + 4,
            "one accelerator free on the instance left"
        );
    }

    #[test]
    fn maximum_step_size_is_how_many_instances_one_consolidation_empties() {
        let left = |max_step: u32| {
            let mut s = spec();
            s.max_instances = 3;
            s.scale_in = ScaleIn::Consolidation {
                cooldown_s: 1200,
                max_step,
            };
            // Three full instances, one component each; each keeps one copy.
            let mut p = Pool::new(&s, &[1, 1, 1], &[4, 4, 4], 9);
            for k in 0..3 {
                p.set_copies(k, 1, Timestamp(0));
            }
            assert_eq!(p.billed(), 3);
            p.advance(Timestamp(1200));
            p.advance(Timestamp(1400));
            p.billed()
        };
        assert_eq!(left(1), 2);
        assert_eq!(left(2), 1);
    }

    #[test]
    fn consolidation_stops_at_min_instance_count() {
        let mut s = spec();
        s.max_instances = 3;
        s.min_instances = 2;
        s.scale_in = ScaleIn::Consolidation {
            cooldown_s: 1200,
            max_step: 2,
        };
        let mut p = Pool::new(&s, &[1, 1, 1], &[4, 4, 4], 9);
        for k in 0..3 {
            p.set_copies(k, 1, Timestamp(0));
        }
        for t in [1200, 1400, 3000, 6000] {
            p.advance(Timestamp(t));
        }
        // Two instances stay, both open to copies: one holds two, the other one.
        assert_eq!(p.billed(), 2);
        assert_eq!(p.room(0), 1 + 5 + 4);
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
