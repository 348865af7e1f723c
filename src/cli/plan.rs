//! `sagescale plan`: one cycle's decisions, printed, with nothing moved.

use std::process::ExitCode;

use sagescale::core::Room;
use sagescale::daemon;

use super::daemon_config::{load_config, runtime};
use super::logging::{log_filter, stderr_colour};
use super::out;

/// Print what the daemon would do now; exit 2 with `detailed_exitcode` when it would call.
pub fn plan(path: &std::path::Path, detailed_exitcode: bool) -> ExitCode {
    let Some(config) = load_config(path) else {
        return ExitCode::FAILURE;
    };
    // Only warnings on stderr: the plan itself is the output.
    let filter = log_filter("warn");
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(stderr_colour())
        .with_writer(std::io::stderr)
        .init();
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    let (report, conflicts) = match rt.block_on(daemon::service::plan_once(&config)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut text = format!(
        "plan at {} ({} target(s)):\n",
        report.at,
        report.targets.len()
    );
    let mut changes = 0;
    let attached = conflicts.as_ref().map_or(0, Vec::len);
    for t in &report.targets {
        text.push('\n');
        text.push_str(&t.explanation);
        text.push('\n');
        if let Some((lead, n)) = t.lead {
            text.push_str(&format!(
                "  provisioning lead learned from this endpoint: {} s (median of its last {n} scale-out(s))\n",
                lead.0
            ));
        }
        match t.room {
            Some(Room::Known(r)) => text.push_str(&format!("  room: {r}\n")),
            Some(Room::Unknown(why)) => text.push_str(&format!(
                "  room not known: {why}; the copy count is not capped\n"
            )),
            None => {}
        }
        if let Ok(found) = &conflicts {
            for c in found.iter().filter(|c| c.resource_id == t.resource_id) {
                text.push_str(&format!("  WARNING: {}\n", c.warning()));
            }
        }
        if let Some((call, _)) = &t.call {
            changes += 1;
            text.push_str(&format!(
                "  would call RegisterScalableTarget min={} max={} ({})\n",
                call.min,
                call.max,
                daemon::controller::purpose_name(call.purpose)
            ));
        }
        if let Some((endpoint, weights, _)) = &t.weights {
            changes += 1;
            let shown: Vec<String> = weights
                .iter()
                .map(|w| format!("{}={}", w.variant, w.weight))
                .collect();
            text.push_str(&format!(
                "  would call UpdateEndpointWeightsAndCapacities on {endpoint}: {}\n",
                shown.join(" ")
            ));
        }
    }
    text.push_str(&format!(
        "\n{changes} call(s) would be made; {} target(s) unreadable; {} metric batch(es) failed; {}\n",
        report.capacity_errors,
        report.metric_failures,
        match &conflicts {
            Ok(_) => format!("{attached} Application Auto Scaling policy(ies) attached"),
            Err(e) => format!("attached Application Auto Scaling policies not checked ({e})"),
        }
    ));
    out(&text);
    if report.capacity_errors > 0 || report.metric_failures > 0 || attached > 0 {
        return ExitCode::FAILURE;
    }
    if detailed_exitcode && changes > 0 {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
