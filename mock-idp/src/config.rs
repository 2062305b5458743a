//! The tenant: APIs, clients, users and roles, plus token lifetimes and server settings.
//!
//! One set of types serves the TOML file (`--config`), the Rust builder and the control API, so
//! the binary and the library cannot drift apart. The embedded default tenant is
//! [`TenantConfig::default`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::keys::Algorithm;

/// Auth0's database connection name; users' `sub` is `auth0|<id>` like on a real tenant.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{DEFAULT_CONNECTION, MockIdp};
/// // The password-realm grant names the connection, as on Auth0.
/// let idp = MockIdp::start().await;
/// let grant = |realm: &'static str| {
///     reqwest::Client::new().post(idp.url("/oauth/token")).form(&[
///         ("grant_type", "http://auth0.com/oauth/grant-type/password-realm"),
///         ("client_id", "sample-spa"),
///         ("username", "alice@example.com"),
///         ("password", "password"),
///         ("realm", realm),
///     ]).send()
/// };
/// assert_eq!(grant(DEFAULT_CONNECTION).await.unwrap().status(), 200);
/// assert_eq!(grant("google-oauth2").await.unwrap().status(), 400);
/// # }
/// ```
pub const DEFAULT_CONNECTION: &str = "Username-Password-Authentication";

/// What Auth0 says, on the login page and to the password grant alike, when the login or the
/// password is wrong (never which of the two).
pub(crate) const WRONG_CREDENTIALS: &str = "Wrong email or password.";

/// Everything a tenant is made of. Deserialises from the TOML config file.
///
/// ```
/// let tenant = mock_idp::TenantConfig::from_toml(r#"
///     [[users]]
///     email = "carol@example.com"
///     password = "hunter2"
///     permissions = ["read:messages"]
/// "#).unwrap();
/// // The default tenant is kept and extended unless `include_default_tenant = false`.
/// assert!(tenant.users.iter().any(|u| u.email == "alice@example.com"));
/// assert!(tenant.users.iter().any(|u| u.email == "carol@example.com"));
/// ```
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TenantConfig {
    /// Start from the embedded default tenant and add to it (`true`, the default), or start
    /// empty. Entries with the same key (API identifier, client id, user email) replace the
    /// default ones.
    pub include_default_tenant: bool,
    /// The algorithm of the tenant's published signing keys (RS256, PS256 or ES256).
    pub signing_alg: Algorithm,
    /// Token and code lifetimes.
    pub tokens: TokenLifetimes,
    /// The audience used when a token request names none (Auth0's tenant "Default Audience").
    pub default_audience: Option<String>,
    /// Accept any `http://localhost:<port>` / `http://127.0.0.1:<port>` as a callback, logout
    /// URL and web origin for every client. A mock convenience, on in the default tenant;
    /// otherwise URLs must match exactly.
    pub allow_any_localhost_port: bool,
    /// Resource servers (Auth0 "APIs").
    pub apis: Vec<Api>,
    /// Applications.
    pub clients: Vec<Client>,
    /// Database users.
    pub users: Vec<User>,
    /// Roles: named sets of permissions assigned to users.
    pub roles: Vec<Role>,
    /// Bind address, port and public issuer (flags and env vars override these).
    pub server: ServerConfig,
}

/// Where the server listens and what it calls itself.
///
/// ```
/// let tenant = mock_idp::TenantConfig::from_toml(r#"
///     [server]
///     port = 4100
///     issuer = "http://mock-idp:4100/"
/// "#).unwrap();
/// assert_eq!(tenant.server.port, Some(4100));
/// assert_eq!(tenant.server.issuer.as_deref(), Some("http://mock-idp:4100/"));
/// assert_eq!(tenant.server.host, None);
/// // Unknown settings are refused, not ignored.
/// assert!(mock_idp::TenantConfig::from_toml("[server]\nprot = 4100").is_err());
/// ```
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Bind host (default `127.0.0.1`).
    pub host: Option<String>,
    /// Bind port (default 4000 for the binary; 0 picks a free one).
    pub port: Option<u16>,
    /// Public issuer URL, when it differs from the bind address (a proxy, a container name).
    pub issuer: Option<String>,
    /// Persist signing keys here (created on first run).
    pub keys_file: Option<String>,
    /// Fixed keys, a frozen clock and sequential ids.
    pub deterministic: Option<bool>,
    /// Serve the `/_mock/*` control API (default on).
    pub control_api: Option<bool>,
    /// Hosts besides loopback and the issuer's whose `Host` header the control API answers.
    pub allowed_hosts: Vec<String>,
}

/// Lifetimes, in seconds. Defaults are Auth0's.
///
/// ```
/// # #[tokio::main] async fn main() {
/// # use base64::Engine;
/// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
/// use mock_idp::{MockIdp, TenantConfig, TokenLifetimes};
/// assert_eq!(TokenLifetimes::default().access_token, 86_400);
///
/// let tenant = TenantConfig::from_toml("[tokens]\naccess_token = 60").unwrap();
/// let idp = MockIdp::builder().tenant(tenant).start().await;
/// let claims = payload(&idp.token().sign());
/// assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 60);
/// # }
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TokenLifetimes {
    /// Access tokens (Auth0 default 86400), unless the API sets its own.
    pub access_token: u64,
    /// ID tokens (Auth0 default 36000).
    pub id_token: u64,
    /// Refresh tokens, absolute (Auth0 default 30 days).
    pub refresh_token: u64,
    /// Authorization codes (RFC 6749 recommends at most 10 minutes).
    pub authorization_code: u64,
    /// Login sessions at the mock (Auth0 default 3 days).
    pub session: u64,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            access_token: 86_400,
            id_token: 36_000,
            refresh_token: 2_592_000,
            authorization_code: 600,
            session: 259_200,
        }
    }
}

/// A resource server: what an access token's `aud` names.
///
/// ```
/// let api = mock_idp::Api::new("https://orders").permissions(["read:orders"]).rbac(true);
/// assert_eq!(api.identifier, "https://orders");
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// The API identifier (the `audience`).
    pub identifier: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The permissions (scopes) the API defines.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Role-based access control: user tokens only get API scopes the user holds.
    #[serde(default)]
    pub rbac: bool,
    /// Put a `permissions` array in access tokens (Auth0's "Add Permissions in the Access
    /// Token"). Defaults to the value of `rbac`.
    #[serde(default)]
    pub add_permissions_in_token: Option<bool>,
    /// Access-token lifetime for this API, seconds.
    #[serde(default)]
    pub token_lifetime: Option<u64>,
    /// RS256 (default: the tenant's keys) or HS256 (with `signing_secret`).
    #[serde(default)]
    pub signing_alg: Option<Algorithm>,
    /// The HS256 secret, when `signing_alg = "HS256"`.
    #[serde(default)]
    pub signing_secret: Option<String>,
    /// Whether refresh tokens may be issued for this API (Auth0's "Allow Offline Access").
    #[serde(default = "yes")]
    pub allow_offline_access: bool,
}

impl Api {
    /// An API with no permissions and RBAC off.
    ///
    /// ```
    /// let api = mock_idp::Api::new("https://orders");
    /// assert_eq!(api.identifier, "https://orders");
    /// assert!(api.permissions.is_empty());
    /// assert!(!api.rbac);
    /// assert!(api.allow_offline_access);
    /// ```
    pub fn new(identifier: impl Into<String>) -> Self {
        Self {
            identifier: identifier.into(),
            name: None,
            permissions: Vec::new(),
            rbac: false,
            add_permissions_in_token: None,
            token_lifetime: None,
            signing_alg: None,
            signing_secret: None,
            allow_offline_access: true,
        }
    }

    /// Sets the permissions the API defines.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # async fn client_credentials(idp: &mock_idp::MockIdp, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("audience", audience)])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{Api, Client, MockIdp};
    /// let idp = MockIdp::builder()
    ///     .api(Api::new("https://orders").permissions(["read:orders"]))
    ///     .client(Client::m2m("worker", "s3cret").grant("https://orders", ["read:orders"]))
    ///     .start()
    ///     .await;
    /// let response = reqwest::Client::new().post(idp.url("/oauth/token"))
    ///     .form(&[("grant_type", "client_credentials"), ("client_id", "worker"), ("client_secret", "s3cret"),
    ///             ("audience", "https://orders"), ("scope", "delete:orders")])
    ///     .send().await.unwrap();
    /// // A scope the API does not define is refused.
    /// assert_eq!(response.status(), 400);
    /// assert_eq!(client_credentials(&idp, "worker", "s3cret", "https://orders").await.status(), 200);
    /// # }
    /// ```
    pub fn permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// Turns RBAC (and, unless set otherwise, the `permissions` claim) on or off.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// # async fn client_credentials(idp: &mock_idp::MockIdp, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("audience", audience)])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{Api, Client, MockIdp};
    /// let idp = MockIdp::builder()
    ///     .api(Api::new("https://orders").permissions(["read:orders"]).rbac(true))
    ///     .api(Api::new("https://billing").permissions(["read:bills"]))
    ///     .client(Client::m2m("worker", "s3cret").grant("https://orders", ["read:orders"]).grant("https://billing", ["read:bills"]))
    ///     .start()
    ///     .await;
    /// let orders: serde_json::Value = client_credentials(&idp, "worker", "s3cret", "https://orders").await.json().await.unwrap();
    /// let billing: serde_json::Value = client_credentials(&idp, "worker", "s3cret", "https://billing").await.json().await.unwrap();
    /// // RBAC on: a `permissions` claim; off: none.
    /// let claims = payload(orders["access_token"].as_str().unwrap());
    /// assert_eq!(claims["permissions"], serde_json::json!(["read:orders"]));
    /// assert!(payload(billing["access_token"].as_str().unwrap()).get("permissions").is_none());
    /// # }
    /// ```
    pub fn rbac(mut self, on: bool) -> Self {
        self.rbac = on;
        self
    }

    /// Sets the access-token lifetime for this API.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # async fn client_credentials(idp: &mock_idp::MockIdp, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("audience", audience)])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{Api, Client, MockIdp};
    /// let idp = MockIdp::builder()
    ///     .api(Api::new("https://orders").token_lifetime(300))
    ///     .client(Client::m2m("worker", "s3cret").grant("https://orders", Vec::<String>::new()))
    ///     .start()
    ///     .await;
    /// let body: serde_json::Value = client_credentials(&idp, "worker", "s3cret", "https://orders").await.json().await.unwrap();
    /// assert_eq!(body["expires_in"], 300);
    /// # }
    /// ```
    pub fn token_lifetime(mut self, secs: u64) -> Self {
        self.token_lifetime = Some(secs);
        self
    }

    /// Signs this API's access tokens with HS256 and `secret`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # async fn client_credentials(idp: &mock_idp::MockIdp, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("audience", audience)])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
    /// use mock_idp::{Api, Client, MockIdp};
    /// // Arrange
    /// let idp = MockIdp::builder()
    ///     .api(Api::new("https://legacy").hs256("legacy-secret"))
    ///     .client(Client::m2m("worker", "s3cret").grant("https://legacy", Vec::<String>::new()))
    ///     .start()
    ///     .await;
    ///
    /// // Act
    /// let body: serde_json::Value = client_credentials(&idp, "worker", "s3cret", "https://legacy").await.json().await.unwrap();
    ///
    /// // Assert: the shared secret verifies it.
    /// let mut validation = Validation::new(Algorithm::HS256);
    /// validation.set_audience(&["https://legacy"]);
    /// let key = DecodingKey::from_secret(b"legacy-secret").unwrap();
    /// assert!(decode::<serde_json::Value>(body["access_token"].as_str().unwrap(), &key, &validation).is_ok());
    /// # }
    /// ```
    pub fn hs256(mut self, secret: impl Into<String>) -> Self {
        self.signing_alg = Some(Algorithm::HS256);
        self.signing_secret = Some(secret.into());
        self
    }

    pub(crate) fn adds_permissions(&self) -> bool {
        self.add_permissions_in_token.unwrap_or(self.rbac)
    }
}

/// The kind of application, as in Auth0's dashboard. It sets the default grant types.
///
/// ```
/// use mock_idp::{AppType, Client, TenantConfig};
/// assert_eq!(Client::spa("a").app_type, AppType::Spa);
/// assert_eq!(Client::m2m("b", "s").app_type, AppType::NonInteractive);
/// // In TOML, snake case.
/// let tenant = TenantConfig::from_toml(r#"
///     [[clients]]
///     client_id = "ios"
///     app_type = "native"
/// "#).unwrap();
/// assert_eq!(tenant.clients.iter().find(|c| c.client_id == "ios").unwrap().app_type, AppType::Native);
/// ```
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum AppType {
    /// Single-page application: public, authorization code + PKCE, refresh tokens.
    #[default]
    Spa,
    /// Server-side web application: confidential.
    RegularWeb,
    /// Native/mobile application: public.
    Native,
    /// Machine-to-machine: confidential, client credentials.
    NonInteractive,
}

/// An application that asks for tokens.
///
/// ```
/// use mock_idp::Client;
/// let spa = Client::spa("my-spa").callback("http://localhost:5173");
/// let m2m = Client::m2m("worker", "s3cret").grant("https://sample-api", ["read:messages"]);
/// assert!(spa.client_secret.is_none());
/// assert_eq!(m2m.grants[0].audience, "https://sample-api");
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// The `client_id`.
    pub client_id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Application type.
    #[serde(default)]
    pub app_type: AppType,
    /// The secret of a confidential client; public clients have none.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Allowed callback URLs (`redirect_uri`).
    #[serde(default)]
    pub callbacks: Vec<String>,
    /// Allowed logout URLs (`returnTo`, `post_logout_redirect_uri`).
    #[serde(default)]
    pub allowed_logout_urls: Vec<String>,
    /// Allowed web origins (silent authentication, CORS).
    #[serde(default)]
    pub web_origins: Vec<String>,
    /// Grant types the client may use; defaults follow `app_type`.
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    /// Client grants: the APIs (and scopes) this client may get client-credentials tokens for.
    #[serde(default)]
    pub grants: Vec<ClientGrant>,
    /// Custom claims added to every token issued to this client (use namespaced names).
    #[serde(default)]
    pub claims: BTreeMap<String, Value>,
    /// ID-token signing algorithm; HS256 signs with the client secret.
    #[serde(default)]
    pub id_token_signing_alg: Option<Algorithm>,
    /// Third-party style: ask for consent (and fail `prompt=none` with `consent_required`).
    #[serde(default)]
    pub require_consent: bool,
    /// Accept `code_challenge_method=plain` (RFC 7636 says SHOULD NOT); only S256 otherwise.
    #[serde(default)]
    pub allow_plain_pkce: bool,
}

/// Permission for a client to get client-credentials tokens for an API.
///
/// ```
/// use mock_idp::{Client, ClientGrant};
/// let worker = Client::m2m("worker", "s3cret").grant("https://sample-api", ["read:messages"]);
/// assert_eq!(worker.grants, [ClientGrant {
///     audience: "https://sample-api".into(),
///     scopes: vec!["read:messages".into()],
/// }]);
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientGrant {
    /// The API identifier.
    pub audience: String,
    /// The scopes granted.
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl Client {
    fn with_type(client_id: impl Into<String>, app_type: AppType, secret: Option<String>) -> Self {
        Self {
            client_id: client_id.into(),
            name: None,
            app_type,
            client_secret: secret,
            callbacks: Vec::new(),
            allowed_logout_urls: Vec::new(),
            web_origins: Vec::new(),
            grant_types: None,
            grants: Vec::new(),
            claims: BTreeMap::new(),
            id_token_signing_alg: None,
            require_consent: false,
            allow_plain_pkce: false,
        }
    }

    /// A public single-page application.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Client, MockIdp};
    /// let spa = Client::spa("my-spa");
    /// assert!(spa.client_secret.is_none());
    ///
    /// // Public: it may not use client credentials.
    /// let idp = MockIdp::builder().client(spa).start().await;
    /// let response = reqwest::Client::new().post(idp.url("/oauth/token"))
    ///     .form(&[("grant_type", "client_credentials"), ("client_id", "my-spa"), ("audience", "https://sample-api")])
    ///     .send().await.unwrap();
    /// assert_eq!(response.status(), 403);
    /// # }
    /// ```
    pub fn spa(client_id: impl Into<String>) -> Self {
        Self::with_type(client_id, AppType::Spa, None)
    }

    /// A confidential server-side web application.
    ///
    /// ```
    /// use mock_idp::{AppType, Client};
    /// let web = Client::regular_web("portal", "portal-secret").callback("https://portal.test/callback");
    /// assert_eq!(web.app_type, AppType::RegularWeb);
    /// assert_eq!(web.client_secret.as_deref(), Some("portal-secret"));
    /// ```
    pub fn regular_web(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::with_type(client_id, AppType::RegularWeb, Some(secret.into()))
    }

    /// A machine-to-machine application.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # async fn client_credentials(idp: &mock_idp::MockIdp, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("audience", audience)])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{Client, MockIdp};
    /// let idp = MockIdp::builder()
    ///     .client(Client::m2m("worker", "s3cret").grant("https://sample-api", ["read:messages"]))
    ///     .start()
    ///     .await;
    /// let response = client_credentials(&idp, "worker", "s3cret", "https://sample-api").await;
    /// let body: serde_json::Value = response.json().await.unwrap();
    /// assert_eq!(body["scope"], "read:messages");
    /// # }
    /// ```
    pub fn m2m(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::with_type(client_id, AppType::NonInteractive, Some(secret.into()))
    }

    /// Adds an allowed callback URL, and its origin as a web origin and logout URL.
    ///
    /// ```
    /// let spa = mock_idp::Client::spa("my-spa").callback("http://localhost:5173/callback");
    /// assert_eq!(spa.callbacks, ["http://localhost:5173/callback"]);
    /// assert_eq!(spa.web_origins, ["http://localhost:5173"]);
    /// assert_eq!(spa.allowed_logout_urls, ["http://localhost:5173/callback"]);
    /// ```
    pub fn callback(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        if let Some(origin) = origin_of(&url).filter(|o| !self.web_origins.contains(o)) {
            self.web_origins.push(origin);
        }
        if !self.allowed_logout_urls.contains(&url) {
            self.allowed_logout_urls.push(url.clone());
        }
        self.callbacks.push(url);
        self
    }

    /// Grants client-credentials access to `audience` with `scopes`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # async fn client_credentials(idp: &mock_idp::MockIdp, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("audience", audience)])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{Client, MockIdp};
    /// let idp = MockIdp::builder()
    ///     .client(Client::m2m("worker", "s3cret").grant("https://sample-api", ["read:messages"]))
    ///     .start()
    ///     .await;
    /// let mut response = client_credentials(&idp, "worker", "s3cret", "https://sample-api").await;
    /// assert_eq!(response.status(), 200);
    /// // No grant, no token: Auth0 answers 403 access_denied.
    /// response = client_credentials(&idp, "sample-m2m", "sample-m2m-secret", "https://nowhere").await;
    /// assert_eq!(response.status(), 403);
    /// # }
    /// ```
    pub fn grant<I, S>(mut self, audience: impl Into<String>, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.grants.push(ClientGrant {
            audience: audience.into(),
            scopes: scopes.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// Adds a custom claim to every token issued to this client.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// # async fn client_credentials(idp: &mock_idp::MockIdp, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("audience", audience)])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{Client, MockIdp};
    /// let idp = MockIdp::builder()
    ///     .client(Client::m2m("worker", "s3cret").grant("https://sample-api", Vec::<String>::new())
    ///         .claim("https://example.com/tenant", "acme"))
    ///     .start()
    ///     .await;
    /// let body: serde_json::Value = client_credentials(&idp, "worker", "s3cret", "https://sample-api").await.json().await.unwrap();
    /// assert_eq!(payload(body["access_token"].as_str().unwrap())["https://example.com/tenant"], "acme");
    /// # }
    /// ```
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Sets the grant types explicitly.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # async fn client_credentials(idp: &mock_idp::MockIdp, id: &str, secret: &str, audience: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret), ("audience", audience)])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{Client, MockIdp};
    /// let idp = MockIdp::builder()
    ///     .client(Client::m2m("worker", "s3cret").grant("https://sample-api", Vec::<String>::new()).grant_types(["password"]))
    ///     .start()
    ///     .await;
    /// let response = client_credentials(&idp, "worker", "s3cret", "https://sample-api").await;
    /// assert_eq!(response.status(), 403);
    /// let body: serde_json::Value = response.json().await.unwrap();
    /// assert_eq!(body["error"], "unauthorized_client");
    /// # }
    /// ```
    pub fn grant_types<I, S>(mut self, grant_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.grant_types = Some(grant_types.into_iter().map(Into::into).collect());
        self
    }

    /// Requires a consent step (first-party clients skip it, as on Auth0).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Client, MockIdp};
    /// // Arrange: a logged-in user, and a third-party client that asks for consent.
    /// let idp = MockIdp::builder()
    ///     .client(Client::spa("third-party").callback("http://localhost:3000").require_consent(true))
    ///     .start()
    ///     .await;
    /// idp.next_login("alice@example.com");
    /// let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    ///
    /// // Act
    /// let response = browser
    ///     .get(idp.url("/authorize"))
    ///     .query(&[
    ///         ("client_id", "third-party"),
    ///         ("response_type", "code"),
    ///         ("redirect_uri", "http://localhost:3000"),
    ///         ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    ///         ("code_challenge_method", "S256"),
    ///     ])
    ///     .send().await.unwrap();
    ///
    /// // Assert: not back to the application yet, but to the consent page.
    /// let location = response.headers()["location"].to_str().unwrap();
    /// assert!(location.contains("/u/consent"), "{location}");
    /// # }
    /// ```
    pub fn require_consent(mut self, on: bool) -> Self {
        self.require_consent = on;
        self
    }

    /// Accepts the `plain` PKCE method from this client, for testing clients that send it.
    ///
    /// ```
    /// let legacy = mock_idp::Client::spa("legacy").allow_plain_pkce(true);
    /// assert!(legacy.allow_plain_pkce);
    /// ```
    pub fn allow_plain_pkce(mut self, on: bool) -> Self {
        self.allow_plain_pkce = on;
        self
    }

    pub(crate) fn is_confidential(&self) -> bool {
        self.client_secret.is_some()
    }

    pub(crate) fn allows_grant(&self, grant_type: &str) -> bool {
        match &self.grant_types {
            Some(list) => list.iter().any(|g| g == grant_type),
            None => default_grant_types(self.app_type).contains(&grant_type),
        }
    }
}

fn default_grant_types(app_type: AppType) -> &'static [&'static str] {
    match app_type {
        AppType::Spa | AppType::Native => &[
            "authorization_code",
            "refresh_token",
            "implicit",
            PASSWORD,
            PASSWORD_REALM,
        ],
        AppType::RegularWeb => &[
            "authorization_code",
            "refresh_token",
            "implicit",
            "client_credentials",
            PASSWORD,
            PASSWORD_REALM,
        ],
        AppType::NonInteractive => &["client_credentials", PASSWORD, PASSWORD_REALM],
    }
}

pub(crate) const PASSWORD: &str = "password";
pub(crate) const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

/// A database user.
///
/// ```
/// use mock_idp::User;
/// let carol = User::new("carol@example.com").password("pw").name("Carol").permissions(["read:messages"]);
/// assert_eq!(carol.sub(), "auth0|carol");
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Email, also the login name.
    pub email: String,
    /// The Auth0 `user_id`, which is the `sub` (default `auth0|<local part of email>`).
    #[serde(default)]
    pub user_id: Option<String>,
    /// Password for the login form and the password grant.
    #[serde(default = "default_password")]
    pub password: String,
    /// `email_verified`.
    #[serde(default = "yes")]
    pub email_verified: bool,
    /// `name` (default: the email).
    #[serde(default)]
    pub name: Option<String>,
    /// `nickname` (default: the local part of the email).
    #[serde(default)]
    pub nickname: Option<String>,
    /// `given_name`.
    #[serde(default)]
    pub given_name: Option<String>,
    /// `family_name`.
    #[serde(default)]
    pub family_name: Option<String>,
    /// `picture` URL (default: an avatar the mock serves itself, so pages work offline).
    #[serde(default)]
    pub picture: Option<String>,
    /// Roles assigned to the user.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Permissions assigned directly (API scopes).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Custom claims for this user's ID and access tokens (use namespaced names).
    #[serde(default)]
    pub claims: BTreeMap<String, Value>,
    /// A blocked user cannot log in (Auth0's "user is blocked").
    #[serde(default)]
    pub blocked: bool,
}

fn default_password() -> String {
    "password".into()
}

fn yes() -> bool {
    true
}

impl User {
    /// A user with password `password`.
    ///
    /// ```
    /// let carol = mock_idp::User::new("carol@example.com");
    /// assert_eq!(carol.password, "password");
    /// assert_eq!(carol.sub(), "auth0|carol");
    /// assert!(carol.email_verified);
    /// assert!(!carol.blocked);
    /// ```
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            user_id: None,
            password: default_password(),
            email_verified: true,
            name: None,
            nickname: None,
            given_name: None,
            family_name: None,
            picture: None,
            roles: Vec::new(),
            permissions: Vec::new(),
            claims: BTreeMap::new(),
            blocked: false,
        }
    }

    /// Sets the password.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # async fn password_grant(idp: &mock_idp::MockIdp, username: &str, password: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "password"), ("client_id", "sample-spa"), ("username", username), ("password", password), ("audience", "https://sample-api")])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{MockIdp, User};
    /// let idp = MockIdp::builder().user(User::new("carol@example.com").password("hunter2")).start().await;
    /// assert_eq!(password_grant(&idp, "carol@example.com", "hunter2").await.status(), 200);
    /// assert_eq!(password_grant(&idp, "carol@example.com", "password").await.status(), 403);
    /// # }
    /// ```
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }

    /// Sets the display name.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// use mock_idp::{MockIdp, User};
    /// let idp = MockIdp::builder().user(User::new("carol@example.com").name("Carol Example")).start().await;
    /// let id_token = idp.token().id_token().subject("auth0|carol").sign();
    /// assert_eq!(payload(&id_token)["name"], "Carol Example");
    /// # }
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the Auth0 user id (the `sub`), e.g. `auth0|64f1c...`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// use mock_idp::{MockIdp, User};
    /// let carol = User::new("carol@example.com").user_id("auth0|64f1c0ffee");
    /// assert_eq!(carol.sub(), "auth0|64f1c0ffee");
    /// let idp = MockIdp::builder().without_default_tenant().user(carol).start().await;
    /// assert_eq!(payload(&idp.token().sign())["sub"], "auth0|64f1c0ffee");
    /// # }
    /// ```
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// Sets the picture URL.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// use mock_idp::{MockIdp, User};
    /// let idp = MockIdp::builder()
    ///     .user(User::new("carol@example.com").picture("https://cdn.test/carol.png"))
    ///     .start()
    ///     .await;
    /// let id_token = idp.token().id_token().subject("auth0|carol").sign();
    /// assert_eq!(payload(&id_token)["picture"], "https://cdn.test/carol.png");
    /// # }
    /// ```
    pub fn picture(mut self, url: impl Into<String>) -> Self {
        self.picture = Some(url.into());
        self
    }

    /// Assigns permissions directly.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// # async fn password_grant(idp: &mock_idp::MockIdp, username: &str, password: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "password"), ("client_id", "sample-spa"), ("username", username), ("password", password), ("audience", "https://sample-api")])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{MockIdp, User};
    /// let idp = MockIdp::builder()
    ///     .user(User::new("carol@example.com").permissions(["read:messages", "not:an-api-permission"]))
    ///     .start()
    ///     .await;
    /// let body: serde_json::Value = password_grant(&idp, "carol@example.com", "password").await.json().await.unwrap();
    /// // Only what the API defines reaches the token.
    /// assert_eq!(payload(body["access_token"].as_str().unwrap())["permissions"], serde_json::json!(["read:messages"]));
    /// # }
    /// ```
    pub fn permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// Assigns roles.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// # async fn password_grant(idp: &mock_idp::MockIdp, username: &str, password: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "password"), ("client_id", "sample-spa"), ("username", username), ("password", password), ("audience", "https://sample-api")])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{MockIdp, Role, User};
    /// let idp = MockIdp::builder()
    ///     .role(Role { name: "reader".into(), permissions: vec!["read:messages".into()] })
    ///     .user(User::new("carol@example.com").roles(["reader"]))
    ///     .start()
    ///     .await;
    /// let body: serde_json::Value = password_grant(&idp, "carol@example.com", "password").await.json().await.unwrap();
    /// assert_eq!(payload(body["access_token"].as_str().unwrap())["permissions"], serde_json::json!(["read:messages"]));
    /// # }
    /// ```
    pub fn roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a custom claim.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
    /// # async fn password_grant(idp: &mock_idp::MockIdp, username: &str, password: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "password"), ("client_id", "sample-spa"), ("username", username), ("password", password), ("audience", "https://sample-api")])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{MockIdp, User};
    /// let idp = MockIdp::builder()
    ///     .user(User::new("carol@example.com").claim("https://example.com/plan", "pro"))
    ///     .start()
    ///     .await;
    /// let body: serde_json::Value = password_grant(&idp, "carol@example.com", "password").await.json().await.unwrap();
    /// assert_eq!(payload(body["access_token"].as_str().unwrap())["https://example.com/plan"], "pro");
    /// # }
    /// ```
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Blocks or unblocks the user.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # async fn password_grant(idp: &mock_idp::MockIdp, username: &str, password: &str) -> reqwest::Response {
    /// #     reqwest::Client::new().post(idp.url("/oauth/token"))
    /// #         .form(&[("grant_type", "password"), ("client_id", "sample-spa"), ("username", username), ("password", password), ("audience", "https://sample-api")])
    /// #         .send().await.unwrap()
    /// # }
    ///
    /// use mock_idp::{MockIdp, User};
    /// let idp = MockIdp::builder().user(User::new("carol@example.com").blocked(true)).start().await;
    /// let response = password_grant(&idp, "carol@example.com", "password").await;
    /// assert_eq!(response.status(), 401);
    /// let body: serde_json::Value = response.json().await.unwrap();
    /// assert_eq!(body["error"], "unauthorized");
    /// assert_eq!(body["error_description"], "user is blocked");
    /// # }
    /// ```
    pub fn blocked(mut self, blocked: bool) -> Self {
        self.blocked = blocked;
        self
    }

    /// The `sub` claim: `auth0|<id>`.
    ///
    /// ```
    /// use mock_idp::User;
    /// assert_eq!(User::new("carol@example.com").sub(), "auth0|carol");
    /// assert_eq!(User::new("carol@example.com").user_id("google-oauth2|1234").sub(), "google-oauth2|1234");
    /// ```
    pub fn sub(&self) -> String {
        match &self.user_id {
            Some(id) => id.clone(),
            None => format!("auth0|{}", self.local_part()),
        }
    }

    fn local_part(&self) -> &str {
        self.email.split('@').next().unwrap_or(&self.email)
    }

    pub(crate) fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.email.clone())
    }

    pub(crate) fn nickname_or_default(&self) -> String {
        self.nickname
            .clone()
            .unwrap_or_else(|| self.local_part().to_owned())
    }
}

/// A named set of permissions.
///
/// ```
/// use mock_idp::TenantConfig;
/// let tenant = TenantConfig::from_toml(r#"
///     [[roles]]
///     name = "reader"
///     permissions = ["read:messages"]
///     [[users]]
///     email = "carol@example.com"
///     roles = ["reader"]
/// "#).unwrap();
/// assert_eq!(tenant.roles[0].permissions, ["read:messages"]);
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Role name.
    pub name: String,
    /// Permissions the role grants.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// Why a configuration was refused.
///
/// ```
/// use mock_idp::{ConfigError, TenantConfig};
/// assert!(matches!(TenantConfig::from_toml("[[users]]\nemial = \"typo\""), Err(ConfigError::Parse(_))));
/// assert!(matches!(TenantConfig::from_toml("signing_alg = \"HS256\""), Err(ConfigError::Invalid(_))));
/// assert!(matches!(TenantConfig::from_file("/nonexistent/tenant.toml"), Err(ConfigError::Read { .. })));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown fields.
    #[error("invalid config: {0}")]
    Parse(String),
    /// The TOML parsed but describes an impossible tenant.
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl Default for TenantConfig {
    /// The embedded default tenant: API `https://sample-api` (permission `read:messages`, RBAC
    /// on), SPA client `sample-spa`, M2M client `sample-m2m` / `sample-m2m-secret`, users
    /// `alice@example.com` (with `read:messages`) and `bob@example.com`, password `password`.
    fn default() -> Self {
        Self {
            include_default_tenant: true,
            signing_alg: Algorithm::RS256,
            tokens: TokenLifetimes::default(),
            default_audience: None,
            allow_any_localhost_port: true,
            apis: vec![Api {
                name: Some("Sample API".into()),
                ..Api::new("https://sample-api")
                    .permissions(["read:messages"])
                    .rbac(true)
            }],
            clients: vec![
                Client {
                    name: Some("Sample SPA".into()),
                    ..Client::spa("sample-spa").callback("http://localhost:3000")
                },
                Client {
                    name: Some("Sample M2M".into()),
                    ..Client::m2m("sample-m2m", "sample-m2m-secret")
                        .grant("https://sample-api", ["read:messages"])
                },
            ],
            users: vec![
                User {
                    given_name: Some("Alice".into()),
                    family_name: Some("Example".into()),
                    ..User::new("alice@example.com")
                        .name("Alice Example")
                        .permissions(["read:messages"])
                },
                User {
                    given_name: Some("Bob".into()),
                    family_name: Some("Example".into()),
                    ..User::new("bob@example.com").name("Bob Example")
                },
            ],
            roles: Vec::new(),
            server: ServerConfig::default(),
        }
    }
}

impl TenantConfig {
    /// An empty tenant: no APIs, clients or users.
    ///
    /// ```
    /// let tenant = mock_idp::TenantConfig::empty();
    /// assert!(tenant.apis.is_empty() && tenant.clients.is_empty() && tenant.users.is_empty());
    /// assert!(!tenant.allow_any_localhost_port);
    /// assert!(tenant.validate().is_ok());
    /// ```
    pub fn empty() -> Self {
        Self {
            include_default_tenant: false,
            allow_any_localhost_port: false,
            apis: Vec::new(),
            clients: Vec::new(),
            users: Vec::new(),
            ..Self::default()
        }
    }

    /// Parses a config file's text, merged over the default tenant unless it says
    /// `include_default_tenant = false`.
    ///
    /// ```
    /// let tenant = mock_idp::TenantConfig::from_toml(r#"
    ///     include_default_tenant = false
    ///     [[apis]]
    ///     identifier = "https://orders"
    ///     permissions = ["read:orders"]
    /// "#).unwrap();
    /// assert_eq!(tenant.apis.len(), 1);
    /// assert!(tenant.users.is_empty(), "the default users are not included");
    /// let error = mock_idp::TenantConfig::from_toml("[[users]]\nemail = \"a@b\"\npasword = \"x\"").unwrap_err();
    /// assert!(error.to_string().contains("pasword"));
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        /// The file's shape: everything optional, lists empty unless given.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct TenantFile {
            include_default_tenant: Option<bool>,
            signing_alg: Option<Algorithm>,
            tokens: Option<TokenLifetimes>,
            default_audience: Option<String>,
            allow_any_localhost_port: Option<bool>,
            #[serde(default)]
            apis: Vec<Api>,
            #[serde(default)]
            clients: Vec<Client>,
            #[serde(default)]
            users: Vec<User>,
            #[serde(default)]
            roles: Vec<Role>,
            #[serde(default)]
            server: ServerConfig,
        }
        let file: TenantFile =
            toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        let include_default = file.include_default_tenant.unwrap_or(true);
        let mut tenant = if include_default {
            Self::default()
        } else {
            Self::empty()
        };
        if let Some(alg) = file.signing_alg {
            tenant.signing_alg = alg;
        }
        if let Some(tokens) = file.tokens {
            tenant.tokens = tokens;
        }
        tenant.default_audience = file.default_audience;
        tenant.allow_any_localhost_port = file.allow_any_localhost_port.unwrap_or(include_default);
        tenant.server = file.server;
        for api in file.apis {
            tenant.upsert_api(api);
        }
        for client in file.clients {
            tenant.upsert_client(client);
        }
        for user in file.users {
            tenant.upsert_user(user);
        }
        for role in file.roles {
            tenant.roles.retain(|r| r.name != role.name);
            tenant.roles.push(role);
        }
        tenant.validate()?;
        Ok(tenant)
    }

    /// Reads and parses a config file.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("tenant.toml");
    /// std::fs::write(&path, "[[users]]\nemail = \"carol@example.com\"\n").unwrap();
    /// let tenant = mock_idp::TenantConfig::from_file(&path).unwrap();
    /// assert!(tenant.users.iter().any(|u| u.email == "carol@example.com"));
    /// let missing = mock_idp::TenantConfig::from_file(dir.path().join("missing.toml")).unwrap_err();
    /// assert!(missing.to_string().contains("missing.toml"));
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text)
    }

    /// Adds an API, replacing one with the same identifier.
    ///
    /// ```
    /// use mock_idp::{Api, TenantConfig};
    /// let mut tenant = TenantConfig::default();
    /// tenant.upsert_api(Api::new("https://sample-api").token_lifetime(60));
    /// assert_eq!(tenant.apis.len(), 1, "replaced, not added");
    /// assert_eq!(tenant.apis[0].token_lifetime, Some(60));
    /// ```
    pub fn upsert_api(&mut self, api: Api) {
        self.apis.retain(|a| a.identifier != api.identifier);
        self.apis.push(api);
    }

    /// Adds a client, replacing one with the same id.
    ///
    /// ```
    /// use mock_idp::{Client, TenantConfig};
    /// let mut tenant = TenantConfig::default();
    /// let before = tenant.clients.len();
    /// tenant.upsert_client(Client::spa("sample-spa").require_consent(true));
    /// assert_eq!(tenant.clients.len(), before);
    /// assert!(tenant.clients.iter().find(|c| c.client_id == "sample-spa").unwrap().require_consent);
    /// ```
    pub fn upsert_client(&mut self, client: Client) {
        self.clients.retain(|c| c.client_id != client.client_id);
        self.clients.push(client);
    }

    /// Adds a user, replacing one with the same email (case-insensitive).
    ///
    /// ```
    /// use mock_idp::{TenantConfig, User};
    /// let mut tenant = TenantConfig::default();
    /// tenant.upsert_user(User::new("ALICE@example.com").blocked(true));
    /// let alices: Vec<_> = tenant.users.iter().filter(|u| u.email.eq_ignore_ascii_case("alice@example.com")).collect();
    /// assert_eq!(alices.len(), 1, "emails compare case-insensitively");
    /// assert!(alices[0].blocked);
    /// ```
    pub fn upsert_user(&mut self, user: User) {
        self.users
            .retain(|u| !u.email.eq_ignore_ascii_case(&user.email));
        self.users.push(user);
    }

    /// Checks what serde cannot: HS256 APIs have secrets, ids are unique, and so on.
    ///
    /// ```
    /// use mock_idp::{Api, TenantConfig, User};
    /// assert!(TenantConfig::default().validate().is_ok());
    ///
    /// let mut tenant = TenantConfig::default();
    /// tenant.upsert_api(Api { signing_secret: None, ..Api::new("https://legacy").hs256("x") });
    /// assert!(tenant.validate().unwrap_err().to_string().contains("no signing_secret"));
    ///
    /// let mut tenant = TenantConfig::default();
    /// tenant.upsert_user(User::new("alice@other.test"));
    /// assert!(tenant.validate().unwrap_err().to_string().contains("auth0|alice"), "two users, one sub");
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.signing_alg == Algorithm::HS256 {
            return invalid(
                "signing_alg = \"HS256\" is per API or client; the tenant needs RS256, PS256 or ES256"
                    .into(),
            );
        }
        for api in &self.apis {
            if api.signing_alg == Some(Algorithm::HS256) && api.signing_secret.is_none() {
                return invalid(format!(
                    "API {} signs with HS256 but has no signing_secret",
                    api.identifier
                ));
            }
        }
        for client in &self.clients {
            if client.id_token_signing_alg == Some(Algorithm::HS256)
                && client.client_secret.is_none()
            {
                return invalid(format!(
                    "client {} signs ID tokens with HS256 but has no client_secret",
                    client.client_id
                ));
            }
            for grant in &client.grants {
                if !self.apis.iter().any(|a| a.identifier == grant.audience) {
                    return invalid(format!(
                        "client {} has a grant for unknown API {}",
                        client.client_id, grant.audience
                    ));
                }
            }
        }
        let mut subs: Vec<String> = self.users.iter().map(User::sub).collect();
        subs.sort();
        if let Some(w) = subs.windows(2).find(|w| w[0] == w[1]) {
            return invalid(format!("two users share the user_id {}", w[0]));
        }
        Ok(())
    }

    pub(crate) fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    pub(crate) fn api(&self, identifier: &str) -> Option<&Api> {
        self.apis.iter().find(|a| a.identifier == identifier)
    }

    pub(crate) fn user_by_login(&self, login: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(login) || u.sub() == login)
    }

    /// The user `login` names, if `password` is theirs (compared in constant time). The login
    /// page and the password grant both answer [`WRONG_CREDENTIALS`] otherwise.
    pub(crate) fn user_with_password(&self, login: &str, password: &str) -> Option<&User> {
        self.user_by_login(login).filter(|u| {
            aws_lc_rs::constant_time::verify_slices_are_equal(
                u.password.as_bytes(),
                password.as_bytes(),
            )
            .is_ok()
        })
    }

    pub(crate) fn user_by_sub(&self, sub: &str) -> Option<&User> {
        self.users.iter().find(|u| u.sub() == sub)
    }

    /// The user's permissions on `api`, directly and through roles, in a stable order.
    pub(crate) fn permissions_for(&self, user: &User, api: &Api) -> Vec<String> {
        let mut all: Vec<&String> = user.permissions.iter().collect();
        for role in &user.roles {
            if let Some(role) = self.roles.iter().find(|r| &r.name == role) {
                all.extend(role.permissions.iter());
            }
        }
        let mut out: Vec<String> = api
            .permissions
            .iter()
            .filter(|p| all.contains(p))
            .cloned()
            .collect();
        out.dedup();
        out
    }

    /// Whether `url` is allowed for `client` in `list`: exact match, or any localhost port
    /// when the tenant allows that.
    pub(crate) fn url_allowed(&self, list: &[String], url: &str) -> bool {
        list.iter().any(|allowed| allowed == url)
            || (self.allow_any_localhost_port && is_loopback_http(url))
    }
}

/// `scheme://host[:port]` of a URL, without a trailing slash.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    match parsed.origin() {
        url::Origin::Tuple(..) => Some(parsed.origin().ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// `http://localhost[:port][/path]` or `http://127.0.0.1[:port][/path]`, nothing trickier:
/// no userinfo, so `http://localhost@evil.test` does not pass.
pub(crate) fn is_loopback_http(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    parsed.scheme() == "http"
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && matches!(
            parsed.host(),
            Some(url::Host::Domain("localhost"))
                | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_tenant_is_valid() {
        TenantConfig::default().validate().unwrap();
    }

    #[test]
    fn a_file_can_replace_the_default_tenant() {
        let tenant = TenantConfig::from_toml(
            r#"
            include_default_tenant = false
            [[apis]]
            identifier = "https://orders"
            permissions = ["read:orders"]
            rbac = true
            [[clients]]
            client_id = "worker"
            app_type = "non_interactive"
            client_secret = "s"
            grants = [{ audience = "https://orders", scopes = ["read:orders"] }]
            "#,
        )
        .unwrap();
        assert_eq!(tenant.apis.len(), 1);
        assert!(tenant.users.is_empty());
        assert!(!tenant.allow_any_localhost_port);
    }

    #[test]
    fn unknown_fields_are_reported() {
        let err =
            TenantConfig::from_toml("[[users]]\nemail = \"a@b\"\npasword = \"x\"").unwrap_err();
        assert!(err.to_string().contains("pasword"), "{err}");
    }

    #[test]
    fn a_grant_for_an_unknown_api_is_refused() {
        let err = TenantConfig::from_toml(
            "[[clients]]\nclient_id = \"w\"\nclient_secret = \"s\"\ngrants = [{ audience = \"https://nope\" }]",
        )
        .unwrap_err();
        assert!(err.to_string().contains("https://nope"), "{err}");
    }

    #[test]
    fn loopback_matching_refuses_lookalikes() {
        assert!(is_loopback_http("http://localhost:5173/callback"));
        assert!(is_loopback_http("http://127.0.0.1:8080"));
        assert!(!is_loopback_http("http://localhost@evil.test/"));
        assert!(!is_loopback_http("http://localhost.evil.test/"));
        assert!(!is_loopback_http("https://evil.test/?http://localhost"));
        assert!(!is_loopback_http("javascript:alert(1)"));
    }

    #[test]
    fn permissions_come_from_the_user_and_roles_and_are_limited_to_the_api() {
        let mut tenant = TenantConfig::default();
        tenant.roles.push(Role {
            name: "writer".into(),
            permissions: vec!["write:messages".into(), "other".into()],
        });
        tenant.apis[0].permissions.push("write:messages".into());
        let user = User::new("w@example.com")
            .roles(["writer"])
            .permissions(["read:messages"]);
        let api = tenant.apis[0].clone();
        assert_eq!(
            tenant.permissions_for(&user, &api),
            vec!["read:messages".to_string(), "write:messages".to_string()]
        );
    }
}
