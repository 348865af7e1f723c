//! The files in deploy/: the IAM example is what the generator makes; the ECS definitions,
//! the Dockerfile and the systemd unit reference the right ports, paths and commands; the unit
//! passes `systemd-analyze verify`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json(rel: &str) -> serde_json::Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn sagescale(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_iam_example_is_what_the_generator_makes_and_is_scoped() {
    let out = sagescale(&[
        "iam-policy",
        "policies/",
        "--region",
        "us-east-1",
        "--account",
        "123456789012",
        "--lease-table",
        "sagescale-lease",
        "--publish-metrics",
    ]);
    assert!(out.status.success());
    let generated: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        generated,
        json("deploy/iam/policy.json"),
        "deploy/iam/policy.json drifted: regenerate it (deploy/iam/README.md)"
    );
    let statements = generated["Statement"].as_array().unwrap();
    let by_sid = |sid: &str| statements.iter().find(|s| s["Sid"] == sid).unwrap().clone();
    // Exactly the endpoints of the policy set, each by ARN.
    let endpoints = by_sid("ManagedEndpoints")["Resource"].clone();
    let endpoints: Vec<&str> = endpoints
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        endpoints,
        vec![
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/catalog-models",
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/document-embeddings",
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-scoring",
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/recommendations-prod",
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/search-ranking-prod",
        ]
    );
    // Wildcards only where AWS has no resource-level permission, each documented.
    // Wildcards in a resource name ("endpoint-config/*") too: only where the policy file
    // cannot name it, each documented. (RegisterScalableTargets' is bounded by its conditions,
    // checked below.)
    for s in statements {
        let resources = match &s["Resource"] {
            serde_json::Value::Array(a) => a.iter().filter_map(|r| r.as_str()).collect(),
            r => r.as_str().into_iter().collect::<Vec<_>>(),
        };
        let wild = resources
            .iter()
            .any(|r| r.contains('*') && !r.contains("scalable-target/*"));
        if wild {
            let sid = s["Sid"].as_str().unwrap();
            assert!(
                [
                    "ReadMetrics",
                    "ListEndpoints",
                    "ReadScalableTargets",
                    "PublishOwnMetrics",
                    "ReadEndpointConfigs",
                    "ReadComponentEndpoints",
                    "ListInferenceComponents"
                ]
                .contains(&sid),
                "unexpected wildcard in {sid}"
            );
            assert!(
                read("docs/operations.md").contains(sid),
                "docs/operations.md does not explain {sid}"
            );
        }
    }
    let register = by_sid("RegisterScalableTargets");
    assert_eq!(
        register["Condition"]["StringEquals"]["application-autoscaling:service-namespace"],
        "sagemaker"
    );
    assert_eq!(
        by_sid("LeaderLease")["Resource"],
        "arn:aws:dynamodb:us-east-1:123456789012:table/sagescale-lease"
    );
    assert_eq!(
        by_sid("PublishOwnMetrics")["Condition"]["StringEquals"]["cloudwatch:namespace"],
        "sagescale"
    );
}

#[test]
fn the_ecs_definitions_reference_the_right_ports_paths_and_role() {
    let task = json("deploy/ecs/task-definition.json");
    let service = json("deploy/ecs/service-definition.json");
    // The config the image carries loads, and gives the port and paths to check.
    let config = sagescale::daemon::config::load(&root().join("deploy/ecs/sagescale.toml"), [])
        .unwrap()
        .doc;
    let admin_port = config.admin_listen.port();
    let c = &task["containerDefinitions"][0];
    assert_eq!(c["portMappings"][0]["containerPort"], admin_port);
    let health: Vec<&str> = c["healthCheck"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(health[0], "CMD", "exec form: the image has no shell");
    assert_eq!(health[1], "/usr/local/bin/sagescale");
    assert_eq!(health[2], "healthcheck");
    assert_eq!(health[4], format!("http://127.0.0.1:{admin_port}/healthz"));
    assert_eq!(c["readonlyRootFilesystem"], true);
    let user = c["user"].as_str().unwrap();
    assert!(
        !user.starts_with("0") && user != "root",
        "runs as root: {user}"
    );
    assert_eq!(c["logConfiguration"]["logDriver"], "awslogs");
    assert!(task["taskRoleArn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:iam::"));
    // The writable volume holds the state file and the decision log; policies are mounted
    // where the config reads them.
    let mounts = c["mountPoints"].as_array().unwrap();
    let mounted = |p: &str| {
        mounts
            .iter()
            .any(|m| Path::new(p).starts_with(m["containerPath"].as_str().unwrap()))
    };
    for (key, path) in [
        ("state_file", &config.state_file),
        ("decision_log", &config.decision_log),
        ("policy_dir", &config.policy_dir),
    ] {
        assert!(
            mounted(path.to_str().unwrap()),
            "{key} is not on a mounted volume"
        );
    }
    assert_eq!(service["taskDefinition"], task["family"]);
    assert_eq!(c["command"][2], "/etc/sagescale/sagescale.toml");
}

#[test]
fn the_dockerfile_is_multi_stage_minimal_and_non_root() {
    let text = read("deploy/ecs/Dockerfile");
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "build stage and runtime stage");
    assert!(
        froms[1].contains("distroless"),
        "runtime image: {}",
        froms[1]
    );
    assert!(text.lines().any(|l| l.trim() == "USER nonroot:nonroot"));
    let entry = text.lines().find(|l| l.starts_with("ENTRYPOINT")).unwrap();
    assert!(
        entry.contains("[\"/usr/local/bin/sagescale\"]"),
        "exec form, no shell: {entry}"
    );
    for l in text
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let src = l.split_whitespace().nth(1).unwrap();
        assert!(
            src == "." || root().join(src).exists(),
            "COPY of a missing file: {src}"
        );
    }
    // hadolint, where installed, has the last word.
    if let Ok(out) = Command::new("hadolint")
        .arg(root().join("deploy/ecs/Dockerfile"))
        .output()
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn the_systemd_unit_is_hardened_and_verifies() {
    let unit = read("deploy/systemd/sagescale.service");
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "StateDirectory=sagescale",
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "RestrictAddressFamilies=",
        "EnvironmentFile=-/etc/default/sagescale",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(unit.lines().any(|l| l.starts_with(line)), "missing {line}");
    }
    let env = read("deploy/systemd/sagescale.env");
    assert!(env.lines().any(|l| l.starts_with("SAGESCALE_CONFIG=")));
    // The example config keeps its files in the unit's state directory.
    let config = sagescale::daemon::config::load(&root().join("deploy/config/sagescale.toml"), [])
        .unwrap()
        .doc;
    for path in [&config.state_file, &config.decision_log] {
        assert!(
            path.starts_with("/var/lib/sagescale/"),
            "{}",
            path.display()
        );
    }

    // systemd-analyze verify needs ExecStart to exist: point it at the binary under test.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("sagescale.service");
    std::fs::write(
        &copy,
        unit.replace("/usr/local/bin/sagescale", env!("CARGO_BIN_EXE_sagescale")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .expect("systemd-analyze (scripts/test.sh installs systemd if it is missing)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let ours: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("sagescale.service"))
        .collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify:\n{text}"
    );
}

/// Every `sagescale_*` series a PromQL expression names.
fn promql_metrics(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("sagescale_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

#[test]
fn the_dashboards_name_only_metrics_the_daemon_exports() {
    // What /metrics exposes: each family's TYPE line, with the suffixes its samples carry.
    // Families render once they have a sample: give each one.
    let t = sagescale::daemon::telemetry::Telemetry::new();
    t.decision("t", sagescale::engine::Direction::Out);
    t.set_capacity("t", "current", 1);
    t.actuation("t", "scale_out", "ok");
    t.quality_guard("t", sagescale::engine::quality::GuardPhase::Healthy);
    t.forecast(
        "t",
        &sagescale::engine::Reason::Forecast {
            load: 1.0,
            floor: 1,
            error: 0.1,
            max_error: 0.3,
            holds: true,
        },
    );
    t.set_build_info("0", "c", "d");
    sagescale::core::CallObserver::attempt(&t, "sagemaker", "DescribeEndpoint", Ok(()));
    let text = t.render();
    let mut exported = std::collections::BTreeSet::new();
    for l in text.lines() {
        let mut parts = l.split_whitespace();
        if let (Some("#"), Some("TYPE"), Some(name), Some(kind)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        {
            let series: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_sum", "_count"],
                _ => &[""],
            };
            for s in series {
                exported.insert(format!("{name}{s}"));
            }
        }
    }
    let grafana = json("deploy/dashboards/grafana-sagescale.json");
    let mut named = 0;
    for p in grafana["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            for m in promql_metrics(t["expr"].as_str().unwrap()) {
                assert!(
                    exported.contains(&m),
                    "panel `{}` reads {m}, which /metrics does not export: {exported:?}",
                    p["title"]
                );
                named += 1;
            }
        }
    }
    assert!(named >= 14, "{named}");
    let templ = grafana["templating"]["list"][0]["definition"]
        .as_str()
        .unwrap();
    for m in promql_metrics(templ) {
        assert!(exported.contains(&m), "{m}");
    }

    let cw = json("deploy/dashboards/cloudwatch-sagescale.json");
    let mut own = 0;
    for w in cw["widgets"].as_array().unwrap() {
        let Some(metrics) = w["properties"]["metrics"].as_array() else {
            continue;
        };
        let expr = metrics[0][0]["expression"].as_str().unwrap();
        if expr.contains("{sagescale") {
            let name = expr
                .split("MetricName=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap();
            assert!(
                sagescale::daemon::controller::own::ALL.contains(&name),
                "widget `{}` reads {name}, which sagescale does not publish",
                w["properties"]["title"]
            );
            own += 1;
        }
    }
    assert_eq!(own, 4);
}
