//! Running the real `sagescale` binary against moto: endpoints and metrics set up through the
//! official SDK, the daemon started as a child process with its own config, state file,
//! decision log and admin port.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use sagescale::aws::{AwsClients, AwsSettings, EndpointUrls};

/// moto's URL, from scripts/test.sh.
pub fn moto() -> String {
    std::env::var("MOTO_ENDPOINT_URL").expect(
        "MOTO_ENDPOINT_URL is not set: run the suite with scripts/test.sh, which starts moto's server",
    )
}

/// SDK clients pointed at `url`.
pub async fn clients(url: &str) -> AwsClients {
    let settings = AwsSettings {
        region: Some("us-east-1".into()),
        profile: None,
        endpoints: EndpointUrls {
            cloudwatch: Some(url.into()),
            application_autoscaling: Some(url.into()),
            sagemaker: Some(url.into()),
            dynamodb: Some(url.into()),
            sts: Some(url.into()),
            iam: Some(url.into()),
        },
        timeouts: Default::default(),
    };
    AwsClients::connect(&settings)
        .await
        .expect("loopback endpoints")
}

/// Create a model, endpoint config and endpoint with `instances` instances, and register the
/// variant as a scalable target with `[min, max]`.
pub async fn endpoint(c: &AwsClients, name: &str, instances: i32, min: i32, max: i32) {
    endpoint_variants(c, name, &[("AllTraffic", instances, 1.0)], min, max).await;
}

/// Create a model and an endpoint with `variants` (`(name, instances, weight)`), and register
/// each variant as a scalable target with `[min, max]`.
pub async fn endpoint_variants(
    c: &AwsClients,
    name: &str,
    variants: &[(&str, i32, f32)],
    min: i32,
    max: i32,
) {
    use aws_sdk_sagemaker::types::{
        ContainerDefinition, ProductionVariant, ProductionVariantInstanceType,
    };
    c.sagemaker
        .create_model()
        .model_name(format!("{name}-model"))
        .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker")
        .primary_container(
            ContainerDefinition::builder()
                .image("123456789012.dkr.ecr.us-east-1.amazonaws.com/model:latest")
                .build(),
        )
        .send()
        .await
        .expect("CreateModel");
    let production: Vec<ProductionVariant> = variants
        .iter()
        .map(|&(v, n, w)| {
            ProductionVariant::builder()
                .variant_name(v)
                .model_name(format!("{name}-model"))
                .initial_instance_count(n)
                .initial_variant_weight(w)
                .instance_type(ProductionVariantInstanceType::MlM5Large)
                .build()
        })
        .collect();
    c.sagemaker
        .create_endpoint_config()
        .endpoint_config_name(format!("{name}-config"))
        .set_production_variants(Some(production))
        .send()
        .await
        .expect("CreateEndpointConfig");
    c.sagemaker
        .create_endpoint()
        .endpoint_name(name)
        .endpoint_config_name(format!("{name}-config"))
        .send()
        .await
        .expect("CreateEndpoint");
    for (v, ..) in variants {
        c.autoscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(format!("endpoint/{name}/variant/{v}"))
            .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
            .min_capacity(min)
            .max_capacity(max)
            .send()
            .await
            .expect("RegisterScalableTarget");
    }
}

/// The registered `(min, max)` of an endpoint's AllTraffic variant.
pub async fn bounds(c: &AwsClients, name: &str) -> (i32, i32) {
    let got = c
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_ids(format!("endpoint/{name}/variant/AllTraffic"))
        .send()
        .await
        .expect("DescribeScalableTargets");
    let t = &got.scalable_targets()[0];
    (t.min_capacity(), t.max_capacity())
}

/// Put `value` as `InvocationsPerInstance` for the last `minutes` whole minutes.
pub async fn invocations_per_instance(c: &AwsClients, name: &str, value: f64, minutes: i64) {
    let points: Vec<(i64, f64)> = (1..=minutes).map(|i| (60 * i, value)).collect();
    put_series(c, name, "InvocationsPerInstance", &points).await;
}

/// Put `metric` datapoints for endpoint `name`'s AllTraffic variant in `AWS/SageMaker`:
/// `(seconds before the current minute, value)`.
pub async fn put_series(c: &AwsClients, name: &str, metric: &str, points: &[(i64, f64)]) {
    let dims = [("EndpointName", name), ("VariantName", "AllTraffic")];
    put_metric(c, "AWS/SageMaker", metric, &dims, points).await;
}

/// Wait until the current minute has at least 30 seconds left, so that datapoints put
/// relative to this minute and the clock of the `plan` or `run` that reads them fall in the
/// same minute (with `metric_lag_seconds = 0`, a minute boundary in between makes the newest
/// period one the test never put).
pub async fn early_in_a_minute() {
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        if now % 60 < 30 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Put datapoints of any metric: `(seconds before the current minute, value)`. Waits first
/// until the minute has 30 seconds left (`early_in_a_minute`), so that the test's `plan` or
/// `run` reads them in the minute they were put relative to.
pub async fn put_metric(
    c: &AwsClients,
    namespace: &str,
    metric: &str,
    dimensions: &[(&str, &str)],
    points: &[(i64, f64)],
) {
    early_in_a_minute().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let minute = now - now % 60;
    let dims: Vec<Dimension> = dimensions
        .iter()
        .map(|(k, v)| Dimension::builder().name(*k).value(*v).build())
        .collect();
    for chunk in points.chunks(500) {
        let data: Vec<MetricDatum> = chunk
            .iter()
            .map(|&(ago, value)| {
                MetricDatum::builder()
                    .metric_name(metric)
                    .set_dimensions(Some(dims.clone()))
                    .timestamp(DateTime::from_secs(minute - ago))
                    .value(value)
                    .build()
            })
            .collect();
        c.cloudwatch
            .put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(data))
            .send()
            .await
            .expect("PutMetricData");
    }
}

/// A target-tracking policy file for endpoint `name`: InvocationsPerInstance at `target`,
/// scale-out on 2 of 2 datapoints, bounds `[min, max]`.
pub fn policy(name: &str, target: f64, min: u32, max: u32) -> String {
    format!(
        r#"[[targets]]
name = "{name}"
resource_id = "endpoint/{name}/variant/AllTraffic"
workload = "realtime"
min = {min}
max = {max}

[[targets.policies]]
name = "invocations"
type = "target-tracking"
metric = {{ predefined = "InvocationsPerInstance" }}
target = {target}
scale_out_datapoints = 2
scale_out_evaluation_periods = 2
"#
    )
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A daemon's files and process.
pub struct Daemon {
    /// Working directory (config, policies, state, log).
    pub dir: tempfile::TempDir,
    /// Admin port.
    pub port: u16,
    /// The process, while running.
    pub child: Option<Child>,
}

impl Daemon {
    /// Lay out a config pointing every AWS service at `aws_url`, with `policy_text` as the
    /// only policy file and `extra` appended to the config.
    pub fn new(aws_url: &str, policy_text: &str, extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("policies")).unwrap();
        std::fs::write(dir.path().join("policies/p.toml"), policy_text).unwrap();
        let port = free_port();
        let config = format!(
            r#"policy_dir = "policies"
state_file = "state.json"
decision_log = "decisions.jsonl"
interval_seconds = 1
metric_lag_seconds = 0
admin_listen = "127.0.0.1:{port}"
{extra}
[aws]
region = "us-east-1"
[aws.endpoints]
cloudwatch = "{aws_url}"
application_autoscaling = "{aws_url}"
sagemaker = "{aws_url}"
dynamodb = "{aws_url}"
"#
        );
        std::fs::write(dir.path().join("sagescale.toml"), config).unwrap();
        Self {
            dir,
            port,
            child: None,
        }
    }

    /// A path in the working directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Run `sagescale ARGS --config CONFIG` (`plan`, `explain T`, ...) to its end: the exit
    /// code, and stdout then stderr.
    pub fn cli(&self, args: &[&str]) -> (Option<i32>, String) {
        let o = Command::new(env!("CARGO_BIN_EXE_sagescale"))
            .args(args)
            .arg("--config")
            .arg(self.path("sagescale.toml"))
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    }

    /// Start `sagescale run`; its log goes to `daemon.log`.
    pub fn start(&mut self) {
        self.start_with_env(&[]);
    }

    /// Start `sagescale run` with extra environment variables.
    pub fn start_with_env(&mut self, env: &[(&str, &str)]) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("daemon.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_sagescale"))
            .args(["run", "--config"])
            .arg(self.path("sagescale.toml"))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start sagescale");
        self.child = Some(child);
    }

    /// Send `signal` (e.g. "TERM", "HUP") to the daemon.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id();
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal} {pid}");
    }

    /// SIGTERM and wait; returns the exit status code.
    pub fn stop(&mut self) -> Option<i32> {
        self.signal("TERM");
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return s.code();
            }
            assert!(
                Instant::now() < deadline,
                "the daemon did not stop within 30 s of SIGTERM\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// The daemon's own log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("daemon.log")).unwrap_or_default()
    }

    /// Decision-log records so far.
    pub fn records(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.path("decisions.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Calls in the decision log with `outcome` (`ok`, `dry_run`, `failed`).
    pub fn calls(&self, outcome: &str) -> Vec<serde_json::Value> {
        self.records()
            .iter()
            .flat_map(|r| r["calls"].as_array().cloned().unwrap_or_default())
            .filter(|c| c["outcome"] == outcome)
            .collect()
    }

    /// GET `path` from the admin endpoint: `(status, body)`.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
        Some((status, body))
    }

    /// The value of the first `/metrics` sample whose line starts with `prefix`, summed over
    /// every line that does.
    pub fn metric(&self, prefix: &str) -> f64 {
        self.get("/metrics")
            .map(|(_, body)| {
                body.lines()
                    .filter(|l| l.starts_with(prefix))
                    .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                    .sum()
            })
            .unwrap_or(0.0)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Poll `cond` every 100 ms for up to `secs` seconds.
pub async fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cond()
}

/// Read a JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
