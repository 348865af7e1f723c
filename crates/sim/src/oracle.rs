//! The oracle: perfect foresight of demand, the same provisioning delay, and the least
//! capacity that meets the SLO in every interval. Its cost is the floor no real policy that
//! meets the SLO can go below, under this world model.
//!
//! Cost, exactly: instances are interchangeable, so any schedule can be read as levels
//! (level `j` is the `j`-th instance, needed whenever demand >= j). Each level pays for the
//! intervals it is needed, a launch lead time before each run of need (except one already
//! running at the start), and for each gap between two runs the cheaper of keeping it
//! (the gap) and relaunching it (the lead time). Levels do not interact, so the sum of each
//! level's optimum is the optimum.

use super::service::FleetSpec;
use super::service_law::LawResponse;

pub use super::slo::Slo;

/// The least number of instances serving `arrivals` over `dt` seconds within the SLO, at
/// least `floor`, at most `cap`.
#[must_use]
pub fn need(spec: &FleetSpec, slo: &Slo, arrivals: f64, dt: f64, floor: u32, cap: u32) -> u32 {
    if arrivals <= 0.0 {
        return floor.min(cap);
    }
    let lambda = arrivals / dt;
    let mu = 1.0 / spec.latency_s;
    // P(response > SLO latency) and P(response > timeout) with `n` instances: a batched
    // fleet's curve, or the service law.
    let tails = |n: u32| match &spec.batching {
        Some(b) => {
            let chain = b.steady_state(n, lambda);
            (
                chain.survival(slo.latency_s),
                chain.survival(spec.timeout_s),
            )
        }
        None => {
            let rt = LawResponse::new(n * spec.concurrency, lambda, mu, spec.service);
            (rt.survival(slo.latency_s), rt.survival(spec.timeout_s))
        }
    };
    let per_instance = match &spec.batching {
        Some(b) => b.max_rps(),
        None => f64::from(spec.concurrency) * mu,
    };
    // Stability first: strictly more capacity than load.
    let mut n = ((lambda / per_instance).floor() as u32 + 1).max(floor);
    while n < cap {
        let (tail, failed) = tails(n);
        if tail <= 1.0 - slo.percentile && failed <= slo.max_error_rate {
            break;
        }
        n += 1;
    }
    n.min(cap)
}

/// Async endpoints: the fewest instances per interval that serve every request before its age
/// breaks the SLO, with perfect foresight. Work may wait until it is due, so the oracle serves
/// as late as the deadline allows, and uses in full the instances it must run:
/// `n_t = ceil(work due by the end of t and not yet served / one instance's work per
/// interval)`, then serves with them as much as has arrived. Serving as late as possible and
/// never leaving paid capacity idle while work waits is what minimises the instance count over
/// the run. A request of interval `t` (stamped at its middle, as the world does) may still wait
/// at the end of `t + k` while `k·dt + dt/2 + latency` is within the SLO; the oracle keeps
/// one interval of slack on top.
#[must_use]
pub fn need_async(
    spec: &FleetSpec,
    max_age_s: f64,
    arrivals: &[f64],
    dt: f64,
    cap: u32,
) -> Vec<u32> {
    let per_instance = f64::from(spec.concurrency) / spec.latency_s * dt;
    let k = ((max_age_s - 0.5 * dt - spec.latency_s) / dt).floor();
    let d = if k > 0.0 { k as usize } else { 0 };
    let mut arrived = 0.0;
    let mut cumulative = Vec::with_capacity(arrivals.len());
    for &a in arrivals {
        arrived += a;
        cumulative.push(arrived);
    }
    let mut served = 0.0;
    cumulative
        .iter()
        .enumerate()
        .map(|(t, &arrived)| {
            let due = t.checked_sub(d).map_or(0.0, |i| cumulative[i]);
            let n = ((due - served) / per_instance - 1e-9)
                .ceil()
                .max(0.0)
                .min(f64::from(cap));
            served += (n * per_instance).min(arrived - served);
            n as u32
        })
        .collect()
}

/// The oracle's schedule: instances in service per interval, and instance-seconds billed.
#[derive(Clone, Debug, PartialEq)]
pub struct OracleSchedule {
    /// Instances in service per interval (demand, plus any kept through short gaps).
    pub in_service: Vec<u32>,
    /// Instance-seconds paid, including launch lead times.
    pub billed_seconds: f64,
}

/// The cheapest schedule that has `demand[t]` instances in service in every interval of
/// `dt` seconds, when an instance is paid from `lead_s` seconds before it serves.
#[must_use]
pub fn schedule(demand: &[u32], dt: f64, lead_s: f64) -> OracleSchedule {
    let mut in_service = vec![0u32; demand.len()];
    let mut billed = 0.0;
    let top = demand.iter().copied().max().unwrap_or(0);
    for level in 1..=top {
        let mut t = 0;
        let mut last_end: Option<usize> = None;
        while t < demand.len() {
            if demand[t] < level {
                t += 1;
                continue;
            }
            let start = t;
            while t < demand.len() && demand[t] >= level {
                in_service[t] += 1;
                t += 1;
            }
            billed += (t - start) as f64 * dt;
            match last_end {
                None if start == 0 => {}
                None => billed += lead_s,
                Some(end) => {
                    let gap = (start - end) as f64 * dt;
                    if gap <= lead_s {
                        billed += gap;
                        for s in &mut in_service[end..start] {
                            *s += 1;
                        }
                    } else {
                        billed += lead_s;
                    }
                }
            }
            last_end = Some(t);
        }
    }
    OracleSchedule {
        in_service,
        billed_seconds: billed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_async_oracle_serves_as_late_as_the_deadline_allows_with_full_instances() {
        // One instance serves 4 / 0.5 s × 60 s = 480 a minute.
        let spec = FleetSpec {
            concurrency: 4,
            latency_s: 0.5,
            service: Default::default(),
            ..fleet()
        };
        // 15-minute SLO: a request of minute t may still wait at the end of t + 14 (14 × 60 +
        // 30 + 0.5 <= 900), not t + 15; the oracle keeps a minute of slack: due by t + 14.
        let mut arrivals = vec![0.0; 20];
        arrivals[0] = 1000.0;
        let n = need_async(&spec, 900.0, &arrivals, 60.0, 10);
        assert!(n[..14].iter().all(|&x| x == 0), "{n:?}");
        // 1,000 due at minute 14: three instances, which serve it all at once.
        assert_eq!(n[14], 3);
        assert!(n[15..].iter().all(|&x| x == 0), "{n:?}");
        // Every request is served by its due minute, whatever the pattern.
        let arrivals: Vec<f64> = (0..200).map(|i| f64::from((i * 37) % 11) * 90.0).collect();
        let n = need_async(&spec, 900.0, &arrivals, 60.0, 10);
        let (mut arrived, mut served) = (0.0, 0.0);
        for (t, &a) in arrivals.iter().enumerate() {
            arrived += a;
            served += (f64::from(n[t]) * 480.0).min(arrived - served);
            let due: f64 = arrivals[..=t.saturating_sub(14)].iter().sum();
            if t >= 14 {
                assert!(served >= due - 1e-6, "minute {t}: {served} < {due}");
            }
        }
    }

    fn fleet() -> FleetSpec {
        FleetSpec {
            instance_type: "ml.c5.xlarge".into(),
            price_per_hour: 0.204,
            concurrency: 1,
            latency_s: 0.1,
            service: Default::default(),
            provisioning_median_s: 120.0,
            provisioning_sigma: 0.3,
            drain_s: 30,
            timeout_s: 60.0,
            batching: None,
        }
    }

    #[test]
    fn need_is_the_least_capacity_within_the_slo() {
        let slo = Slo {
            latency_s: 0.5,
            percentile: 0.99,
            max_error_rate: 0.001,
        };
        let f = fleet();
        let n = need(&f, &slo, 60.0 * 45.0, 60.0, 1, 1000);
        let mu = 10.0;
        let ok = |k: u32| sagescale_queueing::mm_c::response_survival(k, 45.0, mu, 0.5) <= 0.01;
        assert!(ok(n));
        assert!(!ok(n - 1));
        assert_eq!(need(&f, &slo, 0.0, 60.0, 2, 10), 2);
        assert_eq!(need(&f, &slo, 1e9, 60.0, 1, 10), 10);
    }

    #[test]
    fn short_gaps_are_bridged_and_long_ones_relaunched() {
        // lead 120 s, 60 s intervals: a 1-interval gap is kept, a 3-interval gap relaunched.
        let d = [1, 2, 1, 2, 1, 1, 1, 2, 1];
        let s = schedule(&d, 60.0, 120.0);
        // level 1: 9 intervals, running from the start.
        // level 2: runs at 1, 3, 7: lead 120 + 60, gap 1 kept (60) + 60, gap 3 relaunched
        //          (120) + 60.
        assert_eq!(
            s.billed_seconds,
            9.0 * 60.0 + 120.0 + 60.0 + 60.0 + 60.0 + 120.0 + 60.0
        );
        assert_eq!(s.in_service, vec![1, 2, 2, 2, 1, 1, 1, 2, 1]);
    }

    #[test]
    fn the_schedule_never_costs_more_than_following_demand_with_leads() {
        let d: Vec<u32> = (0..500).map(|i| 1 + ((i * 7919) % 13) as u32).collect();
        let s = schedule(&d, 60.0, 300.0);
        let naive: f64 = d.iter().map(|&x| f64::from(x) * 60.0).sum::<f64>()
            + d.windows(2)
                .map(|w| f64::from(w[1].saturating_sub(w[0])) * 300.0)
                .sum::<f64>();
        assert!(s.billed_seconds <= naive);
        assert!(s.in_service.iter().zip(&d).all(|(a, b)| a >= b));
    }
}
