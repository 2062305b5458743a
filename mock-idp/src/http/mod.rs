//! The HTTP faces of the mock: the Auth0-facing endpoints, one module each, and [`app`], the
//! router that puts them (and the control API) together.

pub(crate) mod account;
pub(crate) mod activate;
pub(crate) mod authorize;
mod avatar;
pub(crate) mod dbconnections;
mod device;
pub(crate) mod discovery;
pub(crate) mod html;
pub(crate) mod jwks;
pub(crate) mod login;
pub(crate) mod logout;
mod management;
pub(crate) mod middleware;
pub(crate) mod passwordless;
pub mod paths;
pub(crate) mod revoke;
pub(crate) mod session_cookie;
pub(crate) mod signup;
pub(crate) mod token;
pub(crate) mod userinfo;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header, request::Parts};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::{Layer, ServiceBuilder};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::control;
use crate::engine::AppState;
use crate::error::OAuthError;
use crate::tenant::{TenantConfig, is_loopback_http, origin_of};

/// The whole mock as a router, serving whatever engine `slot` holds. Built once per server:
/// what differs between engines (the tenant, whether the control API is on) is read per
/// request, so a pooled server serves each test's engine without building its router again.
pub(crate) fn app(slot: AppState) -> Router {
    let fault = || middleware::FaultLayer(slot.clone());
    let journal = || middleware::JournalLayer(slot.clone());
    let origins = slot.clone();
    let browser_cors = middleware::Cors::per_origin(
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(
                move |origin: &HeaderValue, _: &Parts| {
                    origin
                        .to_str()
                        .is_ok_and(|origin| web_origin_allowed(&origins.engine().tenant(), origin))
                },
            ))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static("auth0-client"),
            ])
            .max_age(Duration::from_secs(86_400)),
    );
    let public_cors = middleware::Cors::public(
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([Method::GET]),
    );

    let protocol = Router::new()
        .route(paths::TOKEN, post(token::token))
        .route(paths::REVOKE, post(revoke::revoke))
        .route(paths::PAR, post(authorize::par::par))
        .route(paths::DEVICE_CODE, post(device::device_code))
        .route(paths::SIGNUP, post(dbconnections::signup))
        .route(paths::CHANGE_PASSWORD, post(dbconnections::change_password))
        .route(paths::PASSWORDLESS_START, post(passwordless::start))
        .route(
            paths::USERINFO,
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        // One layer call per group, so one `Route` around each endpoint's layers: each level
        // costs a clone of the boxed service below it per request. So the journal is in each
        // group's stack (and around the fallback), not a layer of the whole router.
        .layer(
            ServiceBuilder::new()
                .layer(journal())
                .layer(browser_cors)
                .layer(fault()),
        );
    let metadata = Router::new()
        .route(paths::DISCOVERY, get(discovery::discovery))
        .route(paths::JWKS, get(jwks::jwks))
        .layer(
            ServiceBuilder::new()
                .layer(journal())
                .layer(public_cors)
                .layer(fault()),
        );
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
        .route(
            paths::ACTIVATE,
            get(activate::activate_page).post(activate::activate_submit),
        )
        .route(
            paths::SIGNUP_PAGE,
            get(signup::signup_page).post(signup::signup_submit),
        )
        .route(paths::EMAIL_VERIFICATION, get(account::verify_email))
        .route(
            paths::RESET_PASSWORD,
            get(account::reset_page).post(account::reset_submit),
        )
        .route(
            paths::PASSWORDLESS_VERIFY,
            get(passwordless::verify_redirect),
        )
        .route(paths::LOGOUT, get(logout::v2_logout))
        .route(paths::OIDC_LOGOUT, get(logout::oidc_logout))
        .layer(ServiceBuilder::new().layer(journal()).layer(fault()));
    // Server-to-server: no CORS, as on Auth0.
    let management = Router::new()
        .nest(paths::MANAGEMENT, management::router())
        .layer(ServiceBuilder::new().layer(journal()).layer(fault()));
    let pages = Router::new()
        .route(paths::HEALTH, get(health))
        .route("/avatars/{file}", get(avatar::avatar))
        .layer(ServiceBuilder::new().layer(journal()).layer(fault()));

    let guard = from_fn_with_state(slot.clone(), control::guard::guard);
    let guard_nested = from_fn_with_state(slot.clone(), control::guard::guard_nested);
    let enabled = from_fn_with_state(slot.clone(), middleware::control_api_enabled);
    Router::new()
        .merge(protocol)
        .merge(metadata)
        .merge(browser)
        .merge(management)
        .merge(pages)
        .merge(
            // The journal outside the nest, where paths still have their `/_mock` prefix.
            Router::new()
                .nest(
                    "/_mock",
                    control::router().layer(
                        ServiceBuilder::new()
                            .layer(enabled.clone())
                            .layer(guard_nested),
                    ),
                )
                .layer(journal()),
        )
        .merge(
            control::inspector_page().layer(
                ServiceBuilder::new()
                    .layer(journal())
                    .layer(enabled)
                    .layer(guard),
            ),
        )
        .fallback_service(
            journal().layer(tower::service_fn(|_: axum::extract::Request| async {
                Ok::<_, std::convert::Infallible>(not_found().await)
            })),
        )
        .with_state(slot)
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

pub(crate) async fn not_found() -> Response {
    OAuthError::NotFound("No such endpoint on this mock".into()).into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;
    use crate::engine::{Idp, IdpConfig};

    #[tokio::test]
    async fn a_vacant_server_answers_503_and_records_nothing() {
        // Arrange: a server whose mock was dropped (its engine stays in the slot).
        let idp = std::sync::Arc::new(Idp::new(IdpConfig::default(), 4000).unwrap());
        let slot = AppState::serving(std::sync::Arc::clone(&idp));
        slot.vacate();

        // Act
        let request = Request::get(paths::HEALTH).body(Body::empty()).unwrap();
        let response = app(slot).oneshot(request).await.unwrap();

        // Assert
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "temporarily_unavailable");
        assert!(idp.journal.entries().is_empty());
    }
}
