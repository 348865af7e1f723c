//! sagescale's own policies in the daemon, end to end against moto: burst-aware and predictive
//! policies read CloudWatch through the real SDK and move capacity through Application Auto
//! Scaling, as target tracking does. Run by scripts/test.sh (MOTO_ENDPOINT_URL).

#[path = "support/moto_daemon.rs"]
mod moto_daemon;

use moto_daemon::{bounds, clients, endpoint, moto, put_series, wait_for, Daemon};

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
