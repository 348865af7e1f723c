//! A multi-model endpoint's model cache: models load from S3 into instance memory on first
//! use and are evicted least-recently-used when memory runs out. Requests for a model that is
//! loading wait for it.
//!
//! A model's first load in the replay is a cold start no capacity avoids (SageMaker loads a
//! model on its first invocation): its waits are counted apart (`first_waited`), and the SLO
//! is judged on the other requests (docs/semantics.md). Every reload after an eviction counts.
//!
//! The fleet's memory is pooled: a model is loaded on one instance and requests for it go
//! there, as SageMaker's multi-model routing does, and the pool holds
//! `instances × cache_gb_per_instance / model_size_gb` models.

use std::collections::BTreeSet;

/// Cache parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CacheSpec {
    /// Memory of one model, GB.
    pub model_size_gb: f64,
    /// Memory one instance gives to models, GB.
    pub cache_gb_per_instance: f64,
    /// Seconds to load a model.
    pub load_s: f64,
}

/// What an interval of cache traffic looked like.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CacheInterval {
    /// Requests that found their model loaded.
    pub hits: f64,
    /// Requests that waited for a load.
    pub waited: f64,
    /// Of those, requests that waited for their model's first load in the replay.
    pub first_waited: f64,
    /// Models loaded this interval.
    pub loads: u32,
    /// Models in memory at the end of the interval.
    pub loaded: usize,
}

/// The pooled LRU cache.
#[derive(Clone, Debug)]
pub struct ModelCache {
    spec: CacheSpec,
    last_used: Vec<Option<u64>>,
    seen: Vec<bool>,
    lru: BTreeSet<(u64, usize)>,
    clock: u64,
}

impl ModelCache {
    /// An empty cache for `models` models.
    #[must_use]
    pub fn new(spec: CacheSpec, models: usize) -> Self {
        Self {
            spec,
            last_used: vec![None; models],
            seen: vec![false; models],
            lru: BTreeSet::new(),
            clock: 0,
        }
    }

    /// Seconds to load a model.
    #[must_use]
    pub fn load_s(&self) -> f64 {
        self.spec.load_s
    }

    /// How many models `instances` instances hold.
    #[must_use]
    pub fn capacity(&self, instances: u32) -> usize {
        if instances == 0 {
            return 0;
        }
        let per = (self.spec.cache_gb_per_instance / self.spec.model_size_gb)
            .floor()
            .max(1.0);
        (f64::from(instances) * per) as usize
    }

    fn evict_to(&mut self, capacity: usize) {
        while self.lru.len() > capacity {
            if let Some((_, m)) = self.lru.pop_first() {
                self.last_used[m] = None;
            }
        }
    }

    /// Serve one interval of `dt` seconds: `arrivals[m]` requests for model `m`, on
    /// `instances` instances. Models are visited busiest first, so the hottest stay loaded.
    pub fn serve(
        &mut self,
        arrivals: &[f64],
        instances: u32,
        dt: f64,
        order: &mut Vec<usize>,
    ) -> CacheInterval {
        let capacity = self.capacity(instances);
        self.evict_to(capacity);
        let mut out = CacheInterval::default();
        if capacity == 0 {
            out.waited = arrivals.iter().sum();
            return out;
        }
        let waiting_share = (self.spec.load_s / dt).min(1.0);
        order.clear();
        order.extend((0..arrivals.len()).filter(|&m| arrivals[m] > 0.0));
        order.sort_unstable_by(|&a, &b| arrivals[b].total_cmp(&arrivals[a]).then(a.cmp(&b)));
        // Requests arriving while their model loads wait; the rest of the interval hits.
        for &m in order.iter() {
            self.clock += 1;
            let a = arrivals[m];
            match self.last_used[m] {
                Some(t) => {
                    self.lru.remove(&(t, m));
                    out.hits += a;
                }
                None => {
                    self.evict_to(capacity - 1);
                    out.loads += 1;
                    out.waited += a * waiting_share;
                    if !self.seen[m] {
                        self.seen[m] = true;
                        out.first_waited += a * waiting_share;
                    }
                    out.hits += a * (1.0 - waiting_share);
                }
            }
            self.last_used[m] = Some(self.clock);
            self.lru.insert((self.clock, m));
        }
        out.loaded = self.lru.len();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CacheSpec {
        CacheSpec {
            model_size_gb: 1.0,
            cache_gb_per_instance: 2.0,
            load_s: 6.0,
        }
    }

    #[test]
    fn first_use_loads_and_later_use_hits() {
        let mut c = ModelCache::new(spec(), 3);
        let mut order = Vec::new();
        let i = c.serve(&[10.0, 0.0, 0.0], 1, 60.0, &mut order);
        assert_eq!((i.loads, i.loaded), (1, 1));
        assert!((i.waited - 1.0).abs() < 1e-9, "6 s of 60: a tenth waits");
        let i = c.serve(&[10.0, 0.0, 0.0], 1, 60.0, &mut order);
        assert_eq!((i.loads, i.hits, i.waited), (0, 10.0, 0.0));
    }

    #[test]
    fn only_a_models_first_load_is_counted_apart() {
        let mut c = ModelCache::new(spec(), 3);
        let mut order = Vec::new();
        let i = c.serve(&[6.0, 6.0, 0.0], 1, 60.0, &mut order);
        assert!((i.first_waited - 1.2).abs() < 1e-9 && (i.waited - 1.2).abs() < 1e-9);
        // Model 2 evicts the least recently used (model 0, visited first); model 0's reload is
        // no first load.
        let i = c.serve(&[0.0, 0.0, 6.0], 1, 60.0, &mut order);
        assert!((i.first_waited - 0.6).abs() < 1e-9, "{i:?}");
        let i = c.serve(&[6.0, 0.0, 0.0], 1, 60.0, &mut order);
        assert_eq!(i.loads, 1);
        assert!(
            (i.waited - 0.6).abs() < 1e-9 && i.first_waited == 0.0,
            "{i:?}"
        );
    }

    #[test]
    fn the_least_recently_used_model_is_evicted() {
        let mut c = ModelCache::new(spec(), 3);
        let mut order = Vec::new();
        // One instance holds 2 models.
        c.serve(&[5.0, 1.0, 0.0], 1, 60.0, &mut order);
        c.serve(&[5.0, 0.0, 0.0], 1, 60.0, &mut order);
        let i = c.serve(&[0.0, 0.0, 3.0], 1, 60.0, &mut order);
        assert_eq!((i.loads, i.loaded), (1, 2));
        // model 1 was least recently used: gone; model 0 stayed.
        let i = c.serve(&[1.0, 0.0, 0.0], 1, 60.0, &mut order);
        assert_eq!(i.loads, 0);
        let i = c.serve(&[0.0, 1.0, 0.0], 1, 60.0, &mut order);
        assert_eq!(i.loads, 1);
    }

    #[test]
    fn scaling_in_shrinks_the_cache_and_zero_instances_hold_nothing() {
        let mut c = ModelCache::new(spec(), 4);
        let mut order = Vec::new();
        let i = c.serve(&[1.0, 1.0, 1.0, 1.0], 2, 60.0, &mut order);
        assert_eq!(i.loaded, 4);
        let i = c.serve(&[0.0, 0.0, 0.0, 0.0], 1, 60.0, &mut order);
        assert_eq!(i.loaded, 2);
        let i = c.serve(&[2.0, 0.0, 0.0, 0.0], 0, 60.0, &mut order);
        assert_eq!((i.loaded, i.waited), (0, 2.0));
    }
}
