//! Queueing models: the response time a pool of servers gives a Poisson load.
//!
//! One module for two readers, so a law exists once:
//! - the simulator's world serves each interval through them (`sagescale-sim`'s `fleet`);
//! - the `slo` policy (`sagescale-engine`'s `slo`) sizes capacity with them, from the service
//!   time and spread it has *learned* from the metrics it reads, never from a scenario.
//!
//! Architecture invariant: pure. No I/O, no clock; the per-law tables are caches filled on
//! first use.
//!
//! [`mm_c`] is M/M/c (Erlang C, exact response-time percentiles); [`service_law`] is the
//! service-time law and the M/G/c response built on it.

pub mod mm_c;
pub mod service_law;
