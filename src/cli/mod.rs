//! The `sagescale` command's handlers: one file per subcommand, plus what several share.
//!
//! `run`, `plan`, `explain` and `iam-policy` are the daemon's (crate `sagescale-daemon`, which
//! builds the AWS SDKs) and exist only in the default build (feature `aws`); without it,
//! [`needs_aws`] says how to get them.

pub mod aws_args;
pub mod export;
pub mod healthcheck;
pub mod man;
pub mod plan_batch;
pub mod schema;
pub mod simulate;
pub mod tune;
pub mod validate;

#[cfg(feature = "aws")]
pub mod daemon_config;
#[cfg(feature = "aws")]
pub mod doctor;
#[cfg(feature = "aws")]
pub mod explain;
#[cfg(feature = "aws")]
pub mod iam_policy;
#[cfg(feature = "aws")]
pub mod import;
#[cfg(feature = "aws")]
pub mod logging;
#[cfg(feature = "aws")]
pub mod plan;
#[cfg(feature = "aws")]
pub mod run;

/// Write to stdout; a reader that went away (`| head`) ends the output, not the program.
pub fn out(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// What a daemon command says in a build without the AWS SDKs.
#[cfg(not(feature = "aws"))]
pub fn needs_aws(command: &str) -> std::process::ExitCode {
    eprintln!(
        "sagescale {command} is part of the daemon, which this sagescale was built without (it \
         has no AWS SDK: --no-default-features). Build the default one: cargo build --release"
    );
    std::process::ExitCode::FAILURE
}
