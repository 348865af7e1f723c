//! The synthetic minute the slo kind's allocation test and its benchmark both replay: a daily
//! swing with bursts, and model latency rising with the load per unit so that the objective
//! breaks now and then. Plain numbers only, so that a test and a bench can both include it.

#![allow(dead_code)]

/// Minute `i` with `current` units: the `Invocations` sum and the `ModelLatency` mean, p50 and
/// p99 (microseconds). With `gaps`, some minutes miss the load (every 31st) or the latency
/// (every 23rd), as CloudWatch's windows do.
pub fn slo_minute(i: i64, current: u32, gaps: bool) -> (Option<f64>, [Option<f64>; 3]) {
    let rate = 6000.0 * (1.0 + 0.8 * (i as f64 / 240.0).sin()) * if i % 97 < 5 { 3.0 } else { 1.0 };
    let per_unit = rate / f64::from(current.max(1));
    let mean = 50_000.0 * (1.0 + per_unit / 4000.0);
    let load = (!gaps || i % 31 != 0).then_some(rate);
    let seen = !gaps || i % 23 != 0;
    let lat = [mean, 0.8 * mean, 3.0 * mean].map(|v| seen.then_some(v));
    (load, lat)
}
