//! What `plan-batch` prints: the pick, then the settings it beat and why.

use std::fmt::Write as _;

use crate::transform::{BatchJob, BatchStrategy, Candidate, Plan, Verdict};

fn hm(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "-".into();
    }
    let m = (seconds / 60.0).ceil() as u64;
    format!("{}h{:02}m", m / 60, m % 60)
}

fn why(c: &Candidate, job: &BatchJob, pick: Option<&Candidate>) -> String {
    match c.verdict {
        Verdict::Chosen => "the pick".into(),
        Verdict::Costlier { extra_usd } => {
            let base = pick.map_or(f64::NAN, |p| p.cost_usd);
            format!("${extra_usd:.2} more ({:+.0} %)", extra_usd / base * 100.0)
        }
        Verdict::MissesDeadline { late_s } => format!(
            "{} late even on {} instance(s){}",
            hm(late_s),
            c.instance_count,
            if u64::from(c.instance_count) == job.files {
                " (one per input file)"
            } else {
                " (max_instances)"
            }
        ),
        Verdict::PayloadLimit { mb } => format!(
            "{} × {} MB = {mb} MB: AWS caps MaxConcurrentTransforms × MaxPayloadInMB at 100 MB",
            c.max_concurrent_transforms, job.max_payload_mb
        ),
        Verdict::OutOfMemory { need_mb, have_mb } => {
            format!("needs {need_mb:.0} MB, the instance has {have_mb:.0} MB (90 %)")
        }
        Verdict::NoFaster { workers } => {
            format!("no faster than {workers} (the container's workers), only more memory")
        }
        Verdict::RecordTooLarge { record_mb } => format!(
            "an average record is {record_mb:.1} MB, over MaxPayloadInMB {}",
            job.max_payload_mb
        ),
    }
}

fn kind(v: Verdict) -> u8 {
    match v {
        Verdict::Chosen => 0,
        Verdict::Costlier { .. } => 1,
        Verdict::MissesDeadline { .. } => 2,
        Verdict::PayloadLimit { .. } => 3,
        Verdict::OutOfMemory { .. } => 4,
        Verdict::NoFaster { .. } => 5,
        Verdict::RecordTooLarge { .. } => 6,
    }
}

/// The terminal output. Without `all`, the rejected list keeps the best setting of each
/// instance type for each reason.
#[must_use]
pub fn plan_table(title: &str, job: &BatchJob, plan: &Plan, all: bool) -> String {
    let mut s = String::new();
    let strategy = match job.strategy {
        BatchStrategy::MultiRecord => "MultiRecord",
        BatchStrategy::SingleRecord => "SingleRecord",
    };
    let _ = writeln!(
        s,
        "{title}: {} records, {:.2} GB in {} file(s), deadline {}, {strategy}, MaxPayloadInMB {}",
        job.records,
        job.bytes as f64 / 1e9,
        job.files,
        hm(job.deadline_s),
        job.max_payload_mb
    );
    let pick = plan.chosen();
    match pick {
        Some(p) => {
            let _ = writeln!(
                s,
                "\npick: {} × {}, MaxConcurrentTransforms {}, {} record(s) per request\n      done in {}, ${:.2}",
                p.instance_count,
                p.instance_type,
                p.max_concurrent_transforms,
                p.records_per_request,
                hm(p.duration_s),
                p.cost_usd
            );
        }
        None => {
            let _ = writeln!(s, "\nno setting meets the deadline");
        }
    }
    let _ = writeln!(
        s,
        "\n{} ({} settings):",
        if all {
            "every setting"
        } else {
            "rejected, the best of each type for each reason; --all lists all"
        },
        plan.candidates.len()
    );
    let _ = writeln!(
        s,
        "  {:<18} {:>5} {:>4} {:>8} {:>10}  why",
        "instance type", "count", "MCT", "time", "cost"
    );
    let mut seen: Vec<(&str, u8)> = Vec::new();
    for c in &plan.candidates {
        if c.verdict == Verdict::Chosen {
            continue;
        }
        let key = (c.instance_type.as_str(), kind(c.verdict));
        if !all && seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let cost = if c.cost_usd.is_finite() {
            format!("${:.2}", c.cost_usd)
        } else {
            "-".into()
        };
        let count = if c.cost_usd.is_finite() {
            c.instance_count.to_string()
        } else {
            "-".into()
        };
        let _ = writeln!(
            s,
            "  {:<18} {:>5} {:>4} {:>8} {:>10}  {}",
            c.instance_type,
            count,
            c.max_concurrent_transforms,
            hm(c.duration_s),
            cost,
            why(c, job, pick)
        );
    }
    s
}
