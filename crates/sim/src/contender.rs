//! What kind of contender a comparison's row is.

/// What kind of contender a result is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A compared policy file.
    Policy,
    /// AWS target tracking with AWS defaults.
    AwsTargetTracking,
    /// AWS step scaling in the shape of AWS's examples.
    AwsStepScaling,
    /// An emulation of another autoscaler users would pick (Kubernetes HPA, Knative KPA,
    /// KEDA's CloudWatch scaler) with its documented defaults.
    Peer,
    /// The oracle lower bound.
    Oracle,
}
