//! The baselines of an inference-component comparison, as policy files the compiler reads
//! (so a baseline's semantics are the engine's, as everywhere), one tunable factor each:
//! - `aws-recipe`: AWS's documented set-up for components, target tracking on
//!   `ConcurrentRequestsPerCopy` (10 s; AWS's alarms, 3 of 3 datapoints out, 90 of 90 in,
//!   300 s cooldowns) plus the `NoCapacityInvocationFailures` step that adds a copy at zero
//!   (the built-in wake, `compile.rs`); its target `factor × a copy's concurrency`, AWS's
//!   half-of-capacity guidance at 0.5;
//! - `one-endpoint-per-model`: each model alone on a real-time endpoint, AWS target tracking
//!   on `ConcurrentRequestsPerModel` the same way, never below one instance;
//! - the peers, scaling copies as they scale pods, with their documented defaults (DESIGN
//!   §4; `baselines.rs` has them on endpoints). At zero copies SageMaker offers one signal,
//!   the failed requests, so each wakes through the same step:
//!   - `k8s-hpa`: HPA on `InvocationsPerCopy` as an AverageValue (per copy), 60 s, tolerance
//!     0.1, 300 s scale-down stabilisation, no panic; its target `factor × a copy's requests
//!     a minute at full concurrency`, 0.5 untuned; at least one copy (`minReplicas`);
//!   - `knative-kpa`: KPA on concurrency (`ConcurrentRequestsPerCopy` × copies), 60 s stable
//!     window, a 10 s panic window at 2×, no tolerance or scale-down delay; `factor × a
//!     copy's concurrency`, 0.7 untuned; to zero;
//!   - `keda-cloudwatch`: KEDA's CloudWatch scaler on `InvocationsPerCopy` over its default
//!     300 s, handed to the HPA with its defaults; five minutes of the HPA's target; to zero.

use std::fmt::Write as _;
use std::path::Path;

use super::ic_scenario::IcEndpoint;
use sagescale_policy::PolicySet;

/// A baseline family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// AWS's recipe on the shared endpoint.
    AwsRecipe,
    /// One real-time endpoint per model, AWS target tracking.
    Dedicated,
    /// Kubernetes HPA.
    Hpa,
    /// Knative's KPA.
    Kpa,
    /// KEDA's CloudWatch scaler.
    Keda,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Self; 5] = [
        Self::AwsRecipe,
        Self::Dedicated,
        Self::Hpa,
        Self::Kpa,
        Self::Keda,
    ];

    /// Its row's name, tuned.
    #[must_use]
    pub fn tuned_name(self) -> &'static str {
        match self {
            Self::AwsRecipe => "aws-recipe-tuned",
            Self::Dedicated => "one-endpoint-per-model-tuned",
            Self::Hpa => "k8s-hpa-tuned",
            Self::Kpa => "knative-kpa-tuned",
            Self::Keda => "keda-cloudwatch-tuned",
        }
    }

    /// The factor used untuned.
    #[must_use]
    pub fn default_factor(self) -> f64 {
        match self {
            Self::Kpa => 0.7,
            _ => 0.5,
        }
    }

    /// Whether each model has its own endpoint.
    #[must_use]
    pub fn dedicated(self) -> bool {
        self == Self::Dedicated
    }
}

/// `family` at `factor` for `e`'s components, as a policy file.
#[must_use]
pub fn text(family: Family, e: &IcEndpoint, factor: f64) -> String {
    let mut s = String::new();
    for c in &e.components {
        let r = |x: f64| (x * 1e6).round() / 1e6;
        let concurrency = f64::from(c.fleet.concurrency);
        // A copy's requests a minute at full concurrency.
        let per_minute = c.fleet.max_rps_per_instance() * 60.0;
        let (resource, min, wake) = if family.dedicated() {
            (
                format!("endpoint/{}/variant/AllTraffic", c.name),
                c.min.max(1),
                "",
            )
        } else {
            let min = if family == Family::Hpa {
                c.min.max(1)
            } else {
                c.min
            };
            (
                format!("inference-component/{}", c.name),
                min,
                if min == 0 {
                    "wake_from_zero = true\n"
                } else {
                    ""
                },
            )
        };
        let _ = write!(
            s,
            "[[targets]]\nname = \"{name}\"\nresource_id = \"{resource}\"\nmin = {min}\nmax = {max}\n{wake}\n[[targets.policies]]\nname = \"{kind}\"\n",
            name = c.name,
            max = c.max,
            kind = family.tuned_name().trim_end_matches("-tuned"),
        );
        let _ = match family {
            Family::AwsRecipe | Family::Dedicated => write!(
                s,
                "type = \"target-tracking\"\nmetric = {{ predefined = \"{metric}\" }}\ntarget = {target}\n\
                 scale_out_datapoints = 3\nscale_out_evaluation_periods = 3\n\
                 scale_in_datapoints = 90\nscale_in_evaluation_periods = 90\n\
                 scale_out_cooldown = 300\nscale_in_cooldown = 300\n\n",
                metric = if family.dedicated() {
                    "ConcurrentRequestsPerModel"
                } else {
                    "ConcurrentRequestsPerCopy"
                },
                target = r(factor * concurrency),
            ),
            Family::Hpa => write!(
                s,
                "type = \"burst-aware\"\nmetric = {{ predefined = \"InvocationsPerCopy\" }}\nload = \"per-unit\"\ntarget = {}\n\
                 stable_window_seconds = 60\npanic_threshold = 0\nscale_in_stabilization_seconds = 300\ntolerance = 0.1\n\n",
                r(factor * per_minute),
            ),
            Family::Kpa => write!(
                s,
                "type = \"burst-aware\"\nmetric = {{ predefined = \"ConcurrentRequestsPerCopy\" }}\nload = \"per-unit\"\ntarget = {}\n\
                 stable_window_seconds = 60\npanic_window_seconds = 10\npanic_threshold = 2\nscale_in_stabilization_seconds = 0\ntolerance = 0\n\n",
                r(factor * concurrency),
            ),
            Family::Keda => write!(
                s,
                "type = \"burst-aware\"\nmetric = {{ predefined = \"InvocationsPerCopy\", period = 300 }}\nload = \"per-unit\"\ntarget = {}\n\
                 stable_window_seconds = 300\npanic_threshold = 0\nscale_in_stabilization_seconds = 300\ntolerance = 0.1\n\n",
                r(factor * per_minute * 5.0),
            ),
        };
    }
    s
}

/// `family` at `factor`, compiled (checked when the scenario loaded: `problems`).
#[must_use]
pub fn set(family: Family, e: &IcEndpoint, factor: f64) -> PolicySet {
    sagescale_policy::load_text(Path::new("baseline.toml"), &text(family, e, factor))
        .unwrap_or_else(|d| unreachable!("checked when the scenario loaded: {d}"))
}

/// What keeps a baseline from being written for `e`'s components (a name no endpoint or
/// component may have, say), by component index.
pub(crate) fn problems(e: &IcEndpoint) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for family in Family::ALL {
        if let Err(d) = sagescale_policy::load_text(
            Path::new("baseline.toml"),
            &text(family, e, family.default_factor()),
        ) {
            for p in d.0 {
                let k = p
                    .path
                    .strip_prefix("targets[")
                    .and_then(|r| r.split(']').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                out.push((
                    k,
                    format!(
                        "the `{}` baseline cannot be written for it: {}",
                        family.tuned_name().trim_end_matches("-tuned"),
                        p.message
                    ),
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
