//! A scenario's `[inference_components]`: one endpoint whose models are inference components
//! sharing its instances through managed instance scaling, and the measured delays of its
//! two levels of capacity.
//!
//! The delays, from AWS's own measurements (docs/simulator.md, "Inference components"):
//! - A new instance, end to end (launch, container image pull, model download, load): 525 s
//!   for Qwen3-8B on ml.g6.2xlarge with the LMI container, 258 s with container caching
//!   ("Introducing container caching in Amazon SageMaker AI for faster model scaling", AWS
//!   Machine Learning Blog, 2026-06-16). Container caching is on by default, as on SageMaker.
//! - A copy on an instance in service: AWS publishes no figure. The same post's breakdown
//!   gives the weights' load as about 47 s past the 134 s of an instance with a cached image
//!   and no weights; 60 s (container start and load, the image and artifacts already on the
//!   instance through inference-component data caching) is taken. `copy_s` overrides it.

use schemars::JsonSchema;
use serde::Deserialize;

use super::ic_pool::{PoolSpec, ScaleIn};
use super::scenario::{target, SimTarget, SimTargetDoc};
use sagescale_files::diagnostic::{child, item};
use sagescale_instances::instance_type;

/// A new instance with its first copies, end to end, without container caching, seconds.
pub const INSTANCE_UNCACHED_S: f64 = 525.0;
/// The same with container caching, seconds.
pub const INSTANCE_CACHED_S: f64 = 258.0;
/// A copy placed on an instance in service, seconds.
pub const COPY_S: f64 = 60.0;

/// `[inference_components]` in a scenario file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IcEndpointDoc {
    /// The endpoint's name.
    pub endpoint: String,
    /// Its instance type (from the built-in table: accelerators, price).
    pub instance_type: String,
    /// Managed instance scaling's `MinInstanceCount`. Default 0.
    #[serde(default)]
    pub min_instances: Option<u32>,
    /// Managed instance scaling's `MaxInstanceCount`.
    pub max_instances: u32,
    /// Container caching (SageMaker's default for accelerator instances): a new instance takes
    /// 258 s end to end rather than 525 s. Default true.
    #[serde(default)]
    pub container_caching: Option<bool>,
    /// Seconds from launching an instance to its copies serving, end to end (median).
    /// Default: the measured figure for the caching setting.
    #[serde(default)]
    pub instance_s: Option<f64>,
    /// Seconds from placing a copy on an instance in service to its serving (median).
    /// Default 60.
    #[serde(default)]
    pub copy_s: Option<f64>,
    /// Log-normal shape of both delays. Default 0.35.
    #[serde(default)]
    pub provisioning_sigma: Option<f64>,
    /// Managed instance scaling's `ScaleInPolicy`. Default: `IDLE_RELEASE`.
    #[serde(default)]
    pub scale_in: Option<ScaleInDoc>,
    /// The comparison's "one endpoint per model": each model alone on instances of this type
    /// (one copy per instance, at least one instance, as a real-time endpoint without
    /// components). Default: the endpoint's type.
    #[serde(default)]
    pub dedicated_instance_type: Option<String>,
    /// The models, one component each: a trace series, the copy's latency, concurrency and
    /// accelerators, bounds in copies (min 0 allowed) and the SLO.
    pub components: Vec<SimTargetDoc>,
}

/// `[inference_components.scale_in]`: managed instance scaling's `ScaleInPolicy` (its fields
/// in snake case, its strategies as the API spells them).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleInDoc {
    /// `IDLE_RELEASE` (release instances that host no copy) or `CONSOLIDATION` (also move
    /// copies onto fewer instances to release more).
    pub strategy: String,
    /// Quiet minutes after the last endpoint operation before consolidating, 5 to 1440.
    /// Default 20. `CONSOLIDATION` only.
    #[serde(default)]
    pub cooldown_in_minutes: Option<u32>,
    /// Instances one consolidation may empty, 1 to 100. Default 1. `CONSOLIDATION` only.
    #[serde(default)]
    pub maximum_step_size: Option<u32>,
}

/// An inference-component endpoint, resolved.
#[derive(Clone, Debug)]
pub struct IcEndpoint {
    /// The endpoint's name.
    pub name: String,
    /// Its instances and delays.
    pub pool: PoolSpec,
    /// Each model alone on its own endpoint: the pool one model's copies get.
    pub dedicated: PoolSpec,
    /// Whether container caching is on.
    pub container_caching: bool,
    /// The components: each copy's fleet (`fleet` is one copy; `min`, `max`, `initial` count
    /// copies), its series and SLO.
    pub components: Vec<SimTarget>,
    /// Accelerators one copy of each component needs.
    pub accelerators: Vec<u32>,
}

/// `[inference_components]` at field path `p`, checked; the components' series are resolved
/// with the trace. `None` (and errors given to `err`) if it does not hold.
pub(crate) fn ic_endpoint(
    d: &IcEndpointDoc,
    p: &str,
    err: &mut impl FnMut(&str, String),
) -> Option<(IcEndpoint, Vec<Option<String>>)> {
    let known = instance_type(&d.instance_type);
    let accel = known.map_or(0, |k| k.accelerators);
    if known.is_none() {
        err(
            &child(p, "instance_type"),
            format!(
                "`{}` is not in the built-in table: give an `ml.*` accelerator type it knows (`sagescale instance-types`)",
                d.instance_type
            ),
        );
    } else if accel == 0 {
        err(
            &child(p, "instance_type"),
            format!(
                "`{}` has no accelerators: the simulator places copies by accelerator; use a GPU or Inferentia type",
                d.instance_type
            ),
        );
    }
    let min_instances = d.min_instances.unwrap_or(0);
    if d.max_instances == 0 || min_instances > d.max_instances {
        err(
            &child(p, "max_instances"),
            format!(
                "MinInstanceCount {min_instances}, MaxInstanceCount {}: need 1 <= max and min <= max",
                d.max_instances
            ),
        );
    }
    let caching = d.container_caching.unwrap_or(true);
    let instance_s = d.instance_s.unwrap_or(if caching {
        INSTANCE_CACHED_S
    } else {
        INSTANCE_UNCACHED_S
    });
    let copy_s = d.copy_s.unwrap_or(COPY_S);
    let sigma = d.provisioning_sigma.unwrap_or(0.35);
    for (field, v) in [("instance_s", instance_s), ("copy_s", copy_s)] {
        if !(v.is_finite() && v > 0.0) {
            err(&child(p, field), format!("{v}: must be above 0 seconds"));
        }
    }
    if !(sigma.is_finite() && (0.0..=3.0).contains(&sigma)) {
        err(
            &child(p, "provisioning_sigma"),
            format!("{sigma}: must lie between 0 and 3"),
        );
    }
    let scale_in = scale_in(d.scale_in.as_ref(), &child(p, "scale_in"), err);
    if d.components.is_empty() {
        err(
            &child(p, "components"),
            "an endpoint needs at least one component".into(),
        );
    }
    let dedicated_type = d
        .dedicated_instance_type
        .clone()
        .unwrap_or_else(|| d.instance_type.clone());
    let dedicated_known = instance_type(&dedicated_type);
    if dedicated_known.is_none_or(|k| k.accelerators == 0) {
        err(
            &child(p, "dedicated_instance_type"),
            format!("`{dedicated_type}`: give an accelerator type from the built-in table"),
        );
    }
    let mut components = Vec::new();
    let mut accelerators = Vec::new();
    let mut series = Vec::new();
    for (i, c) in d.components.iter().enumerate() {
        let cp = item(&child(p, "components"), i);
        let need = c.accelerators.unwrap_or(1);
        let dedicated_accel = dedicated_known.map_or(0, |k| k.accelerators);
        if need == 0
            || (accel > 0 && need > accel)
            || (dedicated_accel > 0 && need > dedicated_accel)
        {
            err(
                &child(&cp, "accelerators"),
                format!(
                    "{need}: a copy needs 1 to {} accelerators (one {} has {accel}, one {dedicated_type} {dedicated_accel})",
                    accel.min(dedicated_accel).max(1),
                    d.instance_type
                ),
            );
        }
        if d.components[..i].iter().any(|o| o.name == c.name) {
            err(&child(&cp, "name"), format!("`{}` is named twice", c.name));
        }
        if let Some(t) = target(c, &cp, Some(&d.instance_type), err) {
            components.push(t);
            accelerators.push(need);
            series.push(c.series.clone());
        }
    }
    let pool = PoolSpec {
        instance_type: d.instance_type.clone(),
        price_per_hour: known.map_or(0.0, |k| k.price_per_hour),
        accelerators: accel.max(1),
        min_instances,
        max_instances: d.max_instances,
        instance_median_s: instance_s,
        copy_median_s: copy_s,
        sigma,
        scale_in,
    };
    let dedicated = PoolSpec {
        instance_type: dedicated_type,
        price_per_hour: dedicated_known.map_or(0.0, |k| k.price_per_hour),
        accelerators: dedicated_known.map_or(1, |k| k.accelerators.max(1)),
        min_instances: 1,
        max_instances: d.max_instances,
        ..pool.clone()
    };
    let e = IcEndpoint {
        name: d.endpoint.clone(),
        pool,
        dedicated,
        container_caching: caching,
        components,
        accelerators,
    };
    // The baselines are policy files written for the components: their names must make one.
    if e.components.len() == d.components.len() {
        for (k, message) in super::ic_baselines::problems(&e) {
            err(&child(&item(&child(p, "components"), k), "name"), message);
        }
    }
    Some((e, series))
}

/// The scale-in policy at field path `p`, checked against the API's ranges.
fn scale_in(d: Option<&ScaleInDoc>, p: &str, err: &mut impl FnMut(&str, String)) -> ScaleIn {
    let Some(d) = d else {
        return ScaleIn::IdleRelease;
    };
    let cooldown = d.cooldown_in_minutes.unwrap_or(20);
    let step = d.maximum_step_size.unwrap_or(1);
    if !(5..=1440).contains(&cooldown) {
        err(
            &child(p, "cooldown_in_minutes"),
            format!("{cooldown}: SageMaker accepts 5 to 1440 minutes"),
        );
    }
    if !(1..=100).contains(&step) {
        err(
            &child(p, "maximum_step_size"),
            format!("{step}: SageMaker accepts 1 to 100 instances"),
        );
    }
    match d.strategy.as_str() {
        "IDLE_RELEASE" => {
            if d.cooldown_in_minutes.is_some() || d.maximum_step_size.is_some() {
                err(
                    p,
                    "cooldown_in_minutes and maximum_step_size apply to `CONSOLIDATION` only: remove them or set strategy = \"CONSOLIDATION\"".into(),
                );
            }
            ScaleIn::IdleRelease
        }
        "CONSOLIDATION" => ScaleIn::Consolidation {
            cooldown_s: i64::from(cooldown) * 60,
            max_step: step,
        },
        other => {
            err(
                &child(p, "strategy"),
                format!(
                    "`{other}`: SageMaker's strategies are \"IDLE_RELEASE\" and \"CONSOLIDATION\""
                ),
            );
            ScaleIn::IdleRelease
        }
    }
}
