//! `sagescale tune` end to end: the winner is chosen on the train window within the SLO budget,
//! quoted with its test-window figures, and is what `simulate` finds for the written policy on
//! the test window; shards merge into the whole search; invalid candidates are reported, not
//! fatal; the same inputs give the same results.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sagescale-tune-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sagescale(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(args)
        .env("CI", "1")
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Two days of the World Cup scenario, with absolute paths so it runs from a temporary dir.
/// Its own train window is the week before; the tests give a shorter one with `--train`.
fn scenario(dir: &Path) -> PathBuf {
    let abs = |p: &str| std::fs::canonicalize(p).unwrap().display().to_string();
    let text = std::fs::read_to_string("simulations/worldcup98.toml")
        .unwrap()
        .replace(
            "until = \"1998-07-01T00:00:00Z\"",
            "until = \"1998-06-26T00:00:00Z\"",
        )
        .replace("traces/", &format!("{}/", abs("simulations/traces")))
        .replace("policies/", &format!("{}/", abs("simulations/policies")));
    let p = dir.join("two-days.toml");
    std::fs::write(&p, text).unwrap();
    p
}

const TRAIN: &str = "1998-06-22T00:00:00Z..1998-06-24T00:00:00Z";
const TEST: &str = "1998-06-24T00:00:00Z..1998-06-26T00:00:00Z";

const TEMPLATE: &str = "[[targets]]\nname = \"worldcup\"\nresource_id = \"endpoint/worldcup/variant/AllTraffic\"\nmin = 2\nmax = 80\n\n[[targets.policies]]\nname = \"b\"\ntype = \"burst-aware\"\nmetric = { predefined = \"ConcurrentRequestsPerModel\" }\nload = \"per-unit\"\ntarget = {{target = 1.2..1.8 step 0.3}}\nstable_window_seconds = 60\ntolerance = {{tolerance = 0.0 | 1.5}}\n";

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_winner_keeps_the_budget_and_simulate_agrees_with_it() {
    let dir = tmpdir("winner");
    let s = scenario(&dir);
    let t = dir.join("t.tune.toml");
    std::fs::write(&t, TEMPLATE).unwrap();
    let (out, res) = (dir.join("best.toml"), dir.join("all.json"));
    let args = |json: &Path| {
        vec![
            "tune".to_string(),
            s.display().to_string(),
            "--template".into(),
            t.display().to_string(),
            "--max-slo-minutes".into(),
            "30".into(),
            "--train".into(),
            TRAIN.into(),
            "--test".into(),
            TEST.into(),
            "--out".into(),
            out.display().to_string(),
            "--json".into(),
            json.display().to_string(),
        ]
    };
    let a: Vec<String> = args(&res);
    let (ok, stdout, stderr) = sagescale(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{stdout}\n{stderr}");
    let r = json(&res);
    let cands = r["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 6);
    // tolerance = 1.5 is invalid: reported per candidate, with the template's name.
    let invalid: Vec<_> = cands.iter().filter(|c| !c["error"].is_null()).collect();
    assert_eq!(invalid.len(), 3);
    assert!(
        invalid[0]["error"]
            .as_str()
            .unwrap()
            .contains("t.tune.toml"),
        "{}",
        invalid[0]["error"]
    );
    assert!(stdout.contains("3 invalid"), "{stdout}");
    // Train and test figures are carried apart, and differ: they are other days.
    assert_eq!(r["evaluation"]["train"], TRAIN);
    assert_eq!(r["evaluation"]["test"], TEST);
    assert_eq!(r["evaluation"]["in_sample"], false);
    let valid: Vec<_> = cands.iter().filter(|c| c["error"].is_null()).collect();
    assert!(valid
        .iter()
        .all(|c| c["train"]["cost_usd"] != c["test"]["cost_usd"]));
    // The winner is the cheapest valid candidate within 30 SLO minutes on the train window;
    // it is quoted with its test figures.
    let within: Vec<_> = valid
        .iter()
        .filter(|c| c["train"]["slo_violation_minutes"].as_f64().unwrap() <= 30.0)
        .collect();
    assert!(!within.is_empty());
    let winner = within
        .iter()
        .min_by(|a, b| {
            a["train"]["cost_usd"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["train"]["cost_usd"].as_f64().unwrap())
        })
        .unwrap();
    let cheapest = winner["test"]["cost_usd"].as_f64().unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains(&format!("test window ${cheapest:.2}")),
        "{text}"
    );
    assert!(text.contains(&format!("chosen on {TRAIN}")), "{text}");
    // aws-tuned is in the report, on both windows.
    assert!(r["aws_tuned"]["test"]["cost_usd"].as_f64().unwrap() > 0.0);
    assert!(r["aws_tuned"]["train"]["cost_usd"].as_f64().unwrap() > 0.0);
    assert!(stdout.contains("aws-tuned ("), "{stdout}");
    // Simulating the written policy gives the same cost and SLO minutes.
    let sim_json = dir.join("sim.json");
    let (ok, _, stderr) = sagescale(&[
        "simulate",
        s.to_str().unwrap(),
        "--policy",
        out.to_str().unwrap(),
        "--json",
        sim_json.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let sim = json(&sim_json);
    let best = &sim["policies"][0];
    assert!(
        (best["cost_usd"].as_f64().unwrap() - cheapest).abs() < 1e-3,
        "{best}"
    );
    // Same inputs, same results; and two shards merge into the whole search.
    let again = dir.join("again.json");
    let a: Vec<String> = args(&again);
    assert!(sagescale(&a.iter().map(String::as_str).collect::<Vec<_>>()).0);
    assert_eq!(json(&again)["candidates"], r["candidates"]);
    let mut shards = Vec::new();
    for k in 0..2 {
        let p = dir.join(format!("shard{k}.json"));
        // A shard writes its results only: here the second holds only invalid candidates.
        let mut a: Vec<String> = args(&p);
        a.retain(|x| *x != "--out" && *x != out.display().to_string());
        a.extend(["--shard".into(), format!("{k}/2")]);
        assert!(sagescale(&a.iter().map(String::as_str).collect::<Vec<_>>()).0);
        shards.push(p);
    }
    let merged = dir.join("merged.json");
    let (ok, _, stderr) = sagescale(&[
        "tune-merge",
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
        "--json",
        merged.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert_eq!(json(&merged)["candidates"], r["candidates"]);
}

#[test]
fn bad_templates_and_shards_get_clear_errors() {
    let dir = tmpdir("bad");
    let s = scenario(&dir);
    let t = dir.join("t.tune.toml");
    std::fs::write(&t, "a = 1\nb = {{x 1}}\n").unwrap();
    let (ok, _, stderr) = sagescale(&[
        "tune",
        s.to_str().unwrap(),
        "--template",
        t.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(stderr.contains("t.tune.toml:2:"), "{stderr}");
    std::fs::write(&t, TEMPLATE).unwrap();
    let (ok, _, stderr) = sagescale(&[
        "tune",
        s.to_str().unwrap(),
        "--template",
        t.to_str().unwrap(),
        "--shard",
        "2/2",
    ]);
    assert!(!ok);
    assert!(stderr.contains("0 <= K < N"), "{stderr}");
    // A train window that overlaps the test window is in-sample: refused, at the flag.
    let (ok, _, stderr) = sagescale(&[
        "tune",
        s.to_str().unwrap(),
        "--template",
        t.to_str().unwrap(),
        "--train",
        "1998-06-23T00:00:00Z..1998-06-25T00:00:00Z",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("--train") && stderr.contains("overlaps the test window"),
        "{stderr}"
    );
    let (ok, _, stderr) = sagescale(&[
        "tune",
        s.to_str().unwrap(),
        "--template",
        t.to_str().unwrap(),
        "--test",
        "1998-06-24",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("--test") && stderr.contains("FROM..UNTIL"),
        "{stderr}"
    );
    // Without a train window, the search says it is in-sample.
    let text = std::fs::read_to_string(&s).unwrap();
    let start = text.find("[evaluation]").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    let bare = dir.join("no-train.toml");
    std::fs::write(&bare, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let (ok, stdout, stderr) = sagescale(&[
        "tune",
        bare.to_str().unwrap(),
        "--template",
        t.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("IN-SAMPLE"), "{stdout}");
}

#[test]
fn a_template_that_keeps_no_candidate_within_budget_still_writes_its_results() {
    let dir = tmpdir("none-within");
    let s = scenario(&dir);
    let t = dir.join("t.tune.toml");
    std::fs::write(&t, TEMPLATE.replace("1.5}}", "0.1}}")).unwrap();
    let (out, res, html) = (
        dir.join("best.toml"),
        dir.join("all.json"),
        dir.join("tune.html"),
    );
    let (s, t, out_s, res_s, html_s) = (
        s.display().to_string(),
        t.display().to_string(),
        out.display().to_string(),
        res.display().to_string(),
        html.display().to_string(),
    );
    let (ok, stdout, stderr) = sagescale(&[
        "tune",
        &s,
        "--template",
        &t,
        "--budget",
        "2",
        "--max-slo-minutes=-1",
        "--train",
        TRAIN,
        "--test",
        TEST,
        "--out",
        &out_s,
        "--json",
        &res_s,
        "--report",
        &html_s,
    ]);
    assert!(!ok, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("no candidate kept the SLO budget") && stderr.contains("not written"),
        "{stderr}"
    );
    assert!(!out.exists(), "a policy was written with no winner");
    // Nothing measured is lost: every candidate's figures and the report are there.
    let r = json(&res);
    assert_eq!(r["candidates"].as_array().unwrap().len(), 2);
    assert!(std::fs::read_to_string(&html).unwrap().contains("<svg"));
}
