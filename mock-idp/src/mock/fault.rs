//! [`FaultBuilder`]: an endpoint that fails or slows down.

use std::time::Duration;

use crate::control::faults::Fault;
use crate::engine::SharedIdp;

/// Installs a fault; from [`MockIdp::fault`](crate::MockIdp::fault).
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Endpoint, MockIdp};
/// let idp = MockIdp::start().await;
/// let fault = idp.fault(Endpoint::Token).status(503);
/// // Nothing happens until it is installed.
/// assert_eq!(reqwest::get(idp.url("/health")).await.unwrap().status(), 200);
/// fault.install();
/// let response = reqwest::Client::new().post(idp.url("/oauth/token")).send().await.unwrap();
/// assert_eq!(response.status(), 503);
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a fault does nothing until `.install()` is called"]
pub struct FaultBuilder {
    pub(super) idp: SharedIdp,
    pub(super) fault: Fault,
}

impl FaultBuilder {
    /// Answer with this status instead of handling the request.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// let idp = MockIdp::start().await;
    /// idp.fault(Endpoint::Discovery).status(500).install();
    /// let response = reqwest::get(idp.discovery_url()).await.unwrap();
    /// assert_eq!(response.status(), 500);
    /// // Without a body, an OAuth-style JSON error.
    /// let body: serde_json::Value = response.json().await.unwrap();
    /// assert_eq!(body["error"], "temporarily_unavailable");
    /// # }
    /// ```
    pub fn status(mut self, status: u16) -> Self {
        self.fault.status = Some(status);
        self
    }

    /// Answer with this body (and content type). Without a status, answers 200.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// let idp = MockIdp::start().await;
    /// idp.fault(Endpoint::Jwks).body("<html>proxy error</html>", "text/html").install();
    /// let response = reqwest::get(idp.jwks_uri()).await.unwrap();
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.headers()["content-type"], "text/html");
    /// assert_eq!(response.text().await.unwrap(), "<html>proxy error</html>");
    /// # }
    /// ```
    pub fn body(mut self, body: impl Into<String>, content_type: impl Into<String>) -> Self {
        self.fault.body = Some(body.into());
        self.fault.content_type = Some(content_type.into());
        self.fault.status.get_or_insert(200);
        self
    }

    /// Wait before answering (real time: this is for exercising client timeouts).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use std::time::{Duration, Instant};
    /// use mock_idp::{Endpoint, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// idp.fault(Endpoint::Jwks).delay(Duration::from_millis(300)).times(1).install();
    /// let impatient = reqwest::Client::builder().timeout(Duration::from_millis(100)).build().unwrap();
    ///
    /// // Act
    /// let started = Instant::now();
    /// let error = impatient.get(idp.jwks_uri()).send().await.unwrap_err();
    ///
    /// // Assert: the client timed out; without a status the request is still served, late.
    /// assert!(error.is_timeout());
    /// assert!(started.elapsed() >= Duration::from_millis(100));
    /// # }
    /// ```
    pub fn delay(mut self, delay: Duration) -> Self {
        self.fault.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Apply to the next `n` requests only (default: until cleared).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// let idp = MockIdp::start().await;
    /// idp.fault(Endpoint::Jwks).status(503).times(2).install();
    /// let mut statuses = Vec::new();
    /// for _ in 0..3 {
    ///     statuses.push(reqwest::get(idp.jwks_uri()).await.unwrap().status().as_u16());
    /// }
    /// assert_eq!(statuses, [503, 503, 200]);
    /// # }
    /// ```
    pub fn times(mut self, n: u32) -> Self {
        self.fault.times = Some(n.max(1));
        self
    }

    /// Installs the fault.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// let idp = MockIdp::start().await;
    /// idp.fault(Endpoint::Health).status(418).install();
    /// assert_eq!(reqwest::get(idp.url("/health")).await.unwrap().status(), 418);
    /// // A fault without `times` stays until cleared.
    /// assert_eq!(reqwest::get(idp.url("/health")).await.unwrap().status(), 418);
    /// let recorded = idp.received_requests();
    /// assert!(recorded.iter().all(|r| r.faulted));
    /// # }
    /// ```
    pub fn install(self) {
        self.idp.faults.install(self.fault);
    }
}
