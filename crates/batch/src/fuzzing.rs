//! Fuzz entry point: raw bytes as a user would put them in a `plan-batch` job file, read and
//! planned as `plan-batch` does. `fuzz/batch` and the root crate's corpus replay call it.

use sagescale_files::fuzzing::scratch;

/// A job file (TOML), read and planned.
#[must_use]
pub fn batch_job(bytes: &[u8]) -> bool {
    crate::job::load(&scratch("job.toml", bytes))
        .map(|(job, profiles)| crate::transform::plan(&job, &profiles))
        .is_ok()
}
