//! `sagescale run`: start-up checks, the evaluation loop, reload and shutdown.
//!
//! - The loop wakes on every interval boundary, and at each scheduled action's firing time
//!   (computed by the engine's own schedule code, the code the simulator rehearses with).
//! - SIGHUP, or a change to any policy file (checked at every wake), reloads the policy set;
//!   an invalid set is logged and the last good one keeps running.
//! - SIGTERM or SIGINT lets the cycle in flight finish (its calls and its state write), then
//!   exits 0.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};

use sagescale_aws::conflicts::{attached_policies, AttachedPolicy};
use sagescale_aws::{Aws, AwsClients, CallObserver, Lease};
use sagescale_engine::{EngineSettings, Seconds, Timestamp};

use super::admin::{self, AdminState};
use super::config::Config;
use super::controller::{self, Controller, CycleReport, Journal, Mode, Options};
use super::decision_log::DecisionLog;
use super::leadership::{Change, Leadership, LeaseFence};
use super::telemetry::Telemetry;
use crate::clock::SystemClock;
use sagescale_core::ports::{Clock, MetricSource, NoFence};

/// Everything `run` and `plan` share: the policy set, restored state and AWS.
pub struct Prepared {
    /// The controller with the policy set and restored state.
    pub controller: Controller,
    /// AWS behind the ports.
    pub aws: Aws,
    /// Metrics and health.
    pub telemetry: Arc<Telemetry>,
}

/// Load the policy set and state, and connect to AWS. Every failure names what and where.
pub async fn prepare(config: &Config) -> Result<Prepared, String> {
    let dir = &config.doc.policy_dir;
    let (set, files) = sagescale_policy::load(std::slice::from_ref(dir))
        .map_err(|d| format!("the policy set in {} is invalid:\n{d}", dir.display()))?;
    let saved = controller::load_state(&config.doc.state_file).map_err(|e| e.to_string())?;
    let settings = EngineSettings {
        max_metric_age: Seconds(config.doc.max_metric_age_seconds),
    };
    let controller = Controller::new(set, saved.as_ref(), settings)
        .map_err(|e| format!("{}: {e}", config.doc.state_file.display()))?;
    let telemetry = Arc::new(Telemetry::new());
    let clients = AwsClients::connect(&config.doc.aws)
        .await
        .map_err(|e| format!("{}: aws: {e}", config.file.display()))?;
    let observer: Arc<dyn CallObserver> = telemetry.clone();
    let mut aws = Aws::new(
        clients,
        config.retry.clone(),
        observer,
        Seconds(config.doc.metric_lag_seconds),
        Seconds(config.doc.capacity_refresh_seconds),
    );
    let set = controller.policy_set();
    aws.prepare(&set.metrics, &set.metric_history);
    tracing::info!(
        files,
        targets = set.targets.len(),
        policies = set.policy_count(),
        metric_queries = aws.plan().query_count(),
        get_metric_data_calls_per_cycle = aws.calls_per_fetch(),
        restored = saved.is_some(),
        "policy set loaded"
    );
    Ok(Prepared {
        controller,
        aws,
        telemetry,
    })
}

/// Run the daemon until SIGTERM or SIGINT.
pub async fn run(config: Config) -> Result<(), String> {
    // One daemon per state file, for as long as this one runs.
    let _lock = super::state_file::lock(&config.doc.state_file)?;
    let Prepared {
        mut controller,
        mut aws,
        telemetry,
    } = prepare(&config).await?;
    let doc = &config.doc;
    warn_conflicts(&conflicts(&aws, controller.policy_set()).await, &telemetry);
    telemetry.dry_run.set(i64::from(doc.dry_run));
    telemetry
        .targets
        .set(i64::try_from(controller.policy_set().targets.len()).unwrap_or(i64::MAX));
    let log = DecisionLog::open(&doc.decision_log).map_err(|e| {
        format!(
            "{}: cannot open the decision log: {e}",
            doc.decision_log.display()
        )
    })?;
    let mut journal = Journal {
        state_path: doc.state_file.clone(),
        log,
    };
    let interval = i64::from(doc.interval_seconds);
    let admin = admin::serve(
        doc.admin_listen,
        AdminState {
            telemetry: telemetry.clone(),
            stale_after: 3 * interval + 60,
        },
    )
    .await
    .map_err(|e| {
        format!(
            "{}: admin_listen {}: {e}",
            config.file.display(),
            doc.admin_listen
        )
    })?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| format!("SIGHUP handler: {e}"))?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM handler: {e}"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT handler: {e}"))?;
    let mut usr1 =
        signal(SignalKind::user_defined1()).map_err(|e| format!("SIGUSR1 handler: {e}"))?;
    let mut usr2 =
        signal(SignalKind::user_defined2()).map_err(|e| format!("SIGUSR2 handler: {e}"))?;
    let leadership = doc.ha.as_ref().map(|ha| {
        let owner = format!(
            "{}-{}-{:08x}",
            hostname(),
            std::process::id(),
            rand::random::<u32>()
        );
        tracing::info!(table = %ha.table, lease = %ha.lease_name, owner = %owner, ttl_seconds = ha.ttl_seconds, "high availability: following the leader lease");
        Leadership::new(
            Lease::new(
                aws.clients.dynamodb.clone(),
                config.retry.clone(),
                aws.observer.clone(),
                ha.table.clone(),
                ha.lease_name.clone(),
                owner,
                i64::from(ha.ttl_seconds) * 1000,
            ),
            telemetry.clone(),
        )
    });
    if leadership.is_none() {
        telemetry.leader.set(1);
    }
    spawn_watchdog(telemetry.clone(), 3 * interval + 60);
    tracing::info!(admin = %admin, dry_run = doc.dry_run, interval_seconds = doc.interval_seconds, "sagescale running");

    let mut suspended = doc.suspend_actuation;
    let clock = SystemClock;
    let mut fingerprint = policy_fingerprint(&doc.policy_dir);
    let mut cycles = 0u64;
    loop {
        let now = clock.now();
        telemetry.beat(now.0);
        telemetry.suspended.set(i64::from(suspended));
        let fp = policy_fingerprint(&doc.policy_dir);
        if fp != fingerprint {
            fingerprint = fp;
            tracing::info!(dir = %doc.policy_dir.display(), "policy files changed");
            reload(&mut controller, &mut aws, &doc.policy_dir, &telemetry, now).await;
        }
        if let Some(l) = &leadership {
            if let Change::Became(token, Some(state)) = l.check().await {
                match controller.adopt(&state) {
                    Ok(()) => {
                        tracing::info!(token, from = %state.saved_at, "resumed the last leader's state")
                    }
                    Err(e) => tracing::error!(error = %e, "cannot resume the last leader's state"),
                }
            }
        }
        let token = leadership.as_ref().and_then(Leadership::token);
        let mode = if leadership.is_some() && token.is_none() {
            Mode::Follower
        } else if suspended {
            Mode::Suspended
        } else if doc.dry_run {
            Mode::DryRun
        } else {
            Mode::Act
        };
        let opts = Options {
            mode,
            pin_timeout: Seconds(doc.pin_timeout_seconds),
            publish: doc.publish_metrics,
            fencing_token: token,
        };
        let started = std::time::Instant::now();
        let journal_now = if mode == Mode::Follower {
            None
        } else {
            Some(&mut journal)
        };
        let report = match &leadership {
            Some(l) => {
                controller
                    .cycle(
                        &mut aws,
                        &mut LeaseFence(l),
                        now,
                        &opts,
                        journal_now,
                        &telemetry,
                    )
                    .await
            }
            None => {
                controller
                    .cycle(&mut aws, &mut NoFence, now, &opts, journal_now, &telemetry)
                    .await
            }
        };
        if let Some(l) = &leadership {
            if l.token().is_some() {
                l.share(&controller.snapshot(now)).await;
            }
        }
        finish_cycle(&telemetry, &report, started.elapsed());
        cycles += 1;
        notify_systemd(cycles, &report, mode);

        let next = next_wake(clock.now(), interval, controller.next_schedule(now));
        tokio::select! {
            () = sleep_until_unix(next) => {}
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading policies");
                reload(
                    &mut controller,
                    &mut aws,
                    &doc.policy_dir,
                    &telemetry,
                    clock.now(),
                )
                .await;
                fingerprint = policy_fingerprint(&doc.policy_dir);
            }
            _ = usr1.recv() => {
                suspended = true;
                telemetry.suspended.set(1);
                tracing::warn!("SIGUSR1: actuation suspended (kill switch); evaluation and logs go on");
            }
            _ = usr2.recv() => {
                suspended = false;
                telemetry.suspended.set(0);
                tracing::warn!("SIGUSR2: actuation resumed");
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    if let Some(l) = &leadership {
        l.release().await;
    }
    // The last cycle already wrote its state; write once more so the file records the stop.
    if let Err(e) = super::state_file::save(&doc.state_file, &controller.snapshot(clock.now())) {
        tracing::error!(error = %e, "cannot write the state file at shutdown");
    }
    tracing::info!("sagescale stopped");
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}

/// Tell systemd (when it started us with `Type=notify`): READY after the first cycle, a STATUS
/// line after each.
fn notify_systemd(cycles: u64, report: &CycleReport, mode: Mode) {
    use sd_notify::NotifyState;
    let role = match mode {
        Mode::Act => "acting",
        Mode::DryRun => "dry-run",
        Mode::Suspended => "actuation suspended",
        Mode::Follower => "follower",
    };
    let status = format!(
        "cycle {cycles}: {} targets, {} calls, {} unreadable; {role}",
        report.targets.len(),
        report.actuations,
        report.capacity_errors
    );
    let mut states = vec![NotifyState::Status(&status)];
    if cycles == 1 {
        states.push(NotifyState::Ready);
    }
    if let Err(e) = sd_notify::notify(&states) {
        tracing::warn!(error = %e, "sd_notify failed");
    }
}

/// Ping systemd's watchdog while the loop is alive (its heartbeat is fresh). A hung loop stops
/// the pings and systemd restarts the service.
fn spawn_watchdog(telemetry: Arc<Telemetry>, stale_after: i64) {
    let Some(period) = sd_notify::watchdog_enabled() else {
        return;
    };
    let every = (period / 2).max(Duration::from_millis(100));
    tokio::spawn(async move {
        loop {
            let now = SystemClock.now().0;
            if now - telemetry.last_beat() <= stale_after {
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
            } else {
                tracing::error!("the evaluation loop is stuck: no watchdog ping");
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Why a completed cycle leaves the daemon not ready: every GetMetricData call failed, or no
/// target's capacity could be read. Then it decides nothing, so it is not serving.
fn unready(report: &CycleReport) -> Option<String> {
    let targets = report.targets.len();
    // `metric_calls` counts the pages that came back; a failed batch counts in the failures.
    if report.metric_failures > 0 && report.metric_calls == 0 {
        return Some(format!(
            "every GetMetricData call of the last cycle failed ({} batch(es); see the log and sagescale_errors_total{{kind=\"metrics\"}})",
            report.metric_failures
        ));
    }
    if targets > 0 && report.capacity_errors >= targets {
        return Some(format!(
            "the last cycle could read the capacity of none of its {targets} target(s) (see the log and sagescale_errors_total{{kind=\"capacity\"}})"
        ));
    }
    None
}

fn finish_cycle(telemetry: &Telemetry, report: &CycleReport, took: Duration) {
    telemetry.cycles.inc();
    telemetry.cycle_seconds.observe(took.as_secs_f64());
    telemetry.engine_seconds.set(report.engine.as_secs_f64());
    telemetry.last_cycle.set(report.at.0);
    match unready(report) {
        Some(why) => telemetry.set_not_ready(why),
        None => telemetry.set_ready(true),
    }
    let r = &report.read_calls;
    tracing::info!(
        targets = report.targets.len(),
        actuations = report.actuations,
        actuation_failures = report.actuation_failures,
        metric_failures = report.metric_failures,
        capacity_errors = report.capacity_errors,
        get_metric_data = report.metric_calls,
        list_endpoints = r.list_endpoints,
        describe_endpoint = r.describe_endpoint,
        describe_scalable_targets = r.describe_scalable_targets,
        engine_us = u64::try_from(report.engine.as_micros()).unwrap_or(u64::MAX),
        cycle_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        "cycle done"
    );
}

/// The next interval boundary after `now`, or an earlier scheduled firing.
#[must_use]
pub fn next_wake(now: Timestamp, interval: i64, schedule: Option<Timestamp>) -> Timestamp {
    let i = interval.max(1);
    let boundary = Timestamp((now.0.div_euclid(i) + 1) * i);
    match schedule {
        Some(s) if s > now && s < boundary => s,
        _ => boundary,
    }
}

async fn sleep_until_unix(t: Timestamp) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let target = Duration::from_secs(u64::try_from(t.0).unwrap_or(0));
    tokio::time::sleep(target.saturating_sub(now)).await;
}

async fn reload(
    controller: &mut Controller,
    aws: &mut Aws,
    dir: &Path,
    telemetry: &Telemetry,
    now: Timestamp,
) {
    let outcome = match sagescale_policy::load(&[dir.to_path_buf()]) {
        Ok((set, files)) => {
            let targets = set.targets.len();
            match controller.reload(set, now) {
                Ok(()) => {
                    let set = controller.policy_set();
                    aws.prepare(&set.metrics, &set.metric_history);
                    warn_conflicts(&conflicts(&*aws, set).await, telemetry);
                    telemetry
                        .targets
                        .set(i64::try_from(targets).unwrap_or(i64::MAX));
                    tracing::info!(files, targets, "policy set reloaded");
                    "ok"
                }
                Err(e) => {
                    tracing::error!(error = %e, "reload failed; the last good policy set keeps running");
                    "rejected"
                }
            }
        }
        Err(d) => {
            for problem in &d.0 {
                tracing::error!(problem = %problem, "invalid policy file");
            }
            tracing::error!(
                problems = d.0.len(),
                "the new policy set is invalid; the last good one keeps running"
            );
            "rejected"
        }
    };
    telemetry
        .reloads
        .get_or_create(&vec![("outcome", outcome.to_string())])
        .inc();
}

/// A fingerprint of every policy file under `dir` (names, sizes, modification times).
#[must_use]
pub fn policy_fingerprint(dir: &Path) -> u64 {
    let mut files: Vec<(PathBuf, u64, Option<std::time::SystemTime>)> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(meta) = std::fs::metadata(&d) else {
            continue;
        };
        if meta.is_file() {
            files.push((d, meta.len(), meta.modified().ok()));
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            stack.push(e.path());
        }
    }
    files.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    files.hash(&mut h);
    h.finish()
}

/// `sagescale plan`: one cycle in dry-run with no journal; returns each target's report.
pub async fn plan_once(config: &Config) -> Result<(CycleReport, Conflicts), String> {
    let Prepared {
        mut controller,
        mut aws,
        telemetry,
    } = prepare(config).await?;
    let conflicts = conflicts(&aws, controller.policy_set()).await;
    let opts = Options {
        mode: Mode::DryRun,
        pin_timeout: Seconds(config.doc.pin_timeout_seconds),
        publish: false,
        fencing_token: None,
    };
    let now = SystemClock.now();
    let report = controller
        .cycle(&mut aws, &mut NoFence, now, &opts, None, &telemetry)
        .await;
    Ok((report, conflicts))
}

/// The AAS scaling policies attached to the policy set's targets, or why they could not be
/// read.
pub type Conflicts = Result<Vec<AttachedPolicy>, String>;

/// Which AAS scaling policies are attached to `set`'s targets (they would fight sagescale).
pub async fn conflicts(aws: &Aws, set: &sagescale_policy::PolicySet) -> Conflicts {
    let targets: Vec<(String, sagescale_engine::ScalableDimension)> = set
        .targets
        .iter()
        .map(|t| (t.resource_id.clone(), t.dimension))
        .collect();
    attached_policies(
        &aws.clients.autoscaling,
        &aws.retry,
        aws.observer.as_ref(),
        &targets,
    )
    .await
    .map_err(|e| {
        let e = sagescale_aws::at_endpoint(e, &aws.clients.endpoints.application_autoscaling);
        format!("DescribeScalingPolicies: {e}")
    })
}

/// Log every attached AAS policy as a warning, and count them in
/// `sagescale_aas_policies_attached`.
pub fn warn_conflicts(conflicts: &Conflicts, telemetry: &Telemetry) {
    match conflicts {
        Ok(found) => {
            telemetry
                .aas_policies
                .set(i64::try_from(found.len()).unwrap_or(i64::MAX));
            for c in found {
                tracing::warn!(target_resource = %c.resource_id, policy = %c.name, kind = %c.kind, "{}", c.warning());
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot check for Application Auto Scaling policies that would fight sagescale")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_on_the_interval_boundary_or_an_earlier_firing() {
        // 12:00:42 with a 60 s interval: the next boundary is 12:01:00.
        let now = Timestamp(43_242);
        assert_eq!(next_wake(now, 60, None), Timestamp(43_260));
        assert_eq!(
            next_wake(now, 60, Some(Timestamp(43_250))),
            Timestamp(43_250)
        );
        // A firing after the boundary waits for its own cycle; one in the past is ignored.
        assert_eq!(
            next_wake(now, 60, Some(Timestamp(43_300))),
            Timestamp(43_260)
        );
        assert_eq!(
            next_wake(now, 60, Some(Timestamp(43_000))),
            Timestamp(43_260)
        );
    }

    #[test]
    fn a_policy_file_edit_changes_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.toml");
        std::fs::write(&f, "a").unwrap();
        let before = policy_fingerprint(dir.path());
        assert_eq!(before, policy_fingerprint(dir.path()));
        std::fs::write(&f, "ab").unwrap();
        assert_ne!(before, policy_fingerprint(dir.path()));
        let edited = policy_fingerprint(dir.path());
        std::fs::write(dir.path().join("q.yaml"), "b").unwrap();
        assert_ne!(edited, policy_fingerprint(dir.path()));
    }
}
