//! Built-in SageMaker instance types: size, hourly price and default provisioning delay.
//!
//! Prices are approximate on-demand list prices for real-time inference in us-east-1, for
//! comparing policies with each other; a scenario can override the price. Provisioning medians
//! follow the measured figures in DESIGN.md §2: P50s of 134–381 s on GPU instances, 525 s for a
//! large LLM image without container caching; CPU instances start faster.

/// One instance type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstanceType {
    /// `ml.*` name.
    pub name: &'static str,
    /// USD per instance-hour.
    pub price_per_hour: f64,
    /// Median seconds from launch to in service.
    pub provisioning_median_s: f64,
    /// Whether it has an accelerator.
    pub accelerated: bool,
    /// vCPUs.
    pub vcpus: u32,
    /// Memory, GiB.
    pub memory_gib: u32,
}

const fn cpu(name: &'static str, vcpus: u32, memory_gib: u32, price_per_hour: f64) -> InstanceType {
    InstanceType {
        name,
        vcpus,
        memory_gib,
        price_per_hour,
        provisioning_median_s: 120.0,
        accelerated: false,
    }
}

const fn gpu(
    name: &'static str,
    vcpus: u32,
    memory_gib: u32,
    price_per_hour: f64,
    provisioning_median_s: f64,
) -> InstanceType {
    InstanceType {
        name,
        vcpus,
        memory_gib,
        price_per_hour,
        provisioning_median_s,
        accelerated: true,
    }
}

/// The table.
pub const INSTANCE_TYPES: &[InstanceType] = &[
    cpu("ml.c5.large", 2, 4, 0.102),
    cpu("ml.c5.xlarge", 4, 8, 0.204),
    cpu("ml.c5.2xlarge", 8, 16, 0.408),
    cpu("ml.c5.4xlarge", 16, 32, 0.816),
    cpu("ml.m5.large", 2, 8, 0.115),
    cpu("ml.m5.xlarge", 4, 16, 0.23),
    cpu("ml.m5.2xlarge", 8, 32, 0.461),
    cpu("ml.m5.4xlarge", 16, 64, 0.922),
    cpu("ml.c6i.xlarge", 4, 8, 0.204),
    cpu("ml.m6i.xlarge", 4, 16, 0.23),
    gpu("ml.g4dn.xlarge", 4, 16, 0.736, 200.0),
    gpu("ml.g5.xlarge", 4, 16, 1.408, 240.0),
    gpu("ml.g5.2xlarge", 8, 32, 1.515, 240.0),
    gpu("ml.g5.12xlarge", 48, 192, 7.09, 381.0),
    gpu("ml.g5.48xlarge", 192, 768, 20.36, 525.0),
    gpu("ml.g6.xlarge", 4, 16, 1.0064, 240.0),
    gpu("ml.g6.2xlarge", 8, 32, 1.222, 240.0),
    gpu("ml.g6.12xlarge", 48, 192, 5.752, 381.0),
    gpu("ml.inf2.xlarge", 4, 16, 0.99, 200.0),
    gpu("ml.inf2.8xlarge", 32, 128, 2.36, 240.0),
    gpu("ml.p4d.24xlarge", 96, 1152, 37.688, 525.0),
];

/// Look up a type by name.
#[must_use]
pub fn instance_type(name: &str) -> Option<&'static InstanceType> {
    INSTANCE_TYPES.iter().find(|t| t.name == name)
}
