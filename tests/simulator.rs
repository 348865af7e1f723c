//! The simulator end to end: AWS timing in the emulation, the oracle as a floor, determinism,
//! trace files and scenario errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use sagescale::engine::Timestamp;
use sagescale::sim::baselines::run_aws;
use sagescale::sim::cloudwatch::CloudWatchModel;
use sagescale::sim::compare::{compare, Kind};
use sagescale::sim::fleet::FleetSpec;
use sagescale::sim::oracle::Slo;
use sagescale::sim::report::{summarise, table};
use sagescale::sim::run::Replay;
use sagescale::sim::scenario::{self, Overrides, SimTarget};
use sagescale::sim::trace::{self, TraceOptions};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sagescale-sim-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn target() -> SimTarget {
    SimTarget {
        name: "t".into(),
        series: 0,
        asynchronous: false,
        cache: None,
        models: Vec::new(),
        fleet: FleetSpec {
            instance_type: "ml.c5.xlarge".into(),
            price_per_hour: 0.204,
            concurrency: 1,
            latency_s: 0.1,
            service: Default::default(),
            provisioning_median_s: 60.0,
            provisioning_sigma: 0.0,
            drain_s: 0,
            timeout_s: 60.0,
            batching: None,
        },
        min: 1,
        max: 100,
        initial: 4,
        slo: Slo {
            latency_s: 1.0,
            percentile: 0.99,
            max_error_rate: 0.01,
        },
        // 4 instances at 10 req/s each: 50 % is 300 invocations per instance per minute.
        aws_target: 300.0,
        serverless: None,
        serverless_endpoint: None,
        quality: None,
    }
}

/// A replay of `arrivals` per minute from `start`, after `lead_in` (unscored), with no
/// CloudWatch delay.
fn minutes<'a>(arrivals: &'a [f64], lead_in: &[f64], start: i64) -> Replay<'a> {
    Replay {
        arrivals,
        models: &[],
        lead_in: std::borrow::Cow::Owned(lead_in.to_vec()),
        lead_in_models: Vec::new(),
        start: Timestamp(start),
        dt: 60,
        evaluation_interval: 60,
        cloudwatch: CloudWatchModel {
            delay_min_s: 0,
            delay_max_s: 0,
        },
        seed: 3,
        emit: false,
    }
}

#[test]
fn the_aws_emulation_scales_out_after_three_minutes_and_in_after_fifteen() {
    // 20 req/s (1200/min on 4 instances = 300 per instance: at target), then 3x from minute 10,
    // back to a trickle from minute 30.
    let mut arrivals = vec![1200.0; 10];
    arrivals.extend(vec![3600.0; 20]);
    arrivals.extend(vec![240.0; 40]);
    let t = target();
    let out = run_aws(&t, &minutes(&arrivals, &[], 0), &[], true);
    let s = &out.in_service;
    // Datapoints for minutes 10, 11 and 12 breach: the alarm fires at the end of minute 12
    // (t = 13 min); instances take 60 s, so they serve from minute 14.
    assert!(s[..14].iter().all(|&n| n == 4), "{:?}", &s[..16]);
    // ceil(4 * 900 / 300) = 12.
    assert_eq!(s[14], 12, "{:?}", &s[..16]);
    // Minutes 30..44 are low (15 of 15 below 0.9 x target): scale-in at t = 45 min.
    let first_drop = s
        .iter()
        .enumerate()
        .skip(15)
        .find(|&(_, &n)| n < 12)
        .map(|(i, _)| i);
    assert_eq!(first_drop, Some(45), "{:?}", &s[28..50]);
    // 240/min on 12 instances = 20 per instance: ceil(12 * 20 / 300) = 1.
    assert_eq!(s[45], 1);
}

#[test]
fn a_lead_in_runs_unscored_so_the_window_starts_warm() {
    // 3,600 requests a minute needs 12 instances at AWS's target (300 each); the fleet starts
    // at 4. Cold, the window opens on 4 instances; after an hour's lead-in at the same load it
    // opens scaled out, and the lead-in counts in no figure.
    let arrivals = vec![3600.0; 30];
    let lead = vec![3600.0; 60];
    let t = target();
    let cold = run_aws(&t, &minutes(&arrivals, &[], 3600), &[], true);
    let warm = run_aws(&t, &minutes(&arrivals, &lead, 3600), &[], true);
    assert_eq!(cold.in_service[0], 4);
    assert_eq!(warm.in_service[0], 12, "{:?}", &warm.in_service[..5]);
    assert!(warm.in_service.iter().all(|&n| n == 12));
    // The timeline, the requests and the bill are the window's alone.
    assert_eq!(warm.in_service.len(), 30);
    assert!((warm.acc.requests - 30.0 * 3600.0).abs() < 1e-6);
    assert!((warm.acc.billed_seconds - 30.0 * 60.0 * 12.0).abs() < 1e-6);
    assert_eq!(warm.acc.actions, 0, "the scale-out happened in the lead-in");
    assert!(cold.acc.actions > 0);
    assert!(warm.acc.violation_seconds <= cold.acc.violation_seconds);
}

fn scenario_dir() -> PathBuf {
    PathBuf::from("simulations")
}

/// Every bundled scenario with endpoint targets (the quality-guard one included; the
/// inference-component one, whose comparison is its own table, is
/// `tests/inference_components_sim.rs`'s).
const BUNDLED: [&str; 8] = [
    "worldcup98",
    "worldcup-gpu-batching",
    "azure-llm-coding",
    "multi-model",
    "batch-async",
    "serverless-provisioned",
    "serverless-vs-instances",
    "quality-guard",
];

#[test]
fn in_every_bundled_scenario_the_oracle_is_the_floor_and_never_breaks_the_slo() {
    for name in BUNDLED {
        let path = scenario_dir().join(format!("{name}.toml"));
        let s = scenario::load(&path, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
        // Walk-forward: a train window before the test window, in every bundled scenario.
        let train = s
            .train
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no train window"));
        assert!(
            train.trace.start.0 + i64::from(train.trace.step.0) * train.trace.len() as i64
                <= s.trace.start.0,
            "{name}: the train window must end before the test window starts"
        );
        let c = compare(&s, false);
        let r = summarise(&s, &c);
        let oracle = r.policies.iter().find(|p| p.kind == Kind::Oracle).unwrap();
        assert_eq!(oracle.totals.slo_violation_minutes, 0.0, "{name}");
        // The oracle's only failures are requests whose service alone outlasts the timeout
        // (the LLM's heavy tail: a few in 10⁵), which no capacity avoids: within the budget.
        let requests: f64 = r.targets.iter().map(|t| t.requests).sum();
        let budget = r
            .targets
            .iter()
            .map(|t| t.slo_max_error_rate)
            .fold(1.0, f64::min);
        assert!(oracle.totals.failed_requests <= budget * requests, "{name}");
        if name != "azure-llm-coding" {
            assert!(oracle.totals.failed_requests < 0.5, "{name}");
        }
        assert!(
            r.policies.iter().any(|p| p.kind == Kind::AwsTuned),
            "{name}"
        );
        // No contender is cheaper at the oracle's 0 SLO minutes.
        for p in &r.policies {
            if p.totals.slo_violation_minutes == 0.0 {
                assert!(
                    oracle.totals.cost_usd <= p.totals.cost_usd + 1e-9,
                    "{name}: {} costs {} at 0 SLO minutes, below the oracle's {}",
                    p.name,
                    p.totals.cost_usd,
                    oracle.totals.cost_usd
                );
            }
        }
        // The oracle's supply meets demand in every interval.
        let o = c
            .contenders
            .iter()
            .find(|k| k.kind == Kind::Oracle)
            .unwrap();
        for (run, demand) in o.runs.iter().zip(&c.demand) {
            assert!(
                run.in_service.iter().zip(demand).all(|(s, d)| s >= d),
                "{name}"
            );
        }
    }
}

#[test]
fn the_same_seed_gives_byte_identical_json() {
    let dir = tmpdir("determinism");
    let go = |name: &str, seed: &str| {
        let out = dir.join(name);
        let status = Command::new(env!("CARGO_BIN_EXE_sagescale"))
            .args([
                "simulate",
                "simulations/worldcup98.toml",
                "--seed",
                seed,
                "--json",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        std::fs::read(out).unwrap()
    };
    let a = go("a.json", "7");
    let b = go("b.json", "7");
    assert_eq!(a, b);
    let c = go("c.json", "8");
    assert_ne!(a, c, "another seed draws other delays");
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(v["schema_version"], 2);
    let names: Vec<&str> = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for row in [
        "aws-target-tracking",
        "aws-target-tracking-high-res",
        "aws-tuned",
        "k8s-hpa-tuned",
        "oracle",
    ] {
        assert!(names.contains(&row), "{row} missing from {names:?}");
    }
    // Figures are the test window's; aws-tuned chose on the train window before it.
    assert_eq!(
        v["evaluation"]["train"],
        "1998-06-17T00:00:00Z..1998-06-24T00:00:00Z"
    );
    assert_eq!(v["evaluation"]["in_sample"], false);
    let tuned = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "aws-tuned")
        .unwrap();
    let choice = &tuned["per_target"][0]["tuned"];
    assert!(
        ["aws-target-tracking", "aws-target-tracking-high-res"]
            .contains(&choice["family"].as_str().unwrap()),
        "{choice}"
    );
    assert!(
        choice["train_slo_violation_minutes"].as_f64().unwrap()
            <= choice["budget_slo_minutes"].as_f64().unwrap(),
        "{choice}"
    );
    // Its test figures are the chosen point's test figures.
    assert_eq!(tuned["cost_usd"], choice["cost_usd"]);
    assert_eq!(tuned["cost_vs_aws_tuned_pct"], 0.0);
    for field in [
        "cost_usd",
        "instance_hours",
        "slo_violation_minutes",
        "failed_requests",
        "p50_latency_ms",
        "p99_latency_ms",
        "scaling_actions",
        "mean_reaction_time_s",
        "elasticity",
    ] {
        assert!(v["policies"][0].get(field).is_some(), "missing {field}");
    }
}

#[test]
fn the_cli_overrides_trace_and_policy_and_writes_a_report() {
    let dir = tmpdir("cli");
    let trace = dir.join("mine.csv");
    let mut text = String::from("timestamp,count\n");
    for m in 0..180 {
        let load = if (60..120).contains(&m) { 6000 } else { 1200 };
        text.push_str(&format!(
            "2026-01-01 {:02}:{:02}:00,{load}\n",
            m / 60,
            m % 60
        ));
    }
    std::fs::write(&trace, text).unwrap();
    let report = dir.join("r.html");
    let out = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["simulate", "simulations/worldcup98.toml", "--trace"])
        .arg(&trace)
        .args([
            "--policy",
            "simulations/policies/worldcup-fast.toml",
            "--report",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("worldcup-fast")
            && table.contains("aws-target-tracking")
            && table.contains("oracle"),
        "{table}"
    );
    assert!(table.contains("180 intervals"), "{table}");
    // A replacement trace has its own times: the scenario's train window is not its.
    assert!(table.contains("in-sample"), "{table}");
    let html = std::fs::read_to_string(&report).unwrap();
    // One file: the scatter as SVG, the comparison as a table, the timelines' data and the
    // vendored chart library inline (tests/report_browser.rs draws them in Chromium).
    assert!(html.starts_with("<!doctype html>") && html.contains("<figure id=\"tradeoff\"><svg"));
    assert!(html.contains("<table class=\"sortable\" id=\"comparison\">"));
    assert!(html.contains("id=\"report-data\"") && html.contains("uPlot"));
    assert!(
        !html.contains("src=\"http"),
        "the report loads nothing from the network"
    );
    // The trade-off picture: each baseline family's curve, and the dominance verdicts.
    assert!(html.contains("Cost against SLO-violation minutes"));
    assert!(html.contains("aws-target-tracking-high-res (target swept)"));
    assert!(html.contains("dominates") || html.contains("their curves cross"));
}

#[test]
fn trace_files_are_read_compressed_and_errors_name_the_file() {
    let dir = tmpdir("traces");
    // gzip, per-request log
    let gz = dir.join("requests.csv.gz");
    {
        use std::io::Write;
        let f = std::fs::File::create(&gz).unwrap();
        let mut w = flate2::write::GzEncoder::new(f, flate2::Compression::default());
        w.write_all(b"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.97,4808,10\n2023-11-16 18:17:04.03,3180,8\n2023-11-16 18:19:30.00,1,1\n").unwrap();
        w.finish().unwrap();
    }
    let t = trace::read(&gz, &TraceOptions::default()).unwrap();
    assert_eq!(t.series[0].counts, vec![2.0, 0.0, 1.0]);
    // the shared traces' real layouts
    let wide = trace::read(
        Path::new("simulations/traces/azure_functions_2019_invocations_per_minute_1000fn.csv.gz"),
        &TraceOptions::default(),
    )
    .unwrap();
    assert_eq!((wide.series.len(), wide.len()), (1000, 1440));
    let llm = trace::read(
        Path::new("simulations/traces/azure_llm_2024_coding_requests_per_10s.csv.gz"),
        &TraceOptions::default(),
    )
    .unwrap();
    assert_eq!(llm.step.0, 10);
    // errors: file, line, column
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "t,count\n2026-01-01 00:00:00,1\n2026-01-01 00:01:00,x\n",
    )
    .unwrap();
    let e = trace::read(&bad, &TraceOptions::default()).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("{}:3: column `count`:", bad.display())),
        "{shown}"
    );
    let missing = trace::read(&dir.join("nope.csv"), &TraceOptions::default()).unwrap_err();
    assert!(missing.to_string().contains("cannot read"));
    let json = dir.join("cw.json");
    std::fs::write(&json, "{\"MetricDataResults\": [\n {\"Id\": \"m1\", \"Timestamps\": [\"x\"], \"Values\": [1]}\n]}").unwrap();
    let e = trace::read(&json, &TraceOptions::default()).unwrap_err();
    assert!(e.message.contains("`x` is not a timestamp"), "{e}");
}

#[test]
fn a_broken_scenario_gets_errors_at_its_fields() {
    let dir = tmpdir("scenario");
    let path = dir.join("s.toml");
    std::fs::write(
        &path,
        "name = \"x\"\n[trace]\npath = \"t.csv\"\n\n[[targets]]\nname = \"a\"\ninstance_type = \"ml.unknown\"\nlatency_ms = 100\nmin = 5\nmax = 2\nslo = { p99_latency_ms = 200 }\n",
    )
    .unwrap();
    let e = scenario::load(&path, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(":7:") && e.contains("targets[0].instance_type"),
        "{e}"
    );
    assert!(e.contains("targets[0].max"), "{e}");
    assert!(
        e.contains("targets[0].slo.p99_latency_ms") && e.contains("cannot be met"),
        "{e}"
    );
    assert!(e.contains("policies"), "{e}");
    std::fs::write(&path, "name = \"x\"\nbogus = 1\n").unwrap();
    let e = scenario::load(&path, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(":2:") && e.contains("unknown field `bogus`"),
        "{e}"
    );
    // Service laws: a CV out of range, percentiles upside down, both at once, and an SLO the
    // law's own tail breaks, each at its field's line.
    let target = |extra: &str, slo: u32| {
        format!("name = \"x\"\n[trace]\npath = \"t.csv\"\n\n[[targets]]\nname = \"a\"\ninstance_type = \"ml.c5.xlarge\"\nlatency_ms = 100\n{extra}\nmin = 1\nmax = 2\nslo = {{ p99_latency_ms = {slo} }}\n")
    };
    for (extra, slo, line, want) in [
        ("latency_cv = 12.0", 5000, 9, "targets[0].latency_cv: 12: a coefficient of variation from 0"),
        ("latency_quantiles_ms = { p50 = 90, p99 = 40 }", 5000, 9, "targets[0].latency_quantiles_ms: p50 90 ms, p99 40 ms: need 0 < p50 < p99"),
        ("latency_cv = 0.5\nlatency_quantiles_ms = { p50 = 90, p99 = 300 }", 5000, 10, "targets[0].latency_quantiles_ms: give `latency_cv` or `latency_quantiles_ms`, not both"),
        // CV 3: the service time's own p99 is about 1,060 ms.
        ("latency_cv = 3.0", 1000, 12, "targets[0].slo.p99_latency_ms: 1000 ms cannot be met: with a mean latency of 100 ms and a CV of 3.00 the service time alone has a p99 of"),
    ] {
        std::fs::write(&path, target(extra, slo)).unwrap();
        let e = scenario::load(&path, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want) && e.contains(&format!("s.toml:{line}:")), "{extra}: {e}");
    }
    // Batching curves: one throughput per in-flight count, in-flight counts rising, latency
    // never falling, and no `latency_ms`, `concurrency` or law beside the curve.
    let batched = |extra: &str| {
        format!("name = \"x\"\n[trace]\npath = \"t.csv\"\n\n[[targets]]\nname = \"a\"\ninstance_type = \"ml.g5.xlarge\"\n{extra}\nmin = 1\nmax = 2\nslo = {{ p99_latency_ms = 500 }}\n")
    };
    for (extra, line, want) in [
        ("batching = { in_flight = [2, 4], throughput_rps = [100] }", 8, "targets[0].batching.throughput_rps: 1 throughputs for 2 in-flight counts: give one throughput per `in_flight`"),
        ("batching = { in_flight = [4, 2], throughput_rps = [100, 150] }", 8, "targets[0].batching.in_flight[1]: 2: in-flight counts start at 1 and strictly increase"),
        ("batching = { in_flight = [4, 8], throughput_rps = [100, 400] }", 8, "targets[0].batching.throughput_rps[1]: 400 requests/s at 8 in flight is 20.00 ms a request, faster than 40.00 ms at 4"),
        ("latency_ms = 10\nbatching = { in_flight = [1, 2], throughput_rps = [100, 150] }", 8, "targets[0].latency_ms: not with `batching`"),
        ("concurrency = 4\nbatching = { in_flight = [1, 2], throughput_rps = [100, 150] }", 8, "targets[0].concurrency: not with `batching`"),
        ("concurrency = 4", 5, "targets[0]: `latency_ms` is required"),
    ] {
        std::fs::write(&path, batched(extra)).unwrap();
        let e = scenario::load(&path, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want) && e.contains(&format!("s.toml:{line}:")), "{extra}: {e}");
    }
    let schema = serde_json::to_string(&schemars::schema_for!(scenario::ScenarioDoc)).unwrap();
    assert!(
        schema.contains("throughput_rps") && schema.contains("in_flight"),
        "{schema}"
    );
    // The same SLO is met with a tighter law.
    std::fs::write(&path, target("latency_cv = 0.5", 1000)).unwrap();
    let e = scenario::load(&path, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(!e.contains("cannot be met"), "{e}");
}

#[test]
fn an_async_endpoint_scales_to_zero_between_bursts_and_wakes_on_backlog() {
    let s = scenario::load(
        Path::new("simulations/batch-async.toml"),
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(s.targets[0].asynchronous);
    let c = compare(&s, false);
    let r = summarise(&s, &c);
    let oracle = r.policies.iter().find(|p| p.kind == Kind::Oracle).unwrap();
    assert_eq!(oracle.totals.slo_violation_minutes, 0.0);
    for p in &r.policies {
        assert!(oracle.totals.cost_usd <= p.totals.cost_usd, "{}", p.name);
    }
    for k in &c.contenders {
        let run = &k.runs[0].in_service;
        // Starts at zero, wakes for the first burst, returns to zero, and wakes again.
        let first_up = run
            .iter()
            .position(|&n| n > 0)
            .unwrap_or_else(|| panic!("{} never woke", k.name));
        let back_to_zero = run[first_up..]
            .iter()
            .position(|&n| n == 0)
            .map(|i| i + first_up);
        let again = back_to_zero.and_then(|z| run[z..].iter().position(|&n| n > 0));
        assert!(
            again.is_some(),
            "{}: up at {first_up}, zero at {back_to_zero:?}, never up again",
            k.name
        );
    }
    // Requests waited while there was no capacity: the backlog metric drove the wake-up, and
    // no request was lost.
    let example = r
        .policies
        .iter()
        .find(|p| p.name == "sagescale-example")
        .unwrap();
    assert_eq!(example.totals.failed_requests, 0.0);
}

#[test]
fn the_report_prices_the_same_traffic_pay_per_use_for_cpu_models_only() {
    let s = scenario::load(
        Path::new("simulations/worldcup98.toml"),
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = summarise(&s, &compare(&s, false));
    let p = r.targets[0]
        .pay_per_use
        .as_ref()
        .expect("a CPU endpoint gets an estimate");
    let requests: f64 = s.trace.series[0].counts.iter().sum();
    // 50 ms per request at 4 GB and $0.00002 per GB-second.
    let want = requests * 0.05 * 4.0 * 0.00002;
    assert!(
        (p.cost_usd - want).abs() < 1e-3 * want,
        "{} vs {want}",
        p.cost_usd
    );
    let cheapest = r
        .policies
        .iter()
        .filter(|x| x.kind == Kind::Policy)
        .map(|x| x.totals.cost_usd)
        .fold(f64::INFINITY, f64::min);
    assert!((p.vs_cheapest_policy_pct - (want / cheapest - 1.0) * 100.0).abs() < 0.1);
    let gpu = scenario::load(
        Path::new("simulations/azure-llm-coding.toml"),
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        gpu.targets[0].serverless.is_none(),
        "Serverless Inference has no GPUs"
    );
}

#[test]
fn on_a_multi_model_endpoint_a_cache_aware_policy_trades_cost_for_slo() {
    let s = scenario::load(
        Path::new("simulations/multi-model.toml"),
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.targets[0].models.len(), 1000);
    let c = compare(&s, false);
    let r = summarise(&s, &c);
    let get = |name: &str| r.policies.iter().find(|p| p.name == name).unwrap();
    let (example, aws) = (get("sagescale-example"), get("aws-target-tracking"));
    // AWS's invocation-only tracking keeps too few instances to hold the models in use: the
    // cache thrashes and latency breaks the SLO most of the day. The example's ModelCacheHit
    // rule adds instances, which costs more and keeps the SLO far better.
    assert!(
        aws.totals.slo_violation_minutes > 10.0 * example.totals.slo_violation_minutes.max(1.0)
    );
    assert!(example.totals.cost_usd > aws.totals.cost_usd);
    // The traffic is the sum of the 1,000 models' series.
    let total: f64 = s
        .trace
        .series
        .iter()
        .map(|x| x.counts.iter().sum::<f64>())
        .sum();
    assert!((r.targets[0].requests - total).abs() < 1e-6 * total);
}

#[test]
fn serverless_versus_instances_is_no_tie_and_prices_pay_per_use() {
    let s = scenario::load(
        Path::new("simulations/serverless-vs-instances.toml"),
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = summarise(&s, &compare(&s, false));
    let p = r.targets[0].pay_per_use.as_ref().unwrap();
    assert_eq!(p.memory_gb, 2.0);
    // The bursts make the instance policies differ: no tie at the one-instance floor.
    let floor = 12.0 * 0.102;
    let mut costs: Vec<f64> = r
        .policies
        .iter()
        .filter(|x| x.kind != Kind::Oracle)
        .map(|x| x.totals.cost_usd)
        .collect();
    assert!(costs.iter().all(|&c| c >= floor - 1e-6), "{costs:?}");
    costs.sort_by(f64::total_cmp);
    costs.dedup_by(|a, b| (*a - *b).abs() < 0.01);
    assert!(costs.len() >= 5, "contenders tie: {costs:?}");
    assert!(costs[costs.len() - 1] > 1.2 * costs[0], "{costs:?}");
    // Pay-per-use is cheaper than any instance policy here.
    assert!(
        p.vs_cheapest_policy_pct < -50.0,
        "{}",
        p.vs_cheapest_policy_pct
    );
}

#[test]
fn a_serverless_endpoint_scales_provisioned_concurrency_with_spillover_and_cold_starts() {
    let s = scenario::load(
        Path::new("simulations/serverless-provisioned.toml"),
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let t = &s.targets[0];
    let e = t.serverless_endpoint.expect("a serverless endpoint");
    assert_eq!((e.memory_gb, e.max_concurrency), (4.0, 100));
    let c = compare(&s, false);
    let r = summarise(&s, &c);
    let get = |k: Kind| r.policies.iter().find(|p| p.kind == k).unwrap();
    let (oracle, aws) = (get(Kind::Oracle), get(Kind::AwsTargetTracking));
    // The oracle buys provisioned concurrency against cold starts where the SLO needs it, and
    // is the cheapest of the contenders.
    assert_eq!(oracle.totals.slo_violation_minutes, 0.0);
    for p in &r.policies {
        assert!(oracle.totals.cost_usd <= p.totals.cost_usd, "{}", p.name);
    }
    // The AWS emulation tracks PC utilisation: it moved the provisioned concurrency, within
    // its bounds, and paid for it per GB-second plus the compute it served.
    let aws_run = &c
        .contenders
        .iter()
        .find(|k| k.kind == Kind::AwsTargetTracking)
        .unwrap()
        .runs[0];
    assert!(aws.totals.scaling_actions > 10);
    assert!(aws_run.in_service.iter().all(|&n| (1..=50).contains(&n)));
    assert!(aws_run.in_service.iter().any(|&n| n > 1));
    let pc_usd = aws_run.acc.billed_seconds * 4.0 * 0.000_005;
    assert!(aws_run.acc.usage_usd > 0.0);
    assert!((aws.totals.cost_usd - (pc_usd + aws_run.acc.usage_usd)).abs() < 1e-3);
    // Pay-per-use is simulated, cold starts and all: every request on demand at 300 ms and
    // 4 GB, less what MaxConcurrency throttled.
    let p = r.targets[0].pay_per_use.as_ref().unwrap();
    let requests: f64 = s.arrivals(t).iter().sum();
    let on_demand = c.on_demand[0].as_ref().unwrap();
    let served = requests - on_demand.failed;
    assert!(
        (p.cost_usd - served * 0.3 * 4.0 * 0.00002).abs() < 1e-3,
        "{p:?}"
    );
    assert!(p.slo_violation_minutes.is_some_and(|m| m > 0.0), "{p:?}");
}

#[test]
fn a_serverless_target_refuses_instance_fields_and_checks_its_limits() {
    let dir = tmpdir("serverless");
    let path = dir.join("s.toml");
    std::fs::write(
        &path,
        "name = \"x\"\n[trace]\npath = \"t.csv\"\n\n[[targets]]\nname = \"a\"\nworkload = \"serverless\"\ninstance_type = \"ml.c5.large\"\nconcurrency = 2\nlatency_ms = 100\nmin = 1\nmax = 30\nslo = { p99_latency_ms = 2000 }\nserverless = { max_concurrency = 20, memory_gb = 8 }\n\n[[targets]]\nname = \"b\"\ninstance_type = \"ml.c5.large\"\nlatency_ms = 100\nmin = 1\nmax = 3\nslo = { p99_latency_ms = 2000 }\nserverless = { keep_warm_s = 60 }\n",
    )
    .unwrap();
    let e = scenario::load(&path, &Overrides::default())
        .unwrap_err()
        .to_string();
    for want in [
        "targets[0].instance_type: a serverless endpoint has no instance type",
        "targets[0].concurrency: not for serverless endpoints",
        "targets[0].max: 30: provisioned concurrency cannot exceed MaxConcurrency (20)",
        "targets[0].serverless.memory_gb: 8: Serverless Inference offers 1 to 6 GB",
        "targets[1].serverless.keep_warm_s: only for `workload = \"serverless\"`",
    ] {
        assert!(e.contains(want), "missing `{want}` in:\n{e}");
    }
}

#[test]
fn a_quality_guard_spares_most_degraded_requests_for_a_little_fallback_capacity() {
    let s = scenario::load(
        Path::new("simulations/quality-guard.toml"),
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let c = compare(&s, false);
    let g = &c.guards[0];
    let row = |name: &str| {
        &g.rows
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no row {name}"))
            .run
    };
    let (on, off, aws) = (
        row("sagescale-guarded"),
        row("sagescale-guarded without guard"),
        row("aws-target-tracking"),
    );
    // Without a guard, the new model serves its 90 % share of everything that arrives while
    // its quality is degraded.
    assert!((off.degraded_requests / off.requests_during_degradation - 0.9).abs() < 1e-6);
    assert_eq!(off.degraded_requests, aws.degraded_requests);
    // With it, well under half as many: the guard needs two hourly datapoints (plus the
    // fallback's provisioning) to act, and ignores the one-hour spike.
    assert!(
        on.degraded_requests < 0.5 * off.degraded_requests,
        "{} vs {}",
        on.degraded_requests,
        off.degraded_requests
    );
    assert!(
        on.degraded_requests > 0.0,
        "the spike and the first hours are not avoidable"
    );
    // One shift and one return: the spike did not move traffic.
    assert_eq!(on.weight_changes, 2);
    // Shifted for the 12-hour incident, not before it started, and back within the 3 hours
    // in the hysteresis band, 2 clear datapoints and the hour of recovery.
    assert!(
        (600.0..=720.0 + 180.0 + 180.0 + 60.0).contains(&on.shifted_minutes),
        "{}",
        on.shifted_minutes
    );
    // The champion carried the new model's traffic: it grew past what its own share needs.
    assert!(on.fallback_peak > off.fallback_peak);
    // What it costs: the fallback capacity while shifted, a few per cent of the week.
    assert!(on.cost_usd > off.cost_usd && on.cost_usd < 1.1 * off.cost_usd);
    assert!(on.slo_violation_minutes <= off.slo_violation_minutes + 5.0);
    // The report carries it.
    let r = summarise(&s, &c);
    assert_eq!(r.quality_guards.len(), 1);
    assert!(table(&r).contains("quality guard: `worldcup` falling back to `worldcup-champion`"));
}

#[test]
fn a_quality_incident_under_way_before_the_window_is_seen_in_the_lead_in() {
    // The drift is above the guard's threshold from noon the day before the window until
    // 06:00 into it. Replayed over the lead-in, the guard has already moved the traffic when
    // the window opens: what the window counts is the move back, and hardly a degraded
    // request. A guard that saw only the window would need two hourly datapoints of it first.
    let dir = tmpdir("quality-lead-in");
    let abs = |p: &str| std::fs::canonicalize(p).unwrap().display().to_string();
    let mut drift = String::from("time,drift\n");
    for h in 0..48 {
        let (day, hour) = (23 + h / 24, h % 24);
        let v = if (12..30).contains(&h) { 0.3 } else { 0.06 };
        drift.push_str(&format!("1998-06-{day} {hour:02}:00:00,{v}\n"));
    }
    std::fs::write(dir.join("drift.csv"), drift).unwrap();
    let text = std::fs::read_to_string("simulations/quality-guard.toml")
        .unwrap()
        .replace("traces/", &format!("{}/", abs("simulations/traces")))
        .replace("policies/", &format!("{}/", abs("simulations/policies")))
        .replace(
            &format!(
                "{}/worldcup98_synthetic_drift_incident.csv",
                abs("simulations/traces")
            ),
            "drift.csv",
        )
        .replace(
            "until = \"1998-07-01T00:00:00Z\"",
            "until = \"1998-06-25T00:00:00Z\"",
        )
        .replace(
            "train = { from = \"1998-06-17T00:00:00Z\", until = \"1998-06-24T00:00:00Z\" }",
            "train = { from = \"1998-06-23T00:00:00Z\", until = \"1998-06-24T00:00:00Z\" }",
        );
    let path = dir.join("q.toml");
    std::fs::write(&path, text).unwrap();
    let s = scenario::load(&path, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
    let c = compare(&s, false);
    let row = |name: &str| {
        &c.guards[0]
            .rows
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no row {name}"))
            .run
    };
    let (on, off) = (
        row("sagescale-guarded"),
        row("sagescale-guarded without guard"),
    );
    // Without a guard: 90 % of the six degraded hours' requests.
    assert!((off.degraded_requests / off.requests_during_degradation - 0.9).abs() < 1e-6);
    assert!(
        on.degraded_requests < 0.02 * off.degraded_requests,
        "{} vs {}",
        on.degraded_requests,
        off.degraded_requests
    );
    // Shifted from the first minute, and the move back is the window's only weight change.
    assert_eq!(on.weight_changes, 1);
    assert!(on.shifted_minutes >= 360.0, "{}", on.shifted_minutes);
}

#[test]
fn a_quality_section_is_checked_and_its_series_errors_name_the_line() {
    let dir = tmpdir("quality");
    let abs = |p: &str| std::fs::canonicalize(p).unwrap().display().to_string();
    let base = std::fs::read_to_string("simulations/quality-guard.toml")
        .unwrap()
        .replace("traces/", &format!("{}/", abs("simulations/traces")))
        .replace("policies/", &format!("{}/", abs("simulations/policies")));
    let path = dir.join("q.toml");
    // Both thresholds, and a share of 1.
    std::fs::write(
        &path,
        base.replace(
            "degraded_above = 0.2",
            "degraded_above = 0.2\ndegraded_below = 0.1",
        )
        .replace("weight = 0.9", "weight = 1.0"),
    )
    .unwrap();
    let e = scenario::load(&path, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("targets[0].quality.degraded_above") && e.contains("exactly one"),
        "{e}"
    );
    assert!(e.contains("targets[0].quality.weight"), "{e}");
    // A bad value in the series: its file, line and column.
    std::fs::write(
        dir.join("traces-drift.csv"),
        "time,drift\n1998-06-24 00:00:00,0.1\n1998-06-24 01:00:00,n/a\n",
    )
    .unwrap();
    std::fs::write(
        &path,
        base.replace(
            &format!(
                "{}/worldcup98_synthetic_drift_incident.csv",
                abs("simulations/traces")
            ),
            "traces-drift.csv",
        ),
    )
    .unwrap();
    let e = scenario::load(&path, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("traces-drift.csv") && e.contains('3') && e.contains("`n/a` is not a number"),
        "{e}"
    );
    // A policy set without the fallback target is refused, naming it.
    std::fs::write(
        &path,
        base.replace(
            &format!(
                "{}/worldcup-quality-guard.yaml",
                abs("simulations/policies")
            ),
            &format!("{}/worldcup-fast.toml", abs("simulations/policies")),
        ),
    )
    .unwrap();
    let e = scenario::load(&path, &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no target named `worldcup-champion`"), "{e}");
}

#[test]
fn a_trace_spanning_millennia_is_refused_with_its_span_not_allocated() {
    // Found by cargo-fuzz: one mistyped year made the request-log reader allocate 30 GB and
    // abort. Every reader that sizes a series by the trace's span now refuses such a trace.
    let dir = tmpdir("millennia");
    for (name, text) in [
        (
            "requests.csv",
            "Time,TIMESTAMP\n9176-05-10 00:00:00,146\n2024-05-10 00:00:10,238\n2024-05-10 00:00:20,268\n",
        ),
        (
            "counts.csv",
            "period,count\n2024-05-10 00:00:00,1\n2024-05-10 00:01:00,2\n9176-05-10 00:02:00,3\n",
        ),
        (
            "export.json",
            r#"{"MetricDataResults":[{"Id":"a","Label":"Invocations","Timestamps":["2024-05-10T00:00:00Z","2024-05-10T00:01:00Z","9176-05-10T00:02:00Z"],"Values":[1,2,3]}]}"#,
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let err = match trace::read(&path, &TraceOptions::default()) {
            Ok(t) => panic!("{name}: read {} intervals", t.len()),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(name) && err.contains("a wrong year?") && err.contains("9176-05-10"),
            "{name}: {err}"
        );
    }
}
