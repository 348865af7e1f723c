//! One metric's recent datapoints, aligned to its period.

use crate::{Seconds, Timestamp};

/// The most recent datapoints of one metric, oldest first, one per period.
///
/// `values[values.len() - 1]` covers the period `[end - period, end)`; each earlier value covers
/// the period before. `None` is a missing datapoint (CloudWatch returned nothing for that
/// period), which is never the same as zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricWindow<'a> {
    /// Length of one datapoint's period.
    pub period: Seconds,
    /// Exclusive end of the newest period in `values`.
    pub end: Timestamp,
    /// Datapoints, oldest first.
    pub values: &'a [Option<f64>],
}

impl<'a> MetricWindow<'a> {
    /// Whether the newest period ended at or before `now` and at most `max_age_s` before it.
    #[must_use]
    pub fn is_fresh(&self, now: crate::Timestamp, max_age_s: i64) -> bool {
        now.since(self.end) <= max_age_s && self.end <= now
    }

    /// The newest `n` datapoints (fewer if the window is shorter), oldest first.
    #[must_use]
    pub fn newest(&self, n: usize) -> &'a [Option<f64>] {
        let start = self.values.len().saturating_sub(n);
        &self.values[start..]
    }

    /// The newest datapoint, if it is present.
    #[must_use]
    pub fn latest(&self) -> Option<f64> {
        self.values.last().copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_takes_the_tail_and_tolerates_short_windows() {
        let v = [Some(1.0), None, Some(3.0)];
        let w = MetricWindow {
            period: Seconds(60),
            end: Timestamp(180),
            values: &v,
        };
        assert_eq!(w.newest(2), &[None, Some(3.0)]);
        assert_eq!(w.newest(10).len(), 3);
        assert_eq!(w.latest(), Some(3.0));
    }
}
