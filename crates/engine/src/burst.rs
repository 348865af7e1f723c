//! Burst-aware target tracking (sagescale only; AWS has no equivalent for SageMaker).
//!
//! The policy sizes capacity from the endpoint's total load, as Kubernetes' HPA does with an
//! external metric and Knative's KPA with concurrency: `desired = ceil(load / target)`, where
//! `target` is the load one unit should carry. The load is the metric itself when it is a total
//! (`Invocations`), or its value × the capacity in service when it measures one unit
//! (`per_unit`: `ConcurrentRequestsPerModel` measures one model container), as the HPA forms
//! an AverageValue target's total. Each per-unit datapoint is multiplied by the capacity that
//! was in service when its period ended (the target remembers what it saw at its recent
//! evaluations, [`CapacitySeen`]), not by today's: CloudWatch's datapoints arrive a minute or two late, and
//! multiplying a datapoint measured on the old fleet by the new one would feed each change
//! back into the next. Its parts:
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

/// Capacities in service the policy remembers, one per evaluation, to multiply a per-unit
/// datapoint by the units that produced it: 64 evaluations are 64 minutes at one a minute and
/// over 10 minutes at one every 10 s, beyond CloudWatch's two-minute lag and the two minutes
/// more an SLO policy waits before it learns from a period (`slo::settled_after`).
pub const SEEN: usize = 64;

/// Tolerance for float noise in `load / target` (10.000000001 is 10).
const ROUNDING_SLACK: f64 = 1e-9;

/// A burst-aware target-tracking policy.
#[derive(Clone, Debug, PartialEq)]
pub struct BurstSpec {
    /// The load: the endpoint's total (e.g. `Invocations`, Sum), or one unit's share when
    /// `per_unit`.
    pub metric: MetricId,
    /// The metric measures one unit of capacity (e.g. `ConcurrentRequestsPerModel`, one model
    /// container): the load is its value × the capacity in service, as the Kubernetes HPA
    /// forms an AverageValue target's total.
    pub per_unit: bool,
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

/// The capacity a target had in service at its recent evaluations, so a per-unit datapoint is
/// multiplied by the units that produced it. Target-level (capacity in service is the
/// target's); empty, and never written, unless the target has a per-unit policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacitySeen {
    /// `(time, capacity)`, [`SEEN`] slots once sized, oldest overwritten first (`i64::MIN`
    /// marks an empty slot).
    ring: Vec<(i64, Capacity)>,
    /// The slot written next.
    next: u8,
}

impl CapacitySeen {
    /// A ring with room for [`SEEN`] evaluations.
    #[must_use]
    pub fn with_room() -> Self {
        Self {
            ring: vec![(i64::MIN, 0); SEEN],
            next: 0,
        }
    }

    /// Whether the ring is sized (the target has a per-unit policy).
    #[must_use]
    pub fn is_kept(&self) -> bool {
        self.ring.len() == SEEN
    }

    /// Remember that `capacity` was in service at `now`.
    pub fn saw(&mut self, now: Timestamp, capacity: Capacity) {
        if !self.is_kept() {
            return;
        }
        let next = usize::from(self.next) % SEEN;
        let last = (next + SEEN - 1) % SEEN;
        if self.ring[last].0 == now.0 {
            self.ring[last].1 = capacity;
            return;
        }
        self.ring[next] = (now.0, capacity);
        self.next = u8::try_from((next + 1) % SEEN).unwrap_or(0);
    }

    /// Take what `saved` remembered, oldest first, whatever its length: a state file written
    /// when fewer evaluations were kept still gives them. Nothing when this ring is not kept.
    pub fn restore_from(&mut self, saved: &Self) {
        let mut entries: Vec<(i64, Capacity)> = saved
            .ring
            .iter()
            .copied()
            .filter(|(at, _)| *at != i64::MIN)
            .collect();
        entries.sort_by_key(|(at, _)| *at);
        for (at, capacity) in entries {
            self.saw(Timestamp(at), capacity);
        }
    }

    /// The capacity that served the period ending at `t`: the one seen at the first
    /// evaluation at or after `t` (a change made before `t` shows there, and a datapoint
    /// ending at an evaluation was served before that evaluation's decision); `now` (the
    /// capacity serving now) when `t` is newer than every evaluation remembered.
    #[must_use]
    pub fn in_service_at(&self, t: i64, now: Capacity) -> Capacity {
        self.ring
            .iter()
            .filter(|(at, _)| *at != i64::MIN && *at >= t)
            .min_by_key(|(at, _)| *at)
            .map_or(now, |&(_, c)| c)
    }

    /// The most capacity that served any part of the period `(from, to]`: the most seen at
    /// the evaluations within it and at the first at or after `to` (a removal shows at the
    /// evaluation after it); `now` for what no remembered evaluation covers. A count read at
    /// the period's end alone would miss a unit removed during it.
    #[must_use]
    pub fn most_in_service_over(&self, from: i64, to: i64, now: Capacity) -> Capacity {
        self.ring
            .iter()
            .filter(|(at, _)| *at != i64::MIN && *at > from && *at < to)
            .map(|&(_, c)| c)
            .fold(self.in_service_at(to, now), Capacity::max)
    }
}

/// Record `value` in its slot of a window of `window` kept in [`SLOTS`] slots `(slot number,
/// highest value)`, and return the highest value within the window (exact to a sixteenth of
/// its length). The scale-in stabilisation of burst-aware policies and the hold of SLO ones.
pub(crate) fn highest_recent(
    slots: &mut [(i64, Capacity); SLOTS],
    window: Seconds,
    now: Timestamp,
    value: Capacity,
) -> Capacity {
    let len = (i64::from(window.0) / SLOTS as i64).max(1);
    let slot = now.0.div_euclid(len);
    let entry = &mut slots[slot.rem_euclid(SLOTS as i64) as usize];
    if entry.0 == slot {
        entry.1 = entry.1.max(value);
    } else {
        *entry = (slot, value);
    }
    slots
        .iter()
        .filter(|(s, _)| *s > slot - SLOTS as i64 && *s <= slot)
        .map(|&(_, c)| c)
        .max()
        .unwrap_or(value)
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

/// The mean of the newest `n` present datapoints of `w`, each multiplied by the capacity in
/// service when its period ended: one unit's share made the whole target's load.
fn mean_total_of_newest(
    w: &MetricWindow<'_>,
    n: usize,
    seen: &CapacitySeen,
    fallback: Capacity,
) -> Option<f64> {
    let (mut sum, mut count) = (0.0, 0u32);
    let last = w.values.len().saturating_sub(1);
    for (k, v) in w.values.iter().enumerate().rev().take(n) {
        let Some(v) = v else { continue };
        let end = w.end.0 - (last - k) as i64 * i64::from(w.period.0);
        sum += v * f64::from(seen.in_service_at(end, fallback));
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

    /// Evaluate at `now` against `window` (already checked for staleness by the caller:
    /// `fresh_window` false means it is older than the maximum metric age). `in_service` is
    /// the capacity serving now (below `current` while new capacity is launching); `seen`, the
    /// target's capacity at its recent evaluations, this one included (for `per_unit`).
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate(
        &self,
        state: &mut BurstState,
        seen: &CapacitySeen,
        window: Option<MetricWindow<'_>>,
        fresh_window: bool,
        current: Capacity,
        in_service: Capacity,
        now: Timestamp,
    ) -> BurstOutcome {
        let Some(w) = window.filter(|_| fresh_window) else {
            return BurstOutcome::NoData {
                stale: window.is_some(),
            };
        };
        let values = w.values;
        let (ns, np) = (
            periods(self.stable_window, w.period),
            periods(self.panic_window, w.period),
        );
        let load = |n| {
            if self.per_unit {
                mean_total_of_newest(&w, n, seen, in_service)
            } else {
                mean_of_newest(values, n)
            }
        };
        let Some(stable_load) = load(ns) else {
            return BurstOutcome::NoData { stale: false };
        };
        let panic_load = load(np).unwrap_or(stable_load);
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

        let highest = highest_recent(
            &mut state.slots,
            self.scale_in_stabilization,
            now,
            recommended,
        );
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
            per_unit: false,
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

    #[test]
    fn the_capacity_seen_reaches_back_over_ten_minutes_at_ten_second_evaluations() {
        // 4 units until 600 s, then 6, evaluated every 10 s. An SLO policy learns from a
        // period about 5 minutes old (CloudWatch's lag and two minutes to settle): 16
        // evaluations remembered only 160 s and said 6 for the period 4 units served.
        let mut seen = CapacitySeen::with_room();
        for t in (0..=900).step_by(10) {
            seen.saw(Timestamp(t), if t < 600 { 4 } else { 6 });
        }
        assert_eq!(seen.in_service_at(590, 6), 4);
        assert_eq!(seen.in_service_at(610, 6), 6);
        // A state file written when 16 were kept still gives them, oldest first.
        let mut sixteen = CapacitySeen {
            ring: vec![(i64::MIN, 0); 16],
            next: 2,
        };
        sixteen.ring[0] = (120, 14);
        sixteen.ring[1] = (60, 10);
        let mut restored = CapacitySeen::with_room();
        restored.restore_from(&sixteen);
        assert_eq!(restored.in_service_at(30, 3), 10);
        assert_eq!(restored.in_service_at(100, 3), 14);
        assert_eq!(restored.in_service_at(200, 3), 3);
        // Not kept (no per-unit policy): nothing is written.
        let mut plain = CapacitySeen::default();
        plain.restore_from(&sixteen);
        assert_eq!(plain, CapacitySeen::default());
    }

    #[test]
    fn the_most_in_service_over_a_period_counts_a_unit_removed_during_it() {
        // 6 units until one is removed after the evaluation at 40 s: seen as 5 from 50 s.
        let mut seen = CapacitySeen::with_room();
        for t in (0..=120).step_by(10) {
            seen.saw(Timestamp(t), if t < 50 { 6 } else { 5 });
        }
        // The minute (0, 60] was served by 6 for 40 s: its end's count says 5.
        assert_eq!(seen.in_service_at(60, 5), 5);
        assert_eq!(seen.most_in_service_over(0, 60, 5), 6);
        // The next minute only by 5; the evaluation at its start does not count.
        assert_eq!(seen.most_in_service_over(60, 120, 5), 5);
        // Newer than every evaluation: the capacity now.
        assert_eq!(seen.most_in_service_over(120, 180, 7), 7);
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
    fn a_per_unit_datapoint_counts_the_units_that_were_in_service_when_it_was_measured() {
        // One container's concurrency, 1.5 per container; target 1.5 a unit, no tolerance.
        let s = BurstSpec {
            per_unit: true,
            target: 1.5,
            stable_window: Seconds(60),
            panic_window: Seconds(60),
            tolerance: 0.0,
            scale_in_stabilization: Seconds(0),
            ..spec()
        };
        let mut st = BurstState::default();
        let mut seen = CapacitySeen::with_room();
        let mut eval = |st: &mut BurstState, w, current, now: i64| {
            seen.saw(Timestamp(now), current);
            wants(s.evaluate(st, &seen, w, true, current, current, Timestamp(now))).0
        };
        // Ten units served at t = 60 and 120; the datapoints ending then read 1.5 each.
        let steady = [Some(1.5), Some(1.5)];
        assert_eq!(eval(&mut st, window(&steady, 120), 10, 60), 10);
        assert_eq!(eval(&mut st, window(&steady, 120), 10, 120), 10);
        // The fleet has grown to 14 since, but CloudWatch still shows the datapoint measured on
        // ten: the load is 15, not 21, so the policy stays at 10 rather than chasing its tail.
        assert_eq!(
            eval(&mut st, window(&steady, 120), 14, 180),
            10,
            "a datapoint of the old fleet times the new fleet would ask for 14"
        );
        // A datapoint measured on the fourteen (period ending at 240) counts fourteen.
        let later = [Some(1.5), Some(1.5), Some(1.5)];
        assert_eq!(eval(&mut st, window(&later, 240), 14, 240), 14);
    }

    #[test]
    fn a_total_metric_is_not_multiplied() {
        let s = spec();
        let mut st = BurstState::default();
        let v = [Some(1000.0), Some(1000.0), Some(1000.0)];
        // 3,000 a period at 100 a unit would be 30 if multiplied by the 3 in service.
        assert_eq!(
            wants(s.evaluate(
                &mut st,
                &CapacitySeen::default(),
                window(&v, 180),
                true,
                10,
                3,
                Timestamp(180)
            ))
            .0,
            10
        );
    }

    #[test]
    fn sizes_from_the_stable_mean_within_tolerance() {
        let s = spec();
        let mut st = BurstState::default();
        // Mean 1,000 over 3 periods: 10 units. At 10 units that is on target.
        let v = [Some(900.0), Some(1000.0), Some(1100.0)];
        assert_eq!(
            wants(s.evaluate(
                &mut st,
                &CapacitySeen::default(),
                window(&v, 180),
                true,
                10,
                10,
                Timestamp(180)
            ))
            .0,
            10
        );
        // Within 10 %: hold at 11 rather than dropping to 10.
        assert_eq!(
            wants(s.evaluate(
                &mut st,
                &CapacitySeen::default(),
                window(&v, 180),
                true,
                11,
                11,
                Timestamp(180)
            ))
            .0,
            11
        );
        // 1,250 on 10 units: 12.5 -> 13.
        let up = [Some(1250.0), Some(1250.0), Some(1250.0)];
        assert_eq!(
            wants(s.evaluate(
                &mut st,
                &CapacitySeen::default(),
                window(&up, 240),
                true,
                10,
                10,
                Timestamp(240)
            ))
            .0,
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
        let (n, panic) = wants(s.evaluate(
            &mut st,
            &CapacitySeen::default(),
            window(&burst, 180),
            true,
            10,
            10,
            Timestamp(180),
        ));
        assert_eq!((n, panic), (25, true));
        // A minute later the burst is gone: still panicking, so no scale-in.
        let calm = [Some(500.0), Some(2500.0), Some(100.0)];
        let (n, panic) = wants(s.evaluate(
            &mut st,
            &CapacitySeen::default(),
            window(&calm, 240),
            true,
            25,
            25,
            Timestamp(240),
        ));
        assert_eq!((n, panic), (25, true));
        // After the stable window, panic is over; stabilisation still holds the highest
        // recommendation of the last 300 s (25).
        let quiet = [Some(100.0), Some(100.0), Some(100.0)];
        let (n, panic) = wants(s.evaluate(
            &mut st,
            &CapacitySeen::default(),
            window(&quiet, 420),
            true,
            25,
            25,
            Timestamp(420),
        ));
        assert_eq!((n, panic), (25, false));
        // Once the window has passed, it scales in to what the load needs.
        let (n, _) = wants(s.evaluate(
            &mut st,
            &CapacitySeen::default(),
            window(&quiet, 780),
            true,
            25,
            25,
            Timestamp(780),
        ));
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
            let (n, _) = wants(s.evaluate(
                &mut st,
                &CapacitySeen::default(),
                window(&v, t),
                true,
                current,
                current,
                Timestamp(t),
            ));
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
            s.evaluate(
                &mut st,
                &CapacitySeen::default(),
                window(&none, 180),
                true,
                5,
                5,
                Timestamp(180)
            ),
            BurstOutcome::NoData { stale: false }
        );
        let v = [Some(100.0)];
        assert_eq!(
            s.evaluate(
                &mut st,
                &CapacitySeen::default(),
                window(&v, 180),
                false,
                5,
                5,
                Timestamp(900)
            ),
            BurstOutcome::NoData { stale: true }
        );
        // The newest datapoint missing: a desire may be computed, but it is not fresh.
        let gap = [Some(100.0), Some(100.0), None];
        match s.evaluate(
            &mut st,
            &CapacitySeen::default(),
            window(&gap, 180),
            true,
            5,
            5,
            Timestamp(180),
        ) {
            BurstOutcome::Wants { fresh, .. } => assert!(!fresh),
            BurstOutcome::NoData { .. } => panic!("had data"),
        }
    }
}
