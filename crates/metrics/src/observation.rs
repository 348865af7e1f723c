//! Where the engine reads metric windows from.

use super::{MetricId, MetricWindow};
use crate::{Seconds, Timestamp};

/// A source of metric windows, indexed by the [`MetricId`]s of a compiled policy set.
///
/// The simulator implements it over its own ring buffers so the engine reads datapoints in
/// place; [`ObservationSet`] is the owned implementation the daemon and tests use.
pub trait Observations {
    /// The window for `metric`, or `None` if nothing at all is known about it.
    fn window(&self, metric: MetricId) -> Option<MetricWindow<'_>>;
}

#[derive(Clone, Debug, Default, PartialEq)]
struct OwnedWindow {
    period: Seconds,
    end: Timestamp,
    values: Vec<Option<f64>>,
}

/// Owned metric windows, one slot per [`MetricId`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservationSet {
    slots: Vec<Option<OwnedWindow>>,
}

impl ObservationSet {
    /// An empty set with room for `metrics` metric ids.
    #[must_use]
    pub fn with_metrics(metrics: usize) -> Self {
        Self {
            slots: vec![None; metrics],
        }
    }

    /// Replace the window of `metric`. `values` are oldest first; the newest ends at `end`.
    pub fn set(
        &mut self,
        metric: MetricId,
        period: Seconds,
        end: Timestamp,
        values: &[Option<f64>],
    ) {
        let idx = metric.index();
        if idx >= self.slots.len() {
            self.slots.resize(idx + 1, None);
        }
        let slot = self.slots[idx].get_or_insert_with(OwnedWindow::default);
        slot.period = period;
        slot.end = end;
        slot.values.clear();
        slot.values.extend_from_slice(values);
    }

    /// Forget what is known about `metric`.
    pub fn clear(&mut self, metric: MetricId) {
        if let Some(slot) = self.slots.get_mut(metric.index()) {
            *slot = None;
        }
    }
}

impl Observations for ObservationSet {
    fn window(&self, metric: MetricId) -> Option<MetricWindow<'_>> {
        self.slots
            .get(metric.index())?
            .as_ref()
            .map(|w| MetricWindow {
                period: w.period,
                end: w.end,
                values: &w.values,
            })
    }
}
