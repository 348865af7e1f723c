//! Fuzz entry points: raw bytes as a user would put them in a scenario, a trace or a quality
//! series, through the same readers `simulate` and `tune` use. They return whether the input
//! was accepted; what matters is that they never panic, hang or abort. `fuzz/sim` and the root
//! crate's corpus replay call them.

use sagescale_files::fuzzing::scratch;

use crate::trace::{self, TraceFormat, TraceOptions};

/// A scenario file (TOML).
#[must_use]
pub fn scenario(bytes: &[u8]) -> bool {
    crate::scenario::load(&scratch("s.toml", bytes), &Default::default()).is_ok()
}

/// A trace in `format`.
#[must_use]
pub fn trace(bytes: &[u8], format: TraceFormat) -> bool {
    let options = TraceOptions {
        format,
        ..TraceOptions::default()
    };
    trace::read(&scratch("t.csv", bytes), &options).is_ok()
}

/// A quality series (`time,value` CSV), sampled onto a grid as a scenario would.
#[must_use]
pub fn quality_values(bytes: &[u8]) -> bool {
    trace::read_values(&scratch("q.csv", bytes))
        .map(|points| trace::sample(&points, points[0].0, 60, 1000))
        .is_ok()
}
