//! The injectable wall clock used for idempotency-key age and ledger leases.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// A source of "now" for idempotency bookkeeping: the 24 h key life
/// ([`KEY_LIFETIME`](crate::idempotency::KEY_LIFETIME)), ledger leases and the
/// local key-reuse index. Backoff sleeps use the tokio timer, not this clock.
///
/// Inject a [`ManualClock`] in tests to make the 24 h expiry testable.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's wall clock (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to (for tests).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use vt4g::client::{Clock, ManualClock};
///
/// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
/// clock.advance(Duration::from_secs(86_400));
/// assert_eq!(clock.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(86_400));
/// ```
#[derive(Debug)]
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: SystemTime) -> Self {
        ManualClock(Mutex::new(start))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: SystemTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
