//! What the modelled world is made of and what one interval of it gives, as plain data: a
//! fleet's description and the service an interval received. The fleet, the async queue, the
//! serverless pool, the oracle, the emulated CloudWatch and the sums all read these; none of
//! them needs another's code for it.

/// What a fleet is made of and how it behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetSpec {
    /// Instance type name.
    pub instance_type: String,
    /// USD per instance-hour.
    pub price_per_hour: f64,
    /// Requests one instance serves at once.
    pub concurrency: u32,
    /// Mean model latency of one request, seconds.
    pub latency_s: f64,
    /// The service time's law around that mean (real-time and multi-model endpoints).
    pub service: super::service_law::ServiceLaw,
    /// Median provisioning delay, seconds.
    pub provisioning_median_s: f64,
    /// Log-normal shape of the provisioning delay.
    pub provisioning_sigma: f64,
    /// Seconds a removed instance is still billed and the endpoint `Updating`.
    pub drain_s: u32,
    /// A request waiting longer than this fails (SageMaker real-time: 60 s).
    pub timeout_s: f64,
    /// A batched server's measured curve: latency and throughput depend on the load
    /// (`batching.rs`). `latency_s` is then the curve's latency at light load and
    /// `concurrency` its largest in-flight count.
    pub batching: Option<super::batching::BatchingCurve>,
}

impl FleetSpec {
    /// A fleet that is only its queue: instances of `concurrency` servers of mean `latency_s`
    /// under `service`, SageMaker's 60 s timeout, no batching and no drain (ml.c5.xlarge's
    /// price and a 120 s provisioning delay, which `fleet::serve` does not read). What the
    /// queueing checks against ciw serve intervals with.
    #[must_use]
    pub fn queue(
        concurrency: u32,
        latency_s: f64,
        service: super::service_law::ServiceLaw,
    ) -> Self {
        Self {
            instance_type: "ml.c5.xlarge".into(),
            price_per_hour: 0.204,
            concurrency,
            latency_s,
            service,
            provisioning_median_s: 120.0,
            provisioning_sigma: 0.3,
            drain_s: 0,
            timeout_s: 60.0,
            batching: None,
        }
    }

    /// Requests per second one instance sustains.
    #[must_use]
    pub fn max_rps_per_instance(&self) -> f64 {
        match &self.batching {
            Some(c) => c.max_rps(),
            None => f64::from(self.concurrency) / self.latency_s,
        }
    }
}

/// What one interval of service looked like.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Service {
    /// Requests that arrived.
    pub arrivals: f64,
    /// Requests that failed (timeouts, no capacity).
    pub failed: f64,
    /// Median response time, seconds (NaN without arrivals).
    pub p50_s: f64,
    /// 99th-percentile response time, seconds (NaN without arrivals).
    pub p99_s: f64,
    /// Mean response time, seconds.
    pub mean_s: f64,
    /// Busy fraction of the serving capacity.
    pub utilisation: f64,
    /// Async endpoints: requests waiting at the end of the interval.
    pub backlog: f64,
    /// Async endpoints: age of the oldest waiting request at the end of the interval, seconds.
    pub oldest_age_s: f64,
    /// Multi-model endpoints: share of requests whose model was loaded (NaN without traffic).
    pub cache_hit_ratio: f64,
    /// Multi-model endpoints: mean wait of the requests that waited for a model load, seconds.
    pub loading_wait_s: f64,
    /// Multi-model endpoints: models in memory per instance.
    pub loaded_models: f64,
    /// Serverless endpoints: how provisioned concurrency and on demand served the interval.
    pub serverless: Option<ServerlessService>,
    /// USD of compute billed per use in the interval (serverless), beyond the capacity billed
    /// per second.
    pub usage_usd: f64,
}

impl Service {
    /// `arrivals` with no latency measured yet (NaN until served).
    #[must_use]
    pub fn unserved(arrivals: f64) -> Self {
        Self {
            arrivals,
            p50_s: f64::NAN,
            p99_s: f64::NAN,
            mean_s: f64::NAN,
            ..Self::default()
        }
    }
}

/// A serverless interval's split between provisioned concurrency and on demand.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServerlessService {
    /// Requests served on provisioned concurrency.
    pub pc_invocations: f64,
    /// Requests served on demand.
    pub spillover: f64,
    /// Mean concurrent executions on provisioned concurrency.
    pub pc_executions: f64,
    /// Mean concurrent executions over `MaxConcurrency`.
    pub executions_utilisation: f64,
    /// Requests that waited for a cold start.
    pub cold_starts: f64,
    /// The interval's cold-start (model set-up) time, seconds.
    pub setup_s: f64,
}
