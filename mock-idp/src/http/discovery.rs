//! `GET /.well-known/openid-configuration`: what express-oauth2-jwt-bearer and every OIDC
//! client read first. The `issuer` is the exact string tokens carry in `iss`; the endpoint
//! URLs are at the issuer's origin, or at the request's with `DiscoveryUrls::Request`
//! (`crate::issuer` says why).

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::engine::{Idp, SharedIdp};
use crate::issuance::scopes::OIDC_SCOPES;
use crate::store::lock;
use crate::tenant::TenantConfig;

/// Rendered documents by what they depend on, where the endpoints are and the scopes: a suite
/// starts a mock per test, and most tests fetch discovery first. In a debug build (as tests
/// run) serde_json's string escaping makes rendering the document most of that first
/// request's cost; pooled servers keep their port, so consecutive tests hit.
static RENDERED: Mutex<Vec<Rendered>> = Mutex::new(Vec::new());

/// The issuer, the base of the endpoints and the scopes a document was rendered for, the
/// last tenant snapshot it was served for, and the document.
type Rendered = (&'static str, String, Vec<String>, Arc<TenantConfig>, Bytes);

/// Enough for every server a suite runs at once; the oldest goes first.
const RENDERED_MAX: usize = 64;

pub(crate) async fn discovery(State(idp): State<SharedIdp>, request: Request) -> Response {
    answer(&idp, request.headers())
}

/// The document for a request with these headers (where the endpoints are may depend on its
/// `Host`). Not async: the server's fast path (`http::Served`) answers without a future.
pub(crate) fn answer(idp: &SharedIdp, headers: &HeaderMap) -> Response {
    let issuer = idp.issuer();
    let base = idp.discovery_urls.base(issuer, headers);
    let tenant = idp.tenant();
    // The same snapshot as last time (a renewed pooled engine keeps its initial one): its
    // scopes are those the document was rendered for, without listing them again.
    let same_tenant = lock(&RENDERED)
        .iter()
        .find(|(i, b, _, t, _)| *i == issuer && *b == base && Arc::ptr_eq(t, &tenant))
        .map(|(.., body)| body.clone());
    let body = same_tenant.unwrap_or_else(|| {
        let scopes = scopes(&tenant);
        let mut rendered = lock(&RENDERED);
        if let Some(entry) = rendered
            .iter_mut()
            .find(|(i, b, s, ..)| *i == issuer && *b == base && *s == scopes)
        {
            entry.3 = Arc::clone(&tenant);
            return entry.4.clone();
        }
        drop(rendered);
        let body = Bytes::from(render(idp, &base, &scopes).to_string());
        let mut rendered = lock(&RENDERED);
        if rendered.len() == RENDERED_MAX {
            rendered.remove(0);
        }
        rendered.push((issuer, base, scopes, tenant, body.clone()));
        body
    });
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// OIDC's scopes, then every API permission, once each.
fn scopes(tenant: &TenantConfig) -> Vec<String> {
    let mut scopes: Vec<String> = OIDC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    for api in &tenant.apis {
        for permission in &api.permissions {
            if !scopes.contains(permission) {
                scopes.push(permission.clone());
            }
        }
    }
    scopes
}

/// How clients authenticate at the token, revocation and PAR endpoints (`grants::client_auth`).
const CLIENT_AUTH_METHODS: [&str; 4] = [
    "none",
    "client_secret_post",
    "client_secret_basic",
    "private_key_jwt",
];

/// What a `private_key_jwt` assertion may be signed with (`tenant::ClientCredential`).
const ASSERTION_ALGS: [&str; 3] = ["RS256", "PS256", "ES256"];

/// `base`: where the endpoints are, with its trailing slash.
fn render(idp: &Idp, base: &str, scopes: &[String]) -> Value {
    let url = |path: &str| format!("{base}{path}");
    json!({
        "issuer": idp.issuer(),
        "authorization_endpoint": url("authorize"),
        "token_endpoint": url("oauth/token"),
        "userinfo_endpoint": url("userinfo"),
        "jwks_uri": url(".well-known/jwks.json"),
        "end_session_endpoint": url("oidc/logout"),
        "revocation_endpoint": url("oauth/revoke"),
        "pushed_authorization_request_endpoint": url("oauth/par"),
        "device_authorization_endpoint": url("oauth/device/code"),
        "require_pushed_authorization_requests": false,
        // Auth0's list, in its order: the code, implicit and hybrid flows (`/authorize`).
        "response_types_supported": [
            "code",
            "token",
            "id_token",
            "code token",
            "code id_token",
            "token id_token",
            "code token id_token"
        ],
        "response_modes_supported": ["query", "fragment", "form_post", "web_message"],
        "grant_types_supported": [
            "authorization_code",
            "implicit",
            "refresh_token",
            "client_credentials",
            "password",
            "http://auth0.com/oauth/grant-type/password-realm",
            "urn:ietf:params:oauth:grant-type:device_code",
            "http://auth0.com/oauth/grant-type/passwordless/otp"
        ],
        "subject_types_supported": ["public"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256", "ES256"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "request_parameter_supported": false,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "scopes_supported": scopes,
        "claims_supported": [
            "aud", "auth_time", "created_at", "email", "email_verified", "exp", "family_name",
            "given_name", "iat", "identities", "iss", "name", "nickname", "phone_number",
            "picture", "sub"
        ],
    })
}
