//! `sagescale validate`: read files and directories as one policy set; print every problem.

use std::path::PathBuf;
use std::process::ExitCode;

use sagescale::policy;

use super::out;

/// Validate `paths`; exit 1 on any problem.
pub fn validate(paths: &[PathBuf]) -> ExitCode {
    match policy::load(paths) {
        Ok((set, files)) => {
            out(&format!(
                "ok: {files} file(s), {} target(s), {} policies, {} metric queries\n",
                set.targets.len(),
                set.policy_count(),
                set.metrics.len()
            ));
            ExitCode::SUCCESS
        }
        Err(problems) => {
            eprintln!("{problems}");
            let files: std::collections::BTreeSet<_> = problems.0.iter().map(|d| &d.file).collect();
            eprintln!(
                "error: {} problem(s) in {} file(s)",
                problems.0.len(),
                files.len()
            );
            ExitCode::FAILURE
        }
    }
}
