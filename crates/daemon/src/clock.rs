//! The wall clock: the one place sagescale reads it. The decision core takes time as an
//! argument; only the daemon asks the system.

use sagescale_core::ports::Clock;
use sagescale_engine::Timestamp;

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}
