//! CloudWatch-style alarm evaluation: M out of N datapoints, with TreatMissingData.
//!
//! Shared by target tracking (its high and low alarms) and step policies, so every alarm in
//! sagescale counts datapoints the same way.

use serde::{Deserialize, Serialize};

use sagescale_metrics::{MetricId, MetricWindow};
use sagescale_metrics::{Seconds, Timestamp};

/// How a datapoint is compared with the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    /// `GreaterThanOrEqualToThreshold`
    GreaterOrEqual,
    /// `GreaterThanThreshold`
    Greater,
    /// `LessThanThreshold`
    Less,
    /// `LessThanOrEqualToThreshold`
    LessOrEqual,
}

impl Comparison {
    /// Whether `value` breaches `threshold`.
    #[must_use]
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::GreaterOrEqual => value >= threshold,
            Self::Greater => value > threshold,
            Self::Less => value < threshold,
            Self::LessOrEqual => value <= threshold,
        }
    }

    /// Whether breaching values lie above the threshold (step bounds are then lower-inclusive).
    #[must_use]
    pub fn is_above(self) -> bool {
        matches!(self, Self::GreaterOrEqual | Self::Greater)
    }

    /// The operator as CloudWatch names it.
    #[must_use]
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::GreaterOrEqual => "GreaterThanOrEqualToThreshold",
            Self::Greater => "GreaterThanThreshold",
            Self::Less => "LessThanThreshold",
            Self::LessOrEqual => "LessThanOrEqualToThreshold",
        }
    }

    /// The operator as a symbol, for explanations.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Self::GreaterOrEqual => ">=",
            Self::Greater => ">",
            Self::Less => "<",
            Self::LessOrEqual => "<=",
        }
    }
}

/// CloudWatch's `TreatMissingData`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum TreatMissingData {
    /// Missing datapoints are looked past; none at all is INSUFFICIENT_DATA.
    #[default]
    Missing,
    /// Missing datapoints are looked past; none at all keeps the previous state.
    Ignore,
    /// A missing datapoint counts as breaching.
    Breaching,
    /// A missing datapoint counts as not breaching.
    NotBreaching,
}

/// The three CloudWatch alarm states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum AlarmState {
    /// `OK`
    Ok,
    /// `ALARM`
    Alarm,
    /// `INSUFFICIENT_DATA`
    #[default]
    InsufficientData,
}

/// An alarm's definition.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmSpec {
    /// The metric the alarm watches.
    pub metric: MetricId,
    /// How datapoints are compared with the threshold.
    pub comparison: Comparison,
    /// The threshold.
    pub threshold: f64,
    /// N: how many of the newest periods are evaluated.
    pub evaluation_periods: u16,
    /// M: how many of them must breach.
    pub datapoints_to_alarm: u16,
    /// What a missing datapoint means.
    pub treat_missing: TreatMissingData,
}

/// The outcome of evaluating an alarm once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlarmEval {
    /// The new state.
    pub state: AlarmState,
    /// The newest present datapoint considered, if any.
    pub value: Option<f64>,
    /// Breaching datapoints among those evaluated.
    pub breaching: u16,
    /// How many of `breaching` were missing datapoints counted as breaching.
    pub breaching_from_missing: u16,
    /// Whether the newest period's datapoint was present and the data was fresh: the condition
    /// for acting to remove capacity.
    pub fresh: bool,
    /// Whether the window was older than the maximum metric age (and so ignored).
    pub stale: bool,
    /// Exclusive end of the newest period evaluated, if there was a window.
    pub window_end: Option<Timestamp>,
}

impl AlarmSpec {
    /// How many periods of history the alarm reads: N plus as many again to look past missing
    /// datapoints. CloudWatch calls this the evaluation range; its exact length is not
    /// documented, so sagescale fixes it at 2N and drivers supply at least that much.
    #[must_use]
    pub fn evaluation_range(&self) -> usize {
        usize::from(self.evaluation_periods) * 2
    }

    /// Evaluate against the metric's window at `now`. A window whose newest period ended more
    /// than `max_age` before `now` is stale and treated as entirely missing.
    #[must_use]
    pub fn evaluate(
        &self,
        window: Option<MetricWindow<'_>>,
        previous: AlarmState,
        now: Timestamp,
        max_age: Seconds,
    ) -> AlarmEval {
        let n = usize::from(self.evaluation_periods);
        let m = self.datapoints_to_alarm;
        let (values, fresh_window, window_end): (&[Option<f64>], bool, Option<Timestamp>) =
            match window {
                Some(w) if w.is_fresh(now, i64::from(max_age.0)) => {
                    (w.newest(self.evaluation_range()), true, Some(w.end))
                }
                Some(w) => (&[], false, Some(w.end)),
                None => (&[], false, None),
            };

        let mut breaching = 0u16;
        let mut from_missing = 0u16;
        let mut counted = 0usize;
        let mut value = None;
        // The newest N periods, newest first.
        for (i, dp) in values.iter().rev().enumerate() {
            let looking_past = i >= n;
            match dp {
                Some(v) => {
                    if value.is_none() {
                        value = Some(*v);
                    }
                    if self.comparison.breaches(*v, self.threshold) {
                        breaching += 1;
                    }
                    counted += 1;
                }
                // Within the newest N periods a missing datapoint may count by the treatment;
                // beyond them CloudWatch only looks for present datapoints.
                None if !looking_past => match self.treat_missing {
                    TreatMissingData::Breaching => {
                        breaching += 1;
                        from_missing += 1;
                        counted += 1;
                    }
                    TreatMissingData::NotBreaching => counted += 1,
                    TreatMissingData::Missing | TreatMissingData::Ignore => {}
                },
                None => {}
            }
            if counted == n {
                break;
            }
        }
        // Periods that never existed in the window (short history) count as missing too.
        let absent = n.saturating_sub(values.len());
        if absent > 0 && counted < n {
            let fill = u16::try_from(absent.min(n - counted)).unwrap_or(u16::MAX);
            match self.treat_missing {
                TreatMissingData::Breaching => {
                    breaching += fill;
                    from_missing += fill;
                    counted += usize::from(fill);
                }
                TreatMissingData::NotBreaching => counted += usize::from(fill),
                TreatMissingData::Missing | TreatMissingData::Ignore => {}
            }
        }

        let not_breaching = counted - usize::from(breaching);
        let state = if breaching >= m {
            AlarmState::Alarm
        } else if counted == n || not_breaching > n - usize::from(m) {
            // Either a full set of datapoints, or enough non-breaching ones that the rest could
            // not reach M.
            AlarmState::Ok
        } else if self.treat_missing == TreatMissingData::Ignore {
            previous
        } else {
            AlarmState::InsufficientData
        };
        let newest_present = values.last().is_some_and(Option::is_some);
        AlarmEval {
            state,
            value,
            breaching,
            breaching_from_missing: from_missing,
            fresh: fresh_window && newest_present,
            stale: window.is_some() && !fresh_window,
            window_end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(n: u16, m: u16, treat: TreatMissingData) -> AlarmSpec {
        AlarmSpec {
            metric: MetricId(0),
            comparison: Comparison::Greater,
            threshold: 10.0,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            treat_missing: treat,
        }
    }

    fn eval(a: &AlarmSpec, values: &[Option<f64>]) -> AlarmEval {
        let w = MetricWindow {
            period: Seconds(60),
            end: Timestamp(6000),
            values,
        };
        a.evaluate(Some(w), AlarmState::Ok, Timestamp(6000), Seconds(300))
    }

    #[test]
    fn three_of_three_needs_three_breaching_datapoints() {
        let a = alarm(3, 3, TreatMissingData::Missing);
        assert_eq!(
            eval(&a, &[Some(11.0), Some(11.0), Some(11.0)]).state,
            AlarmState::Alarm
        );
        assert_eq!(
            eval(&a, &[Some(9.0), Some(11.0), Some(11.0)]).state,
            AlarmState::Ok
        );
        assert_eq!(
            eval(&a, &[Some(11.0), Some(11.0)]).state,
            AlarmState::InsufficientData
        );
    }

    #[test]
    fn missing_looks_past_gaps_within_the_evaluation_range() {
        let a = alarm(3, 3, TreatMissingData::Missing);
        let e = eval(&a, &[Some(12.0), Some(11.0), None, Some(13.0)]);
        assert_eq!(e.state, AlarmState::Alarm);
        assert_eq!(e.value, Some(13.0));
        let e = eval(&a, &[Some(12.0), Some(11.0), Some(13.0), None]);
        assert_eq!(e.state, AlarmState::Alarm);
        assert!(
            !e.fresh,
            "newest period missing: not fresh enough to remove capacity"
        );
    }

    #[test]
    fn treat_missing_breaching_and_not_breaching_fill_gaps() {
        let b = eval(
            &alarm(3, 3, TreatMissingData::Breaching),
            &[Some(11.0), None, None],
        );
        assert_eq!((b.state, b.breaching_from_missing), (AlarmState::Alarm, 2));
        let nb = eval(
            &alarm(3, 2, TreatMissingData::NotBreaching),
            &[Some(11.0), None, None],
        );
        assert_eq!(nb.state, AlarmState::Ok);
    }

    #[test]
    fn ignore_keeps_the_previous_state_when_undecided() {
        let a = alarm(3, 3, TreatMissingData::Ignore);
        let w = MetricWindow {
            period: Seconds(60),
            end: Timestamp(600),
            values: &[None, None, None],
        };
        let e = a.evaluate(Some(w), AlarmState::Alarm, Timestamp(600), Seconds(300));
        assert_eq!(e.state, AlarmState::Alarm);
        let e = a.evaluate(Some(w), AlarmState::Ok, Timestamp(600), Seconds(300));
        assert_eq!(e.state, AlarmState::Ok);
    }

    #[test]
    fn m_of_n_is_ok_once_alarm_is_out_of_reach() {
        // 2 of 3: two non-breaching present datapoints decide OK even with one missing.
        let a = alarm(3, 2, TreatMissingData::Missing);
        assert_eq!(eval(&a, &[Some(1.0), Some(1.0)]).state, AlarmState::Ok);
        assert_eq!(
            eval(&a, &[Some(1.0), Some(11.0)]).state,
            AlarmState::InsufficientData
        );
    }

    #[test]
    fn stale_windows_are_entirely_missing() {
        let a = alarm(3, 3, TreatMissingData::Missing);
        let v = [Some(11.0); 3];
        let w = MetricWindow {
            period: Seconds(60),
            end: Timestamp(1000),
            values: &v,
        };
        let e = a.evaluate(Some(w), AlarmState::Ok, Timestamp(1301), Seconds(300));
        assert_eq!(e.state, AlarmState::InsufficientData);
        assert!(!e.fresh);
        let e = a.evaluate(Some(w), AlarmState::Ok, Timestamp(1300), Seconds(300));
        assert_eq!(e.state, AlarmState::Alarm);
    }
}
