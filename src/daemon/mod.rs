//! The long-running service: observe (CloudWatch) -> decide (engine) -> act (Application Auto
//! Scaling) -> record. Its home is reserved here; the daemon issue fills it.
