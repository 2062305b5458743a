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

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header, request::Parts};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::{Layer, Service, ServiceBuilder};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::control;
use crate::engine::AppState;
use crate::error::OAuthError;
use crate::tenant::{TenantConfig, is_loopback_http, origin_of};

/// Runs `work` where a tenant's Actions may block: on tokio's blocking pool when the tenant
/// has any, inline when not (the common case pays nothing). An Action's `fetch` may call this
/// very server, which a runtime whose thread the Action blocked could never answer (a pooled
/// test server runs on a current-thread runtime). `None` only if the runtime is shutting down.
pub(crate) async fn off_the_runtime<T: Send + 'static>(
    idp: &crate::engine::SharedIdp,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    if idp.tenant().actions.is_empty() {
        return Some(work());
    }
    match tokio::task::spawn_blocking(work).await {
        Ok(out) => Some(out),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => None,
    }
}

/// [`off_the_runtime`] for work that may run Actions, with the console lines they wrote.
pub(crate) async fn run_flows<T: Send + 'static>(
    idp: &crate::engine::SharedIdp,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<(T, Vec<String>)> {
    let flows = move || {
        // Lines left on this thread by a request that did not collect them are not ours.
        let _ = crate::actions::take_console();
        let out = work();
        (out, crate::actions::take_console())
    };
    off_the_runtime(idp, flows).await
}

/// Puts the Actions' console lines into the journal entry of `response`.
pub(crate) fn journal_console(response: &mut Response, console: Vec<String>) {
    if console.is_empty() {
        return;
    }
    let extensions = response.extensions_mut();
    match extensions.get_mut::<control::journal::JournalNote>() {
        Some(note) => note.console.extend(console),
        None => {
            extensions.insert(control::journal::JournalNote {
                console,
                ..Default::default()
            });
        }
    }
}

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
    let public_cors = public_cors();

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

/// The metadata endpoints' CORS: any origin may read them.
fn public_cors() -> middleware::Cors {
    middleware::Cors::public(
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([Method::GET]),
    )
}

/// The metadata routes' stack (journal, CORS, fault) around [`Metadata`].
type MetadataStack =
    middleware::JournalService<middleware::CorsService<middleware::FaultService<Metadata>>>;

/// What a server serves: [`app`], except that a `GET` of the discovery document or the JWKS,
/// which nearly every test fetches first, goes straight to the same layers and handlers the
/// router has for them, without the router. In the debug builds tests run, axum's routing
/// (the path lookup, the URL parameters, two `Route` levels each cloning a boxed service,
/// the response's length) costs more than the endpoint itself; the answer is the same, byte
/// for byte, and journaled the same (`tests::the_fast_path_answers_as_the_router_does`).
/// Anything else, `HEAD` included, takes the router.
///
/// The router itself is built on the first request that needs it, once per server (the
/// connections' copies of `Served` share it): in a debug build it takes longer to build
/// (about 1.5 ms) than the rest of a server's start, and the requests a test makes first are
/// often the two above, or none (a token signed in the test, checked by an API against the
/// JWKS). Built on a thread of its own meanwhile, it made the first request slower, not
/// faster, on a 2-core machine: the build and the first request compete for the same cores.
#[derive(Clone)]
pub(crate) struct Served {
    /// This connection's copy of the router, once built.
    router: Option<Router>,
    built: Arc<OnceLock<Router>>,
    slot: AppState,
    metadata: MetadataStack,
}

/// The server's service for `slot`: [`Served`] over [`app`].
pub(crate) fn served(slot: AppState) -> Served {
    let metadata = ServiceBuilder::new()
        .layer(middleware::JournalLayer(slot.clone()))
        .layer(public_cors())
        .layer(middleware::FaultLayer(slot.clone()))
        .service(Metadata(slot.clone()));
    Served {
        router: None,
        built: Arc::new(OnceLock::new()),
        slot,
        metadata,
    }
}

impl Served {
    fn is_metadata(request: &Request) -> bool {
        request.method() == Method::GET
            && matches!(request.uri().path(), paths::DISCOVERY | paths::JWKS)
    }
}

impl Service<Request> for Served {
    type Response = Response;
    type Error = Infallible;
    type Future = ServedFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The metadata stack and axum's router are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> ServedFuture {
        if Self::is_metadata(&request) {
            return ServedFuture::Metadata(self.metadata.call(request));
        }
        let (built, slot) = (&self.built, &self.slot);
        let router = self
            .router
            .get_or_insert_with(|| built.get_or_init(|| app(slot.clone())).clone());
        ServedFuture::Routed(Box::new(router.call(request)))
    }
}

/// [`Served`]'s answer. The router's future is boxed: it is twenty times the size of the
/// other, and an allocation is nothing beside the routing it stands for.
pub(crate) enum ServedFuture {
    Metadata(middleware::LayerFuture),
    Routed(Box<axum::routing::future::RouteFuture<Infallible>>),
}

impl Future for ServedFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Self::Metadata(answer) => answer.as_mut().poll(cx),
            Self::Routed(answer) => Pin::new(answer.as_mut()).poll(cx),
        }
    }
}

/// The discovery document and the JWKS as one service, for [`Served`]: the handlers the
/// router calls, given the engine as their `State` extractor would.
#[derive(Clone)]
struct Metadata(AppState);

impl Service<Request> for Metadata {
    type Response = Response;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let idp = self.0.engine();
        let response = if request.uri().path() == paths::JWKS {
            axum::Json(idp.jwks()).into_response()
        } else {
            discovery::answer(&idp, request.headers())
        };
        std::future::ready(Ok(response))
    }
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
    async fn the_fast_path_answers_as_the_router_does() {
        // Arrange: one engine, served over a socket (the fast path) and through the router.
        let config = IdpConfig::default().deterministic(true);
        let server = crate::Server::bind("127.0.0.1:0", config).await.unwrap();
        let router = server.router();
        let idp = server.idp();
        let base = format!("http://{}", server.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(server.run(async {
            stopped.await.ok();
        }));
        let http = reqwest::Client::new();

        for path in [paths::DISCOVERY, paths::JWKS] {
            for origin in [None, Some("https://spa.example")] {
                // Act
                let mut fast = http.get(format!("{base}{path}"));
                let mut routed = Request::get(path).header(header::HOST, server_host(&base));
                if let Some(origin) = origin {
                    fast = fast.header(header::ORIGIN, origin);
                    routed = routed.header(header::ORIGIN, origin);
                }
                let fast = fast.send().await.unwrap();
                let routed = router
                    .clone()
                    .oneshot(routed.body(Body::empty()).unwrap())
                    .await
                    .unwrap();

                // Assert: the same status, headers (hyper writes the length the router
                // sets; the date is the socket's) and body.
                assert_eq!(fast.status(), routed.status(), "{path} {origin:?}");
                let mut fast_headers = fast.headers().clone();
                fast_headers.remove(header::DATE);
                assert_eq!(&fast_headers, routed.headers(), "{path} {origin:?}");
                let routed = axum::body::to_bytes(routed.into_body(), 1 << 20)
                    .await
                    .unwrap();
                assert_eq!(fast.bytes().await.unwrap(), routed, "{path} {origin:?}");
            }
        }
        let journal = idp.journal.entries();
        stop.send(()).unwrap();
        running.await.unwrap().unwrap();

        // Assert: each pair journaled alike.
        assert_eq!(journal.len(), 8);
        for pair in journal.chunks(2) {
            let strip = |r: &crate::control::journal::RecordedRequest| {
                (
                    r.method.clone(),
                    r.path.clone(),
                    r.endpoint,
                    r.status,
                    r.faulted,
                )
            };
            assert_eq!(strip(&pair[0]), strip(&pair[1]));
        }
    }

    #[tokio::test]
    async fn a_server_builds_its_router_once_and_only_when_a_request_needs_it() {
        // Arrange: a server's service, and a second connection's copy of it.
        let idp = std::sync::Arc::new(Idp::new(IdpConfig::default(), 4000).unwrap());
        let mut first = served(AppState::serving(idp));
        let mut second = first.clone();
        let get = |path: &str| {
            Request::get(path)
                .header(header::HOST, "localhost:4000")
                .body(Body::empty())
                .unwrap()
        };

        // Act: the metadata, which the fast path answers.
        let discovery = first.call(get(paths::DISCOVERY)).await.unwrap();
        let jwks = second.call(get(paths::JWKS)).await.unwrap();

        // Assert: answered, and no router yet.
        assert_eq!(discovery.status(), StatusCode::OK);
        assert_eq!(jwks.status(), StatusCode::OK);
        assert!(first.built.get().is_none());

        // Act: a routed request on each connection.
        let health = first.call(get(paths::HEALTH)).await.unwrap();
        let missing = second.call(get("/no/such/path")).await.unwrap();

        // Assert: both routed, through the one router the first request built.
        assert_eq!(health.status(), StatusCode::OK);
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert!(std::sync::Arc::ptr_eq(&first.built, &second.built));
        assert!(first.built.get().is_some());
    }

    fn server_host(base: &str) -> &str {
        base.trim_start_matches("http://")
    }

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
