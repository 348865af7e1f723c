//! The daemon's configuration: a TOML or YAML file read through `config`, with `SAGESCALE_*`
//! environment overrides (`__` between nested keys: `SAGESCALE_AWS__REGION=eu-west-1`,
//! `SAGESCALE_DRY_RUN=true`). Errors name the file, line and field.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use sagescale_aws::{AwsSettings, Retrier, RetryPolicy};
use sagescale_engine::Seconds;
use sagescale_files::read::parse_file;
use sagescale_policy::{Diagnostic, Diagnostics};

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One JSON object a line (for CloudWatch Logs and journald).
    #[default]
    Json,
    /// Human-readable lines.
    Text,
}

/// The daemon's settings, as written in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDoc {
    /// Policy file or directory (relative paths are relative to the config file).
    pub policy_dir: PathBuf,
    /// Seconds between evaluations.
    #[serde(default = "default_interval")]
    pub interval_seconds: u32,
    /// How far behind now the newest datapoint read ends, in seconds (CloudWatch can take
    /// ~2 minutes to make a datapoint readable).
    #[serde(default = "default_lag")]
    pub metric_lag_seconds: u32,
    /// A metric whose newest datapoint is older than this is stale and treated as missing.
    #[serde(default = "default_max_age")]
    pub max_metric_age_seconds: u32,
    /// Decide and log, but make no AWS call that changes anything.
    #[serde(default)]
    pub dry_run: bool,
    /// Engine state, written atomically after every cycle.
    pub state_file: PathBuf,
    /// Decision log (JSON Lines).
    pub decision_log: PathBuf,
    /// Admin HTTP address (`/healthz`, `/readyz`, `/metrics`); loopback unless told otherwise.
    #[serde(default = "default_admin")]
    pub admin_listen: SocketAddr,
    /// Log format.
    #[serde(default)]
    pub log_format: LogFormat,
    /// Publish sagescale's own metrics to CloudWatch (namespace `sagescale`).
    #[serde(default)]
    pub publish_metrics: bool,
    /// A pinned bound (raised Min or lowered Max) is restored once capacity has arrived, or
    /// after this many seconds at most.
    #[serde(default = "default_pin_timeout")]
    pub pin_timeout_seconds: u32,
    /// Describe an unchanged endpoint again at least this often, in seconds.
    #[serde(default = "default_refresh")]
    pub capacity_refresh_seconds: u32,
    /// AWS region, profile, endpoint URLs and timeouts.
    #[serde(default)]
    pub aws: AwsSettings,
    /// Retriers, first match wins; the defaults retry throttling, server errors, timeouts and
    /// connection failures.
    #[serde(default)]
    pub retry: Option<Vec<Retrier>>,
    /// Kill switch: evaluate and log, but make no changing call (SIGUSR1 sets it while
    /// running, SIGUSR2 clears it).
    #[serde(default)]
    pub suspend_actuation: bool,
    /// High availability: replicas share a leader lease in DynamoDB; only the leader acts.
    #[serde(default)]
    pub ha: Option<HaDoc>,
}

/// The leader lease.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HaDoc {
    /// DynamoDB table with partition key `lease` (string).
    pub table: String,
    /// Lease name: one per policy set (shard).
    #[serde(default = "default_lease_name")]
    pub lease_name: String,
    /// A leader that has not renewed for this long loses the lease.
    #[serde(default = "default_ttl")]
    pub ttl_seconds: u32,
}

fn default_lease_name() -> String {
    "sagescale".into()
}
fn default_ttl() -> u32 {
    30
}

fn default_interval() -> u32 {
    60
}
fn default_lag() -> u32 {
    60
}
fn default_max_age() -> u32 {
    300
}
fn default_admin() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9464))
}
fn default_pin_timeout() -> u32 {
    sagescale_core::actuation::DEFAULT_PIN_TIMEOUT.0
}
fn default_refresh() -> u32 {
    600
}

/// A checked configuration with paths resolved.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it was read from.
    pub file: PathBuf,
    /// The settings.
    pub doc: ConfigDoc,
    /// Retriers in force.
    pub retry: RetryPolicy,
}

impl Config {
    /// The evaluation interval.
    #[must_use]
    pub fn interval(&self) -> Seconds {
        Seconds(self.doc.interval_seconds)
    }
}

/// Read and check the config at `path`, applying `SAGESCALE_*` overrides from `env`.
pub fn load(
    path: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, Diagnostics> {
    let mut problems = Vec::new();
    let Some(parsed) = parse_file(path, &mut problems) else {
        return Err(Diagnostics(problems));
    };
    let overrides: std::collections::HashMap<String, String> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("SAGESCALE_"))
        .collect();
    let env_keys: Vec<String> = overrides.keys().cloned().collect();
    let merged = config::Config::builder()
        .add_source(parsed.root)
        .add_source(
            config::Environment::with_prefix("SAGESCALE")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(overrides)),
        )
        .build();
    let file = parsed.file;
    let merged = match merged {
        Ok(m) => m,
        Err(e) => return Err(Diagnostics(vec![file.diagnostic("", e.to_string())])),
    };
    let doc: ConfigDoc = match serde_path_to_error::deserialize(merged) {
        Ok(d) => d,
        Err(e) => {
            let field = e.path().to_string();
            let message = sagescale_files::read::clean_message(&e.inner().to_string());
            let mut d = file.diagnostic(&field, message);
            if !env_keys.is_empty() && d.line.is_none() {
                d.message.push_str(&format!(
                    " (environment overrides in effect: {})",
                    env_keys.join(", ")
                ));
            }
            return Err(Diagnostics(vec![d]));
        }
    };
    let mut doc = doc;
    let base = path.parent().unwrap_or(Path::new("."));
    for p in [
        &mut doc.policy_dir,
        &mut doc.state_file,
        &mut doc.decision_log,
    ] {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    }
    let mut check = |field: &str, ok: bool, message: &str| {
        if !ok {
            problems.push(file.diagnostic(field, message));
        }
    };
    check(
        "interval_seconds",
        (1..=3600).contains(&doc.interval_seconds),
        "must lie between 1 and 3600 seconds",
    );
    check(
        "metric_lag_seconds",
        doc.metric_lag_seconds <= 900,
        "must be at most 900 seconds",
    );
    check(
        "max_metric_age_seconds",
        doc.max_metric_age_seconds >= 10,
        "must be at least 10 seconds",
    );
    check(
        "pin_timeout_seconds",
        doc.pin_timeout_seconds >= 60,
        "must be at least 60 seconds",
    );
    check(
        "state_file",
        doc.state_file != doc.decision_log,
        "the state file and the decision log must be different files",
    );
    if let Some(ha) = &doc.ha {
        check(
            "ha.ttl_seconds",
            (2..=600).contains(&ha.ttl_seconds),
            "must lie between 2 and 600 seconds",
        );
        check(
            "ha.table",
            (3..=255).contains(&ha.table.len()),
            "a DynamoDB table name has 3 to 255 characters",
        );
    }
    if let Err(e) = doc.aws.check() {
        problems.push(file.diagnostic("aws", e.to_string()));
    }
    let retry = match &doc.retry {
        None => RetryPolicy::default(),
        Some(list) => {
            if list.len() > 8 {
                problems.push(file.diagnostic("retry", "at most 8 retriers"));
            }
            for (i, r) in list.iter().enumerate() {
                if let Err(m) = r.check() {
                    problems.push(file.diagnostic(&format!("retry[{i}]"), m));
                }
            }
            RetryPolicy {
                retriers: list.clone(),
            }
        }
    };
    if !problems.is_empty() {
        return Err(Diagnostics(problems));
    }
    Ok(Config {
        file: path.to_path_buf(),
        doc,
        retry,
    })
}

/// A config problem not tied to a field (e.g. the policy set failed to load at start).
#[must_use]
pub fn problem(file: &Path, message: String) -> Diagnostic {
    Diagnostic {
        file: file.to_path_buf(),
        path: String::new(),
        line: None,
        column: None,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_defaults_and_resolves_paths_against_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "sagescale.toml",
            "policy_dir = \"policies\"\nstate_file = \"state.json\"\ndecision_log = \"/var/log/d.jsonl\"\n",
        );
        let c = load(&p, []).unwrap();
        assert_eq!(c.doc.policy_dir, dir.path().join("policies"));
        assert_eq!(c.doc.decision_log, PathBuf::from("/var/log/d.jsonl"));
        assert_eq!(c.doc.interval_seconds, 60);
        assert!(c.doc.admin_listen.ip().is_loopback());
        assert_eq!(c.retry, RetryPolicy::default());
    }

    #[test]
    fn environment_overrides_the_file_and_typos_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "c.yaml",
            "policy_dir: p\nstate_file: s.json\ndecision_log: d.jsonl\ndry_run: false\n",
        );
        let env = [
            ("SAGESCALE_DRY_RUN".to_string(), "true".to_string()),
            ("SAGESCALE_AWS__REGION".to_string(), "eu-west-1".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ];
        let c = load(&p, env).unwrap();
        assert!(c.doc.dry_run);
        assert_eq!(c.doc.aws.region.as_deref(), Some("eu-west-1"));

        let bad = write(
            dir.path(),
            "bad.toml",
            "policy_dir = \"p\"\nstate_file = \"s\"\ndecision_log = \"d\"\ninterval_second = 5\n",
        );
        let e = load(&bad, []).unwrap_err().to_string();
        assert!(e.contains("bad.toml:4"), "{e}");
        assert!(e.contains("interval_second"), "{e}");
    }

    #[test]
    fn every_bad_value_is_reported_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "c.toml",
            "policy_dir = \"p\"\nstate_file = \"x\"\ndecision_log = \"x\"\ninterval_seconds = 0\n[aws.endpoints]\ncloudwatch = \"http://10.0.0.1\"\n[[retry]]\nerror_equals = [\"throttling\"]\nbackoff_rate = 0.5\n",
        );
        let e = load(&p, []).unwrap_err();
        let text = e.to_string();
        assert_eq!(e.0.len(), 4, "{text}");
        assert!(
            text.contains("c.toml:4:1: interval_seconds: must lie between 1 and 3600"),
            "{text}"
        );
        assert!(
            text.contains("state_file: the state file and the decision log"),
            "{text}"
        );
        assert!(
            text.contains("plain HTTP is allowed only to a loopback"),
            "{text}"
        );
        assert!(
            text.contains("retry[0]: backoff_rate must be 1.0 or more"),
            "{text}"
        );
    }

    #[test]
    fn the_example_config_loads_and_states_the_defaults() {
        // The crate sits two levels below the repository root.
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/config/sagescale.toml");
        let c = load(&example, []).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let minimal = write(
            dir.path(),
            "m.toml",
            "policy_dir = \"p\"\nstate_file = \"s\"\ndecision_log = \"d\"\n",
        );
        let d = load(&minimal, []).unwrap();
        assert_eq!(c.retry, d.retry);
        let (a, b) = (&c.doc, &d.doc);
        assert_eq!(
            (
                a.interval_seconds,
                a.metric_lag_seconds,
                a.max_metric_age_seconds,
                a.dry_run
            ),
            (
                b.interval_seconds,
                b.metric_lag_seconds,
                b.max_metric_age_seconds,
                b.dry_run
            )
        );
        assert_eq!(
            (
                a.admin_listen,
                a.log_format,
                a.publish_metrics,
                a.pin_timeout_seconds,
                a.capacity_refresh_seconds
            ),
            (
                b.admin_listen,
                b.log_format,
                b.publish_metrics,
                b.pin_timeout_seconds,
                b.capacity_refresh_seconds
            )
        );
        assert_eq!(a.aws.timeouts, b.aws.timeouts);
    }
}
