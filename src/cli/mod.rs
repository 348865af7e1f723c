//! Command handlers of the `sagescale` binary that are more than a few lines.

pub mod plan_batch;
pub mod tune;
