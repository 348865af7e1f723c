//! `sagescale plan-batch` end to end: the bundled job gets a pick that meets its deadline and
//! that no other setting undercuts; an impossible deadline exits 2; a bad job file names the
//! file, the line and the field.

use std::path::PathBuf;
use std::process::Command;

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sagescale-plan-batch-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sagescale(args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const EXAMPLE: &str = "simulations/plan-batch/nightly-scoring.toml";

#[test]
fn the_bundled_job_gets_the_cheapest_setting_that_meets_its_deadline() {
    let dir = tmpdir("example");
    let json = dir.join("plan.json");
    let (code, out, err) = sagescale(&["plan-batch", EXAMPLE, "--json", json.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("pick: "), "{out}");
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let all = plan["candidates"].as_array().unwrap();
    let pick = &all[0];
    assert_eq!(pick["verdict"]["kind"], "chosen");
    let cost = pick["cost_usd"].as_f64().unwrap();
    assert!(pick["duration_s"].as_f64().unwrap() <= 180.0 * 60.0);
    // Within AWS's payload rule (8 MB here) and on the printed line.
    let mct = pick["max_concurrent_transforms"].as_u64().unwrap();
    assert!(mct * 8 <= 100);
    assert!(out.contains(&format!(
        "{} × {}, MaxConcurrentTransforms {mct}",
        pick["instance_count"],
        pick["instance_type"].as_str().unwrap()
    )));
    // Every other setting is either dearer or rejected for a stated reason.
    for c in &all[1..] {
        let kind = c["verdict"]["kind"].as_str().unwrap();
        assert_ne!(kind, "chosen");
        if kind == "costlier" {
            assert!(c["cost_usd"].as_f64().unwrap() >= cost);
        }
    }
    // Each profiled type is accounted for in the text.
    for t in [
        "ml.c5.xlarge",
        "ml.c5.2xlarge",
        "ml.m5.xlarge",
        "ml.g4dn.xlarge",
    ] {
        assert!(out.contains(t), "{t} missing:\n{out}");
    }
    assert!(
        out.contains("AWS caps MaxConcurrentTransforms × MaxPayloadInMB"),
        "{out}"
    );
    assert!(out.contains("the instance has"), "{out}");
}

#[test]
fn an_impossible_deadline_exits_2_and_says_how_late() {
    let dir = tmpdir("late");
    let job = dir.join("job.toml");
    let text = std::fs::read_to_string(EXAMPLE)
        .unwrap()
        .replace("deadline_minutes = 180", "deadline_minutes = 20");
    std::fs::write(&job, text).unwrap();
    let (code, out, _) = sagescale(&["plan-batch", job.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("no setting meets the deadline"), "{out}");
    assert!(out.contains("late even on 20 instance(s)"), "{out}");
}

#[test]
fn a_bad_job_file_names_file_line_and_field() {
    let dir = tmpdir("bad");
    let job = dir.join("job.toml");
    std::fs::write(
        &job,
        "[job]\nrecords = 100\nbytes = 1000\nfiles = 4\ndeadline_minutes = 60\nmax_payload_mb = 150\n\n\
         [[profiles]]\ninstance_type = \"ml.x9.huge\"\nms_per_record = -1\n",
    )
    .unwrap();
    let (code, out, err) = sagescale(&["plan-batch", job.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("job.toml"), "{err}");
    assert!(
        err.contains("job.max_payload_mb") && err.contains("AWS accepts 1–100 MB"),
        "{err}"
    );
    assert!(err.contains("job.toml:6:"), "{err}");
    assert!(err.contains("profiles[0].ms_per_record"), "{err}");
    assert!(
        err.contains("job.toml:9:")
            && err.contains("ml.x9.huge is not a built-in instance type: give its vcpus, memory_gib, price_per_hour"),
        "{err}"
    );

    std::fs::write(
        &job,
        "[job]\nrecords = 100\nbytes = 1000\nfiles = 4\ndeadline = 60\n",
    )
    .unwrap();
    let (code, _, err) = sagescale(&["plan-batch", job.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(err.contains("deadline"), "{err}");
}
