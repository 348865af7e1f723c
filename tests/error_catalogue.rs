//! A catalogue of broken inputs and the exact errors users get for them: each names the file,
//! the line (and column or field where the format has one) and the problem.

use std::path::Path;
use std::process::Command;

fn sagescale(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).to_string()
}

const TARGET: &str = "[[targets]]\nname = \"a\"\nresource_id = \"endpoint/a/variant/v\"\n";

#[test]
fn every_broken_input_gets_its_located_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, text: &[u8]| std::fs::write(d.join(name), text).unwrap();
    let config = "policy_dir = \"p\"\nstate_file = \"state.json\"\ndecision_log = \"d.jsonl\"\n";
    let worldcup = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("simulations/worldcup98.toml"),
    )
    .unwrap();

    let cases: Vec<(&str, Vec<u8>, Vec<&str>, &str)> = vec![
        ("overflow.toml", format!("{TARGET}min = 0\nmax = 1e400\n").into_bytes(), vec!["validate", "overflow.toml"],
         "overflow.toml:5:7: cannot parse: floating-point number overflowed"),
        ("bounds.toml", format!("{TARGET}min = 5\nmax = 2\n").into_bytes(), vec!["validate", "bounds.toml"],
         "bounds.toml:4:1: targets[0].min: min 5 is above max 2"),
        ("typo.toml", format!("{TARGET}min = 1\nmax = 2\nmx = 3\n").into_bytes(), vec!["validate", "typo.toml"],
         "typo.toml:6:1: targets[0].mx: unknown field `mx`"),
        ("metric.yaml", b"targets:\n  - name: a\n    resource_id: endpoint/a/variant/v\n    min: 1\n    max: 4\n    policies:\n      - name: t\n        type: target-tracking\n        metric: { predefined: NoSuchMetric }\n        target: 10\n".to_vec(),
         vec!["validate", "metric.yaml"],
         "metric.yaml:9:19: targets[0].policies[0].metric.predefined: unknown predefined metric `NoSuchMetric`"),
        ("cron.toml", format!("{TARGET}min = 1\nmax = 4\n[[targets.policies]]\nname = \"s\"\ntype = \"scheduled\"\nschedule = \"cron(61 8 * * ? *)\"\nmin = 2\n").into_bytes(),
         vec!["validate", "cron.toml"],
         "cron.toml:9:1: targets[0].policies[0].schedule: `cron(61 8 * * ? *)`: the minutes field has 61: minutes run 0-59"),
        ("wrongtype.toml", format!("{TARGET}min = 1\nmax = 4\n[[targets.policies]]\nname = \"tt\"\ntype = \"target-tracking\"\nmetric = {{ predefined = \"InvocationsPerInstance\" }}\ntarget = \"750\"\n").into_bytes(),
         vec!["validate", "wrongtype.toml"],
         "wrongtype.toml:10:1: targets[0].policies[0].target: invalid type: string \"750\", expected a number: `\"750\"` is text; write the number without quotes"),
        ("sched-min.toml", format!("{TARGET}min = 1\nmax = 4\n[[targets.policies]]\nname = \"s\"\ntype = \"scheduled\"\nschedule = \"cron(0 8 * * ? *)\"\nmin = 6\n").into_bytes(),
         vec!["validate", "sched-min.toml"],
         "sched-min.toml:10:1: targets[0].policies[0].min: 6 is above the target's max (4), which this action leaves in force"),
        ("overlap-scenario.toml", worldcup.replace("until = \"1998-06-24T00:00:00Z\" }", "until = \"1998-06-25T00:00:00Z\" }").into_bytes(),
         vec!["simulate", "overlap-scenario.toml"],
         "overlap-scenario.toml:19:1: evaluation.train: 1998-06-17T00:00:00Z..1998-06-25T00:00:00Z overlaps the test window starting 1998-06-24T00:00:00Z"),
        ("cv-scenario.toml", worldcup.replace("concurrency = 2\n", "concurrency = 2\nlatency_cv = -1\n").into_bytes(),
         vec!["simulate", "cv-scenario.toml"],
         "cv-scenario.toml:28:1: targets[0].latency_cv: -1: a coefficient of variation from 0 (deterministic) to 10"),
        ("math.toml", format!("{TARGET}min = 1\nmax = 4\n[[targets.policies]]\nname = \"m\"\ntype = \"target-tracking\"\ntarget = 5\nmetric = {{ expression = \"a / (\", metrics = {{ a = {{ predefined = \"Invocations\" }} }} }}\n").into_bytes(),
         vec!["validate", "math.toml"],
         "math.toml:10:12: targets[0].policies[0].metric.expression: the expression ends where an operand was expected"),
        ("counts.csv", b"timestamp,count\n2026-11-17T00:00:00Z,5\n2026-11-17T00:01:00Z,five\n".to_vec(),
         vec!["simulate", "scenario.toml", "--trace", "counts.csv"],
         "counts.csv:3: column `count`: `five` is not a number"),
        ("garbage.csv.gz", vec![0x1f, 0x8b, 0x08, 0, 1, 2, 3],
         vec!["simulate", "scenario.toml", "--trace", "garbage.csv.gz"],
         "garbage.csv.gz: not valid gzip"),
        ("typo-scenario.toml", worldcup.replace("\nseed = ", "\nsede = ").into_bytes(),
         vec!["simulate", "typo-scenario.toml"],
         "typo-scenario.toml:8:1: sede: unknown field `sede`"),
        ("ha.toml", format!("{config}[ha]\ntable = \"leases\"\nttl_seconds = 1\n").into_bytes(), vec!["run", "--config", "ha.toml"],
         "ha.toml:6:1: ha.ttl_seconds: must lie between 2 and 600 seconds"),
        ("insecure.toml", format!("{config}[aws.endpoints]\nsagemaker = \"http://sagemaker.example.com\"\n").into_bytes(),
         vec!["run", "--config", "insecure.toml"],
         "insecure.toml:4:2: aws: endpoint URL `http://sagemaker.example.com` for sagemaker: AWS calls use HTTPS"),
        ("scheme.toml", format!("{config}[aws.endpoints]\nsagemaker = \"127.0.0.1:5000\"\n").into_bytes(),
         vec!["run", "--config", "scheme.toml"],
         "scheme.toml:4:2: aws: endpoint URL `127.0.0.1:5000` for sagemaker has no scheme: write `https://127.0.0.1:5000`, or `http://127.0.0.1:5000` for an emulator on a loopback address"),
        ("listen.toml", format!("{config}admin_listen = \"everywhere\"\n").into_bytes(), vec!["run", "--config", "listen.toml"],
         "listen.toml:4:1: admin_listen: invalid socket address syntax"),
        ("export-burst.toml", format!("{TARGET}min = 1\nmax = 4\n[[targets.policies]]\nname = \"b\"\ntype = \"burst-aware\"\nmetric = {{ predefined = \"Invocations\" }}\ntarget = 900\n").into_bytes(),
         vec!["export", "export-burst.toml", "--format", "terraform"],
         "export-burst.toml: targets[0].policies[0] (`b`): `burst-aware` is a sagescale policy kind: Application Auto Scaling has no equivalent"),
        ("export-cron.toml", format!("{TARGET}min = 1\nmax = 4\n[[targets.policies]]\nname = \"s\"\ntype = \"scheduled\"\nschedule = \"cron(0 8 1 * 1)\"\nmin = 2\n").into_bytes(),
         vec!["export", "export-cron.toml", "--format", "cloudformation"],
         "`cron(0 8 1 * 1)` is a 5-field cron whose day fields have no exact AWS form: write it in AWS's 6-field form"),
    ];
    // A scenario the trace override can apply to.
    let mut scenario = worldcup.clone();
    scenario = scenario.replace(
        "traces/",
        &format!("{}/simulations/traces/", env!("CARGO_MANIFEST_DIR")),
    );
    scenario = scenario.replace(
        "policies/",
        &format!("{}/simulations/policies/", env!("CARGO_MANIFEST_DIR")),
    );
    write("scenario.toml", scenario.as_bytes());

    for (file, text, args, expected) in &cases {
        write(file, text);
        let err = sagescale(d, args);
        assert!(
            err.contains(expected),
            "{file}:\nexpected {expected}\ngot      {err}"
        );
    }

    // A near miss is named: the closest field serde expected.
    let err = sagescale(d, &["simulate", "typo-scenario.toml"]);
    assert!(err.contains("; did you mean `seed`?"), "{err}");

    // The state file: refused with where and why, and never reset silently.
    std::fs::create_dir(d.join("p")).unwrap();
    write("p/p.toml", format!("{TARGET}min = 1\nmax = 2\n").as_bytes());
    write("good.toml", config.as_bytes());
    write("state.json", b"{\"version\": 1, \"saved_at\": 5,\n \"engine\": {\"version\": 1, \"targets\": {\"a\": {\"cooldown\": 7}}}}");
    let err = sagescale(d, &["run", "--config", "good.toml"]);
    assert!(
        err.contains("state.json:2:") && err.contains("Refusing to start"),
        "{err}"
    );
    assert!(
        std::fs::read_to_string(d.join("state.json"))
            .unwrap()
            .contains("\"cooldown\": 7"),
        "the state file was changed"
    );
}
