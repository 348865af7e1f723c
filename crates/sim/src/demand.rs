//! The oracle's demand: the least capacity that meets the SLO at each interval's load (the
//! curve the elasticity metrics judge supply against), and the oracle's schedule, launched
//! ahead of that need by the provisioning delay.

use super::oracle::{need, need_async, schedule, OracleSchedule};
use super::scenario::{Scenario, SimTarget};
use super::serverless::oracle_schedule;

/// Target `t`'s demand curve over `arrivals`, and the oracle's schedule for it.
#[must_use]
pub fn oracle_demand(s: &Scenario, t: &SimTarget, arrivals: &[f64]) -> (Vec<u32>, OracleSchedule) {
    let dt = s.trace.step.0;
    // The demand curve: the least capacity within the SLO at each interval's load (async:
    // the least that keeps up, zero when idle; serverless: the cheapest provisioned
    // concurrency within the SLO).
    let mut d: Vec<u32> = if let Some(e) = &t.serverless_endpoint {
        oracle_schedule(
            e,
            t.fleet.latency_s,
            &t.slo,
            arrivals,
            f64::from(dt),
            t.min,
            t.max,
        )
    } else if t.asynchronous {
        need_async(&t.fleet, t.slo.latency_s, arrivals, f64::from(dt), t.max)
    } else {
        arrivals
            .iter()
            .map(|&a| need(&t.fleet, &t.slo, a, f64::from(dt), 1, t.max))
            .collect()
    };
    // Multi-model: also room for every model in use in the interval.
    if let Some(cache) = t.cache {
        let per_instance = (cache.cache_gb_per_instance / cache.model_size_gb)
            .floor()
            .max(1.0);
        for (i, need) in d.iter_mut().enumerate() {
            let active = t
                .models
                .iter()
                .filter(|&&m| s.trace.series[m].counts[i] > 0.0)
                .count();
            let room = ((active as f64) / per_instance).ceil() as u32;
            *need = (*need).max(room.min(t.max));
        }
    }
    let floor: Vec<u32> = d.iter().map(|&x| x.max(t.min)).collect();
    // Provisioned concurrency is billed only once in service: no lead time to pay.
    let lead = if t.serverless_endpoint.is_some() {
        0.0
    } else {
        t.fleet.provisioning_median_s
    };
    let plan = schedule(&floor, f64::from(dt), lead);
    (d, plan)
}
