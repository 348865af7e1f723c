//! The oracle's demand: the least capacity that meets the SLO at each interval's load (the
//! curve the elasticity metrics judge supply against), and the oracle's schedule, launched
//! ahead of that need by the provisioning delay.

use super::oracle::{need, need_async, schedule, OracleSchedule};
use super::scenario::{Scenario, SimTarget};
use super::serverless::oracle_schedule;

/// The window whose models the oracle keeps loaded on a multi-model endpoint, seconds.
pub const WORKING_SET_S: u32 = 3600;

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
    // Multi-model: also room for every model used in the last hour. An LRU cache that holds
    // the working set of a window never evicts a model reused within it, so only models idle
    // for longer than the window reload.
    if let Some(cache) = t.cache {
        let per_instance = (cache.cache_gb_per_instance / cache.model_size_gb)
            .floor()
            .max(1.0);
        let window = (WORKING_SET_S / dt).max(1) as usize;
        let mut last_use: Vec<Option<usize>> = vec![None; t.models.len()];
        let mut in_window = 0usize;
        let mut expiring: Vec<Vec<usize>> = vec![Vec::new(); d.len() + window + 1];
        for (i, need) in d.iter_mut().enumerate() {
            for &m in &expiring[i] {
                // Still in the window only if used again since.
                if last_use[m].is_some_and(|u| u + window == i) {
                    in_window -= 1;
                }
            }
            for (k, &m) in t.models.iter().enumerate() {
                if s.trace.series[m].counts[i] > 0.0 {
                    if last_use[k].is_none_or(|u| u + window <= i) {
                        in_window += 1;
                    }
                    last_use[k] = Some(i);
                    expiring[i + window].push(k);
                }
            }
            let room = ((in_window as f64) / per_instance).ceil() as u32;
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
