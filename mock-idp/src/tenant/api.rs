//! APIs (Auth0 resource servers): audiences, permissions, RBAC, lifetimes and signing.

use serde::{Deserialize, Serialize};

use super::user::yes;
use crate::issuance::keys::Algorithm;

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
