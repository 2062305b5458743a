//! [`MockIdp`]: the in-process face, in the shape of wiremock's `MockServer`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

use crate::clock::Clock;
use crate::config::{Api, Client, Role, TenantConfig, User};
use crate::faults::Fault;
use crate::journal::{Endpoint, RecordedRequest};
use crate::keys::Algorithm;
use crate::server::Server;
use crate::session::SessionInfo;
use crate::state::{IdpConfig, SharedIdp};
use crate::token_builder::TokenBuilder;

/// A mock identity provider running in the test's process, on an ephemeral port.
///
/// It serves on its own thread and runtime (as wiremock does), so it keeps answering while
/// the test blocks, and stops when dropped.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::MockIdp;
///
/// // Arrange
/// let idp = MockIdp::start().await;
///
/// // Act
/// let discovery: serde_json::Value = reqwest::get(idp.discovery_url()).await.unwrap().json().await.unwrap();
///
/// // Assert
/// assert_eq!(discovery["issuer"], idp.issuer());
/// assert!(idp.issuer().ends_with('/'));
/// # }
/// ```
#[derive(Debug)]
pub struct MockIdp {
    idp: SharedIdp,
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl MockIdp {
    /// Starts a mock with the default tenant. Panics if it cannot bind a port.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// let health = reqwest::get(idp.url("/health")).await.unwrap();
    /// assert_eq!(health.status(), 200);
    /// # }
    /// ```
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// A builder for a configured mock.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{MockIdp, User};
    /// let idp = MockIdp::builder()
    ///     .user(User::new("carol@example.com").permissions(["read:messages"]))
    ///     .deterministic()
    ///     .start()
    ///     .await;
    /// assert_eq!(idp.clock().now(), mock_idp::DETERMINISTIC_EPOCH);
    /// # }
    /// ```
    pub fn builder() -> MockIdpBuilder {
        MockIdpBuilder::default()
    }

    /// The issuer: `http://localhost:<port>/` (or the one configured), with the trailing
    /// slash, exactly what tokens carry in `iss`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(idp.issuer(), format!("http://localhost:{}/", idp.address().port()));
    /// assert_eq!(payload(&idp.token().sign())["iss"], idp.issuer());
    /// # }
    /// ```
    pub fn issuer(&self) -> &str {
        &self.idp.issuer
    }

    /// The base URL the mock is reachable at: `http://127.0.0.1:<port>`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(idp.uri(), format!("http://127.0.0.1:{}", idp.address().port()));
    /// assert!(!idp.uri().ends_with('/'));
    /// # }
    /// ```
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// An absolute URL on the mock: `idp.url("/oauth/token")`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(idp.url("/health"), format!("{}/health", idp.uri()));
    /// assert_eq!(idp.url("health"), idp.url("/health"));
    /// assert_eq!(reqwest::get(idp.url("/health")).await.unwrap().status(), 200);
    /// # }
    /// ```
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.uri(), path.trim_start_matches('/'))
    }

    /// The socket address.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert!(idp.address().ip().is_loopback());
    /// assert_ne!(idp.address().port(), 0, "an ephemeral port was picked");
    /// assert!(std::net::TcpStream::connect(idp.address()).is_ok());
    /// # }
    /// ```
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The discovery document's URL (under the issuer).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(idp.discovery_url(), format!("{}.well-known/openid-configuration", idp.issuer()));
    /// let discovery: serde_json::Value = reqwest::get(idp.discovery_url()).await.unwrap().json().await.unwrap();
    /// assert_eq!(discovery["jwks_uri"], idp.jwks_uri());
    /// # }
    /// ```
    pub fn discovery_url(&self) -> String {
        self.idp.public_url(".well-known/openid-configuration")
    }

    /// The JWKS URL (under the issuer).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// let jwks: serde_json::Value = reqwest::get(idp.jwks_uri()).await.unwrap().json().await.unwrap();
    /// assert_eq!(jwks["keys"][0]["kid"], idp.active_kid());
    /// # }
    /// ```
    pub fn jwks_uri(&self) -> String {
        self.idp.public_url(".well-known/jwks.json")
    }

    /// Mints a token directly; see [`TokenBuilder`].
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().subject("auth0|alice").sign();
    /// assert_eq!(payload(&token)["sub"], "auth0|alice");
    /// assert_eq!(header(&token)["kid"], idp.active_kid());
    /// # }
    /// ```
    pub fn token(&self) -> TokenBuilder {
        TokenBuilder::new(Arc::clone(&self.idp))
    }

    /// Signs `header` and `payload` exactly as given (no JSON re-serialisation) with the
    /// active key: for tokens no builder can express, such as duplicate claim names.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// let header = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, idp.active_kid());
    /// let token = idp.sign_raw(&header, r#"{"sub":"auth0|alice","sub":"auth0|admin"}"#);
    /// assert_eq!(token.split('.').count(), 3);
    /// # }
    /// ```
    pub fn sign_raw(&self, header: &str, payload: &str) -> String {
        let signer = crate::jwt::Signer::Key(self.idp.active_key());
        crate::jwt::encode_raw(header.as_bytes(), payload.as_bytes(), &signer)
    }

    /// The published JWK set.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// let served: serde_json::Value = reqwest::get(idp.jwks_uri()).await.unwrap().json().await.unwrap();
    /// assert_eq!(idp.jwks(), served);
    /// assert_eq!(idp.jwks()["keys"][0]["kty"], "RSA");
    /// # }
    /// ```
    pub fn jwks(&self) -> Value {
        self.idp.jwks()
    }

    /// The `kid` of the key that signs now.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(header(&idp.token().sign())["kid"], idp.active_kid());
    /// let new = idp.rotate_keys();
    /// assert_eq!(idp.active_kid(), new);
    /// assert_eq!(header(&idp.token().sign())["kid"], new);
    /// # }
    /// ```
    pub fn active_kid(&self) -> String {
        self.idp.active_key().kid().to_owned()
    }

    /// A new key starts signing; the old ones stay in the JWKS. Returns the new `kid`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// let old = idp.active_kid();
    /// let new = idp.rotate_keys();
    /// assert_ne!(old, new);
    /// assert_eq!(idp.jwks()["keys"].as_array().unwrap().len(), 2);
    /// # }
    /// ```
    pub fn rotate_keys(&self) -> String {
        self.idp
            .rotate_keys()
            .unwrap_or_else(|e| panic!("mock-idp could not rotate keys: {e}"))
    }

    /// Unpublishes every key but the active one.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// let old = idp.active_kid();
    /// let new = idp.rotate_keys();
    ///
    /// assert_eq!(idp.retire_keys(), 1);
    ///
    /// let keys = idp.jwks()["keys"].as_array().unwrap().clone();
    /// assert_eq!(keys.len(), 1);
    /// assert_eq!(keys[0]["kid"], new);
    /// assert_ne!(keys[0]["kid"], old, "tokens signed by the old key no longer verify");
    /// # }
    /// ```
    pub fn retire_keys(&self) -> usize {
        self.idp
            .retire_keys()
            .unwrap_or_else(|e| panic!("mock-idp could not retire keys: {e}"))
    }

    /// The mock's clock.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// use std::time::Duration;
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().sign();
    /// idp.clock().advance(Duration::from_secs(2 * 86_400));
    /// // The default access-token lifetime is a day.
    /// assert!(payload(&token)["exp"].as_i64().unwrap() < idp.clock().now());
    /// # }
    /// ```
    pub fn clock(&self) -> Clock {
        self.idp.clock.clone()
    }

    /// What the mock received, oldest first (the last 1,000 requests).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// let idp = MockIdp::start().await;
    /// reqwest::get(idp.jwks_uri()).await.unwrap();
    /// let requests = idp.received_requests();
    /// assert_eq!(requests.len(), 1);
    /// assert_eq!(requests[0].endpoint, Endpoint::Jwks);
    /// # }
    /// ```
    pub fn received_requests(&self) -> Vec<RecordedRequest> {
        self.idp.journal.entries()
    }

    /// Makes the next request to `endpoint` answer `status`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// let idp = MockIdp::start().await;
    /// idp.fail_next(Endpoint::Jwks, 503);
    /// assert_eq!(reqwest::get(idp.jwks_uri()).await.unwrap().status(), 503);
    /// assert_eq!(reqwest::get(idp.jwks_uri()).await.unwrap().status(), 200);
    /// # }
    /// ```
    pub fn fail_next(&self, endpoint: Endpoint, status: u16) {
        self.fault(endpoint).status(status).times(1).install();
    }

    /// A fault for `endpoint`: a status, a body, a delay, for some or all requests.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// let idp = MockIdp::start().await;
    /// idp.fault(Endpoint::Jwks).status(200).body("<html>not json</html>", "text/html").install();
    /// let response = reqwest::get(idp.jwks_uri()).await.unwrap();
    /// assert_eq!(response.text().await.unwrap(), "<html>not json</html>");
    /// idp.clear_faults();
    /// # }
    /// ```
    pub fn fault(&self, endpoint: Endpoint) -> FaultBuilder {
        FaultBuilder {
            idp: Arc::clone(&self.idp),
            fault: Fault {
                endpoint,
                status: None,
                body: None,
                content_type: None,
                delay_ms: None,
                times: None,
            },
        }
    }

    /// Removes every installed fault.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// let idp = MockIdp::start().await;
    /// idp.fault(Endpoint::Jwks).status(500).install();
    /// assert_eq!(reqwest::get(idp.jwks_uri()).await.unwrap().status(), 500);
    ///
    /// idp.clear_faults();
    ///
    /// assert_eq!(reqwest::get(idp.jwks_uri()).await.unwrap().status(), 200);
    /// # }
    /// ```
    pub fn clear_faults(&self) {
        self.idp.faults.clear();
    }

    /// Adds or replaces a user while the mock runs.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{MockIdp, User};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// idp.upsert_user(User::new("carol@example.com").password("hunter2"));
    ///
    /// // Act: the running mock knows her at once.
    /// let response = reqwest::Client::new()
    ///     .post(idp.url("/oauth/token"))
    ///     .form(&[
    ///         ("grant_type", "password"),
    ///         ("client_id", "sample-spa"),
    ///         ("username", "carol@example.com"),
    ///         ("password", "hunter2"),
    ///     ])
    ///     .send().await.unwrap();
    ///
    /// // Assert
    /// assert_eq!(response.status(), 200);
    /// # }
    /// ```
    pub fn upsert_user(&self, user: User) {
        self.idp.update_tenant(|t| t.upsert_user(user));
    }

    /// Adds or replaces a client while the mock runs.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # async fn client_credentials(idp: &mock_idp::MockIdp, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("audience", audience)])
    /// #         .send().await.unwrap()
    /// # }
    /// use mock_idp::{Client, MockIdp};
    /// let idp = MockIdp::start().await;
    /// assert_eq!(client_credentials(&idp, "worker", "s3cret", "https://sample-api").await.status(), 401);
    ///
    /// idp.upsert_client(Client::m2m("worker", "s3cret").grant("https://sample-api", ["read:messages"]));
    ///
    /// assert_eq!(client_credentials(&idp, "worker", "s3cret", "https://sample-api").await.status(), 200);
    /// # }
    /// ```
    pub fn upsert_client(&self, client: Client) {
        self.idp.update_tenant(|t| t.upsert_client(client));
    }

    /// The next interactive `/authorize` that would show the login form logs in the user with
    /// this email instead (once), so a browser test need not fill in the form. Panics if the
    /// tenant has no such user.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// idp.next_login("bob@example.com");
    /// let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    ///
    /// // Act: no form, straight back to the application with a code.
    /// let response = browser
    ///     .get(idp.url("/authorize"))
    ///     .query(&[
    ///         ("client_id", "sample-spa"),
    ///         ("response_type", "code"),
    ///         ("redirect_uri", "http://localhost:3000"),
    ///         ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    ///         ("code_challenge_method", "S256"),
    ///     ])
    ///     .send().await.unwrap();
    ///
    /// // Assert
    /// let location = response.headers()["location"].to_str().unwrap();
    /// assert!(location.starts_with("http://localhost:3000/?code="), "{location}");
    /// assert_eq!(idp.sessions()[0].sub, "auth0|bob");
    /// # }
    /// ```
    pub fn next_login(&self, email: &str) {
        let known = self.idp.tenant().user_by_login(email).is_some();
        assert!(known, "mock-idp has no user {email:?} to log in");
        self.idp.sessions.set_next_login(Some(email.to_owned()));
    }

    /// The live login sessions, oldest first.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// // No one has logged in through a browser yet.
    /// assert!(idp.sessions().is_empty());
    /// # }
    /// ```
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.idp.sessions.list(&self.idp)
    }

    /// Ends every login session, as if each user had logged out (or the sessions expired):
    /// the next `prompt=none` answers `login_required`. Tokens already issued stay valid.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// idp.end_sessions();
    /// assert!(idp.sessions().is_empty());
    /// # }
    /// ```
    pub fn end_sessions(&self) {
        self.idp.sessions.end_all();
    }

    /// Back to the starting state: tenant, keys, clock, journal, faults, sessions, grants.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use std::time::Duration;
    /// use mock_idp::{Endpoint, MockIdp};
    /// // Arrange: a mock a test has changed in every way.
    /// let idp = MockIdp::start().await;
    /// let kid = idp.active_kid();
    /// idp.rotate_keys();
    /// idp.clock().advance(Duration::from_secs(3_600));
    /// idp.fail_next(Endpoint::Health, 503);
    /// reqwest::get(idp.jwks_uri()).await.unwrap();
    ///
    /// // Act
    /// idp.reset();
    ///
    /// // Assert
    /// assert_eq!(idp.active_kid(), kid);
    /// assert_eq!(idp.jwks()["keys"].as_array().unwrap().len(), 1);
    /// assert!(idp.received_requests().is_empty());
    /// assert_eq!(reqwest::get(idp.url("/health")).await.unwrap().status(), 200);
    /// # }
    /// ```
    pub fn reset(&self) {
        self.idp.reset();
    }
}

impl Drop for MockIdp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Installs a fault; from [`MockIdp::fault`].
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
    idp: SharedIdp,
    fault: Fault,
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

/// Configures a [`MockIdp`] before it starts.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Api, Client, MockIdp, User};
/// // Arrange
/// let idp = MockIdp::builder()
///     .api(Api::new("https://orders").permissions(["read:orders"]).rbac(true))
///     .client(Client::m2m("worker", "s3cret").grant("https://orders", ["read:orders"]))
///     .user(User::new("carol@example.com"))
///     .start()
///     .await;
///
/// // Act
/// let response: serde_json::Value = reqwest::Client::new()
///     .post(idp.url("/oauth/token"))
///     .form(&[
///         ("grant_type", "client_credentials"),
///         ("client_id", "worker"),
///         ("client_secret", "s3cret"),
///         ("audience", "https://orders"),
///     ])
///     .send().await.unwrap()
///     .json().await.unwrap();
///
/// // Assert
/// assert_eq!(response["scope"], "read:orders");
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until `.start().await`"]
pub struct MockIdpBuilder {
    tenant: Option<TenantConfig>,
    apis: Vec<Api>,
    clients: Vec<Client>,
    users: Vec<User>,
    roles: Vec<Role>,
    issuer: Option<String>,
    deterministic: bool,
    fresh_keys: bool,
    keys_file: Option<PathBuf>,
    signing_alg: Option<Algorithm>,
    default_audience: Option<String>,
    port: u16,
    no_control_api: bool,
    allowed_hosts: Vec<String>,
}

impl MockIdpBuilder {
    /// Starts from `tenant` instead of the default tenant.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// use mock_idp::{MockIdp, TenantConfig};
    /// let tenant = TenantConfig::from_toml(r#"
    ///     include_default_tenant = false
    ///     [[users]]
    ///     email = "carol@example.com"
    /// "#).unwrap();
    /// let idp = MockIdp::builder().tenant(tenant).start().await;
    /// // The builder's defaults come from the tenant: its first user is the default subject.
    /// assert_eq!(payload(&idp.token().sign())["sub"], "auth0|carol");
    /// # }
    /// ```
    pub fn tenant(mut self, tenant: TenantConfig) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Starts from an empty tenant.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// let idp = MockIdp::builder().without_default_tenant().start().await;
    /// let response = reqwest::Client::new()
    ///     .post(idp.url("/oauth/token"))
    ///     .form(&[
    ///         ("grant_type", "client_credentials"),
    ///         ("client_id", "sample-m2m"),
    ///         ("client_secret", "sample-m2m-secret"),
    ///         ("audience", "https://sample-api"),
    ///     ])
    ///     .send().await.unwrap();
    /// assert_eq!(response.status(), 401, "the default M2M client is gone");
    /// # }
    /// ```
    pub fn without_default_tenant(self) -> Self {
        self.tenant(TenantConfig::empty())
    }

    /// Adds (or replaces) a user.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{MockIdp, User};
    /// let idp = MockIdp::builder()
    ///     .user(User::new("alice@example.com").password("changed"))
    ///     .start()
    ///     .await;
    /// let login = |password: &'static str| {
    ///     reqwest::Client::new().post(idp.url("/oauth/token")).form(&[
    ///         ("grant_type", "password"),
    ///         ("client_id", "sample-spa"),
    ///         ("username", "alice@example.com"),
    ///         ("password", password),
    ///     ]).send()
    /// };
    /// // The same email replaces the default Alice.
    /// assert_eq!(login("password").await.unwrap().status(), 403);
    /// assert_eq!(login("changed").await.unwrap().status(), 200);
    /// # }
    /// ```
    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Adds (or replaces) a client.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # async fn client_credentials(idp: &mock_idp::MockIdp, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("audience", audience)])
    /// #         .send().await.unwrap()
    /// # }
    /// use mock_idp::{Client, MockIdp};
    /// let idp = MockIdp::builder()
    ///     .client(Client::m2m("worker", "s3cret").grant("https://sample-api", ["read:messages"]))
    ///     .start()
    ///     .await;
    /// assert_eq!(client_credentials(&idp, "worker", "s3cret", "https://sample-api").await.status(), 200);
    /// assert_eq!(client_credentials(&idp, "worker", "wrong", "https://sample-api").await.status(), 401);
    /// # }
    /// ```
    pub fn client(mut self, client: Client) -> Self {
        self.clients.push(client);
        self
    }

    /// Adds (or replaces) an API.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Api, MockIdp};
    /// let idp = MockIdp::builder()
    ///     .api(Api::new("https://orders").permissions(["read:orders"]))
    ///     .start()
    ///     .await;
    /// let discovery: serde_json::Value = reqwest::get(idp.discovery_url()).await.unwrap().json().await.unwrap();
    /// let scopes = discovery["scopes_supported"].as_array().unwrap();
    /// assert!(scopes.contains(&"read:orders".into()));
    /// assert!(scopes.contains(&"read:messages".into()), "the default API stays");
    /// # }
    /// ```
    pub fn api(mut self, api: Api) -> Self {
        self.apis.push(api);
        self
    }

    /// Adds a role.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Api, MockIdp, Role, User};
    /// # use base64::Engine;
    /// // Arrange: Carol holds `write:messages` only through the `writer` role.
    /// let idp = MockIdp::builder()
    ///     .api(Api::new("https://sample-api").permissions(["read:messages", "write:messages"]).rbac(true))
    ///     .role(Role { name: "writer".into(), permissions: vec!["write:messages".into()] })
    ///     .user(User::new("carol@example.com").roles(["writer"]))
    ///     .start()
    ///     .await;
    ///
    /// // Act
    /// let response: serde_json::Value = reqwest::Client::new()
    ///     .post(idp.url("/oauth/token"))
    ///     .form(&[
    ///         ("grant_type", "password"),
    ///         ("client_id", "sample-spa"),
    ///         ("username", "carol@example.com"),
    ///         ("password", "password"),
    ///         ("audience", "https://sample-api"),
    ///     ])
    ///     .send().await.unwrap()
    ///     .json().await.unwrap();
    ///
    /// // Assert
    /// let token = response["access_token"].as_str().unwrap();
    /// let claims: serde_json::Value = serde_json::from_slice(
    ///     &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap(),
    /// ).unwrap();
    /// assert_eq!(claims["permissions"], serde_json::json!(["write:messages"]));
    /// # }
    /// ```
    pub fn role(mut self, role: Role) -> Self {
        self.roles.push(role);
        self
    }

    /// The audience used when a token request names none.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// use mock_idp::{Api, Client, MockIdp};
    /// let idp = MockIdp::builder()
    ///     .api(Api::new("https://orders"))
    ///     .client(Client::m2m("worker", "s3cret").grant("https://orders", Vec::<String>::new()))
    ///     .default_audience("https://orders")
    ///     .start()
    ///     .await;
    /// assert_eq!(payload(&idp.token().sign())["aud"], "https://orders");
    ///
    /// // A token request without `audience` gets it too.
    /// let response: serde_json::Value = reqwest::Client::new()
    ///     .post(idp.url("/oauth/token"))
    ///     .form(&[("grant_type", "client_credentials"), ("client_id", "worker"), ("client_secret", "s3cret")])
    ///     .send().await.unwrap()
    ///     .json().await.unwrap();
    /// assert_eq!(payload(response["access_token"].as_str().unwrap())["aud"], "https://orders");
    /// # }
    /// ```
    pub fn default_audience(mut self, audience: impl Into<String>) -> Self {
        self.default_audience = Some(audience.into());
        self
    }

    /// Embedded keys, a clock frozen at [`DETERMINISTIC_EPOCH`](crate::DETERMINISTIC_EPOCH)
    /// and sequential ids: the same requests give byte-identical tokens. Pin the issuer too
    /// (the port changes between runs): `.issuer("http://mock-idp.test/")`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// let start = || MockIdp::builder().deterministic().issuer("http://mock-idp.test/").start();
    /// let (first, second) = (start().await, start().await);
    /// // Two mocks, different ports, byte-identical tokens.
    /// assert_ne!(first.address(), second.address());
    /// assert_eq!(first.token().sign(), second.token().sign());
    /// assert_eq!(first.clock().now(), mock_idp::DETERMINISTIC_EPOCH);
    /// # }
    /// ```
    pub fn deterministic(mut self) -> Self {
        self.deterministic = true;
        self
    }

    /// The public issuer URL (normalised to one trailing slash). The mock still listens on
    /// its own address; use [`MockIdp::url`] to reach it.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// use mock_idp::MockIdp;
    /// let idp = MockIdp::builder().issuer("http://mock-idp.test").start().await;
    /// assert_eq!(idp.issuer(), "http://mock-idp.test/", "normalised to one trailing slash");
    /// assert_eq!(payload(&idp.token().sign())["iss"], "http://mock-idp.test/");
    /// // Still reachable on its own address.
    /// assert_eq!(reqwest::get(idp.url("/health")).await.unwrap().status(), 200);
    /// # }
    /// ```
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Generate a key for this mock instead of using the embedded development key, so its
    /// tokens verify against no other mock's JWKS.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// let shared = MockIdp::start().await;
    /// let other = MockIdp::start().await;
    /// let fresh = MockIdp::builder().fresh_keys().start().await;
    /// assert_eq!(shared.active_kid(), other.active_kid(), "the embedded key");
    /// assert_ne!(fresh.active_kid(), shared.active_kid());
    /// # }
    /// ```
    pub fn fresh_keys(mut self) -> Self {
        self.fresh_keys = true;
        self
    }

    /// Persist keys in `path` (created on first use).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("keys.json");
    /// let first = MockIdp::builder().keys_file(&path).start().await;
    /// assert!(path.exists());
    /// let kid = first.active_kid();
    /// drop(first);
    ///
    /// let second = MockIdp::builder().keys_file(&path).start().await;
    /// assert_eq!(second.active_kid(), kid, "the same key after a restart");
    /// assert_ne!(kid, MockIdp::start().await.active_kid(), "not the embedded key");
    /// # }
    /// ```
    pub fn keys_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.keys_file = Some(path.into());
        self
    }

    /// The tenant's signing algorithm (RS256 by default; PS256 or ES256).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// use mock_idp::{Algorithm, MockIdp};
    /// let idp = MockIdp::builder().signing_alg(Algorithm::ES256).start().await;
    /// assert_eq!(header(&idp.token().sign())["alg"], "ES256");
    /// assert_eq!(idp.jwks()["keys"][0]["kty"], "EC");
    /// assert_eq!(idp.jwks()["keys"][0]["crv"], "P-256");
    /// # }
    /// ```
    pub fn signing_alg(mut self, alg: Algorithm) -> Self {
        self.signing_alg = Some(alg);
        self
    }

    /// Listen on this port instead of an ephemeral one.
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// // A fixed port, as the Playwright suites use; tests normally keep the ephemeral one.
    /// let port = 4000;
    /// let idp = MockIdp::builder().port(port).start().await;
    /// assert_eq!(idp.address().port(), port);
    /// assert_eq!(idp.issuer(), format!("http://localhost:{port}/"));
    /// # }
    /// ```
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Do not serve `/_mock/*`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// let with = MockIdp::start().await;
    /// let without = MockIdp::builder().without_control_api().start().await;
    /// assert_eq!(reqwest::get(with.url("/_mock/clock")).await.unwrap().status(), 200);
    /// assert_eq!(reqwest::get(without.url("/_mock/clock")).await.unwrap().status(), 404);
    /// # }
    /// ```
    pub fn without_control_api(mut self) -> Self {
        self.no_control_api = true;
        self
    }

    /// Lets the control API answer requests whose `Host` is `host` (any port), besides
    /// loopback names and the issuer's host; for a mock reached under another name, such as a
    /// container's.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// let clock = |idp: &MockIdp, host: &'static str| {
    ///     reqwest::Client::new().get(idp.url("/_mock/clock")).header("host", host).send()
    /// };
    /// let idp = MockIdp::builder().allowed_host("mock-idp").start().await;
    /// assert_eq!(clock(&idp, "mock-idp:4000").await.unwrap().status(), 200);
    /// assert_eq!(clock(&idp, "evil.example:4000").await.unwrap().status(), 403);
    /// # }
    /// ```
    pub fn allowed_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }

    /// The engine configuration this builder describes.
    ///
    /// ```
    /// use mock_idp::{MockIdp, User};
    /// let builder = MockIdp::builder()
    ///     .user(User::new("carol@example.com"))
    ///     .deterministic()
    ///     .without_control_api();
    /// let config = builder.config();
    /// assert!(config.deterministic);
    /// assert!(!config.control_api);
    /// assert!(config.tenant.users.iter().any(|u| u.email == "carol@example.com"));
    /// assert!(config.tenant.users.iter().any(|u| u.email == "alice@example.com"));
    /// ```
    pub fn config(&self) -> IdpConfig {
        let mut tenant = self.tenant.clone().unwrap_or_default();
        for api in &self.apis {
            tenant.upsert_api(api.clone());
        }
        for client in &self.clients {
            tenant.upsert_client(client.clone());
        }
        for user in &self.users {
            tenant.upsert_user(user.clone());
        }
        for role in &self.roles {
            tenant.roles.retain(|r| r.name != role.name);
            tenant.roles.push(role.clone());
        }
        if let Some(alg) = self.signing_alg {
            tenant.signing_alg = alg;
        }
        if self.default_audience.is_some() {
            tenant.default_audience = self.default_audience.clone();
        }
        IdpConfig {
            tenant,
            issuer: self.issuer.clone(),
            deterministic: self.deterministic,
            fresh_keys: self.fresh_keys,
            keys_file: self.keys_file.clone(),
            control_api: !self.no_control_api,
            allowed_hosts: self.allowed_hosts.clone(),
            ..IdpConfig::default()
        }
    }

    /// Starts the mock. Panics with the reason if the configuration is invalid or no port
    /// can be bound: in a test, that is the clearest failure.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::builder().start().await;
    /// assert_eq!(reqwest::get(idp.url("/health")).await.unwrap().status(), 200);
    /// # }
    /// ```
    ///
    /// ```should_panic
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Client, MockIdp};
    /// // A grant for an API the tenant does not define: the mock refuses to start.
    /// let _idp = MockIdp::builder()
    ///     .client(Client::m2m("worker", "s3cret").grant("https://unknown-api", ["read"]))
    ///     .start()
    ///     .await;
    /// # }
    /// ```
    pub async fn start(self) -> MockIdp {
        let config = self.config();
        let addr = format!("127.0.0.1:{}", self.port);
        let (ready_tx, ready_rx) = oneshot::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("mock-idp".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("mock-idp could not build its runtime");
                runtime.block_on(async move {
                    let server = match Server::bind(&addr, config).await {
                        Ok(server) => server,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok((server.local_addr(), server.idp())));
                    let _ = server
                        .run(async {
                            let _ = shutdown_rx.await;
                        })
                        .await;
                });
            })
            .expect("mock-idp could not spawn its thread");
        let (address, idp) = match ready_rx.await {
            Ok(Ok(ready)) => ready,
            Ok(Err(e)) => panic!("mock-idp failed to start: {e}"),
            Err(_) => panic!("mock-idp failed to start"),
        };
        MockIdp {
            idp,
            address,
            shutdown: Some(shutdown_tx),
        }
    }
}
