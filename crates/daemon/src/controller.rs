//! One evaluation cycle over every target: observe, decide (the decision core, which the
//! simulator drives too), record the intent, act, record the outcome. Generic over the ports,
//! so the same cycle serves `run`, `plan` and tests.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sagescale_core::actuation::{Call, Purpose};
use sagescale_core::ports::{Actuator, CapacitySource, Fence, MetricSource};
use sagescale_core::provisioning::LeadTracker;
use sagescale_core::{
    Applied, CapacityError, DecisionCore, OwnDatum, ReadCalls, Room, TargetCapacity, VariantWeight,
    WeightCall,
};
use sagescale_engine::quality::GuardPhase;
use sagescale_engine::{
    Decision, Direction, EngineSettings, ScalableDimension, Seconds, TargetState, Timestamp,
};
use sagescale_metrics::ObservationSet;
use sagescale_policy::PolicySet;

use super::decision_log::{rfc3339, CallRecord, DecisionLog, Outcome, Record};
use super::state_file::{self, DaemonState, StateError, STATE_FILE_VERSION};
use super::telemetry::Telemetry;

/// How a cycle acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Make the calls.
    Act,
    /// Plan and log calls, make none; the engine carries on as if they were made.
    DryRun,
    /// The kill switch: plan and log calls, make none; the engine state is kept as if nothing
    /// was decided, so it acts at once when actuation resumes.
    Suspended,
    /// A follower under high availability: observe and evaluate (keeping caches warm), record
    /// and commit nothing.
    Follower,
}

/// How a cycle acts.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Act, dry-run, suspended or follower.
    pub mode: Mode,
    /// Restore a pin after this long even if capacity has not arrived.
    pub pin_timeout: Seconds,
    /// Publish sagescale's own metrics to CloudWatch.
    pub publish: bool,
    /// The lease's fencing token, recorded in every decision-log entry.
    pub fencing_token: Option<u64>,
}

/// Where a running daemon keeps its state and decisions; `plan` has none.
#[derive(Debug)]
pub struct Journal {
    /// The state file.
    pub state_path: PathBuf,
    /// The decision log.
    pub log: DecisionLog,
}

/// What happened to one target in one cycle.
#[derive(Clone, Debug)]
pub struct TargetReport {
    /// Target name.
    pub name: String,
    /// Its Application Auto Scaling resource id.
    pub resource_id: String,
    /// The decision in words, or why none could be made.
    pub explanation: String,
    /// The call planned, and what happened to it.
    pub call: Option<(Call, Outcome)>,
    /// A quality guard's weight change planned (endpoint, new weights), and what happened.
    pub weights: Option<(String, Vec<VariantWeight>, Outcome)>,
    /// Whether the capacity could be read.
    pub read: bool,
    /// The target's learned provisioning lead (median) and how many scale-outs it is over.
    pub lead: Option<(Seconds, usize)>,
    /// An inference component: the copies its instances hold, as read this cycle.
    pub room: Option<Room>,
}

/// What one cycle did.
#[derive(Clone, Debug, Default)]
pub struct CycleReport {
    /// When.
    pub at: Timestamp,
    /// Per target, in policy-set order.
    pub targets: Vec<TargetReport>,
    /// `GetMetricData` calls made.
    pub metric_calls: u32,
    /// Metric batches that failed.
    pub metric_failures: usize,
    /// Capacity read calls.
    pub read_calls: ReadCalls,
    /// Targets whose capacity could not be read.
    pub capacity_errors: usize,
    /// Actuation calls made (or, in dry-run, planned): `RegisterScalableTarget`, and a quality
    /// guard's `UpdateEndpointWeightsAndCapacities`.
    pub actuations: usize,
    /// Of those, failed.
    pub actuation_failures: usize,
    /// Engine time over all targets.
    pub engine: Duration,
}

/// The daemon's memory between cycles: the policy set in force and each target's state.
#[derive(Debug)]
pub struct Controller {
    set: PolicySet,
    ids: Vec<(String, ScalableDimension)>,
    core: DecisionCore,
    obs: ObservationSet,
    logged: Vec<(u64, Timestamp)>,
    settings: EngineSettings,
    /// Each target's scale-out lead, learned from the capacities read.
    leads: Vec<LeadTracker>,
}

/// At least one record per target this often, so `explain` has a recent story.
const LOG_HEARTBEAT: i64 = 3600;

impl Controller {
    /// Take over `set`, restoring saved state where names match.
    pub fn new(
        set: PolicySet,
        saved: Option<&DaemonState>,
        settings: EngineSettings,
    ) -> Result<Self, String> {
        let states = match saved {
            Some(s) => s.engine.restore(&set.targets)?,
            None => set.targets.iter().map(TargetState::new).collect(),
        };
        let pins = set
            .targets
            .iter()
            .map(|t| saved.and_then(|s| s.pins.get(&t.name).copied()))
            .collect();
        let n = set.targets.len();
        let leads = set
            .targets
            .iter()
            .map(|t| {
                saved
                    .and_then(|s| s.leads.get(&t.name).cloned())
                    .unwrap_or_default()
            })
            .collect();
        Ok(Self {
            ids: ids(&set),
            leads,
            core: DecisionCore::new(&set.targets, states, pins, settings),
            obs: ObservationSet::with_metrics(set.metrics.len()),
            logged: vec![(0, Timestamp(i64::MIN / 2)); n],
            settings,
            set,
        })
    }

    /// The policy set in force.
    #[must_use]
    pub fn policy_set(&self) -> &PolicySet {
        &self.set
    }

    /// Swap in a new policy set, carrying state over by target and policy name.
    pub fn reload(&mut self, set: PolicySet, now: Timestamp) -> Result<(), String> {
        for w in self.dropped_guards(&set) {
            tracing::warn!("{w}");
        }
        let saved = self.snapshot(now);
        *self = Self::new(set, Some(&saved), self.settings)?;
        Ok(())
    }

    /// Engaged quality guards that `set` no longer has, each with what to do: the weights stay
    /// where the guard left them.
    #[must_use]
    pub fn dropped_guards(&self, set: &PolicySet) -> Vec<String> {
        let mut out = Vec::new();
        for (spec, st) in self.set.targets.iter().zip(self.core.states()) {
            for (p, ps) in spec.policies.iter().zip(&st.policies) {
                let sagescale_engine::PolicyKind::QualityGuard(g) = &p.kind else {
                    continue;
                };
                let kept = set
                    .targets
                    .iter()
                    .filter(|t| t.name == spec.name)
                    .flat_map(|t| &t.policies)
                    .any(|q| {
                        q.name == p.name
                            && matches!(q.kind, sagescale_engine::PolicyKind::QualityGuard(_))
                    });
                if kept || ps.guard.phase == GuardPhase::Healthy {
                    continue;
                }
                let base = ps
                    .guard
                    .base
                    .map(|b| {
                        format!(
                            "{}={} {}={}",
                            g.variant, b.weight, g.fallback_variant, b.fallback_weight
                        )
                    })
                    .unwrap_or_default();
                out.push(format!(
                    "target `{}`: the quality guard `{}` was removed while {}: endpoint `{}` keeps the weights it has; before the guard engaged they were {base}; restore them with UpdateEndpointWeightsAndCapacities if the guard had moved them",
                    spec.name,
                    p.name,
                    ps.guard.phase.name(),
                    g.endpoint
                ));
            }
        }
        out
    }

    /// Take over another replica's state (the last leader's, on becoming leader), keeping
    /// the policy set in force.
    pub fn adopt(&mut self, saved: &DaemonState) -> Result<(), String> {
        let restored = saved.engine.restore(&self.set.targets)?;
        let pins = self
            .set
            .targets
            .iter()
            .map(|t| saved.pins.get(&t.name).copied())
            .collect();
        self.core.adopt(restored, pins);
        for (t, l) in self.set.targets.iter().zip(&mut self.leads) {
            if let Some(saved) = saved.leads.get(&t.name) {
                l.clone_from(saved);
            }
        }
        Ok(())
    }

    /// The state to persist.
    #[must_use]
    pub fn snapshot(&self, now: Timestamp) -> DaemonState {
        DaemonState {
            version: STATE_FILE_VERSION,
            saved_at: now,
            engine: self.core.persisted(&self.set.targets),
            pins: self
                .set
                .targets
                .iter()
                .zip(self.core.pins())
                .filter_map(|(t, p)| p.map(|p| (t.name.clone(), p)))
                .collect(),
            leads: self
                .set
                .targets
                .iter()
                .zip(&self.leads)
                .filter(|(_, l)| l.count() > 0)
                .map(|(t, l)| (t.name.clone(), l.clone()))
                .collect(),
        }
    }

    /// Target `i`'s learned provisioning lead and how many scale-outs it is over.
    fn lead(&self, i: usize) -> Option<(Seconds, usize)> {
        let l = &self.leads[i];
        l.median().map(|m| (m, l.count()))
    }

    /// The earliest scheduled-action firing after `now`, so the loop can wake for it.
    #[must_use]
    pub fn next_schedule(&self, now: Timestamp) -> Option<Timestamp> {
        self.set
            .targets
            .iter()
            .flat_map(|t| t.policies.iter())
            .filter_map(|p| match &p.kind {
                sagescale_engine::PolicyKind::Scheduled(s) => s.next_firing(now),
                _ => None,
            })
            .min()
    }

    /// Run one cycle at `now`: observe, decide, act, record.
    pub async fn cycle<P, F>(
        &mut self,
        ports: &mut P,
        fence: &mut F,
        now: Timestamp,
        opts: &Options,
        mut journal: Option<&mut Journal>,
        telemetry: &Telemetry,
    ) -> CycleReport
    where
        P: MetricSource + CapacitySource + Actuator,
        F: Fence,
    {
        let mut report = CycleReport {
            at: now,
            ..CycleReport::default()
        };
        let caps = self.observe(ports, now, &mut report, telemetry).await;
        for (i, cap) in caps.iter().enumerate() {
            let Ok(cap) = cap else { continue };
            let name = &self.set.targets[i].name;
            if let Some(lead) = self.leads[i].observe(now, cap) {
                tracing::info!(target_name = %name, lead_s = lead.0, "a scale-out landed: provisioning lead learned");
            }
            // Every cycle, so a lead restored from the state file shows from the start.
            if let Some(median) = self.leads[i].median() {
                telemetry.set_provisioning_lead(name, median);
            }
            self.core.set_lead(i, self.leads[i].median());
        }

        if opts.mode == Mode::Act {
            // A dry run's pins stand for calls never made: acting for real starts from what
            // AWS holds.
            self.core.drop_dry_pins();
        }
        let started = Instant::now();
        let obs = &self.obs;
        self.core
            .decide(&self.set.targets, &caps, |_| obs, now, opts.pin_timeout);
        report.engine = started.elapsed();

        if opts.mode == Mode::Follower {
            // Nothing is committed: the leader decides.
            self.core.discard();
            for (i, spec) in self.set.targets.iter().enumerate() {
                report.targets.push(TargetReport {
                    name: spec.name.clone(),
                    resource_id: spec.resource_id.clone(),
                    explanation: format!("{}: follower, not deciding", spec.name),
                    call: None,
                    weights: None,
                    read: caps[i].is_ok(),
                    lead: self.lead(i),
                    room: caps[i].as_ref().ok().and_then(|c| c.room),
                });
            }
            return report;
        }

        let mode = self.confirm(fence, now, opts.mode, telemetry).await;
        if mode == Mode::Act && self.core.wants_calls() {
            self.write_ahead(now, journal.as_deref_mut(), telemetry);
        }
        for (i, cap) in caps.iter().enumerate() {
            let outcome = self.act(ports, i, cap, mode, &mut report, telemetry).await;
            self.record(
                i,
                cap,
                now,
                mode,
                opts,
                outcome,
                journal.as_deref_mut(),
                &mut report,
                telemetry,
            );
        }

        if let Some(j) = journal {
            save(&j.state_path, &self.snapshot(now), telemetry);
        }
        if opts.publish && mode == Mode::Act {
            let data = self.own_metrics(&caps, &report);
            if let Err(e) = ports.publish(now, &data).await {
                telemetry.error("publish");
                tracing::warn!(error = %e, "PutMetricData of sagescale's own metrics failed");
            }
        }
        report
    }

    /// Observe: every metric window, then every target's capacity.
    async fn observe<P>(
        &mut self,
        ports: &mut P,
        now: Timestamp,
        report: &mut CycleReport,
        telemetry: &Telemetry,
    ) -> Vec<Result<TargetCapacity, CapacityError>>
    where
        P: MetricSource + CapacitySource,
    {
        let fetched = ports.fetch(now, &mut self.obs).await;
        report.metric_calls = fetched.calls;
        report.metric_failures = fetched.failures.len();
        for f in &fetched.failures {
            telemetry.error("metrics");
            tracing::warn!(error = %f, "GetMetricData failed: its metrics are missing this cycle, so no policy acts on them");
        }
        for m in &fetched.messages {
            tracing::warn!(message = %m, "CloudWatch answered a query with a message");
        }
        let (caps, read_calls) = ports.read(&self.ids, now).await;
        report.read_calls = read_calls;
        caps
    }

    /// A leader confirms its lease right before acting; a lost lease refuses every call (the
    /// cycle goes on as a follower's).
    async fn confirm<F: Fence>(
        &self,
        fence: &mut F,
        now: Timestamp,
        mode: Mode,
        telemetry: &Telemetry,
    ) -> Mode {
        if mode == Mode::Act && self.core.wants_calls() && !fence.confirm(now).await {
            tracing::error!("the leader lease is lost: no call is made this cycle");
            telemetry.error("fenced");
            return Mode::Follower;
        }
        mode
    }

    /// Write-ahead: the intent (cooldowns started, pins set) is on disk before any call, so a
    /// crash after the call neither repeats nor loses it (a recorded pin missing from the
    /// registration is reissued).
    fn write_ahead(&self, now: Timestamp, journal: Option<&mut Journal>, telemetry: &Telemetry) {
        if let Some(j) = journal {
            let mut intent = self.snapshot(now);
            for (i, pin) in self.core.intended_pins() {
                intent.pins.insert(self.set.targets[i].name.clone(), pin);
            }
            save(&j.state_path, &intent, telemetry);
        }
        super::failpoint::hit("before-call");
    }

    /// Act on target `i`'s decision: its `RegisterScalableTarget` call and its quality guard's
    /// weight change, as `mode` allows. Tells the core what became of each.
    async fn act<P: Actuator>(
        &mut self,
        ports: &mut P,
        i: usize,
        cap: &Result<TargetCapacity, CapacityError>,
        mode: Mode,
        report: &mut CycleReport,
        telemetry: &Telemetry,
    ) -> Acted {
        let spec = &self.set.targets[i];
        let cap = match cap {
            Err(e) => {
                report.capacity_errors += 1;
                telemetry.error("capacity");
                tracing::warn!(target_name = %spec.name, error = %e, "capacity unreadable: no decision for this target this cycle");
                return Acted::default();
            }
            Ok(cap) => cap,
        };
        let d = self.core.decision(i);
        telemetry.decision(&spec.name, d.direction);
        telemetry.set_capacity(&spec.name, "current", cap.current);
        telemetry.set_capacity(&spec.name, "desired", d.desired);
        telemetry.set_capacity(&spec.name, "min", d.bounds.min);
        telemetry.set_capacity(&spec.name, "max", d.bounds.max);
        for v in &d.verdicts {
            if matches!(v.reason, sagescale_engine::Reason::Forecast { .. }) {
                telemetry.forecast(&spec.name, &v.reason);
            }
        }
        let mut acted = Acted::default();
        if let Some(call) = self.core.call(i) {
            report.actuations += 1;
            let (outcome, attempts, error) = match mode {
                Mode::Follower => (Outcome::Fenced, 0, Some("the leader lease was lost".into())),
                Mode::Suspended => (Outcome::Suspended, 0, None),
                Mode::DryRun => (Outcome::DryRun, 0, None),
                Mode::Act => match ports
                    .register(&spec.resource_id, spec.dimension, call.min, call.max)
                    .await
                {
                    Ok(n) => {
                        super::failpoint::hit("after-call");
                        (Outcome::Ok, n, None)
                    }
                    Err(e) => {
                        report.actuation_failures += 1;
                        (Outcome::Failed, e.attempts, Some(e.to_string()))
                    }
                },
            };
            self.core.applied(
                i,
                match outcome {
                    Outcome::Ok => Applied::Made,
                    Outcome::DryRun => Applied::DryRun,
                    Outcome::Failed | Outcome::Fenced | Outcome::Suspended => Applied::Undone,
                },
            );
            let purpose = purpose_name(call.purpose);
            telemetry.actuation(&spec.name, purpose, outcome_name(&outcome));
            match &outcome {
                Outcome::Failed => {
                    tracing::error!(target_name = %spec.name, purpose, min = call.min, max = call.max, error = error.as_deref().unwrap_or(""), "RegisterScalableTarget failed")
                }
                _ => {
                    tracing::info!(target_name = %spec.name, purpose, min = call.min, max = call.max, outcome = outcome_name(&outcome), "RegisterScalableTarget")
                }
            }
            acted.calls.push(CallRecord::register(
                &call,
                outcome.clone(),
                attempts,
                error,
            ));
            acted.call = Some((call, outcome));
        }
        let d = self.core.decision(i);
        if let Some(t) = d.traffic {
            telemetry.quality_guard(&spec.name, t.phase);
            let was = self
                .core
                .state_before(i)
                .policies
                .get(usize::from(t.policy))
                .map(|p| p.guard.phase);
            if was != Some(t.phase) {
                tracing::warn!(target_name = %spec.name, phase = t.phase.name(), floor = t.fallback_floor, "quality guard: {}", d.explain(spec));
            }
        }
        if let Some(w) = self.core.weight_call(i).cloned() {
            self.act_weights(ports, i, w, mode, &mut acted, report, telemetry)
                .await;
        }
        acted
    }

    /// Make a quality guard's weight change, as `mode` allows.
    #[allow(clippy::too_many_arguments)]
    async fn act_weights<P: Actuator>(
        &self,
        ports: &mut P,
        i: usize,
        w: WeightCall,
        mode: Mode,
        acted: &mut Acted,
        report: &mut CycleReport,
        telemetry: &Telemetry,
    ) {
        let spec = &self.set.targets[i];
        report.actuations += 1;
        let (outcome, attempts, error) = match mode {
            Mode::Follower => (Outcome::Fenced, 0, Some("the leader lease was lost".into())),
            Mode::Suspended => (Outcome::Suspended, 0, None),
            Mode::DryRun => (Outcome::DryRun, 0, None),
            Mode::Act => match ports.set_weights(&w.endpoint, &w.variants).await {
                Ok(n) => (Outcome::Ok, n, None),
                Err(e) => {
                    // The guard moves on only when the endpoint shows the new weights, so it
                    // asks again next cycle.
                    report.actuation_failures += 1;
                    (Outcome::Failed, e.attempts, Some(e.to_string()))
                }
            },
        };
        let purpose = self.core.decision(i).traffic.map_or("", |t| t.phase.name());
        telemetry.actuation(&spec.name, "weights", outcome_name(&outcome));
        let shown: Vec<String> = w
            .variants
            .iter()
            .map(|v| format!("{}={}", v.variant, v.weight))
            .collect();
        let endpoint = &w.endpoint;
        match &outcome {
            Outcome::Failed => {
                tracing::error!(target_name = %spec.name, endpoint, weights = %shown.join(" "), error = error.as_deref().unwrap_or(""), "UpdateEndpointWeightsAndCapacities failed")
            }
            _ => {
                tracing::warn!(target_name = %spec.name, endpoint, weights = %shown.join(" "), outcome = outcome_name(&outcome), "UpdateEndpointWeightsAndCapacities: the quality guard moves traffic")
            }
        }
        acted.weights = Some((w.endpoint.clone(), w.variants.clone(), outcome.clone()));
        acted.calls.push(CallRecord::weights(
            purpose, w.variants, outcome, attempts, error,
        ));
    }

    /// Record target `i`'s cycle: its explanation, the decision log (on a change, a call, an
    /// error or the hourly heartbeat) and the cycle report.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        i: usize,
        cap: &Result<TargetCapacity, CapacityError>,
        now: Timestamp,
        mode: Mode,
        opts: &Options,
        acted: Acted,
        journal: Option<&mut Journal>,
        report: &mut CycleReport,
        telemetry: &Telemetry,
    ) {
        let spec = &self.set.targets[i];
        let explanation = match cap {
            Err(e) => format!("{}: no decision: {e}", spec.name),
            Ok(cap) => {
                let d = self.core.decision(i);
                let mut text = d.explain(spec);
                // An earlier change still on its way (not the one called for this cycle).
                if let Some(p) = self
                    .core
                    .pin_in_flight(i, cap)
                    .filter(|_| acted.call.is_none())
                {
                    text.push_str(&format!(
                        "\n  (a change to {} is in flight: registered [{}, {}], the endpoint reports {} current, {} desired)",
                        p.to, p.min, p.max, cap.current, cap.desired
                    ));
                }
                if d.changes() {
                    tracing::info!(target_name = %spec.name, from = d.current, to = d.desired, "{text}");
                }
                text
            }
        };
        let error = cap.as_ref().err().map(CapacityError::to_string);
        if let Some(j) = journal {
            let decision = cap.is_ok().then(|| self.core.decision(i));
            let k = key(
                decision,
                acted.call.as_ref().map(|c| &c.0),
                error.as_deref(),
            );
            let (last_key, last_at) = self.logged[i];
            if k != last_key || now.since(last_at) >= LOG_HEARTBEAT || !acted.calls.is_empty() {
                let record = Record {
                    time: rfc3339(now),
                    target: &spec.name,
                    resource_id: &spec.resource_id,
                    dry_run: mode != Mode::Act,
                    fencing_token: opts.fencing_token,
                    capacity: cap.as_ref().ok(),
                    decision,
                    policies: spec.policies.iter().map(|p| p.name.as_str()).collect(),
                    explanation: explanation.clone(),
                    calls: acted.calls,
                    error,
                };
                match j.log.append(&record) {
                    Ok(()) => self.logged[i] = (k, now),
                    Err(e) => {
                        telemetry.error("decision_log");
                        tracing::error!(path = %j.log.path().display(), error = %e, "cannot append to the decision log");
                    }
                }
            }
        }
        report.targets.push(TargetReport {
            name: spec.name.clone(),
            resource_id: spec.resource_id.clone(),
            explanation,
            call: acted.call,
            weights: acted.weights,
            read: cap.is_ok(),
            lead: self.lead(i),
            room: cap.as_ref().ok().and_then(|c| c.room),
        });
    }

    fn own_metrics(
        &self,
        caps: &[Result<TargetCapacity, CapacityError>],
        report: &CycleReport,
    ) -> Vec<OwnDatum> {
        let mut data = Vec::with_capacity(self.ids.len() * 2 + 2);
        for (i, cap) in caps.iter().enumerate() {
            if cap.is_err() {
                continue;
            }
            let name = &self.set.targets[i].name;
            let d = self.core.decision(i);
            data.push(OwnDatum {
                name: own::DESIRED_CAPACITY,
                target: Some(name.clone()),
                value: f64::from(d.desired),
                count: true,
            });
            if let Some(t) = d.traffic {
                data.push(OwnDatum {
                    name: own::QUALITY_GUARD_ENGAGED,
                    target: Some(name.clone()),
                    value: f64::from(u8::from(t.phase != GuardPhase::Healthy)),
                    count: false,
                });
            }
            data.push(OwnDatum {
                name: own::DECISIONS,
                target: Some(name.clone()),
                value: if d.changes() { 1.0 } else { 0.0 },
                count: true,
            });
        }
        let errors = report.metric_failures + report.capacity_errors + report.actuation_failures;
        data.push(OwnDatum {
            name: own::ERRORS,
            target: None,
            value: errors as f64,
            count: true,
        });
        data
    }
}

/// The metrics sagescale publishes to CloudWatch (namespace `sagescale`, dimension `Target`
/// where per target), named once for the publisher and the dashboards in deploy/.
pub mod own {
    /// The desired capacity each cycle decided, per target.
    pub const DESIRED_CAPACITY: &str = "DesiredCapacity";
    /// 1 while a target's quality guard is not healthy.
    pub const QUALITY_GUARD_ENGAGED: &str = "QualityGuardEngaged";
    /// 1 for a cycle that changed a target's capacity.
    pub const DECISIONS: &str = "Decisions";
    /// Errors in the cycle: metric, capacity and actuation failures.
    pub const ERRORS: &str = "Errors";
    /// All of them.
    pub const ALL: [&str; 4] = [DESIRED_CAPACITY, QUALITY_GUARD_ENGAGED, DECISIONS, ERRORS];
}

/// What acting on one target did: the calls for the decision log and the cycle report.
#[derive(Default)]
struct Acted {
    calls: Vec<CallRecord>,
    call: Option<(Call, Outcome)>,
    weights: Option<(String, Vec<VariantWeight>, Outcome)>,
}

fn ids(set: &PolicySet) -> Vec<(String, ScalableDimension)> {
    set.targets
        .iter()
        .map(|t| (t.resource_id.clone(), t.dimension))
        .collect()
}

fn save(path: &std::path::Path, state: &DaemonState, telemetry: &Telemetry) {
    if let Err(e) = state_file::save(path, state) {
        telemetry.error("state_file");
        tracing::error!(error = %e, "cannot write the state file; the previous one is kept");
    }
}

/// The label of a purpose.
#[must_use]
pub fn purpose_name(p: Purpose) -> &'static str {
    match p {
        Purpose::ScaleOut => "scale_out",
        Purpose::ScaleIn => "scale_in",
        Purpose::Restore => "restore",
        Purpose::RestoreAfterTimeout => "restore_after_timeout",
        Purpose::Reissue => "reissue",
        Purpose::Register => "register",
        Purpose::Align => "align",
    }
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Ok => "ok",
        Outcome::DryRun => "dry_run",
        Outcome::Suspended => "suspended",
        Outcome::Fenced => "fenced",
        Outcome::Failed => "failed",
    }
}

/// What makes a decision different from the last one logged: its numbers, the kinds of its
/// reasons (not their values, which move every cycle), the call, the error.
fn key(d: Option<&Decision>, call: Option<&Call>, error: Option<&str>) -> u64 {
    let mut h = DefaultHasher::new();
    if let Some(d) = d {
        (d.current, d.desired, d.bounds.min, d.bounds.max).hash(&mut h);
        (match d.direction {
            Direction::Hold => 0u8,
            Direction::Out => 1,
            Direction::In => 2,
        })
        .hash(&mut h);
        format!("{:?}{:?}", d.blocked, d.clamped).hash(&mut h);
        d.traffic
            .map(|t| (t.phase.name(), t.fallback_floor, t.weights.is_some()))
            .hash(&mut h);
        for v in &d.verdicts {
            std::mem::discriminant(&v.reason).hash(&mut h);
            v.wants.hash(&mut h);
        }
    }
    call.map(|c| (c.min, c.max, purpose_name(c.purpose)))
        .hash(&mut h);
    error.hash(&mut h);
    h.finish()
}

/// Load the state file for a start: `Ok(None)` when there is none yet.
pub fn load_state(path: &std::path::Path) -> Result<Option<DaemonState>, StateError> {
    state_file::load(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sagescale_engine::quality::{BaseTraffic, GuardPhase};

    fn set(text: &str) -> PolicySet {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.yaml");
        std::fs::write(&f, text).unwrap();
        sagescale_policy::load(&[f])
            .unwrap_or_else(|d| panic!("{d}"))
            .0
    }

    const GUARDED: &str = "targets:\n  - name: a\n    resource_id: endpoint/e/variant/a\n    min: 1\n    max: 4\n    policies:\n      - name: q\n        type: quality-guard\n        fallback: b\n        checks:\n          - metric: { namespace: x, name: err }\n            comparison: GreaterThanThreshold\n            threshold: 0.05\n  - name: b\n    resource_id: endpoint/e/variant/b\n    min: 1\n    max: 4\n    policies: []\n";

    #[test]
    fn removing_an_engaged_guard_is_reported_with_the_weights_to_restore() {
        let mut c = Controller::new(set(GUARDED), None, EngineSettings::default()).unwrap();
        let without = set(&GUARDED.replace(
            "      - name: q\n        type: quality-guard\n        fallback: b\n        checks:\n          - metric: { namespace: x, name: err }\n            comparison: GreaterThanThreshold\n            threshold: 0.05\n",
            "      - name: tt\n        type: target-tracking\n        metric: { predefined: InvocationsPerInstance }\n        target: 100\n",
        ));
        // Healthy: nothing to say.
        assert!(c.dropped_guards(&without).is_empty());
        let g = &mut c.core.state_mut(0).policies[0].guard;
        g.phase = GuardPhase::Shifted;
        g.base = Some(BaseTraffic {
            weight: 0.9,
            fallback_weight: 0.1,
            fallback_capacity: 2,
        });
        let w = c.dropped_guards(&without);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("`q` was removed while shifted") && w[0].contains("a=0.9 b=0.1"),
            "{}",
            w[0]
        );
        // Kept under the same name: nothing to say.
        assert!(c.dropped_guards(&set(GUARDED)).is_empty());
    }
}
