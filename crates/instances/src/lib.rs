//! Built-in SageMaker instance types: size, hourly price and default provisioning delay, and
//! how many copies of an inference component one instance holds.
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
    /// Accelerator devices (GPUs, Inferentia chips), as an inference component's
    /// `NumberOfAcceleratorDevicesRequired` counts them.
    pub accelerators: u32,
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
        accelerators: 0,
    }
}

const fn gpu(
    name: &'static str,
    accelerators: u32,
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
        accelerators,
    }
}

/// The table. Accelerator counts are AWS's instance-type pages' (one A10G on a g5.xlarge, four
/// on a g5.12xlarge, eight A100s on a p4d.24xlarge, one Inferentia2 chip on an inf2.xlarge or
/// inf2.8xlarge).
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
    gpu("ml.g4dn.xlarge", 1, 4, 16, 0.736, 200.0),
    gpu("ml.g4dn.12xlarge", 4, 48, 192, 4.89, 381.0),
    gpu("ml.g5.xlarge", 1, 4, 16, 1.408, 240.0),
    gpu("ml.g5.2xlarge", 1, 8, 32, 1.515, 240.0),
    gpu("ml.g5.12xlarge", 4, 48, 192, 7.09, 381.0),
    gpu("ml.g5.48xlarge", 8, 192, 768, 20.36, 525.0),
    gpu("ml.g6.xlarge", 1, 4, 16, 1.0064, 240.0),
    gpu("ml.g6.2xlarge", 1, 8, 32, 1.222, 240.0),
    gpu("ml.g6.12xlarge", 4, 48, 192, 5.752, 381.0),
    gpu("ml.inf2.xlarge", 1, 4, 16, 0.99, 200.0),
    gpu("ml.inf2.8xlarge", 1, 32, 128, 2.36, 240.0),
    gpu("ml.p4d.24xlarge", 8, 96, 1152, 37.688, 525.0),
];

/// Look up a type by name.
#[must_use]
pub fn instance_type(name: &str) -> Option<&'static InstanceType> {
    INSTANCE_TYPES.iter().find(|t| t.name == name)
}

/// What one copy of an inference component reserves: its `ComputeResourceRequirements`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CopyNeed {
    /// `NumberOfAcceleratorDevicesRequired` (0: none).
    pub accelerators: f64,
    /// `NumberOfCpuCoresRequired` (0: not given).
    pub cpu_cores: f64,
    /// `MinMemoryRequiredInMb`.
    pub memory_mib: f64,
}

/// The resource that bounds the copies on an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Accelerator devices.
    Accelerators,
    /// CPU cores.
    CpuCores,
    /// Memory.
    Memory,
}

impl Limit {
    /// How a `plan` names it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Accelerators => "accelerators",
            Self::CpuCores => "CPU cores",
            Self::Memory => "memory",
        }
    }
}

impl CopyNeed {
    fn resources(&self) -> [f64; 3] {
        [self.accelerators, self.cpu_cores, self.memory_mib]
    }
}

const LIMITS: [Limit; 3] = [Limit::Accelerators, Limit::CpuCores, Limit::Memory];

/// How many `need`s fit in `have` (accelerators, CPU cores, MiB), and which resource runs out
/// first.
fn fit(have: [f64; 3], need: &CopyNeed) -> (u32, Limit) {
    let mut best = (u32::MAX, Limit::Memory);
    for ((have, want), limit) in have.into_iter().zip(need.resources()).zip(LIMITS) {
        if want > 0.0 {
            // A hair of slack so that 4 / (4/3) is 3, not 2.999…
            let n = (have / want + 1e-9).floor().clamp(0.0, f64::from(u32::MAX)) as u32;
            if n < best.0 {
                best = (n, limit);
            }
        }
    }
    best
}

impl InstanceType {
    fn resources(&self) -> [f64; 3] {
        [
            f64::from(self.accelerators),
            f64::from(self.vcpus),
            f64::from(self.memory_gib) * 1024.0,
        ]
    }

    /// How many copies needing `need` one instance of this type holds, and which resource runs
    /// out first. An upper bound: SageMaker keeps some of an instance's CPU and memory for its
    /// own agents and does not say how much, so the real figure can be lower on CPU and memory;
    /// accelerators are whole devices and exact.
    #[must_use]
    pub fn copies_fit(&self, need: &CopyNeed) -> (u32, Limit) {
        fit(self.resources(), need)
    }

    /// How many copies needing `need` `instances` of this type hold beside `others` (each
    /// another component's need and its copies), and which resource runs out first. The
    /// others' reservations come off the instances' total; the result never exceeds what the
    /// instances would hold alone. An upper bound still: a copy cannot span instances, so the
    /// gaps the others leave on each instance may be too small for one copy.
    #[must_use]
    pub fn copies_fit_beside(
        &self,
        instances: u32,
        need: &CopyNeed,
        others: &[(CopyNeed, u32)],
    ) -> (u32, Limit) {
        let (per, alone_limit) = self.copies_fit(need);
        let alone = per.saturating_mul(instances);
        let mut free = self.resources().map(|r| r * f64::from(instances));
        for (n, copies) in others {
            for (f, r) in free.iter_mut().zip(n.resources()) {
                *f -= r * f64::from(*copies);
            }
        }
        let (shared, limit) = fit(free.map(|f| f.max(0.0)), need);
        if shared < alone {
            (shared, limit)
        } else {
            (alone, alone_limit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(accelerators: f64, cpu_cores: f64, memory_mib: f64) -> CopyNeed {
        CopyNeed {
            accelerators,
            cpu_cores,
            memory_mib,
        }
    }

    #[test]
    fn the_scarcest_resource_bounds_the_copies() {
        let g5_12 = instance_type("ml.g5.12xlarge").unwrap();
        // One GPU each: four GPUs hold four copies, though memory would hold far more.
        assert_eq!(
            g5_12.copies_fit(&need(1.0, 2.0, 8192.0)),
            (4, Limit::Accelerators)
        );
        // Two GPUs each: two.
        assert_eq!(g5_12.copies_fit(&need(2.0, 0.0, 1024.0)).0, 2);
        // 100 GiB each: 192 GiB holds one, before the GPUs run out.
        assert_eq!(
            g5_12.copies_fit(&need(1.0, 0.0, 100.0 * 1024.0)),
            (1, Limit::Memory)
        );
        // 16 cores each on 48 vCPUs: three.
        assert_eq!(
            g5_12.copies_fit(&need(0.0, 16.0, 1024.0)),
            (3, Limit::CpuCores)
        );
        // A GPU model on a CPU instance: none.
        let m5 = instance_type("ml.m5.xlarge").unwrap();
        assert_eq!(
            m5.copies_fit(&need(1.0, 1.0, 1024.0)),
            (0, Limit::Accelerators)
        );
        // Fractions of a core count exactly: 4 vCPUs hold three copies of 4/3 cores.
        assert_eq!(m5.copies_fit(&need(0.0, 4.0 / 3.0, 128.0)).0, 3);
    }

    #[test]
    fn other_components_copies_take_their_share_first() {
        let g5_12 = instance_type("ml.g5.12xlarge").unwrap();
        let one_gpu = need(1.0, 0.0, 8192.0);
        // Two instances hold 8 one-GPU copies alone.
        assert_eq!(g5_12.copies_fit_beside(2, &one_gpu, &[]).0, 8);
        // Another component holds 3 copies of 2 GPUs: 8 - 6 = 2 GPUs left.
        assert_eq!(
            g5_12.copies_fit_beside(2, &one_gpu, &[(need(2.0, 0.0, 8192.0), 3)]),
            (2, Limit::Accelerators)
        );
        // Others taking everything (or more, mid-change) leave none, never a negative.
        assert_eq!(
            g5_12
                .copies_fit_beside(2, &one_gpu, &[(need(1.0, 0.0, 1024.0), 9)])
                .0,
            0
        );
        // A CPU-only neighbour takes no GPU: the memory it takes is what bounds.
        assert_eq!(
            g5_12.copies_fit_beside(1, &one_gpu, &[(need(0.0, 4.0, 180.0 * 1024.0), 1)]),
            (1, Limit::Memory)
        );
    }

    #[test]
    fn every_accelerated_type_has_devices_and_no_cpu_type_has_any() {
        for t in INSTANCE_TYPES {
            assert_eq!(t.accelerated, t.accelerators > 0, "{}", t.name);
        }
    }
}
