//! Failpoints for crash tests: `FAILPOINTS=<name>` in the environment makes the daemon abort
//! (as a SIGKILL would stop it) the first time it reaches that point. The name follows the
//! `fail` crate's convention; without the variable every point is a no-op.
//!
//! Points: `before-call` (intent written, call not made), `after-call` (call made, nothing
//! recorded), `mid-state-write` (half the temporary state file written), `mid-log-write` (half
//! a decision-log line written).

use std::sync::OnceLock;

fn active() -> Option<&'static str> {
    static ACTIVE: OnceLock<Option<String>> = OnceLock::new();
    ACTIVE
        .get_or_init(|| std::env::var("FAILPOINTS").ok().filter(|s| !s.is_empty()))
        .as_deref()
}

/// Whether the failpoint `name` is set.
#[must_use]
pub fn armed(name: &str) -> bool {
    active() == Some(name)
}

/// Abort here if the failpoint `name` is set.
pub fn hit(name: &str) {
    if armed(name) {
        crash(name);
    }
}

/// Abort now, saying where.
pub fn crash(name: &str) -> ! {
    eprintln!("failpoint {name}: aborting");
    std::process::abort()
}
