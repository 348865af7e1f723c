//! The long-running service: observe (CloudWatch) -> decide (engine) -> act (Application Auto
//! Scaling) -> record.
//!
//! Layout: [`config`] reads the config file; [`ports`] are the traits the daemon needs from
//! the world ([`sagescale_aws::Aws`] implements them); [`controller`] runs one cycle over every
//! target; [`actuation`] plans the `RegisterScalableTarget` sequence (pure); [`state_file`]
//! and [`decision_log`] are what it writes; [`telemetry`] and [`admin`] expose it;
//! [`service`] is the loop with its signals; [`leadership`] is the high-availability lease;
//! [`explain`] reads the log back.

pub mod admin;
pub mod clock;
pub mod config;
pub mod controller;
pub mod decision_log;
pub mod doctor;
pub mod explain;
pub mod failpoint;
#[doc(hidden)]
pub mod fuzzing;
pub mod iam;
pub mod leadership;
pub mod service;
pub mod state_file;
pub mod telemetry;
