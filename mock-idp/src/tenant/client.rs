//! Applications (Auth0 clients): their kind, secret, callbacks, grants and claims.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::credential::ClientCredential;
use super::organization::{OrganizationRequireBehavior, OrganizationUsage};
use super::origin_of;
use crate::issuance::keys::Algorithm;

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
    /// Where the mock POSTs a `logout_token` when a session this client received tokens in
    /// ends (OIDC Back-Channel Logout; Auth0's `oidc_logout.backchannel_logout_urls`).
    /// Absolute http(s) URLs; unlike Auth0, loopback http is fine.
    #[serde(default)]
    pub backchannel_logout_urls: Vec<String>,
    /// Public keys for `private_key_jwt` client authentication (Auth0's client credentials),
    /// instead of or beside the secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<ClientCredential>,
    /// Refuse `/authorize` requests that were not pushed to `/oauth/par` first (RFC 9126).
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// Whether users log in to this client through an organization (Auth0's
    /// `organization_usage`; `deny` refuses the `organization` parameter, as on Auth0).
    #[serde(default)]
    pub organization_usage: OrganizationUsage,
    /// Auth0's `organization_require_behavior` (the mock renders no prompt; see
    /// [`OrganizationRequireBehavior`]).
    #[serde(default)]
    pub organization_require_behavior: OrganizationRequireBehavior,
}

/// Permission for a client to get client-credentials tokens for an API.
///
/// ```
/// use mock_idp::{Client, ClientGrant};
/// let worker = Client::m2m("worker", "s3cret").grant("https://sample-api", ["read:messages"]);
/// assert_eq!(worker.grants, [ClientGrant {
///     audience: "https://sample-api".into(),
///     scopes: vec!["read:messages".into()],
///     ..ClientGrant::default()
/// }]);
/// ```
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientGrant {
    /// The API identifier.
    pub audience: String,
    /// The scopes granted.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Whether client-credentials tokens for this API may (or must) name an `organization`
    /// (Auth0's Machine-to-Machine Access for Organizations); `deny` by default.
    #[serde(default)]
    pub organization_usage: OrganizationUsage,
    /// Any organization of the tenant may be named, not only those in `organizations`.
    #[serde(default)]
    pub allow_any_organization: bool,
    /// The organizations (by id or name) this grant is associated with (Auth0's
    /// organization client grants).
    #[serde(default)]
    pub organizations: Vec<String>,
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
            backchannel_logout_urls: Vec::new(),
            credentials: Vec::new(),
            require_pushed_authorization_requests: false,
            organization_usage: OrganizationUsage::Deny,
            organization_require_behavior: OrganizationRequireBehavior::NoPrompt,
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

    /// A public native application (a mobile app, a desktop app, a CLI): it may use the
    /// device authorization flow, as on Auth0.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Client, MockIdp};
    /// let idp = MockIdp::builder().client(Client::native("my-cli")).start().await;
    /// let response = reqwest::Client::new().post(idp.url("/oauth/device/code"))
    ///     .form(&[("client_id", "my-cli"), ("scope", "openid")])
    ///     .send().await.unwrap();
    /// assert_eq!(response.status(), 200);
    /// # }
    /// ```
    pub fn native(client_id: impl Into<String>) -> Self {
        Self::with_type(client_id, AppType::Native, None)
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
            ..ClientGrant::default()
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

    /// Adds a back-channel logout URL: when a session in which this client received tokens
    /// ends, the mock POSTs it a signed `logout_token` (see
    /// [`MockIdp::wait_for_backchannel_logouts`](crate::MockIdp::wait_for_backchannel_logouts)).
    ///
    /// ```
    /// use mock_idp::{Client, TenantConfig};
    /// let portal = Client::regular_web("portal", "portal-secret")
    ///     .backchannel_logout_url("http://localhost:3000/backchannel-logout");
    /// assert_eq!(portal.backchannel_logout_urls, ["http://localhost:3000/backchannel-logout"]);
    ///
    /// // In TOML, as Auth0's `oidc_logout.backchannel_logout_urls`, flattened; checked at load.
    /// let error = TenantConfig::from_toml(r#"
    ///     [[clients]]
    ///     client_id = "portal"
    ///     backchannel_logout_urls = ["/backchannel-logout"]
    /// "#).unwrap_err();
    /// assert!(error.to_string().contains("absolute http(s) URL"), "{error}");
    /// ```
    pub fn backchannel_logout_url(mut self, url: impl Into<String>) -> Self {
        self.backchannel_logout_urls.push(url.into());
        self
    }

    /// Registers a public key for `private_key_jwt`: the client authenticates with a
    /// `client_assertion` signed by the private half with `alg` (RS256, PS256 or ES256).
    /// Checked when the mock starts: a PEM that is not a public key for `alg` is a config error.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{Algorithm, Client, MockIdp, TenantConfig};
    /// let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEPEvulzZ/wJB0n6bLF79BTpY71OrB\nsr5El9G7afcVMbf+ZhoPhSVD601XR3WatY2jel1+kV7Ng9ZpyBqK4pDuqg==\n-----END PUBLIC KEY-----\n";
    /// // No secret at all: the key is the client's only credential.
    /// let worker = Client { client_secret: None, ..Client::m2m("worker", "") }.credential(pem, Algorithm::ES256);
    /// let idp = MockIdp::builder().client(worker.grant("https://sample-api", ["read:messages"])).start().await;
    ///
    /// // Without an assertion it cannot authenticate.
    /// let response = reqwest::Client::new().post(idp.url("/oauth/token"))
    ///     .form(&[("grant_type", "client_credentials"), ("client_id", "worker"), ("audience", "https://sample-api")])
    ///     .send().await.unwrap();
    /// assert_eq!(response.status(), 401);
    ///
    /// // An EC key cannot verify RS256.
    /// let mut tenant = TenantConfig::default();
    /// tenant.upsert_client(Client::regular_web("web", "s").credential(pem, Algorithm::RS256));
    /// assert!(tenant.validate().unwrap_err().to_string().contains("not an RSA"));
    /// # }
    /// ```
    pub fn credential(mut self, pem: impl Into<String>, alg: Algorithm) -> Self {
        self.credentials.push(ClientCredential {
            pem: pem.into(),
            alg,
        });
        self
    }

    /// Refuses plain `/authorize` requests from this client: it must push them to
    /// `POST /oauth/par` first and send the `request_uri` it gets (RFC 9126).
    ///
    /// ```
    /// let web = mock_idp::Client::regular_web("web", "s").require_pushed_authorization_requests(true);
    /// assert!(web.require_pushed_authorization_requests);
    /// ```
    pub fn require_pushed_authorization_requests(mut self, on: bool) -> Self {
        self.require_pushed_authorization_requests = on;
        self
    }

    /// Sets whether users log in to this client through an organization.
    ///
    /// ```
    /// use mock_idp::{Client, OrganizationUsage};
    /// let b2b = Client::spa("b2b").organization_usage(OrganizationUsage::Require);
    /// assert_eq!(b2b.organization_usage, OrganizationUsage::Require);
    /// ```
    pub fn organization_usage(mut self, usage: OrganizationUsage) -> Self {
        self.organization_usage = usage;
        self
    }

    /// A client that can authenticate: with a secret, or with a registered key.
    pub(crate) fn is_confidential(&self) -> bool {
        self.client_secret.is_some() || !self.credentials.is_empty()
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
        AppType::Spa => &[
            "authorization_code",
            "refresh_token",
            "implicit",
            PASSWORD,
            PASSWORD_REALM,
            PASSWORDLESS_OTP,
        ],
        // Auth0 offers the device code grant to native applications only; the mock turns it
        // on by default for them so a CLI needs no extra configuration.
        AppType::Native => &[
            "authorization_code",
            "refresh_token",
            "implicit",
            PASSWORD,
            PASSWORD_REALM,
            DEVICE_CODE,
            PASSWORDLESS_OTP,
        ],
        AppType::RegularWeb => &[
            "authorization_code",
            "refresh_token",
            "implicit",
            "client_credentials",
            PASSWORD,
            PASSWORD_REALM,
            PASSWORDLESS_OTP,
        ],
        AppType::NonInteractive => &["client_credentials", PASSWORD, PASSWORD_REALM],
    }
}

pub(crate) const PASSWORD: &str = "password";
pub(crate) const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
pub(crate) const PASSWORDLESS_OTP: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";
/// The grant `/authorize` needs for any response type with `token` or `id_token` in it.
pub(crate) const IMPLICIT: &str = "implicit";
/// The device authorization grant (RFC 8628), for native applications (as on Auth0).
pub(crate) const DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
