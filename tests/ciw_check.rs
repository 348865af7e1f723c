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
//!   interval (`fleet::serve`, the diffusion of `transient.rs`);
//! - held loads of a slow service on few servers (an LLM copy: 4 servers of 2 s, log-normal CV
//!   1.3), whose queue relaxes over minutes: three minutes at 0.5, and one, three and ten
//!   minutes at 0.9 from an empty queue, the last measured. Here the mean is checked too: it is
//!   what `ModelLatency` Average shows, and a window's mean must build to the steady state's.
//!
//! Each cell is 10 independent ciw replications (a held cell 200); the simulator's p99 (and a
//! held cell's mean) must fall within the Student-t confidence interval of their mean, at a
//! 95 % level for the whole grid (Bonferroni: each check at 1 − 0.05/checks), widened by the
//! model error the approximation is documented with (docs/simulator.md): Allen–Cunneen's for a
//! non-exponential steady state, the diffusion's for the intervals. The exponential steady state is M/M/c, exact: it gets no
//! allowance.

use std::io::Write;
use std::process::{Command, Stdio};

use sagescale::sim::fleet::{serve, FleetSpec, Waiting};
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
    /// Each replication's mean (interval cells).
    #[serde(default)]
    mean_s: Vec<f64>,
    /// A held load of a slow service: its mean is checked too.
    #[serde(default)]
    held: bool,
}

/// The mean of `values` and the half-width of its Student-t interval at `level`.
fn interval(values: &[f64], level: f64) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let t = StudentsT::new(0.0, 1.0, n - 1.0)
        .unwrap()
        .inverse_cdf(1.0 - (1.0 - level) / 2.0);
    (mean, t * (var / n).sqrt())
}

impl Cell {
    /// The simulator's p99 and mean for the cell, and the model error allowed on top of ciw's
    /// interval.
    fn simulated(&self) -> (f64, f64, f64) {
        let mu = 1.0 / self.mean_service_s;
        let law = ServiceLaw { cv: self.cv };
        if self.rates.is_empty() {
            let q = response(self.servers, self.arrival_rate, mu, law, 60.0);
            // M/M/c is exact; Allen–Cunneen is not.
            let exact = (self.cv - 1.0).abs() < 1e-9;
            return (q.p99, q.mean, if exact { 0.0 } else { MODEL_ERROR });
        }
        let spec = FleetSpec::queue(1, self.mean_service_s, law);
        let mut waiting = Waiting::default();
        let (mut p99, mut mean) = (f64::NAN, f64::NAN);
        for (i, rate) in self.rates.iter().enumerate() {
            let s = serve(
                &spec,
                self.servers,
                &mut waiting,
                rate * self.interval_s,
                self.interval_s,
            );
            if i == self.measure {
                (p99, mean) = (s.p99_s, s.mean_s);
            }
        }
        (p99, mean, MODEL_ERROR)
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
            if loads.len() > 3 && loads.iter().all(|l| *l == loads[0]) {
                format!("minutes {} x{}", loads[0], loads.len())
            } else {
                format!("minutes {}", loads.join(","))
            }
        }
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
            cells.push(minutes(servers, mean, cv, loads, REPS, seed));
            seed += 1000;
        }
    }
    // Held loads of a slow service on few servers. A window of a few dozen slow requests is
    // noisy: many more replications.
    for loads in [&[0.5; 3][..], &[0.9], &[0.9; 3], &[0.9; 10]] {
        let mut cell = minutes(4, 2.0, 1.3, loads, HELD_REPS, seed);
        cell["held"] = true.into();
        cells.push(cell);
        seed += 1000;
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
    let checks = got.len() + got.iter().filter(|c| c.held).count();
    let level = 1.0 - 0.05 / checks as f64;
    eprintln!("servers  cell                 cv   ciw (interval)           sagescale       error");
    for c in &got {
        let (p99, mean, allowance) = c.simulated();
        let mut measured = vec![("p99", &c.p99_s, p99)];
        if c.held {
            measured.push(("mean", &c.mean_s, mean));
        }
        for (what, values, ours) in measured {
            let (theirs, half) = interval(values, level);
            let error = ours / theirs - 1.0;
            let ok = (ours - theirs).abs() <= half + allowance * theirs;
            eprintln!(
                "{:>7}  {:<20} {:.1}   {what:<4} {theirs:.4} ± {half:.4} s   {ours:.4} s   {:+.1} %{}",
                c.servers,
                c.describe(),
                c.cv,
                error * 100.0,
                if ok { "" } else { "  OUTSIDE" }
            );
            if !ok {
                failures.push(format!(
                    "c={} {} cv={} {what}: {ours:.4} against {theirs:.4} ± {half:.4}",
                    c.servers,
                    c.describe(),
                    c.cv,
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "outside ciw's intervals: {failures:#?}"
    );
}

/// An interval cell: one-minute intervals at utilisations `loads` of `servers` servers of mean
/// `mean` seconds and spread `cv`, from an empty queue, the last measured.
fn minutes(
    servers: u32,
    mean: f64,
    cv: f64,
    loads: &[f64],
    reps: u32,
    seed: u32,
) -> serde_json::Value {
    let rate = f64::from(servers) / mean;
    serde_json::json!({
        "servers": servers,
        "rates": loads.iter().map(|l| l * rate).collect::<Vec<_>>(),
        "interval_s": 60.0,
        "measure": loads.len() - 1,
        "mean_service_s": mean,
        "cv": cv,
        "reps": reps,
        "seed": seed,
    })
}

/// The relative error allowed on top of ciw's interval for an approximation: Allen–Cunneen for
/// a non-exponential steady state, the diffusion for the intervals.
const MODEL_ERROR: f64 = 0.10;

/// Replications per cell.
const REPS: u32 = 10;

/// Replications per held-load cell (each a few thousand requests).
const HELD_REPS: u32 = 200;
