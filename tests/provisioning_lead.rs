//! The daemon learns each target's provisioning lead from the capacities it reads (the
//! endpoint moving to more instances, then all of them InService), reports it, keeps it in the
//! state file, and has it back after a restart.

use std::path::Path;

use sagescale::core::ports::{Actuator, CapacitySource, MetricSource, NoFence};
use sagescale::core::{
    CallError, CapacityError, FetchReport, OwnDatum, ReadCalls, TargetCapacity, VariantWeight,
};
use sagescale::daemon::controller::{Controller, Mode, Options};
use sagescale::daemon::telemetry::Telemetry;
use sagescale::engine::{
    Capacity, EndpointStatus, EngineSettings, ScalableDimension, Seconds, Timestamp,
};
use sagescale::metrics::{MetricQuery, ObservationSet};

/// An endpoint whose capacity is whatever the test says; no metrics.
struct Scripted(TargetCapacity);

impl MetricSource for Scripted {
    fn prepare(&mut self, _: &[MetricQuery], _: &[u32]) {}
    async fn fetch(&mut self, _: Timestamp, _: &mut ObservationSet) -> FetchReport {
        FetchReport::default()
    }
    fn calls_per_fetch(&self) -> usize {
        0
    }
}

impl CapacitySource for Scripted {
    async fn read(
        &mut self,
        targets: &[(String, ScalableDimension)],
        _: Timestamp,
    ) -> (Vec<Result<TargetCapacity, CapacityError>>, ReadCalls) {
        (vec![Ok(self.0); targets.len()], ReadCalls::default())
    }
}

impl Actuator for Scripted {
    async fn register(
        &self,
        _: &str,
        _: ScalableDimension,
        _: Capacity,
        _: Capacity,
    ) -> Result<u32, CallError> {
        Ok(1)
    }
    async fn set_weights(&self, _: &str, _: &[VariantWeight]) -> Result<u32, CallError> {
        Ok(1)
    }
    async fn publish(&self, _: Timestamp, _: &[OwnDatum]) -> Result<u32, CallError> {
        Ok(0)
    }
}

fn capacity(status: EndpointStatus, current: u32, desired: u32) -> TargetCapacity {
    TargetCapacity {
        status,
        current,
        desired,
        registration: None,
        weight: None,
        room: None,
    }
}

#[tokio::test]
async fn a_scale_out_the_daemon_watched_becomes_its_lead_and_survives_a_restart() {
    let set = sagescale::policy::load_text(
        Path::new("p.toml"),
        "[[targets]]\nname = \"e\"\nresource_id = \"endpoint/e/variant/AllTraffic\"\nmin = 1\nmax = 10\n",
    )
    .unwrap();
    let settings = EngineSettings {
        max_metric_age: Seconds(300),
    };
    let opts = Options {
        mode: Mode::DryRun,
        pin_timeout: Seconds(1800),
        publish: false,
        fencing_token: None,
    };
    let telemetry = Telemetry::new();
    let mut c = Controller::new(set, None, settings).unwrap();
    let mut world = Scripted(capacity(EndpointStatus::InService, 2, 2));
    assert_eq!(
        c_at(&mut c, &mut world, 0, &opts, &telemetry).await.targets[0].lead,
        None
    );
    world.0 = capacity(EndpointStatus::Updating, 2, 5);
    c_at(&mut c, &mut world, 60, &opts, &telemetry).await;
    world.0 = capacity(EndpointStatus::Updating, 4, 5);
    c_at(&mut c, &mut world, 360, &opts, &telemetry).await;
    world.0 = capacity(EndpointStatus::InService, 5, 5);
    let report = c_at(&mut c, &mut world, 480, &opts, &telemetry).await;
    // From the read at 0 (the last before the scale-out showed) to the one at 480.
    assert_eq!(report.targets[0].lead, Some((Seconds(480), 1)));
    assert!(
        telemetry
            .render()
            .contains("sagescale_provisioning_lead_seconds{target=\"e\"} 480"),
        "{}",
        telemetry.render()
    );

    // Kept in the state file, and back after a restart.
    let saved = c.snapshot(Timestamp(480));
    let json = serde_json::to_value(&saved).unwrap();
    assert_eq!(json["leads"]["e"]["samples"][0], 480);
    let text = serde_json::to_string(&saved).unwrap();
    let restored: sagescale::daemon::state_file::DaemonState = serde_json::from_str(&text).unwrap();
    let again = sagescale::policy::load_text(
        Path::new("p.toml"),
        "[[targets]]\nname = \"e\"\nresource_id = \"endpoint/e/variant/AllTraffic\"\nmin = 1\nmax = 10\n",
    )
    .unwrap();
    let mut c2 = Controller::new(again, Some(&restored), settings).unwrap();
    assert_eq!(
        c_at(&mut c2, &mut world, 540, &opts, &telemetry)
            .await
            .targets[0]
            .lead,
        Some((Seconds(480), 1))
    );
}

#[test]
fn a_restart_does_not_time_a_scale_out_from_a_read_before_it() {
    // The state file keeps the samples, not the last read: an hour down must not become an
    // hour of lead. After the restart a scale-out is timed from the first read that saw it.
    use sagescale::core::provisioning::LeadTracker;
    let mut saved = LeadTracker::default();
    saved.observe(Timestamp(0), &capacity(EndpointStatus::InService, 2, 2));
    let text = serde_json::to_string(&saved).unwrap();
    assert!(!text.contains("last_read"), "{text}");
    let mut restored: LeadTracker = serde_json::from_str(&text).unwrap();
    restored.observe(Timestamp(3600), &capacity(EndpointStatus::Updating, 2, 3));
    let lead = restored.observe(Timestamp(3660), &capacity(EndpointStatus::InService, 3, 3));
    assert_eq!(lead, Some(Seconds(60)));
    // Without the restart, the same reads are timed from the read before: an upper bound.
    saved.observe(Timestamp(3600), &capacity(EndpointStatus::Updating, 2, 3));
    let lead = saved.observe(Timestamp(3660), &capacity(EndpointStatus::InService, 3, 3));
    assert_eq!(lead, Some(Seconds(3660)));
}

/// One cycle of `c` at `t`.
async fn c_at(
    c: &mut Controller,
    world: &mut Scripted,
    t: i64,
    opts: &Options,
    telemetry: &Telemetry,
) -> sagescale::daemon::controller::CycleReport {
    c.cycle(world, &mut NoFence, Timestamp(t), opts, None, telemetry)
        .await
}
