//! The daemon end to end: the real binary, the official SDK, moto's server over real HTTP.
//! Run by scripts/test.sh, which starts moto and sets MOTO_ENDPOINT_URL. Each test uses its
//! own endpoint names, so they run in parallel against one moto.

#[path = "support/fault_proxy.rs"]
mod fault_proxy;
#[path = "support/moto_daemon.rs"]
mod moto_daemon;

use std::sync::atomic::Ordering;

use fault_proxy::{Fault, FaultProxy};
use moto_daemon::{
    bounds, clients, endpoint, invocations_per_instance, json, moto, policy, wait_for, Daemon,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breach_scales_out_through_aas_and_is_recorded() {
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "d-breach", 2, 1, 10).await;
    // 400 per instance on 2 instances against a target of 100: ceil(2 * 400 / 100) = 8.
    invocations_per_instance(&c, "d-breach", 400.0, 6).await;
    // The same load on an endpoint the policy files do not name: never touched.
    endpoint(&c, "d-not-mine", 2, 1, 10).await;
    invocations_per_instance(&c, "d-not-mine", 400.0, 6).await;
    let mut d = Daemon::new(
        &url,
        &policy("d-breach", 100.0, 1, 10),
        "publish_metrics = true",
    );
    d.start();
    assert!(
        wait_for(30, || !d.calls("ok").is_empty()).await,
        "no successful call in the decision log\n{}",
        d.log()
    );
    assert_eq!(
        bounds(&c, "d-breach").await,
        (8, 10),
        "Min raised to scale out"
    );
    assert_eq!(
        bounds(&c, "d-not-mine").await,
        (1, 10),
        "a resource outside the policy files changed"
    );
    let call = &d.calls("ok")[0];
    assert_eq!(call["operation"], "RegisterScalableTarget");
    assert_eq!(call["purpose"], "scale_out");
    let record = d
        .records()
        .into_iter()
        .find(|r| !r["calls"].as_array().unwrap().is_empty())
        .unwrap();
    assert_eq!(record["decision"]["current"], 2);
    assert_eq!(record["decision"]["desired"], 8);
    assert_eq!(
        record["decision"]["verdicts"][0]["reason"]["AboveTarget"]["value"],
        400.0
    );
    assert!(record["explanation"]
        .as_str()
        .unwrap()
        .contains("scale out 2 -> 8"));

    // /healthz, /readyz and /metrics tell the same story.
    assert!(wait_for(10, || d.get("/readyz").is_some_and(|(s, _)| s == 200)).await);
    assert_eq!(d.get("/healthz").map(|(s, _)| s), Some(200));
    assert_eq!(
        d.metric("sagescale_decisions_total{target=\"d-breach\",direction=\"out\"}"),
        1.0
    );
    assert_eq!(
        d.metric("sagescale_capacity{target=\"d-breach\",kind=\"desired\"}"),
        8.0
    );
    assert!(d.metric("sagescale_aws_calls_total{service=\"cloudwatch\",operation=\"GetMetricData\",outcome=\"ok\"}") >= 1.0);
    assert_eq!(
        d.get("/metrics").map(|(s, _)| s),
        Some(200),
        "metrics endpoint answers"
    );
    assert_eq!(d.get("/nope").map(|(s, _)| s), Some(404));

    // sagescale's own metrics reach CloudWatch.
    let listed = c
        .cloudwatch
        .list_metrics()
        .namespace("sagescale")
        .metric_name("DesiredCapacity")
        .send()
        .await
        .expect("ListMetrics");
    assert!(
        listed.metrics().iter().any(|m| m
            .dimensions()
            .iter()
            .any(|x| x.name() == Some("Target") && x.value() == Some("d-breach"))),
        "no DesiredCapacity for d-breach in namespace sagescale"
    );

    // While the change is in flight (moto never moves capacity), the daemon does not ask again.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(d.calls("ok").len(), 1, "one change, one call\n{}", d.log());

    // SIGTERM: exit 0, state on disk with the cooldown and the pin.
    assert_eq!(d.stop(), Some(0), "{}", d.log());
    let state = json(&d.path("state.json"));
    assert_eq!(state["pins"]["d-breach"]["to"], 8);
    assert!(state["engine"]["targets"]["d-breach"]["cooldown"]["scale_out"]["until"].is_i64());
    assert!(d.log().contains("sagescale stopped"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_logs_the_call_and_changes_nothing() {
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "d-dry", 2, 1, 10).await;
    invocations_per_instance(&c, "d-dry", 400.0, 6).await;
    // Text logs, into a file: no ANSI colour codes there.
    let mut d = Daemon::new(
        &url,
        &policy("d-dry", 100.0, 1, 10),
        "dry_run = true\nlog_format = \"text\"",
    );
    d.start();
    assert!(
        wait_for(30, || !d.calls("dry_run").is_empty()).await,
        "no dry-run call logged\n{}",
        d.log()
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(bounds(&c, "d-dry").await, (1, 10), "dry-run changed AAS");
    assert!(d.calls("ok").is_empty());
    assert_eq!(d.calls("dry_run")[0]["min"], 8);
    // It pins the change as the real run would: asked once, then awaited (moto never moves
    // capacity), not asked again every cycle.
    assert_eq!(
        d.calls("dry_run").len(),
        1,
        "a dry run asks once per change\n{}",
        d.log()
    );
    assert!(
        d.records().iter().any(|r| r["explanation"]
            .as_str()
            .unwrap_or("")
            .contains("is in flight")),
        "the dry run's later cycles show the change in flight\n{}",
        d.log()
    );
    assert_eq!(d.metric("sagescale_dry_run"), 1.0);
    let log = d.log();
    assert!(log.contains("INFO") && !log.contains('\u{1b}'), "{log}");
    // A second daemon on the same state file refuses to start, naming the first.
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["run", "--config"])
        .arg(d.path("sagescale.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success()
            && err.contains("another sagescale (pid ")
            && err.contains("state.json"),
        "{err}"
    );
    assert_eq!(d.stop(), Some(0));
    // No call stands behind a dry run's pin: it is not persisted.
    let state = json(&d.path("state.json"));
    assert!(state["pins"].get("d-dry").is_none(), "{state}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_reload_keeps_the_last_good_set() {
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "d-reload", 2, 1, 10).await;
    invocations_per_instance(&c, "d-reload", 50.0, 6).await;
    let mut d = Daemon::new(&url, &policy("d-reload", 100.0, 1, 10), "");
    d.start();
    assert!(
        wait_for(30, || d.metric("sagescale_cycles_total") >= 1.0).await,
        "{}",
        d.log()
    );

    // A broken file: rejected, the daemon keeps cycling with the old set.
    std::fs::write(d.path("policies/p.toml"), "[[targets]]\nname = 3\n").unwrap();
    d.signal("HUP");
    assert!(
        wait_for(15, || d
            .metric("sagescale_policy_reloads_total{outcome=\"rejected\"}")
            >= 1.0)
        .await,
        "{}",
        d.log()
    );
    let cycles = d.metric("sagescale_cycles_total");
    assert!(wait_for(15, || d.metric("sagescale_cycles_total") >= cycles + 2.0).await);
    assert!(d.alive());
    assert_eq!(d.metric("sagescale_targets"), 1.0);
    assert!(
        d.log().contains("p.toml"),
        "the log names the broken file\n{}",
        d.log()
    );

    // A valid new set (a lower max) is picked up from the file change alone, no signal.
    std::fs::write(d.path("policies/p.toml"), policy("d-reload", 100.0, 1, 6)).unwrap();
    assert!(
        wait_for(15, || d
            .metric("sagescale_policy_reloads_total{outcome=\"ok\"}")
            >= 1.0)
        .await,
        "{}",
        d.log()
    );
    // The registration is aligned with the new bounds.
    let mut aligned = false;
    for _ in 0..100 {
        if bounds(&c, "d-reload").await == (1, 6) {
            aligned = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(aligned, "{}", d.log());
    assert_eq!(d.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_restores_state_and_does_not_act_twice() {
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "d-restart", 2, 1, 10).await;
    invocations_per_instance(&c, "d-restart", 400.0, 6).await;
    let mut d = Daemon::new(&url, &policy("d-restart", 100.0, 1, 10), "");
    d.start();
    assert!(
        wait_for(30, || !d.calls("ok").is_empty()).await,
        "{}",
        d.log()
    );
    assert_eq!(d.stop(), Some(0));
    let before = json(&d.path("state.json"));

    // The metric still breaches and moto still shows 2 instances: without the saved pin and
    // cooldown the daemon would scale out again.
    d.start();
    let cycles_seen = wait_for(30, || d.metric("sagescale_cycles_total") >= 3.0).await;
    assert!(cycles_seen, "{}", d.log());
    assert_eq!(
        d.calls("ok").len(),
        1,
        "the restart repeated the action\n{}",
        d.log()
    );
    assert_eq!(d.stop(), Some(0));
    let after = json(&d.path("state.json"));
    assert_eq!(
        before["engine"]["targets"]["d-restart"]["cooldown"],
        after["engine"]["targets"]["d-restart"]["cooldown"],
        "the cooldown clock was not reset"
    );
    assert_eq!(after["pins"]["d-restart"], before["pins"]["d-restart"]);

    // A corrupt state file is refused at start with a clear message and a non-zero exit.
    std::fs::write(d.path("state.json"), "{\"version\": 1, \"engine\": ").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["run", "--config"])
        .arg(d.path("sagescale.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("state.json:1:") && err.contains("Refusing to start"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_not_fatal() {
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "d-throttle", 2, 1, 10).await;
    invocations_per_instance(&c, "d-throttle", 400.0, 6).await;
    // Every other request is throttled, in both protocols (CloudWatch's awsQuery XML and the
    // JSON of SageMaker and AAS).
    let proxy = FaultProxy::start(
        &url,
        Box::new(|n, _| {
            if n % 2 == 0 {
                Fault::Throttle
            } else {
                Fault::Pass
            }
        }),
    )
    .await;
    let mut d = Daemon::new(
        &proxy.url,
        &policy("d-throttle", 100.0, 1, 10),
        "[[retry]]\nerror_equals = [\"throttling\"]\ninterval_seconds = 0.05\nmax_attempts = 4\n",
    );
    d.start();
    assert!(
        wait_for(30, || !d.calls("ok").is_empty()).await,
        "no successful call through the throttling proxy\n{}",
        d.log()
    );
    assert_eq!(bounds(&c, "d-throttle").await, (8, 10));
    assert!(proxy.injected.load(Ordering::SeqCst) >= 3);
    for (service, op) in [
        ("cloudwatch", "GetMetricData"),
        ("application_autoscaling", "DescribeScalableTargets"),
    ] {
        let throttled = d.metric(&format!(
            "sagescale_aws_calls_total{{service=\"{service}\",operation=\"{op}\",outcome=\"throttling\"}}"
        ));
        assert!(throttled >= 1.0, "{service} {op} throttling not counted");
    }
    assert!(d.alive());
    assert_eq!(d.stop(), Some(0));
}

#[tokio::test]
async fn a_bad_config_or_policy_set_stops_start_up_with_a_named_error() {
    let url = moto();
    let d = Daemon::new(
        &url,
        "[[targets]]\nname = \"x\"\nresource_id = \"endpoint/x\"\nmin = 1\nmax = 2\n",
        "",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["run", "--config"])
        .arg(d.path("sagescale.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("p.toml:3") && err.contains("resource_id"),
        "{err}"
    );

    std::fs::write(d.path("bad.toml"), "policy_dir = \"p\"\nstate_file = \"s\"\ndecision_log = \"l\"\nadmin_listen = \"nowhere\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["run", "--config"])
        .arg(d.path("bad.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:4") && err.contains("admin_listen"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tells_systemd_ready_status_watchdog_and_stopping_on_a_real_notify_socket() {
    use std::os::unix::net::UnixDatagram;
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "d-notify", 2, 1, 10).await;
    let mut d = Daemon::new(&url, &policy("d-notify", 100.0, 1, 10), "");
    let path = d.path("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    d.start_with_env(&[
        ("NOTIFY_SOCKET", path.to_str().unwrap()),
        ("WATCHDOG_USEC", "400000"),
    ]);
    let mut seen: Vec<String> = Vec::new();
    let mut buf = [0u8; 4096];
    let has =
        |seen: &[String], what: &str| seen.iter().any(|m| m.lines().any(|l| l.starts_with(what)));
    while !(has(&seen, "READY=1") && has(&seen, "WATCHDOG=1") && has(&seen, "STATUS=cycle 2")) {
        let n = sock
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("no notification ({e}); got {seen:?}\n{}", d.log()));
        seen.push(String::from_utf8_lossy(&buf[..n]).to_string());
    }
    let ready = seen.iter().position(|m| m.contains("READY=1")).unwrap();
    assert!(
        seen[ready].contains("STATUS=cycle 1: 1 targets"),
        "{seen:?}"
    );
    assert_eq!(d.stop(), Some(0));
    let mut stopping = false;
    sock.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    while let Ok(n) = sock.recv(&mut buf) {
        if String::from_utf8_lossy(&buf[..n]).contains("STOPPING=1") {
            stopping = true;
            break;
        }
    }
    assert!(stopping, "no STOPPING=1 at SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_suspends_actuation_and_keeps_deciding() {
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "d-kill", 2, 1, 10).await;
    invocations_per_instance(&c, "d-kill", 400.0, 6).await;
    let mut d = Daemon::new(
        &url,
        &policy("d-kill", 100.0, 1, 10),
        "suspend_actuation = true",
    );
    d.start();
    assert!(
        wait_for(30, || d
            .records()
            .iter()
            .any(|r| r["calls"][0]["outcome"] == "suspended"))
        .await,
        "{}",
        d.log()
    );
    assert_eq!(d.metric("sagescale_actuation_suspended"), 1.0);
    // Still suspended some cycles later: decisions go on, AAS is untouched.
    let cycles = d.metric("sagescale_cycles_total");
    assert!(wait_for(15, || d.metric("sagescale_cycles_total") >= cycles + 2.0).await);
    assert_eq!(bounds(&c, "d-kill").await, (1, 10));
    assert!(d.calls("ok").is_empty());
    // SIGUSR2 resumes: the engine state was not advanced, so it acts on the next cycle.
    d.signal("USR2");
    assert!(
        wait_for(15, || !d.calls("ok").is_empty()).await,
        "{}",
        d.log()
    );
    assert_eq!(bounds(&c, "d-kill").await, (8, 10));
    assert_eq!(d.metric("sagescale_actuation_suspended"), 0.0);
    // SIGUSR1 suspends again.
    d.signal("USR1");
    assert!(wait_for(15, || d.metric("sagescale_actuation_suspended") == 1.0).await);
    assert_eq!(d.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_secrets_never_reach_logs_decisions_state_or_metrics() {
    const KEY: &str = "AKIACANARYKEY0000042";
    const SECRET: &str = "canary-secret-7f3a9c1e5b";
    const TOKEN: &str = "canary-session-token-9d2e";
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "d-canary", 2, 1, 10).await;
    invocations_per_instance(&c, "d-canary", 400.0, 6).await;
    let mut d = Daemon::new(
        &url,
        &policy("d-canary", 100.0, 1, 10),
        "log_format = \"json\"",
    );
    d.start_with_env(&[
        ("AWS_ACCESS_KEY_ID", KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
        // The most verbose level the SDK and sagescale log at below trace.
        ("RUST_LOG", "debug"),
    ]);
    assert!(
        wait_for(30, || !d.calls("ok").is_empty()).await,
        "{}",
        d.log()
    );
    let (_, metrics) = d.get("/metrics").unwrap();
    // The admin endpoint is read-only.
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    write!(
        s,
        "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 405"), "{reply}");
    assert_eq!(d.stop(), Some(0));
    let texts = [
        ("daemon log", d.log()),
        (
            "decision log",
            std::fs::read_to_string(d.path("decisions.jsonl")).unwrap(),
        ),
        (
            "state file",
            std::fs::read_to_string(d.path("state.json")).unwrap(),
        ),
        ("/metrics", metrics),
    ];
    assert!(
        texts[0].1.contains("\"level\":\"DEBUG\""),
        "debug logging was on"
    );
    for (what, text) in &texts {
        for canary in [KEY, SECRET, TOKEN] {
            if let Some(at) = text.find(canary) {
                panic!(
                    "{canary} leaked into the {what}: ...{}...",
                    &text[at.saturating_sub(300)..(at + 100).min(text.len())]
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_aas_policy_is_named_by_plan_and_run_with_the_fix() {
    use aws_sdk_applicationautoscaling::types::{
        MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
        TargetTrackingScalingPolicyConfiguration,
    };
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "d-conflict", 2, 1, 10).await;
    invocations_per_instance(&c, "d-conflict", 50.0, 6).await;
    endpoint(&c, "d-conflict-other", 2, 1, 10).await;
    let resource = "endpoint/d-conflict/variant/AllTraffic";
    // What many users run today: AWS target tracking on the same target, and on an endpoint
    // sagescale does not manage (none of its business).
    for (name, on) in [
        ("legacy-invocations", resource),
        (
            "someone-elses",
            "endpoint/d-conflict-other/variant/AllTraffic",
        ),
    ] {
        c.autoscaling
            .put_scaling_policy()
            .policy_name(name)
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(on)
            .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(
                TargetTrackingScalingPolicyConfiguration::builder()
                    .target_value(70.0)
                    .predefined_metric_specification(
                        PredefinedMetricSpecification::builder()
                            .predefined_metric_type(
                                MetricType::SageMakerVariantInvocationsPerInstance,
                            )
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("PutScalingPolicy");
    }
    let mut d = Daemon::new(&url, &policy("d-conflict", 100.0, 1, 10), "");
    let (code, text) = d.cli(&["plan"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("WARNING: Application Auto Scaling policy `legacy-invocations` (TargetTrackingScaling) is attached to endpoint/d-conflict/variant/AllTraffic")
            && text.contains("aws application-autoscaling delete-scaling-policy --service-namespace sagemaker --resource-id endpoint/d-conflict/variant/AllTraffic --scalable-dimension sagemaker:variant:DesiredInstanceCount --policy-name legacy-invocations")
            && text.contains("1 Application Auto Scaling policy(ies) attached")
            && !text.contains("someone-elses"),
        "{text}"
    );
    // run says so at start, and counts it.
    d.start();
    assert!(
        wait_for(30, || d.log().contains("legacy-invocations")).await,
        "{}",
        d.log()
    );
    assert!(wait_for(10, || d.metric("sagescale_aas_policies_attached") == 1.0).await);
    assert_eq!(d.stop(), Some(0));
    // Once removed, plan is clean again.
    c.autoscaling
        .delete_scaling_policy()
        .policy_name("legacy-invocations")
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .send()
        .await
        .expect("DeleteScalingPolicy");
    let (code, text) = d.cli(&["plan"]);
    assert!(
        code == Some(0) && text.contains("0 Application Auto Scaling policy(ies) attached"),
        "{text}"
    );
}
