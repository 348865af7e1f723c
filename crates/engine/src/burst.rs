//! Burst-aware target tracking (sagescale only; AWS has no equivalent for SageMaker).
//!
//! The policy sizes capacity from the endpoint's total load, as Kubernetes' HPA does with an
//! external metric and Knative's KPA with concurrency: `desired = ceil(load / target)`, where
//! `target` is the load one unit should carry. Its parts:
//! - **Stable window.** The load is the mean of the datapoints present in the newest
//!   `stable_window` (at least one period).
//! - **Panic window** (Knative): the mean of the newest `panic_window`. When it asks for at least
//!   `panic_threshold` × current capacity, the policy panics for one stable window: it scales
//!   out to the larger of the two desires at once and never scales in meanwhile.
//! - **Tolerance** (HPA): no change while the stable load is within `tolerance` of what the
//!   current capacity carries at target.
//! - **Scale-in stabilisation** (HPA): a removal goes only as low as the highest recommendation
//!   over the last `scale_in_stabilization`, so a short dip does not shed capacity that the
//!   next minute needs. Recommendations are kept in 16 slots spanning that window, so the
//!   window is exact to a sixteenth of its length. Scale-out is not stabilised.
//!
//! As everywhere in the engine, missing or stale data never removes capacity. The policy has no
//! cooldowns: stabilisation does their job.

use serde::{Deserialize, Serialize};

use sagescale_metrics::{Capacity, Seconds, Timestamp};
use sagescale_metrics::{MetricId, MetricWindow};

/// Slots of the scale-in stabilisation window.
pub const SLOTS: usize = 16;

/// Tolerance for float noise in `load / target` (10.000000001 is 10).
const ROUNDING_SLACK: f64 = 1e-9;

/// A burst-aware target-tracking policy.
#[derive(Clone, Debug, PartialEq)]
pub struct BurstSpec {
    /// The endpoint's total load (e.g. `Invocations`, Sum).
    pub metric: MetricId,
    /// The load one unit of capacity should carry.
    pub target: f64,
    /// Window of the stable load.
    pub stable_window: Seconds,
    /// Window of the panic load.
    pub panic_window: Seconds,
    /// Panic when the panic load asks for at least this multiple of current capacity
    /// (`f64::INFINITY`: never).
    pub panic_threshold: f64,
    /// Removals go no lower than the highest recommendation over this window.
    pub scale_in_stabilization: Seconds,
    /// No change while `|load / (current × target) − 1|` is at most this.
    pub tolerance: f64,
    /// The policy never removes capacity.
    pub disable_scale_in: bool,
}

/// What a burst-aware policy remembers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurstState {
    /// Highest recommendation per slot of the stabilisation window: (slot number, capacity).
    pub slots: [(i64, Capacity); SLOTS],
    /// Panic mode lasts until this instant.
    pub panic_until: Option<Timestamp>,
}

/// The outcome of one evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BurstOutcome {
    /// No datapoint in the stable window (or the data is stale).
    NoData {
        /// The newest datapoint was older than the engine's maximum metric age.
        stale: bool,
    },
    /// A capacity, with what it came from.
    Wants {
        /// Capacity to move to (may equal current).
        capacity: Capacity,
        /// Mean load over the stable window.
        stable_load: f64,
        /// Mean load over the panic window.
        panic_load: f64,
        /// Panicking now.
        panic: bool,
        /// The recommendation before stabilisation.
        recommended: Capacity,
        /// The newest datapoint is present and fresh (needed to remove capacity).
        fresh: bool,
    },
}

fn mean_of_newest(values: &[Option<f64>], n: usize) -> Option<f64> {
    let (mut sum, mut count) = (0.0, 0u32);
    for v in values.iter().rev().take(n).flatten() {
        sum += v;
        count += 1;
    }
    (count > 0).then(|| sum / f64::from(count))
}

fn periods(window: Seconds, period: Seconds) -> usize {
    (window.0 / period.0.max(1)).max(1) as usize
}

impl BurstSpec {
    /// Periods of history the policy reads for a metric of `period`.
    #[must_use]
    pub fn history(&self, period: Seconds) -> usize {
        periods(self.stable_window, period).max(periods(self.panic_window, period))
    }

    /// The capacity `load` asks for.
    fn desire(&self, load: f64, current: Capacity) -> Capacity {
        let carried = f64::from(current) * self.target;
        if current > 0 && (load / carried - 1.0).abs() <= self.tolerance {
            return current;
        }
        let n = (load / self.target - ROUNDING_SLACK).ceil().max(0.0);
        if n >= f64::from(u32::MAX) {
            u32::MAX
        } else {
            n as Capacity
        }
    }

    fn slot_len(&self) -> i64 {
        (i64::from(self.scale_in_stabilization.0) / SLOTS as i64).max(1)
    }

    /// Evaluate at `now` against `window` (already checked for staleness by the caller:
    /// `fresh_window` false means it is older than the maximum metric age).
    pub fn evaluate(
        &self,
        state: &mut BurstState,
        window: Option<MetricWindow<'_>>,
        fresh_window: bool,
        current: Capacity,
        now: Timestamp,
    ) -> BurstOutcome {
        let Some(w) = window.filter(|_| fresh_window) else {
            return BurstOutcome::NoData {
                stale: window.is_some(),
            };
        };
        let values = w.values;
        let Some(stable_load) = mean_of_newest(values, periods(self.stable_window, w.period))
        else {
            return BurstOutcome::NoData { stale: false };
        };
        let panic_load =
            mean_of_newest(values, periods(self.panic_window, w.period)).unwrap_or(stable_load);
        let stable = self.desire(stable_load, current);
        let panicked = self.desire(panic_load, current);
        if f64::from(panicked) >= self.panic_threshold * f64::from(current.max(1))
            && panicked > current
        {
            state.panic_until = Some(Timestamp(now.0 + i64::from(self.stable_window.0)));
        }
        let panic = state.panic_until.is_some_and(|u| now < u);
        let recommended = if panic {
            stable.max(panicked).max(current)
        } else {
            stable
        };

        // Record the recommendation in its slot, then take the highest within the window.
        let len = self.slot_len();
        let slot = now.0.div_euclid(len);
        let entry = &mut state.slots[slot.rem_euclid(SLOTS as i64) as usize];
        if entry.0 == slot {
            entry.1 = entry.1.max(recommended);
        } else {
            *entry = (slot, recommended);
        }
        let highest = state
            .slots
            .iter()
            .filter(|(s, _)| *s > slot - SLOTS as i64 && *s <= slot)
            .map(|&(_, c)| c)
            .max()
            .unwrap_or(recommended);
        let capacity = if recommended >= current {
            recommended
        } else if self.disable_scale_in {
            current
        } else {
            highest.min(current)
        };
        BurstOutcome::Wants {
            capacity,
            stable_load,
            panic_load,
            panic,
            recommended,
            fresh: values.last().is_some_and(Option::is_some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> BurstSpec {
        BurstSpec {
            metric: MetricId(0),
            target: 100.0,
            stable_window: Seconds(180),
            panic_window: Seconds(60),
            panic_threshold: 2.0,
            scale_in_stabilization: Seconds(300),
            tolerance: 0.1,
            disable_scale_in: false,
        }
    }

    fn window(values: &[Option<f64>], end: i64) -> Option<MetricWindow<'_>> {
        Some(MetricWindow {
            period: Seconds(60),
            end: Timestamp(end),
            values,
        })
    }

    fn wants(o: BurstOutcome) -> (Capacity, bool) {
        match o {
            BurstOutcome::Wants {
                capacity, panic, ..
            } => (capacity, panic),
            BurstOutcome::NoData { .. } => panic!("no data"),
        }
    }

    #[test]
    fn sizes_from_the_stable_mean_within_tolerance() {
        let s = spec();
        let mut st = BurstState::default();
        // Mean 1,000 over 3 periods: 10 units. At 10 units that is on target.
        let v = [Some(900.0), Some(1000.0), Some(1100.0)];
        assert_eq!(
            wants(s.evaluate(&mut st, window(&v, 180), true, 10, Timestamp(180))).0,
            10
        );
        // Within 10 %: hold at 11 rather than dropping to 10.
        assert_eq!(
            wants(s.evaluate(&mut st, window(&v, 180), true, 11, Timestamp(180))).0,
            11
        );
        // 1,250 on 10 units: 12.5 -> 13.
        let up = [Some(1250.0), Some(1250.0), Some(1250.0)];
        assert_eq!(
            wants(s.evaluate(&mut st, window(&up, 240), true, 10, Timestamp(240))).0,
            13
        );
    }

    #[test]
    fn a_burst_panics_scales_out_at_once_and_blocks_scale_in_for_a_stable_window() {
        let s = spec();
        let mut st = BurstState::default();
        // Stable mean (500 + 500 + 2,500)/3 = 1,167 asks 12; the panic window's 2,500 asks 25,
        // at least 2 × 10: panic.
        let burst = [Some(500.0), Some(500.0), Some(2500.0)];
        let (n, panic) = wants(s.evaluate(&mut st, window(&burst, 180), true, 10, Timestamp(180)));
        assert_eq!((n, panic), (25, true));
        // A minute later the burst is gone: still panicking, so no scale-in.
        let calm = [Some(500.0), Some(2500.0), Some(100.0)];
        let (n, panic) = wants(s.evaluate(&mut st, window(&calm, 240), true, 25, Timestamp(240)));
        assert_eq!((n, panic), (25, true));
        // After the stable window, panic is over; stabilisation still holds the highest
        // recommendation of the last 300 s (25).
        let quiet = [Some(100.0), Some(100.0), Some(100.0)];
        let (n, panic) = wants(s.evaluate(&mut st, window(&quiet, 420), true, 25, Timestamp(420)));
        assert_eq!((n, panic), (25, false));
        // Once the window has passed, it scales in to what the load needs.
        let (n, _) = wants(s.evaluate(&mut st, window(&quiet, 780), true, 25, Timestamp(780)));
        assert_eq!(n, 1);
    }

    #[test]
    fn stabilisation_takes_the_highest_recent_recommendation() {
        let s = BurstSpec {
            panic_threshold: f64::INFINITY,
            ..spec()
        };
        let mut st = BurstState::default();
        let at = |load: f64| [Some(load), Some(load), Some(load)];
        let mut current = 20;
        // Recommendations 20, 8, 12, 6 a minute apart: removals go no lower than the highest of
        // the last five minutes (20), until it ages out.
        for (t, load, want) in [
            (60, 2000.0, 20),
            (120, 800.0, 20),
            (180, 1200.0, 20),
            (240, 600.0, 20),
            (300, 600.0, 20),
            (360, 600.0, 12),
            (420, 600.0, 12),
            (480, 600.0, 6),
        ] {
            let v = at(load);
            let (n, _) = wants(s.evaluate(&mut st, window(&v, t), true, current, Timestamp(t)));
            assert_eq!(n, want, "t = {t}");
            current = n;
        }
    }

    #[test]
    fn missing_or_stale_data_never_decides() {
        let s = spec();
        let mut st = BurstState::default();
        let none = [None, None, None];
        assert_eq!(
            s.evaluate(&mut st, window(&none, 180), true, 5, Timestamp(180)),
            BurstOutcome::NoData { stale: false }
        );
        let v = [Some(100.0)];
        assert_eq!(
            s.evaluate(&mut st, window(&v, 180), false, 5, Timestamp(900)),
            BurstOutcome::NoData { stale: true }
        );
        // The newest datapoint missing: a desire may be computed, but it is not fresh.
        let gap = [Some(100.0), Some(100.0), None];
        match s.evaluate(&mut st, window(&gap, 180), true, 5, Timestamp(180)) {
            BurstOutcome::Wants { fresh, .. } => assert!(!fresh),
            BurstOutcome::NoData { .. } => panic!("had data"),
        }
    }
}
