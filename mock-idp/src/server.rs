//! One engine, two faces: the binary and [`MockIdp`](crate::MockIdp) both bind a [`Server`]
//! and run the same router.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::config::{TenantConfig, is_loopback_http, origin_of};
use crate::error::OAuthError;
use crate::state::{Idp, IdpConfig, SharedIdp, StartError};
use crate::{control, discovery, faults, journal, jwks, token, userinfo};

/// The paths the mock serves, Auth0's.
pub mod paths {
    /// OIDC discovery.
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    /// The JWK set.
    pub const JWKS: &str = "/.well-known/jwks.json";
    /// The authorization endpoint.
    pub const AUTHORIZE: &str = "/authorize";
    /// The token endpoint.
    pub const TOKEN: &str = "/oauth/token";
    /// Refresh-token revocation.
    pub const REVOKE: &str = "/oauth/revoke";
    /// The userinfo endpoint.
    pub const USERINFO: &str = "/userinfo";
    /// Auth0's logout.
    pub const LOGOUT: &str = "/v2/logout";
    /// OIDC RP-initiated logout.
    pub const OIDC_LOGOUT: &str = "/oidc/logout";
    /// Liveness for orchestration.
    pub const HEALTH: &str = "/health";
}

/// A bound, not yet running mock.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = mock_idp::Server::bind("127.0.0.1:4000", mock_idp::IdpConfig::default()).await?;
/// println!("issuer {}", server.issuer());
/// server.run(async { tokio::signal::ctrl_c().await.ok(); }).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    idp: SharedIdp,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and builds the engine for `config`.
    pub async fn bind(addr: &str, config: IdpConfig) -> Result<Self, StartError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: addr.to_owned(),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: addr.to_owned(),
                source,
            })?
            .port();
        let idp = Arc::new(Idp::new(&config, port)?);
        Ok(Self { listener, idp })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The issuer, with its trailing slash.
    pub fn issuer(&self) -> &str {
        &self.idp.issuer
    }

    /// The router, for driving the mock without a socket (`tower::ServiceExt::oneshot`).
    pub fn router(&self) -> Router {
        app(Arc::clone(&self.idp))
    }

    pub(crate) fn idp(&self) -> SharedIdp {
        Arc::clone(&self.idp)
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = app(self.idp);
        axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// The whole mock as a router.
pub(crate) fn app(idp: SharedIdp) -> Router {
    let fault = || from_fn_with_state(Arc::clone(&idp), faults::inject);
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
        .route(paths::REVOKE, post(token::revoke))
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
    let pages = Router::new()
        .route(paths::HEALTH, get(health))
        .route("/avatars/{file}", get(avatar))
        .layer(fault());

    let mut router = Router::new().merge(protocol).merge(metadata).merge(pages);
    if idp.control_api {
        router = router.nest("/_mock", control::router());
    }
    router
        .fallback(not_found)
        .layer(from_fn_with_state(Arc::clone(&idp), journal::record))
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

/// A small SVG avatar with the user's initials, so profile pictures work offline.
async fn avatar(State(idp): State<SharedIdp>, Path(file): Path<String>) -> Response {
    let Some(sub) = file.strip_suffix(".svg") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let tenant = idp.tenant();
    let Some(user) = tenant.user_by_sub(sub) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let name = user.display_name();
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let hue = sub
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 360;
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128"><rect width="128" height="128" rx="64" fill="hsl({hue},55%,45%)"/><text x="64" y="64" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="52" fill="#fff">{initials}</text></svg>"##
    );
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        svg,
    )
        .into_response()
}
