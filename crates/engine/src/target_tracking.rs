//! Target tracking, as Application Auto Scaling does it for SageMaker, with the alarm shapes
//! made settable.
//!
//! AWS creates two alarms per policy: high (metric > target for 3 of 3 one-minute datapoints)
//! and low (metric < 0.9 × target for 15 of 15). Capacity moves proportionally,
//! `ceil(capacity × metric / target)`, rounded so it never adds too little nor removes too much.

use serde::{Deserialize, Serialize};

use super::alarm::{AlarmEval, AlarmSpec, AlarmState, Comparison, TreatMissingData};
use sagescale_metrics::MetricId;
use sagescale_metrics::{Capacity, Seconds};

/// The shape of one of the two alarms: M of N datapoints of `period` each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmShape {
    /// N.
    pub evaluation_periods: u16,
    /// M.
    pub datapoints_to_alarm: u16,
}

/// A target-tracking policy.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetTrackingSpec {
    /// The tracked metric.
    pub metric: MetricId,
    /// The target value.
    pub target: f64,
    /// High alarm shape (AWS: 3 of 3).
    pub scale_out: AlarmShape,
    /// Low alarm shape (AWS: 15 of 15).
    pub scale_in: AlarmShape,
    /// Low alarm threshold as a fraction of the target (AWS: 0.9).
    pub scale_in_ratio: f64,
    /// Scale-out cooldown (AWS default for SageMaker: 300 s).
    pub scale_out_cooldown: Seconds,
    /// Scale-in cooldown (AWS default for SageMaker: 300 s).
    pub scale_in_cooldown: Seconds,
    /// The policy never removes capacity.
    pub disable_scale_in: bool,
    /// The pair of alarms, derived from the fields above when compiled.
    pub alarms: [AlarmSpec; 2],
}

/// Tolerance for float noise in `capacity × metric / target` (10.000000001 is 10).
const ROUNDING_SLACK: f64 = 1e-9;

impl TargetTrackingSpec {
    /// A policy with AWS's defaults for SageMaker.
    #[must_use]
    pub fn aws_default(metric: MetricId, target: f64) -> Self {
        Self::new(
            metric,
            target,
            AlarmShape {
                evaluation_periods: 3,
                datapoints_to_alarm: 3,
            },
            AlarmShape {
                evaluation_periods: 15,
                datapoints_to_alarm: 15,
            },
            0.9,
            Seconds(300),
            Seconds(300),
            false,
        )
    }

    /// Build a policy and derive its two alarms.
    #[allow(clippy::too_many_arguments)]
    #[must_use]
    pub fn new(
        metric: MetricId,
        target: f64,
        scale_out: AlarmShape,
        scale_in: AlarmShape,
        scale_in_ratio: f64,
        scale_out_cooldown: Seconds,
        scale_in_cooldown: Seconds,
        disable_scale_in: bool,
    ) -> Self {
        let high = AlarmSpec {
            metric,
            comparison: Comparison::Greater,
            threshold: target,
            evaluation_periods: scale_out.evaluation_periods,
            datapoints_to_alarm: scale_out.datapoints_to_alarm,
            treat_missing: TreatMissingData::Missing,
        };
        let low = AlarmSpec {
            comparison: Comparison::Less,
            threshold: target * scale_in_ratio,
            evaluation_periods: scale_in.evaluation_periods,
            datapoints_to_alarm: scale_in.datapoints_to_alarm,
            ..high.clone()
        };
        Self {
            metric,
            target,
            scale_out,
            scale_in,
            scale_in_ratio,
            scale_out_cooldown,
            scale_in_cooldown,
            disable_scale_in,
            alarms: [high, low],
        }
    }

    /// The high (scale-out) alarm.
    #[must_use]
    pub fn high_alarm(&self) -> &AlarmSpec {
        &self.alarms[0]
    }

    /// The low (scale-in) alarm.
    #[must_use]
    pub fn low_alarm(&self) -> &AlarmSpec {
        &self.alarms[1]
    }

    /// The capacity that brings `metric`, measured on `capacity` units, to the target.
    /// Rounds up, so a scale-out never adds too little and a scale-in never removes too much:
    /// with `n = ceil(c × m / t)`, the metric after the change, `m × c / n`, is at most `t`.
    #[must_use]
    pub fn proportional(&self, capacity: Capacity, metric: f64) -> Capacity {
        let raw = f64::from(capacity) * metric / self.target;
        if !raw.is_finite() || raw <= 0.0 {
            return 0;
        }
        let n = (raw - ROUNDING_SLACK).ceil();
        if n >= f64::from(Capacity::MAX) {
            Capacity::MAX
        } else {
            n as Capacity
        }
    }
}

/// What one evaluation of a target-tracking policy concluded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrackingOutcome {
    /// Neither alarm fired.
    Steady,
    /// The high alarm fired; move to this capacity (if above current).
    Out(Capacity),
    /// The low alarm fired; move to this capacity (if below current).
    In(Capacity),
}

/// Evaluate the two alarms' results into a wish. `base` is the capacity the metric is
/// attributed to for a scale-out (the pre-scale-out capacity during a scale-out cooldown).
#[must_use]
pub fn decide(
    spec: &TargetTrackingSpec,
    high: &AlarmEval,
    low: &AlarmEval,
    current: Capacity,
    base: Capacity,
) -> TrackingOutcome {
    if high.state == AlarmState::Alarm {
        if let Some(v) = high.value {
            return TrackingOutcome::Out(spec.proportional(base, v));
        }
    }
    if low.state == AlarmState::Alarm && !spec.disable_scale_in {
        if let Some(v) = low.value {
            return TrackingOutcome::In(spec.proportional(current, v));
        }
    }
    TrackingOutcome::Steady
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_rounds_up_and_ignores_float_noise() {
        let t = TargetTrackingSpec::aws_default(MetricId(0), 50.0);
        assert_eq!(t.proportional(10, 75.0), 15);
        assert_eq!(t.proportional(10, 76.0), 16); // 15.2 -> 16: never add too little
        assert_eq!(t.proportional(10, 40.0), 8);
        assert_eq!(t.proportional(10, 41.0), 9); // 8.2 -> 9: never remove too much
        assert_eq!(t.proportional(3, 50.0 / 3.0 * 3.0), 3);
        assert_eq!(t.proportional(10, 0.0), 0);
        assert_eq!(t.proportional(0, 1000.0), 0);
    }

    #[test]
    fn scale_in_keeps_the_metric_at_or_below_target() {
        let t = TargetTrackingSpec::aws_default(MetricId(0), 70.0);
        for cap in 1..200u32 {
            for m10 in 0..700u32 {
                let m = f64::from(m10) / 10.0;
                let n = t.proportional(cap, m);
                if n > 0 {
                    assert!(m * f64::from(cap) / f64::from(n) <= 70.0 + 1e-6);
                }
                if n > 1 {
                    // and one fewer would have re-breached
                    assert!(m * f64::from(cap) / f64::from(n - 1) > 70.0 - 1e-6);
                }
            }
        }
    }
}
