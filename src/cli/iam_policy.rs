//! `sagescale iam-policy`: the least-privilege IAM policy for a policy set.

use std::path::PathBuf;
use std::process::ExitCode;

use sagescale::{daemon, policy};

use super::out;

/// Print the policy for the policy set at `paths`.
pub fn run(paths: &[PathBuf], scope: daemon::iam::Scope) -> ExitCode {
    let set = match policy::load(paths) {
        Ok((set, _)) => set,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::FAILURE;
        }
    };
    let doc = daemon::iam::policy(&set, &scope);
    out(&(serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"));
    ExitCode::SUCCESS
}
