//! sagescale's own policies in the daemon, end to end against moto: burst-aware and predictive
//! policies read CloudWatch through the real SDK and move capacity through Application Auto
//! Scaling, as target tracking does. Run by scripts/test.sh (MOTO_ENDPOINT_URL).

#[path = "support/moto_daemon.rs"]
mod moto_daemon;

use moto_daemon::{
    bounds, clients, endpoint, endpoint_variants, moto, put_metric, put_series, wait_for, Daemon,
};

fn target(name: &str, policy: &str) -> String {
    format!(
        "[[targets]]\nname = \"{name}\"\nresource_id = \"endpoint/{name}/variant/AllTraffic\"\nmin = 1\nmax = 20\n\n[[targets.policies]]\n{policy}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_aware_policy_sizes_from_total_invocations() {
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "p-burst", 2, 1, 20).await;
    // 4,000 invocations a minute at 500 per instance: 8 instances, at once.
    let points: Vec<(i64, f64)> = (1..=6).map(|i| (60 * i, 4000.0)).collect();
    put_series(&c, "p-burst", "Invocations", &points).await;
    let mut d = Daemon::new(
        &url,
        &target(
            "p-burst",
            "name = \"burst\"\ntype = \"burst-aware\"\nmetric = { predefined = \"Invocations\" }\ntarget = 500.0\n",
        ),
        "",
    );
    d.start();
    assert!(
        wait_for(30, || !d.calls("ok").is_empty()).await,
        "no call\n{}",
        d.log()
    );
    assert_eq!(bounds(&c, "p-burst").await, (8, 20));
    let record = d
        .records()
        .into_iter()
        .find(|r| !r["calls"].as_array().unwrap().is_empty())
        .unwrap();
    assert_eq!(record["decision"]["desired"], 8);
    assert!(
        record["decision"]["verdicts"][0]["reason"]["Burst"]["panic"]
            .as_bool()
            .unwrap(),
        "{record}"
    );
    assert_eq!(d.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_predictive_policy_scales_out_before_the_daily_peak_and_publishes_its_forecast() {
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "p-forecast", 2, 1, 20).await;
    // Three days of five-minute Invocations: 2,000 a period, except a daily peak of 10,000
    // from 10 to 40 minutes after this time of day. The forecast for the next 15 minutes sees
    // it coming on every previous day: a floor of 10 at 1,000 per instance.
    let day = 86_400;
    let points: Vec<(i64, f64)> = (1..=3 * 288)
        .map(|i| {
            let ago = 300 * i;
            let tod = (day - ago % day) % day; // seconds after this time of day
            let peak = (600..2400).contains(&tod);
            (ago, if peak { 10_000.0 } else { 2_000.0 })
        })
        .collect();
    put_series(&c, "p-forecast", "Invocations", &points).await;
    let mut d = Daemon::new(
        &url,
        &target(
            "p-forecast",
            "name = \"daily\"\ntype = \"predictive\"\nmode = \"forecast-and-scale\"\nmetric = { predefined = \"Invocations\", period = 300 }\ntarget = 1000.0\nlead_seconds = 900\nhistory_days = 3\n",
        ),
        "",
    );
    d.start();
    assert!(
        wait_for(40, || !d.calls("ok").is_empty()).await,
        "no call\n{}",
        d.log()
    );
    assert_eq!(bounds(&c, "p-forecast").await, (10, 20));
    assert_eq!(
        d.metric("sagescale_forecast{target=\"p-forecast\",quantity=\"floor\"}"),
        10.0
    );
    assert_eq!(
        d.metric("sagescale_forecast{target=\"p-forecast\",quantity=\"holds\"}"),
        1.0
    );
    assert_eq!(d.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_slo_policy_scales_out_from_a_latency_breach_and_says_why() {
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "p-slo", 2, 1, 20).await;
    // Twenty minutes at 20 requests/s. Each minute's ModelLatency is published as 100 raw
    // values (microseconds): 90 at 45 ms and 10 at 95 ms, a mean of 50 ms; so the policy
    // learns a 50 ms service time with a spread, and 2 instances keep the p99 far inside
    // 400 ms. The newest minute breaks the SLO anyway (a p99 of 900 ms): the model says the
    // fleet is enough, what was seen says it is not, and one instance more is asked for.
    let minutes = 20;
    let load: Vec<(i64, f64)> = (1..=minutes).map(|i| (60 * i, 1200.0)).collect();
    put_series(&c, "p-slo", "Invocations", &load).await;
    let mut latency = Vec::new();
    for i in 1..=minutes {
        let values: Vec<f64> = if i == 1 {
            [vec![100.0; 50], vec![260.0; 48], vec![900.0; 2]].concat()
        } else {
            [vec![45.0; 90], vec![95.0; 10]].concat()
        };
        latency.extend(
            values
                .into_iter()
                .enumerate()
                .map(|(k, ms)| (60 * i - k as i64 % 50, ms * 1e3)),
        );
    }
    put_series(&c, "p-slo", "ModelLatency", &latency).await;
    let mut d = Daemon::new(
        &url,
        &target(
            "p-slo",
            "name = \"latency\"\ntype = \"slo\"\np99_latency_ms = 400\nrisk = 0.01\nseasonal_days = 0\n",
        ),
        "",
    );

    // plan: the call, with the learned capacity, the band, the predicted p99 and the risk.
    let (code, text) = d.cli(&["plan"]);
    assert_eq!(code, Some(0), "{text}");
    for needle in [
        "load 20.00/s, band up to",
        "the 99 % quantile of the last 6 h)",
        "learned service 50.0 ms",
        "keep the predicted p99 at",
        "within 400 ms",
        "at 1 % risk, documented lead 381 s",
        "newest p99 900 ms broke",
        "would call RegisterScalableTarget min=3",
    ] {
        assert!(text.contains(needle), "plan lacks `{needle}`:\n{text}");
    }

    // run: the same decision, made.
    d.start();
    assert!(
        wait_for(40, || !d.calls("ok").is_empty()).await,
        "no call\n{}",
        d.log()
    );
    assert_eq!(bounds(&c, "p-slo").await.0, 3);
    let record = d
        .records()
        .into_iter()
        .find(|r| !r["calls"].as_array().unwrap().is_empty())
        .unwrap();
    assert_eq!(record["decision"]["desired"], 3, "{record}");
    let z = &record["decision"]["verdicts"][0]["reason"]["Slo"];
    assert!(
        (z["breach_p99_s"].as_f64().unwrap() - 0.9).abs() < 1e-9,
        "{record}"
    );
    assert!(
        (z["service_s"].as_f64().unwrap() - 0.05).abs() < 1e-6,
        "{record}"
    );
    assert!(z["predicted_p99_s"].as_f64().unwrap() < 0.4, "{record}");
    assert_eq!(d.stop(), Some(0));

    // explain: the story from the decision log tells the same figures.
    let (code, story) = d.cli(&["explain", "p-slo"]);
    assert_eq!(code, Some(0), "{story}");
    for needle in [
        "learned service 50.0 ms",
        "predicted p99",
        "1 % risk",
        "newest p99 900 ms broke",
    ] {
        assert!(story.contains(needle), "explain lacks `{needle}`:\n{story}");
    }
}

/// `variant -> (weight, instances)` as SageMaker reports them.
async fn variants(
    c: &sagescale::aws::AwsClients,
    name: &str,
) -> std::collections::BTreeMap<String, (f32, Option<i32>)> {
    let e = c
        .sagemaker
        .describe_endpoint()
        .endpoint_name(name)
        .send()
        .await
        .expect("DescribeEndpoint");
    e.production_variants()
        .iter()
        .map(|v| {
            (
                v.variant_name().unwrap_or_default().to_string(),
                (
                    v.current_weight().unwrap_or(-1.0),
                    v.current_instance_count(),
                ),
            )
        })
        .collect()
}

async fn variant_bounds(c: &sagescale::aws::AwsClients, name: &str, variant: &str) -> (i32, i32) {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let got = c
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_ids(format!("endpoint/{name}/variant/{variant}"))
        .send()
        .await
        .expect("DescribeScalableTargets");
    let t = &got.scalable_targets()[0];
    (t.min_capacity(), t.max_capacity())
}

/// Put per-minute `accuracy` datapoints for the last `minutes` minutes (namespace
/// `Custom/ModelQuality`, dimension `Endpoint`).
async fn put_accuracy(c: &sagescale::aws::AwsClients, name: &str, value: f64, minutes: i64) {
    let points: Vec<(i64, f64)> = (1..=minutes).map(|i| (60 * i, value)).collect();
    put_metric(
        c,
        "Custom/ModelQuality",
        "accuracy",
        &[("Endpoint", name)],
        &points,
    )
    .await;
}

/// Poll an async condition every 200 ms for up to `secs` seconds.
async fn eventually<F, Fut>(secs: u64, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if cond().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quality_guard_raises_the_fallback_then_moves_the_weights_and_back() {
    let url = moto();
    let c = clients(&url).await;
    let name = "p-guard";
    endpoint_variants(
        &c,
        name,
        &[("challenger", 4, 0.9), ("champion", 1, 0.1)],
        1,
        20,
    )
    .await;
    // Accuracy 0.80 on the last three minutes: below 0.90 on 2 of 2 datapoints, a breach.
    put_accuracy(&c, name, 0.80, 3).await;
    let policy = format!(
        r#"[[targets]]
name = "challenger"
resource_id = "endpoint/{name}/variant/challenger"
min = 1
max = 20

[[targets.policies]]
name = "quality"
type = "quality-guard"
fallback = "champion"
recover_after_seconds = 2

[[targets.policies.checks]]
metric = {{ namespace = "Custom/ModelQuality", name = "accuracy", dimensions = {{ Endpoint = "{name}" }}, statistic = "Maximum" }}
comparison = "LessThanThreshold"
threshold = 0.90
clear = 0.95
evaluation_periods = 2

[[targets]]
name = "champion"
resource_id = "endpoint/{name}/variant/champion"
min = 1
max = 20

[[targets.policies]]
name = "invocations"
type = "target-tracking"
metric = {{ predefined = "InvocationsPerInstance" }}
target = 1000.0
"#
    );
    // moto does not move an endpoint's LastModifiedTime on a weight or count change, so the
    // daemon describes it every second instead of on change.
    let mut d = Daemon::new(&url, &policy, "capacity_refresh_seconds = 1\n");
    d.start();

    // 1. Capacity first: the champion's floor goes to 1 + 4 while the weights stay.
    assert!(
        eventually(30, || async {
            variant_bounds(&c, name, "champion").await == (5, 20)
        })
        .await,
        "the champion's floor was not raised\n{}",
        d.log()
    );
    let v = variants(&c, name).await;
    assert_eq!(v["challenger"].0, 0.9, "{v:?}");
    assert_eq!(v["champion"].0, 0.1, "{v:?}");
    assert_eq!(
        d.metric("sagescale_quality_guard{target=\"challenger\",phase=\"provisioning\"}"),
        1.0
    );

    // The daemon stops here (its state keeps the guard provisioning) so that `plan` can be
    // asked what it would do next.
    assert_eq!(d.stop(), Some(0));

    // 2. Application Auto Scaling would now bring the champion to 5 (moto's does not move
    //    SageMaker's counts, so the test does what AWS would).
    c.sagemaker
        .update_endpoint_weights_and_capacities()
        .endpoint_name(name)
        .desired_weights_and_capacities(
            aws_sdk_sagemaker::types::DesiredWeightAndCapacity::builder()
                .variant_name("challenger")
                .desired_weight(0.9)
                .desired_instance_count(4)
                .build(),
        )
        .desired_weights_and_capacities(
            aws_sdk_sagemaker::types::DesiredWeightAndCapacity::builder()
                .variant_name("champion")
                .desired_weight(0.1)
                .desired_instance_count(5)
                .build(),
        )
        .send()
        .await
        .expect("UpdateEndpointWeightsAndCapacities");

    // `plan` sees the capacity in service and would move the weights; it changes nothing.
    let plan = std::process::Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["plan", "--detailed-exitcode", "--config"])
        .arg(d.path("sagescale.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&plan.stdout);
    assert_eq!(plan.status.code(), Some(2), "{text}");
    assert!(
        text.contains(&format!(
            "would call UpdateEndpointWeightsAndCapacities on {name}: challenger=0 champion=1\n"
        )),
        "{text}"
    );
    assert_eq!(variants(&c, name).await["challenger"].0, 0.9);
    d.start();

    // 3. The weights move: all of the challenger's traffic to the champion, counts unchanged.
    assert!(
        eventually(30, || async {
            let v = variants(&c, name).await;
            v["challenger"].0 == 0.0 && v["champion"].0 == 1.0
        })
        .await,
        "the weights did not move\n{}",
        d.log()
    );
    let v = variants(&c, name).await;
    assert_eq!((v["challenger"].1, v["champion"].1), (Some(4), Some(5)));
    let call = d
        .calls("ok")
        .into_iter()
        .find(|c| c["operation"] == "UpdateEndpointWeightsAndCapacities")
        .expect("the weight call is in the decision log");
    assert_eq!(call["weights"][0]["variant"], "challenger");
    assert_eq!(call["weights"][1]["weight"], 1.0, "{call}");
    assert!(
        wait_for(10, || d.metric(
            "sagescale_quality_guard{target=\"challenger\",phase=\"shifted\"}"
        ) == 1.0)
        .await,
        "{}",
        d.log()
    );
    assert!(d.log().contains("quality guard"), "an alert in the log");

    // 4. Accuracy recovers: a better datapoint in each of the last minutes (the check reads
    //    the Maximum). After 2 s clear, the weights go back, then the champion's floor.
    put_accuracy(&c, name, 0.99, 3).await;
    assert!(
        eventually(40, || async {
            let v = variants(&c, name).await;
            v["challenger"].0 == 0.9 && v["champion"].0 == 0.1
        })
        .await,
        "the weights did not come back\n{}",
        d.log()
    );
    assert!(
        eventually(30, || async {
            variant_bounds(&c, name, "champion").await == (1, 20)
        })
        .await,
        "the champion's floor was not released\n{}",
        d.log()
    );
    assert_eq!(
        d.metric("sagescale_quality_guard{target=\"challenger\",phase=\"healthy\"}"),
        1.0
    );
    assert_eq!(d.stop(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_policy_wakes_an_async_endpoint_from_zero_to_meet_the_deadline() {
    let url = moto();
    let c = clients(&url).await;
    // An async endpoint asleep at zero instances. moto drops an initial count of 0, so the
    // endpoint starts at 1 and is put to sleep as SageMaker would scale it in.
    endpoint(&c, "p-deadline", 1, 0, 20).await;
    c.sagemaker
        .update_endpoint_weights_and_capacities()
        .endpoint_name("p-deadline")
        .desired_weights_and_capacities(
            aws_sdk_sagemaker::types::DesiredWeightAndCapacity::builder()
                .variant_name("AllTraffic")
                .desired_weight(1.0)
                .desired_instance_count(0)
                .build(),
        )
        .send()
        .await
        .expect("UpdateEndpointWeightsAndCapacities");
    // 1,800 requests waiting, the oldest 300 s old, against a 900 s deadline: 0.8 × 600 s =
    // 480 s to serve them at 120 a minute per instance (2 a second) is ceil(1800 / 960) = 2.
    let minutes: Vec<i64> = (1..=3).map(|i| 60 * i).collect();
    let backlog: Vec<(i64, f64)> = minutes.iter().map(|&a| (a, 1800.0)).collect();
    let age: Vec<(i64, f64)> = minutes.iter().map(|&a| (a, 300.0)).collect();
    let endpoint_level = [("EndpointName", "p-deadline")];
    put_metric(
        &c,
        "AWS/SageMaker",
        "ApproximateBacklogSize",
        &endpoint_level,
        &backlog,
    )
    .await;
    put_metric(
        &c,
        "AWS/SageMaker",
        "ApproximateAgeOfOldestRequest",
        &endpoint_level,
        &age,
    )
    .await;
    let policy = "[[targets]]\nname = \"p-deadline\"\nresource_id = \"endpoint/p-deadline/variant/AllTraffic\"\nworkload = \"async\"\nmin = 0\nmax = 20\n\n[[targets.policies]]\nname = \"deadline\"\ntype = \"backlog-deadline\"\ninstance_throughput_per_minute = 120\ndeadline_seconds = 900\n";
    let mut d = Daemon::new(&url, policy, "");
    d.start();
    assert!(
        wait_for(30, || !d.calls("ok").is_empty()).await,
        "no call\n{}",
        d.log()
    );
    assert_eq!(bounds(&c, "p-deadline").await, (2, 20));
    let record = d
        .records()
        .into_iter()
        .find(|r| !r["calls"].as_array().unwrap().is_empty())
        .unwrap();
    let reason = &record["decision"]["verdicts"][0]["reason"]["Deadline"];
    assert_eq!(reason["capacity"], 2, "{record}");
    assert_eq!(reason["backlog"], 1800.0, "{record}");
    assert_eq!(d.stop(), Some(0));
}
