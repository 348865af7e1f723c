//! `sagescale doctor`: a checklist of everything the daemon needs, read live, with exit codes
//! for CI. It changes nothing: every call it makes is a read, and the permission check is IAM's
//! simulation.

use std::fmt::Write as _;

use sagescale_aws::identity::{caller, credentials, simulate};
use sagescale_core::ports::{CapacitySource, Clock, MetricSource};
use sagescale_engine::EndpointStatus;
use sagescale_metrics::{ObservationSet, Observations};

use super::clock::SystemClock;
use super::config::Config;
use super::iam::{policy, Scope};
use super::service::{conflicts, prepare};

/// One check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// As it should be.
    Pass,
    /// Works, but look at it.
    Warn,
    /// The daemon cannot work this way.
    Fail,
}

/// One line of the checklist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The outcome.
    pub status: Status,
    /// What was checked and what was found, with the fix for a warning or failure.
    pub text: String,
}

/// The checklist, in sections.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// `(title, checks)`.
    pub sections: Vec<(String, Vec<Check>)>,
}

impl Report {
    fn section(&mut self, title: impl Into<String>) -> &mut Vec<Check> {
        self.sections.push((title.into(), Vec::new()));
        &mut self.sections.last_mut().expect("just pushed").1
    }

    /// The worst outcome.
    #[must_use]
    pub fn worst(&self) -> Status {
        self.sections
            .iter()
            .flat_map(|(_, c)| c.iter().map(|c| c.status))
            .max()
            .unwrap_or(Status::Pass)
    }

    /// The checklist as text.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        let (mut pass, mut warn, mut fail) = (0, 0, 0);
        for (title, checks) in &self.sections {
            let _ = writeln!(out, "{title}");
            for c in checks {
                let tag = match c.status {
                    Status::Pass => {
                        pass += 1;
                        "ok  "
                    }
                    Status::Warn => {
                        warn += 1;
                        "WARN"
                    }
                    Status::Fail => {
                        fail += 1;
                        "FAIL"
                    }
                };
                let _ = writeln!(out, "  {tag}  {}", c.text);
            }
        }
        let _ = writeln!(out, "\n{pass} ok, {warn} warning(s), {fail} failure(s)");
        out
    }
}

fn check(status: Status, text: impl Into<String>) -> Check {
    Check {
        status,
        text: text.into(),
    }
}

/// Where STS calls go: the configured URL, or the regional endpoint.
fn sts_url(config: &Config, region: Option<&str>) -> String {
    config.doc.aws.endpoints.sts.clone().unwrap_or_else(|| {
        format!(
            "https://sts.{}.amazonaws.com",
            region.unwrap_or("<no region>")
        )
    })
}

/// How far back a metric must have a datapoint.
const RECENT_MINUTES: i64 = 15;

/// Run every check for the daemon configured by `config`.
pub async fn doctor(config: &Config) -> Report {
    let mut report = Report::default();
    let s = report.section(format!("config {}", config.file.display()));
    let prepared = match prepare(config).await {
        Ok(p) => {
            let set = p.controller.policy_set();
            s.push(check(
                Status::Pass,
                format!(
                    "policy set {}: {} target(s), {} policies, {} metric queries",
                    config.doc.policy_dir.display(),
                    set.targets.len(),
                    set.policy_count(),
                    set.metrics.len()
                ),
            ));
            p
        }
        Err(e) => {
            s.push(check(Status::Fail, e));
            return report;
        }
    };
    let aws = &prepared.aws;
    let observer = aws.observer.as_ref();

    let s = report.section("AWS");
    match credentials(&aws.clients).await {
        Ok(c) => s.push(check(
            Status::Pass,
            format!(
                "credentials from {} (access key {}, {})",
                c.provider,
                c.access_key,
                if c.temporary { "temporary" } else { "long-term" }
            ),
        )),
        Err(e) => s.push(check(
            Status::Fail,
            format!("no credentials: {e}. Give them in the environment, a profile (aws.profile), web identity, or the ECS task or instance role"),
        )),
    }
    match &aws.clients.region {
        Some(r) => s.push(check(Status::Pass, format!("region {r}"))),
        None => s.push(check(
            Status::Fail,
            "no region: set aws.region in the config, or AWS_REGION",
        )),
    }
    let who = match caller(&aws.clients, &aws.retry, observer).await {
        Ok(c) => {
            s.push(check(
                Status::Pass,
                format!("caller {} (account {})", c.arn, c.account),
            ));
            Some(c)
        }
        Err(e) => {
            s.push(check(
                Status::Fail,
                format!(
                    "GetCallerIdentity: {}",
                    sagescale_aws::at_endpoint(e, &sts_url(config, aws.clients.region.as_deref()))
                ),
            ));
            None
        }
    };

    let set = prepared.controller.policy_set();
    let now = SystemClock.now();
    let ids: Vec<_> = set
        .targets
        .iter()
        .map(|t| (t.resource_id.clone(), t.dimension))
        .collect();
    let mut ports = prepared.aws;
    let (caps, _) = ports.read(&ids, now).await;
    let attached = conflicts(&ports, set).await;
    for (i, t) in set.targets.iter().enumerate() {
        let s = report.section(format!("target {} ({})", t.name, t.resource_id));
        match &caps[i] {
            Ok(cap) => {
                s.push(match cap.status {
                    EndpointStatus::InService => check(
                        Status::Pass,
                        format!("InService: {} current, {} desired", cap.current, cap.desired),
                    ),
                    other => check(
                        Status::Warn,
                        format!("{other:?}, not InService: sagescale decides but does not act until it is"),
                    ),
                });
                s.push(match cap.registration {
                    Some(r) => check(
                        Status::Pass,
                        format!("scalable target registered [{}, {}]", r.min, r.max),
                    ),
                    None => check(
                        Status::Warn,
                        format!("no scalable target registered: the daemon registers [{}, {}] on its first cycle (application-autoscaling:RegisterScalableTarget)", t.min, t.max),
                    ),
                });
            }
            Err(e) => s.push(check(Status::Fail, format!("cannot read: {e}"))),
        }
        match &attached {
            Ok(found) => {
                let mine: Vec<_> = found
                    .iter()
                    .filter(|c| c.resource_id == t.resource_id)
                    .collect();
                if mine.is_empty() {
                    s.push(check(
                        Status::Pass,
                        "no Application Auto Scaling policy attached",
                    ));
                }
                for c in mine {
                    s.push(check(Status::Fail, c.warning()));
                }
            }
            Err(e) => s.push(check(
                Status::Warn,
                format!("attached Application Auto Scaling policies not checked: {e}"),
            )),
        }
    }

    let s = report.section(format!(
        "metrics (a datapoint in the last {RECENT_MINUTES} minutes)"
    ));
    let mut obs = ObservationSet::with_metrics(set.metrics.len());
    let fetched = ports.fetch(now, &mut obs).await;
    for f in &fetched.failures {
        s.push(check(Status::Fail, format!("GetMetricData: {f}")));
    }
    if fetched.failures.is_empty() {
        for (k, q) in set.metrics.iter().enumerate() {
            let id = sagescale_metrics::MetricId(u32::try_from(k).unwrap_or(u32::MAX));
            let newest = obs.window(id).and_then(|w| {
                let period = i64::from(w.period.0);
                w.values
                    .iter()
                    .rposition(Option::is_some)
                    .map(|idx| w.end.0 - period * i64::try_from(w.values.len() - idx).unwrap_or(0))
            });
            s.push(match newest {
                Some(t) if now.0 - t <= RECENT_MINUTES * 60 => check(
                    Status::Pass,
                    format!("{q}: newest datapoint {} s old", now.0 - t),
                ),
                Some(t) => check(
                    Status::Warn,
                    format!("{q}: newest datapoint {} min old: policies on it wait for data (check that the endpoint has traffic, and the metric's name and dimensions)", (now.0 - t) / 60),
                ),
                None => check(
                    Status::Warn,
                    format!("{q}: no datapoint: an endpoint with no traffic publishes none; otherwise check the metric's namespace, name and dimensions (`aws cloudwatch list-metrics`)"),
                ),
            });
        }
    }

    let s = report.section("permissions (IAM SimulatePrincipalPolicy)");
    let Some(who) = who else {
        s.push(check(
            Status::Warn,
            "not checked: the caller is unknown (GetCallerIdentity failed)",
        ));
        return report;
    };
    let scope = Scope {
        partition: who.arn.split(':').nth(1).unwrap_or("aws").to_string(),
        region: ports.clients.region.clone().unwrap_or_else(|| "*".into()),
        account: who.account.clone(),
        lease_table: config.doc.ha.as_ref().map(|h| h.table.clone()),
        publish_metrics: config.doc.publish_metrics,
    };
    let doc = policy(set, &scope);
    let principal = who.principal();
    let statements = doc["Statement"].as_array().cloned().unwrap_or_default();
    let strings = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    for st in &statements {
        let actions = strings(&st["Action"]);
        let resources = strings(&st["Resource"]);
        match simulate(
            &ports.clients,
            &ports.retry,
            ports.observer.as_ref(),
            &principal,
            &actions,
            &resources,
        )
        .await
        {
            Ok(verdicts) => {
                for v in verdicts {
                    s.push(if v.decision == "allowed" {
                        check(Status::Pass, format!("{} allowed", v.action))
                    } else {
                        check(
                            Status::Fail,
                            format!(
                                "{} {} for {principal}: attach `sagescale iam-policy` output to it",
                                v.action, v.decision
                            ),
                        )
                    });
                }
            }
            Err(e) => {
                // One failure says it for every statement: the simulation itself is out.
                let all: Vec<String> = statements
                    .iter()
                    .flat_map(|st| strings(&st["Action"]))
                    .collect();
                s.push(check(
                    Status::Warn,
                    format!(
                        "not checked ({}): SimulatePrincipalPolicy: {e}. Grant iam:SimulatePrincipalPolicy to check, or compare the role's policy with `sagescale iam-policy`",
                        all.join(", ")
                    ),
                ));
                break;
            }
        }
    }
    report
}
