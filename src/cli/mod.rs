//! Command handlers of the `sagescale` binary that are more than a few lines.

pub mod tune;
