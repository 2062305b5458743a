//! The mock's notion of "now".
//!
//! Every timestamp the mock writes (`iat`, `exp`, `auth_time`, code and session expiry) comes
//! from one [`Clock`], so a test can move time instead of sleeping. In deterministic mode the
//! clock starts at a fixed instant and only moves when told to, which is what makes tokens
//! byte-identical across runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 2030-01-01T00:00:00Z: the instant a deterministic clock starts at. It lies in the future so
/// that tokens minted in deterministic mode still pass validators that use real time.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{DETERMINISTIC_EPOCH, MockIdp};
/// let idp = MockIdp::builder().deterministic().start().await;
/// assert_eq!(idp.clock().now(), DETERMINISTIC_EPOCH);
/// # }
/// ```
pub const DETERMINISTIC_EPOCH: i64 = 1_893_456_000;

/// A handle on the mock's clock. Cloning it gives another handle on the same clock.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use std::time::Duration;
/// let idp = mock_idp::MockIdp::builder().deterministic().start().await;
/// let before = idp.clock().now();
/// idp.clock().advance(Duration::from_secs(3600));
/// assert_eq!(idp.clock().now(), before + 3600);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
struct ClockInner {
    /// `None` follows the system clock; `Some` is a frozen starting instant.
    frozen_at: Option<i64>,
    /// Seconds added by `advance`/`set`; shared by every handle.
    offset: AtomicI64,
}

impl Clock {
    /// A clock that follows the system time (plus whatever tests add with [`Clock::advance`]).
    ///
    /// ```
    /// use std::time::{SystemTime, UNIX_EPOCH};
    /// let clock = mock_idp::Clock::system();
    /// let wall = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap();
    /// assert!((clock.now() - wall).abs() <= 1);
    /// assert!(!clock.is_frozen());
    /// ```
    pub fn system() -> Self {
        Self::new(None)
    }

    /// A clock frozen at `unix_seconds`; it only moves with [`Clock::advance`] or [`Clock::set`].
    ///
    /// ```
    /// let clock = mock_idp::Clock::frozen_at(1_700_000_000);
    /// assert_eq!(clock.now(), 1_700_000_000);
    /// assert!(clock.is_frozen(), "it reads the same until advanced or set");
    /// ```
    pub fn frozen_at(unix_seconds: i64) -> Self {
        Self::new(Some(unix_seconds))
    }

    fn new(frozen_at: Option<i64>) -> Self {
        Self {
            inner: Arc::new(ClockInner {
                frozen_at,
                offset: AtomicI64::new(0),
            }),
        }
    }

    /// Seconds since the Unix epoch, as the mock sees them.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// let idp = mock_idp::MockIdp::builder().deterministic().start().await;
    /// let token = idp.token().sign();
    /// // Every timestamp the mock writes comes from this clock.
    /// assert_eq!(payload(&token)["iat"], idp.clock().now());
    /// # }
    /// ```
    pub fn now(&self) -> i64 {
        let base = self.inner.frozen_at.unwrap_or_else(system_now);
        base + self.inner.offset.load(Ordering::Relaxed)
    }

    /// Moves the clock forward. Tokens minted before stay as they were, so they expire.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use std::time::Duration;
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// // Arrange: a token valid for one minute.
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().expires_in(Duration::from_secs(60)).sign();
    ///
    /// // Act: two minutes pass, without sleeping.
    /// idp.clock().advance(Duration::from_secs(120));
    ///
    /// // Assert: the token has expired by the mock's clock.
    /// assert!(payload(&token)["exp"].as_i64().unwrap() < idp.clock().now());
    /// # }
    /// ```
    pub fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX / 2);
        self.inner.offset.fetch_add(secs, Ordering::Relaxed);
    }

    /// Moves the clock by a signed number of seconds (negative goes back in time).
    ///
    /// ```
    /// let clock = mock_idp::Clock::frozen_at(mock_idp::DETERMINISTIC_EPOCH);
    /// clock.advance_secs(-60);
    /// assert_eq!(clock.now(), mock_idp::DETERMINISTIC_EPOCH - 60);
    /// ```
    pub fn advance_secs(&self, secs: i64) {
        self.inner.offset.fetch_add(secs, Ordering::Relaxed);
    }

    /// Sets "now" to `unix_seconds`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// let idp = mock_idp::MockIdp::start().await;
    /// idp.clock().set(1_700_000_000);
    /// assert_eq!(payload(&idp.token().sign())["iat"], 1_700_000_000);
    /// # }
    /// ```
    pub fn set(&self, unix_seconds: i64) {
        let base = self.inner.frozen_at.unwrap_or_else(system_now);
        self.inner
            .offset
            .store(unix_seconds - base, Ordering::Relaxed);
    }

    /// Undoes every `advance`/`set`.
    ///
    /// ```
    /// use mock_idp::{Clock, DETERMINISTIC_EPOCH};
    /// let clock = Clock::frozen_at(DETERMINISTIC_EPOCH);
    /// clock.advance_secs(3_600);
    /// clock.set(0);
    /// clock.reset();
    /// assert_eq!(clock.now(), DETERMINISTIC_EPOCH);
    /// ```
    pub fn reset(&self) {
        self.inner.offset.store(0, Ordering::Relaxed);
    }

    /// Whether the clock is frozen (deterministic mode).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// assert!(!MockIdp::start().await.clock().is_frozen());
    /// assert!(MockIdp::builder().deterministic().start().await.clock().is_frozen());
    /// # }
    /// ```
    pub fn is_frozen(&self) -> bool {
        self.inner.frozen_at.is_some()
    }
}

/// `unix_seconds` as Auth0 writes times (`2026-01-01T00:00:00.000Z`), in UTC.
pub(crate) fn iso8601(unix_seconds: i64) -> String {
    let secs = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(unix_seconds.div_euclid(86_400));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_auth0_writes_them() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(DETERMINISTIC_EPOCH), "2030-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_825_599), "2000-02-29T11:59:59.000Z");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59.000Z");
    }

    #[test]
    fn a_frozen_clock_only_moves_when_told() {
        let clock = Clock::frozen_at(DETERMINISTIC_EPOCH);
        assert_eq!(clock.now(), DETERMINISTIC_EPOCH);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), DETERMINISTIC_EPOCH + 90);
        clock.set(5);
        assert_eq!(clock.now(), 5);
        clock.reset();
        assert_eq!(clock.now(), DETERMINISTIC_EPOCH);
    }

    #[test]
    fn handles_share_one_clock() {
        let a = Clock::system();
        let b = a.clone();
        let before = b.now();
        a.advance(Duration::from_secs(1_000));
        assert!(b.now() >= before + 1_000);
    }
}
