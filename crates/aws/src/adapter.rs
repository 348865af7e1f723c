//! The daemon's ports, implemented on the AWS SDK.

use std::sync::Arc;

use super::actuator;
use super::capacity::CapacityReader;
use super::clients::at_endpoint;
use super::metric_source::{self, QueryPlan};
use super::retry::RetryPolicy;
use super::AwsClients;
use sagescale_core::ports::{Actuator, CapacitySource, MetricSource};
use sagescale_core::{
    CallError, CallObserver, CapacityError, FetchReport, OwnDatum, ReadCalls, TargetCapacity,
    VariantWeight,
};
use sagescale_engine::{Capacity, ScalableDimension, Seconds, Timestamp};
use sagescale_metrics::{MetricQuery, ObservationSet};

/// AWS behind the daemon's ports.
pub struct Aws {
    /// The SDK clients.
    pub clients: AwsClients,
    /// Retriers around every call.
    pub retry: RetryPolicy,
    /// Where each attempt is reported.
    pub observer: Arc<dyn CallObserver>,
    /// How far behind now metric windows end.
    pub lag: Seconds,
    plan: QueryPlan,
    reader: CapacityReader,
    /// Endpoints whose weights sagescale changed: described afresh on the next read.
    changed: std::sync::Mutex<Vec<String>>,
}

impl Aws {
    /// Wrap `clients`.
    #[must_use]
    pub fn new(
        clients: AwsClients,
        retry: RetryPolicy,
        observer: Arc<dyn CallObserver>,
        lag: Seconds,
        capacity_refresh: Seconds,
    ) -> Self {
        let mut reader = CapacityReader::new();
        reader.refresh_seconds = i64::from(capacity_refresh.0);
        Self {
            clients,
            retry,
            observer,
            lag,
            plan: QueryPlan::default(),
            reader,
            changed: std::sync::Mutex::default(),
        }
    }

    /// The query plan in force.
    #[must_use]
    pub fn plan(&self) -> &QueryPlan {
        &self.plan
    }
}

impl MetricSource for Aws {
    fn prepare(&mut self, metrics: &[MetricQuery], history: &[u32]) {
        self.plan = QueryPlan::build(metrics, history);
    }

    async fn fetch(&mut self, now: Timestamp, out: &mut ObservationSet) -> FetchReport {
        let mut report = metric_source::fetch(
            &self.clients.cloudwatch,
            &self.retry,
            self.observer.as_ref(),
            &self.plan,
            now,
            self.lag,
            out,
        )
        .await;
        let at = &self.clients.endpoints.cloudwatch;
        report.failures = report
            .failures
            .into_iter()
            .map(|e| at_endpoint(e, at))
            .collect();
        report
    }

    fn calls_per_fetch(&self) -> usize {
        self.plan.batches.len()
    }
}

impl CapacitySource for Aws {
    async fn read(
        &mut self,
        targets: &[(String, ScalableDimension)],
        now: Timestamp,
    ) -> (Vec<Result<TargetCapacity, CapacityError>>, ReadCalls) {
        let changed = std::mem::take(
            &mut *self
                .changed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for endpoint in &changed {
            self.reader.forget(endpoint);
        }
        let (results, calls) = self
            .reader
            .read(
                &self.clients.sagemaker,
                &self.clients.autoscaling,
                &self.retry,
                self.observer.as_ref(),
                targets,
                now,
            )
            .await;
        let endpoints = &self.clients.endpoints;
        let results = results
            .into_iter()
            .map(|r| {
                r.map_err(|e| match e {
                    CapacityError::Call { operation, error } => CapacityError::Call {
                        operation,
                        error: at_endpoint(error, endpoints.of_operation(operation)),
                    },
                    other => other,
                })
            })
            .collect();
        (results, calls)
    }
}

impl Actuator for Aws {
    async fn register(
        &self,
        resource_id: &str,
        dimension: ScalableDimension,
        min: Capacity,
        max: Capacity,
    ) -> Result<u32, CallError> {
        actuator::register(
            &self.clients.autoscaling,
            &self.retry,
            self.observer.as_ref(),
            resource_id,
            dimension,
            min,
            max,
        )
        .await
        .map_err(|e| at_endpoint(e, &self.clients.endpoints.application_autoscaling))
    }

    async fn set_weights(
        &self,
        endpoint: &str,
        variants: &[VariantWeight],
    ) -> Result<u32, CallError> {
        let r = actuator::set_weights(
            &self.clients.sagemaker,
            &self.retry,
            self.observer.as_ref(),
            endpoint,
            variants,
        )
        .await
        .map_err(|e| at_endpoint(e, &self.clients.endpoints.sagemaker));
        // Whatever the outcome, read the endpoint afresh: the guard moves on only on what
        // SageMaker reports.
        self.changed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(endpoint.to_string());
        r
    }

    async fn publish(&self, at: Timestamp, data: &[OwnDatum]) -> Result<u32, CallError> {
        actuator::publish(
            &self.clients.cloudwatch,
            &self.retry,
            self.observer.as_ref(),
            at,
            data,
        )
        .await
        .map_err(|e| at_endpoint(e, &self.clients.endpoints.cloudwatch))
    }
}
