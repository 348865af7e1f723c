//! Fuzz entry points: raw bytes as they could stand in the daemon's state file and config, read
//! as `sagescale run` reads them. `fuzz/daemon` and the root crate's corpus replay call them.

use sagescale_files::fuzzing::scratch;

/// The state file (JSON).
#[must_use]
pub fn state_file(bytes: &[u8]) -> bool {
    crate::state_file::load(&scratch("state.json", bytes)).is_ok()
}

/// The config file (TOML), without environment overrides.
#[must_use]
pub fn config(bytes: &[u8]) -> bool {
    crate::config::load(&scratch("c.toml", bytes), []).is_ok()
}
