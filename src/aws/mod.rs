//! AWS adapters: the only module that knows the AWS SDK.
//!
//! Architecture invariant: SDK types stay in here. The engine and the simulator never see them.
//! This issue provides the clients; the daemon issue adds the metric source, capacity reader
//! and actuator on top.

mod clients;

pub use clients::{AwsClients, AwsSettings, EndpointUrls, SettingsError};
