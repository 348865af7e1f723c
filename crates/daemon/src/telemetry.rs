//! sagescale's own metrics, for `/metrics` (Prometheus text format through `prometheus-client`)
//! and, optionally, CloudWatch.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use sagescale_aws::{CallObserver, ErrorClass};
use sagescale_engine::Direction;

type Labels = Vec<(&'static str, String)>;

/// What is running: version, commit and build date, set once by the binary at start; every
/// [`Telemetry`] labels `sagescale_build_info` with it.
pub static BUILD: std::sync::OnceLock<(String, String, String)> = std::sync::OnceLock::new();

/// The kinds `sagescale_errors_total` counts, each exported at 0 from the start.
pub const ERROR_KINDS: [&str; 6] = [
    "metrics",
    "capacity",
    "state_file",
    "decision_log",
    "publish",
    "fenced",
];

/// Every metric the daemon exposes.
pub struct Telemetry {
    registry: Registry,
    /// Wall time of each cycle.
    pub cycle_seconds: Histogram,
    /// Engine time of the last cycle (all targets), in seconds.
    pub engine_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    /// Cycles run.
    pub cycles: Counter,
    /// AWS call attempts by service, operation and outcome (`ok` or an error class).
    pub aws_calls: Family<Labels, Counter>,
    /// Decisions by target and direction.
    pub decisions: Family<Labels, Counter>,
    /// Actuation calls by target, purpose and outcome.
    pub actuations: Family<Labels, Counter>,
    /// Capacity by target and kind (`current`, `desired`, `min`, `max`).
    pub capacity: Family<Labels, Gauge>,
    /// Predictive policies' forecasts by target and quantity (`load`, `floor`, `error`,
    /// `holds`).
    pub forecast: Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    /// Quality guards: 1 for the phase each guarded target is in, 0 for the others.
    pub quality_guard: Family<Labels, Gauge>,
    /// Errors by kind (`metrics`, `capacity`, `state_file`, `decision_log`, `publish`).
    pub errors: Family<Labels, Counter>,
    /// Policy reloads by outcome.
    pub reloads: Family<Labels, Counter>,
    /// Unix time of the last completed cycle.
    pub last_cycle: Gauge,
    /// Targets in the policy set in force.
    pub targets: Gauge,
    /// 1 in dry-run.
    pub dry_run: Gauge,
    /// 1 while the kill switch suspends actuation.
    pub suspended: Gauge,
    /// 1 while this replica holds the leader lease (always 1 without high availability).
    pub leader: Gauge,
    /// The fencing token of the lease this replica holds or last held.
    pub fencing_token: Gauge,
    /// 1, labelled with the version, commit and build date.
    pub build_info: Family<Labels, Gauge>,
    /// Application Auto Scaling policies attached to sagescale's targets (they fight it).
    pub aas_policies: Gauge,
    /// Each target's learned provisioning lead (median of its latest scale-outs), seconds.
    pub provisioning_lead: Family<Labels, Gauge>,
    ready: AtomicBool,
    not_ready: std::sync::Mutex<String>,
    heartbeat: AtomicI64,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

impl Default for Telemetry {
    fn default() -> Self {
        Self::new()
    }
}

impl Telemetry {
    /// Register every metric.
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sagescale");
        let t = Self {
            cycle_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            engine_seconds: Gauge::default(),
            cycles: Counter::default(),
            aws_calls: Family::default(),
            decisions: Family::default(),
            actuations: Family::default(),
            capacity: Family::default(),
            errors: Family::default(),
            forecast: Family::default(),
            quality_guard: Family::default(),
            reloads: Family::default(),
            last_cycle: Gauge::default(),
            targets: Gauge::default(),
            dry_run: Gauge::default(),
            suspended: Gauge::default(),
            leader: Gauge::default(),
            fencing_token: Gauge::default(),
            build_info: Family::default(),
            aas_policies: Gauge::default(),
            provisioning_lead: Family::default(),
            ready: AtomicBool::new(false),
            not_ready: std::sync::Mutex::new("no evaluation cycle has completed yet".into()),
            heartbeat: AtomicI64::new(0),
            registry: Registry::default(),
        };
        registry.register(
            "cycle_duration_seconds",
            "Wall time of one evaluation cycle",
            t.cycle_seconds.clone(),
        );
        registry.register(
            "engine_seconds",
            "Engine time of the last cycle, all targets",
            t.engine_seconds.clone(),
        );
        registry.register("cycles", "Evaluation cycles run", t.cycles.clone());
        registry.register(
            "aws_calls",
            "AWS call attempts by service, operation and outcome",
            t.aws_calls.clone(),
        );
        registry.register(
            "decisions",
            "Decisions by target and direction",
            t.decisions.clone(),
        );
        registry.register(
            "actuations",
            "RegisterScalableTarget calls by target, purpose and outcome",
            t.actuations.clone(),
        );
        registry.register(
            "capacity",
            "Capacity by target and kind (current, desired, min, max)",
            t.capacity.clone(),
        );
        registry.register("errors", "Errors by kind", t.errors.clone());
        registry.register(
            "forecast",
            "Predictive policies' forecast: load per period, capacity floor, back-tested error, and whether the floor holds",
            t.forecast.clone(),
        );
        registry.register(
            "quality_guard",
            "Quality guards: 1 for the phase (healthy, provisioning, shifted, restoring) each guarded target is in",
            t.quality_guard.clone(),
        );
        registry.register(
            "policy_reloads",
            "Policy reloads by outcome",
            t.reloads.clone(),
        );
        registry.register(
            "last_cycle_timestamp_seconds",
            "Unix time of the last completed cycle",
            t.last_cycle.clone(),
        );
        registry.register(
            "targets",
            "Targets in the policy set in force",
            t.targets.clone(),
        );
        registry.register(
            "dry_run",
            "1 when no changing call is made",
            t.dry_run.clone(),
        );
        registry.register(
            "actuation_suspended",
            "1 while the kill switch suspends actuation",
            t.suspended.clone(),
        );
        registry.register(
            "leader",
            "1 while this replica holds the leader lease",
            t.leader.clone(),
        );
        registry.register(
            "fencing_token",
            "Fencing token of the lease held or last held",
            t.fencing_token.clone(),
        );
        registry.register(
            "aas_policies_attached",
            "Application Auto Scaling scaling policies attached to sagescale's targets: each fights sagescale over capacity",
            t.aas_policies.clone(),
        );
        registry.register(
            "provisioning_lead_seconds",
            "Each target's provisioning lead learned from its own scale-outs (median of the latest 16, from the endpoint starting to move to the new capacity InService)",
            t.provisioning_lead.clone(),
        );
        registry.register(
            "build_info",
            "1, labelled with the running sagescale's version, commit and build date",
            t.build_info.clone(),
        );
        // Every counter an alarm may take the increase() of exists from the start, at 0: the
        // first failure is then an increase, not a new series.
        for kind in ERROR_KINDS {
            let _ = t.errors.get_or_create(&vec![("kind", kind.to_string())]);
        }
        for outcome in ["ok", "rejected"] {
            let _ = t
                .reloads
                .get_or_create(&vec![("outcome", outcome.to_string())]);
        }
        if let Some((version, commit, date)) = BUILD.get() {
            t.set_build_info(version, commit, date);
        }
        Self { registry, ..t }
    }

    /// The Prometheus text exposition.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// Count a decision.
    pub fn decision(&self, target: &str, direction: Direction) {
        let d = match direction {
            Direction::Hold => "hold",
            Direction::Out => "out",
            Direction::In => "in",
        };
        self.decisions
            .get_or_create(&vec![
                ("target", target.to_string()),
                ("direction", d.to_string()),
            ])
            .inc();
    }

    /// Set one capacity gauge.
    pub fn set_capacity(&self, target: &str, kind: &'static str, value: u32) {
        self.capacity
            .get_or_create(&vec![
                ("target", target.to_string()),
                ("kind", kind.to_string()),
            ])
            .set(i64::from(value));
    }

    /// Publish a target's learned provisioning lead.
    pub fn set_provisioning_lead(&self, target: &str, lead: sagescale_engine::Seconds) {
        self.provisioning_lead
            .get_or_create(&vec![("target", target.to_string())])
            .set(i64::from(lead.0));
    }

    /// Publish a predictive policy's forecast (a `Reason::Forecast`; anything else is ignored).
    pub fn forecast(&self, target: &str, reason: &sagescale_engine::Reason) {
        let sagescale_engine::Reason::Forecast {
            load,
            floor,
            error,
            holds,
            ..
        } = *reason
        else {
            return;
        };
        for (quantity, value) in [
            ("load", load),
            ("floor", f64::from(floor)),
            ("error", error),
            ("holds", f64::from(u8::from(holds))),
        ] {
            self.forecast
                .get_or_create(&vec![
                    ("target", target.to_string()),
                    ("quantity", quantity.to_string()),
                ])
                .set(value);
        }
    }

    /// Publish a quality guard's phase.
    pub fn quality_guard(&self, target: &str, phase: sagescale_engine::quality::GuardPhase) {
        use sagescale_engine::quality::GuardPhase;
        for p in [
            GuardPhase::Healthy,
            GuardPhase::Provisioning,
            GuardPhase::Shifted,
            GuardPhase::Restoring,
        ] {
            self.quality_guard
                .get_or_create(&vec![
                    ("target", target.to_string()),
                    ("phase", p.name().to_string()),
                ])
                .set(i64::from(p == phase));
        }
    }

    /// Label `sagescale_build_info` with what is running.
    pub fn set_build_info(&self, version: &str, commit: &str, build_date: &str) {
        self.build_info
            .get_or_create(&vec![
                ("version", version.to_string()),
                ("commit", commit.to_string()),
                ("build_date", build_date.to_string()),
            ])
            .set(1);
    }

    /// Count an error of `kind` (one of [`ERROR_KINDS`]).
    pub fn error(&self, kind: &'static str) {
        self.errors
            .get_or_create(&vec![("kind", kind.to_string())])
            .inc();
    }

    /// Count an actuation call.
    pub fn actuation(&self, target: &str, purpose: &str, outcome: &str) {
        self.actuations
            .get_or_create(&vec![
                ("target", target.to_string()),
                ("purpose", purpose.to_string()),
                ("outcome", outcome.to_string()),
            ])
            .inc();
    }

    /// Mark the daemon ready (a policy set is loaded and a cycle completed with its reads).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    /// Mark the daemon not ready, and say why (`/readyz` answers 503 with it).
    pub fn set_not_ready(&self, why: String) {
        if let Ok(mut w) = self.not_ready.lock() {
            *w = why;
        }
        self.ready.store(false, Ordering::Relaxed);
    }

    /// Whether ready.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Why not ready.
    #[must_use]
    pub fn not_ready_reason(&self) -> String {
        self.not_ready.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// The loop is alive at `now` (Unix seconds).
    pub fn beat(&self, now: i64) {
        self.heartbeat.store(now, Ordering::Relaxed);
    }

    /// The last heartbeat.
    #[must_use]
    pub fn last_beat(&self) -> i64 {
        self.heartbeat.load(Ordering::Relaxed)
    }
}

impl CallObserver for Telemetry {
    fn attempt(
        &self,
        service: &'static str,
        operation: &'static str,
        outcome: Result<(), ErrorClass>,
    ) {
        let o = match outcome {
            Ok(()) => "ok",
            Err(c) => c.as_str(),
        };
        self.aws_calls
            .get_or_create(&vec![
                ("service", service.to_string()),
                ("operation", operation.to_string()),
                ("outcome", o.to_string()),
            ])
            .inc();
        // Client errors (a lost conditional write, a validation error) are reported by the
        // caller, which knows whether they matter.
        if let Err(
            c @ (ErrorClass::Throttling
            | ErrorClass::ServerError
            | ErrorClass::Timeout
            | ErrorClass::Connection),
        ) = outcome
        {
            tracing::warn!(
                service,
                operation,
                class = c.as_str(),
                "AWS call attempt failed"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarmed_counters_exist_at_zero_and_the_build_is_labelled() {
        let t = Telemetry::new();
        let text = t.render();
        for kind in ERROR_KINDS {
            assert!(
                text.contains(&format!("sagescale_errors_total{{kind=\"{kind}\"}} 0")),
                "{kind}: {text}"
            );
        }
        assert!(
            text.contains("sagescale_policy_reloads_total{outcome=\"rejected\"} 0"),
            "{text}"
        );
        t.error("metrics");
        assert!(t
            .render()
            .contains("sagescale_errors_total{kind=\"metrics\"} 1"));
        t.set_build_info("0.1.0", "abc123", "2026-12-01");
        assert!(t.render().contains(
            "sagescale_build_info{version=\"0.1.0\",commit=\"abc123\",build_date=\"2026-12-01\"} 1"
        ));
        // Readiness says why not.
        assert!(!t.is_ready());
        assert!(t.not_ready_reason().contains("no evaluation cycle"));
        t.set_not_ready("every GetMetricData call failed".into());
        assert_eq!(t.not_ready_reason(), "every GetMetricData call failed");
    }

    #[test]
    fn renders_calls_decisions_and_capacities_in_prometheus_text() {
        let t = Telemetry::new();
        t.attempt("cloudwatch", "GetMetricData", Ok(()));
        t.attempt("cloudwatch", "GetMetricData", Err(ErrorClass::Throttling));
        t.decision("recs", Direction::Out);
        t.set_capacity("recs", "desired", 7);
        t.cycle_seconds.observe(0.02);
        let text = t.render();
        assert!(text.contains("sagescale_aws_calls_total{service=\"cloudwatch\",operation=\"GetMetricData\",outcome=\"throttling\"} 1"), "{text}");
        assert!(
            text.contains("sagescale_decisions_total{target=\"recs\",direction=\"out\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("sagescale_capacity{target=\"recs\",kind=\"desired\"} 7"),
            "{text}"
        );
        assert!(
            text.contains("sagescale_cycle_duration_seconds_count 1"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
