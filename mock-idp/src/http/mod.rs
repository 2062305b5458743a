//! The HTTP faces of the mock: the Auth0-facing endpoints, one module each, and [`app`], the
//! router that puts them (and the control API) together.

pub(crate) mod authorize;
mod avatar;
pub(crate) mod discovery;
pub(crate) mod html;
pub(crate) mod jwks;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod middleware;
pub mod paths;
pub(crate) mod revoke;
pub(crate) mod session_cookie;
pub(crate) mod token;
pub(crate) mod userinfo;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header, request::Parts};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::control;
use crate::engine::SharedIdp;
use crate::error::OAuthError;
use crate::tenant::{TenantConfig, is_loopback_http, origin_of};

/// The whole mock as a router.
pub(crate) fn app(idp: SharedIdp) -> Router {
    let fault = || from_fn_with_state(Arc::clone(&idp), middleware::inject_fault);
    let origins = Arc::clone(&idp);
    let browser_cors = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, _: &Parts| {
                origin
                    .to_str()
                    .is_ok_and(|origin| web_origin_allowed(&origins.tenant(), origin))
            },
        ))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("auth0-client"),
        ])
        .max_age(Duration::from_secs(86_400));
    let public_cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET]);

    let protocol = Router::new()
        .route(paths::TOKEN, post(token::token))
        .route(paths::REVOKE, post(revoke::revoke))
        .route(
            paths::USERINFO,
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .layer(fault())
        .layer(browser_cors);
    let metadata = Router::new()
        .route(paths::DISCOVERY, get(discovery::discovery))
        .route(paths::JWKS, get(jwks::jwks))
        .layer(fault())
        .layer(public_cors);
    // Navigations, not fetches: no CORS here (the SDK's iframe needs none either).
    let browser = Router::new()
        .route(
            paths::AUTHORIZE,
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(paths::AUTHORIZE_RESUME, get(authorize::resume))
        .route(
            paths::LOGIN,
            get(login::login_page).post(login::login_submit),
        )
        .route(
            paths::CONSENT,
            get(login::consent_page).post(login::consent_submit),
        )
        .route(paths::LOGOUT, get(logout::v2_logout))
        .route(paths::OIDC_LOGOUT, get(logout::oidc_logout))
        .layer(fault());
    let pages = Router::new()
        .route(paths::HEALTH, get(health))
        .route("/avatars/{file}", get(avatar::avatar))
        .layer(fault());

    let mut router = Router::new()
        .merge(protocol)
        .merge(metadata)
        .merge(browser)
        .merge(pages);
    if idp.control_api {
        let guard = || from_fn_with_state(Arc::clone(&idp), control::guard::guard);
        router = router
            .nest("/_mock", control::router().layer(guard()))
            .merge(control::inspector_page().layer(guard()));
    }
    router
        .fallback(not_found)
        .layer(from_fn_with_state(Arc::clone(&idp), middleware::record))
        .with_state(idp)
}

/// An origin may call the token and userinfo endpoints from a browser when a client lists it
/// (or one of its callbacks is on it), or it is loopback and the tenant allows any port.
pub(crate) fn web_origin_allowed(tenant: &TenantConfig, origin: &str) -> bool {
    if tenant.allow_any_localhost_port && is_loopback_http(origin) {
        return true;
    }
    tenant.clients.iter().any(|c| {
        c.web_origins
            .iter()
            .any(|o| o.trim_end_matches('/') == origin)
            || c.callbacks
                .iter()
                .any(|cb| origin_of(cb).as_deref() == Some(origin))
    })
}

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

async fn not_found() -> Response {
    OAuthError::NotFound("No such endpoint on this mock".into()).into_response()
}
