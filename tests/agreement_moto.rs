//! The simulator and the daemon make the same decision on the same datapoints.
//!
//! `sagescale simulate --emit-metrics` writes every datapoint a policy saw and every call it
//! made. This test takes instants where the simulated policy scaled out, puts the datapoints it
//! could see then into moto's CloudWatch (shifted so that the instant is now), gives moto's
//! endpoint the capacity the simulator had, and asks `sagescale plan` what it would do: the
//! plan must register exactly the bounds the simulator registered.
//!
//! Run by scripts/test.sh, which starts moto and sets MOTO_ENDPOINT_URL.

#[path = "support/moto_daemon.rs"]
mod moto_daemon;

use std::path::Path;
use std::process::Command;

use moto_daemon::{clients, endpoint, moto, put_series, Daemon};

/// The one-minute ingestion delay the replayed scenario uses, and the daemon's metric lag.
const DELAY: i64 = 60;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled World Cup scenario, its first day, with a fixed ingestion delay (so that the
/// simulator sees at an instant exactly the datapoints the daemon reads with the same lag).
fn scenario(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("simulations/worldcup98.toml")).unwrap();
    let sim = root().join("simulations");
    let text = text
        .replace(
            "path = \"traces/",
            &format!("path = \"{}/traces/", sim.display()),
        )
        .replace(
            "path = \"policies/",
            &format!("path = \"{}/policies/", sim.display()),
        )
        .replace(
            "until = \"1998-07-01T00:00:00Z\"",
            "until = \"1998-06-25T00:00:00Z\"",
        );
    assert!(
        !text.contains("[simulation]"),
        "the scenario grew a [simulation] table"
    );
    let text = format!(
        "{text}\n[simulation]\ncloudwatch_delay_min_s = {DELAY}\ncloudwatch_delay_max_s = {DELAY}\n"
    );
    let path = dir.join("worldcup-1d.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn secs(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_makes_the_call_the_simulator_made_on_the_same_datapoints() {
    let work = tempfile::tempdir().unwrap();
    let policy = root().join("simulations/policies/worldcup-aws-shape.toml");
    let emitted = work.path().join("emitted.json");
    let out = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .arg("simulate")
        .arg(scenario(work.path()))
        .arg("--policy")
        .arg(&policy)
        .arg("--emit-metrics")
        .arg(&emitted)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = moto_daemon::json(&emitted);
    let contender = doc["Sagescale"]["Contenders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Contender"] == "worldcup-aws-shape")
        .expect("the policy's contender")
        .clone();
    let metrics = contender["Metrics"].as_array().unwrap();
    assert_eq!(
        metrics.len(),
        1,
        "the policy reads InvocationsPerInstance only"
    );
    let id = metrics[0]["Id"].as_str().unwrap();
    let series = doc["MetricDataResults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Id"] == id)
        .unwrap();
    assert_eq!(series["Label"], "InvocationsPerInstance");
    let points: Vec<(i64, f64)> = series["Timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .zip(series["Values"].as_array().unwrap())
        .map(|(t, v)| (secs(t.as_str().unwrap()), v.as_f64().unwrap()))
        .collect();

    // The instants: the first scale-out, and the largest scale-out with no call in the 20
    // minutes before it (no cooldown or pin of an earlier call in play).
    let calls: Vec<(i64, u64, u64, u64, String)> = contender["Calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                secs(c["Time"].as_str().unwrap()),
                c["Current"].as_u64().unwrap(),
                c["MinCapacity"].as_u64().unwrap(),
                c["MaxCapacity"].as_u64().unwrap(),
                c["Purpose"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let outs: Vec<usize> = (0..calls.len())
        .filter(|&k| calls[k].4 == "scale_out")
        .collect();
    let first = outs[0];
    let isolated = outs
        .iter()
        .copied()
        .filter(|&k| k > 0 && calls[k].0 - calls[k - 1].0 >= 1200)
        .max_by_key(|&k| calls[k].2 - calls[k].1)
        .expect("an isolated scale-out in a day of World Cup traffic");
    assert!(
        calls[isolated].2 > calls[isolated].1,
        "{:?}",
        calls[isolated]
    );

    let url = moto();
    let c = clients(&url).await;
    for (n, k) in [first, isolated].into_iter().enumerate() {
        let (at, current, min, max, _) = calls[k].clone();
        let name = format!("agree-{n}-{}", std::process::id());
        let text = std::fs::read_to_string(&policy)
            .unwrap()
            .replace("endpoint/worldcup/", &format!("endpoint/{name}/"));
        let d = Daemon::new(&url, &text, "");
        let config = std::fs::read_to_string(d.path("sagescale.toml"))
            .unwrap()
            .replace(
                "metric_lag_seconds = 0",
                &format!("metric_lag_seconds = {DELAY}"),
            );
        std::fs::write(d.path("sagescale.toml"), config).unwrap();
        endpoint(&c, &name, current as i32, 2, 80).await;
        // What the simulator's policy could read at `at`: periods that ended by `at - DELAY`,
        // as far back as a window goes. Timestamps are period starts, put relative to the
        // current minute, which plays `at`.
        let window: Vec<(i64, f64)> = points
            .iter()
            .filter(|(t, _)| t + 60 <= at - DELAY && *t >= at - 3600)
            .map(|&(t, v)| (at - t, v))
            .collect();
        assert!(window.len() >= 3, "instant {at}: {window:?}");
        put_series(&c, &name, "InvocationsPerInstance", &window).await;
        let plan = Command::new(env!("CARGO_BIN_EXE_sagescale"))
            .args(["plan", "--config"])
            .arg(d.path("sagescale.toml"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&plan.stdout);
        assert!(
            plan.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&plan.stderr)
        );
        let expected =
            format!("would call RegisterScalableTarget min={min} max={max} (scale_out)\n");
        assert!(
            text.contains(&expected),
            "instant {at} (capacity {current}): the simulator registered [{min}, {max}]; the plan says:\n{text}"
        );
    }
}
