//! The request journal: what reached the mock, for tests to assert on
//! (`idp.received_requests()`, `GET /_mock/requests`).
//!
//! Only what is safe to print is kept: method, path, endpoint, status, grant type, client id.
//! Never bodies, query strings or headers, which carry passwords, codes and tokens.
//!
//! The mock's own requests are journaled too: each back-channel logout it sends is an entry
//! for [`Endpoint::BackchannelLogout`], with the receiver's URL (without its query) as the
//! path, and never the logout token.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use crate::store::{exclusive, lock};

/// Which endpoint of the mock a request was for.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Endpoint, MockIdp};
/// let idp = MockIdp::start().await;
/// reqwest::get(idp.discovery_url()).await.unwrap();
/// reqwest::get(idp.url("/nope")).await.unwrap();
/// let endpoints: Vec<Endpoint> = idp.received_requests().iter().map(|r| r.endpoint).collect();
/// assert_eq!(endpoints, [Endpoint::Discovery, Endpoint::Other]);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `GET /.well-known/openid-configuration`
    Discovery,
    /// `GET /.well-known/jwks.json`
    Jwks,
    /// `GET /authorize`
    Authorize,
    /// The login page (`/u/login`), and the device activation page (`/activate`).
    Login,
    /// `POST /oauth/token`
    Token,
    /// `GET`/`POST /userinfo`
    Userinfo,
    /// `GET /v2/logout`, `GET /oidc/logout`
    Logout,
    /// `POST /oauth/revoke`
    Revoke,
    /// `POST /oauth/par` (pushed authorization requests)
    Par,
    /// `POST /oauth/device/code` (the device authorization flow)
    DeviceAuthorization,
    /// `GET /health`
    Health,
    /// `/_mock/*`
    Control,
    /// Not a request to the mock but one it sent: a `logout_token` POSTed to a client's
    /// back-channel logout URL. Its `status` is the receiver's (0 without an answer) and its
    /// `error` says why it failed (`rejected`, `timeout`, `connection_refused`, ...).
    BackchannelLogout,
    /// The Management API, `/api/v2/*`
    Management,
    /// `POST /dbconnections/signup`, `POST /dbconnections/change_password`
    DbConnections,
    /// `POST /passwordless/start`, `GET /passwordless/verify_redirect`
    Passwordless,
    /// Anything else.
    Other,
}

impl Endpoint {
    /// The endpoint a path belongs to.
    pub(crate) fn of_path(path: &str) -> Self {
        match path {
            "/.well-known/openid-configuration" => Self::Discovery,
            "/.well-known/jwks.json" => Self::Jwks,
            "/authorize" | "/authorize/resume" => Self::Authorize,
            "/u/login"
            | "/login"
            | "/u/consent"
            | "/activate"
            | "/u/signup"
            | "/u/email-verification"
            | "/u/reset-password" => Self::Login,
            "/dbconnections/signup" | "/dbconnections/change_password" => Self::DbConnections,
            "/passwordless/start" | "/passwordless/verify_redirect" => Self::Passwordless,
            "/oauth/token" => Self::Token,
            "/userinfo" => Self::Userinfo,
            "/v2/logout" | "/oidc/logout" => Self::Logout,
            "/oauth/revoke" => Self::Revoke,
            "/oauth/par" => Self::Par,
            "/oauth/device/code" => Self::DeviceAuthorization,
            "/health" => Self::Health,
            p if p.starts_with("/_mock/") || p == "/_mock" => Self::Control,
            p if p.starts_with("/api/v2/") => Self::Management,
            _ => Self::Other,
        }
    }
}

/// One request the mock received.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Endpoint, MockIdp};
/// // Arrange
/// let idp = MockIdp::start().await;
///
/// // Act
/// reqwest::Client::new()
///     .post(idp.url("/oauth/token?ignored=1"))
///     .form(&[
///         ("grant_type", "client_credentials"),
///         ("client_id", "sample-m2m"),
///         ("client_secret", "sample-m2m-secret"),
///         ("audience", "https://sample-api"),
///     ])
///     .send().await.unwrap();
///
/// // Assert
/// let requests = idp.received_requests();
/// let request = &requests[0];
/// assert_eq!((request.seq, request.method.as_str(), request.path.as_str()), (1, "POST", "/oauth/token"));
/// assert_eq!(request.endpoint, Endpoint::Token);
/// assert_eq!(request.status, 200);
/// assert_eq!(request.grant_type.as_deref(), Some("client_credentials"));
/// assert_eq!(request.client_id.as_deref(), Some("sample-m2m"));
/// assert!(!request.faulted);
/// # }
/// ```
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RecordedRequest {
    /// 1-based arrival order.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path, without the query string.
    pub path: String,
    /// The endpoint it was for.
    pub endpoint: Endpoint,
    /// The status the mock answered with.
    pub status: u16,
    /// The mock clock when it arrived (Unix seconds).
    pub at: i64,
    /// `grant_type`, for token requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    /// The client, when the endpoint knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Whether the answer came from an injected fault.
    pub faulted: bool,
    /// The `error` code of an error answer (`invalid_grant`, `access_denied`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The tokens it handed out, by their id in `GET /_mock/tokens` (the inspector's Tokens
    /// panel); never the tokens themselves.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<u64>,
    /// Something worth knowing that Auth0 would do differently (a back-channel logout to a
    /// URL real Auth0 refuses, say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What the request's Auth0 Actions wrote with `console.*`, as `[action] level: message`
    /// (256 characters at most each, as Auth0 keeps them), whether the flow succeeded or not.
    /// The Action's own words: what it logs is journaled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub console: Vec<String>,
}

/// What a handler tells the journal about a request (a response extension).
#[derive(Clone, Debug, Default)]
pub(crate) struct JournalNote {
    pub(crate) grant_type: Option<String>,
    pub(crate) client_id: Option<String>,
    /// Ids in the issued-tokens store.
    pub(crate) tokens: Vec<u64>,
    /// Actions' console lines ([`RecordedRequest::console`]).
    pub(crate) console: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    inner: Mutex<JournalInner>,
}

#[derive(Debug, Default)]
struct JournalInner {
    next_seq: u64,
    entries: VecDeque<RecordedRequest>,
}

impl Journal {
    /// Keeps the last `capacity` requests, so a load test does not grow memory without bound.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(JournalInner::default()),
        }
    }

    pub(crate) fn push(&self, mut entry: RecordedRequest) {
        let mut inner = lock(&self.inner);
        inner.next_seq += 1;
        entry.seq = inner.next_seq;
        if inner.entries.len() == self.capacity {
            inner.entries.pop_front();
        }
        if self.capacity > 0 {
            inner.entries.push_back(entry);
        }
    }

    pub(crate) fn entries(&self) -> Vec<RecordedRequest> {
        let inner = lock(&self.inner);
        inner.entries.iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        let mut inner = lock(&self.inner);
        *inner = JournalInner::default();
    }

    /// [`Self::clear`] through `&mut`, for an engine nothing else holds (`Idp::renew`): no
    /// lock taken, and the ring keeps its allocation for the next test's requests.
    pub(crate) fn renew(&mut self) {
        let inner = exclusive(&mut self.inner);
        inner.next_seq = 0;
        inner.entries.clear();
    }
}
