//! Metrics in: every target's metric queries in as few `GetMetricData` calls as CloudWatch
//! allows (500 queries a call), paginated by `NextToken`, aligned to period boundaries.
//!
//! The plan ([`QueryPlan`]) is built once per policy-set load; each cycle only sends it.

use std::collections::HashMap;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat as CwMetricStat, ScanBy,
};

use super::retry::{with_retries, RetryPolicy};
use sagescale_core::{CallError, CallObserver, FetchReport};
use sagescale_engine::{Seconds, Timestamp};
use sagescale_metrics::{MetricId, MetricQuery, MetricStat, ObservationSet};

/// CloudWatch's limit on queries (expression inputs included) in one `GetMetricData` call.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// One `GetMetricData` request body: queries sharing a period and a time range.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Period of every returned query in this batch.
    pub period: Seconds,
    /// Periods of history to ask for.
    pub history: u32,
    /// The queries, expression inputs included.
    pub queries: Vec<MetricDataQuery>,
    /// Which returned query id feeds which metric.
    pub returns: HashMap<String, MetricId>,
}

/// Every query of a policy set, packed into batches.
#[derive(Clone, Debug, Default)]
pub struct QueryPlan {
    /// The batches, by period then in metric order.
    pub batches: Vec<Batch>,
    /// Number of metrics the plan feeds.
    pub metrics: usize,
}

impl QueryPlan {
    /// Pack `metrics` (indexed by [`MetricId`]) into batches of at most
    /// [`MAX_QUERIES_PER_CALL`] queries. `history[i]` is how many periods metric `i` needs.
    #[must_use]
    pub fn build(metrics: &[MetricQuery], history: &[u32]) -> Self {
        // Group by period: one time range per call.
        let mut periods: Vec<Seconds> = metrics.iter().map(MetricQuery::period).collect();
        periods.sort();
        periods.dedup();
        let mut batches = Vec::new();
        for period in periods {
            let mut current: Option<Batch> = None;
            for (i, q) in metrics.iter().enumerate() {
                if q.period() != period {
                    continue;
                }
                let id = MetricId(u32::try_from(i).unwrap_or(u32::MAX));
                let queries = to_queries(id, q);
                let need = history.get(i).copied().unwrap_or(1).max(1);
                let full = current
                    .as_ref()
                    .is_some_and(|b| b.queries.len() + queries.len() > MAX_QUERIES_PER_CALL);
                if full {
                    batches.extend(current.take());
                }
                let b = current.get_or_insert_with(|| Batch {
                    period,
                    history: 1,
                    queries: Vec::new(),
                    returns: HashMap::new(),
                });
                b.history = b.history.max(need);
                b.returns.insert(returned_id(id), id);
                b.queries.extend(queries);
            }
            batches.extend(current);
        }
        Self {
            batches,
            metrics: metrics.len(),
        }
    }

    /// Number of queries across all batches.
    #[must_use]
    pub fn query_count(&self) -> usize {
        self.batches.iter().map(|b| b.queries.len()).sum()
    }
}

/// The id of the query whose values a metric takes.
fn returned_id(id: MetricId) -> String {
    format!("q{}", id.0)
}

fn to_queries(id: MetricId, q: &MetricQuery) -> Vec<MetricDataQuery> {
    match q {
        MetricQuery::Stat(s) => vec![stat_query(&returned_id(id), s, true)],
        MetricQuery::Expression {
            expression,
            period,
            inputs,
        } => {
            // Ids must be unique across the whole request, so each expression's inputs are
            // renamed `q<metric>_<input>`, in the expression text too.
            let prefix = format!("q{}_", id.0);
            let mut out: Vec<MetricDataQuery> = inputs
                .iter()
                .map(|(name, s)| stat_query(&format!("{prefix}{name}"), s, false))
                .collect();
            let names: Vec<&str> = inputs.iter().map(|(n, _)| n.as_str()).collect();
            out.push(
                MetricDataQuery::builder()
                    .id(returned_id(id))
                    .expression(rename_ids(expression, &names, &prefix))
                    .period(i32::try_from(period.0).unwrap_or(i32::MAX))
                    .return_data(true)
                    .build(),
            );
            out
        }
    }
}

fn stat_query(id: &str, s: &MetricStat, returned: bool) -> MetricDataQuery {
    let dims: Vec<Dimension> = s
        .dimensions
        .iter()
        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
        .collect();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            CwMetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace(&s.namespace)
                        .metric_name(&s.name)
                        .set_dimensions(Some(dims))
                        .build(),
                )
                .period(i32::try_from(s.period.0).unwrap_or(i32::MAX))
                .stat(s.statistic.to_string())
                .build(),
        )
        .return_data(returned)
        .build()
}

/// Prefix every identifier in `expression` that names one of `ids` (not a function call).
fn rename_ids(expression: &str, ids: &[&str], prefix: &str) -> String {
    let mut out = String::with_capacity(expression.len() + 16);
    let bytes = expression.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &expression[start..i];
            let is_call = expression[i..].trim_start().starts_with('(');
            if !is_call && ids.contains(&word) {
                out.push_str(prefix);
            }
            out.push_str(word);
        } else if c == b'"' || c == b'\'' {
            // A string literal (e.g. in SEARCH): copied as is.
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] != c {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            out.push_str(&expression[start..i]);
        } else {
            let ch = expression[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The time range of a batch at `now`: the newest whole period that ended at least `lag` ago,
/// back `history` periods. Returns `(start, end)`, `end` exclusive.
#[must_use]
pub fn aligned_range(
    now: Timestamp,
    lag: Seconds,
    period: Seconds,
    history: u32,
) -> (Timestamp, Timestamp) {
    let p = i64::from(period.0.max(1));
    let edge = now.0 - i64::from(lag.0);
    let end = edge.div_euclid(p) * p;
    (Timestamp(end - p * i64::from(history)), Timestamp(end))
}

/// Fetch every batch of `plan` at `now` into `out`. A batch that fails leaves its metrics
/// missing (never zero, never last cycle's values), so the engine cannot act on stale data.
pub async fn fetch(
    client: &aws_sdk_cloudwatch::Client,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    plan: &QueryPlan,
    now: Timestamp,
    lag: Seconds,
    out: &mut ObservationSet,
) -> FetchReport {
    let mut report = FetchReport::default();
    let mut values: Vec<Option<f64>> = Vec::new();
    for batch in &plan.batches {
        let (start, end) = aligned_range(now, lag, batch.period, batch.history);
        for id in batch.returns.values() {
            out.clear(*id);
        }
        let mut series: HashMap<&str, Vec<Option<f64>>> = HashMap::new();
        let mut token: Option<String> = None;
        let outcome: Result<(), CallError> = loop {
            let page = with_retries(retry, observer, "cloudwatch", "GetMetricData", || {
                client
                    .get_metric_data()
                    .set_metric_data_queries(Some(batch.queries.clone()))
                    .start_time(DateTime::from_secs(start.0))
                    .end_time(DateTime::from_secs(end.0))
                    .scan_by(ScanBy::TimestampAscending)
                    .set_next_token(token.clone())
                    .send()
            })
            .await;
            let page = match page {
                Ok(p) => p,
                Err(e) => break Err(e),
            };
            report.calls += 1;
            for r in page.metric_data_results() {
                let Some((key, _)) = r.id().and_then(|id| batch.returns.get_key_value(id)) else {
                    continue;
                };
                for m in r.messages() {
                    report
                        .messages
                        .push(format!("{key}: {}", m.value().unwrap_or_default()));
                }
                let slots = series
                    .entry(key.as_str())
                    .or_insert_with(|| vec![None; batch.history as usize]);
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    let offset = t.secs() - start.0;
                    let p = i64::from(batch.period.0);
                    if offset < 0 || offset % p != 0 {
                        continue;
                    }
                    if let Some(slot) = usize::try_from(offset / p)
                        .ok()
                        .and_then(|i| slots.get_mut(i))
                    {
                        *slot = Some(*v);
                    }
                }
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break Ok(());
            }
        };
        match outcome {
            Ok(()) => {
                for (key, id) in &batch.returns {
                    values.clear();
                    match series.get(key.as_str()) {
                        Some(s) => values.extend_from_slice(s),
                        None => values.resize(batch.history as usize, None),
                    }
                    out.set(*id, batch.period, end, &values);
                }
            }
            Err(e) => report.failures.push(e),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use sagescale_metrics::Statistic;

    fn stat(name: &str, endpoint: &str, period: u32) -> MetricStat {
        MetricStat {
            namespace: "AWS/SageMaker".into(),
            name: name.into(),
            dimensions: vec![("EndpointName".into(), endpoint.into())],
            statistic: Statistic::Average,
            period: Seconds(period),
        }
    }

    #[test]
    fn packs_at_most_500_queries_per_call_and_keeps_expressions_whole() {
        let mut metrics: Vec<MetricQuery> = (0..1200)
            .map(|i| MetricQuery::Stat(stat("InvocationsPerInstance", &format!("e{i}"), 60)))
            .collect();
        for i in 0..10 {
            metrics.push(MetricQuery::Expression {
                expression: "m1 / m2 * 100".into(),
                period: Seconds(60),
                inputs: vec![
                    (
                        "m1".into(),
                        stat("Invocation5XXErrors", &format!("x{i}"), 60),
                    ),
                    ("m2".into(), stat("Invocations", &format!("x{i}"), 60)),
                ],
            });
        }
        metrics.push(MetricQuery::Stat(stat(
            "ConcurrentRequestsPerModel",
            "hr",
            10,
        )));
        let history = vec![30; metrics.len()];
        let plan = QueryPlan::build(&metrics, &history);
        assert_eq!(plan.query_count(), 1200 + 30 + 1);
        // 1230 one-minute queries need ceil(1230 / 500) = 3 calls; the 10 s one a fourth.
        assert_eq!(plan.batches.len(), 4);
        assert!(plan
            .batches
            .iter()
            .all(|b| b.queries.len() <= MAX_QUERIES_PER_CALL));
        assert_eq!(plan.batches[0].period, Seconds(10));
        let returned: usize = plan.batches.iter().map(|b| b.returns.len()).sum();
        assert_eq!(returned, metrics.len());
        // Every expression sits in the same batch as its inputs, renamed consistently.
        for b in &plan.batches {
            for q in &b.queries {
                if let Some(e) = q.expression() {
                    let id = q.id().unwrap();
                    assert_eq!(e, format!("{id}_m1 / {id}_m2 * 100"));
                    for input in ["m1", "m2"] {
                        let want = format!("{id}_{input}");
                        assert!(b.queries.iter().any(|x| x.id() == Some(want.as_str())));
                    }
                }
            }
        }
    }

    #[test]
    fn renaming_skips_function_names_and_string_literals() {
        assert_eq!(
            rename_ids("FILL(m1, 0) + SUM(METRICS()) * m10 + 'm1'", &["m1"], "q3_"),
            "FILL(q3_m1, 0) + SUM(METRICS()) * m10 + 'm1'"
        );
    }

    #[test]
    fn ranges_end_on_a_period_boundary_at_least_lag_ago() {
        // 12:03:25 with a 60 s lag: the newest complete minute ended at 12:02:00.
        let now = Timestamp(12 * 3600 + 3 * 60 + 25);
        let (start, end) = aligned_range(now, Seconds(60), Seconds(60), 6);
        assert_eq!(end.0, 12 * 3600 + 2 * 60);
        assert_eq!(start.0, end.0 - 360);
        let (_, end10) = aligned_range(now, Seconds(0), Seconds(10), 6);
        assert_eq!(end10.0, 12 * 3600 + 3 * 60 + 20);
    }
}
