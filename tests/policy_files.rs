//! Policy files: the examples validate, and broken files get errors that point at the exact
//! field and line.

use std::path::{Path, PathBuf};
use std::process::Command;

use sagescale::policy::{self, Diagnostic};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "sagescale-policy-test-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn problems(paths: &[PathBuf]) -> Vec<Diagnostic> {
    match policy::load(paths) {
        Ok(_) => panic!("expected problems"),
        Err(d) => d.0,
    }
}

fn find<'a>(ds: &'a [Diagnostic], path: &str) -> &'a Diagnostic {
    ds.iter().find(|d| d.path == path).unwrap_or_else(|| {
        panic!(
            "no problem at `{path}` in:\n{}",
            policy::Diagnostics(ds.to_vec())
        )
    })
}

#[test]
fn the_bundled_example_policies_validate() {
    let (set, files) = policy::load(&[PathBuf::from("policies")]).expect("examples validate");
    assert_eq!(files, 6);
    // The inference component sleeps at zero copies, scales on concurrency per copy, and
    // wakes through the built-in rule.
    let llm = set
        .targets
        .iter()
        .find(|t| t.resource_id == "inference-component/chat-llm")
        .expect("the inference-component example");
    assert_eq!(
        (llm.min, llm.dimension),
        (0, sagescale::engine::ScalableDimension::CopyCount)
    );
    let names: Vec<&str> = llm.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["concurrency-per-copy", "wake-from-zero"]);
    assert!(set
        .metrics
        .iter()
        .any(|q| q.to_string().contains("ConcurrentRequestsPerCopy")));
    assert!(set
        .targets
        .iter()
        .any(|t| t.workload == sagescale::engine::Workload::Async && t.min == 0));
    assert!(set
        .targets
        .iter()
        .any(|t| t.workload == sagescale::engine::Workload::MultiModel));
    // Shared metrics are queried once: both A/B variants' Invocations queries differ by variant,
    // but a policy set never holds the same query twice.
    let mut seen = std::collections::HashSet::new();
    for q in &set.metrics {
        assert!(seen.insert(format!("{q:?}")), "duplicate query {q}");
    }
}

const BROKEN_TOML: &str = r#"[[targets]]
name = "recs"
resource_id = "endpoint/recs/variant/AllTraffic"
min = 4
max = 2

[[targets.policies]]
name = "tt"
type = "target-tracking"
metric = { predefined = "InvocationsPerInstance" }
target = -5.0
scale_in_cooldwn = 30

[[targets.policies]]
name = "steps"
type = "step"
adjustment_type = "ChangeInCapacity"
steps = [
  { lower = 0.0, upper = 10.0, adjustment = 1 },
  { lower = 15.0, adjustment = 3 },
]
[targets.policies.alarm]
comparison = "GreaterThanThreshold"
threshold = 10.0
metric = { predefined = "ModelLatency", period = 45 }

[[targets.policies]]
name = "sched"
type = "scheduled"
schedule = "cron(0 8 * * 2 *)"
timezone = "Mars/Olympus"
min = 3

[[targets]]
name = "other"
resource_id = "endpoints/x"
min = 1
max = 1
"#;

#[test]
fn a_broken_toml_file_gets_every_error_at_its_field_and_line() {
    let dir = tmpdir("toml");
    let f = write(&dir, "broken.toml", BROKEN_TOML);
    let ds = problems(&[f]);
    // The unknown field stops that policy's deserialization: reported at the field itself.
    let typo = find(&ds, "targets[0].policies[0].scale_in_cooldwn");
    assert_eq!(typo.line, Some(12));
    assert!(
        typo.message.contains("unknown field `scale_in_cooldwn`"),
        "{}",
        typo.message
    );
    let gap = find(&ds, "targets[0].policies[1].steps[1].lower");
    assert_eq!(gap.line, Some(20));
    assert!(
        gap.message
            .contains("gap between steps[0] (upper 10) and steps[1] (lower 15)"),
        "{}",
        gap.message
    );
    let period = find(&ds, "targets[0].policies[1].alarm.metric.period");
    assert!(period
        .message
        .contains("must be 10, 30 or a multiple of 60"));
    assert_eq!(period.line, Some(25));
    assert!(find(&ds, "targets[0].policies[2].schedule")
        .message
        .contains("exactly one of day-of-month and day-of-week"));
    assert_eq!(find(&ds, "targets[0].policies[2].timezone").line, Some(31));
    let bounds = find(&ds, "targets[0].min");
    assert_eq!(
        (bounds.line, bounds.message.as_str()),
        (Some(4), "min 4 is above max 2")
    );
    let rid = find(&ds, "targets[1].resource_id");
    assert!(rid
        .message
        .contains("expected `endpoint/NAME/variant/VARIANT`"));
    assert_eq!(rid.line, Some(36));
    // Display: file:line:col: path: message
    let shown = rid.to_string();
    assert!(
        shown.starts_with(&format!("{}:36:", dir.join("broken.toml").display())),
        "{shown}"
    );
}

#[test]
fn semantic_errors_are_all_reported_when_structure_is_fine() {
    let dir = tmpdir("semantic");
    let text = BROKEN_TOML.replace("scale_in_cooldwn = 30\n", "");
    let f = write(&dir, "broken.toml", &text);
    let ds = problems(&[f]);
    let target = find(&ds, "targets[0].policies[0].target");
    assert_eq!(target.line, Some(11));
    assert!(target.message.contains("must be a number above 0"));
    assert!(ds.len() >= 6, "{}", policy::Diagnostics(ds.clone()));
}

#[test]
fn a_broken_yaml_file_points_at_lines_too() {
    let dir = tmpdir("yaml");
    let f = write(
        &dir,
        "broken.yaml",
        "targets:\n  - name: batch\n    resource_id: endpoint/batch/variant/AllTraffic\n    workload: async\n    min: 0\n    max: 4\n    policies:\n      - name: wake\n        type: step\n        adjustment_type: ChangeInCapacity\n        steps:\n          - lower: 0\n            adjustment: 1\n          - lower: 0\n            adjustment: 2\n        alarm:\n          metric: { predefined: HasBacklogWithoutCapacity }\n          comparison: GreaterThanOrEqualToThreshold\n          threshold: 1\n          evaluation_periods: 2\n          datapoints_to_alarm: 3\n      - name: tt\n        type: target-tracing\n",
    );
    let ds = problems(&[f]);
    let overlap = find(&ds, "targets[0].policies[0].steps[1].lower");
    assert_eq!(overlap.line, Some(14));
    assert!(
        overlap.message.contains("no upper bound, so it overlaps"),
        "{}",
        overlap.message
    );
    let m = find(&ds, "targets[0].policies[0].alarm.datapoints_to_alarm");
    assert_eq!(m.line, Some(21));
    let kind = find(&ds, "targets[0].policies[1].type");
    assert!(
        kind.message.contains("unknown variant `target-tracing`"),
        "{}",
        kind.message
    );
    assert_eq!(kind.line, Some(23));
}

#[test]
fn names_and_resources_are_unique_across_the_set() {
    let dir = tmpdir("dupes");
    let one =
        "[[targets]]\nname = \"a\"\nresource_id = \"endpoint/e/variant/v\"\nmin = 1\nmax = 2\n";
    write(&dir, "one.toml", one);
    write(
        &dir,
        "two.toml",
        &one.replace("endpoint/e/variant/v", "endpoint/e/variant/w")
            .replace("name = \"a\"", "name = \"a\"\n"),
    );
    write(
        &dir,
        "three.yaml",
        "targets:\n  - name: b\n    resource_id: endpoint/e/variant/v\n    min: 1\n    max: 3\n",
    );
    let ds = problems(std::slice::from_ref(&dir));
    let name = ds
        .iter()
        .find(|d| d.file.ends_with("two.toml"))
        .expect("duplicate name reported");
    assert!(
        name.message.contains("target name `a` is already used by"),
        "{}",
        name.message
    );
    let res = ds
        .iter()
        .find(|d| d.file.ends_with("three.yaml"))
        .expect("duplicate resource reported");
    assert!(
        res.message.contains("two targets would fight over it"),
        "{}",
        res.message
    );
}

#[test]
fn syntax_errors_and_odd_paths_are_reported_not_panicked() {
    let dir = tmpdir("syntax");
    let bad = write(&dir, "bad.toml", "[[targets]\nname = 1\n");
    let notes = write(&dir, "notes.txt", "not policies");
    let ds = problems(&[bad, dir.join("missing.toml"), notes]);
    let syntax = ds.iter().find(|d| d.file.ends_with("bad.toml")).unwrap();
    assert!(syntax.message.starts_with("syntax error"), "{syntax}");
    assert_eq!(syntax.line, Some(1));
    assert!(ds
        .iter()
        .any(|d| d.file.ends_with("missing.toml") && d.message == "no such file or directory"));
    assert!(ds
        .iter()
        .any(|d| d.file.ends_with("notes.txt") && d.message.contains("not a policy file")));
    let empty = tmpdir("empty");
    assert!(problems(&[empty])[0].message.contains("no policy files"));
}

#[test]
fn validate_exits_non_zero_and_prints_every_problem() {
    let dir = tmpdir("cli");
    let f = write(&dir, "broken.toml", BROKEN_TOML);
    let out = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .arg("validate")
        .arg(&f)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.toml:12:1: targets[0].policies[0].scale_in_cooldwn: unknown field"),
        "{err}"
    );
    assert!(err.contains("problem(s) in 1 file(s)"), "{err}");
    let ok = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["validate", "policies"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn the_schema_describes_the_policy_language() {
    let out = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("schema is JSON");
    let text = schema.to_string();
    for needle in [
        "target-tracking",
        "scale_out_datapoints",
        "treat_missing_data",
        "PercentChangeInCapacity",
        "notBreaching",
        "resource_id",
    ] {
        assert!(text.contains(needle), "schema lacks {needle}");
    }
    assert_eq!(schema["type"], "object");
}

#[test]
fn burst_aware_policies_check_their_metric_windows_and_threshold() {
    let dir = tmpdir("burst");
    let f = write(
        &dir,
        "burst.toml",
        "[[targets]]\nname = \"a\"\nresource_id = \"endpoint/a/variant/v\"\nmin = 1\nmax = 10\n\n[[targets.policies]]\nname = \"b\"\ntype = \"burst-aware\"\nmetric = { predefined = \"InvocationsPerInstance\" }\ntarget = 100.0\npanic_window_seconds = 600\nstable_window_seconds = 120\npanic_threshold = 0.5\ntolerance = 1.5\n",
    );
    let ds = problems(&[f]);
    let m = find(&ds, "targets[0].policies[0].metric");
    assert_eq!(m.line, Some(10));
    assert!(
        m.message.contains("measures one instance") && m.message.contains("load = \"per-unit\""),
        "{}",
        m.message
    );
    assert!(find(&ds, "targets[0].policies[0].panic_window_seconds")
        .message
        .contains("longer than the stable window"));
    assert!(find(&ds, "targets[0].policies[0].panic_threshold")
        .message
        .contains("above 1, or 0"));
    assert!(find(&ds, "targets[0].policies[0].tolerance")
        .message
        .contains("[0, 1)"));
    // The bundled scenario policies validate, the burst-aware ones among them.
    let (set, _) = policy::load(&[PathBuf::from("simulations/policies/worldcup-burst.toml")])
        .unwrap_or_else(|d| panic!("{d}"));
    assert!(matches!(
        set.targets[0].policies[0].kind,
        sagescale::engine::PolicyKind::BurstAware(_)
    ));
}

#[test]
fn predictive_policies_check_their_metric_lead_history_and_error() {
    let dir = tmpdir("predictive");
    let f = write(
        &dir,
        "p.toml",
        "[[targets]]\nname = \"a\"\nresource_id = \"endpoint/a/variant/v\"\nmin = 1\nmax = 10\n\n[[targets.policies]]\nname = \"p\"\ntype = \"predictive\"\nmetric = { predefined = \"Invocations\", period = 300 }\ntarget = 500.0\nlead_seconds = 60\nhistory_days = 40\nmax_error = 0\nmode = \"forecast-and-scale\"\n",
    );
    let ds = problems(&[f]);
    let lead = find(&ds, "targets[0].policies[0].lead_seconds");
    assert_eq!(lead.line, Some(12));
    assert!(
        lead.message.contains("one metric period (300 s)"),
        "{}",
        lead.message
    );
    assert!(find(&ds, "targets[0].policies[0].history_days")
        .message
        .contains("2 to 28"));
    assert!(find(&ds, "targets[0].policies[0].max_error")
        .message
        .contains("above 0"));
    let g = write(
        &dir,
        "ok.toml",
        "[[targets]]\nname = \"a\"\nresource_id = \"endpoint/a/variant/v\"\nmin = 1\nmax = 10\n\n[[targets.policies]]\nname = \"p\"\ntype = \"predictive\"\nmetric = { predefined = \"Invocations\", period = 300 }\ntarget = 500.0\n",
    );
    let (set, _) = policy::load(&[g]).unwrap_or_else(|d| panic!("{d}"));
    let sagescale::engine::PolicyKind::Predictive(p) = &set.targets[0].policies[0].kind else {
        panic!("predictive")
    };
    assert_eq!(
        p.mode,
        sagescale::engine::predictive::PredictiveMode::ForecastOnly
    );
    // Seven days of 5-minute history, plus the lead and the back-test.
    assert!(set.metric_history[0] >= 7 * 288);
}

#[test]
fn backlog_deadline_is_for_async_endpoints_and_checks_its_numbers() {
    let dir = tmpdir("deadline");
    let f = write(
        &dir,
        "d.yaml",
        "targets:\n  - name: a\n    resource_id: endpoint/a/variant/v\n    min: 1\n    max: 4\n    policies:\n      - name: d\n        type: backlog-deadline\n        instance_throughput_per_minute: 0\n        deadline_seconds: 30\n        safety: 1.5\n",
    );
    let ds = problems(&[f]);
    assert!(find(&ds, "targets[0].policies[0].type")
        .message
        .contains("async endpoints"));
    let t = find(&ds, "targets[0].policies[0].instance_throughput_per_minute");
    assert_eq!(t.line, Some(9));
    assert!(find(&ds, "targets[0].policies[0].deadline_seconds")
        .message
        .contains("between 60"));
    assert!(find(&ds, "targets[0].policies[0].safety")
        .message
        .contains("at most 1"));
    let (set, _) = policy::load(&[PathBuf::from("simulations/policies/batch-deadline.yaml")])
        .unwrap_or_else(|d| panic!("{d}"));
    assert!(matches!(
        set.targets[0].policies[0].kind,
        sagescale::engine::PolicyKind::BacklogDeadline(_)
    ));
    assert_eq!(set.metrics.len(), 2, "backlog and age");
}

#[test]
fn a_quality_guard_checks_its_thresholds_and_its_fallback_across_files() {
    let dir = tmpdir("guard");
    let guard = |fallback: &str, shift: &str, clear: &str| {
        format!(
            "targets:\n  - name: a\n    resource_id: endpoint/e/variant/a\n    min: 1\n    max: 4\n    policies:\n      - name: q\n        type: quality-guard\n        fallback: {fallback}\n        shift: {shift}\n        checks:\n          - metric: {{ namespace: x, name: err }}\n            comparison: GreaterThanThreshold\n            threshold: 0.05\n            clear: {clear}\n"
        )
    };
    // Its own numbers: a share above 1, a clear threshold that itself breaches.
    let a = write(&dir, "a.yaml", &guard("b", "1.5", "0.08"));
    let ds = problems(std::slice::from_ref(&a));
    let shift = find(&ds, "targets[0].policies[0].shift");
    assert_eq!(shift.line, Some(10));
    assert!(shift.message.contains("(0, 1]"), "{}", shift.message);
    assert!(find(&ds, "targets[0].policies[0].checks[0].clear")
        .message
        .contains("good side"));
    // The fallback, checked across files: it must exist, on the same endpoint.
    let a = write(&dir, "a.yaml", &guard("b", "0.5", "0.02"));
    let missing = problems(std::slice::from_ref(&a));
    assert!(find(&missing, "targets[0].policies[0].fallback")
        .message
        .contains("no target named `b`"));
    let b = write(
        &dir,
        "b.yaml",
        "targets:\n  - name: b\n    resource_id: endpoint/other/variant/b\n    min: 1\n    max: 4\n    policies: []\n",
    );
    let elsewhere = problems(&[a.clone(), b.clone()]);
    let d = find(&elsewhere, "targets[0].policies[0].fallback");
    assert_eq!(
        (d.file.file_name().unwrap(), d.line),
        ("a.yaml".as_ref(), Some(9))
    );
    assert!(d.message.contains("another variant of endpoint `e`"));
    // Guards do not chain.
    std::fs::write(
        &b,
        guard("a", "1", "0.02").replace(
            "name: a\n    resource_id: endpoint/e/variant/a",
            "name: b\n    resource_id: endpoint/e/variant/b",
        ),
    )
    .unwrap();
    let chained = problems(&[a.clone(), b.clone()]);
    assert!(find(&chained, "targets[0].policies[0].fallback")
        .message
        .contains("guards do not chain"));
    // The bundled example compiles, with the fallback's variant filled in.
    let (set, _) = policy::load(&[PathBuf::from("policies/fraud-quality-guard.yaml")])
        .unwrap_or_else(|d| panic!("{d}"));
    let sagescale::engine::PolicyKind::QualityGuard(g) = &set.targets[0].policies[1].kind else {
        panic!("not a guard");
    };
    assert_eq!(
        (
            g.endpoint.as_str(),
            g.variant.as_str(),
            g.fallback_variant.as_str()
        ),
        ("fraud-scoring", "challenger", "champion")
    );
    assert_eq!(g.checks.len(), 2);
}

#[test]
fn a_per_container_metric_is_refused_as_a_total_and_accepted_per_unit() {
    let dir = tmpdir("per-unit");
    let policy = |metric: &str, extra: &str, kind: &str| {
        format!("[[targets]]\nname = \"a\"\nresource_id = \"endpoint/a/variant/v\"\nmin = 1\nmax = 10\n\n[[targets.policies]]\nname = \"b\"\ntype = \"{kind}\"\nmetric = {{ predefined = \"{metric}\" }}\ntarget = 2.0\n{extra}")
    };
    // (metric, extra lines, kind, the field in error or None, words the message must hold)
    type Row<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, &'a [&'a str]);
    let rows: [Row<'_>; 7] = [
        (
            "ConcurrentRequestsPerModel",
            "",
            "burst-aware",
            Some("metric"),
            &[
                "measures one model container",
                "load = \"per-unit\"",
                "Invocations",
            ],
        ),
        (
            "ConcurrentRequestsPerModel",
            "load = \"total\"\n",
            "burst-aware",
            Some("metric"),
            &["not the whole target's load"],
        ),
        (
            "SageMakerVariantConcurrentRequestsPerModelHighResolution",
            "load = \"per-unit\"\n",
            "burst-aware",
            None,
            &[],
        ),
        ("Invocations", "", "burst-aware", None, &[]),
        (
            "Invocations",
            "load = \"per-unit\"\n",
            "burst-aware",
            Some("load"),
            &["already measures the whole variant", "drop"],
        ),
        (
            "CPUUtilization",
            "load = \"per-unit\"\n",
            "burst-aware",
            Some("metric"),
            &["utilisation, not a load"],
        ),
        (
            "ConcurrentRequestsPerModel",
            "",
            "predictive",
            Some("metric"),
            &["a forecast needs the whole target's load"],
        ),
    ];
    for (i, (metric, extra, kind, field, words)) in rows.iter().enumerate() {
        let f = write(&dir, &format!("p{i}.toml"), &policy(metric, extra, kind));
        let out = sagescale::policy::load(std::slice::from_ref(&f));
        match (field, out) {
            (None, Ok(_)) => {}
            (None, Err(ds)) => panic!("row {i}: {metric} {extra:?} should validate: {ds}"),
            (Some(_), Ok(_)) => panic!("row {i}: {metric} {extra:?} should be refused"),
            (Some(field), Err(ds)) => {
                let d = find(&ds.0, &format!("targets[0].policies[0].{field}"));
                for w in *words {
                    assert!(
                        d.message.contains(w),
                        "row {i}: `{w}` not in: {}",
                        d.message
                    );
                }
                assert!(d.line.is_some(), "row {i}: no line");
            }
        }
    }
}

#[test]
fn an_unknown_predefined_metric_suggests_the_nearest_name() {
    let dir = tmpdir("did-you-mean");
    let f = write(
        &dir,
        "p.toml",
        "[[targets]]\nname = \"a\"\nresource_id = \"endpoint/a/variant/v\"\nmin = 1\nmax = 10\n\n[[targets.policies]]\nname = \"t\"\ntype = \"target-tracking\"\nmetric = { predefined = \"InvocationPerInstance\" }\ntarget = 100.0\n",
    );
    let ds = problems(&[f]);
    let m = find(&ds, "targets[0].policies[0].metric.predefined");
    assert!(
        m.message.contains("did you mean `InvocationsPerInstance`?"),
        "{}",
        m.message
    );
}

#[test]
fn docs_metrics_holds_the_catalogue_as_generated() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md")).unwrap();
    let table = sagescale::metrics::catalogue::markdown_table();
    assert!(
        doc.contains(&table),
        "docs/metrics.md is out of date with the catalogue: replace its table with the output of `sagescale schema --metrics`"
    );
    // The emulation section names every metric the catalogue has.
    let emulation = doc
        .split("## How the simulator emulates each metric")
        .nth(1)
        .unwrap();
    for d in sagescale::metrics::catalogue::CATALOGUE {
        let short = d
            .name
            .trim_start_matches("ServerlessProvisionedConcurrency");
        let named = emulation.contains(&format!("`{}`", d.name))
            || emulation.contains(&format!("`…{short}`"))
            || (d.namespace == sagescale::metrics::catalogue::INFERENCE_COMPONENTS
                && emulation.contains("the `/aws/sagemaker/InferenceComponents` metrics"));
        assert!(
            named,
            "docs/metrics.md does not say how {} is emulated",
            d.name
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["schema", "--metrics"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), table);
}

#[test]
fn a_component_that_may_reach_zero_copies_gets_the_built_in_wake() {
    let ic = |extra: &str, min: u32| {
        format!(
            "[[targets]]\nname = \"ic\"\nresource_id = \"inference-component/ic\"\nmin = {min}\nmax = 4\n{extra}\n[[targets.policies]]\nname = \"tt\"\ntype = \"target-tracking\"\nmetric = {{ predefined = \"ConcurrentRequestsPerCopy\" }}\ntarget = 4\n"
        )
    };
    let load = |text: &str| sagescale::policy::load_text(Path::new("ic.toml"), text);
    let set = load(&ic("", 0)).unwrap();
    let t = &set.targets[0];
    let wake = t
        .policies
        .iter()
        .find(|p| p.name == "wake-from-zero")
        .expect("the built-in wake");
    let sagescale::engine::PolicyKind::Step(s) = &wake.kind else {
        panic!("{wake:?}")
    };
    assert_eq!((s.steps[0].adjustment, s.alarm.threshold), (1, 1.0));
    let q = &set.metrics[s.alarm.metric.index()];
    assert_eq!(
        q.to_string(),
        "AWS/SageMaker/NoCapacityInvocationFailures Sum 60s"
    );
    // min 1 needs no wake; it can be asked for, or turned off.
    assert_eq!(load(&ic("", 1)).unwrap().targets[0].policies.len(), 1);
    assert_eq!(
        load(&ic("wake_from_zero = true", 1)).unwrap().targets[0]
            .policies
            .len(),
        2
    );
    assert_eq!(
        load(&ic("wake_from_zero = false", 0)).unwrap().targets[0]
            .policies
            .len(),
        1
    );
    // A policy of the wake's name, and a wake on a variant, are refused at their fields.
    let clash = ic("", 0).replace("name = \"tt\"", "name = \"wake-from-zero\"");
    let e = load(&clash).unwrap_err().to_string();
    assert!(
        e.contains("targets[0].policies[0].name") && e.contains("set `wake_from_zero = false`"),
        "{e}"
    );
    let variant = "[[targets]]\nname = \"v\"\nresource_id = \"endpoint/v/variant/AllTraffic\"\nmin = 1\nmax = 4\nwake_from_zero = true\n";
    let e = load(variant).unwrap_err().to_string();
    assert!(
        e.contains("targets[0].wake_from_zero") && e.contains("only an inference component"),
        "{e}"
    );
}

#[test]
fn slo_policies_check_their_objective_and_refuse_async_endpoints() {
    let dir = tmpdir("slo");
    let f = write(
        &dir,
        "slo.toml",
        "[[targets]]\nname = \"a\"\nresource_id = \"endpoint/a/variant/v\"\nmin = 1\nmax = 10\n\n[[targets.policies]]\nname = \"s\"\ntype = \"slo\"\np99_latency_ms = 0\nmax_error_rate = 1.5\nrisk = 0.9\nrelaunch_cost_minutes = 500\nband_history_hours = 48\nlead_seconds = 10\nseasonal_days = 1\n\n[[targets]]\nname = \"q\"\nresource_id = \"endpoint/q/variant/v\"\nworkload = \"async\"\nmin = 0\nmax = 4\n\n[[targets.policies]]\nname = \"s\"\ntype = \"slo\"\np99_latency_ms = 400\n\n[[targets]]\nname = \"c\"\nresource_id = \"inference-component/c\"\nmin = 0\nmax = 4\nwake_from_zero = false\n\n[[targets.policies]]\nname = \"s\"\ntype = \"slo\"\np99_latency_ms = 400\n",
    );
    let ds = problems(&[f]);
    // An inference component's slo is valid (its metrics are published per component).
    let component: Vec<_> = ds
        .iter()
        .filter(|d| d.path.starts_with("targets[2]"))
        .collect();
    assert!(component.is_empty(), "{component:?}");
    let p99 = find(&ds, "targets[0].policies[0].p99_latency_ms");
    assert_eq!(p99.line, Some(10));
    assert!(p99.message.contains("above 0"), "{}", p99.message);
    for (field, needle) in [
        ("max_error_rate", "below 1"),
        ("risk", "at most 0.5"),
        ("relaunch_cost_minutes", "0 to 240"),
        ("band_history_hours", "1 to 24 hours"),
        ("lead_seconds", "between 60 and 3600"),
        ("seasonal_days", "2 to 28"),
    ] {
        let d = find(&ds, &format!("targets[0].policies[0].{field}"));
        assert!(d.message.contains(needle), "{field}: {}", d.message);
    }
    let kind = find(&ds, "targets[1].policies[0].type");
    assert!(
        kind.message.contains("backlog-deadline"),
        "{}",
        kind.message
    );

    // The copyable example compiles to an slo policy reading only CloudWatch metrics: the
    // load, the latency mean and percentiles, and the 5-minute history its forecast needs.
    let (set, _) = policy::load(&[PathBuf::from("policies/slo-realtime.toml")])
        .unwrap_or_else(|d| panic!("{d}"));
    let sagescale::engine::PolicyKind::Slo(s) = &set.targets[0].policies[0].kind else {
        panic!("slo")
    };
    assert!((s.p99_s - 0.4).abs() < 1e-12 && (s.risk - 0.01).abs() < 1e-12);
    // On a variant a missing Invocations datapoint is unknown to the forecast.
    assert!(s.forecast.as_ref().is_some_and(|f| !f.missing_is_zero));
    // A variant has no NoCapacityInvocationFailures: its forecast reads Invocations alone.
    let forecast = s
        .forecast
        .as_ref()
        .map(|f| &set.metrics[f.metric.0 as usize]);
    assert!(
        matches!(forecast, Some(sagescale::metrics::MetricQuery::Stat(m)) if m.name == "Invocations" && m.period.0 == 300),
        "{forecast:?}"
    );
    // SageMaker publishes no Invocations datapoint of zero; the instances publish their
    // CPUUtilization every minute: two minutes with it and without the load had no requests.
    let Some(sagescale::engine::slo::IdleSign::InstancesPublished(cpu)) = s.idle else {
        panic!("{:?}", s.idle)
    };
    assert!(
        matches!(&set.metrics[cpu.0 as usize], sagescale::metrics::MetricQuery::Stat(m)
            if m.name == "CPUUtilization" && m.namespace == "/aws/sagemaker/Endpoints"
                && m.period.0 == 60 && m.statistic.to_string() == "Average"
                && m.dimensions.iter().any(|(k, _)| k == "VariantName")),
        "{:?}",
        set.metrics[cpu.0 as usize]
    );
    let names: Vec<String> = set.metrics.iter().map(|q| q.to_string()).collect();
    for m in ["Invocations", "ModelLatency"] {
        assert!(
            names.iter().any(|n| n.contains(m)),
            "{m} not read: {names:?}"
        );
    }

    // On an inference component it reads the component's own Invocations and ModelLatency,
    // and its copies' in-flight count (an idle copy's 0 is how it knows there was no load);
    // with min 0 the built-in wake comes with it.
    let f = write(
        &dir,
        "slo-ic.toml",
        "[[targets]]\nname = \"c\"\nresource_id = \"inference-component/chat\"\nmin = 0\nmax = 4\n\n[[targets.policies]]\nname = \"s\"\ntype = \"slo\"\np99_latency_ms = 15000\nseasonal_days = 0\n",
    );
    let (set, _) = policy::load(&[f]).unwrap_or_else(|d| panic!("{d}"));
    let t = &set.targets[0];
    let sagescale::engine::PolicyKind::Slo(s) = &t.policies[0].kind else {
        panic!("slo")
    };
    assert!(
        matches!(
            s.idle,
            Some(sagescale::engine::slo::IdleSign::ZeroInFlight(_))
        ) && s.forecast.is_none()
    );
    assert_eq!(t.policies.len(), 2, "the slo and the built-in wake");
    // With its forecast (the default 7 days), an idle component's missing Invocations are no
    // requests, so the forecast can wake it ahead of a daily job.
    let f = write(
        &dir,
        "slo-ic-forecast.toml",
        "[[targets]]\nname = \"c\"\nresource_id = \"inference-component/chat\"\nmin = 0\nmax = 4\n\n[[targets.policies]]\nname = \"s\"\ntype = \"slo\"\np99_latency_ms = 15000\n",
    );
    let (forecasting, _) = policy::load(&[f]).unwrap_or_else(|d| panic!("{d}"));
    let sagescale::engine::PolicyKind::Slo(fs) = &forecasting.targets[0].policies[0].kind else {
        panic!("slo")
    };
    assert!(fs.forecast.as_ref().is_some_and(|f| f.missing_is_zero));
    // It forecasts the component's demand, not only what its copies served: at zero copies a
    // request publishes no Invocations but counts in NoCapacityInvocationFailures, so the
    // forecast reads both, each missing datapoint as 0, over 300 s.
    let Some(f) = &fs.forecast else {
        panic!("forecast")
    };
    let sagescale::metrics::MetricQuery::Expression {
        expression,
        period,
        inputs,
    } = &forecasting.metrics[f.metric.0 as usize]
    else {
        panic!("{:?}", forecasting.metrics[f.metric.0 as usize])
    };
    assert_eq!(expression, "FILL(served, 0) + FILL(refused, 0)");
    assert_eq!(period.0, 300);
    let inputs: Vec<String> = inputs
        .iter()
        .map(|(id, m)| {
            format!(
                "{id}: {} {} {}s {:?}",
                m.name, m.statistic, m.period.0, m.dimensions
            )
        })
        .collect();
    assert_eq!(
        inputs,
        [
            "refused: NoCapacityInvocationFailures Sum 300s [(\"InferenceComponentName\", \"chat\")]",
            "served: Invocations Sum 300s [(\"InferenceComponentName\", \"chat\")]",
        ]
    );
    let mut read: Vec<(String, String)> = Vec::new();
    for q in &set.metrics {
        let sagescale::metrics::MetricQuery::Stat(m) = q else {
            panic!("{q}")
        };
        assert_eq!(
            m.dimensions,
            [("InferenceComponentName".to_string(), "chat".to_string())],
            "{q}"
        );
        read.push((m.name.clone(), m.statistic.to_string()));
    }
    for (name, stat) in [
        ("Invocations", "Sum"),
        ("ModelLatency", "p99"),
        ("ConcurrentRequestsPerCopy", "Maximum"),
        ("NoCapacityInvocationFailures", "Sum"),
    ] {
        assert!(
            read.contains(&(name.to_string(), stat.to_string())),
            "{name} {stat} not read: {read:?}"
        );
    }
    // A variant-only metric on a component names what a component publishes.
    let f = write(
        &dir,
        "tt-ic.toml",
        "[[targets]]\nname = \"c\"\nresource_id = \"inference-component/chat\"\nmin = 1\nmax = 4\n\n[[targets.policies]]\nname = \"t\"\ntype = \"target-tracking\"\nmetric = { predefined = \"InvocationsPerInstance\" }\ntarget = 10\n",
    );
    let ds = problems(&[f]);
    let d = find(&ds, "targets[0].policies[0].metric.predefined");
    assert!(
        d.message.contains("ConcurrentRequestsPerCopy") && d.message.contains("ModelLatency"),
        "{}",
        d.message
    );

    // `schema` documents the kind and its fields.
    let out = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .arg("schema")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "\"slo\"",
        "p99_latency_ms",
        "relaunch_cost_minutes",
        "band_history_hours",
        "seasonal_days",
    ] {
        assert!(text.contains(needle), "schema lacks {needle}");
    }
}
