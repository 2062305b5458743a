//! The two layers every request passes through: the journal records it, and an installed
//! fault may answer instead of the endpoint.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::control::journal::{Endpoint, JournalNote, RecordedRequest};
use crate::engine::{AppState, SharedIdp};
use crate::error::{ErrorCode, OAuthError};

/// Marks a response produced by fault injection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Faulted;

/// Answers with the endpoint's installed fault, if any. Faults apply before routing, so a
/// faulted endpoint does no work (a faulted token request issues nothing).
pub(crate) async fn inject_fault(
    State(idp): State<SharedIdp>,
    request: Request,
    next: Next,
) -> Response {
    let endpoint = Endpoint::of_path(request.uri().path());
    if endpoint == Endpoint::Control {
        return next.run(request).await;
    }
    let Some(fault) = idp.faults.take(endpoint) else {
        return next.run(request).await;
    };
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let mut response = match fault.status {
        None => next.run(request).await,
        Some(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
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
    response
}

/// Records the request in the journal of the engine mounted when it arrived, once it has been
/// answered. A pooled test server between two tests has no engine to serve: it answers 503,
/// as an IdP that is down would, and records nothing. (One layer for both: each layer costs
/// a measurable part of a request in the debug builds tests run.)
pub(crate) async fn record(State(slot): State<AppState>, request: Request, next: Next) -> Response {
    if slot.is_vacant() {
        return OAuthError::TemporarilyUnavailable(
            "This mock-idp test server is not in use: the MockIdp that had it was dropped".into(),
        )
        .into_response();
    }
    let idp = slot.engine();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let at = idp.clock.now();
    // Read on arrival: expectations registered while this request is in flight do not count it.
    let watermark = idp.expectations.watermark();
    let response = next.run(request).await;
    let note = response
        .extensions()
        .get::<JournalNote>()
        .cloned()
        .unwrap_or_default();
    let endpoint = Endpoint::of_path(&path);
    // Reading the journal must not fill it, nor the inspector page polling it.
    if !is_inspector_read(&method, &path) {
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
    response
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
