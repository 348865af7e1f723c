//! SLO-driven scaling (sagescale only): capacity sized by the latency and error objective
//! itself, with a queueing model whose every parameter is learned from the metrics the policy
//! reads, as it would be in production.
//!
//! The user states the p99 latency and error-rate SLO, the risk they accept that the fleet is
//! short, and optionally what a relaunch costs. Everything else is learned:
//! - **Service time and spread.** A request's service time is the lowest per-minute mean
//!   `ModelLatency` seen over the last 16 hours that had requests (one slot per hour, none older
//!   than a week), taken when queueing hardly added to it; its spread is that minute's p99/p50
//!   of `ModelLatency`, read as a log-normal (the CV that gives that ratio). Missing
//!   percentiles mean the exponential law.
//! - **Servers per unit.** How many requests one instance (or copy) serves at once is the
//!   smallest count whose modelled mean response, at the load and the capacity in service
//!   that minute, is no more than the observed mean (plus 5 % of the service time): the least
//!   concurrency consistent with what was seen. Each hour keeps the minute that bounds it
//!   most, and the bound is recomputed with today's service time, so an early overestimate of
//!   the service time does not linger; the highest bound over the same 16 hours stands,
//!   or the week's highest if that is higher: only a minute near saturation raises the bound
//!   on a unit of many servers, and a fleet sized by a low count never runs there.
//! - **Calibration.** The observed p99's excess over the service time's own p99, against the
//!   model's excess at the same load and capacity: the ratio's moving geometric mean (bounded
//!   to [0.5, 4]) scales the queueing part of every prediction, so a world that batches or
//!   queues differently from the model is met by what it shows.
//! - **Load band.** The newest load, raised by how much the load has grown over one horizon
//!   (the provisioning lead plus the datapoint's age plus a period) in the band's history (6
//!   hours unless set, up to a day): for every past period, the highest load of the horizon
//!   that followed it over its own load; the band takes that growth's `1 − risk` quantile (at
//!   least 1). No law is assumed: a trace with flash crowds shows them, a smooth one does not.
//!   Where bursts come and go (a timer, an on-off caller), the growth is read over the highest
//!   load of the horizon, or of the four horizons, before each period instead, and the band
//!   raises that peak now: whichever base would have given the lowest band over the history,
//!   a peak only by a margin (`growth_quantile`).
//!   A day remembers a surge that comes once a day (a launch, a match, the morning ramp) when
//!   it comes again, where six hours of a calm afternoon forgot it; but it also keeps every
//!   other burst of the day in the quantile, which raises a bursty endpoint's band all day, so
//!   the length is the user's (and `tune`'s) choice (docs/benchmarks.md has both). With a
//!   seasonal forecast (the predictive policy's own model) that its back test trusts, the
//!   band is at least the forecast peak over the horizon, raised by its error.
//! - **Settled periods.** Each period is learned from once, two minutes after the newest load
//!   datapoint's (`settled_after`): by then its latency percentiles are readable too.
//! - **Provisioning lead.** The lead the driver learned from the target's own scale-outs
//!   (`CapacityInput::lead`); the documented figure until there is one.
//!
//! The capacity is the smallest whose modelled p99 (M/G/c by Allen–Cunneen over the pooled
//! servers, `sagescale-queueing`, the same code the simulator's world runs) stays within the
//! SLO at the upper load, and whose share of requests beyond the timeout is within the error
//! SLO. It scales out at once; it scales in only as low as the highest need of the hold
//! window, whose length is the relaunch cost in instance-minutes (default: the lead): holding a
//! unit for as long as a relaunch would cost is the break-even of the ski-rental problem, never
//! worse than twice the best choice in hindsight.
//!
//! Missing or stale data never removes capacity; until one latency datapoint has been seen the
//! policy only says so.

use serde::{Deserialize, Serialize};

use sagescale_metrics::{Capacity, Seconds, Timestamp};
use sagescale_metrics::{MetricId, MetricWindow};
use sagescale_queueing::service_law::{LawResponse, ServiceLaw};

use super::burst::{highest_recent, CapacitySeen};
use super::predictive::{Forecast, PredictiveSpec};

/// Slots of each learned quantity and of the scale-in hold window.
pub const SLOTS: usize = 16;
/// One learning slot: an hour, so the estimates cover the last 16 hours that had requests.
const LEARN_SLOT_S: i64 = 3600;
/// How many learning slots back an estimate may still stand: a week. A slot is replaced by the
/// hour 16 hours after it when that hour has requests, so an endpoint busy every hour keeps
/// exactly the last 16 hours; one idle for a day (a component between daily jobs) keeps what
/// its last busy hours showed, instead of forgetting it and relearning from the overloaded
/// first minutes of the next wake.
const MEMORY_SLOTS: i64 = 7 * 24;
/// The most requests one unit is taken to serve at once.
pub const MAX_SERVERS: u32 = 512;
/// The observed mean may exceed the model's by this share of the service time (noise).
const MEAN_SLACK: f64 = 0.05;
/// And by this many standard errors of a mean over the period's requests (one-sided 99 %).
const MEAN_NOISE_Z: f64 = 2.33;
/// Seconds of load history the band's growth quantile is taken over, unless set.
pub const DEFAULT_BAND_HISTORY_S: u32 = 6 * 3600;
/// The longest band history.
pub const MAX_BAND_HISTORY_S: u32 = 24 * 3600;
/// Growth samples the band's quantile is over at most (a day of one-minute periods; the newest
/// ones of a longer history at a finer period).
const MAX_GROWTHS: usize = 1440;
/// The band grows from a trailing peak only where that gives at most this share of the band
/// from the newest load, on average over the history. Equal shares of the history's horizons
/// fall within either band, but not the same horizons: over a peak the band is lower on a
/// rise and higher on a fall, and the SLO is broken on a rise. Where the load rises and falls
/// as a whole the averages are close (World Cup's train and test fortnight, hour by hour, at
/// 6 or 24 hours of history: the peaks' within 0.74 to 1.44 of the newest load's), and
/// taking the lower of two close means moved 23 % of the tuned World Cup policy's
/// evaluations to a peak. On bursts that come and go the peaks' are far lower (medians 0.09
/// to 0.42 on the held-out Azure Functions timer and busy noisy functions at a risk of 5 %
/// or less). `scripts/band_bases.py` measures both; docs/benchmarks.md, "Held-out traffic".
const PEAK_GAIN: f64 = 0.7;
/// The long trailing peak's window, in horizons.
const LONG_PEAK_HORIZONS: usize = 4;
/// How much shorter than learned the service time may be when fitting servers per unit.
const SERVICE_MARGIN: f64 = 0.05;
/// Minutes whose mean latency is above this multiple of the service time do not bound the
/// servers per unit (see `learn`).
const STEADY_MEAN: f64 = 1.5;
/// Weight of the newest period in the calibration (about 10 periods).
const CAL_ALPHA: f64 = 0.1;
/// The longest hold window, whatever the relaunch cost.
const MAX_HOLD_S: u32 = 4 * 3600;
/// The most units the sizing considers.
const MAX_UNITS: u32 = 1 << 16;
/// Seconds a period's datapoints may take to become readable after the load's (see
/// `settled_after`).
const SETTLE_S: i64 = 120;
/// The percentile of the latency objective.
pub const PERCENTILE: f64 = 0.99;

/// The metric that tells an idle period from a late datapoint, and how it tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdleSign {
    /// An inference component's in-flight requests per copy (`ConcurrentRequestsPerCopy`,
    /// Maximum, the load's period). An idle copy publishes 0, so a newest period without a
    /// load datapoint but with a 0 here had no requests: the load reads 0 and the component
    /// can scale in to zero. Without either it has no copy, and is at zero.
    ZeroInFlight(MetricId),
    /// A variant's instance utilisation (`CPUUtilization`, the load's period), which the
    /// instances publish every minute whether or not requests came. The newest two periods
    /// with it and without a load datapoint had no requests: the load reads 0 and the hold
    /// window decides when the fleet shrinks. Otherwise a missing load datapoint holds.
    InstancesPublished(MetricId),
}

impl IdleSign {
    /// The metric read.
    #[must_use]
    pub fn metric(self) -> MetricId {
        match self {
            Self::ZeroInFlight(m) | Self::InstancesPublished(m) => m,
        }
    }

    /// Periods of its history the policy reads.
    #[must_use]
    pub fn history(self) -> usize {
        match self {
            Self::ZeroInFlight(_) => 1,
            Self::InstancesPublished(_) => 2,
        }
    }
}

/// An SLO-driven policy.
#[derive(Clone, Debug, PartialEq)]
pub struct SloSpec {
    /// The whole target's requests per period (`Invocations`, Sum).
    pub load: MetricId,
    /// Mean model latency per period (`ModelLatency`, Average).
    pub latency: MetricId,
    /// Median model latency per period (`ModelLatency`, p50).
    pub latency_p50: MetricId,
    /// 99th-percentile model latency per period (`ModelLatency`, p99).
    pub latency_p99: MetricId,
    /// Seconds per unit of the latency metrics (1e-6: CloudWatch's microseconds).
    pub latency_unit_s: f64,
    /// What says that a period without a load datapoint had no requests: SageMaker publishes
    /// no `Invocations` datapoint of zero, so a missing one is either late or idle.
    pub idle: Option<IdleSign>,
    /// The seasonal forecast of the load, when configured: the predictive policy's model on
    /// `Invocations` over 300 s periods. Its `lead` is replaced by the horizon at each
    /// evaluation; its `target` is unused.
    pub forecast: Option<PredictiveSpec>,
    /// The p99 latency objective, seconds.
    pub p99_s: f64,
    /// The largest acceptable share of failed requests.
    pub max_error_rate: f64,
    /// A request still waiting after this many seconds fails (SageMaker's invocation timeout).
    pub timeout_s: f64,
    /// The accepted chance that the load outgrows the fleet before new capacity is in service.
    pub risk: f64,
    /// What relaunching one unit costs, in minutes of that unit (`None`: the lead).
    pub relaunch_cost_minutes: Option<f64>,
    /// Seconds of load history the band's growth is read over (at most a day).
    pub band_history_s: u32,
    /// The provisioning lead until the driver has learned one.
    pub documented_lead: Seconds,
}

/// What an SLO policy has learned, and its hold window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SloState {
    /// End of the newest period learned from (0: none).
    pub learned_to: i64,
    /// Per hour: (slot, the lowest mean latency seen, that minute's p50, p99), seconds; a
    /// mean of 0 marks an empty slot.
    pub service: [(i64, f64, f64, f64); SLOTS],
    /// Per hour: (slot, requests per second, units in service, mean latency in seconds) of
    /// the minute that bounds the servers per unit most; 0 units is empty.
    pub servers: [(i64, f64, u32, f64); SLOTS],
    /// The same for the minute that bounds the servers per unit most over the memory
    /// (`MEMORY_SLOTS`, a week); 0 units is empty.
    #[serde(default)]
    pub servers_best: (i64, f64, u32, f64),
    /// Moving mean of ln(observed p99 / modelled p99).
    pub calibration: f64,
    /// Highest need per slot of the hold window: (slot number, capacity).
    pub hold: [(i64, Capacity); SLOTS],
    /// The servers per unit last worked out: (learning slot, service time, CV, servers).
    /// Derived from the fields above, so never persisted; cleared when a servers slot
    /// changes.
    #[serde(skip)]
    pub servers_memo: (i64, f64, f64, u32),
}

/// The outcome of one evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SloOutcome {
    /// No fresh load datapoint, or no latency datapoint learned from yet.
    NoData {
        /// The newest load datapoint was older than the engine's maximum metric age.
        stale: bool,
    },
    /// A capacity, and what it came from.
    Wants {
        /// Capacity to move to (may equal current).
        capacity: Capacity,
        /// The explanation.
        sizing: SloSizing,
        /// The newest load datapoint is present and fresh (needed to remove capacity).
        fresh: bool,
    },
}

/// What an SLO policy's sizing rests on, for `plan` and `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SloSizing {
    /// Capacity the upper load needs now.
    pub need: Capacity,
    /// Newest load, requests per second.
    pub load_rps: f64,
    /// The upper edge of the load band over the horizon, requests per second.
    pub band_rps: f64,
    /// The `1 − risk` quantile of the load's growth over one horizon that set the band.
    pub growth: f64,
    /// What that growth multiplies: the newest load, or the highest of the last horizon or
    /// of the last four.
    pub band_base: BandBase,
    /// That base, requests per second.
    pub band_base_rps: f64,
    /// Seconds of load history that quantile was read over (`band_history_hours`).
    pub band_history_s: u32,
    /// The seasonal forecast's peak over the horizon, raised by its error, when trusted.
    pub forecast_rps: Option<f64>,
    /// Learned mean service time, seconds.
    pub service_s: f64,
    /// Learned coefficient of variation of the service time.
    pub cv: f64,
    /// Learned requests one unit serves at once.
    pub servers: u32,
    /// Requests per second one unit serves at full utilisation (`servers / service_s`).
    pub unit_rps: f64,
    /// Calibration factor on the model's p99.
    pub calibration: f64,
    /// Modelled p99 at `need` under the upper load, seconds.
    pub predicted_p99_s: f64,
    /// The objective, seconds.
    pub p99_s: f64,
    /// The newest p99 seen, when above the objective (a breach: at least one unit more than
    /// served then is asked for).
    pub breach_p99_s: Option<f64>,
    /// The accepted risk.
    pub risk: f64,
    /// The provisioning lead used, seconds.
    pub lead_s: u32,
    /// Whether the lead was learned (else documented).
    pub lead_learned: bool,
    /// The scale-in hold window, seconds.
    pub hold_s: u32,
    /// No capacity meets the objective: the service time alone breaks it.
    pub unreachable: bool,
}

/// The learned service law and servers per unit, as the model uses them.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Model {
    service_s: f64,
    law: ServiceLaw,
    servers: u32,
    calibration: f64,
}

impl Model {
    /// The response time of `units` units under `lambda` requests per second; `None` when
    /// that is at or beyond saturation.
    fn response(&self, units: u32, lambda: f64) -> Option<LawResponse> {
        response(
            units.saturating_mul(self.servers),
            lambda,
            self.service_s,
            self.law,
        )
    }
}

/// The response time of `c` servers of mean `service_s` under `lambda` requests per second;
/// `None` at or beyond saturation.
fn response(c: u32, lambda: f64, service_s: f64, law: ServiceLaw) -> Option<LawResponse> {
    let mu = 1.0 / service_s;
    (c > 0 && lambda < f64::from(c) * mu * (1.0 - 1e-9))
        .then(|| LawResponse::new(c, lambda.max(1e-12), mu, law))
}

fn mean_response(c: u32, lambda: f64, service_s: f64, law: ServiceLaw) -> f64 {
    response(c, lambda, service_s, law).map_or(f64::INFINITY, |r| r.mean())
}

/// What the band's growth multiplies: the newest load, or the highest load of a trailing
/// window (the newest period's included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BandBase {
    /// The newest period's load.
    Newest,
    /// The highest load of the last horizon.
    RecentPeak,
    /// The highest load of the last four horizons.
    LongPeak,
}

impl BandBase {
    /// Periods of the trailing window the base is the peak of, for a horizon of `h` periods.
    #[must_use]
    pub fn window(self, h: usize) -> usize {
        match self {
            Self::Newest => 1,
            Self::RecentPeak => h,
            Self::LongPeak => LONG_PEAK_HORIZONS * h,
        }
    }
}

/// The band's growth: its `1 − risk` quantile and the base it multiplies.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Growth {
    factor: f64,
    base: BandBase,
}

/// A sliding maximum over period indices walked from the newest back: older indices come in
/// at one end, newer ones leave at the other, and the front is the window's peak. Indices of
/// candidates sit in `idx[far..near]`, newest (and highest) at `far`; each is pushed once, so
/// 2 · `MAX_GROWTHS` slots suffice.
struct SlidingMax {
    idx: [u16; 2 * MAX_GROWTHS],
    far: usize,
    near: usize,
    /// The oldest index pushed so far (the history's length before any).
    next: usize,
}

impl SlidingMax {
    fn new(len: usize) -> Self {
        Self {
            idx: [0; 2 * MAX_GROWTHS],
            far: 0,
            near: 0,
            next: len,
        }
    }

    /// Make the window `lo..=hi`: push every index down to `lo`, drop every one above `hi`.
    fn slide(&mut self, values: &[Option<f64>], lo: usize, hi: usize) -> f64 {
        let present = |i: usize| values[i].filter(|v| !v.is_nan());
        while self.next > lo {
            self.next -= 1;
            let Some(v) = present(self.next) else {
                continue;
            };
            while self.near > self.far
                && present(usize::from(self.idx[self.near - 1])).is_some_and(|d| d <= v)
            {
                self.near -= 1;
            }
            self.idx[self.near] = self.next as u16;
            self.near += 1;
        }
        while self.near > self.far && usize::from(self.idx[self.far]) > hi {
            self.far += 1;
        }
        if self.near > self.far {
            present(usize::from(self.idx[self.far]))
                .unwrap_or(0.0)
                .max(0.0)
        } else {
            0.0
        }
    }
}

/// How much the load grew over `h` periods, at its `1 − risk` quantile (at least 1), measured
/// from three bases; the one whose band would have been lowest on average over the history
/// wins. For each period with a load, the highest load of the `h` periods after it over
/// - its own load (`Newest`): a load that rises and falls as a whole;
/// - the highest load of the `h` periods up to it (`RecentPeak`), or of the `4 h` up to it
///   (`LongPeak`): a load whose bursts come and go (a job every five minutes, a caller on and
///   off), where the newest period is a burst or a lull by chance. Over the newest load, the
///   growth after a lull is the whole burst, and its quantile multiplied the next burst by
///   itself: 13× a burst 13 times the lull, on an Azure Functions timer (docs/benchmarks.md,
///   "Held-out traffic").
///
/// Every band holds the same share of the history's horizons, so the lower mean band is the
/// cheaper at the same risk; a peak's must be lower than the newest load's by a margin
/// (`PEAK_GAIN`). A peak's growth counts only the periods with its whole window in the
/// history, from its first datapoint on (one cut short reads a lull as its peak), and is
/// compared with the newest load's over those periods. Fewer than `1 / risk` samples give
/// their largest. A horizon is at most `MAX_GROWTHS` periods.
///
/// Linear in the history and no allocation: the peaks come from sliding-window maxima in
/// fixed buffers, and the samples sit in fixed buffers of the newest ones.
fn growth_quantile(values: &[Option<f64>], h: usize, risk: f64) -> Growth {
    const PEAKS: [BandBase; 2] = [BandBase::RecentPeak, BandBase::LongPeak];
    let flat = Growth {
        factor: 1.0,
        base: BandBase::Newest,
    };
    let h = h.clamp(1, MAX_GROWTHS);
    let len = values.len();
    let start = len.saturating_sub(MAX_GROWTHS + h);
    let values = &values[start..];
    let len = values.len();
    if len <= h {
        return flat;
    }
    // A peak's window is whole from the first period with a datapoint: a window that
    // reaches before it (a history that starts within it, or periods before the metric was
    // published, which a daemon's query returns as missing and the simulator's ring lacks)
    // is cut short.
    let Some(first) = values.iter().position(|v| v.is_some_and(|v| !v.is_nan())) else {
        return flat;
    };
    let mut ahead = SlidingMax::new(len);
    let mut behind = [SlidingMax::new(len), SlidingMax::new(len)];
    let mut g = [0.0f64; MAX_GROWTHS];
    let mut gp = [[0.0f64; MAX_GROWTHS]; 2];
    // Per peak: its samples, the sum of its bases and of the newest loads at the same starts.
    let mut np = [0usize; 2];
    let mut sums = [(0.0f64, 0.0f64); 2];
    let mut n = 0;
    for t in (0..len - h).rev() {
        // The h periods after t.
        let peak = ahead.slide(values, t + 1, t + h);
        let Some(base) = values[t].filter(|&v| v > 0.0) else {
            continue;
        };
        g[n] = peak / base;
        n += 1;
        for (k, b) in PEAKS.iter().enumerate() {
            let w = b.window(h);
            if t + 1 < first + w {
                continue;
            }
            // At least the base itself: t is in its own trailing window.
            let recent = behind[k].slide(values, t + 1 - w, t).max(base);
            gp[k][np[k]] = peak / recent;
            sums[k].0 += recent;
            sums[k].1 += base;
            np[k] += 1;
        }
    }
    if n == 0 {
        return flat;
    }
    let quantile = |g: &mut [f64]| {
        let k = ((1.0 - risk) * g.len() as f64).ceil() as usize;
        let k = k.clamp(1, g.len()) - 1;
        let (_, q, _) = g.select_nth_unstable_by(k, f64::total_cmp);
        q.max(1.0)
    };
    let newest = quantile(&mut g[..n]);
    let mut best = (
        PEAK_GAIN,
        Growth {
            factor: newest,
            base: BandBase::Newest,
        },
    );
    for (k, b) in PEAKS.iter().enumerate() {
        // The growth is at least 1, so a peak whose bases alone are past the margin loses
        // without its quantile (the usual case where the load moves as a whole).
        if np[k] == 0 || sums[k].0 > best.0 * newest * sums[k].1 {
            continue;
        }
        let q = quantile(&mut gp[k][..np[k]]);
        let share = q * sums[k].0 / (newest * sums[k].1);
        // At the margin a peak is taken; between equal peaks, the shorter window.
        let newest_still = best.1.base == BandBase::Newest;
        if share < best.0 || (newest_still && share <= best.0) {
            best = (
                share,
                Growth {
                    factor: q,
                    base: *b,
                },
            );
        }
    }
    best.1
}

/// The highest load of the newest `w` periods (at least `newest`, the load read now).
fn recent_peak(values: &[Option<f64>], w: usize, newest: f64) -> f64 {
    values[values.len().saturating_sub(w)..]
        .iter()
        .flatten()
        .filter(|v| !v.is_nan())
        .fold(newest, |a, &v| a.max(v))
}

/// The least servers per unit whose modelled mean response, at `lambda` requests per second
/// over `units` units for a period of `period` seconds, is within the `mean` observed, plus a
/// slack of 5 % of the service time and the observed mean's own sampling error: `MEAN_NOISE_Z`
/// standard errors of a mean over that period's requests, at the law's spread (at least the
/// exponential's). A minute of a few hundred requests whose mean came out low by chance would
/// otherwise overstate the servers, and the highest bound stands for up to a week;
/// over tens of thousands the error is negligible.
/// The learned service time is an upper bound (the lowest mean seen still holds some
/// queueing), and near saturation a few per cent of it decide the count: the fit allows the
/// service time to be up to 5 % shorter, which can only lower the count.
fn least_servers(
    lambda: f64,
    period: f64,
    units: u32,
    mean: f64,
    service_s: f64,
    law: ServiceLaw,
) -> u32 {
    let service_s = service_s * (1.0 - SERVICE_MARGIN);
    let requests = (lambda * period).max(1.0);
    let slack = MEAN_SLACK + MEAN_NOISE_Z * law.cv.max(1.0) / requests.sqrt();
    let within = |k: u32| {
        mean_response(units.saturating_mul(k), lambda, service_s, law) <= mean + slack * service_s
    };
    if within(1) {
        return 1;
    }
    if !within(MAX_SERVERS) {
        return MAX_SERVERS;
    }
    let (mut lo, mut hi) = (1, MAX_SERVERS);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if within(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// How long after the newest load datapoint's period a period is learned from: CloudWatch
/// makes a datapoint readable up to about 2 minutes after its period ends, and nothing
/// promises that two metrics or statistics arrive together, so the newest periods' latency
/// percentiles may not be readable yet when their load is. A period learned before its p50
/// and p99 arrived was learned without them for good: read as the exponential law, it set
/// the service law and the calibration wrong for up to 16 hours (docs/benchmarks.md,
/// 2026-12-07). At least one period.
fn settled_after(period: i64) -> i64 {
    let p = period.max(1);
    (SETTLE_S + p - 1).div_euclid(p).max(1) * p
}

/// The value of `w` for the period ending at `end`, if present.
fn at(w: Option<&MetricWindow<'_>>, end: i64) -> Option<f64> {
    let w = w?;
    let p = i64::from(w.period.0.max(1));
    let back = (w.end.0 - end).div_euclid(p);
    if back < 0 || (w.end.0 - end).rem_euclid(p) != 0 {
        return None;
    }
    let i = w
        .values
        .len()
        .checked_sub(1 + usize::try_from(back).ok()?)?;
    w.values[i].filter(|v| v.is_finite())
}

impl SloSpec {
    /// A policy on metrics 0 to 3 (`Invocations` Sum, then `ModelLatency` Average, p50 and
    /// p99 in microseconds) with a p99 objective of `p99_s`: SageMaker's 60 s timeout, 0.1 %
    /// errors, 1 % risk, a relaunch worth 5 minutes and the real-time documented lead (381 s).
    /// The spec tests and benchmarks start from; policy files compile their own.
    #[must_use]
    pub fn reading_metrics_0_to_3(p99_s: f64) -> Self {
        Self {
            load: MetricId(0),
            latency: MetricId(1),
            latency_p50: MetricId(2),
            latency_p99: MetricId(3),
            latency_unit_s: 1e-6,
            idle: None,
            forecast: None,
            p99_s,
            max_error_rate: 0.001,
            timeout_s: 60.0,
            risk: 0.01,
            relaunch_cost_minutes: Some(5.0),
            band_history_s: DEFAULT_BAND_HISTORY_S,
            documented_lead: Seconds(381),
        }
    }

    /// Periods of history the latency metrics are read over.
    #[must_use]
    pub fn latency_history(&self) -> usize {
        SLOTS
    }

    /// Seconds of load history the band's growth quantile reads: `band_history_s`, at most a
    /// day.
    fn band_history(&self) -> u32 {
        self.band_history_s.min(MAX_BAND_HISTORY_S)
    }

    /// Periods of history the load metric is read over, for a metric of `period`.
    #[must_use]
    pub fn load_history(&self, period: Seconds) -> usize {
        (self.band_history() / period.0.max(1)) as usize + 1
    }

    /// The (service time, law) learned so far, at learning slot `slot`.
    fn service(st: &SloState, slot: i64) -> Option<(f64, ServiceLaw)> {
        let best = st
            .service
            .iter()
            .filter(|e| e.1 > 0.0 && e.0 > slot - MEMORY_SLOTS && e.0 <= slot)
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        let (_, mean, p50, p99) = *best;
        let law = if p50 > 0.0 && p99 > p50 {
            let cv = ServiceLaw::from_p50_p99(p50, p99).cv;
            ServiceLaw {
                cv: cv.clamp(0.0, 3.0),
            }
        } else {
            ServiceLaw::default()
        };
        Some((mean, law))
    }

    /// The servers per unit: the highest lower bound of the hourly slots and of the week's
    /// best minute (none older than `MEMORY_SLOTS`).
    /// Worked out again only when the slot, the service law or a servers slot has changed
    /// since.
    fn servers(st: &mut SloState, slot: i64, period: f64, service_s: f64, law: ServiceLaw) -> u32 {
        let (m_slot, m_service, m_cv, k) = st.servers_memo;
        if k > 0 && m_slot == slot && m_service == service_s && m_cv == law.cv {
            return k;
        }
        let k = st
            .servers
            .iter()
            .chain(std::iter::once(&st.servers_best))
            // Only minutes still moderate at today's service time: one kept when the service
            // time was learned from an overloaded minute (the first after a start or a wake)
            // queued far beyond the true one, and would overstate the servers for 16 hours.
            .filter(|e| {
                e.2 > 0
                    && e.0 > slot - MEMORY_SLOTS
                    && e.0 <= slot
                    && e.3 <= STEADY_MEAN * service_s
            })
            .map(|e| least_servers(e.1, period, e.2, e.3, service_s, law))
            .max()
            .unwrap_or(1);
        st.servers_memo = (slot, service_s, law.cv, k);
        k
    }

    /// Learn from the period ending at `end`: `load` requests, `mean`/`p50`/`p99` latency in
    /// seconds, `units` in service.
    #[allow(clippy::too_many_arguments)]
    fn learn(
        &self,
        st: &mut SloState,
        end: i64,
        period: f64,
        load: f64,
        latency: [Option<f64>; 3],
        units: Capacity,
    ) {
        st.learned_to = end;
        let [Some(mean), p50, p99] = latency else {
            return;
        };
        if load <= 0.0 || units == 0 || mean <= 0.0 {
            return;
        }
        let lambda = load / period;
        let slot = end.div_euclid(LEARN_SLOT_S);
        let e = &mut st.service[slot.rem_euclid(SLOTS as i64) as usize];
        if e.0 != slot || e.1 <= 0.0 || mean < e.1 {
            *e = (slot, mean, p50.unwrap_or(0.0), p99.unwrap_or(0.0));
        }
        let Some((service_s, law)) = Self::service(st, slot) else {
            return;
        };
        // Keep the hour's minute that bounds the servers per unit most, from minutes whose
        // queueing is moderate: near saturation a minute cannot build the steady state's wait,
        // and its low mean would overstate the servers.
        if mean <= STEADY_MEAN * service_s {
            let k = least_servers(lambda, period, units, mean, service_s, law);
            let e = &mut st.servers[slot.rem_euclid(SLOTS as i64) as usize];
            if e.0 != slot
                || e.2 == 0
                || e.3 > STEADY_MEAN * service_s
                || k > least_servers(e.1, period, e.2, e.3, service_s, law)
            {
                *e = (slot, lambda, units, mean);
                st.servers_memo = SloState::default().servers_memo;
            }
            // And the minute that bounds them most over the week: a lower bound holds as long
            // as the container does, and only a minute near saturation raises it. A fleet
            // sized by an understated count runs at a utilisation that cannot show more, so
            // forgetting a busy day's bound after 16 calmer hours let the count sink and the
            // fleet grow with it (docs/benchmarks.md, 2026-12-07).
            // A newer minute of the same bound only renews it: the count is unchanged, and
            // so is the memo.
            let b = st.servers_best;
            let held = (b.2 > 0 && b.0 > slot - MEMORY_SLOTS && b.3 <= STEADY_MEAN * service_s)
                .then(|| least_servers(b.1, period, b.2, b.3, service_s, law));
            if held.is_none_or(|h| k >= h) {
                st.servers_best = (slot, lambda, units, mean);
                if held != Some(k) {
                    st.servers_memo = SloState::default().servers_memo;
                }
            }
        }
        // A minute that queued well beyond the service time bounds the servers from above:
        // the steady state at the learned (never shorter than true) service time queues at
        // least as much as the world did, and a minute too short to build it queued less.
        // Calibration: the p99 seen against the model's, where the model expects queueing to
        // show and away from overload.
        if let Some(seen) = p99.filter(|&p| p > 0.0 && p < 10.0 * self.p99_s) {
            let model = Model {
                service_s,
                law,
                servers: Self::servers(st, slot, period, service_s, law),
                calibration: 1.0,
            };
            let own = law.service_quantile(service_s, PERCENTILE);
            if let Some(rt) = model.response(units, lambda) {
                let excess = rt.quantile(PERCENTILE) - own;
                if excess > 0.1 * own {
                    let r = ((seen - own).max(0.0) / excess).clamp(0.5, 4.0).ln();
                    st.calibration += CAL_ALPHA * (r - st.calibration);
                }
            }
        }
    }

    /// The smallest capacity meeting the objective under `lambda`, and its modelled p99;
    /// `unreachable` when the service time alone breaks the objective.
    fn size(&self, m: &Model, lambda: f64) -> (Capacity, f64, bool) {
        if lambda <= 0.0 {
            return (0, 0.0, false);
        }
        // The calibration scales the queueing part: p99 = own + cal × (model p99 − own).
        let own = m.law.service_quantile(m.service_s, PERCENTILE);
        let bound = own + (self.p99_s - own) / m.calibration;
        let ok = |n: u32| {
            m.response(n, lambda).is_some_and(|rt| {
                rt.survival(bound) <= 1.0 - PERCENTILE
                    && rt.survival(self.timeout_s) <= self.max_error_rate
            })
        };
        let p99_at = |n: u32| {
            m.response(n, lambda).map_or(f64::INFINITY, |rt| {
                own + m.calibration * (rt.quantile(PERCENTILE) - own)
            })
        };
        let unit_rps = f64::from(m.servers) / m.service_s;
        if own >= self.p99_s {
            // Nothing meets it: run at half utilisation, and say so.
            let n = ((lambda / (0.5 * unit_rps)).ceil() as u32).clamp(1, MAX_UNITS);
            return (n, p99_at(n), true);
        }
        let mut lo = ((lambda / unit_rps).floor() as u32).clamp(1, MAX_UNITS);
        if ok(lo) {
            return (lo, p99_at(lo), false);
        }
        let mut hi = lo.saturating_mul(2).min(MAX_UNITS);
        while !ok(hi) && hi < MAX_UNITS {
            lo = hi;
            hi = hi.saturating_mul(2).min(MAX_UNITS);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if ok(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        (hi, p99_at(hi), false)
    }

    /// Evaluate at `now`. `load` must be fresh (the caller checks its age; `fresh_window` false
    /// means it is older than the maximum metric age); `latency` are the mean, p50 and p99
    /// windows; `idle` the in-flight window of [`SloSpec::idle`], if configured; `forecast` the
    /// seasonal forecast's window, if configured and fresh; `seen` the target's capacity at its
    /// recent evaluations; `lead` the learned provisioning lead.
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate(
        &self,
        st: &mut SloState,
        seen: &CapacitySeen,
        load: Option<MetricWindow<'_>>,
        fresh_window: bool,
        latency: [Option<MetricWindow<'_>>; 3],
        idle: Option<MetricWindow<'_>>,
        forecast: Option<MetricWindow<'_>>,
        current: Capacity,
        in_service: Capacity,
        lead: Option<Seconds>,
        now: Timestamp,
    ) -> SloOutcome {
        let Some(w) = load.filter(|_| fresh_window) else {
            return SloOutcome::NoData {
                stale: load.is_some(),
            };
        };
        let p = i64::from(w.period.0.max(1));
        let period = p as f64;
        // Learn from every settled period not yet learned from, oldest first.
        let newest = w.end.0;
        let oldest = newest - (w.values.len() as i64 - 1) * p;
        let mut end = if st.learned_to == 0 {
            oldest
        } else {
            (st.learned_to + p).max(oldest)
        };
        let settled = newest - settled_after(p);
        while end <= settled {
            if let Some(l) = at(Some(&w), end) {
                let lat = |k: usize| {
                    at(latency[k].as_ref(), end)
                        .map(|v| v * self.latency_unit_s)
                        .filter(|v| *v > 0.0)
                };
                // The most units that served the period: a lower bound on the servers per
                // unit must not count a unit removed during it as absent.
                let units = seen.most_in_service_over(end - p, end, in_service);
                self.learn(st, end, period, l, [lat(0), lat(1), lat(2)], units);
            }
            end += p;
        }
        let slot = newest.div_euclid(LEARN_SLOT_S);
        let Some((service_s, law)) = Self::service(st, slot) else {
            return SloOutcome::NoData { stale: false };
        };
        let model = Model {
            service_s,
            law,
            servers: Self::servers(st, slot, period, service_s, law),
            calibration: st.calibration.exp(),
        };
        let (lead_s, lead_learned) = match lead {
            Some(l) => (l.0, true),
            None => (self.documented_lead.0, false),
        };
        let horizon = f64::from(lead_s) + (now.0 - newest).max(0) as f64 + period;
        // Without a load datapoint: no requests, if the idle sign says so.
        let idle_now = || match self.idle? {
            // A component's copies said none was in flight that period.
            IdleSign::ZeroInFlight(_) => (at(idle.as_ref(), newest) == Some(0.0)).then_some(0.0),
            // A variant's instances published the newest two periods, and the load did not.
            IdleSign::InstancesPublished(_) => {
                let quiet = |end| at(Some(&w), end).is_none() && at(idle.as_ref(), end).is_some();
                (quiet(newest) && quiet(newest - p)).then_some(0.0)
            }
        };
        let seen_load = w.latest().or_else(idle_now);
        if seen_load.is_none() && !matches!(self.idle, Some(IdleSign::ZeroInFlight(_))) {
            // A variant's newest period is missing and not known idle: hold, never remove.
            return SloOutcome::NoData { stale: false };
        }
        let forecast_rps = self.forecast.as_ref().zip(forecast).and_then(|(f, fw)| {
            // The horizon as the load's (lead + age + a period), counted from the forecast
            // window's own newest period: older than the load's (300 s, published late).
            let fp = fw.period.0.max(1);
            let from_end = u32::try_from((now.0 - fw.end.0).max(0)).unwrap_or(u32::MAX);
            let ahead = lead_s
                .saturating_add(from_end)
                .saturating_add(fp)
                .div_ceil(fp)
                * fp;
            let spec = PredictiveSpec {
                lead: Seconds(ahead),
                ..f.clone()
            };
            match spec.forecast_within_lead(&fw) {
                Forecast::Ready {
                    load,
                    error,
                    trusted: true,
                    ..
                } => Some(load / f64::from(fp) * (1.0 + error)),
                _ => None,
            }
        });
        let (load_now, fresh) = match seen_load {
            Some(l) => (l, true),
            // A component with neither has no copy to publish them: it is at zero. A trusted
            // forecast of load within the horizon wakes it ahead of a job that comes daily;
            // nothing is removed on it.
            None if forecast_rps.is_some_and(|f| f > 0.0) => (0.0, false),
            // Nothing forecast: hold, never remove.
            None => return SloOutcome::NoData { stale: false },
        };
        let load_rps = load_now / period;
        let h = (horizon / period).ceil() as usize;
        let growth = growth_quantile(w.values, h, self.risk);
        let base_rps = match growth.base {
            BandBase::Newest => load_rps,
            b => recent_peak(w.values, b.window(h), load_now) / period,
        };
        let mut band = base_rps * growth.factor;
        if let Some(f) = forecast_rps {
            band = band.max(f);
        }
        let (mut need, predicted_p99_s, unreachable) = self.size(&model, band);
        // A breach seen is a fact the model must not argue with: the newest p99 above the
        // objective asks for at least one unit more than served that period. The newest p99
        // may be a period behind the load (each datapoint is readable after its own delay).
        let newest_p99 = [newest, newest - p]
            .into_iter()
            .find_map(|end| at(latency[2].as_ref(), end).map(|v| (end, v * self.latency_unit_s)));
        let seen_p99 = newest_p99.map(|(_, v)| v);
        let breach = seen_p99.is_some_and(|p| p > self.p99_s);
        if let Some((end, _)) = newest_p99.filter(|_| breach) {
            let served = seen.in_service_at(end, in_service);
            need = need.max(served.saturating_add(1));
        }

        // Scale-in: no lower than the highest need over the hold window.
        let cost_min = self
            .relaunch_cost_minutes
            .unwrap_or(f64::from(lead_s) / 60.0);
        let hold_s = ((cost_min * 60.0) as u32).clamp(w.period.0.max(1), MAX_HOLD_S);
        let highest = highest_recent(&mut st.hold, Seconds(hold_s), now, need);
        let capacity = if need >= current {
            need
        } else {
            highest.min(current)
        };
        SloOutcome::Wants {
            capacity,
            sizing: SloSizing {
                need,
                load_rps,
                band_rps: band,
                growth: growth.factor,
                band_base: growth.base,
                band_base_rps: base_rps,
                band_history_s: self.band_history(),
                forecast_rps,
                service_s,
                cv: law.cv,
                servers: model.servers,
                unit_rps: f64::from(model.servers) / service_s,
                calibration: model.calibration,
                predicted_p99_s,
                p99_s: self.p99_s,
                breach_p99_s: seen_p99.filter(|_| breach),
                risk: self.risk,
                lead_s,
                lead_learned,
                hold_s,
                unreachable,
            },
            fresh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SloSpec {
        SloSpec {
            risk: 0.05,
            relaunch_cost_minutes: None,
            documented_lead: Seconds(300),
            ..SloSpec::reading_metrics_0_to_3(0.4)
        }
    }

    fn window(values: &[Option<f64>], end: i64) -> Option<MetricWindow<'_>> {
        Some(MetricWindow {
            period: Seconds(60),
            end: Timestamp(end),
            values,
        })
    }

    /// The world the policy must learn: `servers` per unit of `service_s` (exponential), at
    /// `units` in service; what its metrics say about `rps`.
    fn world(servers: u32, service_s: f64, units: u32, rps: f64) -> [f64; 4] {
        let c = units * servers;
        let rt = LawResponse::new(c, rps, 1.0 / service_s, ServiceLaw::default());
        [
            rps * 60.0,
            rt.mean() * 1e6,
            rt.quantile(0.5) * 1e6,
            rt.quantile(0.99) * 1e6,
        ]
    }

    /// Drive the policy for `minutes` of a constant `units` in service at a load of `rps(t)`.
    fn run(
        s: &SloSpec,
        st: &mut SloState,
        minutes: i64,
        units: u32,
        rps: impl Fn(i64) -> f64,
    ) -> SloOutcome {
        run_seeing(s, st, minutes, units, |m| world(2, 0.05, units, rps(m)))
    }

    /// As `run`, with the metrics of minute `m` (requests, mean, p50, p99 in µs) given by
    /// `metrics(m)`.
    fn run_seeing(
        s: &SloSpec,
        st: &mut SloState,
        minutes: i64,
        units: u32,
        metrics: impl Fn(i64) -> [f64; 4],
    ) -> SloOutcome {
        run_reading(s, st, minutes, units, metrics, false)
    }

    /// As `run_seeing`; with `late`, each evaluation's newest p50 and p99 are not readable yet
    /// (CloudWatch makes each datapoint readable after its own delay).
    fn run_reading(
        s: &SloSpec,
        st: &mut SloState,
        minutes: i64,
        units: u32,
        metrics: impl Fn(i64) -> [f64; 4],
        late: bool,
    ) -> SloOutcome {
        run_units(s, st, minutes, |_| units, metrics, late)
    }

    /// As `run_reading`, with `units(t)` in service at second `t`, seen at evaluations every
    /// 10 s; minute m is evaluated two minutes after its end.
    fn run_units(
        s: &SloSpec,
        st: &mut SloState,
        minutes: i64,
        units: impl Fn(i64) -> u32,
        metrics: impl Fn(i64) -> [f64; 4],
        late: bool,
    ) -> SloOutcome {
        let mut seen = CapacitySeen::with_room();
        let mut hist: Vec<[f64; 4]> = Vec::new();
        let mut out = SloOutcome::NoData { stale: false };
        for m in 1..=minutes {
            hist.push(metrics(m));
            let col = |k: usize, n: usize| {
                hist[hist.len().saturating_sub(n)..]
                    .iter()
                    .map(|v| Some(v[k]))
                    .collect::<Vec<_>>()
            };
            let l = col(0, s.load_history(Seconds(60)));
            let (a, mut b, mut c) = (col(1, SLOTS), col(2, SLOTS), col(3, SLOTS));
            if late {
                *b.last_mut().unwrap() = None;
                *c.last_mut().unwrap() = None;
            }
            let end = m * 60;
            let now = end + 120;
            for t in (now - 50..=now).step_by(10) {
                seen.saw(Timestamp(t), units(t));
            }
            out = s.evaluate(
                st,
                &seen,
                window(&l, end),
                true,
                [window(&a, end), window(&b, end), window(&c, end)],
                None,
                None,
                units(now),
                units(now),
                None,
                Timestamp(now),
            );
        }
        out
    }

    fn sizing(o: SloOutcome) -> (Capacity, SloSizing) {
        match o {
            SloOutcome::Wants {
                capacity, sizing, ..
            } => (capacity, sizing),
            SloOutcome::NoData { .. } => panic!("no data"),
        }
    }

    #[test]
    fn it_learns_the_service_time_and_servers_per_unit_from_the_metrics_alone() {
        // Two servers per instance of 50 ms, seen at a quiet hour and a busy one.
        let s = spec();
        let mut st = SloState::default();
        let out = run(&s, &mut st, 60, 10, |m| if m < 30 { 20.0 } else { 360.0 });
        let (_, z) = sizing(out);
        assert!((z.service_s - 0.05).abs() < 0.003, "{z:?}");
        assert_eq!(z.servers, 2, "{z:?}");
        assert!((z.calibration - 1.0).abs() < 0.05, "{z:?}");
        assert!((z.cv - 1.0).abs() < 0.1, "{z:?}");
    }

    #[test]
    fn an_overloaded_first_minute_does_not_set_the_servers_for_hours() {
        // The first minute after a start (or a wake) is overloaded: 600/s on 10 units of 2
        // servers of 50 ms, a queue building to a 0.5 s mean. It is the only minute seen, so
        // it sets the service time; once calmer minutes correct that, it queued far beyond
        // the service time and must not bound the servers (it would say 3).
        let s = spec();
        let mut st = SloState::default();
        let out = run_seeing(&s, &mut st, 50, 10, |m| match m {
            1 => [600.0 * 60.0, 0.5e6, 0.4e6, 1.5e6],
            m if m < 25 => world(2, 0.05, 10, 20.0),
            _ => world(2, 0.05, 10, 360.0),
        });
        let (_, z) = sizing(out);
        assert!((z.service_s - 0.05).abs() < 0.003, "{z:?}");
        assert_eq!(z.servers, 2, "{z:?}");
        // The same minute alone in its hour (the last minute of an idle one), the calm and
        // busy minutes in the next: its hour's bound is not replaced, and must not count.
        let mut st = SloState::default();
        let out = run_seeing(&s, &mut st, 110, 10, |m| match m {
            m if m < 59 => [0.0; 4],
            59 => [600.0 * 60.0, 0.5e6, 0.4e6, 1.5e6],
            m if m < 85 => world(2, 0.05, 10, 20.0),
            _ => world(2, 0.05, 10, 360.0),
        });
        let (_, z) = sizing(out);
        assert_eq!(z.servers, 2, "{z:?}");
    }

    #[test]
    fn percentiles_readable_a_period_after_the_load_still_set_the_law() {
        // A log-normal service of 50 ms and CV 1.3 at 5 % utilisation: its p50 and p99 are the
        // law's own. Each minute's percentiles are readable a minute after its load. Learned
        // at first sight, every minute lacked them and read as the exponential law (CV 1).
        let s = spec();
        let law = ServiceLaw { cv: 1.3 };
        let minute = [
            20.0 * 60.0,
            0.05e6,
            law.service_quantile(0.05, 0.5) * 1e6,
            law.service_quantile(0.05, 0.99) * 1e6,
        ];
        let mut st = SloState::default();
        let (_, z) = sizing(run_reading(&s, &mut st, 30, 10, |_| minute, true));
        assert!((z.cv - 1.3).abs() < 0.05, "{z:?}");
        // And a breach a minute behind the load is still a breach: one unit more than the 4
        // that served it, where the calm minutes around it need fewer.
        let mut st = SloState::default();
        let (capacity, z) = sizing(run_reading(
            &s,
            &mut st,
            31,
            4,
            |m| {
                if m == 30 {
                    [20.0 * 60.0, 0.3e6, 0.2e6, 1.0e6]
                } else {
                    world(2, 0.05, 4, 20.0)
                }
            },
            true,
        ));
        assert_eq!(z.breach_p99_s, Some(1.0), "{z:?}");
        assert_eq!(capacity, 5, "{z:?}");
    }

    #[test]
    fn a_unit_removed_during_a_busy_minute_does_not_raise_the_servers() {
        // 10 units of 2 servers of 50 ms at 90 % busy; 10 s before minute 40 ends one unit
        // goes, and the load falls to what 9 serve easily. Minute 40 was served by 10 for 50 s:
        // counted as the 9 seen at its end, it would have run 9 units past saturation, and
        // bounded the servers at 3 for the week.
        let s = spec();
        let mut st = SloState::default();
        let out = run_units(
            &s,
            &mut st,
            60,
            |t| if t < 40 * 60 - 10 { 10 } else { 9 },
            |m| {
                if m <= 40 {
                    world(2, 0.05, 10, 360.0)
                } else {
                    world(2, 0.05, 9, 150.0)
                }
            },
            false,
        );
        let (_, z) = sizing(out);
        assert_eq!(z.servers, 2, "{z:?}");
    }

    #[test]
    fn a_busy_hours_bound_on_the_servers_stands_through_a_calm_day() {
        // An hour at 90 % of 10 units of 2 servers shows 2; the 20 hours after it, at 10 %,
        // show no queueing at any count. 16 of them would forget the busy hour and say 1.
        let s = spec();
        let mut st = SloState::default();
        let out = run(
            &s,
            &mut st,
            21 * 60,
            10,
            |m| if m < 60 { 360.0 } else { 40.0 },
        );
        let (_, z) = sizing(out);
        assert_eq!(z.servers, 2, "{z:?}");
    }

    #[test]
    fn a_minute_of_few_requests_whose_mean_came_out_low_does_not_raise_the_servers() {
        // 200 requests in a minute on 1 unit of 8 servers of 2 s (exponential, 83 % busy): the
        // mean came out 20 % low, about 3 standard errors of a mean over 200 requests, as the
        // lowest of the 960 minutes of 16 hours will be; read exactly, it asks for 9 servers.
        let law = ServiceLaw::default();
        let lambda = 200.0 / 60.0;
        let mean = 0.8 * mean_response(8, lambda, 2.0, law);
        assert_eq!(least_servers(lambda, 60.0, 1, mean, 2.0, law), 8);
        // The same shortfall in a mean over 200,000 requests (a period 1,000 times longer) is
        // real.
        assert!(least_servers(lambda, 60_000.0, 1, mean, 2.0, law) > 8);
    }

    /// An evaluation at `now` of 4 units in service, of a load window ending at 3600 s beside
    /// latency windows of a steady 60 ms.
    fn at_four_units(
        s: &SloSpec,
        st: &mut SloState,
        load: &[Option<f64>],
        idle: Option<MetricWindow<'_>>,
        now: i64,
    ) -> SloOutcome {
        let lat = vec![Some(60_000.0); SLOTS];
        s.evaluate(
            st,
            &CapacitySeen::default(),
            window(load, 3600),
            true,
            [window(&lat, 3600), window(&lat, 3600), window(&lat, 3600)],
            idle,
            None,
            4,
            4,
            None,
            Timestamp(now),
        )
    }

    #[test]
    fn a_component_whose_copies_had_nothing_in_flight_scales_in_to_zero() {
        let s = SloSpec {
            idle: Some(IdleSign::ZeroInFlight(MetricId(4))),
            ..spec()
        };
        let mut st = SloState::default();
        let (_, before) = sizing(run(&s, &mut st, 60, 4, |_| 30.0));
        // The load stopped: no Invocations datapoint for the newest minute.
        let mut load = vec![Some(1800.0); 30];
        load.push(None);
        let zero = vec![Some(0.0)];
        let busy = vec![Some(2.0)];
        let eval = |st: &mut SloState, idle: Option<MetricWindow<'_>>, now: i64| {
            at_four_units(&s, st, &load, idle, now)
        };
        // Copies with requests in flight: the load datapoint is late, not zero. Without a
        // copy's datapoint either, and no forecast, it holds too.
        for idle in [window(&busy, 3600), None] {
            assert_eq!(
                eval(&mut st.clone(), idle, 3700),
                SloOutcome::NoData { stale: false }
            );
        }
        // A component's copies publishing 0 in flight: no load, no copy needed; it removes
        // them once the hold window (the 5-minute relaunch cost) has passed at that need.
        let (c, z) = sizing(eval(&mut st, window(&zero, 3600), 3700));
        assert_eq!((z.need, z.load_rps), (0, 0.0));
        assert_eq!(
            c, before.need,
            "held: the hold window still has the need of a minute ago"
        );
        let (c, _) = sizing(eval(&mut st, window(&zero, 3600), 3700 + 301));
        assert_eq!(c, 0);
    }

    #[test]
    fn a_variant_whose_instances_published_without_requests_shrinks_after_the_hold() {
        // SageMaker publishes no Invocations datapoint of zero; the instances publish
        // CPUUtilization every minute. Two minutes with it and without the load: no requests.
        let published = SloSpec {
            idle: Some(IdleSign::InstancesPublished(MetricId(4))),
            ..spec()
        };
        let mut st = SloState::default();
        let (_, before) = sizing(run(&published, &mut st, 60, 4, |_| 30.0));
        assert!(before.need >= 2, "{before:?}");
        let mut one_missing = vec![Some(1800.0); 30];
        one_missing.push(None);
        let mut two_missing = one_missing.clone();
        two_missing[29] = None;
        let cpu = vec![Some(3.0), Some(2.5)];
        let cpu_newest_only = vec![None, Some(2.5)];
        let hold = SloOutcome::NoData { stale: false };
        let blind = SloSpec {
            idle: None,
            ..published.clone()
        };
        for (s, load, instances) in [
            // Only the newest minute missing: it may be late.
            (&published, &one_missing, &cpu),
            // Two minutes missing, but the instances published only the newest.
            (&published, &two_missing, &cpu_newest_only),
            // A variant without the sign, however long the load is missing.
            (&blind, &two_missing, &cpu),
        ] {
            let outcome = at_four_units(s, &mut st.clone(), load, window(instances, 3600), 3700);
            assert_eq!(outcome, hold);
        }
        // Both minutes published by the instances, neither by the load: a load of 0. The
        // fleet holds through the hold window (the 5-minute relaunch cost), then shrinks.
        let (c, z) = sizing(at_four_units(
            &published,
            &mut st,
            &two_missing,
            window(&cpu, 3600),
            3700,
        ));
        assert_eq!(z.load_rps, 0.0);
        assert!(z.need < before.need, "{z:?}");
        assert_eq!(c, before.need, "held within the hold window");
        let (c, z) = sizing(at_four_units(
            &published,
            &mut st,
            &two_missing,
            window(&cpu, 3600),
            3700 + 301,
        ));
        assert_eq!(c, z.need);
        assert!(c < before.need, "{c} {before:?}");
    }

    #[test]
    fn what_the_last_busy_hours_showed_stands_through_a_day_idle() {
        let s = spec();
        let mut st = SloState::default();
        let (_, learned) = sizing(run(&s, &mut st, 60, 4, |_| 30.0));
        assert!((learned.service_s - 0.05).abs() < 0.005, "{learned:?}");
        // A day later the first minute of the next job queued: a mean ten times the service
        // time. It does not become the service time; the hour a day ago still stands.
        let seen = CapacitySeen::default();
        // Three such minutes: only a period two minutes older than the newest is learned from.
        let eval = |st: &mut SloState, end: i64| {
            let load = [Some(1800.0); 3];
            let lat = [Some(500_000.0); 3];
            s.evaluate(
                st,
                &seen,
                window(&load, end),
                true,
                [window(&lat, end), window(&lat, end), window(&lat, end)],
                None,
                None,
                4,
                4,
                None,
                Timestamp(end + 60),
            )
        };
        let (_, z) = sizing(eval(&mut st.clone(), 86_400 + 3600));
        assert_eq!(z.service_s, learned.service_s, "{z:?}");
        // A week on, it has gone: the overloaded minute is all there is.
        let (_, z) = sizing(eval(&mut st, 8 * 86_400));
        assert!((z.service_s - 0.5).abs() < 1e-9, "{z:?}");
    }

    /// A component idle but for a job at 02:00 each day, as 300 s `Invocations` (none published
    /// while idle) up to `end`.
    fn daily_job(end: i64) -> Vec<Option<f64>> {
        (0..end / 300)
            .map(|i| {
                (7200..10_800)
                    .contains(&(i * 300).rem_euclid(86_400))
                    .then_some(900.0)
            })
            .collect()
    }

    #[test]
    fn a_component_at_zero_wakes_ahead_of_a_daily_job_on_its_forecast() {
        let forecast = PredictiveSpec {
            metric: MetricId(5),
            target: 1.0,
            lead: Seconds(3600),
            history_days: 7,
            max_error: 0.3,
            mode: super::super::predictive::PredictiveMode::ForecastOnly,
            missing_is_zero: true,
        };
        let component = SloSpec {
            idle: Some(IdleSign::ZeroInFlight(MetricId(4))),
            forecast: Some(forecast.clone()),
            ..spec()
        };
        let mut st = SloState::default();
        run(&component, &mut st, 60, 4, |_| 30.0);
        // Day 3, 01:54:30: the copies are gone, so nothing is published; the 300 s forecast
        // window's newest period ended at 01:50.
        let (day, now) = (3 * 86_400, 3 * 86_400 + 6870);
        let fw_values = daily_job(day + 6600);
        let fw = MetricWindow {
            period: Seconds(300),
            end: Timestamp(day + 6600),
            values: &fw_values,
        };
        let nothing = vec![None; 30];
        let seen = CapacitySeen::default();
        let eval = |s: &SloSpec, st: &mut SloState, fw: Option<MetricWindow<'_>>| {
            let w = window(&nothing, now - 30);
            s.evaluate(
                st,
                &seen,
                w,
                true,
                [w, w, w],
                w,
                fw,
                0,
                0,
                Some(Seconds(120)),
                Timestamp(now),
            )
        };
        // The job starts in 5.5 minutes, and a copy takes 2. The horizon (lead + age + a
        // period) counted from the forecast window's newest period, 01:50, runs to 02:05 and
        // holds it; the load's 3.5 minutes laid from 01:50 would end at 01:55. Nothing is
        // removed on a forecast.
        match eval(&component, &mut st.clone(), Some(fw)) {
            SloOutcome::Wants {
                capacity,
                sizing,
                fresh,
            } => {
                assert!(capacity >= 1 && !fresh, "{sizing:?}");
                assert_eq!(sizing.load_rps, 0.0);
                assert!(
                    (sizing.forecast_rps.unwrap() - 3.0).abs() < 1e-9,
                    "{sizing:?}"
                );
            }
            o => panic!("{o:?}"),
        }
        // Without the forecast, or reading a missing datapoint as unknown (so the idle hours
        // back-test nothing and it is not trusted), or on a variant: hold.
        let hold = SloOutcome::NoData { stale: false };
        assert_eq!(eval(&component, &mut st.clone(), None), hold);
        let unknown = SloSpec {
            forecast: Some(PredictiveSpec {
                missing_is_zero: false,
                ..forecast
            }),
            ..component.clone()
        };
        assert_eq!(eval(&unknown, &mut st.clone(), Some(fw)), hold);
        let variant = SloSpec {
            idle: None,
            ..component.clone()
        };
        assert_eq!(eval(&variant, &mut st.clone(), Some(fw)), hold);
    }

    #[test]
    fn the_capacity_is_the_smallest_whose_modelled_p99_meets_the_slo() {
        let s = spec();
        let mut st = SloState::default();
        // 30 quiet minutes to learn the service time, then long enough at 300/s that the
        // step up is below the 5 % risk of the band's growth quantile.
        let out = run(&s, &mut st, 240, 10, |m| if m < 30 { 20.0 } else { 300.0 });
        let (_, z) = sizing(out);
        let p99 = |n: u32| {
            LawResponse::new(2 * n, z.band_rps, 20.0, ServiceLaw::default()).quantile(0.99)
        };
        // Steady load: the band is the load itself, up to float noise.
        assert!(z.band_rps >= 300.0 && z.band_rps < 301.0, "{z:?}");
        assert!(p99(z.need) <= 0.4 * 1.0001, "{z:?}");
        assert!(p99(z.need - 1) > 0.4 * 0.97 || z.band_rps >= f64::from(2 * (z.need - 1)) * 20.0);
    }

    #[test]
    fn the_band_is_the_growth_seen_over_a_horizon_at_the_accepted_risk() {
        // Every tenth minute a burst of 3×, otherwise flat: over a 7-minute horizon (300 s lead,
        // 120 s age, 60 s period, rounded up: 8 periods), most starts see a burst ahead.
        let bursty = |m: i64| if m % 10 == 0 { 300.0 } else { 100.0 };
        let band = |risk: f64, minutes: i64| {
            let s = SloSpec { risk, ..spec() };
            let mut st = SloState::default();
            sizing(run(&s, &mut st, minutes, 10, bursty)).1.band_rps
        };
        // The newest minute is a flat one (m = 49): 100/s, raised 3×.
        assert!((band(0.05, 49) - 300.0).abs() < 1e-6, "{}", band(0.05, 49));
        // A loose risk accepts the bursts: the growth quantile at 80 % is 1 or 3 depending on
        // the share of starts followed by one (80 % of them here): never below the load.
        assert!(band(0.5, 49) >= 100.0);
        // A steady load: no growth, the band is the load.
        let s = spec();
        let mut st = SloState::default();
        let z = sizing(run(&s, &mut st, 30, 10, |_| 100.0)).1;
        assert!((z.band_rps - 100.0).abs() < 1e-9, "{z:?}");
    }

    #[test]
    fn a_surge_is_remembered_for_the_band_history() {
        // Flat at 100/s but for one 3× surge at minute 60. With a day's history the band at a
        // low risk still allows for it 20 hours later, as it would for the same surge
        // tomorrow; 25 hours later it has left. The default 6 hours forgot it long before.
        let surge_once = |m: i64| if m == 60 { 300.0 } else { 100.0 };
        let band = |history_s: u32, minutes: i64| {
            let s = SloSpec {
                risk: 0.001,
                band_history_s: history_s,
                ..spec()
            };
            let mut st = SloState::default();
            sizing(run(&s, &mut st, minutes, 10, surge_once)).1.band_rps
        };
        let day = MAX_BAND_HISTORY_S;
        assert!((band(day, 60 + 20 * 60) - 300.0).abs() < 1e-6);
        assert!((band(day, 60 + 25 * 60) - 100.0).abs() < 1e-6);
        assert!((band(DEFAULT_BAND_HISTORY_S, 60 + 20 * 60) - 100.0).abs() < 1e-6);
        assert!((band(DEFAULT_BAND_HISTORY_S, 60 + 5 * 60) - 300.0).abs() < 1e-6);
    }

    #[test]
    fn growth_quantile_reads_the_tail_of_what_followed_each_period() {
        let v: Vec<Option<f64>> = (0..100)
            .map(|i| Some(if i == 50 { 400.0 } else { 100.0 }))
            .collect();
        // One burst, seen from the 2 starts before it (h = 2) out of 98: the 99 % quantile
        // sees it, the 90 % one does not.
        let factor = |v: &[Option<f64>], h, risk| growth_quantile(v, h, risk).factor;
        assert_eq!(factor(&v, 2, 0.01), 4.0);
        assert_eq!(factor(&v, 2, 0.1), 1.0);
        assert_eq!(factor(&[], 2, 0.1), 1.0);
        // A burst that comes once grows from the newest load: held from the recent peak it
        // would raise every horizon after it as well.
        assert_eq!(growth_quantile(&v, 2, 0.01).base, BandBase::Newest);
        // Missing periods are skipped, a falling load is growth 1 at least.
        let falling: Vec<Option<f64>> = (0..20).map(|i| Some(f64::from(100 - i))).collect();
        assert_eq!(factor(&falling, 3, 0.05), 1.0);
    }

    #[test]
    fn bursts_within_a_horizon_are_held_from_the_recent_peak_not_multiplied() {
        // A timer: 13 times the load every fifth period, as the Azure Functions function
        // 78310bd88246 has. Over an 8-period horizon every start but the burst's own sees a
        // burst ahead, so the growth over the newest load is 13 at any risk below 80 %, and a
        // burst read as the newest load asked for 13 bursts.
        let timer: Vec<Option<f64>> = (0..600)
            .map(|i| Some(if i % 5 == 0 { 1300.0 } else { 100.0 }))
            .collect();
        let g = growth_quantile(&timer, 8, 0.05);
        assert_eq!(
            g,
            Growth {
                factor: 1.0,
                base: BandBase::RecentPeak
            }
        );
        assert_eq!(recent_peak(&timer, 8, 100.0), 1300.0);
        // A caller on for 3 periods in 23, at 100 times its trickle: the last horizon may
        // hold no burst, the last four always hold one.
        let on_off: Vec<Option<f64>> = (0..900)
            .map(|i| Some(if i % 23 < 3 { 1000.0 } else { 10.0 }))
            .collect();
        let g = growth_quantile(&on_off, 8, 0.05);
        assert_eq!(
            g,
            Growth {
                factor: 1.0,
                base: BandBase::LongPeak
            }
        );
        assert_eq!(BandBase::LongPeak.window(8), 32);
        // Periods before the metric was first published, which a daemon's query returns as
        // missing and the simulator's ring does not hold, change nothing: the windows are
        // whole from the first datapoint.
        let young: Vec<Option<f64>> = on_off[5..80].to_vec();
        let queried: Vec<Option<f64>> = std::iter::repeat_n(None, 300)
            .chain(young.clone())
            .collect();
        assert_eq!(
            growth_quantile(&queried, 8, 0.05),
            growth_quantile(&young, 8, 0.05)
        );
        // Bursts further apart than a horizon but only 3 times the load still grow from the
        // newest load: the band over a peak would hold the burst between them.
        let rare: Vec<Option<f64>> = (0..600)
            .map(|i| Some(if i % 10 == 0 { 300.0 } else { 100.0 }))
            .collect();
        assert_eq!(
            growth_quantile(&rare, 8, 0.05),
            Growth {
                factor: 3.0,
                base: BandBase::Newest
            }
        );
    }

    #[test]
    fn a_timer_endpoint_is_sized_for_one_burst() {
        // The same timer through the whole policy: with the band from the newest load, a
        // burst minute's band was 13 bursts (16,900/s).
        let timer = |m: i64| if m % 5 == 0 { 1300.0 } else { 100.0 };
        let s = spec();
        // Read at a burst (minute 40) and at a lull after it (minute 41).
        for minutes in [40, 41] {
            let mut st = SloState::default();
            let z = sizing(run(&s, &mut st, minutes, 10, timer)).1;
            assert_eq!(z.band_base, BandBase::RecentPeak, "{z:?}");
            assert!((z.band_rps - 1300.0).abs() < 1e-6, "{z:?}");
        }
    }

    /// The quantile as first written: the peak of each window by a scan of it, over every base.
    fn growth_quantile_by_scan(values: &[Option<f64>], h: usize, risk: f64) -> Growth {
        let h = h.clamp(1, MAX_GROWTHS);
        let len = values.len();
        let start = len.saturating_sub(MAX_GROWTHS + h);
        let peak_of = |w: &[Option<f64>]| w.iter().flatten().copied().fold(0.0f64, f64::max);
        let q = |mut g: Vec<f64>| {
            g.sort_by(f64::total_cmp);
            let k = ((1.0 - risk) * g.len() as f64).ceil() as usize;
            g[k.clamp(1, g.len()) - 1].max(1.0)
        };
        let mut g = Vec::new();
        for t in start..len.saturating_sub(h) {
            if let Some(base) = values[t].filter(|&v| v > 0.0) {
                g.push(peak_of(&values[t + 1..=t + h]) / base);
            }
        }
        if g.is_empty() {
            return Growth {
                factor: 1.0,
                base: BandBase::Newest,
            };
        }
        let newest = q(g);
        let first = (start..len)
            .find(|&i| values[i].is_some_and(|v| !v.is_nan()))
            .unwrap_or(len);
        let mut best = (
            PEAK_GAIN,
            Growth {
                factor: newest,
                base: BandBase::Newest,
            },
        );
        for b in [BandBase::RecentPeak, BandBase::LongPeak] {
            let w = b.window(h);
            let (mut gp, mut sum, mut sum_newest) = (Vec::new(), 0.0, 0.0);
            for t in start..len.saturating_sub(h) {
                let Some(base) = values[t].filter(|&v| v > 0.0) else {
                    continue;
                };
                if t + 1 < first + w {
                    continue;
                }
                let recent = peak_of(&values[t + 1 - w..=t]);
                gp.push(peak_of(&values[t + 1..=t + h]) / recent);
                sum += recent;
                sum_newest += base;
            }
            if gp.is_empty() {
                continue;
            }
            let f = q(gp);
            let share = f * sum / (newest * sum_newest);
            if share < best.0 || (best.1.base == BandBase::Newest && share <= best.0) {
                best = (share, Growth { factor: f, base: b });
            }
        }
        best.1
    }

    proptest::proptest! {
        #[test]
        fn growth_quantile_matches_a_scan_of_every_window(
            values in proptest::collection::vec(
                proptest::option::weighted(0.9, 0.0f64..1e4), 0..3200),
            h in 1usize..40,
            risk in 0.001f64..0.5,
        ) {
            proptest::prop_assert_eq!(
                growth_quantile(&values, h, risk),
                growth_quantile_by_scan(&values, h, risk)
            );
        }
    }

    #[test]
    fn scale_in_waits_for_the_hold_window_scale_out_does_not() {
        let s = SloSpec {
            relaunch_cost_minutes: Some(10.0),
            ..spec()
        };
        let mut st = SloState::default();
        let (high, _) = sizing(run(&s, &mut st, 30, 20, |_| 400.0));
        assert!(high > 2);
        // The load falls: the need falls at once, the capacity holds for ten minutes.
        let seen = CapacitySeen::default();
        let quiet = world(2, 0.05, high, 50.0);
        let vals = |k: usize| vec![Some(quiet[k]); SLOTS];
        let (l, a, b, c) = (vals(0), vals(1), vals(2), vals(3));
        let at_min = |m: i64, st: &mut SloState| {
            let end = 30 * 60 + m * 60;
            sizing(s.evaluate(
                st,
                &seen,
                window(&l, end),
                true,
                [window(&a, end), window(&b, end), window(&c, end)],
                None,
                None,
                high,
                high,
                None,
                Timestamp(end + 120),
            ))
        };
        let (c1, z1) = at_min(1, &mut st);
        assert!(z1.need < high && c1 == high, "{c1} {z1:?}");
        let (c11, z11) = at_min(12, &mut st);
        assert_eq!((c11, z11.hold_s), (z11.need, 600), "{z11:?}");
    }

    #[test]
    fn a_learned_lead_replaces_the_documented_one_and_lengthens_the_band() {
        // A burst of 3× every 15 minutes: a 7-period horizon sees one from under half the
        // starts, a 22-period one from all of them; at a risk of 50 % only the longer lead
        // widens the band.
        let s = SloSpec {
            risk: 0.5,
            ..spec()
        };
        let mut st = SloState::default();
        run(&s, &mut st, 20, 10, |_| 100.0);
        let seen = CapacitySeen::default();
        let l: Vec<Option<f64>> = (0..120)
            .map(|i| Some(if i % 15 == 0 { 18_000.0 } else { 6000.0 }))
            .collect();
        let lat = vec![Some(60_000.0); 2];
        let eval = |lead| {
            let mut st2 = st;
            sizing(s.evaluate(
                &mut st2,
                &seen,
                window(&l, 41 * 60),
                true,
                [window(&lat, 41 * 60), None, None],
                None,
                None,
                10,
                10,
                lead,
                Timestamp(41 * 60 + 60),
            ))
            .1
        };
        let documented = eval(None);
        let learned = eval(Some(Seconds(1200)));
        assert_eq!((documented.lead_s, documented.lead_learned), (300, false));
        assert_eq!((learned.lead_s, learned.lead_learned), (1200, true));
        assert!(
            (documented.band_rps - 100.0).abs() < 1e-9 && (learned.band_rps - 300.0).abs() < 1e-9,
            "{documented:?} {learned:?}"
        );
    }

    #[test]
    fn without_latency_it_only_says_so_and_stale_data_removes_nothing() {
        let s = spec();
        let mut st = SloState::default();
        let l = vec![Some(600.0); 3];
        let seen = CapacitySeen::default();
        let none = [None, None, None];
        let o = s.evaluate(
            &mut st,
            &seen,
            window(&l, 600),
            true,
            none,
            None,
            None,
            4,
            4,
            None,
            Timestamp(700),
        );
        assert_eq!(o, SloOutcome::NoData { stale: false });
        let o = s.evaluate(
            &mut st,
            &seen,
            window(&l, 600),
            false,
            none,
            None,
            None,
            4,
            4,
            None,
            Timestamp(7000),
        );
        assert_eq!(o, SloOutcome::NoData { stale: true });
    }

    #[test]
    fn an_slo_the_service_time_alone_breaks_is_reported_unreachable() {
        let s = SloSpec {
            p99_s: 0.1,
            ..spec()
        };
        let mut st = SloState::default();
        let (_, z) = sizing(run(&s, &mut st, 20, 10, |_| 100.0));
        assert!(z.unreachable, "{z:?}");
        // Half utilisation of what it has learned one unit serves.
        let half = 100.0 / (0.5 * z.unit_rps);
        assert!((f64::from(z.need) - half).abs() <= 1.0, "{z:?}");
    }
}
