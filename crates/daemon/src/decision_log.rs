//! The decision log: JSON Lines, one record per decision worth telling (a change of decision,
//! any AWS call that changes something, an error, and at least one record per target per
//! hour). Each record is written with one `write` on an `O_APPEND` file, so a crash can tear
//! only the last line; the reader skips a torn line and the writer starts on a fresh one.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use sagescale_aws::TargetCapacity;
use sagescale_core::VariantWeight;
use sagescale_engine::{Capacity, Decision, Timestamp};

use sagescale_core::actuation::Call;

/// What happened to one planned call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Made, and AWS accepted it.
    Ok,
    /// Not made: dry-run.
    DryRun,
    /// Not made: actuation is suspended (the kill switch).
    Suspended,
    /// Not made: this process lost the leader lease.
    Fenced,
    /// Made, and it failed after its retries.
    Failed,
}

/// One AWS call in a record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// `application_autoscaling`.
    pub service: String,
    /// `RegisterScalableTarget`.
    pub operation: String,
    /// Why.
    pub purpose: String,
    /// `MinCapacity`.
    pub min: Capacity,
    /// `MaxCapacity`.
    pub max: Capacity,
    /// What happened.
    pub outcome: Outcome,
    /// Attempts made.
    pub attempts: u32,
    /// The error, if it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `UpdateEndpointWeightsAndCapacities`: the variants' new weights (`min` and `max` are
    /// then 0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<VariantWeight>,
}

impl CallRecord {
    /// A record of `call`.
    #[must_use]
    pub fn register(call: &Call, outcome: Outcome, attempts: u32, error: Option<String>) -> Self {
        Self {
            service: "application_autoscaling".into(),
            operation: "RegisterScalableTarget".into(),
            purpose: serde_json::to_value(call.purpose)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            min: call.min,
            max: call.max,
            outcome,
            attempts,
            error,
            weights: Vec::new(),
        }
    }

    /// A record of a quality guard's weight change.
    #[must_use]
    pub fn weights(
        purpose: &str,
        weights: Vec<VariantWeight>,
        outcome: Outcome,
        attempts: u32,
        error: Option<String>,
    ) -> Self {
        Self {
            service: "sagemaker".into(),
            operation: "UpdateEndpointWeightsAndCapacities".into(),
            purpose: purpose.into(),
            min: 0,
            max: 0,
            outcome,
            attempts,
            error,
            weights,
        }
    }
}

/// One line of the decision log, as written.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    /// RFC 3339 time.
    pub time: String,
    /// Target name.
    pub target: &'a str,
    /// AAS resource id.
    pub resource_id: &'a str,
    /// Calls were not made (dry-run, suspended, or fenced).
    pub dry_run: bool,
    /// Lease fencing token (high availability); `None` when running alone.
    pub fencing_token: Option<u64>,
    /// Capacity as read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<&'a TargetCapacity>,
    /// The engine's decision: inputs (values per policy), result and reasons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<&'a Decision>,
    /// Policy names, index-aligned with the decision's verdicts.
    pub policies: Vec<&'a str>,
    /// The decision in words.
    pub explanation: String,
    /// AWS calls made (or, in dry-run, that would have been).
    pub calls: Vec<CallRecord>,
    /// Why no decision could be made (capacity unreadable, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A line read back from the log (only the fields `explain` needs are typed).
#[derive(Clone, Debug, Deserialize)]
pub struct ReadRecord {
    /// RFC 3339 time.
    pub time: String,
    /// Target name.
    pub target: String,
    /// Dry-run.
    #[serde(default)]
    pub dry_run: bool,
    /// The decision in words.
    #[serde(default)]
    pub explanation: String,
    /// Calls.
    #[serde(default)]
    pub calls: Vec<CallRecord>,
    /// Error.
    #[serde(default)]
    pub error: Option<String>,
    /// Fencing token.
    #[serde(default)]
    pub fencing_token: Option<u64>,
}

/// Appends records.
#[derive(Debug)]
pub struct DecisionLog {
    path: PathBuf,
    file: std::fs::File,
}

impl DecisionLog {
    /// Open (creating with mode 0640) `path` for appending. A torn last line left by a crash
    /// is closed off with a newline so the next record starts on its own line.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut o = std::fs::OpenOptions::new();
        o.append(true).create(true).read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o640);
        }
        let mut file = o.open(path)?;
        let len = file.metadata()?.len();
        if len > 0 {
            use std::io::{Read, Seek, SeekFrom};
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record as one line, in one write.
    pub fn append(&mut self, record: &Record<'_>) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        if super::failpoint::armed("mid-log-write") {
            let _ = self.file.write_all(&line[..line.len() / 2]);
            super::failpoint::crash("mid-log-write");
        }
        self.file.write_all(&line)
    }
}

/// Every readable record in `text`, and the 1-based line numbers that could not be read.
#[must_use]
pub fn read(text: &str) -> (Vec<ReadRecord>, Vec<usize>) {
    let mut records = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ReadRecord>(line) {
            Ok(r) => records.push(r),
            Err(_) => bad.push(i + 1),
        }
    }
    (records, bad)
}

/// RFC 3339 text of `t`.
#[must_use]
pub fn rfc3339(t: Timestamp) -> String {
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>(target: &'a str, explanation: &str) -> Record<'a> {
        Record {
            time: rfc3339(Timestamp(60)),
            target,
            resource_id: "endpoint/e/variant/v",
            dry_run: false,
            fencing_token: None,
            capacity: None,
            decision: None,
            policies: vec![],
            explanation: explanation.into(),
            calls: vec![],
            error: None,
        }
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_the_next_record_starts_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.jsonl");
        let mut log = DecisionLog::open(&p).unwrap();
        log.append(&record("a", "first")).unwrap();
        drop(log);
        // A crash mid-write leaves half a line.
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"time\":\"2026-").unwrap();
        drop(f);
        let mut log = DecisionLog::open(&p).unwrap();
        log.append(&record("a", "second")).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        let (records, bad) = read(&text);
        assert_eq!(
            records
                .iter()
                .map(|r| r.explanation.as_str())
                .collect::<Vec<_>>(),
            vec!["first", "second"]
        );
        assert_eq!(bad, vec![2]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
    }
}
