//! The test library's face: [`MockIdp`], in the shape of wiremock's `MockServer`, with its
//! [builder](MockIdpBuilder) and [fault builder](FaultBuilder).

mod builder;
mod expectation;
mod explain;
mod fault;
mod pool;

pub use builder::MockIdpBuilder;
pub use expectation::{Expectation, ExpectationGuard};
pub use explain::Explain;
pub use fault::FaultBuilder;

use std::net::SocketAddr;
use std::panic::Location;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::oneshot;

use crate::backchannel;
use crate::clock::Clock;
use crate::control::faults::Fault;
use crate::control::journal::{Endpoint, RecordedRequest};
use crate::engine::SharedIdp;
use crate::issuance::builder::TokenBuilder;
use crate::store::backchannel::BackchannelLogout;
use crate::store::device::DeviceAuthorization;
use crate::store::issued::{IssuedBy, TokenUse};
use crate::store::outbox::OutboxMessage;
use crate::store::sessions::SessionInfo;
use crate::tenant::{Client, User};

/// A mock identity provider running in the test's process, on an ephemeral port.
///
/// It serves on its own thread and runtime (as wiremock does), so it keeps answering while
/// the test blocks, whatever runtime the test uses. As wiremock's, its server comes from a
/// pool shared by the process and goes back to it when the mock drops: starting one costs
/// a few microseconds, and a test still gets a fresh mock, with its own port, issuer and
/// state, nothing left from the previous user of the server. A fixed
/// [`port`](MockIdpBuilder::port), [`fresh_keys`](MockIdpBuilder::fresh_keys) or a
/// [`keys_file`](MockIdpBuilder::keys_file) get a server of their own, stopped on drop;
/// [`shut_down`](MockIdp::shut_down) takes any mock's port down.
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
    pub(super) idp: SharedIdp,
    pub(super) address: SocketAddr,
    /// The CA that signed its certificate, when it speaks HTTPS.
    pub(super) ca_pem: Option<Arc<str>>,
    /// `None` once shut down.
    pub(super) serving: Option<Serving>,
}

/// Where a [`MockIdp`] is served from.
#[derive(Debug)]
pub(crate) enum Serving {
    /// A server leased from the pool, given back when the mock drops.
    Pooled(pool::PooledServer),
    /// A server of its own (a fixed port, fresh keys or a keys file), stopped when the mock
    /// drops.
    Own {
        stop: oneshot::Sender<()>,
        stopped: oneshot::Receiver<()>,
    },
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
        self.idp.issuer()
    }

    /// The base URL the mock is reachable at: `http://127.0.0.1:<port>`
    /// (`https://` for an [`https`](MockIdpBuilder::https) mock).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(idp.uri(), format!("http://127.0.0.1:{}", idp.address().port()));
    /// assert!(!idp.uri().ends_with('/'));
    /// # }
    /// ```
    pub fn uri(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.address)
    }

    /// The certificate of the CA that signed an [`https`](MockIdpBuilder::https) mock's
    /// certificate, as PEM: what a client under test trusts. `None` for plain HTTP.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// // Arrange: a client that trusts the mock's CA, and only it.
    /// let idp = MockIdp::builder().https().start().await;
    /// let ca = reqwest::Certificate::from_pem(idp.ca_certificate_pem().unwrap().as_bytes()).unwrap();
    /// let http = reqwest::Client::builder().tls_certs_only([ca]).build().unwrap();
    ///
    /// // Act
    /// let discovery: serde_json::Value = http.get(idp.discovery_url()).send().await.unwrap().json().await.unwrap();
    ///
    /// // Assert
    /// assert_eq!(discovery["issuer"], format!("https://localhost:{}/", idp.address().port()));
    /// assert_eq!(MockIdp::start().await.ca_certificate_pem(), None);
    /// # }
    /// ```
    pub fn ca_certificate_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
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
        let signer = crate::issuance::jws::Signer::Key(self.idp.active_key());
        let token =
            crate::issuance::jws::encode_raw(header.as_bytes(), payload.as_bytes(), &signer);
        self.idp
            .remember_token(TokenUse::Access, IssuedBy::Minted, &token);
        token
    }

    /// Explains why an API would accept or reject `token`: each check a hardened validator
    /// makes, against this mock's keys (and the ones it retired), clock and tenant, with hints
    /// that say what to do. Say what the API expects on the [`Explain`] builder, then call
    /// [`report`](Explain::report). `POST /_mock/explain` answers the same, as JSON.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Check, MockIdp, Outcome};
    /// // Arrange: a token signed by a key the mock has since rotated out and retired.
    /// let idp = MockIdp::start().await;
    /// let token = idp.token().sign();
    /// idp.rotate_keys();
    /// idp.retire_keys();
    ///
    /// // Act
    /// let report = idp.explain(&token).audience("https://sample-api").report();
    ///
    /// // Assert
    /// assert!(!report.is_valid());
    /// assert_eq!(report.check(Check::Kid).outcome, Outcome::Failed);
    /// assert_eq!(report.check(Check::Signature).outcome, Outcome::NotRun);
    /// assert!(report.hints[0].contains("rotated out and retired"), "{:?}", report.hints);
    /// # }
    /// ```
    pub fn explain(&self, token: &str) -> Explain {
        Explain::new(Arc::clone(&self.idp), token)
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

    /// The user whose email or `user_id` is `login`, as the mock has them now: what the
    /// Management API and logins changed included (`app_metadata`, `logins_count`, ...).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::MockIdp;
    /// let idp = MockIdp::builder().deterministic().start().await;
    /// reqwest::Client::new()
    ///     .post(idp.url("/oauth/token"))
    ///     .form(&[("grant_type", "password"), ("client_id", "sample-spa"),
    ///             ("username", "alice@example.com"), ("password", "password")])
    ///     .send().await.unwrap();
    /// let alice = idp.user("auth0|alice").unwrap();
    /// assert_eq!(alice.logins_count, 1);
    /// assert_eq!(alice.last_login.as_deref(), Some("2030-01-01T00:00:00.000Z"));
    /// assert!(idp.user("nobody@example.com").is_none());
    /// # }
    /// ```
    pub fn user(&self, login: &str) -> Option<User> {
        let tenant = self.idp.tenant();
        let user = tenant.user_by_login(login)?;
        Some(self.idp.logins.merged(user).into_owned())
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
        self.idp.sessions.list(self.idp.clock.now())
    }

    /// Ends every login session, as if each user had logged out (or the sessions expired):
    /// the next `prompt=none` answers `login_required`. Tokens already issued stay valid; the
    /// sessions' clients get their back-channel logouts.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// idp.end_sessions();
    /// assert!(idp.sessions().is_empty());
    /// # }
    /// ```
    pub fn end_sessions(&self) {
        backchannel::end_all_sessions(&self.idp);
    }

    /// Ends the login session with this `sid` (the claim its ID tokens carry), as
    /// `DELETE /_mock/sessions/{sid}` does; whether there was a live one. Clients that received
    /// tokens in it get a back-channel logout (see
    /// [`wait_for_backchannel_logouts`](MockIdp::wait_for_backchannel_logouts)).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert!(!idp.end_session("no-such-sid"));
    /// # }
    /// ```
    pub fn end_session(&self, sid: &str) -> bool {
        backchannel::end_session(&self.idp, sid)
    }

    /// The device authorizations (RFC 8628) not yet expired, oldest first: how a test finds the
    /// user code a CLI under test asked for.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Client, DeviceStatus, MockIdp};
    /// let idp = MockIdp::builder().client(Client::native("my-cli")).start().await;
    /// let started: serde_json::Value = reqwest::Client::new().post(idp.url("/oauth/device/code"))
    ///     .form(&[("client_id", "my-cli"), ("scope", "openid")])
    ///     .send().await.unwrap().json().await.unwrap();
    ///
    /// let pending = idp.device_authorizations();
    /// assert_eq!(pending[0].user_code, started["user_code"].as_str().unwrap());
    /// assert_eq!(pending[0].status, DeviceStatus::Pending);
    /// # }
    /// ```
    pub fn device_authorizations(&self) -> Vec<DeviceAuthorization> {
        let now = self.idp.clock.now();
        self.idp
            .device
            .live(now)
            .iter()
            .map(|d| d.public())
            .collect()
    }

    /// Approves a pending device authorization as the user with this email (or `sub`), as
    /// that user would at `/activate`: the device's next poll gets tokens for them. Panics if
    /// the code is unknown, expired or already decided, or the user is unknown or blocked.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Client, MockIdp};
    /// // Arrange: a CLI has started the device flow.
    /// let idp = MockIdp::builder().client(Client::native("my-cli")).start().await;
    /// let http = reqwest::Client::new();
    /// let started: serde_json::Value = http.post(idp.url("/oauth/device/code"))
    ///     .form(&[("client_id", "my-cli"), ("scope", "openid")])
    ///     .send().await.unwrap().json().await.unwrap();
    ///
    /// // Act: alice approves, no browser needed.
    /// idp.approve_device(started["user_code"].as_str().unwrap(), "alice@example.com");
    ///
    /// // Assert: the device's poll gets her tokens.
    /// let tokens: serde_json::Value = http.post(idp.url("/oauth/token"))
    ///     .form(&[
    ///         ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
    ///         ("client_id", "my-cli"),
    ///         ("device_code", started["device_code"].as_str().unwrap()),
    ///     ])
    ///     .send().await.unwrap().json().await.unwrap();
    /// assert!(tokens["id_token"].is_string(), "{tokens}");
    /// # }
    /// ```
    #[track_caller]
    pub fn approve_device(&self, user_code: &str, login: &str) {
        if let Err(e) = self.idp.decide_device(user_code, Some(login)) {
            panic!(
                "mock-idp cannot approve device code {user_code:?}: {}",
                e.description()
            );
        }
    }

    /// Denies a pending device authorization, as a user cancelling at `/activate` would: the
    /// device's next poll gets `access_denied`. Panics if the code is unknown, expired or
    /// already decided.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Client, DeviceStatus, MockIdp};
    /// let idp = MockIdp::builder().client(Client::native("my-cli")).start().await;
    /// reqwest::Client::new().post(idp.url("/oauth/device/code"))
    ///     .form(&[("client_id", "my-cli")])
    ///     .send().await.unwrap();
    /// let user_code = idp.device_authorizations()[0].user_code.clone();
    ///
    /// idp.deny_device(&user_code);
    ///
    /// assert_eq!(idp.device_authorizations()[0].status, DeviceStatus::Denied);
    /// # }
    /// ```
    #[track_caller]
    pub fn deny_device(&self, user_code: &str) {
        if let Err(e) = self.idp.decide_device(user_code, None) {
            panic!(
                "mock-idp cannot deny device code {user_code:?}: {}",
                e.description()
            );
        }
    }

    /// The back-channel logouts that have finished, in the order they did: delivered, refused
    /// or failed (see [`BackchannelOutcome`](crate::BackchannelOutcome)).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert!(idp.backchannel_logouts().is_empty());
    /// # }
    /// ```
    pub fn backchannel_logouts(&self) -> Vec<BackchannelLogout> {
        self.idp.backchannel_logouts.list()
    }

    /// Waits until every back-channel logout started so far has finished, and returns the
    /// finished ones, in the order they finished; panics if fewer than `n` were sent. Each
    /// delivery is counted before the logout that starts it answers, so after a logout
    /// response the list is exactly what that logout sent: no sleeping, and the wait lasts at
    /// most the delivery timeout (`[backchannel_logout] timeout_ms`, or
    /// [`MockIdpBuilder::backchannel_logout_timeout`]).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Client, MockIdp};
    /// use wiremock::{Mock, MockServer, ResponseTemplate, matchers::method};
    ///
    /// // Arrange: a web app that takes back-channel logouts, and Alice logged in to it.
    /// let app = MockServer::start().await;
    /// Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&app).await;
    /// let idp = MockIdp::builder()
    ///     .client(
    ///         Client::regular_web("portal", "portal-secret")
    ///             .callback("http://localhost:3000/callback")
    ///             .backchannel_logout_url(format!("{}/backchannel-logout", app.uri())),
    ///     )
    ///     .start()
    ///     .await;
    /// idp.next_login("alice@example.com");
    /// let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    /// let callback = http
    ///     .get(idp.url("/authorize"))
    ///     .query(&[
    ///         ("client_id", "portal"),
    ///         ("response_type", "code"),
    ///         ("redirect_uri", "http://localhost:3000/callback"),
    ///         ("scope", "openid"),
    ///     ])
    ///     .send().await.unwrap();
    /// let location = url::Url::parse(callback.headers()["location"].to_str().unwrap()).unwrap();
    /// let code = location.query_pairs().find(|(name, _)| name == "code").unwrap().1.into_owned();
    /// let tokens = http
    ///     .post(idp.url("/oauth/token"))
    ///     .form(&[
    ///         ("grant_type", "authorization_code"),
    ///         ("client_id", "portal"),
    ///         ("client_secret", "portal-secret"),
    ///         ("code", code.as_str()),
    ///         ("redirect_uri", "http://localhost:3000/callback"),
    ///     ])
    ///     .send().await.unwrap();
    /// assert_eq!(tokens.status(), 200);
    ///
    /// // Act: the session ends, as `/v2/logout` or `DELETE /_mock/sessions/{sid}` end it.
    /// let sid = idp.sessions()[0].sid.clone();
    /// assert!(idp.end_session(&sid));
    ///
    /// // Assert
    /// let sent = idp.wait_for_backchannel_logouts(1).await;
    /// assert_eq!((sent[0].client_id.as_str(), sent[0].sid.as_str()), ("portal", sid.as_str()));
    /// assert!(sent[0].outcome.is_accepted(), "{:?}", sent[0].outcome);
    /// let posted = &app.received_requests().await.unwrap()[0];
    /// assert!(String::from_utf8_lossy(&posted.body).starts_with("logout_token="));
    /// # }
    /// ```
    pub async fn wait_for_backchannel_logouts(&self, n: usize) -> Vec<BackchannelLogout> {
        let sent = self.idp.backchannel_logouts.settled().await;
        assert!(
            sent.len() >= n,
            "mock-idp: expected {n} back-channel logouts, but {} were sent: {sent:#?}",
            sent.len()
        );
        sent
    }

    /// The emails and SMS the tenant sent (sign-up verification, password reset, passwordless
    /// codes and links), oldest first: the last 200 (`GET /_mock/outbox` over HTTP). A test
    /// reads a code or a link here instead of in a mailbox.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{MessageKind, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// let http = reqwest::Client::new();
    ///
    /// // Act: alice forgot her password.
    /// let answer = http.post(idp.url("/dbconnections/change_password"))
    ///     .json(&serde_json::json!({ "client_id": "sample-spa", "email": "alice@example.com",
    ///                                "connection": "Username-Password-Authentication" }))
    ///     .send().await.unwrap();
    ///
    /// // Assert: Auth0's answer, and the email with its link.
    /// assert_eq!(answer.text().await.unwrap(), "We've just sent you an email to reset your password.");
    /// let email = idp.outbox().pop().unwrap();
    /// assert_eq!((email.to.as_str(), email.kind), ("alice@example.com", MessageKind::ResetPassword));
    /// assert!(email.link.unwrap().starts_with(&format!("{}u/reset-password?ticket=", idp.issuer())));
    /// # }
    /// ```
    pub fn outbox(&self) -> Vec<OutboxMessage> {
        self.idp.outbox.list()
    }

    /// Back to the starting state: tenant, keys, clock, journal, faults, sessions, grants, the
    /// outbox, the tokens handed out (keys it unpublishes are remembered as retired, for
    /// [`explain`](MockIdp::explain)).
    /// [Expectations](MockIdp::expect) stay, with their counts: they belong to the test, not
    /// to the mock's state (`POST /_mock/reset` leaves them too).
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

    /// Expects requests to `endpoint`, registered at once and checked when the mock drops
    /// (see [`Expectation`] for the bounds, filters and [`scoped`](Expectation::scoped)
    /// guards). Only requests that arrive from now on count.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    ///
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// reqwest::get(idp.jwks_uri()).await.unwrap(); // before the expectation: not counted
    /// idp.expect(Endpoint::Jwks).times(1).named("the API caches the JWKS");
    ///
    /// // Act
    /// reqwest::get(idp.jwks_uri()).await.unwrap();
    ///
    /// // Assert: checked when `idp` drops, at the end of the test.
    /// # }
    /// ```
    #[track_caller]
    pub fn expect(&self, endpoint: Endpoint) -> Expectation {
        Expectation::register(Arc::clone(&self.idp), endpoint, Location::caller())
    }

    /// Checks every unscoped expectation now, and panics with a report of those not met.
    ///
    /// As wiremock's `MockServer::verify`, it does not consume them: the mock checks them
    /// again when it drops, so an `at_most` exceeded after this call still fails the test.
    ///
    /// ```should_panic
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Endpoint, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::start().await;
    /// idp.expect(Endpoint::Jwks).at_most(1);
    ///
    /// // Act
    /// reqwest::get(idp.jwks_uri()).await.unwrap();
    /// idp.verify(); // met so far
    /// reqwest::get(idp.jwks_uri()).await.unwrap();
    ///
    /// // Assert: panics with "- Jwks: wanted at most 1, got 2".
    /// idp.verify();
    /// # }
    /// ```
    #[track_caller]
    pub fn verify(&self) {
        self.idp.expectations.verify_unscoped();
    }

    /// Takes the IdP down for good: when this returns, its port refuses connections, as an
    /// IdP that crashed. For outage tests; a plain drop gives a pooled server back instead
    /// (it then answers 503 until another test takes it). Expectations are verified as on drop.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// // Arrange
    /// let idp = mock_idp::MockIdp::start().await;
    /// let address = idp.address();
    ///
    /// // Act
    /// idp.shut_down().await;
    ///
    /// // Assert
    /// assert!(tokio::net::TcpStream::connect(address).await.is_err());
    /// # }
    /// ```
    pub async fn shut_down(mut self) {
        match self.serving.take() {
            Some(Serving::Pooled(server)) => server.shut_down().await,
            Some(Serving::Own { stop, stopped }) => {
                let _ = stop.send(());
                let _ = stopped.await;
            }
            None => {}
        }
    }
}

impl Drop for MockIdp {
    /// Gives the server back to the pool (or stops a server of its own), then verifies the
    /// unscoped expectations (see [`MockIdp::verify`]).
    fn drop(&mut self) {
        match self.serving.take() {
            Some(Serving::Pooled(server)) => server.release(),
            Some(Serving::Own { stop, .. }) => {
                let _ = stop.send(());
            }
            None => {}
        }
        self.idp.expectations.verify_unscoped();
    }
}
