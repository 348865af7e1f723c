//! Reading a `plan-batch` job file (TOML or YAML): the job, and a measured profile per
//! instance type. Every problem is reported with its file, line and field.

use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::transform::{BatchJob, BatchStrategy, RecordProfile, PAYLOAD_BUDGET_MB};
use sagescale_files::diagnostic::{item, Diagnostic, Diagnostics};
use sagescale_instances::instance_type;

/// A job file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobDoc {
    /// The job.
    pub job: JobSection,
    /// One measured profile per instance type to consider.
    #[serde(default)]
    pub profiles: Vec<ProfileDoc>,
}

/// `[job]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSection {
    /// Records in the input.
    pub records: u64,
    /// Bytes in the input.
    pub bytes: u64,
    /// S3 objects the input is split into (SageMaker gives whole objects to instances).
    pub files: u64,
    /// Minutes from the job's start to its deadline.
    pub deadline_minutes: f64,
    /// `MultiRecord` (default) or `SingleRecord`.
    #[serde(default)]
    pub batch_strategy: Option<String>,
    /// `MaxPayloadInMB`, 1–100 (default 6, as AWS).
    #[serde(default)]
    pub max_payload_mb: Option<u32>,
    /// The most instances the job may use: the account's quota for the type (default 20).
    #[serde(default)]
    pub max_instances: Option<u32>,
}

/// `[[profiles]]`: how one instance type handles this model, as measured.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileDoc {
    /// `ml.*` name.
    pub instance_type: String,
    /// Milliseconds of model time per record on one worker.
    pub ms_per_record: f64,
    /// Fixed milliseconds per request (default 0).
    #[serde(default)]
    pub ms_per_request: Option<f64>,
    /// Requests served in parallel before throughput stops growing (default: vCPUs).
    #[serde(default)]
    pub workers: Option<u32>,
    /// Memory one busy worker holds, MB (default 0).
    #[serde(default)]
    pub memory_per_worker_mb: Option<f64>,
    /// Input bandwidth per instance, MB/s, if it binds.
    #[serde(default)]
    pub input_mb_per_s: Option<f64>,
    /// Seconds from job start to the first record (default: the type's provisioning median).
    #[serde(default)]
    pub startup_s: Option<f64>,
    /// USD per instance-hour (default: the built-in list price).
    #[serde(default)]
    pub price_per_hour: Option<f64>,
    /// vCPUs, for a type sagescale does not know.
    #[serde(default)]
    pub vcpus: Option<u32>,
    /// Memory, GiB, for a type sagescale does not know.
    #[serde(default)]
    pub memory_gib: Option<u32>,
}

/// Read and validate a job file.
pub fn load(path: &Path) -> Result<(BatchJob, Vec<RecordProfile>), Diagnostics> {
    let mut out: Vec<Diagnostic> = Vec::new();
    let Some((doc, file)) = sagescale_files::read::read_document::<JobDoc>(path, &mut out) else {
        return Err(Diagnostics(out));
    };
    let mut err = |p: &str, m: String| out.push(file.diagnostic(p, m));
    let j = &doc.job;
    for (field, v) in [
        ("job.records", j.records),
        ("job.bytes", j.bytes),
        ("job.files", j.files),
    ] {
        if v == 0 {
            err(field, "must be at least 1".into());
        }
    }
    if j.files > j.records {
        err(
            "job.files",
            format!(
                "{} files for {} records: a file holds at least one",
                j.files, j.records
            ),
        );
    }
    if !(j.deadline_minutes.is_finite() && j.deadline_minutes > 0.0) {
        err("job.deadline_minutes", "must be a positive number".into());
    }
    let strategy = match j.batch_strategy.as_deref() {
        None | Some("MultiRecord") => BatchStrategy::MultiRecord,
        Some("SingleRecord") => BatchStrategy::SingleRecord,
        Some(other) => {
            err(
                "job.batch_strategy",
                format!("`{other}`: use MultiRecord or SingleRecord"),
            );
            BatchStrategy::MultiRecord
        }
    };
    let max_payload_mb = j.max_payload_mb.unwrap_or(6);
    if !(1..=PAYLOAD_BUDGET_MB).contains(&max_payload_mb) {
        err(
            "job.max_payload_mb",
            format!("{max_payload_mb}: AWS accepts 1–100 MB"),
        );
    }
    let max_instances = j.max_instances.unwrap_or(20);
    if max_instances == 0 {
        err("job.max_instances", "must be at least 1".into());
    }
    if doc.profiles.is_empty() {
        err(
            "profiles",
            "measure at least one instance type: [[profiles]] with instance_type and ms_per_record"
                .into(),
        );
    }

    let mut profiles = Vec::new();
    for (i, p) in doc.profiles.iter().enumerate() {
        let at = |f: &str| format!("{}.{f}", item("profiles", i));
        if doc.profiles[..i]
            .iter()
            .any(|q| q.instance_type == p.instance_type)
        {
            err(
                &at("instance_type"),
                format!("{} is profiled twice", p.instance_type),
            );
        }
        let known = instance_type(&p.instance_type);
        let positive = |v: f64| v.is_finite() && v > 0.0;
        let non_negative = |v: f64| v.is_finite() && v >= 0.0;
        if !positive(p.ms_per_record) {
            err(&at("ms_per_record"), "must be a positive number".into());
        }
        let ms_per_request = p.ms_per_request.unwrap_or(0.0);
        if !non_negative(ms_per_request) {
            err(&at("ms_per_request"), "must be 0 or more".into());
        }
        let memory_per_worker_mb = p.memory_per_worker_mb.unwrap_or(0.0);
        if !non_negative(memory_per_worker_mb) {
            err(&at("memory_per_worker_mb"), "must be 0 or more".into());
        }
        if p.input_mb_per_s.is_some_and(|v| !positive(v)) {
            err(&at("input_mb_per_s"), "must be a positive number".into());
        }
        if p.startup_s.is_some_and(|v| !non_negative(v)) {
            err(&at("startup_s"), "must be 0 or more".into());
        }
        if p.price_per_hour.is_some_and(|v| !positive(v)) {
            err(&at("price_per_hour"), "must be a positive number".into());
        }
        let vcpus = p.vcpus.or(known.map(|t| t.vcpus));
        let memory_gib = p.memory_gib.or(known.map(|t| t.memory_gib));
        let price = p.price_per_hour.or(known.map(|t| t.price_per_hour));
        let (Some(vcpus), Some(memory_gib), Some(price_per_hour)) = (vcpus, memory_gib, price)
        else {
            let missing: Vec<&str> = [
                ("vcpus", vcpus.is_none()),
                ("memory_gib", memory_gib.is_none()),
                ("price_per_hour", price.is_none()),
            ]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(f, _)| *f)
            .collect();
            err(
                &at("instance_type"),
                format!(
                    "{} is not a built-in instance type: give its {}",
                    p.instance_type,
                    missing.join(", ")
                ),
            );
            continue;
        };
        let workers = p.workers.unwrap_or(vcpus);
        if workers == 0 {
            err(&at("workers"), "must be at least 1".into());
        }
        profiles.push(RecordProfile {
            instance_type: p.instance_type.clone(),
            ms_per_record: p.ms_per_record,
            ms_per_request,
            workers,
            memory_per_worker_mb,
            memory_mb: f64::from(memory_gib) * 1024.0,
            input_mb_per_s: p.input_mb_per_s,
            startup_s: p
                .startup_s
                .or(known.map(|t| t.provisioning_median_s))
                .unwrap_or(300.0),
            price_per_hour,
        });
    }
    if !out.is_empty() {
        return Err(Diagnostics(out));
    }
    let job = BatchJob {
        records: j.records,
        bytes: j.bytes,
        files: j.files,
        deadline_s: j.deadline_minutes * 60.0,
        strategy,
        max_payload_mb,
        max_instances,
    };
    Ok((job, profiles))
}
