//! Application Auto Scaling as people configure it by hand, and sagescale's policies in that
//! language.
//!
//! - [`aas`]: the AWS-native setup of a scalable target (its registration, target-tracking and
//!   step policies with their alarms, scheduled actions) as plain data, in AWS's own terms.
//! - [`to_aas`]: a compiled policy set as that setup, or the reasons a policy has no AWS
//!   equivalent (sagescale-only kinds and settings are refused by name).
//! - [`terraform`], [`cloudformation`], [`cli_script`]: the setup written for each tool.
//! - [`from_aas`]: a setup read from AWS as a sagescale policy file, with a comment on every
//!   setting that does not map.
//!
//! The AWS adapter (`sagescale-aws`) reads a live setup into [`aas::Setup`]; nothing here does
//! I/O.

pub mod aas;
pub mod cli_script;
pub mod cloudformation;
pub mod from_aas;
pub mod terraform;
pub mod to_aas;
