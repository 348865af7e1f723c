//! `sagescale explain`: a target's story from the decision log.

use std::process::ExitCode;

use sagescale::daemon;

use super::daemon_config::load_config;
use super::out;

/// Tell `target`'s last `last` decisions, from `log` or the log `config` names.
pub fn explain(
    target: &str,
    config: Option<&std::path::Path>,
    log: Option<&std::path::Path>,
    last: usize,
) -> ExitCode {
    let path = match (log, config) {
        (Some(l), _) => l.to_path_buf(),
        (None, Some(c)) => match load_config(c) {
            Some(c) => c.doc.decision_log,
            None => return ExitCode::FAILURE,
        },
        (None, None) => {
            eprintln!("explain needs --config or --log");
            return ExitCode::FAILURE;
        }
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: cannot read the decision log: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    match daemon::explain::story(&text, target, last) {
        Ok(s) => {
            out(&s);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}
