//! The paths the mock serves, Auth0's.
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use mock_idp::{MockIdp, paths};
//! let idp = MockIdp::start().await;
//! let discovery: serde_json::Value = reqwest::get(idp.discovery_url()).await.unwrap().json().await.unwrap();
//! let public = |path: &str| format!("{}{}", idp.issuer().trim_end_matches('/'), path);
//! assert_eq!(discovery["token_endpoint"], public(paths::TOKEN));
//! assert_eq!(discovery["authorization_endpoint"], public(paths::AUTHORIZE));
//! assert_eq!(discovery["userinfo_endpoint"], public(paths::USERINFO));
//! assert_eq!(discovery["end_session_endpoint"], public(paths::OIDC_LOGOUT));
//! assert_eq!(discovery["revocation_endpoint"], public(paths::REVOKE));
//! assert_eq!(discovery["pushed_authorization_request_endpoint"], public(paths::PAR));
//! assert_eq!(discovery["device_authorization_endpoint"], public(paths::DEVICE_CODE));
//! assert_eq!(discovery["jwks_uri"], public(paths::JWKS));
//! assert_eq!(reqwest::get(idp.url(paths::HEALTH)).await.unwrap().status(), 200);
//! # }
//! ```

/// OIDC discovery.
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
/// The JWK set.
pub const JWKS: &str = "/.well-known/jwks.json";
/// The authorization endpoint.
pub const AUTHORIZE: &str = "/authorize";
/// Where the login and consent pages hand a transaction back to `/authorize`.
pub const AUTHORIZE_RESUME: &str = "/authorize/resume";
/// The login page (Auth0's Universal Login path).
pub const LOGIN: &str = "/u/login";
/// The consent page, for clients with `require_consent`.
pub const CONSENT: &str = "/u/consent";
/// The token endpoint.
pub const TOKEN: &str = "/oauth/token";
/// Refresh-token revocation.
pub const REVOKE: &str = "/oauth/revoke";
/// Pushed authorization requests (RFC 9126).
pub const PAR: &str = "/oauth/par";
/// The device authorization endpoint (RFC 8628 3.1).
pub const DEVICE_CODE: &str = "/oauth/device/code";
/// Where a person enters a device's user code, logs in and confirms (`verification_uri`).
pub const ACTIVATE: &str = "/activate";
/// The userinfo endpoint.
pub const USERINFO: &str = "/userinfo";
/// Auth0's logout.
pub const LOGOUT: &str = "/v2/logout";
/// OIDC RP-initiated logout.
pub const OIDC_LOGOUT: &str = "/oidc/logout";
/// Liveness for orchestration.
pub const HEALTH: &str = "/health";
/// The Management API v2 (its routes are below it).
pub const MANAGEMENT: &str = "/api/v2";
/// The sign-up page, where `/authorize?screen_hint=signup` sends the browser.
pub const SIGNUP_PAGE: &str = "/u/signup";
/// Database sign-up.
pub const SIGNUP: &str = "/dbconnections/signup";
/// Asks for a password-reset email.
pub const CHANGE_PASSWORD: &str = "/dbconnections/change_password";
/// Where a verification email's link goes: it marks the email verified.
pub const EMAIL_VERIFICATION: &str = "/u/email-verification";
/// Where a password-reset email's link goes: a page that sets a new password.
pub const RESET_PASSWORD: &str = "/u/reset-password";
/// Starts a passwordless login: a code or a link, to the outbox.
pub const PASSWORDLESS_START: &str = "/passwordless/start";
/// Where a passwordless email's link goes: it logs the user in and answers the client.
pub const PASSWORDLESS_VERIFY: &str = "/passwordless/verify_redirect";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::journal::Endpoint;

    #[test]
    fn every_path_is_journaled_under_its_endpoint() {
        let expected = [
            (DISCOVERY, Endpoint::Discovery),
            (JWKS, Endpoint::Jwks),
            (AUTHORIZE, Endpoint::Authorize),
            (AUTHORIZE_RESUME, Endpoint::Authorize),
            (LOGIN, Endpoint::Login),
            (CONSENT, Endpoint::Login),
            (TOKEN, Endpoint::Token),
            (REVOKE, Endpoint::Revoke),
            (PAR, Endpoint::Par),
            (DEVICE_CODE, Endpoint::DeviceAuthorization),
            (ACTIVATE, Endpoint::Login),
            (USERINFO, Endpoint::Userinfo),
            (LOGOUT, Endpoint::Logout),
            (OIDC_LOGOUT, Endpoint::Logout),
            (HEALTH, Endpoint::Health),
            (SIGNUP_PAGE, Endpoint::Login),
            (EMAIL_VERIFICATION, Endpoint::Login),
            (RESET_PASSWORD, Endpoint::Login),
            (SIGNUP, Endpoint::DbConnections),
            (CHANGE_PASSWORD, Endpoint::DbConnections),
            (PASSWORDLESS_START, Endpoint::Passwordless),
            (PASSWORDLESS_VERIFY, Endpoint::Passwordless),
        ];
        for (path, endpoint) in expected {
            assert_eq!(Endpoint::of_path(path), endpoint, "{path}");
        }
        assert_eq!(Endpoint::of_path("/_mock/faults"), Endpoint::Control);
        assert_eq!(
            Endpoint::of_path("/api/v2/users/auth0|alice"),
            Endpoint::Management
        );
        assert_eq!(
            Endpoint::of_path("/oauth/token/"),
            Endpoint::Other,
            "exact paths only"
        );
    }
}
