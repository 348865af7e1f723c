//! Predictive scaling (sagescale only; Application Auto Scaling has none for SageMaker).
//!
//! The forecast is a seasonal model of the target's own total load, recomputed from the metric
//! window at every evaluation, so it needs no state of its own and every number in it can be
//! explained:
//! - **Season.** The load expected at time `T` is the mean of the loads at the same time of day
//!   on the previous days in the window (up to `history_days`), each taken as the highest
//!   datapoint within `lead` after `T − k days` so a ramp is met, not averaged away. With two
//!   weeks or more of history, the same weekday of earlier weeks is used instead, which also
//!   captures a weekly cycle.
//! - **Level and trend.** The seasonal value is scaled by how today compares with the same
//!   recent hour of those days (the ratio of their means over the last hour, bounded to
//!   [0.5, 2]), which carries growth and one-off shifts.
//! - **Lead.** The forecast is made for `now + lead`, the time capacity ordered now would be in
//!   service (provisioning delay plus detection), and sets a floor of `ceil(forecast / target)`.
//!   Reactive policies still act above that floor; below it the engine does not scale in.
//! - **Trust.** Every evaluation back-tests the model on the last two hours: the forecast it
//!   would have made `lead` earlier for each of those periods against what came. When the mean
//!   absolute percentage error exceeds `max_error`, the floor is dropped and the reactive
//!   policies alone decide, until the forecast earns trust again.
//! - **Minimum history.** Two full days plus the lead; with less, the policy only says so.
//! - **Missing datapoints** are left out, unless the spec says a missing one had no load
//!   (`missing_is_zero`, the SLO policy's forecast on an inference component, whose idle
//!   `Invocations` publish nothing): then an idle stretch forecasts and back-tests as 0, which
//!   is what lets the forecast be trusted before a daily job starts.

use sagescale_metrics::{Capacity, Seconds};
use sagescale_metrics::{MetricId, MetricWindow};

const DAY: u32 = 86_400;
const WEEK: u32 = 7 * DAY;
/// Periods of recent load compared with the same hour on previous days.
const LEVEL_WINDOW_S: u32 = 3600;
/// How far back the back-test goes.
const BACKTEST_S: u32 = 7200;

/// `forecast-only` logs the forecast; `forecast-and-scale` also acts on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PredictiveMode {
    /// Forecast and explain, change nothing.
    ForecastOnly,
    /// Forecast, and hold capacity at or above the forecast's floor.
    ForecastAndScale,
}

/// A predictive policy.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictiveSpec {
    /// The endpoint's total load per period (e.g. `Invocations`, Sum, 300 s).
    pub metric: MetricId,
    /// Load one unit should carry per period.
    pub target: f64,
    /// How far ahead capacity is needed: provisioning delay plus detection.
    pub lead: Seconds,
    /// Days of history the season uses (2 to 28; 14 or more brings in weekly seasonality).
    pub history_days: u32,
    /// Largest back-tested mean absolute percentage error at which the forecast is trusted.
    pub max_error: f64,
    /// Forecast only, or forecast and scale.
    pub mode: PredictiveMode,
    /// A period without a datapoint had no load (a total published only when there are
    /// requests, such as an inference component's `Invocations`), so a job that comes once a
    /// day is forecast from the idle hours before it, and back-tested on them. Otherwise a
    /// missing datapoint is unknown and left out.
    pub missing_is_zero: bool,
}

/// What one evaluation concluded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Forecast {
    /// Too little history yet.
    Learning {
        /// Seconds of history in the window.
        have_s: u32,
        /// Seconds needed.
        need_s: u32,
    },
    /// A forecast.
    Ready {
        /// Load expected at `now + lead`, per period.
        load: f64,
        /// The capacity floor it sets.
        floor: Capacity,
        /// Back-tested mean absolute percentage error.
        error: f64,
        /// Whether the error is within bounds, so the floor holds.
        trusted: bool,
    },
}

impl PredictiveSpec {
    /// Periods of history the policy reads for a metric of `period`.
    #[must_use]
    pub fn history(&self, period: Seconds) -> usize {
        let p = period.0.max(1);
        ((self.history_days * DAY + self.lead.0 + BACKTEST_S) / p) as usize + 2
    }

    /// Seconds of history needed before forecasting.
    #[must_use]
    pub fn min_history_s(&self) -> u32 {
        2 * DAY + self.lead.0 + BACKTEST_S
    }

    /// Forecast from `w`, the metric window whose newest period ends at `w.end`: the load at
    /// `lead` after it (the highest within a lead from there).
    #[must_use]
    pub fn forecast(&self, w: &MetricWindow<'_>) -> Forecast {
        self.forecast_from(w, None)
    }

    /// As [`PredictiveSpec::forecast`], but the load is the highest over the periods from
    /// `w.end` to `lead` after it: what a band over a horizon needs (the `slo` policy). The
    /// trust is the same back test.
    #[must_use]
    pub fn forecast_within_lead(&self, w: &MetricWindow<'_>) -> Forecast {
        self.forecast_from(w, Some(w.period.0.max(1)))
    }

    /// The forecast, the load taken from `ahead` seconds after `w.end` (default: the lead) to
    /// a lead after that.
    fn forecast_from(&self, w: &MetricWindow<'_>, ahead: Option<u32>) -> Forecast {
        let p = w.period.0.max(1);
        let values = w.values;
        let have_s = u32::try_from(values.len())
            .unwrap_or(u32::MAX)
            .saturating_mul(p);
        if have_s < self.min_history_s() {
            return Forecast::Learning {
                have_s,
                need_s: self.min_history_s(),
            };
        }
        let last = values.len() - 1;
        // Index `i` covers the period ending `(last - i) * p` seconds before `w.end`.
        let predict = |newest: usize, ahead: u32| self.predict(values, p, newest, ahead);
        let zero = self.missing_is_zero.then_some(0.0);
        let load = predict(last, ahead.unwrap_or(self.lead.0)).unwrap_or(0.0);
        // Back-test over the last two hours: for each stretch of `lead` that has passed, the
        // forecast made `lead` before it against the highest load that came in it.
        let lead_n = (self.lead.0 / p).max(1) as usize;
        let (mut err, mut n) = (0.0, 0u32);
        for back in 0..(BACKTEST_S / p) as usize {
            let Some(end) = last.checked_sub(back) else {
                break;
            };
            let Some(start) = (end + 1).checked_sub(lead_n) else {
                break;
            };
            let Some(made_at) = start.checked_sub(lead_n) else {
                break;
            };
            let Some(peak) = values[start..=end]
                .iter()
                .filter_map(|v| v.or(zero))
                .reduce(f64::max)
            else {
                continue;
            };
            if let Some(f) = predict(made_at, self.lead.0) {
                err += (f - peak).abs() / peak.max(1.0);
                n += 1;
            }
        }
        let error = if n > 0 {
            err / f64::from(n)
        } else {
            f64::INFINITY
        };
        let floor = (load / self.target - 1e-9).ceil().max(0.0);
        Forecast::Ready {
            load,
            floor: if floor >= f64::from(u32::MAX) {
                u32::MAX
            } else {
                floor as Capacity
            },
            error,
            trusted: error <= self.max_error,
        }
    }

    /// The load expected `ahead` seconds after the period at index `newest`, from the data up
    /// to it: the seasonal value at that time, scaled by the recent level.
    fn predict(&self, v: &[Option<f64>], p: u32, newest: usize, ahead: u32) -> Option<f64> {
        let zero = self.missing_is_zero.then_some(0.0);
        let at = |i: isize| -> Option<f64> {
            usize::try_from(i)
                .ok()
                .filter(|&i| i <= newest)
                .and_then(|i| v[i].or(zero))
        };
        let per = |s: u32| (s / p) as isize;
        let weekly = newest as u64 * u64::from(p) >= 2 * u64::from(WEEK);
        let step = if weekly { WEEK } else { DAY };
        let cycles = if weekly {
            (self.history_days * DAY / WEEK).max(1)
        } else {
            self.history_days
        };
        let target = newest as isize + per(ahead);
        let span = per(self.lead.0).max(1);
        // Seasonal value: the highest load within `lead` after the same time, per cycle.
        let (mut season, mut k_used) = (0.0, 0u32);
        // Level: the mean of the recent hour against the mean of the same hour on those
        // cycles, over the datapoints present.
        let (mut then_sum, mut then_n, mut now_sum, mut now_n) = (0.0, 0u32, 0.0, 0u32);
        let level_n = per(LEVEL_WINDOW_S).max(1);
        for k in 1..=cycles {
            let back = per(k * step);
            let peak = (0..span)
                .filter_map(|d| at(target - back + d))
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
            let Some(peak) = peak else { continue };
            season += peak;
            k_used += 1;
            for x in (0..level_n).filter_map(|d| at(newest as isize - back - d)) {
                then_sum += x;
                then_n += 1;
            }
        }
        if k_used == 0 {
            return None;
        }
        for x in (0..level_n).filter_map(|d| at(newest as isize - d)) {
            now_sum += x;
            now_n += 1;
        }
        let ratio = if then_n > 0 && now_n > 0 && then_sum > 0.0 {
            ((now_sum / f64::from(now_n)) / (then_sum / f64::from(then_n))).clamp(0.5, 2.0)
        } else {
            1.0
        };
        Some(season / f64::from(k_used) * ratio)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn spec() -> PredictiveSpec {
        PredictiveSpec {
            metric: MetricId(0),
            target: 100.0,
            lead: Seconds(900),
            history_days: 7,
            max_error: 0.3,
            mode: PredictiveMode::ForecastAndScale,
            missing_is_zero: false,
        }
    }

    #[test]
    fn within_the_lead_covers_the_periods_up_to_it_where_at_the_lead_starts_there() {
        // Three days of 5-minute periods, flat at 100 but for one period a day at 900: the
        // second after the window's end, on the days before.
        let v: Vec<Option<f64>> = (0..3 * 288 + 30)
            .map(|i| Some(if i % 288 == 31 { 900.0 } else { 100.0 }))
            .collect();
        let w = MetricWindow {
            period: Seconds(300),
            end: crate::Timestamp(0),
            values: &v,
        };
        let at = |lead: u32, within: bool| {
            let s = PredictiveSpec {
                lead: Seconds(lead),
                ..spec()
            };
            match if within {
                s.forecast_within_lead(&w)
            } else {
                s.forecast(&w)
            } {
                Forecast::Ready { load, .. } => load,
                f => panic!("{f:?}"),
            }
        };
        // A 15-minute lead: within it (periods 1 to 3 ahead) the peak; at it (3 to 5) not.
        assert!((at(900, true) - 900.0).abs() < 1e-9);
        assert!((at(900, false) - 100.0).abs() < 1e-9);
        // A 5-minute lead ends before it.
        assert!((at(300, true) - 100.0).abs() < 1e-9);
    }

    /// A daily cycle at 5-minute periods: 200 at night, 1,000 at midday.
    fn diurnal(days: u32, scale: f64) -> Vec<Option<f64>> {
        (0..days * 288)
            .map(|i| {
                let t = f64::from(i % 288) / 288.0;
                Some(scale * (600.0 - 400.0 * (t * std::f64::consts::TAU).cos()))
            })
            .collect()
    }

    fn window(v: &[Option<f64>]) -> MetricWindow<'_> {
        MetricWindow {
            period: Seconds(300),
            end: Timestamp(i64::try_from(v.len()).unwrap() * 300),
            values: v,
        }
    }

    #[test]
    fn it_learns_for_two_days_then_forecasts_the_cycle_ahead() {
        let s = spec();
        let short = diurnal(1, 1.0);
        assert!(matches!(
            s.forecast(&window(&short)),
            Forecast::Learning { .. }
        ));
        // Three days, ending at 6:00: the forecast for 6:15 is the load of previous days at
        // 6:15-6:30 (rising toward midday), so it is above the load now.
        let mut v = diurnal(3, 1.0);
        v.truncate(2 * 288 + 72);
        let now = v.last().unwrap().unwrap();
        match s.forecast(&window(&v)) {
            Forecast::Ready {
                load,
                floor,
                error,
                trusted,
            } => {
                assert!(load > now, "{load} vs {now}");
                let want = (0..3)
                    .map(|d| v[288 + 72 + 2 + d].unwrap())
                    .fold(0.0, f64::max);
                assert!((load - want).abs() < 1e-6, "{load} vs {want}");
                assert_eq!(floor, (want / 100.0).ceil() as u32);
                assert!(error < 0.05 && trusted, "{error}");
            }
            Forecast::Learning { .. } => panic!("enough history"),
        }
    }

    #[test]
    fn growth_scales_the_season_and_noise_loses_trust() {
        let s = spec();
        // Today runs at 1.5x the previous days.
        let mut v = diurnal(2, 1.0);
        let today = diurnal(1, 1.5);
        v.extend_from_slice(&today[..100]);
        let Forecast::Ready { load, .. } = s.forecast(&window(&v)) else {
            panic!("ready")
        };
        let base: Vec<Option<f64>> = diurnal(3, 1.0)[..v.len()].to_vec();
        let Forecast::Ready { load: flat, .. } = s.forecast(&window(&base)) else {
            panic!("ready")
        };
        assert!((load / flat - 1.5).abs() < 0.05, "{load} vs {flat}");
        // A load unrelated to yesterday's: the back-test fails and the floor is not trusted.
        let mut noisy = diurnal(2, 1.0);
        noisy.extend((0..100).map(|i| Some(if i % 7 < 3 { 5000.0 } else { 10.0 })));
        let Forecast::Ready { trusted, error, .. } = s.forecast(&window(&noisy)) else {
            panic!("ready")
        };
        assert!(!trusted, "{error}");
    }
}
