//! `sagescale doctor`: the checklist, printed; exit 1 on a failure, and with `--strict` 2 on a
//! warning.

use std::process::ExitCode;

use sagescale::daemon::doctor::{doctor, Status};

use super::daemon_config::{load_config, runtime};
use super::logging::{log_filter, stderr_colour};
use super::out;

/// Check everything the daemon configured by `path` needs.
pub fn run(path: &std::path::Path, strict: bool) -> ExitCode {
    let Some(config) = load_config(path) else {
        return ExitCode::FAILURE;
    };
    tracing_subscriber::fmt()
        .with_env_filter(log_filter("error"))
        .with_ansi(stderr_colour())
        .with_writer(std::io::stderr)
        .init();
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    let report = rt.block_on(doctor(&config));
    out(&report.render());
    match report.worst() {
        Status::Fail => ExitCode::FAILURE,
        Status::Warn if strict => ExitCode::from(2),
        _ => ExitCode::SUCCESS,
    }
}
