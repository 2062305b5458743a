//! [`MockIdpBuilder`]: a mock with its own tenant, issuer, keys or port.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::oneshot;

use super::pool::{PooledServer, Recipe};
use super::{MockIdp, Serving};
use crate::actions::Action;
use crate::engine::IdpConfig;
use crate::issuance::keys::Algorithm;
use crate::issuer::DiscoveryUrls;
use crate::server::Server;
use crate::tenant::{Api, Client, Organization, Role, TenantConfig, User};
use crate::tls::Tls;

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
    organizations: Vec<Organization>,
    organization_names: Option<bool>,
    issuer: Option<String>,
    deterministic: bool,
    fresh_keys: bool,
    keys_file: Option<PathBuf>,
    signing_alg: Option<Algorithm>,
    default_audience: Option<String>,
    port: u16,
    no_control_api: bool,
    allowed_hosts: Vec<String>,
    discovery_urls: DiscoveryUrls,
    backchannel_logout_timeout: Option<Duration>,
    https: bool,
    actions: Vec<Action>,
    action_timeout: Option<Duration>,
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
    ///     .role(Role::new("writer").permissions(["write:messages"]))
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

    /// Adds (or replaces, by name) an organization. Its members must be users of the tenant
    /// and their roles roles of the tenant, or the mock refuses to start.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Client, Member, MockIdp, Organization, OrganizationUsage};
    /// // Arrange: bob is not a member of globex; the SPA may log users in through organizations.
    /// let globex = Organization::new("globex").member(Member::new("alice@example.com"));
    /// let org_id = globex.id();
    /// let idp = MockIdp::builder()
    ///     .organization(globex)
    ///     .client(Client::spa("b2b").callback("http://localhost:3000").organization_usage(OrganizationUsage::Require))
    ///     .start()
    ///     .await;
    /// idp.next_login("bob@example.com");
    ///
    /// // Act
    /// let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    /// let response = browser.get(idp.url("/authorize")).query(&[
    ///     ("client_id", "b2b"),
    ///     ("response_type", "code"),
    ///     ("redirect_uri", "http://localhost:3000"),
    ///     ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    ///     ("code_challenge_method", "S256"),
    ///     ("organization", org_id.as_str()),
    /// ]).send().await.unwrap();
    ///
    /// // Assert: back to the application with Auth0's refusal.
    /// let location = response.headers()["location"].to_str().unwrap();
    /// assert!(location.starts_with("http://localhost:3000/?error=access_denied"), "{location}");
    /// assert!(location.contains("is+not+part+of+the"), "{location}");
    /// # }
    /// ```
    pub fn organization(mut self, organization: Organization) -> Self {
        self.organizations.push(organization);
        self
    }

    /// Accepts organization names in `/authorize`'s `organization` parameter and puts
    /// `org_name` in tokens (Auth0's tenant setting "Allow Organization Names in
    /// Authentication API"; off by default, as on Auth0).
    ///
    /// ```
    /// let config = mock_idp::MockIdp::builder().organization_names(true).config();
    /// assert!(config.tenant.allow_organization_name_in_authentication_api);
    /// ```
    pub fn organization_names(mut self, allow: bool) -> Self {
        self.organization_names = Some(allow);
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

    /// Where the discovery document's endpoint URLs point: at the issuer (the default), or
    /// at whatever host each request was sent to, with `issuer` unchanged. The example is on
    /// [`DiscoveryUrls`].
    pub fn discovery_urls(mut self, mode: DiscoveryUrls) -> Self {
        self.discovery_urls = mode;
        self
    }

    /// How long one back-channel logout may take before it counts as timed out (default
    /// 2 s, the tenant's `[backchannel_logout] timeout_ms`). Shorten it for tests of a
    /// receiver that hangs.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = mock_idp::MockIdp::builder()
    ///     .backchannel_logout_timeout(Duration::from_millis(200))
    ///     .config();
    /// assert_eq!(config.tenant.backchannel_logout.timeout_ms, 200);
    /// ```
    pub fn backchannel_logout_timeout(mut self, timeout: Duration) -> Self {
        self.backchannel_logout_timeout = Some(timeout);
        self
    }

    /// Speak HTTPS, with a certificate for `localhost`, `127.0.0.1`, `::1` and the issuer's
    /// host signed by a CA made in memory once per process (no files); the issuer becomes
    /// `https://localhost:<port>/`. Trust [`MockIdp::ca_certificate_pem`] in the client
    /// under test (the example is there). Such a mock has a server of its own, not a pooled
    /// one.
    pub fn https(mut self) -> Self {
        self.https = true;
        self
    }

    /// Binds an Auth0 Action to its trigger, after those already bound (replacing one of the
    /// same name). Its code is compiled when the mock starts: a syntax error panics there,
    /// naming the Action and the line.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// use mock_idp::{Action, MockIdp, Trigger};
    /// let idp = MockIdp::builder()
    ///     .action(Action::new("tier", Trigger::CredentialsExchange, r#"
    ///         exports.onExecuteCredentialsExchange = async (event, api) => {
    ///           api.accessToken.setCustomClaim("https://example.com/tier", event.secrets.TIER);
    ///         };"#).secret("TIER", "gold"))
    ///     .start()
    ///     .await;
    /// let body: serde_json::Value = reqwest::Client::new().post(idp.url("/oauth/token")).form(&[
    ///     ("grant_type", "client_credentials"),
    ///     ("client_id", "sample-m2m"),
    ///     ("client_secret", "sample-m2m-secret"),
    ///     ("audience", "https://sample-api"),
    /// ]).send().await.unwrap().json().await.unwrap();
    /// assert_eq!(payload(body["access_token"].as_str().unwrap())["https://example.com/tier"], "gold");
    /// # }
    /// ```
    pub fn action(mut self, action: Action) -> Self {
        self.actions.push(action);
        self
    }

    /// How long one flow's Actions may run together; Auth0's 20 seconds by default. A test
    /// of a runaway Action sets a short one.
    ///
    /// ```
    /// let config = mock_idp::MockIdp::builder().action_timeout(std::time::Duration::from_millis(200)).config();
    /// assert_eq!(config.tenant.action_timeout.as_millis(), 200);
    /// ```
    pub fn action_timeout(mut self, timeout: Duration) -> Self {
        self.action_timeout = Some(timeout);
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
        for organization in &self.organizations {
            tenant.upsert_organization(organization.clone());
        }
        if let Some(allow) = self.organization_names {
            tenant.allow_organization_name_in_authentication_api = allow;
        }
        if let Some(alg) = self.signing_alg {
            tenant.signing_alg = alg;
        }
        if self.default_audience.is_some() {
            tenant.default_audience = self.default_audience.clone();
        }
        for action in &self.actions {
            tenant.actions.retain(|a| a.name != action.name);
            tenant.actions.push(action.clone());
        }
        if let Some(timeout) = self.action_timeout {
            tenant.action_timeout = timeout;
        }
        if let Some(timeout) = self.backchannel_logout_timeout {
            tenant.backchannel_logout.timeout_ms =
                u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        }
        IdpConfig {
            tenant,
            issuer: self.issuer.clone(),
            deterministic: self.deterministic,
            fresh_keys: self.fresh_keys,
            keys_file: self.keys_file.clone(),
            control_api: !self.no_control_api,
            allowed_hosts: self.allowed_hosts.clone(),
            discovery_urls: self.discovery_urls,
            tls: self.https.then_some(Tls::Ephemeral),
            // Not `..IdpConfig::default()`: that would build a default tenant only to drop it.
            journal_capacity: IdpConfig::JOURNAL_CAPACITY,
        }
    }

    /// What the pool can renew an engine from: `Some` when nothing but
    /// [`deterministic`](Self::deterministic) was set, so the configuration is the default
    /// one without building it.
    fn recipe(&self) -> Option<Recipe> {
        // No `..`: a setting added to the builder must say here whether it changes the engine.
        let Self {
            tenant,
            apis,
            clients,
            users,
            roles,
            issuer,
            deterministic,
            fresh_keys,
            keys_file,
            signing_alg,
            default_audience,
            port: _,
            no_control_api,
            allowed_hosts,
            discovery_urls,
            backchannel_logout_timeout,
            https,
            organizations,
            organization_names,
            actions,
            action_timeout,
        } = self;
        let plain = tenant.is_none()
            && apis.is_empty()
            && clients.is_empty()
            && users.is_empty()
            && roles.is_empty()
            && issuer.is_none()
            && !fresh_keys
            && keys_file.is_none()
            && signing_alg.is_none()
            && default_audience.is_none()
            && !no_control_api
            && allowed_hosts.is_empty()
            && *discovery_urls == DiscoveryUrls::default()
            && backchannel_logout_timeout.is_none()
            && !https
            && organizations.is_empty()
            && organization_names.is_none()
            && actions.is_empty()
            && action_timeout.is_none();
        plain.then_some(Recipe {
            deterministic: *deterministic,
        })
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
        // What a pooled server cannot give: a port of the test's choosing, keys that are not
        // the embedded ones (a pool is shared by every test of the process), or TLS, which
        // stays off the pooled plain-HTTP path so that it costs those tests nothing.
        let needs_own_server =
            self.port != 0 || self.fresh_keys || self.keys_file.is_some() || self.https;
        if !needs_own_server {
            let (server, idp) = PooledServer::lease(self.recipe(), || self.config())
                .unwrap_or_else(|e| panic!("mock-idp failed to start: {e}"));
            return MockIdp {
                idp,
                address: server.address(),
                ca_pem: None,
                serving: Some(Serving::Pooled(server)),
            };
        }
        let config = self.config();
        let addr = format!("127.0.0.1:{}", self.port);
        let (ready_tx, ready_rx) = oneshot::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let (stopped_tx, stopped_rx) = oneshot::channel::<()>();
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
                    let ca_pem = server.ca_certificate_pem().map(std::sync::Arc::from);
                    let _ = ready_tx.send(Ok((server.local_addr(), server.idp(), ca_pem)));
                    let _ = server
                        .run(async {
                            let _ = shutdown_rx.await;
                        })
                        .await;
                });
                let _ = stopped_tx.send(());
            })
            .expect("mock-idp could not spawn its thread");
        let (address, idp, ca_pem) = match ready_rx.await {
            Ok(Ok(ready)) => ready,
            Ok(Err(e)) => panic!("mock-idp failed to start: {e}"),
            Err(_) => panic!("mock-idp failed to start"),
        };
        MockIdp {
            idp,
            address,
            ca_pem,
            serving: Some(Serving::Own {
                stop: shutdown_tx,
                stopped: stopped_rx,
            }),
        }
    }
}
