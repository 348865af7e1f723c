//! The metric catalogue: every CloudWatch metric sagescale knows, defined once.
//!
//! Each entry gives the namespace, the name (and the names users may also write, such as
//! Application Auto Scaling's predefined metric types), the dimensions it is published
//! with, the default statistic and period, the unit, and **what one value measures**: one model
//! container, one inference-component copy, one instance, the whole variant or the whole
//! endpoint. Policy validation and compilation, the daemon's `GetMetricData` queries (built
//! from what the policy compiler resolves here), the IAM generator and the simulator's
//! emulation all read this table; docs/metrics.md lists it with each metric's AWS source.
//!
//! The simulator emulates each entry by its [`Known`] id, with a `match` that names every id,
//! so a metric added here cannot be forgotten there.

use crate::query::Statistic;

/// `AWS/SageMaker`: invocation, latency, async and serverless metrics.
pub const SAGEMAKER: &str = "AWS/SageMaker";
/// `/aws/sagemaker/Endpoints`: instance utilisation metrics.
pub const ENDPOINTS: &str = "/aws/sagemaker/Endpoints";
/// `/aws/sagemaker/InferenceComponents`: inference-component copy utilisation metrics.
pub const INFERENCE_COMPONENTS: &str = "/aws/sagemaker/InferenceComponents";

/// The dimensions a metric is published with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `EndpointName`, `VariantName`.
    Variant,
    /// `EndpointName` (asynchronous endpoints' backlog metrics).
    Endpoint,
    /// `InferenceComponentName`.
    InferenceComponent,
}

/// What one value of a metric measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measures {
    /// One model container (a single-model real-time variant runs one per instance); the
    /// `Maximum` statistic is the busiest container's.
    PerContainer,
    /// One inference-component copy.
    PerCopy,
    /// One instance: a total divided by the instance count, or an average over instances.
    PerInstance,
    /// The whole variant: a total over its instances (counts), or a figure over all its
    /// requests (latencies, ratios).
    Variant,
    /// The whole endpoint (asynchronous endpoints' queue).
    Endpoint,
    /// The whole inference component, over all its copies.
    InferenceComponent,
}

impl Measures {
    /// Whether one value is one unit of capacity's share, not the whole target's: reading it
    /// as the target's total load under-counts by the capacity in service.
    #[must_use]
    pub fn is_per_unit(self) -> bool {
        matches!(self, Self::PerContainer | Self::PerCopy | Self::PerInstance)
    }

    /// The words for it, for messages and docs.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::PerContainer => "one model container",
            Self::PerCopy => "one inference-component copy",
            Self::PerInstance => "one instance",
            Self::Variant => "the whole variant",
            Self::Endpoint => "the whole endpoint",
            Self::InferenceComponent => "the whole inference component",
        }
    }
}

/// A metric's unit, as CloudWatch reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A count (requests, errors, models, a 0/1 flag).
    Count,
    /// Microseconds.
    Microseconds,
    /// Seconds.
    Seconds,
    /// Percent (utilisation: 0-100 per core or GPU, summed over them).
    Percent,
    /// A ratio from 0 to 1.
    Ratio,
}

impl Unit {
    /// The unit's name in docs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Microseconds => "Microseconds",
            Self::Seconds => "Seconds",
            Self::Percent => "Percent",
            Self::Ratio => "None (0-1)",
        }
    }
}

/// Every metric in the catalogue, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Known {
    /// `Invocations`.
    Invocations,
    /// `InvocationsPerInstance`.
    InvocationsPerInstance,
    /// `ModelLatency`.
    ModelLatency,
    /// `OverheadLatency`.
    OverheadLatency,
    /// `Invocation4XXErrors`.
    Invocation4XXErrors,
    /// `Invocation5XXErrors`.
    Invocation5XXErrors,
    /// `ConcurrentRequestsPerModel`.
    ConcurrentRequestsPerModel,
    /// `ModelCacheHit`.
    ModelCacheHit,
    /// `ModelLoadingWaitTime`.
    ModelLoadingWaitTime,
    /// `LoadedModelCount`.
    LoadedModelCount,
    /// `ServerlessProvisionedConcurrencyUtilization`.
    PcUtilization,
    /// `ServerlessProvisionedConcurrencyExecutions`.
    PcExecutions,
    /// `ServerlessProvisionedConcurrencyInvocations`.
    PcInvocations,
    /// `ServerlessProvisionedConcurrencySpilloverInvocations`.
    PcSpilloverInvocations,
    /// `ServerlessConcurrentExecutionsUtilization`.
    ConcurrentExecutionsUtilization,
    /// `ModelSetupTime`.
    ModelSetupTime,
    /// `ApproximateBacklogSize`.
    ApproximateBacklogSize,
    /// `ApproximateBacklogSizePerInstance`.
    ApproximateBacklogSizePerInstance,
    /// `ApproximateAgeOfOldestRequest`.
    ApproximateAgeOfOldestRequest,
    /// `HasBacklogWithoutCapacity`.
    HasBacklogWithoutCapacity,
    /// `InvocationsPerCopy`.
    InvocationsPerCopy,
    /// `ConcurrentRequestsPerCopy`.
    ConcurrentRequestsPerCopy,
    /// `NoCapacityInvocationFailures`.
    NoCapacityInvocationFailures,
    /// `CPUUtilization` (instances).
    CpuUtilization,
    /// `MemoryUtilization` (instances).
    MemoryUtilization,
    /// `GPUUtilization` (instances).
    GpuUtilization,
    /// `GPUMemoryUtilization` (instances).
    GpuMemoryUtilization,
    /// `DiskUtilization` (instances).
    DiskUtilization,
    /// `CPUUtilizationNormalized` (inference-component copies).
    IcCpuUtilizationNormalized,
    /// `GPUUtilizationNormalized` (inference-component copies).
    IcGpuUtilizationNormalized,
    /// `GPUMemoryUtilizationNormalized` (inference-component copies).
    IcGpuMemoryUtilizationNormalized,
    /// `CPUMemoryUtilizationNormalized` (inference-component copies).
    IcCpuMemoryUtilizationNormalized,
}

/// One metric's definition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricDef {
    /// The id the simulator emulates it by.
    pub id: Known,
    /// The CloudWatch metric name.
    pub name: &'static str,
    /// Other names a policy file may write for it (Application Auto Scaling's predefined
    /// metric types).
    pub aliases: &'static [&'static str],
    /// The CloudWatch namespace.
    pub namespace: &'static str,
    /// The dimensions it is published with.
    pub scope: Scope,
    /// The statistic a policy gets unless it says otherwise.
    pub statistic: Statistic,
    /// The period a policy gets unless it says otherwise, seconds (10: high resolution).
    pub period: u32,
    /// The unit.
    pub unit: Unit,
    /// What one value measures.
    pub measures: Measures,
    /// What it is, in a sentence.
    pub what: &'static str,
    /// The AWS page that defines it.
    pub source: &'static str,
}

impl MetricDef {
    /// Whether a policy file may call it `name`.
    #[must_use]
    pub fn answers_to(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }

    /// Whether SageMaker also publishes this variant metric per inference component, with the
    /// `InferenceComponentName` dimension alone: one value is then the whole component's, over
    /// all its copies (see [`PER_COMPONENT`]).
    #[must_use]
    pub fn per_component(&self) -> bool {
        self.scope == Scope::Variant && PER_COMPONENT.contains(&self.id)
    }
}

/// The invocation metrics SageMaker also publishes per inference component
/// (`InferenceComponentName`): on an endpoint that hosts components, its invocation metrics
/// carry that dimension (AWS's enhanced-metrics page names the `AWS/SageMaker` invocation
/// metrics of components, down to `ContainerId`; a public script that reads them notes that the
/// `EndpointName, VariantName` ones of such an endpoint carry data only with an `InstanceId`).
/// docs/metrics.md gives the sources.
pub const PER_COMPONENT: &[Known] = &[
    Known::Invocations,
    Known::ModelLatency,
    Known::OverheadLatency,
];

const MONITORING: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html";
const ASYNC: &str = "https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html";
const SERVERLESS: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-monitoring.html";
const MULTI_MODEL: &str =
    "https://docs.aws.amazon.com/sagemaker/latest/dg/multi-model-endpoint-cloudwatch-metrics.html";

#[allow(clippy::too_many_arguments)]
const fn def(
    id: Known,
    name: &'static str,
    aliases: &'static [&'static str],
    namespace: &'static str,
    scope: Scope,
    statistic: Statistic,
    period: u32,
    unit: Unit,
    measures: Measures,
    what: &'static str,
    source: &'static str,
) -> MetricDef {
    MetricDef {
        id,
        name,
        aliases,
        namespace,
        scope,
        statistic,
        period,
        unit,
        measures,
        what,
        source,
    }
}

use Measures as M;
use Scope as S;
use Statistic as St;

/// The catalogue, one metric a line.
#[rustfmt::skip]
pub const CATALOGUE: &[MetricDef] = &[
    def(Known::Invocations, "Invocations", &[], SAGEMAKER, S::Variant, St::Sum, 60, Unit::Count, M::Variant,
        "InvokeEndpoint requests sent to the variant.", MONITORING),
    def(Known::InvocationsPerInstance, "InvocationsPerInstance", &["SageMakerVariantInvocationsPerInstance"], SAGEMAKER, S::Variant, St::Sum, 60, Unit::Count, M::PerInstance,
        "Invocations normalised by the variant's instance count: each request adds 1/instances.", MONITORING),
    def(Known::ModelLatency, "ModelLatency", &[], SAGEMAKER, S::Variant, St::Average, 60, Unit::Microseconds, M::Variant,
        "Time the model container took to answer, as SageMaker sees it, over the variant's requests.", MONITORING),
    def(Known::OverheadLatency, "OverheadLatency", &[], SAGEMAKER, S::Variant, St::Average, 60, Unit::Microseconds, M::Variant,
        "SageMaker's own overhead added to a request, over the variant's requests.", MONITORING),
    def(Known::Invocation4XXErrors, "Invocation4XXErrors", &[], SAGEMAKER, S::Variant, St::Sum, 60, Unit::Count, M::Variant,
        "Requests the model answered with a 4xx status.", MONITORING),
    def(Known::Invocation5XXErrors, "Invocation5XXErrors", &[], SAGEMAKER, S::Variant, St::Sum, 60, Unit::Count, M::Variant,
        "Requests the model answered with a 5xx status.", MONITORING),
    def(Known::ConcurrentRequestsPerModel, "ConcurrentRequestsPerModel", &["SageMakerVariantConcurrentRequestsPerModelHighResolution"], SAGEMAKER, S::Variant, St::Maximum, 10, Unit::Count, M::PerContainer,
        "In-flight requests of one model container, queued ones included (high resolution).", MONITORING),
    def(Known::ModelCacheHit, "ModelCacheHit", &[], SAGEMAKER, S::Variant, St::Average, 60, Unit::Ratio, M::Variant,
        "Multi-model: share of requests whose model was already loaded.", MULTI_MODEL),
    def(Known::ModelLoadingWaitTime, "ModelLoadingWaitTime", &[], SAGEMAKER, S::Variant, St::Average, 60, Unit::Microseconds, M::Variant,
        "Multi-model: how long a request waited for its model to be downloaded and loaded.", MULTI_MODEL),
    def(Known::LoadedModelCount, "LoadedModelCount", &[], SAGEMAKER, S::Variant, St::Average, 60, Unit::Count, M::PerInstance,
        "Multi-model: models loaded in the containers, published per instance.", MULTI_MODEL),
    def(Known::PcUtilization, "ServerlessProvisionedConcurrencyUtilization", &["SageMakerVariantProvisionedConcurrencyUtilization"], SAGEMAKER, S::Variant, St::Average, 60, Unit::Ratio, M::Variant,
        "Serverless: busy share of the provisioned concurrency.", SERVERLESS),
    def(Known::PcExecutions, "ServerlessProvisionedConcurrencyExecutions", &[], SAGEMAKER, S::Variant, St::Maximum, 60, Unit::Count, M::Variant,
        "Serverless: concurrent executions served by provisioned concurrency.", SERVERLESS),
    def(Known::PcInvocations, "ServerlessProvisionedConcurrencyInvocations", &[], SAGEMAKER, S::Variant, St::Sum, 60, Unit::Count, M::Variant,
        "Serverless: requests served by provisioned concurrency.", SERVERLESS),
    def(Known::PcSpilloverInvocations, "ServerlessProvisionedConcurrencySpilloverInvocations", &[], SAGEMAKER, S::Variant, St::Sum, 60, Unit::Count, M::Variant,
        "Serverless: requests that found the provisioned concurrency busy and ran on demand.", SERVERLESS),
    def(Known::ConcurrentExecutionsUtilization, "ServerlessConcurrentExecutionsUtilization", &[], SAGEMAKER, S::Variant, St::Average, 60, Unit::Ratio, M::Variant,
        "Serverless: concurrent executions over MaxConcurrency.", SERVERLESS),
    def(Known::ModelSetupTime, "ModelSetupTime", &[], SAGEMAKER, S::Variant, St::Average, 60, Unit::Microseconds, M::Variant,
        "Serverless: time to launch new compute (a cold start).", SERVERLESS),
    def(Known::ApproximateBacklogSize, "ApproximateBacklogSize", &[], SAGEMAKER, S::Endpoint, St::Average, 60, Unit::Count, M::Endpoint,
        "Async: requests queued or being processed.", ASYNC),
    def(Known::ApproximateBacklogSizePerInstance, "ApproximateBacklogSizePerInstance", &[], SAGEMAKER, S::Endpoint, St::Average, 60, Unit::Count, M::PerInstance,
        "Async: the backlog divided by the instance count.", ASYNC),
    def(Known::ApproximateAgeOfOldestRequest, "ApproximateAgeOfOldestRequest", &[], SAGEMAKER, S::Endpoint, St::Maximum, 60, Unit::Seconds, M::Endpoint,
        "Async: age of the oldest request in the queue.", ASYNC),
    def(Known::HasBacklogWithoutCapacity, "HasBacklogWithoutCapacity", &[], SAGEMAKER, S::Endpoint, St::Average, 60, Unit::Count, M::Endpoint,
        "Async: 1 when requests are queued and no instance runs, else 0.", ASYNC),
    def(Known::InvocationsPerCopy, "InvocationsPerCopy", &["SageMakerInferenceComponentInvocationsPerCopy"], SAGEMAKER, S::InferenceComponent, St::Sum, 60, Unit::Count, M::PerCopy,
        "Inference component: invocations normalised by its copy count.", MONITORING),
    def(Known::ConcurrentRequestsPerCopy, "ConcurrentRequestsPerCopy", &["SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"], SAGEMAKER, S::InferenceComponent, St::Maximum, 10, Unit::Count, M::PerCopy,
        "Inference component: in-flight requests of one copy (high resolution).", MONITORING),
    def(Known::NoCapacityInvocationFailures, "NoCapacityInvocationFailures", &[], SAGEMAKER, S::InferenceComponent, St::Sum, 60, Unit::Count, M::InferenceComponent,
        "Inference component: requests that failed because it had no copy (the wake-from-zero signal).", MONITORING),
    def(Known::CpuUtilization, "CPUUtilization", &[], ENDPOINTS, S::Variant, St::Average, 60, Unit::Percent, M::PerInstance,
        "CPU use of an instance's containers, summed over cores (0-100 per core), averaged over instances.", MONITORING),
    def(Known::MemoryUtilization, "MemoryUtilization", &[], ENDPOINTS, S::Variant, St::Average, 60, Unit::Percent, M::PerInstance,
        "Memory use of an instance's containers, averaged over instances.", MONITORING),
    def(Known::GpuUtilization, "GPUUtilization", &[], ENDPOINTS, S::Variant, St::Average, 60, Unit::Percent, M::PerInstance,
        "GPU use of an instance's containers, summed over GPUs (0-100 per GPU), averaged over instances.", MONITORING),
    def(Known::GpuMemoryUtilization, "GPUMemoryUtilization", &[], ENDPOINTS, S::Variant, St::Average, 60, Unit::Percent, M::PerInstance,
        "GPU memory use of an instance's containers, averaged over instances.", MONITORING),
    def(Known::DiskUtilization, "DiskUtilization", &[], ENDPOINTS, S::Variant, St::Average, 60, Unit::Percent, M::PerInstance,
        "Disk use of an instance's containers, averaged over instances.", MONITORING),
    def(Known::IcCpuUtilizationNormalized, "CPUUtilizationNormalized", &[], INFERENCE_COMPONENTS, S::InferenceComponent, St::Average, 60, Unit::Percent, M::PerCopy,
        "Inference component: a copy's CPU use over the CPUs it reserved.", MONITORING),
    def(Known::IcGpuUtilizationNormalized, "GPUUtilizationNormalized", &[], INFERENCE_COMPONENTS, S::InferenceComponent, St::Average, 60, Unit::Percent, M::PerCopy,
        "Inference component: a copy's GPU use over the GPUs it reserved.", MONITORING),
    def(Known::IcGpuMemoryUtilizationNormalized, "GPUMemoryUtilizationNormalized", &[], INFERENCE_COMPONENTS, S::InferenceComponent, St::Average, 60, Unit::Percent, M::PerCopy,
        "Inference component: a copy's GPU memory use over what it reserved.", MONITORING),
    def(Known::IcCpuMemoryUtilizationNormalized, "CPUMemoryUtilizationNormalized", &[], INFERENCE_COMPONENTS, S::InferenceComponent, St::Average, 60, Unit::Percent, M::PerCopy,
        "Inference component: a copy's memory use over what it reserved.", MONITORING),
];

/// The metric a policy file names (CloudWatch's name or an alias), if the catalogue has it.
#[must_use]
pub fn by_name(name: &str) -> Option<&'static MetricDef> {
    CATALOGUE.iter().find(|d| d.answers_to(name))
}

/// The catalogue entry for a CloudWatch metric, by namespace and name.
#[must_use]
pub fn lookup(namespace: &str, name: &str) -> Option<&'static MetricDef> {
    CATALOGUE
        .iter()
        .find(|d| d.namespace == namespace && d.name == name)
}

/// Every name a policy file may use, CloudWatch's first.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|d| d.name)
}

/// The catalogue as a Markdown table, one metric a row: docs/metrics.md holds exactly this
/// (a test checks), so the docs cannot drift from the code.
#[must_use]
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| metric | also written | namespace | dimensions | statistic | period | unit | one value measures | what |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for d in CATALOGUE {
        let dims = match d.scope {
            Scope::Variant if d.per_component() => {
                "EndpointName, VariantName; or InferenceComponentName (the whole component)"
            }
            Scope::Variant => "EndpointName, VariantName",
            Scope::Endpoint => "EndpointName",
            Scope::InferenceComponent => "InferenceComponentName",
        };
        let aliases: Vec<String> = d.aliases.iter().map(|a| format!("`{a}`")).collect();
        out.push_str(&format!(
            "| [`{}`]({}) | {} | `{}` | {} | {} | {} s | {} | {} | {} |\n",
            d.name,
            d.source,
            aliases.join(", "),
            d.namespace,
            dims,
            d.statistic,
            d.period,
            d.unit.name(),
            d.measures.describe(),
            d.what
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_defined_once_under_each_name() {
        let mut seen = std::collections::HashSet::new();
        for d in CATALOGUE {
            assert!(seen.insert((d.namespace, d.name)), "{} twice", d.name);
            for a in d.aliases {
                assert!(by_name(a).is_some_and(|x| x.id == d.id), "alias {a}");
            }
        }
        let ids: std::collections::HashSet<_> = CATALOGUE.iter().map(|d| d.id).collect();
        assert_eq!(ids.len(), CATALOGUE.len(), "an id names two metrics");
    }

    #[test]
    fn concurrency_is_per_container_at_high_resolution_and_invocations_a_variant_total() {
        let c = by_name("SageMakerVariantConcurrentRequestsPerModelHighResolution").unwrap();
        assert_eq!(
            (c.name, c.measures, c.period, c.statistic),
            (
                "ConcurrentRequestsPerModel",
                Measures::PerContainer,
                10,
                Statistic::Maximum
            )
        );
        assert!(c.measures.is_per_unit());
        let i = by_name("Invocations").unwrap();
        assert_eq!(i.measures, Measures::Variant);
        assert!(!i.measures.is_per_unit());
        assert!(by_name("InvocationsPerInstance")
            .unwrap()
            .measures
            .is_per_unit());
    }

    #[test]
    fn periods_are_cloudwatch_periods() {
        for d in CATALOGUE {
            assert!(
                d.period == 10 || d.period == 60,
                "{}: {} s",
                d.name,
                d.period
            );
        }
    }
}
