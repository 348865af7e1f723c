//! The trace-replay simulator: a modelled endpoint fleet and CloudWatch, driving the same
//! engine as the daemon over recorded traffic. Its home is reserved here; the simulator issue
//! fills it.
