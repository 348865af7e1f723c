//! Scheduled actions: `at(...)`, `rate(...)` and `cron(...)` triggers in an IANA time zone,
//! which set the target's min and/or max from the moment they fire.

use chrono::TimeZone;
use chrono_tz::Tz;

use sagescale_metrics::{Capacity, Seconds, Timestamp};

/// When a scheduled action fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// Once, at this instant.
    At(Timestamp),
    /// Every `every`, counted from `anchor` (the start time, or the Unix epoch without one).
    Rate {
        /// Interval between firings.
        every: Seconds,
        /// First firing.
        anchor: Timestamp,
    },
    /// Whenever the wall clock in `tz` matches the pattern.
    Cron(Box<CronTrigger>),
}

/// A cron pattern evaluated in a time zone, with its daylight-saving changes.
#[derive(Clone, Debug)]
pub struct CronTrigger {
    /// The parsed pattern.
    pub cron: croner::Cron,
    /// The pattern as written, for explanations.
    pub text: String,
    /// The zone whose wall clock the pattern reads.
    pub tz: Tz,
}

impl PartialEq for CronTrigger {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.tz == other.tz
    }
}

/// A scheduled action.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleSpec {
    /// When it fires.
    pub trigger: Trigger,
    /// It never fires before this.
    pub start: Option<Timestamp>,
    /// It never fires after this; what it set stays set.
    pub end: Option<Timestamp>,
    /// The new min, if it sets one.
    pub min: Option<Capacity>,
    /// The new max, if it sets one.
    pub max: Option<Capacity>,
}

impl ScheduleSpec {
    /// The latest firing at or before `now`, within the start and end times.
    #[must_use]
    pub fn last_firing(&self, now: Timestamp) -> Option<Timestamp> {
        let upto = match self.end {
            Some(end) if end < now => end,
            _ => now,
        };
        let t = match &self.trigger {
            Trigger::At(at) => (*at <= upto).then_some(*at),
            Trigger::Rate { every, anchor } => {
                let step = i64::from(every.0.max(1));
                (upto >= *anchor).then(|| Timestamp(anchor.0 + (upto.0 - anchor.0) / step * step))
            }
            Trigger::Cron(c) => {
                let at = c.tz.timestamp_opt(upto.0, 0).single()?;
                let prev = c.cron.find_previous_occurrence(&at, true).ok()?;
                Some(Timestamp(prev.timestamp()))
            }
        }?;
        match self.start {
            Some(start) if t < start => None,
            _ => Some(t),
        }
    }

    /// The first firing strictly after `now`, within the start and end times.
    #[must_use]
    pub fn next_firing(&self, now: Timestamp) -> Option<Timestamp> {
        let from = match self.start {
            Some(start) if start > now => Timestamp(start.0 - 1),
            _ => now,
        };
        let t = match &self.trigger {
            Trigger::At(at) => (*at > from).then_some(*at),
            Trigger::Rate { every, anchor } => {
                let step = i64::from(every.0.max(1));
                if from < *anchor {
                    Some(*anchor)
                } else {
                    Some(Timestamp(
                        anchor.0 + ((from.0 - anchor.0) / step + 1) * step,
                    ))
                }
            }
            Trigger::Cron(c) => {
                let at = c.tz.timestamp_opt(from.0, 0).single()?;
                let next = c.cron.find_next_occurrence(&at, false).ok()?;
                Some(Timestamp(next.timestamp()))
            }
        }?;
        match self.end {
            Some(end) if t > end => None,
            _ => Some(t),
        }
    }
}

/// A cache of a schedule's last firing, valid until its next firing. Derived from the spec
/// and the clock alone, so it is rebuilt rather than persisted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScheduleCache {
    last: Option<Timestamp>,
    computed_at: Option<Timestamp>,
    valid_until: Timestamp,
}

impl ScheduleCache {
    /// The last firing at or before `now`, recomputing only when a firing may have happened.
    pub fn last_firing(&mut self, spec: &ScheduleSpec, now: Timestamp) -> Option<Timestamp> {
        let valid = matches!(self.computed_at, Some(at) if at <= now) && now < self.valid_until;
        if !valid {
            self.last = spec.last_firing(now);
            self.computed_at = Some(now);
            self.valid_until = spec.next_firing(now).unwrap_or(Timestamp(i64::MAX));
        }
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn ts(s: &str) -> Timestamp {
        Timestamp(chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp())
    }

    fn cron(pattern: &str, tz: &str) -> ScheduleSpec {
        ScheduleSpec {
            trigger: Trigger::Cron(Box::new(CronTrigger {
                cron: croner::Cron::from_str(pattern).unwrap(),
                text: pattern.into(),
                tz: tz.parse().unwrap(),
            })),
            start: None,
            end: None,
            min: Some(5),
            max: None,
        }
    }

    #[test]
    fn a_daily_cron_keeps_its_local_hour_across_a_dst_change() {
        // 08:00 New York: 13:00Z in winter (EST), 12:00Z after the 2026-03-08 spring forward.
        let s = cron("0 8 * * *", "America/New_York");
        assert_eq!(
            s.last_firing(ts("2026-03-07T20:00:00Z")),
            Some(ts("2026-03-07T13:00:00Z"))
        );
        assert_eq!(
            s.next_firing(ts("2026-03-07T20:00:00Z")),
            Some(ts("2026-03-08T12:00:00Z"))
        );
        assert_eq!(
            s.last_firing(ts("2026-03-08T12:30:00Z")),
            Some(ts("2026-03-08T12:00:00Z"))
        );
        // and back in autumn (2026-11-01)
        assert_eq!(
            s.next_firing(ts("2026-10-31T20:00:00Z")),
            Some(ts("2026-11-01T13:00:00Z"))
        );
    }

    #[test]
    fn a_firing_in_the_skipped_hour_is_not_lost() {
        // 02:30 does not exist in New York on 2026-03-08; croner fires at the first instant after.
        let s = cron("30 2 * * *", "America/New_York");
        let next = s.next_firing(ts("2026-03-08T05:00:00Z")).unwrap();
        assert!(next <= ts("2026-03-08T08:00:00Z"), "fired at {next}");
    }

    #[test]
    fn rate_counts_from_its_anchor_and_stops_at_end() {
        let s = ScheduleSpec {
            trigger: Trigger::Rate {
                every: Seconds(3600),
                anchor: Timestamp(1000),
            },
            start: Some(Timestamp(1000)),
            end: Some(Timestamp(1000 + 3 * 3600)),
            min: Some(2),
            max: None,
        };
        assert_eq!(s.last_firing(Timestamp(999)), None);
        assert_eq!(s.next_firing(Timestamp(999)), Some(Timestamp(1000)));
        assert_eq!(
            s.last_firing(Timestamp(1000 + 3700)),
            Some(Timestamp(1000 + 3600))
        );
        assert_eq!(
            s.last_firing(Timestamp(1000 + 99 * 3600)),
            Some(Timestamp(1000 + 3 * 3600))
        );
        assert_eq!(s.next_firing(Timestamp(1000 + 3 * 3600)), None);
    }

    #[test]
    fn at_fires_once_and_start_hides_earlier_firings() {
        let mut s = ScheduleSpec {
            trigger: Trigger::At(Timestamp(500)),
            start: None,
            end: None,
            min: None,
            max: Some(3),
        };
        assert_eq!(s.last_firing(Timestamp(499)), None);
        assert_eq!(s.last_firing(Timestamp(10_000)), Some(Timestamp(500)));
        s.start = Some(Timestamp(600));
        assert_eq!(s.last_firing(Timestamp(10_000)), None);
    }

    #[test]
    fn the_cache_recomputes_only_at_the_next_firing() {
        let s = ScheduleSpec {
            trigger: Trigger::Rate {
                every: Seconds(60),
                anchor: Timestamp(0),
            },
            start: None,
            end: None,
            min: Some(1),
            max: None,
        };
        let mut c = ScheduleCache::default();
        assert_eq!(c.last_firing(&s, Timestamp(90)), Some(Timestamp(60)));
        assert_eq!(c.valid_until, Timestamp(120));
        assert_eq!(c.last_firing(&s, Timestamp(119)), Some(Timestamp(60)));
        assert_eq!(c.last_firing(&s, Timestamp(120)), Some(Timestamp(120)));
        // time going backwards (a replay restarted) recomputes too
        assert_eq!(c.last_firing(&s, Timestamp(30)), Some(Timestamp(0)));
    }
}
