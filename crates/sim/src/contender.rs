//! What kind of contender a comparison's row is.

/// What kind of contender a result is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A compared policy file.
    Policy,
    /// AWS target tracking with AWS defaults.
    AwsTargetTracking,
    /// AWS target tracking on the high-resolution `ConcurrentRequestsPerModel`.
    AwsTargetTrackingHighRes,
    /// AWS target tracking with its metric and target tuned on the train window: the baseline
    /// savings are stated against.
    AwsTuned,
    /// AWS step scaling in the shape of AWS's examples.
    AwsStepScaling,
    /// An emulation of another autoscaler users would pick (Kubernetes HPA, Knative KPA,
    /// KEDA's CloudWatch scaler) with its documented defaults.
    Peer,
    /// A peer with its target tuned on the train window.
    PeerTuned,
    /// The oracle lower bound.
    Oracle,
}
