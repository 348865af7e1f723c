//! Metric series as the engine sees them, and the canonical metric queries a policy set needs.
//!
//! Architecture invariant: plain data, no I/O and no AWS types. The daemon fills
//! [`Observations`] from CloudWatch and the simulator from its emulated CloudWatch; the engine
//! only reads them.

pub mod expression;
mod observation;
mod query;
mod series;

pub use observation::{ObservationSet, Observations};
pub use query::{MetricId, MetricQuery, MetricStat, Statistic};
pub use series::MetricWindow;
