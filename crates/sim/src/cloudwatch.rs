//! Emulated CloudWatch for one simulated endpoint: the datapoints a policy's metrics would
//! have, per period, readable only after an ingestion delay, and missing where SageMaker
//! publishes nothing (no instances, or no traffic). Every metric of the catalogue
//! (`sagescale_metrics::catalogue`) is emulated for what one value measures there: per
//! container, per instance, or the whole variant or endpoint.

use std::collections::VecDeque;

use super::service::Service;
use sagescale_engine::{Seconds, Timestamp};
use sagescale_metrics::catalogue::{self, Known};
use sagescale_metrics::expression::{self, Expr};
use sagescale_metrics::{MetricId, MetricQuery, MetricWindow, Observations, Statistic};

/// What the simulator produces for a query: a catalogue metric, emulated as CloudWatch defines
/// it (docs/metrics.md), a scenario's quality series, or nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// A metric of the catalogue.
    Metric(Known),
    /// A model-quality metric replayed from a scenario's quality series.
    Quality,
    /// A metric the catalogue does not know: always missing.
    Unmodelled,
}

impl Quantity {
    /// What a query measures, as far as the catalogue knows.
    #[must_use]
    pub fn of(q: &MetricQuery) -> Self {
        let MetricQuery::Stat(s) = q else {
            return Self::Unmodelled;
        };
        catalogue::lookup(&s.namespace, &s.name).map_or(Self::Unmodelled, |d| Self::Metric(d.id))
    }
}

/// Ingestion delay and idle behaviour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CloudWatchModel {
    /// Shortest delay from a period's end until its datapoint is readable, seconds.
    pub delay_min_s: u32,
    /// Longest such delay, seconds.
    pub delay_max_s: u32,
}

impl Default for CloudWatchModel {
    fn default() -> Self {
        Self {
            delay_min_s: 60,
            delay_max_s: 120,
        }
    }
}

/// A ring of the newest datapoints, stored twice over so the newest `len` are always one
/// contiguous slice.
#[derive(Clone, Debug)]
struct Ring {
    cap: usize,
    buf: Vec<Option<f64>>,
    head: usize,
    len: usize,
    end: Timestamp,
}

impl Ring {
    fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Self {
            cap,
            buf: vec![None; 2 * cap],
            head: 0,
            len: 0,
            end: Timestamp(0),
        }
    }

    fn push(&mut self, v: Option<f64>, end: Timestamp) {
        self.buf[self.head] = v;
        self.buf[self.head + self.cap] = v;
        self.head = (self.head + 1) % self.cap;
        self.len = (self.len + 1).min(self.cap);
        self.end = end;
    }

    fn values(&self) -> &[Option<f64>] {
        let start = (self.head + self.cap - self.len) % self.cap;
        &self.buf[start..start + self.len]
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Accum {
    arrivals: f64,
    failed: f64,
    latency_weighted: f64,
    p50_max: f64,
    p99_max: f64,
    utilisation_sum: f64,
    concurrency_max: f64,
    backlog_sum: f64,
    backlog_max: f64,
    age_max: f64,
    without_capacity: bool,
    /// Requests that failed with no copy to serve them (inference components).
    no_capacity: f64,
    cache_hits: f64,
    loading_wait_weighted: f64,
    loading_waiters: f64,
    loaded_sum: f64,
    pc_invocations: f64,
    spillover: f64,
    pc_executions_sum: f64,
    executions_utilisation_sum: f64,
    cold_starts: f64,
    setup_weighted: f64,
    quality_sum: f64,
    quality_n: u32,
    quality_max: f64,
    quality_min: f64,
    ticks: u32,
}

/// A metric-math query: the expression and its inputs.
struct Math {
    expr: Expr,
    inputs: Vec<(String, Quantity, Statistic)>,
}

struct Track {
    /// The query's identity, hashed: with the seed and a period's end it draws that datapoint's
    /// ingestion delay.
    key: u64,
    /// Datapoints published and not yet readable, `(readable at, period end, value)`, in order.
    pending: VecDeque<(i64, Timestamp, Option<f64>)>,
    /// When the newest of them becomes readable: a metric's datapoints are readable in order.
    last_visible: i64,
    quantity: Quantity,
    math: Option<Math>,
    statistic: Statistic,
    period: i64,
    ring: Ring,
    acc: Accum,
    period_end: i64,
}

/// The emulated metrics of one endpoint, in the ids of its policy set.
pub struct CloudWatch {
    tracks: Vec<Track>,
    model: CloudWatchModel,
    seed: u64,
    /// The quality series' value over the interval being recorded (NaN: none).
    quality: f64,
    /// Every datapoint published, `(metric, period end, value)`, when asked to keep them.
    log: Option<Vec<(u32, Timestamp, f64)>>,
}

impl CloudWatch {
    /// Emulate `queries`, keeping `history[i]` periods of each, from `start`.
    #[must_use]
    pub fn new(
        queries: &[MetricQuery],
        history: &[u32],
        start: Timestamp,
        model: CloudWatchModel,
        seed: u64,
    ) -> Self {
        let tracks = queries
            .iter()
            .zip(history)
            .map(|(q, &h)| {
                let period = i64::from(q.period().0.max(1));
                let statistic = match q {
                    MetricQuery::Stat(s) => s.statistic,
                    MetricQuery::Expression { .. } => Statistic::Average,
                };
                let math = match q {
                    MetricQuery::Expression {
                        expression: text,
                        inputs,
                        ..
                    } => {
                        let ids = |id: &str| inputs.iter().any(|(i, _)| i == id);
                        // Validated with the policy set; one that still fails to parse stays
                        // missing, like an unmodelled metric.
                        expression::parse(text, &ids).ok().map(|expr| Math {
                            expr,
                            inputs: inputs
                                .iter()
                                .map(|(id, st)| {
                                    (
                                        id.clone(),
                                        Quantity::of(&MetricQuery::Stat(st.clone())),
                                        st.statistic,
                                    )
                                })
                                .collect(),
                        })
                    }
                    MetricQuery::Stat(_) => None,
                };
                Track {
                    key: fnv1a(format!("{q:?}").as_bytes()),
                    pending: VecDeque::new(),
                    last_visible: i64::MIN,
                    quantity: Quantity::of(q),
                    math,
                    statistic,
                    period,
                    ring: Ring::new(h as usize + 2),
                    acc: Accum::default(),
                    period_end: start.0.div_euclid(period) * period + period,
                }
            })
            .collect();
        Self {
            tracks,
            model,
            seed,
            quality: f64::NAN,
            log: None,
        }
    }

    /// Serve the scenario's quality series as every metric named `name` (any namespace).
    pub fn serve_quality(&mut self, queries: &[MetricQuery], name: &str) {
        for (t, q) in self.tracks.iter_mut().zip(queries) {
            if matches!(q, MetricQuery::Stat(s) if s.name == name) {
                t.quantity = Quantity::Quality;
            }
        }
    }

    /// The quality series' value over the next recorded interval (NaN: none).
    pub fn set_quality(&mut self, value: f64) {
        self.quality = value;
    }

    /// Record an interval `[now, now + dt)` of service by `instances`, publish the periods it
    /// completes, and make readable what has passed its ingestion delay by `now + dt`.
    ///
    /// With [`Self::keep_datapoints`], every datapoint published is also logged.
    pub fn record(&mut self, now: Timestamp, dt: i64, service: &Service, instances: u32) {
        let end = now.0 + dt;
        for (id, t) in self.tracks.iter_mut().enumerate() {
            // An interval longer than the period (10 s metrics on a 60 s trace) spreads evenly.
            let parts = (dt / t.period).max(1);
            let share = 1.0 / parts as f64;
            for k in 0..parts {
                let part_end = if parts == 1 {
                    end
                } else {
                    now.0 + (k + 1) * t.period
                };
                let a = &mut t.acc;
                a.arrivals += service.arrivals * share;
                a.failed += service.failed * share;
                if service.arrivals > 0.0 {
                    a.latency_weighted += service.mean_s * service.arrivals * share;
                    a.p50_max = a.p50_max.max(service.p50_s);
                    a.p99_max = a.p99_max.max(service.p99_s);
                    // In flight (Little's law: arrival rate × response time, queued requests
                    // included), spread evenly over the containers: one per instance.
                    let in_flight = service.arrivals / dt as f64 * service.mean_s;
                    a.concurrency_max = a
                        .concurrency_max
                        .max(in_flight / f64::from(instances.max(1)));
                }
                a.utilisation_sum += service.utilisation;
                a.backlog_sum += service.backlog;
                a.backlog_max = a.backlog_max.max(service.backlog);
                a.age_max = a.age_max.max(service.oldest_age_s);
                a.without_capacity |= service.backlog > 0.0 && instances == 0;
                if instances == 0 {
                    a.no_capacity += service.failed * share;
                }
                if service.arrivals > 0.0 && service.cache_hit_ratio.is_finite() {
                    a.cache_hits += service.cache_hit_ratio * service.arrivals * share;
                    let waiters = (1.0 - service.cache_hit_ratio) * service.arrivals * share;
                    a.loading_wait_weighted += waiters * service.loading_wait_s;
                    a.loading_waiters += waiters;
                }
                a.loaded_sum += service.loaded_models;
                if let Some(sv) = &service.serverless {
                    a.pc_invocations += sv.pc_invocations * share;
                    a.spillover += sv.spillover * share;
                    a.pc_executions_sum += sv.pc_executions;
                    a.executions_utilisation_sum += sv.executions_utilisation;
                    a.cold_starts += sv.cold_starts * share;
                    a.setup_weighted += sv.cold_starts * share * sv.setup_s;
                }
                if self.quality.is_finite() {
                    if a.quality_n == 0 {
                        a.quality_max = self.quality;
                        a.quality_min = self.quality;
                    }
                    a.quality_sum += self.quality;
                    a.quality_n += 1;
                    a.quality_max = a.quality_max.max(self.quality);
                    a.quality_min = a.quality_min.min(self.quality);
                }
                a.ticks += 1;
                if part_end >= t.period_end {
                    let value = match &t.math {
                        Some(m) => m.expr.eval(
                            &|id| {
                                m.inputs
                                    .iter()
                                    .find(|(i, ..)| i == id)
                                    .and_then(|(_, q, st)| datapoint(*q, *st, &t.acc, instances))
                            },
                            t.period as f64,
                        ),
                        None => datapoint(t.quantity, t.statistic, &t.acc, instances),
                    };
                    let lo = i64::from(self.model.delay_min_s);
                    let hi = i64::from(self.model.delay_max_s.max(self.model.delay_min_s));
                    // The delay is the datapoint's own: the same metric's datapoint of the
                    // same period is as late whatever else is queried beside it, so every
                    // contender's policies read one world.
                    let delay = if hi > lo {
                        let draw = splitmix64(
                            self.seed ^ t.key ^ (t.period_end as u64).wrapping_mul(GOLDEN),
                        );
                        lo + (draw % (hi - lo + 1) as u64) as i64
                    } else {
                        lo
                    };
                    // A metric's datapoints become readable in order.
                    let visible = (t.period_end + delay).max(t.last_visible);
                    t.last_visible = visible;
                    t.pending
                        .push_back((visible, Timestamp(t.period_end), value));
                    if let (Some(log), Some(v)) = (self.log.as_mut(), value) {
                        log.push((
                            u32::try_from(id).unwrap_or(u32::MAX),
                            Timestamp(t.period_end),
                            v,
                        ));
                    }
                    t.acc = Accum::default();
                    t.period_end += t.period;
                }
            }
        }
        for t in &mut self.tracks {
            while let Some(&(visible, pend, v)) = t.pending.front() {
                if visible > end {
                    break;
                }
                t.ring.push(v, pend);
                t.pending.pop_front();
            }
        }
    }
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// FNV-1a, 64 bits: a hash that is the same on every build.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64's output function: one well-mixed draw from one number.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The datapoint a period yields, or `None` where SageMaker publishes nothing. The async
/// backlog metrics are endpoint-level and published with or without instances and traffic.
fn datapoint(q: Quantity, stat: Statistic, a: &Accum, instances: u32) -> Option<f64> {
    let ticks = f64::from(a.ticks.max(1));
    let backlog = match stat {
        Statistic::Maximum => a.backlog_max,
        _ => a.backlog_sum / ticks,
    };
    let m = match q {
        Quantity::Unmodelled => return None,
        // Model Monitor publishes from captured data, whatever the instance count.
        Quantity::Quality => {
            return (a.quality_n > 0).then(|| match stat {
                Statistic::Maximum => a.quality_max,
                Statistic::Minimum => a.quality_min,
                Statistic::Sum => a.quality_sum,
                _ => a.quality_sum / f64::from(a.quality_n),
            })
        }
        Quantity::Metric(m) => m,
    };
    match m {
        Known::ApproximateBacklogSize => return Some(backlog),
        Known::ApproximateAgeOfOldestRequest => return Some(a.age_max),
        Known::HasBacklogWithoutCapacity => {
            return Some(if a.without_capacity { 1.0 } else { 0.0 })
        }
        Known::ApproximateBacklogSizePerInstance if instances > 0 => {
            return Some(backlog / f64::from(instances))
        }
        // Published for every minute with invocations, copies or none: what wakes a
        // component from zero.
        Known::NoCapacityInvocationFailures => return (a.arrivals > 0.0).then_some(a.no_capacity),
        _ => {}
    }
    if instances == 0 {
        return None;
    }
    let busy = a.arrivals > 0.0;
    let n = f64::from(instances);
    match m {
        Known::CpuUtilization | Known::GpuUtilization => {
            Some(100.0 * a.utilisation_sum / f64::from(a.ticks.max(1)))
        }
        // Provisioned concurrency is there, busy or idle: its utilisation is published.
        Known::PcUtilization => Some(a.utilisation_sum / ticks),
        Known::PcExecutions => Some(a.pc_executions_sum / ticks),
        // A copy's router publishes its in-flight count, idle or busy (`instances` counts
        // copies on a component): an idle component's 0 is what scales it in to zero.
        Known::ConcurrentRequestsPerCopy => Some(if busy { a.concurrency_max } else { 0.0 }),
        _ if !busy => None,
        Known::PcInvocations => Some(a.pc_invocations),
        Known::PcSpilloverInvocations => Some(a.spillover),
        Known::ConcurrentExecutionsUtilization => Some(a.executions_utilisation_sum / ticks),
        Known::ModelSetupTime => {
            (a.cold_starts > 0.0).then(|| 1e6 * a.setup_weighted / a.cold_starts)
        }
        Known::Invocations => Some(a.arrivals),
        Known::InvocationsPerInstance => Some(a.arrivals / n),
        Known::Invocation5XXErrors => Some(a.failed),
        Known::Invocation4XXErrors => Some(0.0),
        Known::OverheadLatency => Some(5_000.0),
        Known::ConcurrentRequestsPerModel => Some(a.concurrency_max),
        Known::InvocationsPerCopy => Some(a.arrivals / n),
        Known::ModelLatency => Some(
            1e6 * match stat {
                Statistic::Percentile(p) if p >= 90.0 => a.p99_max,
                Statistic::Percentile(_) => a.p50_max,
                Statistic::Maximum => a.p99_max,
                _ => a.latency_weighted / a.arrivals,
            },
        ),
        Known::ModelCacheHit => Some(match stat {
            Statistic::Sum => a.cache_hits,
            _ => a.cache_hits / a.arrivals,
        }),
        Known::ModelLoadingWaitTime => {
            (a.loading_waiters > 0.0).then(|| 1e6 * a.loading_wait_weighted / a.loading_waiters)
        }
        Known::LoadedModelCount => Some(a.loaded_sum / ticks),
        // Not modelled: the fleet has no memory or disk model.
        Known::MemoryUtilization | Known::GpuMemoryUtilization | Known::DiskUtilization => None,
        // A copy's share of its accelerators, busy as its queue is.
        Known::IcGpuUtilizationNormalized => {
            Some(100.0 * a.utilisation_sum / f64::from(a.ticks.max(1)))
        }
        // Not modelled: the copies have no memory or CPU model.
        Known::IcCpuUtilizationNormalized
        | Known::IcGpuMemoryUtilizationNormalized
        | Known::IcCpuMemoryUtilizationNormalized => None,
        // Answered above.
        Known::NoCapacityInvocationFailures
        | Known::ApproximateBacklogSize
        | Known::ApproximateBacklogSizePerInstance
        | Known::ApproximateAgeOfOldestRequest
        | Known::HasBacklogWithoutCapacity => None,
    }
}

impl CloudWatch {
    /// Keep every datapoint published from now on (for `simulate --emit-metrics`).
    pub fn keep_datapoints(&mut self) {
        self.log.get_or_insert_with(Vec::new);
    }

    /// The datapoints kept, `(metric, period end, value)`, in publication order; missing
    /// periods are absent, as in `GetMetricData`.
    pub fn take_datapoints(&mut self) -> Vec<(u32, Timestamp, f64)> {
        self.log.take().unwrap_or_default()
    }
}

impl Observations for CloudWatch {
    fn window(&self, metric: MetricId) -> Option<MetricWindow<'_>> {
        let t = self.tracks.get(metric.index())?;
        (t.ring.len > 0).then(|| MetricWindow {
            period: Seconds(u32::try_from(t.period).unwrap_or(60)),
            end: t.ring.end,
            values: t.ring.values(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sagescale_metrics::MetricStat;

    fn per_instance() -> MetricQuery {
        MetricQuery::Stat(MetricStat {
            namespace: "AWS/SageMaker".into(),
            name: "InvocationsPerInstance".into(),
            dimensions: vec![],
            statistic: Statistic::Sum,
            period: Seconds(60),
        })
    }

    fn service(arrivals: f64) -> Service {
        Service {
            arrivals,
            mean_s: 0.1,
            p50_s: 0.07,
            p99_s: 0.4,
            ..Service::default()
        }
    }

    #[test]
    fn a_datapoints_delay_is_its_own_whatever_else_is_queried() {
        // Two policies reading the same metric, one with another metric beside it: each
        // period's datapoint becomes readable at the same moment for both, and the delays
        // vary over the model's range.
        let other = MetricQuery::Stat(MetricStat {
            namespace: "/aws/sagemaker/Endpoints".into(),
            name: "CPUUtilization".into(),
            dimensions: vec![],
            statistic: Statistic::Average,
            period: Seconds(60),
        });
        let model = CloudWatchModel {
            delay_min_s: 60,
            delay_max_s: 120,
        };
        let mut alone = CloudWatch::new(&[per_instance()], &[4], Timestamp(0), model, 9);
        let mut beside = CloudWatch::new(&[other, per_instance()], &[4, 4], Timestamp(0), model, 9);
        let (mut lags, mut last_end) = (Vec::new(), None);
        for i in 0..600 {
            let now = Timestamp(i * 10);
            let s = service(if i % 7 == 0 { 0.0 } else { 50.0 });
            alone.record(now, 10, &s, 2);
            beside.record(now, 10, &s, 2);
            let a = alone.window(MetricId(0));
            assert_eq!(a, beside.window(MetricId(1)), "at {now:?}");
            let end = a.map(|w| w.end);
            if end != last_end {
                if let Some(e) = end {
                    lags.push(now.0 + 10 - e.0);
                }
                last_end = end;
            }
        }
        // Each readable within the model's delay (to the 10-second step), not all alike.
        assert!(lags.len() > 90, "{}", lags.len());
        assert!(lags.iter().all(|l| (60..=130).contains(l)), "{lags:?}");
        assert!(lags.iter().min() < lags.iter().max(), "{lags:?}");
        // Another seed is another world.
        let mut reseeded = CloudWatch::new(&[per_instance()], &[4], Timestamp(0), model, 10);
        let mut differs = false;
        let mut again = CloudWatch::new(&[per_instance()], &[4], Timestamp(0), model, 9);
        for i in 0..600 {
            let now = Timestamp(i * 10);
            let s = service(50.0);
            reseeded.record(now, 10, &s, 2);
            again.record(now, 10, &s, 2);
            differs |= reseeded.window(MetricId(0)).map(|w| w.end)
                != again.window(MetricId(0)).map(|w| w.end);
        }
        assert!(differs);
    }

    #[test]
    fn concurrent_requests_per_model_is_one_containers_not_the_variants() {
        use crate::fleet::{Fleet, FleetSpec};
        let spec = FleetSpec {
            instance_type: "ml.c5.xlarge".into(),
            price_per_hour: 0.2,
            concurrency: 4,
            latency_s: 0.05,
            service: Default::default(),
            provisioning_median_s: 180.0,
            provisioning_sigma: 0.2,
            drain_s: 30,
            timeout_s: 60.0,
            batching: None,
        };
        let q = |name: &str, statistic, period| {
            MetricQuery::Stat(MetricStat {
                namespace: "AWS/SageMaker".into(),
                name: name.into(),
                dimensions: vec![],
                statistic,
                period: Seconds(period),
            })
        };
        let queries = [
            q("ConcurrentRequestsPerModel", Statistic::Maximum, 10),
            q("Invocations", Statistic::Sum, 60),
        ];
        let model = CloudWatchModel {
            delay_min_s: 0,
            delay_max_s: 0,
        };
        // A fixed fleet of 8 with constant traffic: 600 requests a minute.
        let mut fleet = Fleet::new(&spec, 8, 7, false);
        let mut cw = CloudWatch::new(&queries, &[30, 5], Timestamp(0), model, 1);
        let mut total_in_flight = 0.0;
        for i in 0..5 {
            let now = Timestamp(i * 60);
            let s = fleet.serve(600.0, &[], now, 60.0);
            total_in_flight = s.arrivals / 60.0 * s.mean_s;
            cw.record(now, 60, &s, fleet.in_service());
        }
        let w = cw.window(MetricId(0)).unwrap();
        let per_container = w.values.last().copied().flatten().unwrap();
        assert!(total_in_flight > 0.4, "{total_in_flight}");
        assert!(
            (per_container - total_in_flight / 8.0).abs() < 1e-9,
            "one container's {per_container}, the variant's {total_in_flight}"
        );
        // The variant's total is a different metric: Invocations.
        let inv = cw.window(MetricId(1)).unwrap();
        assert_eq!(inv.values.last().copied().flatten(), Some(600.0));
    }

    #[test]
    fn datapoints_appear_after_the_ingestion_delay() {
        let model = CloudWatchModel {
            delay_min_s: 90,
            delay_max_s: 90,
        };
        let mut cw = CloudWatch::new(&[per_instance()], &[6], Timestamp(0), model, 1);
        cw.record(Timestamp(0), 60, &service(600.0), 3);
        assert!(
            cw.window(MetricId(0)).is_none(),
            "period [0,60) is readable at 150"
        );
        cw.record(Timestamp(60), 60, &service(300.0), 3);
        assert!(cw.window(MetricId(0)).is_none());
        cw.record(Timestamp(120), 60, &service(0.0), 3);
        let w = cw.window(MetricId(0)).unwrap();
        assert_eq!((w.end, w.values), (Timestamp(60), &[Some(200.0)][..]));
        cw.record(Timestamp(180), 60, &service(0.0), 3);
        cw.record(Timestamp(240), 60, &service(60.0), 0);
        cw.record(Timestamp(300), 60, &service(60.0), 2);
        let w = cw.window(MetricId(0)).unwrap();
        // 200, 100, no traffic, no traffic: missing, not zero.
        assert_eq!(w.values, &[Some(200.0), Some(100.0), None, None][..]);
        assert_eq!(w.end, Timestamp(240));
    }

    #[test]
    fn serverless_metrics_split_pc_from_spillover_and_publish_idle_pc() {
        let q = |name: &str, statistic| {
            MetricQuery::Stat(MetricStat {
                name: name.into(),
                statistic,
                ..match per_instance() {
                    MetricQuery::Stat(s) => s,
                    MetricQuery::Expression { .. } => unreachable!(),
                }
            })
        };
        let queries = [
            q(
                "ServerlessProvisionedConcurrencyUtilization",
                Statistic::Average,
            ),
            q(
                "ServerlessProvisionedConcurrencyInvocations",
                Statistic::Sum,
            ),
            q(
                "ServerlessProvisionedConcurrencySpilloverInvocations",
                Statistic::Sum,
            ),
            q("ModelSetupTime", Statistic::Average),
        ];
        let model = CloudWatchModel {
            delay_min_s: 0,
            delay_max_s: 0,
        };
        let mut cw = CloudWatch::new(&queries, &[4; 4], Timestamp(0), model, 1);
        let busy = Service {
            utilisation: 0.8,
            serverless: Some(crate::fleet::ServerlessService {
                pc_invocations: 500.0,
                spillover: 100.0,
                cold_starts: 2.0,
                setup_s: 4.0,
                ..Default::default()
            }),
            ..service(600.0)
        };
        cw.record(Timestamp(0), 60, &busy, 5);
        let idle = Service {
            serverless: Some(crate::fleet::ServerlessService::default()),
            ..service(0.0)
        };
        cw.record(Timestamp(60), 60, &idle, 5);
        let values = |id: u32| cw.window(MetricId(id)).unwrap().values.to_vec();
        assert_eq!(
            values(0),
            [Some(0.8), Some(0.0)],
            "idle PC is published as 0"
        );
        assert_eq!(values(1), [Some(500.0), None]);
        assert_eq!(values(2), [Some(100.0), None]);
        assert_eq!(
            values(3),
            [Some(4e6), None],
            "set-up time in µs, only with cold starts"
        );
    }

    #[test]
    fn the_ring_keeps_the_newest_contiguous() {
        let mut r = Ring::new(3);
        for i in 0..7 {
            r.push(Some(f64::from(i)), Timestamp(i64::from(i)));
        }
        assert_eq!(r.values(), &[Some(4.0), Some(5.0), Some(6.0)]);
    }

    #[test]
    fn high_resolution_metrics_split_a_longer_interval() {
        let q = MetricQuery::Stat(MetricStat {
            period: Seconds(10),
            name: "Invocations".into(),
            ..match per_instance() {
                MetricQuery::Stat(s) => s,
                MetricQuery::Expression { .. } => unreachable!(),
            }
        });
        let model = CloudWatchModel {
            delay_min_s: 0,
            delay_max_s: 0,
        };
        let mut cw = CloudWatch::new(&[q], &[12], Timestamp(0), model, 1);
        cw.record(Timestamp(0), 60, &service(60.0), 1);
        let w = cw.window(MetricId(0)).unwrap();
        assert_eq!(w.values.len(), 6);
        assert!(w.values.iter().all(|v| *v == Some(10.0)));
        assert_eq!(w.period, Seconds(10));
    }

    #[test]
    fn cache_metrics_report_the_hit_ratio_and_the_loading_wait() {
        let q = |name: &str, statistic| {
            MetricQuery::Stat(MetricStat {
                namespace: "AWS/SageMaker".into(),
                name: name.into(),
                dimensions: vec![],
                statistic,
                period: Seconds(60),
            })
        };
        let queries = [
            q("ModelCacheHit", Statistic::Average),
            q("ModelLoadingWaitTime", Statistic::Average),
            q("LoadedModelCount", Statistic::Average),
        ];
        let model = CloudWatchModel {
            delay_min_s: 0,
            delay_max_s: 0,
        };
        let mut cw = CloudWatch::new(&queries, &[4, 4, 4], Timestamp(0), model, 1);
        let s = Service {
            arrivals: 100.0,
            mean_s: 0.1,
            p50_s: 0.1,
            p99_s: 0.5,
            cache_hit_ratio: 0.9,
            loading_wait_s: 2.5,
            loaded_models: 12.0,
            ..Service::default()
        };
        cw.record(Timestamp(0), 60, &s, 2);
        let v = |i: u32| cw.window(MetricId(i)).unwrap().values[0].unwrap();
        assert!((v(0) - 0.9).abs() < 1e-12);
        assert!((v(1) - 2.5e6).abs() < 1e-6);
        assert!((v(2) - 12.0).abs() < 1e-12);
    }

    #[test]
    fn metric_math_is_evaluated_from_its_inputs() {
        let q = MetricQuery::Expression {
            expression: "IF(inv > 0, 100 * err / inv, 0)".into(),
            period: Seconds(60),
            inputs: vec![
                (
                    "err".into(),
                    match MetricQuery::sagemaker("Invocation5XXErrors", Statistic::Sum, Seconds(60))
                    {
                        MetricQuery::Stat(s) => s,
                        MetricQuery::Expression { .. } => unreachable!(),
                    },
                ),
                (
                    "inv".into(),
                    match MetricQuery::sagemaker("Invocations", Statistic::Sum, Seconds(60)) {
                        MetricQuery::Stat(s) => s,
                        MetricQuery::Expression { .. } => unreachable!(),
                    },
                ),
            ],
        };
        let model = CloudWatchModel {
            delay_min_s: 0,
            delay_max_s: 0,
        };
        let mut cw = CloudWatch::new(&[q], &[4], Timestamp(0), model, 1);
        let s = Service {
            arrivals: 200.0,
            failed: 5.0,
            mean_s: 0.1,
            p50_s: 0.1,
            p99_s: 0.5,
            ..Service::default()
        };
        cw.record(Timestamp(0), 60, &s, 2);
        let w = cw.window(MetricId(0)).unwrap();
        assert_eq!(w.values, &[Some(2.5)]);
    }
}
