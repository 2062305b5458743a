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
    pub fn issuer(&self) -> &str {
        &self.idp.issuer
    }

    /// The base URL the mock is reachable at: `http://127.0.0.1:<port>`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// An absolute URL on the mock: `idp.url("/oauth/token")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.uri(), path.trim_start_matches('/'))
    }

    /// The socket address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The discovery document's URL (under the issuer).
    pub fn discovery_url(&self) -> String {
        self.idp.public_url(".well-known/openid-configuration")
    }

    /// The JWKS URL (under the issuer).
    pub fn jwks_uri(&self) -> String {
        self.idp.public_url(".well-known/jwks.json")
    }

    /// Mints a token directly; see [`TokenBuilder`].
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
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let input = format!("{}.{}", b64.encode(header), b64.encode(payload));
        let signature = self.idp.active_key().sign(input.as_bytes());
        format!("{input}.{}", b64.encode(signature))
    }

    /// The published JWK set.
    pub fn jwks(&self) -> Value {
        self.idp.jwks()
    }

    /// The `kid` of the key that signs now.
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
    pub fn retire_keys(&self) -> usize {
        self.idp
            .retire_keys()
            .unwrap_or_else(|e| panic!("mock-idp could not retire keys: {e}"))
    }

    /// The mock's clock.
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
    pub fn clear_faults(&self) {
        self.idp.faults.clear();
    }

    /// Adds or replaces a user while the mock runs.
    pub fn upsert_user(&self, user: User) {
        self.idp.update_tenant(|t| t.upsert_user(user));
    }

    /// Adds or replaces a client while the mock runs.
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
#[derive(Debug)]
#[must_use = "a fault does nothing until `.install()` is called"]
pub struct FaultBuilder {
    idp: SharedIdp,
    fault: Fault,
}

impl FaultBuilder {
    /// Answer with this status instead of handling the request.
    pub fn status(mut self, status: u16) -> Self {
        self.fault.status = Some(status);
        self
    }

    /// Answer with this body (and content type). Without a status, answers 200.
    pub fn body(mut self, body: impl Into<String>, content_type: impl Into<String>) -> Self {
        self.fault.body = Some(body.into());
        self.fault.content_type = Some(content_type.into());
        self.fault.status.get_or_insert(200);
        self
    }

    /// Wait before answering (real time: this is for exercising client timeouts).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.fault.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Apply to the next `n` requests only (default: until cleared).
    pub fn times(mut self, n: u32) -> Self {
        self.fault.times = Some(n.max(1));
        self
    }

    /// Installs the fault.
    pub fn install(self) {
        self.idp.faults.install(self.fault);
    }
}

/// Configures a [`MockIdp`] before it starts.
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
}

impl MockIdpBuilder {
    /// Starts from `tenant` instead of the default tenant.
    pub fn tenant(mut self, tenant: TenantConfig) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Starts from an empty tenant.
    pub fn without_default_tenant(self) -> Self {
        self.tenant(TenantConfig::empty())
    }

    /// Adds (or replaces) a user.
    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Adds (or replaces) a client.
    pub fn client(mut self, client: Client) -> Self {
        self.clients.push(client);
        self
    }

    /// Adds (or replaces) an API.
    pub fn api(mut self, api: Api) -> Self {
        self.apis.push(api);
        self
    }

    /// Adds a role.
    pub fn role(mut self, role: Role) -> Self {
        self.roles.push(role);
        self
    }

    /// The audience used when a token request names none.
    pub fn default_audience(mut self, audience: impl Into<String>) -> Self {
        self.default_audience = Some(audience.into());
        self
    }

    /// Embedded keys, a clock frozen at [`DETERMINISTIC_EPOCH`](crate::DETERMINISTIC_EPOCH)
    /// and sequential ids: the same requests give byte-identical tokens. Pin the issuer too
    /// (the port changes between runs): `.issuer("http://mock-idp.test/")`.
    pub fn deterministic(mut self) -> Self {
        self.deterministic = true;
        self
    }

    /// The public issuer URL (normalised to one trailing slash). The mock still listens on
    /// its own address; use [`MockIdp::url`] to reach it.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Generate a key for this mock instead of using the embedded development key, so its
    /// tokens verify against no other mock's JWKS.
    pub fn fresh_keys(mut self) -> Self {
        self.fresh_keys = true;
        self
    }

    /// Persist keys in `path` (created on first use).
    pub fn keys_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.keys_file = Some(path.into());
        self
    }

    /// The tenant's signing algorithm (RS256 by default; PS256 or ES256).
    pub fn signing_alg(mut self, alg: Algorithm) -> Self {
        self.signing_alg = Some(alg);
        self
    }

    /// Listen on this port instead of an ephemeral one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Do not serve `/_mock/*`.
    pub fn without_control_api(mut self) -> Self {
        self.no_control_api = true;
        self
    }

    /// The engine configuration this builder describes.
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
            ..IdpConfig::default()
        }
    }

    /// Starts the mock. Panics with the reason if the configuration is invalid or no port
    /// can be bound: in a test, that is the clearest failure.
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
