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
use crate::{authorize, control, discovery, faults, journal, jwks, login, logout, token, userinfo};

/// The paths the mock serves, Auth0's.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{MockIdp, paths};
/// let idp = MockIdp::start().await;
/// let discovery: serde_json::Value = reqwest::get(idp.discovery_url()).await.unwrap().json().await.unwrap();
/// let public = |path: &str| format!("{}{}", idp.issuer().trim_end_matches('/'), path);
/// assert_eq!(discovery["token_endpoint"], public(paths::TOKEN));
/// assert_eq!(discovery["authorization_endpoint"], public(paths::AUTHORIZE));
/// assert_eq!(discovery["userinfo_endpoint"], public(paths::USERINFO));
/// assert_eq!(discovery["end_session_endpoint"], public(paths::OIDC_LOGOUT));
/// assert_eq!(discovery["revocation_endpoint"], public(paths::REVOKE));
/// assert_eq!(discovery["jwks_uri"], public(paths::JWKS));
/// assert_eq!(reqwest::get(idp.url(paths::HEALTH)).await.unwrap().status(), 200);
/// # }
/// ```
pub mod paths {
    /// OIDC discovery.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::DISCOVERY), Endpoint::Discovery);
    /// ```
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    /// The JWK set.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::JWKS), Endpoint::Jwks);
    /// ```
    pub const JWKS: &str = "/.well-known/jwks.json";
    /// The authorization endpoint.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::AUTHORIZE), Endpoint::Authorize);
    /// ```
    pub const AUTHORIZE: &str = "/authorize";
    /// Where the login and consent pages hand a transaction back to `/authorize`.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::AUTHORIZE_RESUME), Endpoint::Authorize);
    /// ```
    pub const AUTHORIZE_RESUME: &str = "/authorize/resume";
    /// The login page (Auth0's Universal Login path).
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::LOGIN), Endpoint::Login);
    /// ```
    pub const LOGIN: &str = "/u/login";
    /// The consent page, for clients with `require_consent`.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::CONSENT), Endpoint::Login);
    /// ```
    pub const CONSENT: &str = "/u/consent";
    /// The token endpoint.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::TOKEN), Endpoint::Token);
    /// ```
    pub const TOKEN: &str = "/oauth/token";
    /// Refresh-token revocation.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::REVOKE), Endpoint::Revoke);
    /// ```
    pub const REVOKE: &str = "/oauth/revoke";
    /// The userinfo endpoint.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::USERINFO), Endpoint::Userinfo);
    /// ```
    pub const USERINFO: &str = "/userinfo";
    /// Auth0's logout.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::LOGOUT), Endpoint::Logout);
    /// ```
    pub const LOGOUT: &str = "/v2/logout";
    /// OIDC RP-initiated logout.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::OIDC_LOGOUT), Endpoint::Logout);
    /// ```
    pub const OIDC_LOGOUT: &str = "/oidc/logout";
    /// Liveness for orchestration.
    ///
    /// ```
    /// use mock_idp::{Endpoint, paths};
    /// assert_eq!(Endpoint::of_path(paths::HEALTH), Endpoint::Health);
    /// ```
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
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{IdpConfig, Server, StartError};
    /// let server = Server::bind("127.0.0.1:0", IdpConfig::default()).await.unwrap();
    /// assert_ne!(server.local_addr().port(), 0);
    ///
    /// // A port in use is an error, not a panic.
    /// let taken = server.local_addr().to_string();
    /// let error = Server::bind(&taken, IdpConfig::default()).await.unwrap_err();
    /// assert!(matches!(error, StartError::Bind { .. }));
    /// # }
    /// ```
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
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let server = mock_idp::Server::bind("127.0.0.1:0", mock_idp::IdpConfig::default()).await.unwrap();
    /// let addr = server.local_addr();
    /// assert!(addr.ip().is_loopback());
    /// assert!(std::net::TcpStream::connect(addr).is_ok(), "bound and listening before `run`");
    /// # }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The issuer, with its trailing slash.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{IdpConfig, Server};
    /// let server = Server::bind("127.0.0.1:0", IdpConfig::default()).await.unwrap();
    /// assert_eq!(server.issuer(), format!("http://localhost:{}/", server.local_addr().port()));
    ///
    /// // `{port}` in a configured issuer is the bound port.
    /// let server = Server::bind("127.0.0.1:0", IdpConfig::default().issuer("http://mock-idp:{port}")).await.unwrap();
    /// assert_eq!(server.issuer(), format!("http://mock-idp:{}/", server.local_addr().port()));
    /// # }
    /// ```
    pub fn issuer(&self) -> &str {
        &self.idp.issuer
    }

    /// The router, for driving the mock without a socket (`tower::ServiceExt::oneshot`).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use axum::body::Body;
    /// use axum::http::Request;
    /// use tower::ServiceExt;
    ///
    /// let server = mock_idp::Server::bind("127.0.0.1:0", mock_idp::IdpConfig::default()).await.unwrap();
    /// let response = server
    ///     .router()
    ///     .oneshot(Request::get("/.well-known/jwks.json").body(Body::empty()).unwrap())
    ///     .await
    ///     .unwrap();
    /// assert_eq!(response.status(), 200);
    /// # }
    /// ```
    pub fn router(&self) -> Router {
        app(Arc::clone(&self.idp))
    }

    pub(crate) fn idp(&self) -> SharedIdp {
        Arc::clone(&self.idp)
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use mock_idp::{IdpConfig, Server};
    /// // Arrange
    /// let server = Server::bind("127.0.0.1:0", IdpConfig::default()).await.unwrap();
    /// let health = format!("http://{}/health", server.local_addr());
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let running = tokio::spawn(server.run(async { stopped.await.ok(); }));
    ///
    /// // Act
    /// let status = reqwest::get(&health).await.unwrap().status();
    /// stop.send(()).unwrap();
    ///
    /// // Assert: it served, then shut down cleanly when asked.
    /// assert_eq!(status, 200);
    /// assert!(running.await.unwrap().is_ok());
    /// # }
    /// ```
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
        .route("/avatars/{file}", get(avatar))
        .layer(fault());

    let mut router = Router::new()
        .merge(protocol)
        .merge(metadata)
        .merge(browser)
        .merge(pages);
    if idp.control_api {
        let guard = from_fn_with_state(Arc::clone(&idp), crate::control_guard::guard);
        router = router.nest("/_mock", control::router().layer(guard));
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
