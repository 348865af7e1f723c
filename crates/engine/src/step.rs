//! Step scaling, with Application Auto Scaling's bounds and rounding rules.

use serde::{Deserialize, Serialize};

use super::alarm::AlarmSpec;
use sagescale_metrics::{Capacity, Seconds};

/// How a step's adjustment is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdjustmentType {
    /// Add the adjustment (negative removes).
    ChangeInCapacity,
    /// Add the adjustment as a percentage of the current capacity, rounded as AWS rounds.
    PercentChangeInCapacity,
    /// Set capacity to the adjustment.
    ExactCapacity,
}

/// One step: a range of `metric − threshold` and what to do in it.
///
/// For an alarm whose breaches lie above the threshold the range is `[lower, upper)`; below, it
/// is `(lower, upper]`. `None` is −∞ for `lower` and +∞ for `upper`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepAdjustment {
    /// Lower bound of the offset from the threshold.
    pub lower: Option<f64>,
    /// Upper bound of the offset from the threshold.
    pub upper: Option<f64>,
    /// The adjustment.
    pub adjustment: i32,
}

impl StepAdjustment {
    /// Whether `offset = metric − threshold` falls in this step.
    #[must_use]
    pub fn contains(&self, offset: f64, above: bool) -> bool {
        let lo = self.lower.unwrap_or(f64::NEG_INFINITY);
        let hi = self.upper.unwrap_or(f64::INFINITY);
        if above {
            lo <= offset && offset < hi
        } else {
            lo < offset && offset <= hi
        }
    }
}

/// A step-scaling policy on one alarm.
#[derive(Clone, Debug, PartialEq)]
pub struct StepSpec {
    /// The alarm that invokes the policy.
    pub alarm: AlarmSpec,
    /// How adjustments apply.
    pub adjustment_type: AdjustmentType,
    /// The steps (validated: no gaps, no overlaps, at most 20).
    pub steps: Vec<StepAdjustment>,
    /// Smallest change a percent adjustment makes.
    pub min_adjustment_magnitude: Option<u32>,
    /// Cooldown after an action by this policy.
    pub cooldown: Seconds,
}

impl StepSpec {
    /// The index of the step that `metric` falls in.
    #[must_use]
    pub fn step_for(&self, metric: f64) -> Option<usize> {
        let offset = metric - self.alarm.threshold;
        let above = self.alarm.comparison.is_above();
        self.steps.iter().position(|s| s.contains(offset, above))
    }

    /// The capacity that applying step `step` to `base` gives.
    #[must_use]
    pub fn apply(&self, step: usize, base: Capacity) -> Capacity {
        let adj = self.steps[step].adjustment;
        let next = match self.adjustment_type {
            AdjustmentType::ChangeInCapacity => i64::from(base) + i64::from(adj),
            AdjustmentType::PercentChangeInCapacity => {
                let change = percent_change(base, adj, self.min_adjustment_magnitude);
                i64::from(base) + change
            }
            AdjustmentType::ExactCapacity => i64::from(adj),
        };
        Capacity::try_from(next.max(0)).unwrap_or(Capacity::MAX)
    }
}

/// The change in capacity for a `PercentChangeInCapacity` adjustment of `percent` on `base`,
/// rounded as Application Auto Scaling rounds: values above 1 round down (12.7 → 12), values
/// between 0 and 1 become 1, between −1 and 0 become −1, and below −1 round up (−6.67 → −6).
/// `min_magnitude` then raises the size of the change (25 % of 4 with minimum 2 → 2).
#[must_use]
pub fn percent_change(base: Capacity, percent: i32, min_magnitude: Option<u32>) -> i64 {
    let raw = f64::from(base) * f64::from(percent) / 100.0;
    let rounded = round_percent(raw);
    match min_magnitude {
        Some(min) if rounded != 0 && rounded.unsigned_abs() < u64::from(min) => {
            rounded.signum() * i64::from(min)
        }
        _ => rounded,
    }
}

/// AWS's rounding of a fractional percent change, see [`percent_change`].
#[must_use]
pub fn round_percent(raw: f64) -> i64 {
    if raw > 1.0 {
        raw.floor() as i64
    } else if raw > 0.0 {
        1
    } else if raw == 0.0 {
        0
    } else if raw > -1.0 {
        -1
    } else {
        raw.ceil() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::{Comparison, TreatMissingData};
    use sagescale_metrics::MetricId;

    fn spec(
        kind: AdjustmentType,
        comparison: Comparison,
        steps: &[(Option<f64>, Option<f64>, i32)],
    ) -> StepSpec {
        StepSpec {
            alarm: AlarmSpec {
                metric: MetricId(0),
                comparison,
                threshold: 50.0,
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
                treat_missing: TreatMissingData::Missing,
            },
            adjustment_type: kind,
            steps: steps
                .iter()
                .map(|&(lower, upper, adjustment)| StepAdjustment {
                    lower,
                    upper,
                    adjustment,
                })
                .collect(),
            min_adjustment_magnitude: None,
            cooldown: Seconds(300),
        }
    }

    #[test]
    fn percent_rounding_follows_aws_examples() {
        // (raw change, rounded)
        for (raw, want) in [
            (12.7, 12),
            (-6.67, -6),
            (0.5, 1),
            (-0.5, -1),
            (1.0, 1),
            (-1.0, -1),
            (0.0, 0),
        ] {
            assert_eq!(round_percent(raw), want, "raw {raw}");
        }
    }

    #[test]
    fn ten_plus_ten_percent_then_thirty_percent_reaches_fourteen() {
        let s = spec(
            AdjustmentType::PercentChangeInCapacity,
            Comparison::Greater,
            &[(Some(0.0), Some(10.0), 10), (Some(10.0), None, 30)],
        );
        let after_first = s.apply(0, 10);
        assert_eq!(after_first, 11);
        assert_eq!(s.apply(1, after_first), 14);
    }

    #[test]
    fn min_adjustment_magnitude_raises_small_percent_changes() {
        assert_eq!(percent_change(4, 25, Some(2)), 2);
        assert_eq!(percent_change(4, 25, None), 1);
        assert_eq!(percent_change(4, -25, Some(2)), -2);
        assert_eq!(percent_change(100, 25, Some(2)), 25);
    }

    #[test]
    fn bounds_are_lower_inclusive_above_and_upper_inclusive_below() {
        let above = spec(
            AdjustmentType::ChangeInCapacity,
            Comparison::GreaterOrEqual,
            &[(Some(0.0), Some(10.0), 1), (Some(10.0), None, 3)],
        );
        assert_eq!(above.step_for(50.0), Some(0));
        assert_eq!(above.step_for(59.99), Some(0));
        assert_eq!(above.step_for(60.0), Some(1));
        let below = spec(
            AdjustmentType::ChangeInCapacity,
            Comparison::LessOrEqual,
            &[(None, Some(-10.0), -3), (Some(-10.0), Some(0.0), -1)],
        );
        assert_eq!(below.step_for(50.0), Some(1));
        assert_eq!(below.step_for(40.0), Some(0));
        assert_eq!(below.step_for(40.01), Some(1));
    }

    #[test]
    fn exact_capacity_sets_and_change_never_goes_negative() {
        let e = spec(
            AdjustmentType::ExactCapacity,
            Comparison::Greater,
            &[(Some(0.0), None, 7)],
        );
        assert_eq!(e.apply(0, 2), 7);
        let c = spec(
            AdjustmentType::ChangeInCapacity,
            Comparison::Less,
            &[(None, Some(0.0), -5)],
        );
        assert_eq!(c.apply(0, 2), 0);
    }
}
