//! `GET /.well-known/openid-configuration`: what express-oauth2-jwt-bearer and every OIDC
//! client read first. The `issuer` is the exact string tokens carry in `iss`; the endpoint
//! URLs are at the issuer's origin, or at the request's with `DiscoveryUrls::Request`
//! (`crate::issuer` says why).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use crate::engine::{Idp, SharedIdp};
use crate::issuance::scopes::OIDC_SCOPES;
use crate::issuer::{DiscoveryUrls, request_base};

pub(crate) async fn discovery(State(idp): State<SharedIdp>, headers: HeaderMap) -> Json<Value> {
    let base = match idp.discovery_urls {
        DiscoveryUrls::Issuer => idp.issuer().to_owned(),
        DiscoveryUrls::Request => {
            let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            request_base(
                idp.issuer(),
                value(header::HOST.as_str()),
                value("x-forwarded-host"),
                value("x-forwarded-proto"),
            )
        }
    };
    Json(document(&idp, &base))
}

/// `base`: where the endpoints are, with its trailing slash.
fn document(idp: &Idp, base: &str) -> Value {
    let tenant = idp.tenant();
    let mut scopes: Vec<String> = OIDC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    for api in &tenant.apis {
        for permission in &api.permissions {
            if !scopes.contains(permission) {
                scopes.push(permission.clone());
            }
        }
    }
    let url = |path: &str| format!("{base}{path}");
    json!({
        "issuer": idp.issuer(),
        "authorization_endpoint": url("authorize"),
        "token_endpoint": url("oauth/token"),
        "userinfo_endpoint": url("userinfo"),
        "jwks_uri": url(".well-known/jwks.json"),
        "end_session_endpoint": url("oidc/logout"),
        "revocation_endpoint": url("oauth/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post", "web_message"],
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
            "http://auth0.com/oauth/grant-type/password-realm"
        ],
        "subject_types_supported": ["public"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256", "ES256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "request_parameter_supported": false,
        "scopes_supported": scopes,
        "claims_supported": [
            "aud", "auth_time", "created_at", "email", "email_verified", "exp", "family_name",
            "given_name", "iat", "identities", "iss", "name", "nickname", "phone_number",
            "picture", "sub"
        ],
    })
}
