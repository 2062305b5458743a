//! Database users.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{DEFAULT_CONNECTION, Permission};

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
    pub permissions: Vec<Permission>,
    /// Custom claims for this user's ID and access tokens (use namespaced names).
    #[serde(default)]
    pub claims: BTreeMap<String, Value>,
    /// A blocked user cannot log in (Auth0's "user is blocked").
    #[serde(default)]
    pub blocked: bool,
    /// Auth0's `app_metadata`: what the application, not the user, may change.
    #[serde(default)]
    pub app_metadata: Map<String, Value>,
    /// Auth0's `user_metadata`: preferences the user may change.
    #[serde(default)]
    pub user_metadata: Map<String, Value>,
    /// When the user was created (ISO 8601); unset means the tenant's fixed profile time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When the profile last changed (ISO 8601); unset means the tenant's fixed profile time.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// When the user last logged in (ISO 8601), set by the mock on every login.
    #[serde(default)]
    pub last_login: Option<String>,
    /// How many times the user logged in, counted by the mock.
    #[serde(default)]
    pub logins_count: u64,
    /// The phone number (E.164) a passwordless SMS login names this user by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// What `created_at` and `updated_at` read for users whose config sets none: fixed, so tokens
/// and Management API answers are byte-stable.
pub(crate) const PROFILE_TIME: &str = "2026-01-01T00:00:00.000Z";

fn default_password() -> String {
    "password".into()
}

pub(super) fn yes() -> bool {
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
            app_metadata: Map::new(),
            user_metadata: Map::new(),
            created_at: None,
            updated_at: None,
            last_login: None,
            logins_count: 0,
            phone_number: None,
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
    pub fn permissions<I, P>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<Permission>,
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
    ///     .role(Role::new("reader").permissions(["read:messages"]))
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

    /// Sets a key of `app_metadata`.
    ///
    /// ```
    /// let carol = mock_idp::User::new("carol@example.com").app_metadata("plan", "pro");
    /// assert_eq!(carol.app_metadata["plan"], "pro");
    /// ```
    pub fn app_metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.app_metadata.insert(key.into(), value.into());
        self
    }

    /// Sets a key of `user_metadata`.
    ///
    /// ```
    /// let carol = mock_idp::User::new("carol@example.com").user_metadata("theme", "dark");
    /// assert_eq!(carol.user_metadata["theme"], "dark");
    /// ```
    pub fn user_metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.user_metadata.insert(key.into(), value.into());
        self
    }

    /// Auth0's `identities`: one, the connection the `user_id`'s provider names
    /// (`auth0|...` is the database connection, `email|...` and `sms|...` the passwordless
    /// ones).
    ///
    /// ```
    /// let carol = mock_idp::User::new("carol@example.com");
    /// assert_eq!(carol.identities()[0]["connection"], "Username-Password-Authentication");
    /// assert_eq!(carol.identities()[0]["user_id"], "carol");
    /// ```
    pub fn identities(&self) -> Value {
        let sub = self.sub();
        let (provider, id) = sub.split_once('|').unwrap_or(("auth0", sub.as_str()));
        let connection = if provider == "auth0" {
            DEFAULT_CONNECTION
        } else {
            provider
        };
        json!([{
            "connection": connection,
            "user_id": id,
            "provider": provider,
            // Database and passwordless connections are Auth0's own, not social ones.
            "isSocial": !matches!(provider, "auth0" | "email" | "sms"),
        }])
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

    /// Whether [`User::sub`] is `sub`, without building it (every login path asks, for
    /// every user, so a large tenant pays no allocation per user).
    pub(crate) fn has_sub(&self, sub: &str) -> bool {
        match &self.user_id {
            Some(id) => id == sub,
            None => sub.strip_prefix("auth0|") == Some(self.local_part()),
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
