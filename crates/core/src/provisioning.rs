//! The provisioning lead a target shows in production: how long a scale-out takes from the
//! moment SageMaker starts it (the endpoint `Updating`, or desired above current) to the new
//! capacity `InService`, learned from the capacities a driver reads each cycle. Nothing here
//! reads a scenario or a documented figure: it is what the daemon itself has seen, and the
//! simulator sees the same through the same reads.
//!
//! Pure and allocation-light: a fixed ring of the latest samples per target.

use sagescale_engine::{EndpointStatus, Seconds, Timestamp};
use serde::{Deserialize, Serialize};

use crate::capacity::TargetCapacity;

/// Scale-outs remembered per target: the median is over these.
pub const SAMPLES: usize = 16;

/// One target's learned lead.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadTracker {
    /// A scale-out in progress: when it was first seen, and the capacity it is moving from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    started: Option<(Timestamp, u32)>,
    /// The previous read's time: the latest moment a scale-out first seen now was not yet
    /// moving, so where its lead is timed from. Not kept across a restart: a read from before
    /// it says nothing about when a scale-out seen after it began.
    #[serde(skip)]
    last_read: Option<Timestamp>,
    /// Completed scale-outs' leads in seconds, oldest first (at most [`SAMPLES`]).
    #[serde(default)]
    samples: Vec<u32>,
}

impl LeadTracker {
    /// Feed one cycle's read of the target at `now`. Returns the lead of a scale-out that
    /// completed with this read.
    ///
    /// A scale-out is first seen on a read with desired above current (SageMaker moving to
    /// more capacity); it completes on the first read `InService` with current equal to desired
    /// and above where it started. A read that shows a scale-in instead, or capacity back at its
    /// start, abandons it: no sample. Its resolution is the driver's cycle, and it is rounded
    /// up: the lead runs from the read before the one that first saw it (when it may already
    /// have started) to the read that saw it complete, so it is never shorter than the true
    /// one. Timing it from the first read that saw it would undercount by up to a cycle: a
    /// scale-out called right after one read and done before the next would measure 0. A
    /// failed read in between (no `observe`) only lengthens it: still an upper bound.
    pub fn observe(&mut self, now: Timestamp, cap: &TargetCapacity) -> Option<Seconds> {
        let moving_out = cap.desired > cap.current;
        let before = self.last_read.replace(now).filter(|t| t.0 < now.0);
        match self.started {
            None => {
                if moving_out {
                    self.started = Some((before.unwrap_or(now), cap.current));
                }
                None
            }
            Some((since, from)) => {
                let settled = cap.status == EndpointStatus::InService && cap.current == cap.desired;
                if settled && cap.current > from {
                    self.started = None;
                    let lead = u32::try_from(now.since(since).max(0)).unwrap_or(u32::MAX);
                    if self.samples.len() == SAMPLES {
                        self.samples.remove(0);
                    }
                    self.samples.push(lead);
                    Some(Seconds(lead))
                } else if cap.desired <= from || (settled && cap.current <= from) {
                    self.started = None;
                    None
                } else {
                    None
                }
            }
        }
    }

    /// The median of the remembered leads (the upper one of an even count: a lead is better
    /// over- than under-estimated), or `None` before the first completed scale-out.
    #[must_use]
    pub fn median(&self) -> Option<Seconds> {
        if self.samples.is_empty() {
            return None;
        }
        let mut s = self.samples.clone();
        s.sort_unstable();
        Some(Seconds(s[s.len() / 2]))
    }

    /// How many scale-outs the median is over.
    #[must_use]
    pub fn count(&self) -> usize {
        self.samples.len()
    }

    /// The learned median, or `documented` until there is one.
    #[must_use]
    pub fn lead_or(&self, documented: Seconds) -> Seconds {
        self.median().unwrap_or(documented)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(status: EndpointStatus, current: u32, desired: u32) -> TargetCapacity {
        TargetCapacity {
            status,
            current,
            desired,
            registration: None,
            weight: None,
            room: None,
        }
    }

    const UP: EndpointStatus = EndpointStatus::Updating;
    const IN: EndpointStatus = EndpointStatus::InService;

    #[test]
    fn a_scale_out_is_timed_from_its_start_to_its_capacity_in_service() {
        let mut t = LeadTracker::default();
        assert_eq!(t.observe(Timestamp(0), &cap(IN, 2, 2)), None);
        assert_eq!(t.observe(Timestamp(60), &cap(UP, 2, 5)), None);
        assert_eq!(t.observe(Timestamp(120), &cap(UP, 2, 5)), None);
        // Updating but not yet all in service: still on its way.
        assert_eq!(t.observe(Timestamp(300), &cap(UP, 4, 5)), None);
        // Timed from the read before the one that first saw it: it may have begun just after.
        assert_eq!(
            t.observe(Timestamp(420), &cap(IN, 5, 5)),
            Some(Seconds(420))
        );
        assert_eq!(t.median(), Some(Seconds(420)));
        assert_eq!(t.lead_or(Seconds(600)), Seconds(420));
    }

    #[test]
    fn a_lead_is_rounded_up_to_the_cycle_never_down() {
        // Called just after the read at 0, in service 100 s later: the read at 60 sees it on
        // its way, the read at 120 sees it done. 60 s would undercount; 120 s bounds it.
        let mut t = LeadTracker::default();
        t.observe(Timestamp(0), &cap(IN, 2, 2));
        t.observe(Timestamp(60), &cap(UP, 2, 3));
        assert_eq!(
            t.observe(Timestamp(120), &cap(IN, 3, 3)),
            Some(Seconds(120))
        );
        // With no read before it (a daemon just started), it runs from the first read.
        let mut fresh = LeadTracker::default();
        fresh.observe(Timestamp(60), &cap(UP, 2, 3));
        assert_eq!(
            fresh.observe(Timestamp(120), &cap(IN, 3, 3)),
            Some(Seconds(60))
        );
    }

    #[test]
    fn before_any_scale_out_the_documented_figure_stands() {
        let t = LeadTracker::default();
        assert_eq!((t.median(), t.lead_or(Seconds(480))), (None, Seconds(480)));
    }

    #[test]
    fn a_scale_in_or_a_cancelled_scale_out_is_no_sample() {
        let mut t = LeadTracker::default();
        t.observe(Timestamp(0), &cap(IN, 4, 2));
        t.observe(Timestamp(60), &cap(IN, 2, 2));
        assert_eq!(t.count(), 0);
        t.observe(Timestamp(120), &cap(UP, 2, 4));
        // Desired back to where it started: abandoned.
        assert_eq!(t.observe(Timestamp(180), &cap(IN, 2, 2)), None);
        assert_eq!(t.count(), 0);
        // A fresh one is timed from the read before its first sighting, not the abandoned one.
        t.observe(Timestamp(240), &cap(UP, 2, 3));
        assert_eq!(
            t.observe(Timestamp(540), &cap(IN, 3, 3)),
            Some(Seconds(360))
        );
    }

    #[test]
    fn the_median_is_over_the_latest_scale_outs_and_rounds_up() {
        let mut t = LeadTracker::default();
        let mut now = 0;
        for lead in [100, 400, 200, 300] {
            t.observe(Timestamp(now), &cap(UP, 1, 2));
            now += lead;
            t.observe(Timestamp(now), &cap(IN, 2, 2));
            // Back down, so the next one starts from 1 again.
            now += 60;
            t.observe(Timestamp(now), &cap(IN, 1, 1));
        }
        assert_eq!(t.median(), Some(Seconds(300)), "{t:?}");
        for _ in 0..SAMPLES {
            t.observe(Timestamp(now), &cap(UP, 1, 2));
            now += 900;
            t.observe(Timestamp(now), &cap(IN, 2, 2));
            now += 60;
            t.observe(Timestamp(now), &cap(IN, 1, 1));
        }
        assert_eq!((t.count(), t.median()), (SAMPLES, Some(Seconds(900))));
    }
}
