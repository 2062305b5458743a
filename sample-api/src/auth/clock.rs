//! The monotonic clock the JWKS cache measures its TTL and cool-down with.
//!
//! Token timestamps (`exp`, `nbf`, `iat`) are checked against real wall-clock time, as a
//! production API must; tests mint tokens in the past or future instead of moving time.
//! The cache's timers, though, are minutes long, and a test that waits 30 s for a cool-down
//! to pass is a test nobody runs. So the cache reads time through this trait, and tests hand
//! it a [`ManualClock`] they can [`advance`](ManualClock::advance).

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// A source of monotonic time.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that runs with real time plus an offset the test controls.
///
/// Clones share the offset, so a test can keep one handle and give another to the API.
///
/// ```
/// use std::time::Duration;
/// use sample_api::auth::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let before = clock.now();
/// clock.advance(Duration::from_secs(60));
/// assert!(clock.now() >= before + Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    offset: Arc<Mutex<Duration>>,
}

impl ManualClock {
    /// A clock that starts at real time.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let offset = *self.offset.lock().unwrap_or_else(|e| e.into_inner());
        Instant::now() + offset
    }
}
