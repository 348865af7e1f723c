//! `simulate --emit-metrics`: every datapoint each contender's policies saw, as a CloudWatch
//! `GetMetricData` reply, and every call the decision core made.
//!
//! `MetricDataResults` holds one result per contender, endpoint and metric query: `Id`
//! `c{contender}_e{endpoint}_m{metric}`, `Label` the metric name, `Timestamps` the start of each
//! period (as CloudWatch gives them), ascending, and `Values`. Missing periods are absent, as in
//! CloudWatch. `--trace` reads the file as any `GetMetricData` export. Beside it, `Sagescale`
//! says which contender and query each `Id` is, and lists the contender's calls, so a replay of
//! the datapoints (into CloudWatch, for `sagescale plan`) can be checked against what the
//! simulator decided.

use chrono::{DateTime, SecondsFormat};
use serde_json::{json, Value};

use crate::compare::Comparison;
use crate::scenario::Scenario;
use sagescale_engine::Timestamp;
use sagescale_metrics::MetricQuery;

fn rfc3339(t: Timestamp) -> String {
    DateTime::from_timestamp(t.0, 0)
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The emitted file for `comparison` (run with emission on).
#[must_use]
pub fn emitted_json(s: &Scenario, comparison: &Comparison) -> Value {
    let mut results = Vec::new();
    let mut contenders = Vec::new();
    for (c, contender) in comparison.contenders.iter().enumerate() {
        for (e, run) in contender.runs.iter().enumerate() {
            let Some((queries, emitted)) = &run.emitted else {
                continue;
            };
            let mut metrics = Vec::new();
            for (m, q) in queries.iter().enumerate() {
                let id = format!("c{c}_e{e}_m{m}");
                let period = i64::from(q.period().0);
                let mut points: Vec<(Timestamp, f64)> = emitted
                    .datapoints
                    .iter()
                    .filter(|(k, ..)| *k as usize == m)
                    .map(|&(_, end, v)| (Timestamp(end.0 - period), v))
                    .collect();
                points.sort_by_key(|p| p.0);
                let label = match q {
                    MetricQuery::Stat(st) => st.name.clone(),
                    MetricQuery::Expression { expression, .. } => expression.clone(),
                };
                results.push(json!({
                    "Id": id,
                    "Label": label,
                    "Timestamps": points.iter().map(|p| rfc3339(p.0)).collect::<Vec<_>>(),
                    "Values": points.iter().map(|p| p.1).collect::<Vec<_>>(),
                    "StatusCode": "Complete",
                }));
                metrics.push(json!({ "Id": id, "Query": q }));
            }
            let calls: Vec<Value> = emitted
                .calls
                .iter()
                .map(|k| {
                    json!({
                        "Time": rfc3339(k.at),
                        "Current": k.current,
                        "MinCapacity": k.min,
                        "MaxCapacity": k.max,
                        "Purpose": k.purpose,
                    })
                })
                .collect();
            contenders.push(json!({
                "Contender": contender.name,
                "Endpoint": run.target,
                "Metrics": metrics,
                "Calls": calls,
            }));
        }
    }
    json!({
        "MetricDataResults": results,
        "Messages": [],
        "Sagescale": {
            "Scenario": s.name,
            "CloudWatchDelaySeconds": [s.cloudwatch.delay_min_s, s.cloudwatch.delay_max_s],
            "Contenders": contenders,
        },
    })
}
