//! The ports: what a driver of the decision core needs from the world, as traits.
//! `sagescale_aws::Aws` implements them on the AWS SDK; anything else (a test world, a replay)
//! can too. The types they carry live in this crate, so no port names an SDK type.

// The daemon drives its ports from one task, so the futures need not be `Send`.
#![allow(async_fn_in_trait)]

use crate::calls::{CallError, FetchReport, OwnDatum, VariantWeight};
use crate::capacity::{CapacityError, ReadCalls, TargetCapacity};
use sagescale_engine::{Capacity, ScalableDimension, Timestamp};
use sagescale_metrics::{MetricQuery, ObservationSet};

/// Where metric windows come from.
pub trait MetricSource {
    /// Prepare for a newly loaded policy set's metrics (`history[i]` periods of metric `i`).
    /// Called once per load, never per cycle.
    fn prepare(&mut self, metrics: &[MetricQuery], history: &[u32]);
    /// Fill `out` with every metric's window at `now`. Metrics that could not be read are
    /// left missing.
    async fn fetch(&mut self, now: Timestamp, out: &mut ObservationSet) -> FetchReport;
    /// Calls one fetch makes when nothing fails (for `/metrics` and the benchmark).
    fn calls_per_fetch(&self) -> usize;
}

/// Where capacities and registrations come from.
pub trait CapacitySource {
    /// Read every target (`(resource_id, dimension)`), index-aligned.
    async fn read(
        &mut self,
        targets: &[(String, ScalableDimension)],
        now: Timestamp,
    ) -> (Vec<Result<TargetCapacity, CapacityError>>, ReadCalls);
}

/// What moves capacity.
pub trait Actuator {
    /// Set a scalable target's bounds; returns the attempts it took.
    async fn register(
        &self,
        resource_id: &str,
        dimension: ScalableDimension,
        min: Capacity,
        max: Capacity,
    ) -> Result<u32, CallError>;
    /// Set the traffic weights of an endpoint's variants; returns the attempts it took.
    async fn set_weights(
        &self,
        endpoint: &str,
        variants: &[VariantWeight],
    ) -> Result<u32, CallError>;
    /// Publish sagescale's own metrics; returns the calls made.
    async fn publish(&self, at: Timestamp, data: &[OwnDatum]) -> Result<u32, CallError>;
}

/// The time.
pub trait Clock {
    /// Now, in whole seconds.
    fn now(&self) -> Timestamp;
}

/// The last check before a call: does this process still hold the right to act?
pub trait Fence {
    /// `true` if calls may be made now.
    async fn confirm(&mut self, now: Timestamp) -> bool;
}

/// No lease: a single daemon always may act.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFence;

impl Fence for NoFence {
    async fn confirm(&mut self, _: Timestamp) -> bool {
        true
    }
}
