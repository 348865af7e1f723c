//! Fault injection: the real daemon against moto through a loopback proxy that throttles,
//! fails, delays past the SDK timeout, resets and truncates. For every scenario, while faults
//! last and after they clear:
//! - the daemon never crashes;
//! - no call is made on missing or stale metrics (every successful call comes from a decision
//!   on a datapoint), and none at all while CloudWatch or AAS is down;
//! - the registration never leaves the policy's bounds;
//! - the errors show in `/metrics` and in the log;
//! - within one cycle after the faults clear, the right decision lands.

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/moto_daemon.rs"]
mod moto_daemon;

use std::time::{Duration, Instant};

use fault_proxy::{service_of, Fault, FaultProxy, Plan};
use moto_daemon::{
    bounds, clients, endpoint, invocations_per_instance, moto, policy, wait_for, Daemon,
};

const CONFIG: &str = r#"
[[retry]]
error_equals = ["throttling", "server_error", "timeout", "connection"]
interval_seconds = 0.05
max_attempts = 2
max_delay_seconds = 0.2
"#;

/// Seconds of faults per scenario (the interval is 1 s).
const FAULT_SECONDS: u64 = 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The scale-out happens during the faults: every other request fails, and the retriers
    /// get each call through.
    Acts,
    /// The scale-out may happen during the faults (a fault can outlast the retries).
    MayAct,
    /// No call may succeed during the faults (the service it needs is down).
    NoCall,
}

fn pseudo_random(n: u64) -> u64 {
    // SplitMix64: a fixed, seedless stream, so a run is repeatable.
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

async fn scenario(name: &str, plan: Plan, expect: Expect) {
    let url = moto();
    let c = clients(&url).await;
    let ep = format!("f-{name}");
    endpoint(&c, &ep, 2, 1, 10).await;
    invocations_per_instance(&c, &ep, 400.0, 6).await;
    let proxy = FaultProxy::start(&url, plan).await;
    let extra = format!("{CONFIG}\n");
    let mut d = Daemon::new(&proxy.url, &policy(&ep, 100.0, 1, 10), &extra);
    // Short SDK timeouts, so a delayed reply times out.
    let config = d.path("sagescale.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text + "[aws.timeouts]\nconnect_seconds = 1.0\nattempt_seconds = 1.0\n",
    )
    .unwrap();
    d.start();

    // Faults: watch the bounds and the process the whole time.
    let started = Instant::now();
    let mut violations = 0;
    while started.elapsed() < Duration::from_secs(FAULT_SECONDS) {
        assert!(d.alive(), "{name}: the daemon died\n{}", d.log());
        let (min, max) = bounds(&c, &ep).await;
        if min < 1 || max > 10 || min > max {
            violations += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let cycles = d.metric("sagescale_cycles_total");
    let injected = proxy.injected.load(std::sync::atomic::Ordering::SeqCst);
    let failed_attempts = d.get("/metrics").map_or(0.0, |(_, body)| {
        body.lines()
            .filter(|l| l.starts_with("sagescale_aws_calls_total") && !l.contains("outcome=\"ok\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    });
    let ok_during = d.calls("ok").len();
    let wrong = violations
        + if expect == Expect::NoCall {
            ok_during
        } else {
            0
        };
    if expect == Expect::NoCall {
        assert_eq!(
            ok_during, 0,
            "{name}: a call succeeded while its service was down"
        );
        assert_eq!(bounds(&c, &ep).await, (1, 10));
        // A service down for every read: the daemon decides nothing, so it is not ready.
        let ready = d.get("/readyz");
        assert!(
            ready
                .as_ref()
                .is_some_and(|(s, body)| *s == 503 && body.contains("not ready")),
            "{name}: /readyz while every read fails: {ready:?}"
        );
    }
    assert!(injected > 0, "{name}: no fault was injected");
    assert!(failed_attempts > 0.0, "{name}: errors not in /metrics");
    assert!(
        d.log().contains("failed") || d.log().contains("unreadable"),
        "{name}: errors not in the log"
    );

    // Clear the faults: the right decision lands within one cycle (a cycle still in its
    // retries when the faults clear may take up to ~3 s to finish first).
    proxy.set_plan(Box::new(|_, _| Fault::Pass));
    let cleared = Instant::now();
    let recovered = wait_for(6, || d.calls("ok").iter().any(|c| c["min"] == 8)).await;
    assert!(
        recovered,
        "{name}: no recovery after the faults cleared\n{}",
        d.log()
    );
    let recovery = cleared.elapsed().as_secs_f64();
    assert_eq!(bounds(&c, &ep).await, (8, 10), "{name}");
    assert!(
        wait_for(6, || d.get("/readyz").is_some_and(|(s, _)| s == 200)).await,
        "{name}: /readyz after recovery"
    );

    // Every successful call came from a decision on data, never from missing data.
    for r in d.records() {
        let made = r["calls"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["outcome"] == "ok"));
        if made {
            let by = r["decision"]["by"]
                .as_u64()
                .expect("a scale-out names its policy") as usize;
            let reason = &r["decision"]["verdicts"][by]["reason"];
            assert!(
                reason.get("AboveTarget").is_some(),
                "{name}: call on {reason}"
            );
        }
    }
    assert!(d.alive());
    assert_eq!(d.stop(), Some(0), "{name}");
    assert_eq!(violations, 0, "{name}: bounds violated");
    eprintln!(
        "fault scenario {name}: {cycles:.0} cycles under faults, {injected} faults injected, {failed_attempts:.0} failed attempts, {ok_during} calls during faults, recovery {recovery:.1} s after clearing, wrong actions {wrong}"
    );
}

fn every_other(fault: Fault) -> Plan {
    Box::new(move |n, _| if n % 2 == 0 { fault } else { Fault::Pass })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_half_the_requests() {
    scenario("throttle", every_other(Fault::Throttle), Expect::Acts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_500_on_half_the_requests() {
    scenario("e500", every_other(Fault::Status(500)), Expect::Acts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_503_on_half_the_requests() {
    scenario("e503", every_other(Fault::Status(503)), Expect::Acts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_later_than_the_sdk_timeout() {
    let plan: Plan = Box::new(|n, _| {
        if n % 3 == 0 {
            Fault::Delay(Duration::from_millis(1500))
        } else {
            Fault::Pass
        }
    });
    scenario("delay", plan, Expect::MayAct).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_resets() {
    scenario("reset", every_other(Fault::Reset), Expect::Acts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_replies() {
    scenario("truncate", every_other(Fault::Truncate), Expect::Acts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mix_of_every_fault_on_35_percent() {
    let plan: Plan = Box::new(|n, _| {
        let r = pseudo_random(n);
        if r % 100 >= 35 {
            return Fault::Pass;
        }
        match (r >> 8) % 6 {
            0 => Fault::Throttle,
            1 => Fault::Status(500),
            2 => Fault::Status(503),
            3 => Fault::Delay(Duration::from_millis(1500)),
            4 => Fault::Reset,
            _ => Fault::Truncate,
        }
    });
    scenario("mix", plan, Expect::MayAct).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudwatch_down_aas_up() {
    let plan: Plan = Box::new(|_, req| {
        if service_of(req) == "cloudwatch" {
            Fault::Status(503)
        } else {
            Fault::Pass
        }
    });
    scenario("cw-down", plan, Expect::NoCall).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aas_down_cloudwatch_up() {
    let plan: Plan = Box::new(|_, req| {
        if service_of(req) == "application_autoscaling" {
            Fault::Reset
        } else {
            Fault::Pass
        }
    });
    scenario("aas-down", plan, Expect::NoCall).await;
}
