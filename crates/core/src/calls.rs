//! What the actuator and metric source report about the calls they made, and what the
//! actuator is asked to send. No SDK types: the AWS adapters translate to and from these.

use std::fmt;

use serde::Deserialize;

use sagescale_engine::Capacity;

/// The class of a failed call, as a retrier's `error_equals` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// `Throttling`, `ThrottlingException`, `TooManyRequestsException`, `RequestLimitExceeded`,
    /// HTTP 429.
    Throttling,
    /// HTTP 5xx, `InternalServiceException`, `ServiceUnavailable`, and replies that could not be
    /// read (a truncated body).
    ServerError,
    /// No reply within the SDK's attempt timeout.
    Timeout,
    /// The connection could not be made or was reset.
    Connection,
    /// Anything else: validation errors, missing resources, access denied. Matched only by
    /// `all`.
    Client,
}

impl ErrorClass {
    /// The label used in logs and `/metrics`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Throttling => "throttling",
            Self::ServerError => "server_error",
            Self::Timeout => "timeout",
            Self::Connection => "connection",
            Self::Client => "client",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call that failed for good: its class, a readable message, and how many attempts it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallError {
    /// Class of the last error.
    pub class: ErrorClass,
    /// The error code AWS returned, if any (e.g. `ValidationException`).
    pub code: Option<String>,
    /// Readable message.
    pub message: String,
    /// Attempts made.
    pub attempts: u32,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} error after {} attempt{}: {}",
            self.class,
            self.attempts,
            if self.attempts == 1 { "" } else { "s" },
            self.message
        )
    }
}

impl std::error::Error for CallError {}

/// Where each attempt's outcome is reported (the daemon counts them for `/metrics`).
pub trait CallObserver: Send + Sync {
    /// One attempt of `operation` on `service` finished: `Ok` or the class of its error.
    fn attempt(
        &self,
        service: &'static str,
        operation: &'static str,
        outcome: Result<(), ErrorClass>,
    );
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl CallObserver for NoObserver {
    fn attempt(&self, _: &'static str, _: &'static str, _: Result<(), ErrorClass>) {}
}

/// What one fetch did.
#[derive(Clone, Debug, Default)]
pub struct FetchReport {
    /// `GetMetricData` calls that succeeded (pages count separately).
    pub calls: u32,
    /// Batches that failed for good; their metrics are missing this cycle.
    pub failures: Vec<CallError>,
    /// Queries CloudWatch answered with a message (e.g. an expression error).
    pub messages: Vec<String>,
}

/// One variant's new weight, with the instance count it is settled at.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VariantWeight {
    /// Variant name.
    pub variant: String,
    /// New weight.
    pub weight: f64,
    /// Its instance count, sent unchanged (see `sagescale_aws::actuator::set_weights`).
    pub instances: Capacity,
}

/// One of sagescale's own datapoints for CloudWatch (namespace `sagescale`).
#[derive(Clone, Debug, PartialEq)]
pub struct OwnDatum {
    /// Metric name, e.g. `DesiredCapacity`.
    pub name: &'static str,
    /// The target's name (dimension `Target`); `None` for daemon-wide metrics.
    pub target: Option<String>,
    /// Value.
    pub value: f64,
    /// Whether it is a count (otherwise no unit).
    pub count: bool,
}
