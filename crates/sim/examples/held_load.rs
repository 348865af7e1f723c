//! The world's service at a load held constant, interval after interval: what `fleet::serve`
//! reports for the mean, median and p99 after 6 and 360 intervals, beside the steady state of
//! the same queue (`service_law::response`). `scripts/held_load_ciw.py` gives the reference:
//! ciw's discrete-event queue under the same load, pooled and per window.
//!
//! `cargo run --release -p sagescale-sim --example held_load` (docs/simulator.md, "A held
//! load's mean builds to its steady state").

use sagescale_queueing::service_law::{response, ServiceLaw};
use sagescale_sim::fleet::{serve, FleetSpec, Waiting};

fn main() {
    println!("servers service cv interval rho | after 6: mean p50 p99 | after 360: mean p50 p99 | steady: mean p50 p99");
    // An LLM copy (4 concurrent requests of 2 s) served 10 s and 60 s at a time; ten LLM
    // instances of 16 (the Azure LLM scenario's); and a 50 ms model on 2 servers for contrast.
    for (c, s, cv, dt) in [
        (4u32, 2.0, 1.3, 10.0),
        (4, 2.0, 1.3, 60.0),
        (160, 2.0, 1.3, 10.0),
        (2, 0.05, 1.0, 60.0),
    ] {
        let law = ServiceLaw { cv };
        let spec = FleetSpec::queue(c, s, law);
        for rho in [0.3, 0.5, 0.7, 0.9] {
            let lambda = rho * f64::from(c) / s;
            let mut waiting = Waiting::default();
            let mut at = Vec::new();
            for i in 1..=360 {
                let r = serve(&spec, 1, &mut waiting, lambda * dt, dt);
                if i == 6 || i == 360 {
                    at.push(format!("{:.2} {:.2} {:.2}", r.mean_s, r.p50_s, r.p99_s));
                }
            }
            let q = response(c, lambda, 1.0 / s, law, spec.timeout_s);
            println!(
                "{c} {s} {cv} {dt} {rho} | {} | {} | {:.2} {:.2} {:.2}",
                at[0], at[1], q.mean, q.p50, q.p99
            );
        }
    }
}
