//! Simulator throughput: 30 days x 1,000 endpoints at 1-minute resolution (43.2 M
//! endpoint-minutes) under AWS target tracking, on every core; and replay time against parse
//! time for the World Cup 98 trace. Run: `cargo bench --bench simulate` (figures go to
//! docs/benchmarks.md). Options: `-- --endpoints N --days D`.

use std::time::Instant;

#[path = "../../../tests/support/slo_traffic.rs"]
mod slo_traffic;
use slo_traffic::slo_minute;

use sagescale_engine::{
    evaluate, CapacityInput, Decision, EngineSettings, Seconds, TargetState, Timestamp,
};
use sagescale_metrics::{MetricId, ObservationSet};
use sagescale_sim::baselines::{aws_baseline, run_aws};
use sagescale_sim::cloudwatch::CloudWatchModel;
use sagescale_sim::fleet::FleetSpec;
use sagescale_sim::oracle::Slo;
use sagescale_sim::run::{endpoint_seed, Replay};
use sagescale_sim::scenario::SimTarget;
use sagescale_sim::trace::{self, TraceOptions};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn target(i: usize) -> SimTarget {
    SimTarget {
        name: format!("endpoint-{i}"),
        series: 0,
        asynchronous: false,
        cache: None,
        models: Vec::new(),
        fleet: FleetSpec {
            instance_type: "ml.c5.xlarge".into(),
            price_per_hour: 0.204,
            concurrency: 2,
            latency_s: 0.05,
            service: Default::default(),
            provisioning_median_s: 120.0,
            provisioning_sigma: 0.35,
            drain_s: 30,
            timeout_s: 60.0,
            batching: None,
        },
        min: 1,
        max: 200,
        initial: 2,
        slo: Slo {
            latency_s: 0.4,
            percentile: 0.99,
            max_error_rate: 0.001,
        },
        aws_target: 1200.0,
        serverless: None,
        serverless_endpoint: None,
        quality: None,
    }
}

/// A diurnal load with a weekly swing, per-endpoint size and phase, and deterministic noise.
fn traffic(i: usize, minutes: usize) -> Vec<f64> {
    let mut x = endpoint_seed(42, i);
    let base = 200.0 + (x % 5000) as f64;
    let phase = (x >> 20) % 1440;
    (0..minutes)
        .map(|m| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let noise = 0.85 + 0.3 * ((x % 1000) as f64 / 1000.0);
            let day = ((m as u64 + phase) % 1440) as f64 / 1440.0;
            let week = 1.0 + 0.2 * ((m / 1440) % 7 == 6) as u8 as f64;
            base * (1.2 + (day * std::f64::consts::TAU).sin()) * week * noise
        })
        .collect()
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this too, without it: then
    // a smoke run that proves the bench still works, in seconds even in a debug build.
    let full = std::env::args().any(|a| a == "--bench");
    let endpoints = arg("--endpoints", if full { 1000 } else { 4 });
    let days = arg("--days", if full { 30 } else { 1 });
    let minutes = days * 1440;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let t0 = Instant::now();
    let loads: Vec<Vec<f64>> = (0..endpoints).map(|i| traffic(i, minutes)).collect();
    let gen_s = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let actions: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|w| {
                let loads = &loads;
                scope.spawn(move || {
                    let mut actions = 0u64;
                    for i in (w..endpoints).step_by(threads) {
                        let t = target(i);
                        let replay = Replay {
                            arrivals: &loads[i],
                            models: &[],
                            lead_in: Default::default(),
                            lead_in_models: Vec::new(),
                            start: Timestamp(0),
                            dt: 60,
                            evaluation_interval: 60,
                            cloudwatch: CloudWatchModel::default(),
                            seed: endpoint_seed(7, i),
                            emit: false,
                        };
                        let out = run_aws(&t, &replay, &[], false);
                        actions += u64::from(out.acc.actions);
                    }
                    actions
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let sim_s = t1.elapsed().as_secs_f64();
    let em = (endpoints * minutes) as f64;
    println!("fleet: {endpoints} endpoints x {days} days x 1-minute = {:.1} M endpoint-minutes, {threads} threads", em / 1e6);
    println!("traffic generation: {gen_s:.2} s (not counted)");
    println!(
        "simulation: {sim_s:.2} s = {:.2} M endpoint-minutes/s ({} scaling actions)",
        em / sim_s / 1e6,
        actions
    );
    println!("peak RSS: {:.0} MiB", peak_rss_mib());

    // Replay against parse, on the real World Cup 98 trace (125,310 minutes).
    // Benches run in the package's directory; the trace is at the repository root.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../simulations/traces/worldcup98_requests_per_minute.csv.gz");
    let path = path.as_path();
    let t2 = Instant::now();
    let wc = match trace::read(
        path,
        &TraceOptions {
            scale: Some(0.2),
            ..TraceOptions::default()
        },
    ) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let parse_s = t2.elapsed().as_secs_f64();
    let t = target(0);
    let replay = Replay {
        arrivals: &wc.series[0].counts,
        models: &[],
        lead_in: Default::default(),
        lead_in_models: Vec::new(),
        start: wc.start,
        dt: 60,
        evaluation_interval: 60,
        cloudwatch: CloudWatchModel::default(),
        seed: 1,
        emit: false,
    };
    let t3 = Instant::now();
    let out = run_aws(&t, &replay, &[], false);
    let replay_s = t3.elapsed().as_secs_f64();
    println!(
        "world cup 98 ({} minutes): parse {:.1} ms, replay {:.1} ms ({} actions): replay = {:.2} x parse",
        wc.len(),
        parse_s * 1e3,
        replay_s * 1e3,
        out.acc.actions,
        replay_s / parse_s
    );

    engine_only(if full { 10_000_000 } else { 10_000 });
    // The default 6-hour band history, then a day's (`band_history_hours = 24`).
    for hours in [6, 24] {
        slo_engine_only(if full { 1_000_000 } else { 10_000 }, hours);
    }
}

/// The engine alone: one target-tracking target evaluated against a 30-datapoint window that
/// changes every call, so no call repeats the last.
fn engine_only(n: u32) {
    let t = target(0);
    let (spec, _, _) = aws_baseline(&t);
    let mut state = TargetState::new(&spec);
    let mut decision = Decision::default();
    let settings = EngineSettings::default();
    let mut obs = ObservationSet::with_metrics(1);
    let mut window: Vec<Option<f64>> = (0..30).map(|i| Some(1000.0 + f64::from(i))).collect();
    let mut changes = 0u32;
    let start = Instant::now();
    for i in 0..n {
        let k = (i % 30) as usize;
        window[k] = Some(600.0 + f64::from(i % 1400));
        let end = Timestamp(i64::from(i) * 60);
        obs.set(MetricId(0), Seconds(60), end, &window);
        let input = CapacityInput {
            current: 10,
            ..CapacityInput::default()
        };
        evaluate(
            &settings,
            &spec,
            &mut state,
            &input,
            &obs,
            end,
            &mut decision,
        );
        changes += u32::from(decision.changes());
    }
    let ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(n);
    println!("engine alone: {ns:.0} ns per evaluation (target tracking, 30-datapoint window, {changes} changes in {n})");
}

/// The engine alone on the `slo` kind: the load over a band history of `hours` and the three
/// latency statistics over their 16 learning slots, every window moving each call; a load
/// that swings and bursts, so the sizing search and the breach rule both run.
fn slo_engine_only(n: u32, hours: u32) {
    use sagescale_engine::slo::SloSpec;
    use sagescale_engine::{PolicyKind, PolicySpec, ScalableDimension, TargetSpec, Workload};
    let slo = SloSpec {
        band_history_s: hours * 3600,
        ..SloSpec::reading_metrics_0_to_3(0.4)
    };
    let load_len = slo.load_history(Seconds(60));
    let lat_len = slo.latency_history();
    let spec = TargetSpec {
        name: "bench".into(),
        resource_id: "endpoint/bench/variant/AllTraffic".into(),
        dimension: ScalableDimension::InstanceCount,
        workload: Workload::Realtime,
        min: 1,
        max: 80,
        policies: vec![PolicySpec {
            name: "slo".into(),
            kind: PolicyKind::Slo(slo),
        }],
    };
    let mut state = TargetState::new(&spec);
    let mut decision = Decision::default();
    let settings = EngineSettings::default();
    let mut obs = ObservationSet::with_metrics(4);
    let mut load: Vec<Option<f64>> = vec![Some(6000.0); load_len];
    let mut lat = [
        vec![Some(50_000.0); lat_len],
        vec![Some(40_000.0); lat_len],
        vec![Some(150_000.0); lat_len],
    ];
    let mut current = 4u32;
    let mut changes = 0u32;
    let start = Instant::now();
    for i in 0..n {
        let (l, lat_now) = slo_minute(i64::from(i), current, false);
        // Newest last, as GetMetricData's windows are (the shift is timed too).
        load.rotate_left(1);
        load[load_len - 1] = l;
        for (w, v) in lat.iter_mut().zip(lat_now) {
            w.rotate_left(1);
            w[lat_len - 1] = v;
        }
        let end = Timestamp(i64::from(i) * 60);
        obs.set(MetricId(0), Seconds(60), end, &load);
        for (k, w) in lat.iter().enumerate() {
            obs.set(MetricId(k as u32 + 1), Seconds(60), end, w);
        }
        let input = CapacityInput {
            current,
            ..CapacityInput::default()
        };
        evaluate(
            &settings,
            &spec,
            &mut state,
            &input,
            &obs,
            end,
            &mut decision,
        );
        if decision.changes() {
            current = decision.desired;
            changes += 1;
        }
    }
    let ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(n);
    println!(
        "engine alone, slo: {ns:.0} ns per evaluation ({load_len}-datapoint load window, 3 x {lat_len}-datapoint latency windows, {changes} changes in {n})"
    );
}
