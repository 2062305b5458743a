//! The `[server]` table (how the binary runs) and the `[tokens]` lifetimes.

use serde::{Deserialize, Serialize};

use crate::issuer::DiscoveryUrls;

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
    /// `"issuer"` (default) or `"request"`: where the discovery document's endpoint URLs
    /// point (see [`DiscoveryUrls`]).
    pub discovery_urls: Option<DiscoveryUrls>,
    /// Speak HTTPS with a certificate signed by the local CA in `tls_dir`.
    pub tls: Option<bool>,
    /// Where the local CA and the leaf it signs are kept (default `.mock-idp/tls`).
    pub tls_dir: Option<String>,
    /// Your own certificate chain (PEM); with `tls_key`, instead of the local CA.
    pub tls_cert: Option<String>,
    /// The private key of `tls_cert` (PEM).
    pub tls_key: Option<String>,
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
    /// A `request_uri` from `POST /oauth/par` (RFC 9126): Auth0 documents 30 seconds, the
    /// time for a browser to be sent to `/authorize` with it.
    pub request_uri: u64,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            access_token: 86_400,
            id_token: 36_000,
            refresh_token: 2_592_000,
            authorization_code: 600,
            session: 259_200,
            request_uri: 30,
        }
    }
}

/// The device authorization flow (RFC 8628; the `[device_flow]` table).
///
/// ```
/// let tenant = mock_idp::TenantConfig::from_toml(r#"
///     [device_flow]
///     interval = 1
/// "#).unwrap();
/// assert_eq!(tenant.device_flow.interval, 1);
/// assert_eq!(tenant.device_flow.expires_in, 900, "Auth0's default stays");
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceFlowSettings {
    /// Seconds a device code and its user code live (Auth0 answers 900).
    pub expires_in: u64,
    /// Seconds a device must wait between polls (Auth0 answers 5); a poll sooner than that
    /// gets `slow_down`. Measured on the mock clock.
    pub interval: u64,
}

impl Default for DeviceFlowSettings {
    fn default() -> Self {
        Self {
            expires_in: 900,
            interval: 5,
        }
    }
}

/// How the mock sends back-channel logouts (the `[backchannel_logout]` table).
///
/// ```
/// let tenant = mock_idp::TenantConfig::from_toml(r#"
///     [backchannel_logout]
///     timeout_ms = 500
///     typ = "JWT"
/// "#).unwrap();
/// assert_eq!(tenant.backchannel_logout.timeout_ms, 500);
/// assert_eq!(tenant.backchannel_logout.typ, "JWT");
/// assert_eq!(tenant.backchannel_logout.token_lifetime, 120, "the default stays");
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BackchannelLogoutSettings {
    /// How long one delivery may take, connecting included, before it counts as timed out
    /// (default 2000). The logout that triggered it never waits for it.
    pub timeout_ms: u64,
    /// The `typ` header of logout tokens: `logout+jwt` by default, as OIDC Back-Channel
    /// Logout recommends. Whether Auth0 sends that or `JWT` is not documented, so a test can
    /// check that its application accepts either.
    pub typ: String,
    /// Seconds from `iat` to `exp` of a logout token (default 120: the spec wants it short).
    pub token_lifetime: u64,
}

impl Default for BackchannelLogoutSettings {
    fn default() -> Self {
        Self {
            timeout_ms: 2_000,
            typ: "logout+jwt".into(),
            token_lifetime: 120,
        }
    }
}
