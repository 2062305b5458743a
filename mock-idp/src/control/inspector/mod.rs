//! The inspector: `GET /_mock/`, a page where a person sees what the mock did (requests,
//! tokens, the tenant) and learns why a token would be rejected (Explain), and the JSON it and
//! tests read (`GET /_mock/tokens`).
//!
//! The page is rendered here ([`render`]) and kept live by a small plain script embedded in
//! the binary (`inspector.js`: no CDN, no build step, works offline) that fetches the parts
//! again (`GET /_mock/?part=requests|tokens|tenant`) and drives the JSON control API for every
//! change (never a GET). It is part of the control API, so the same guard keeps web pages on
//! other sites away from it, and `--no-control-api` turns it off. Its Content-Security-Policy
//! allows only its own script and style: even a value that escaped [`escape`] could not run.
//!
//! [`escape`]: crate::http::html::escape

mod render;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::backchannel;
use crate::control::journal::Endpoint;
use crate::engine::{Idp, SharedIdp};
use crate::error::OAuthError;
use render::Part;

const SCRIPT: &str = include_str!("inspector.js");
const STYLE: &str = include_str!("inspector.css");

/// Only the page's own script, style and fetches; nothing inline, nothing framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Segment `index` of a compact JWT as JSON, unverified; `null` when it does not decode.
pub(super) fn segment(token: &str, index: usize) -> Value {
    token
        .split('.')
        .nth(index)
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PageQuery {
    part: Option<String>,
    endpoint: Option<String>,
}

/// `GET /_mock/`: the page, or with `?part=` one of its live parts (`&endpoint=` filters the
/// requests). Parts carry an `ETag`, so a poll that finds nothing new costs a 304.
pub(super) async fn page(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, OAuthError> {
    let Query(query) = query.map_err(|e| OAuthError::InvalidRequest(e.body_text()))?;
    let Some(name) = query.part.as_deref() else {
        return Ok(with_page_headers(
            (StatusCode::OK, axum::response::Html(render::page(&idp))).into_response(),
        ));
    };
    let part = Part::parse(name).ok_or_else(|| {
        OAuthError::InvalidRequest(format!(
            "Unknown part {name:?}; expected requests, tokens or tenant"
        ))
    })?;
    let filter = match query.endpoint.as_deref().filter(|e| !e.is_empty()) {
        None => None,
        Some(name) => Some(
            serde_json::from_value::<Endpoint>(Value::String(name.to_owned()))
                .map_err(|_| OAuthError::InvalidRequest(format!("Unknown endpoint {name:?}")))?,
        ),
    };
    let html = render::part(&idp, part, filter);
    let mut hasher = DefaultHasher::new();
    html.hash(&mut hasher);
    let etag = format!("\"{:016x}\"", hasher.finish());
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, axum::response::Html(html)).into_response()
    };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(with_page_headers(response))
}

fn with_page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // The page holds tokens: revalidate every time, never keep a copy for others.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /_mock/inspector.js`
pub(super) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /_mock/inspector.css`
pub(super) async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

/// `DELETE /_mock/sessions/{sid}`: ends one login session, by the `sid` its ID tokens carry
/// (with its back-channel logouts).
pub(super) async fn end_session(
    State(idp): State<SharedIdp>,
    Path(sid): Path<String>,
) -> Result<StatusCode, OAuthError> {
    if backchannel::end_session(&idp, &sid) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(OAuthError::NotFound(format!("No session {sid}")))
    }
}

/// An opaque access token's expiry: it is in the store, not in the token.
pub(super) fn opaque_expiry(idp: &Idp, token: &str) -> Option<Value> {
    idp.opaque_tokens.peek(token).map(|g| g.expires_at.into())
}

/// `GET /_mock/tokens`: the tokens the mock handed out (the last 200), oldest first, decoded
/// (unverified), with who asked for each and when it expires on the mock's clock.
pub(super) async fn tokens(State(idp): State<SharedIdp>) -> Json<Value> {
    let tokens: Vec<Value> = idp
        .issued
        .list()
        .into_iter()
        .map(|issued| {
            let claims = segment(&issued.token, 1);
            json!({
                "id": issued.id,
                "at": issued.at,
                "kind": issued.kind,
                "by": issued.by,
                "expires_at": claims
                    .get("exp")
                    .cloned()
                    .or_else(|| opaque_expiry(&idp, &issued.token)),
                "header": segment(&issued.token, 0),
                "claims": claims,
                "token": issued.token,
            })
        })
        .collect();
    Json(json!({ "tokens": tokens, "now": idp.clock.now() }))
}
