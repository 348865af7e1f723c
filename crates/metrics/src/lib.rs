//! Metric series as the engine sees them, the canonical metric queries a policy set needs, the
//! metric catalogue (every CloudWatch metric sagescale knows, defined once), and the units
//! every layer counts in (`Capacity`, `Seconds`, `Timestamp`).
//!
//! Architecture invariant: plain data, no I/O and no AWS types; depends on no other sagescale
//! crate. The daemon fills
//! [`Observations`] from CloudWatch and the simulator from its emulated CloudWatch; the engine
//! only reads them.

pub mod catalogue;
pub mod expression;
mod observation;
mod query;
mod series;
mod units;

pub use observation::{ObservationSet, Observations};
pub use query::{MetricId, MetricQuery, MetricStat, Statistic};
pub use series::MetricWindow;
pub use units::{Capacity, Seconds, Timestamp};
