//! The simulator's response-time model against an independent discrete-event simulation:
//! ciw (PyPI `ciw`), run by `scripts/ciw_check.py` with the Python that scripts/test.sh
//! installs it into (`CIW_PYTHON`).
//!
//! The grid: 2 and 8 servers (one and four ml instances of concurrency 2) at utilisation 0.5,
//! 0.8 and 0.9, for deterministic, log-normal CV 0.5, exponential and log-normal CV 2 services
//! of mean 50 ms. Each cell is 10 independent ciw replications; the simulator's p99 must fall
//! within the Student-t confidence interval of their mean p99, at a 95 % level for the whole
//! grid (Bonferroni: each of the 24 cells at 1 − 0.05/24), widened for a non-exponential law by
//! the model error Allen–Cunneen is documented with (docs/simulator.md). The exponential law is
//! M/M/c, exact: it gets no allowance.

use std::io::Write;
use std::process::{Command, Stdio};

use sagescale::sim::service_law::{response, ServiceLaw};
use statrs::distribution::{ContinuousCDF, StudentsT};

#[derive(serde::Deserialize)]
struct Cell {
    servers: u32,
    arrival_rate: f64,
    mean_service_s: f64,
    cv: f64,
    /// Each replication's p99.
    p99_s: Vec<f64>,
}

impl Cell {
    /// The replications' mean p99 and the half-width of its interval at `level`.
    fn interval(&self, level: f64) -> (f64, f64) {
        let n = self.p99_s.len() as f64;
        let mean = self.p99_s.iter().sum::<f64>() / n;
        let var = self.p99_s.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let t = StudentsT::new(0.0, 1.0, n - 1.0)
            .unwrap()
            .inverse_cdf(1.0 - (1.0 - level) / 2.0);
        (mean, t * (var / n).sqrt())
    }
}

#[test]
fn the_response_time_model_stays_within_ciws_confidence_intervals() {
    let python = std::env::var("CIW_PYTHON")
        .expect("CIW_PYTHON is not set: run the suite with scripts/test.sh, which installs ciw");
    let mean = 0.05;
    let mut cells = Vec::new();
    let mut seed = 1000;
    for servers in [2u32, 8] {
        for rho in [0.5, 0.8, 0.9] {
            for cv in [0.0, 0.5, 1.0, 2.0] {
                cells.push(serde_json::json!({
                    "servers": servers,
                    "arrival_rate": rho * f64::from(servers) / mean,
                    "mean_service_s": mean,
                    "cv": cv,
                    "reps": REPS,
                    // Near saturation the queue forgets its empty start slowly: longer runs.
                    "customers": if rho > 0.85 { 30000 } else if rho > 0.7 { 15000 } else { 10000 },
                    "seed": seed,
                }));
                seed += 1000;
            }
        }
    }
    let mut child = Command::new(python)
        .arg("scripts/ciw_check.py")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start scripts/ciw_check.py");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&cells).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "scripts/ciw_check.py failed");
    let got: Vec<Cell> = serde_json::from_slice(&out.stdout).unwrap();
    let mut failures = Vec::new();
    let level = 1.0 - 0.05 / got.len() as f64;
    eprintln!("servers  rho   cv   ciw p99 (interval)      sagescale p99   error");
    for c in &got {
        let (p99, half) = c.interval(level);
        let mu = 1.0 / c.mean_service_s;
        let rho = c.arrival_rate / (f64::from(c.servers) * mu);
        let ours = response(c.servers, c.arrival_rate, mu, ServiceLaw { cv: c.cv }, 60.0).p99;
        let error = ours / p99 - 1.0;
        // The approximation's own error: none for M/M/c; Allen–Cunneen's otherwise.
        let allowance = if (c.cv - 1.0).abs() < 1e-9 {
            0.0
        } else {
            MODEL_ERROR
        };
        let ok = (ours - p99).abs() <= half + allowance * p99;
        eprintln!(
            "{:>7}  {rho:.1}  {:.1}   {:.4} ± {:.4} s   {ours:.4} s       {:+.1} %{}",
            c.servers,
            c.cv,
            p99,
            half,
            error * 100.0,
            if ok { "" } else { "  OUTSIDE" }
        );
        if !ok {
            failures.push(format!(
                "c={} rho={rho:.1} cv={}: {ours:.4} against {:.4} ± {:.4}",
                c.servers, c.cv, p99, half
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "outside ciw's intervals: {failures:#?}"
    );
}

/// The relative p99 error allowed on top of ciw's interval for a non-exponential law.
const MODEL_ERROR: f64 = 0.10;

/// Replications per cell.
const REPS: u32 = 10;
