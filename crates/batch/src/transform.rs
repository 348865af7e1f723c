//! Batch transform planning (`sagescale plan-batch`): the cheapest `instance_type`,
//! `instance_count` and `MaxConcurrentTransforms` that finish a job before its deadline, and
//! why every other setting lost.
//!
//! The model, per instance type (all of it in docs/plan-batch.md):
//! - SageMaker hands whole S3 objects to instances, so with `n` instances the busiest one gets
//!   `ceil(files / n)` of them; instances past the file count add cost, not speed.
//! - A request carries one record (`SingleRecord`) or as many as fit in `MaxPayloadInMB`
//!   (`MultiRecord`); it costs `ms_per_request + records × ms_per_record` on one worker.
//! - `MaxConcurrentTransforms` requests run at once, but no faster than the container has
//!   workers; past that, requests queue inside the instance.
//! - An optional input bandwidth bounds each instance's share of the bytes.
//! - AWS's own limits: `MaxPayloadInMB ≤ 100` and `MaxConcurrentTransforms × MaxPayloadInMB ≤
//!   100` (CreateTransformJob); the concurrent workers and payload buffers must fit in 90 % of
//!   the instance's memory.
//! - The job takes start-up plus the busiest instance's processing; every instance is billed
//!   for all of it.

use serde::Serialize;

/// The largest `MaxConcurrentTransforms × MaxPayloadInMB` AWS accepts, MB.
pub const PAYLOAD_BUDGET_MB: u32 = 100;
/// The share of an instance's memory the model's workers may use.
pub const MEMORY_HEADROOM: f64 = 0.9;
/// The largest `MaxConcurrentTransforms` tried.
pub const MAX_CONCURRENCY: u32 = 64;

/// How records are packed into requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BatchStrategy {
    /// As many records as fit in `MaxPayloadInMB`.
    MultiRecord,
    /// One record per request.
    SingleRecord,
}

/// The job to plan.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchJob {
    /// Records in the input.
    pub records: u64,
    /// Bytes in the input.
    pub bytes: u64,
    /// S3 objects the input is split into.
    pub files: u64,
    /// Seconds from job creation to the deadline.
    pub deadline_s: f64,
    /// `BatchStrategy`.
    pub strategy: BatchStrategy,
    /// `MaxPayloadInMB`.
    pub max_payload_mb: u32,
    /// The most instances the account may run for this job (its service quota).
    pub max_instances: u32,
}

/// How fast one instance type processes this job's records, as measured by the user.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordProfile {
    /// `ml.*` name.
    pub instance_type: String,
    /// Milliseconds of model time per record on one worker.
    pub ms_per_record: f64,
    /// Fixed milliseconds per request (HTTP, parsing, serialising).
    pub ms_per_request: f64,
    /// Requests the container serves in parallel before throughput stops growing.
    pub workers: u32,
    /// Memory one busy worker holds, MB.
    pub memory_per_worker_mb: f64,
    /// Instance memory, MB.
    pub memory_mb: f64,
    /// Input bandwidth per instance, MB/s, if it binds.
    pub input_mb_per_s: Option<f64>,
    /// Seconds from job start to the first record processed.
    pub startup_s: f64,
    /// USD per instance-hour.
    pub price_per_hour: f64,
}

/// Why a candidate was not picked.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// The pick.
    Chosen,
    /// Meets the deadline, at a higher cost than the pick.
    Costlier {
        /// USD more than the pick.
        extra_usd: f64,
    },
    /// Even at the most instances that help, it finishes late.
    MissesDeadline {
        /// Seconds late.
        late_s: f64,
    },
    /// `MaxConcurrentTransforms × MaxPayloadInMB` exceeds AWS's 100 MB.
    PayloadLimit {
        /// The product, MB.
        mb: u32,
    },
    /// The concurrent workers and payloads do not fit in memory.
    OutOfMemory {
        /// MB needed.
        need_mb: f64,
        /// MB available (90 % of the instance).
        have_mb: f64,
    },
    /// More concurrency than the container has workers: no faster, only more memory.
    NoFaster {
        /// Workers of the container.
        workers: u32,
    },
    /// One average record is larger than `MaxPayloadInMB`.
    RecordTooLarge {
        /// Average record size, MB.
        record_mb: f64,
    },
}

/// One setting and how it fares.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// `ml.*` name.
    pub instance_type: String,
    /// Instances (the fewest that meet the deadline, or the most that help).
    pub instance_count: u32,
    /// `MaxConcurrentTransforms`.
    pub max_concurrent_transforms: u32,
    /// Records per request.
    pub records_per_request: u64,
    /// Seconds from start to the last record.
    pub duration_s: f64,
    /// USD for the whole job.
    pub cost_usd: f64,
    /// The verdict.
    pub verdict: Verdict,
}

impl Candidate {
    /// Whether it meets the deadline within AWS's and the instance's limits.
    #[must_use]
    pub fn feasible(&self) -> bool {
        matches!(self.verdict, Verdict::Chosen | Verdict::Costlier { .. })
    }
}

/// The plan: every candidate, the pick first when there is one, the rest by cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    /// All candidates, one per instance type and concurrency.
    pub candidates: Vec<Candidate>,
}

impl Plan {
    /// The pick, if any setting meets the deadline.
    #[must_use]
    pub fn chosen(&self) -> Option<&Candidate> {
        self.candidates
            .first()
            .filter(|c| c.verdict == Verdict::Chosen)
    }
}

/// Records per request for this job.
fn records_per_request(job: &BatchJob) -> Result<u64, f64> {
    let record_bytes = job.bytes as f64 / job.records.max(1) as f64;
    let payload_bytes = f64::from(job.max_payload_mb) * 1e6;
    if record_bytes > payload_bytes {
        return Err(record_bytes / 1e6);
    }
    Ok(match job.strategy {
        BatchStrategy::SingleRecord => 1,
        BatchStrategy::MultiRecord => {
            let per_file = job.records.div_ceil(job.files.max(1));
            ((payload_bytes / record_bytes.max(1.0)).floor() as u64).clamp(1, per_file.max(1))
        }
    })
}

/// Seconds the job takes on `n` instances of `p` at concurrency `c`.
fn duration_s(job: &BatchJob, p: &RecordProfile, per_request: u64, c: u32, n: u32) -> f64 {
    let files_each = job.files.div_ceil(u64::from(n));
    let share = files_each.min(job.files) as f64 / job.files.max(1) as f64;
    let request_s = (p.ms_per_request + per_request as f64 * p.ms_per_record) / 1e3;
    let records_per_s = f64::from(c.min(p.workers)) * per_request as f64 / request_s;
    let compute_s = job.records as f64 * share / records_per_s;
    let input_s = p
        .input_mb_per_s
        .map_or(0.0, |mbps| job.bytes as f64 * share / 1e6 / mbps);
    p.startup_s + compute_s.max(input_s)
}

fn candidate(job: &BatchJob, p: &RecordProfile, per_request: u64, c: u32) -> Candidate {
    let mut out = Candidate {
        instance_type: p.instance_type.clone(),
        instance_count: 1,
        max_concurrent_transforms: c,
        records_per_request: per_request,
        duration_s: f64::NAN,
        cost_usd: f64::NAN,
        verdict: Verdict::Chosen,
    };
    let payload = c * job.max_payload_mb;
    let need_mb = f64::from(c.min(p.workers)) * p.memory_per_worker_mb + 2.0 * f64::from(payload);
    let have_mb = p.memory_mb * MEMORY_HEADROOM;
    if payload > PAYLOAD_BUDGET_MB {
        out.verdict = Verdict::PayloadLimit { mb: payload };
        return out;
    }
    if need_mb > have_mb {
        out.verdict = Verdict::OutOfMemory { need_mb, have_mb };
        return out;
    }
    // More instances than files never help: the busiest one still has a whole file.
    let useful = u64::from(job.max_instances).min(job.files).max(1) as u32;
    let n = (1..=useful)
        .find(|&n| duration_s(job, p, per_request, c, n) <= job.deadline_s)
        .unwrap_or(useful);
    out.instance_count = n;
    out.duration_s = duration_s(job, p, per_request, c, n);
    out.cost_usd = f64::from(n) * p.price_per_hour * out.duration_s / 3600.0;
    if out.duration_s > job.deadline_s {
        out.verdict = Verdict::MissesDeadline {
            late_s: out.duration_s - job.deadline_s,
        };
    } else if c > p.workers {
        out.verdict = Verdict::NoFaster { workers: p.workers };
    }
    out
}

/// Plan the job on the profiled instance types.
#[must_use]
pub fn plan(job: &BatchJob, profiles: &[RecordProfile]) -> Plan {
    let per_request = match records_per_request(job) {
        Ok(r) => r,
        Err(record_mb) => {
            let candidates = profiles
                .iter()
                .map(|p| Candidate {
                    instance_type: p.instance_type.clone(),
                    instance_count: 0,
                    max_concurrent_transforms: 0,
                    records_per_request: 0,
                    duration_s: f64::NAN,
                    cost_usd: f64::NAN,
                    verdict: Verdict::RecordTooLarge { record_mb },
                })
                .collect();
            return Plan { candidates };
        }
    };
    let mut candidates: Vec<Candidate> = profiles
        .iter()
        .flat_map(|p| {
            (1..=MAX_CONCURRENCY.min(p.workers.max(1) * 2))
                .map(move |c| candidate(job, p, per_request, c))
        })
        .collect();
    // Feasible first, cheapest first; ties go to the faster, then the smaller setting.
    let rank = |c: &Candidate| (!c.feasible(), c.cost_usd.is_nan());
    candidates.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then(a.cost_usd.total_cmp(&b.cost_usd))
            .then(a.duration_s.total_cmp(&b.duration_s))
            .then(a.instance_count.cmp(&b.instance_count))
            .then(
                a.max_concurrent_transforms
                    .cmp(&b.max_concurrent_transforms),
            )
    });
    if let Some(best) = candidates
        .first()
        .filter(|c| c.feasible())
        .map(|c| c.cost_usd)
    {
        for (i, c) in candidates.iter_mut().enumerate() {
            if c.feasible() {
                c.verdict = if i == 0 {
                    Verdict::Chosen
                } else {
                    Verdict::Costlier {
                        extra_usd: c.cost_usd - best,
                    }
                };
            }
        }
    }
    Plan { candidates }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> BatchJob {
        BatchJob {
            records: 10_000_000,
            bytes: 10_000_000_000,
            files: 1000,
            deadline_s: 4.0 * 3600.0,
            strategy: BatchStrategy::MultiRecord,
            max_payload_mb: 6,
            max_instances: 20,
        }
    }

    fn profile(name: &str, ms_per_record: f64, workers: u32, price: f64) -> RecordProfile {
        RecordProfile {
            instance_type: name.into(),
            ms_per_record,
            ms_per_request: 50.0,
            workers,
            memory_per_worker_mb: 1000.0,
            memory_mb: 16_384.0,
            input_mb_per_s: None,
            startup_s: 300.0,
            price_per_hour: price,
        }
    }

    #[test]
    fn the_pick_is_the_cheapest_setting_that_meets_the_deadline() {
        let profiles = [
            profile("ml.c5.xlarge", 2.0, 4, 0.204),
            profile("ml.g4dn.xlarge", 0.3, 4, 0.736),
        ];
        let plan = plan(&job(), &profiles);
        let pick = plan.chosen().expect("a setting meets 4 h");
        assert!(pick.duration_s <= job().deadline_s);
        // Brute force over every count, type and concurrency: nothing feasible is cheaper.
        for p in &profiles {
            for c in 1..=8 {
                let per = records_per_request(&job()).unwrap();
                for n in 1..=20 {
                    let d = duration_s(&job(), p, per, c, n);
                    let cost = f64::from(n) * p.price_per_hour * d / 3600.0;
                    if d <= job().deadline_s && c * 6 <= 100 {
                        assert!(
                            cost >= pick.cost_usd - 1e-9,
                            "{} ×{n} c{c}",
                            p.instance_type
                        );
                    }
                }
            }
        }
        assert!(plan.candidates[1..]
            .iter()
            .all(|c| c.verdict != Verdict::Chosen));
    }

    #[test]
    fn a_tighter_deadline_takes_more_instances() {
        let p = [profile("ml.c5.xlarge", 2.0, 4, 0.204)];
        let loose = plan(&job(), &p).chosen().unwrap().instance_count;
        let tight = plan(
            &BatchJob {
                deadline_s: 3600.0,
                ..job()
            },
            &p,
        )
        .chosen()
        .unwrap()
        .instance_count;
        assert!(tight > loose, "{tight} > {loose}");
    }

    #[test]
    fn aws_payload_limit_and_memory_reject_settings() {
        let mut p = profile("ml.c5.xlarge", 2.0, 32, 0.204);
        p.memory_mb = 8192.0;
        let plan = plan(&job(), &[p]);
        let find = |c: u32| {
            plan.candidates
                .iter()
                .find(|x| x.max_concurrent_transforms == c)
                .unwrap()
                .verdict
        };
        assert_eq!(find(17), Verdict::PayloadLimit { mb: 102 });
        assert!(matches!(find(8), Verdict::OutOfMemory { .. }));
        assert!(plan.chosen().unwrap().max_concurrent_transforms <= 7);
    }

    #[test]
    fn instances_past_the_file_count_do_not_help() {
        let p = [profile("ml.c5.xlarge", 2.0, 4, 0.204)];
        let few_files = BatchJob {
            files: 3,
            deadline_s: 1800.0,
            ..job()
        };
        let plan = plan(&few_files, &p);
        assert!(plan.chosen().is_none());
        assert!(plan
            .candidates
            .iter()
            .all(|c| c.instance_count <= 3 && matches!(c.verdict, Verdict::MissesDeadline { .. })));
    }

    #[test]
    fn a_record_larger_than_the_payload_is_refused() {
        let big = BatchJob {
            bytes: 100_000_000_000_000,
            ..job()
        };
        let plan = plan(&big, &[profile("ml.c5.xlarge", 2.0, 4, 0.204)]);
        assert!(matches!(
            plan.candidates[0].verdict,
            Verdict::RecordTooLarge { record_mb } if (record_mb - 10.0).abs() < 1e-9
        ));
    }

    #[test]
    fn single_record_pays_the_request_overhead_per_record() {
        let p = profile("ml.c5.xlarge", 2.0, 4, 0.204);
        let multi = plan(&job(), std::slice::from_ref(&p));
        let single = plan(
            &BatchJob {
                strategy: BatchStrategy::SingleRecord,
                ..job()
            },
            &[p],
        );
        assert!(single.chosen().unwrap().cost_usd > 2.0 * multi.chosen().unwrap().cost_usd);
    }
}
