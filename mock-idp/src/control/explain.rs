//! `POST /_mock/explain`: [`crate::explain`] over HTTP, for the inspector page and for tests
//! in any language.
//!
//! ```text
//! {"token": "...", "audience": "https://sample-api", "issuer": "...", "scopes": ["read:messages"], "leeway_secs": 5}
//! → {"verdict": "invalid", "header": {...}, "claims": {...},
//!    "checks": [{"check": "structure", "ok": true, "outcome": "passed", "detail": "..."}, ...],
//!    "hints": ["..."], "now": 1893456000, "leeway_secs": 5}
//! ```
//!
//! Whatever the token is (garbage, binary, a JWE, 60 KiB of it), the answer is a report whose
//! `structure` check says what is wrong; only a body that is not this JSON object gets a 400
//! (or a 413 past the token endpoint's body limit).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::engine::SharedIdp;
use crate::error::OAuthError;
use crate::explain::{Expected, Report, explain as run};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExplainRequest {
    token: String,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    scopes: Option<Scopes>,
    #[serde(default)]
    leeway_secs: Option<u64>,
}

/// `["a", "b"]`, or `"a b"` as a `scope` claim writes them.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scopes {
    List(Vec<String>),
    Spaced(String),
}

pub(super) async fn explain(
    State(idp): State<SharedIdp>,
    payload: Result<Json<ExplainRequest>, JsonRejection>,
) -> Result<Json<Report>, OAuthError> {
    let request = payload.map(|Json(r)| r).map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            OAuthError::PayloadTooLarge
        } else {
            OAuthError::InvalidRequest(e.body_text())
        }
    })?;
    let scopes = match request.scopes {
        None => Vec::new(),
        Some(Scopes::List(scopes)) => scopes,
        Some(Scopes::Spaced(scopes)) => scopes.split_whitespace().map(str::to_owned).collect(),
    };
    let blank = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let expected = Expected {
        audience: blank(request.audience),
        issuer: blank(request.issuer),
        scopes,
        leeway_secs: request.leeway_secs,
    };
    Ok(Json(run(&idp, &request.token, &expected)))
}
