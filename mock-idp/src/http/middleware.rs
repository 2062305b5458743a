//! The two layers every request passes through: the journal records it, and an installed
//! fault may answer instead of the endpoint.
//!
//! Both are hand-written tower services ([`JournalLayer`], [`FaultLayer`]) rather than
//! `axum::middleware::from_fn`: a test pays for every layer of its first request, and in the
//! debug builds tests run, `from_fn`'s extractors, its boxed `Next` and the copies of the
//! request's parts cost more than the journal and the fault check themselves
//! (`mock-idp/bench/start.sh`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::control::faults::Fault;
use crate::control::journal::{Endpoint, JournalNote, RecordedRequest};
use crate::engine::{AppState, SharedIdp};
use crate::error::{ErrorCode, OAuthError};

/// What the two layers' services return: one allocation per request, as `from_fn`'s own
/// boxed future, without its boxed `Next`.
pub(crate) type LayerFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// Marks a response produced by fault injection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Faulted;

/// Answers with the endpoint's installed fault, if any, in place of the routes it wraps. It
/// sits inside the routes' CORS layer, so a browser can read a faulted answer, and checks
/// before the endpoint runs, so a faulted endpoint does no work (a faulted token request
/// issues nothing).
#[derive(Clone, Debug)]
pub(crate) struct FaultLayer(pub(crate) AppState);

impl<S> Layer<S> for FaultLayer {
    type Service = FaultService<S>;

    fn layer(&self, inner: S) -> FaultService<S> {
        FaultService {
            slot: self.0.clone(),
            inner,
        }
    }
}

/// [`FaultLayer`]'s service.
#[derive(Clone, Debug)]
pub(crate) struct FaultService<S> {
    slot: AppState,
    inner: S,
}

impl<S> Service<Request> for FaultService<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = LayerFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> LayerFuture {
        let endpoint = Endpoint::of_path(request.uri().path());
        let fault = match endpoint {
            Endpoint::Control => None,
            endpoint => self.slot.engine().faults.take(endpoint),
        };
        let Some(fault) = fault else {
            return Box::pin(self.inner.call(request));
        };
        // Only a fault that lets the request through (a delay alone) runs the endpoint, later.
        let endpoint = fault.status.is_none().then(|| self.inner.call(request));
        Box::pin(answer_with(fault, endpoint))
    }
}

async fn answer_with(
    fault: Fault,
    endpoint: Option<impl Future<Output = Result<Response, Infallible>>>,
) -> Result<Response, Infallible> {
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let mut response = match (fault.status, endpoint) {
        (None, Some(endpoint)) => endpoint.await?,
        (status, _) => {
            let status = status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let body = fault.body.unwrap_or_else(|| {
                serde_json::json!({
                    "error": "temporarily_unavailable",
                    "error_description": "Injected fault (mock-idp control API)",
                })
                .to_string()
            });
            let content_type = fault
                .content_type
                .unwrap_or_else(|| "application/json".into());
            let mut response = (status, Body::from(body)).into_response();
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            response
        }
    };
    response.extensions_mut().insert(Faulted);
    Ok(response)
}

/// Records each request in the journal of the engine mounted when it arrived, once it has
/// been answered. A pooled test server between two tests has no engine to serve: it answers
/// 503, as an IdP that is down would, and records nothing. The outermost layer.
#[derive(Clone, Debug)]
pub(crate) struct JournalLayer(pub(crate) AppState);

impl<S> Layer<S> for JournalLayer {
    type Service = JournalService<S>;

    fn layer(&self, inner: S) -> JournalService<S> {
        JournalService {
            slot: self.0.clone(),
            inner,
        }
    }
}

/// [`JournalLayer`]'s service.
#[derive(Clone, Debug)]
pub(crate) struct JournalService<S> {
    slot: AppState,
    inner: S,
}

impl<S> Service<Request> for JournalService<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = LayerFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> LayerFuture {
        if self.slot.is_vacant() {
            let response = OAuthError::TemporarilyUnavailable(
                "This mock-idp test server is not in use: the MockIdp that had it was dropped"
                    .into(),
            )
            .into_response();
            return Box::pin(std::future::ready(Ok(response)));
        }
        // Held until the answer is journaled: the pool renews only an engine nobody holds.
        let idp = self.slot.engine();
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        let at = idp.clock.now();
        // Read on arrival: expectations registered while this request is in flight do not
        // count it.
        let watermark = idp.expectations.watermark();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            record(&idp, method, path, at, watermark, &response);
            Ok(response)
        })
    }
}

fn record(
    idp: &SharedIdp,
    method: String,
    path: String,
    at: i64,
    watermark: u64,
    response: &Response,
) {
    // Reading the journal must not fill it, nor the inspector page polling it.
    if is_inspector_read(&method, &path) {
        return;
    }
    let note = response
        .extensions()
        .get::<JournalNote>()
        .cloned()
        .unwrap_or_default();
    let endpoint = Endpoint::of_path(&path);
    let entry = RecordedRequest {
        seq: 0,
        method,
        path,
        endpoint,
        status: response.status().as_u16(),
        at,
        grant_type: note.grant_type,
        client_id: note.client_id,
        faulted: response.extensions().get::<Faulted>().is_some(),
        error: response
            .extensions()
            .get::<ErrorCode>()
            .map(|code| code.0.to_owned()),
        tokens: note.tokens,
        note: None,
        console: note.console,
    };
    idp.expectations.observe(&entry, watermark);
    idp.journal.push(entry);
}

/// With `--no-control-api` (or `without_control_api()`), `/_mock/*` answers as a path the mock
/// does not have.
pub(crate) async fn control_api_enabled(
    State(idp): State<SharedIdp>,
    request: Request,
    next: Next,
) -> Response {
    if idp.control_api {
        next.run(request).await
    } else {
        super::not_found().await
    }
}

/// The reads the inspector page repeats while it is open: the journal, the tokens, the page
/// itself and its assets. Journaling them would bury the requests it is there to show.
fn is_inspector_read(method: &str, path: &str) -> bool {
    path == "/_mock/requests"
        || (method == "GET"
            && matches!(
                path,
                "/_mock"
                    | "/_mock/"
                    | "/_mock/tokens"
                    | "/_mock/tenant"
                    | "/_mock/inspector.js"
                    | "/_mock/inspector.css"
            ))
}

/// tower-http's CORS for the requests it has work for: a preflight (`OPTIONS`) and a request
/// that carries an `Origin`, as every browser's cross-origin fetch does. Any other request
/// gets the one header tower-http's CORS would give it, fixed when the router is built
/// ([`CorsLayer`]'s answer without an `Origin`: `access-control-allow-origin: *` when any
/// origin may read, `vary: origin` when it depends on the origin), without its cost per
/// request: in the debug builds tests run, more than the endpoint behind it.
///
/// [`CorsLayer`]: tower_http::cors::CorsLayer
#[derive(Clone, Debug)]
pub(crate) struct Cors {
    /// Shared: the layer is cloned with the routes below it on every request.
    layer: Arc<tower_http::cors::CorsLayer>,
    without_origin: (header::HeaderName, HeaderValue),
}

impl Cors {
    /// `layer` lets any origin read (`allow_origin(Any)`).
    pub(crate) fn public(layer: tower_http::cors::CorsLayer) -> Self {
        Self {
            layer: Arc::new(layer),
            without_origin: (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        }
    }

    /// `layer` decides per origin, and lists neither methods nor headers per request.
    pub(crate) fn per_origin(layer: tower_http::cors::CorsLayer) -> Self {
        Self {
            layer: Arc::new(layer),
            without_origin: (header::VARY, HeaderValue::from_static("origin")),
        }
    }
}

impl<S> Layer<S> for Cors {
    type Service = CorsService<S>;

    fn layer(&self, inner: S) -> CorsService<S> {
        CorsService {
            layer: Arc::clone(&self.layer),
            inner,
            without_origin: self.without_origin.clone(),
        }
    }
}

/// [`Cors`]'s service.
#[derive(Clone, Debug)]
pub(crate) struct CorsService<S> {
    layer: Arc<tower_http::cors::CorsLayer>,
    inner: S,
    without_origin: (header::HeaderName, HeaderValue),
}

impl<S> Service<Request> for CorsService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = LayerFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> LayerFuture {
        if request.method() == axum::http::Method::OPTIONS
            || request.headers().contains_key(header::ORIGIN)
        {
            // The service that was polled ready goes to tower-http; its clone stays.
            let clone = self.inner.clone();
            let ready = std::mem::replace(&mut self.inner, clone);
            return Box::pin(self.layer.layer(ready).call(request));
        }
        let answer = self.inner.call(request);
        let (name, value) = self.without_origin.clone();
        Box::pin(async move {
            let mut response = answer.await?;
            // As tower-http: `vary` adds to the endpoint's, the others replace.
            if name == header::VARY {
                response.headers_mut().append(name, value);
            } else {
                response.headers_mut().insert(name, value);
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Method;
    use tower::ServiceExt;
    use tower_http::cors::{AllowOrigin, Any, CorsLayer};

    use super::*;

    fn endpoint()
    -> impl Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
    + Clone
    + Send
    + 'static {
        tower::service_fn(|_: Request| async {
            Ok::<_, Infallible>(([(header::VARY, "accept-encoding")], "ok").into_response())
        })
    }

    async fn headers_of(
        service: impl Service<Request, Response = Response, Error = Infallible>,
        request: axum::http::request::Builder,
    ) -> axum::http::HeaderMap {
        let response = service
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        response.headers().clone()
    }

    #[tokio::test]
    async fn answers_without_an_origin_exactly_as_tower_http_would() {
        // Arrange: the two kinds of CORS the router uses.
        let public = || {
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET])
        };
        let per_origin = || {
            CorsLayer::new()
                .allow_origin(AllowOrigin::predicate(|o: &HeaderValue, _| {
                    o == "https://a.test"
                }))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE])
        };
        let requests = || {
            [
                Request::get("/x"),
                Request::post("/x"),
                Request::get("/x").header(header::ORIGIN, "https://a.test"),
                Request::get("/x").header(header::ORIGIN, "https://b.test"),
                Request::options("/x")
                    .header(header::ORIGIN, "https://a.test")
                    .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST"),
            ]
        };

        for (name, ours, theirs) in [
            ("public", Cors::public(public()), public()),
            ("per origin", Cors::per_origin(per_origin()), per_origin()),
        ] {
            for (request, twin) in requests().into_iter().zip(requests()) {
                // Act
                let got = headers_of(ours.layer(endpoint()), request).await;
                let expected = headers_of(theirs.layer(endpoint()), twin).await;

                // Assert
                assert_eq!(got, expected, "{name}");
            }
        }
    }
}
