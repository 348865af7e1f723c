//! A target's service-level objective: the latency percentile and the error rate it must keep.

/// A latency and error-rate objective.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slo {
    /// Latency bound at the percentile, seconds.
    pub latency_s: f64,
    /// The percentile, e.g. 0.99.
    pub percentile: f64,
    /// Largest acceptable fraction of failed requests in an interval.
    pub max_error_rate: f64,
}
