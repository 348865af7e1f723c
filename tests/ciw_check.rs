//! The simulator's response-time model against an independent discrete-event simulation:
//! ciw (PyPI `ciw`), run by `scripts/ciw_check.py` with the Python that scripts/test.sh
//! installs it into (`CIW_PYTHON`).
//!
//! The grid, for services of mean 50 ms:
//! - steady: 2 and 8 servers (one and four ml instances of concurrency 2) at utilisation 0.5,
//!   0.8 and 0.9, for deterministic, log-normal CV 0.5, exponential and log-normal CV 2
//!   services: the steady-state model (`service_law::response`);
//! - intervals: 8 servers from an empty queue, one minute at utilisation 0.99, 1.01, 1.05 and
//!   1.2, two minutes at 1.2 then one at 0.8 (overload, then recovery), and three minutes at
//!   0.99, the last measured, for an exponential service, and the 0.99, 1.05 and recovery
//!   patterns for deterministic and CV 2 services too: the fleet's service interval by
//!   interval (`fleet::serve`, the diffusion of `transient.rs`).
//!
//! Each cell is 10 independent ciw replications; the simulator's p99 must fall within the
//! Student-t confidence interval of their mean p99, at a 95 % level for the whole grid
//! (Bonferroni: each cell at 1 − 0.05/cells), widened by the model error the approximation is
//! documented with (docs/simulator.md): Allen–Cunneen's for a non-exponential steady state, the
//! diffusion's for the intervals. The exponential steady state is M/M/c, exact: it gets no
//! allowance.

use std::io::Write;
use std::process::{Command, Stdio};

use sagescale::sim::fleet::{serve, FleetSpec};
use sagescale::sim::service_law::{response, ServiceLaw};
use statrs::distribution::{ContinuousCDF, StudentsT};

#[derive(serde::Deserialize)]
struct Cell {
    servers: u32,
    /// Steady cells: the arrival rate.
    #[serde(default)]
    arrival_rate: f64,
    /// Interval cells: each interval's arrival rate, its length and the one measured.
    #[serde(default)]
    rates: Vec<f64>,
    #[serde(default)]
    interval_s: f64,
    #[serde(default)]
    measure: usize,
    mean_service_s: f64,
    cv: f64,
    /// Each replication's p99.
    p99_s: Vec<f64>,
}

impl Cell {
    /// The simulator's p99 for the cell, and the model error allowed on top of ciw's interval.
    fn simulated(&self) -> (f64, f64) {
        let mu = 1.0 / self.mean_service_s;
        let law = ServiceLaw { cv: self.cv };
        if self.rates.is_empty() {
            let p99 = response(self.servers, self.arrival_rate, mu, law, 60.0).p99;
            // M/M/c is exact; Allen–Cunneen is not.
            let exact = (self.cv - 1.0).abs() < 1e-9;
            return (p99, if exact { 0.0 } else { MODEL_ERROR });
        }
        let spec = FleetSpec::queue(1, self.mean_service_s, law);
        let mut backlog = 0.0;
        let mut p99 = f64::NAN;
        for (i, rate) in self.rates.iter().enumerate() {
            let s = serve(
                &spec,
                self.servers,
                &mut backlog,
                rate * self.interval_s,
                self.interval_s,
            );
            if i == self.measure {
                p99 = s.p99_s;
            }
        }
        (p99, MODEL_ERROR)
    }

    fn describe(&self) -> String {
        let rate = f64::from(self.servers) / self.mean_service_s;
        if self.rates.is_empty() {
            format!("steady {:.2}", self.arrival_rate / rate)
        } else {
            let loads: Vec<String> = self
                .rates
                .iter()
                .map(|r| format!("{:.2}", r / rate))
                .collect();
            format!("minutes {}", loads.join(","))
        }
    }

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
    let servers = 8u32;
    let rate = f64::from(servers) / mean;
    let patterns: [&[f64]; 6] = [
        &[0.99],
        &[1.01],
        &[1.05],
        &[1.2],
        &[1.2, 1.2, 0.8],
        &[0.99, 0.99, 0.99],
    ];
    for (k, loads) in patterns.into_iter().enumerate() {
        // Every pattern for the exponential law; the onset, overload and recovery for the
        // deterministic and heavy-tailed ones (a couple of minutes of CI in all).
        let laws: &[f64] = if [0, 2, 4].contains(&k) {
            &[0.0, 1.0, 2.0]
        } else {
            &[1.0]
        };
        for &cv in laws {
            cells.push(serde_json::json!({
                "servers": servers,
                "rates": loads.iter().map(|l| l * rate).collect::<Vec<_>>(),
                "interval_s": 60.0,
                "measure": loads.len() - 1,
                "mean_service_s": mean,
                "cv": cv,
                "reps": REPS,
                "seed": seed,
            }));
            seed += 1000;
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
    eprintln!("servers  cell                 cv   ciw p99 (interval)       sagescale p99   error");
    for c in &got {
        let (p99, half) = c.interval(level);
        let (ours, allowance) = c.simulated();
        let error = ours / p99 - 1.0;
        let ok = (ours - p99).abs() <= half + allowance * p99;
        eprintln!(
            "{:>7}  {:<20} {:.1}   {:.4} ± {:.4} s   {ours:.4} s       {:+.1} %{}",
            c.servers,
            c.describe(),
            c.cv,
            p99,
            half,
            error * 100.0,
            if ok { "" } else { "  OUTSIDE" }
        );
        if !ok {
            failures.push(format!(
                "c={} {} cv={}: {ours:.4} against {:.4} ± {:.4}",
                c.servers,
                c.describe(),
                c.cv,
                p99,
                half
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "outside ciw's intervals: {failures:#?}"
    );
}

/// The relative p99 error allowed on top of ciw's interval for an approximation: Allen–Cunneen
/// for a non-exponential steady state, the diffusion for the intervals.
const MODEL_ERROR: f64 = 0.10;

/// Replications per cell.
const REPS: u32 = 10;
