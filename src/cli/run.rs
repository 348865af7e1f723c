//! `sagescale run`: the daemon.

use std::process::ExitCode;

use sagescale::daemon;

use super::daemon_config::{load_config, runtime};
use super::logging::init_logs;

/// Run the daemon with the config at `path` until it is told to stop.
pub fn run(path: &std::path::Path) -> ExitCode {
    let Some(config) = load_config(path) else {
        return ExitCode::FAILURE;
    };
    init_logs(config.doc.log_format);
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    match rt.block_on(daemon::service::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "sagescale cannot start");
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
