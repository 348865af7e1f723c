//! Deadline-aware backlog scaling for asynchronous endpoints (sagescale only).
//!
//! Backlog-per-instance target tracking keeps a queue length steady; it does not know how long
//! requests have already waited. This policy sizes capacity so the backlog is served before the
//! oldest request reaches its deadline:
//! - time left `T = safety × (deadline − age of the oldest request)`, at least one period;
//! - capacity `n = ceil(backlog / (throughput per instance per second × T))`, at least 1 while
//!   anything waits, so it wakes from zero on the first datapoint with a backlog (async
//!   metrics are published with no instances, as SageMaker does);
//! - zero once the backlog has been empty for `idle` (every datapoint of that window present
//!   and zero).
//!
//! Missing or stale data never removes capacity.

use sagescale_metrics::{Capacity, Seconds};
use sagescale_metrics::{MetricId, MetricWindow};

/// A deadline-aware backlog policy.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadlineSpec {
    /// `ApproximateBacklogSize` (or another queue length).
    pub backlog: MetricId,
    /// `ApproximateAgeOfOldestRequest`, seconds.
    pub age: MetricId,
    /// Requests one instance completes per second.
    pub throughput_per_s: f64,
    /// The age no request should reach.
    pub deadline: Seconds,
    /// Share of the time left to plan for (0 < safety ≤ 1).
    pub safety: f64,
    /// Empty backlog for this long scales to zero.
    pub idle: Seconds,
}

/// What one evaluation concluded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeadlineOutcome {
    /// No fresh backlog datapoint.
    NoData,
    /// The capacity the backlog and its age ask for.
    Wants {
        /// Capacity.
        capacity: Capacity,
        /// Newest backlog.
        backlog: f64,
        /// Newest age of the oldest request, seconds (0 if unknown).
        age_s: f64,
        /// Seconds planned to serve the backlog in.
        time_left_s: f64,
        /// The newest datapoints are present: needed to remove capacity.
        fresh: bool,
    },
}

impl DeadlineSpec {
    /// Periods of backlog history the idle check reads, for a metric of `period`.
    #[must_use]
    pub fn history(&self, period: Seconds) -> usize {
        (self.idle.0 / period.0.max(1)) as usize + 1
    }

    /// Evaluate against the backlog and age windows (fresh ones only; the caller checks).
    #[must_use]
    pub fn evaluate(
        &self,
        backlog: Option<MetricWindow<'_>>,
        age: Option<MetricWindow<'_>>,
    ) -> DeadlineOutcome {
        let Some(b) = backlog else {
            return DeadlineOutcome::NoData;
        };
        let Some(newest) = b.values.iter().rev().flatten().next().copied() else {
            return DeadlineOutcome::NoData;
        };
        let fresh = b.values.last().is_some_and(Option::is_some);
        let age_s = age
            .and_then(|a| a.values.iter().rev().flatten().next().copied())
            .unwrap_or(0.0)
            .max(0.0);
        let period = f64::from(b.period.0.max(1));
        let time_left_s = (self.safety * (f64::from(self.deadline.0) - age_s)).max(period);
        let capacity = if newest > 0.0 {
            let n = (newest / (self.throughput_per_s * time_left_s) - 1e-9).ceil();
            if n >= f64::from(u32::MAX) {
                u32::MAX
            } else {
                (n as Capacity).max(1)
            }
        } else {
            // Empty now: zero once every datapoint of the idle window is present and empty,
            // else one (hold what serves the tail).
            let n = self.history(b.period);
            let idle = b.values.len() >= n
                && b.values[b.values.len() - n..]
                    .iter()
                    .all(|v| v.is_some_and(|x| x <= 0.0));
            u32::from(!idle)
        };
        DeadlineOutcome::Wants {
            capacity,
            backlog: newest,
            age_s,
            time_left_s,
            fresh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn spec() -> DeadlineSpec {
        DeadlineSpec {
            backlog: MetricId(0),
            age: MetricId(1),
            throughput_per_s: 2.0,
            deadline: Seconds(900),
            safety: 0.8,
            idle: Seconds(600),
        }
    }

    fn w(v: &[Option<f64>]) -> Option<MetricWindow<'_>> {
        Some(MetricWindow {
            period: Seconds(60),
            end: Timestamp(6000),
            values: v,
        })
    }

    fn capacity(o: DeadlineOutcome) -> Capacity {
        match o {
            DeadlineOutcome::Wants { capacity, .. } => capacity,
            DeadlineOutcome::NoData => panic!("no data"),
        }
    }

    #[test]
    fn sizes_to_serve_the_backlog_before_the_oldest_request_expires() {
        let s = spec();
        // 2,880 waiting, the oldest 0 s old: 720 s to serve them at 2/s each: 2 instances.
        assert_eq!(capacity(s.evaluate(w(&[Some(2880.0)]), w(&[Some(0.0)]))), 2);
        // The same backlog, the oldest already 600 s old: 240 s left: 6 instances.
        assert_eq!(
            capacity(s.evaluate(w(&[Some(2880.0)]), w(&[Some(600.0)]))),
            6
        );
        // Past the deadline: plan for one period.
        assert_eq!(
            capacity(s.evaluate(w(&[Some(2880.0)]), w(&[Some(2000.0)]))),
            24
        );
        // A single waiting request wakes one instance.
        assert_eq!(capacity(s.evaluate(w(&[Some(1.0)]), None)), 1);
    }

    #[test]
    fn scales_to_zero_only_after_an_idle_window_of_present_zeros() {
        let s = spec();
        let quiet = vec![Some(0.0); 11];
        assert_eq!(capacity(s.evaluate(w(&quiet), None)), 0);
        let mut recent = quiet.clone();
        recent[5] = Some(3.0);
        assert_eq!(capacity(s.evaluate(w(&recent), None)), 1);
        let mut gap = quiet.clone();
        gap[3] = None;
        assert_eq!(
            capacity(s.evaluate(w(&gap), None)),
            1,
            "missing is not idle"
        );
        assert_eq!(s.evaluate(w(&[None, None]), None), DeadlineOutcome::NoData);
    }
}
