//! `GET` / `POST /_mock/issuer`: read or change the issuer while the mock runs, for a container
//! whose host-side port is known only after it started (`crate::issuer` has the reasoning).
//!
//! The new issuer holds for every token issued afterwards and for the discovery document;
//! tokens issued before keep theirs, and `reset` keeps the new one, because the issuer says
//! how the mock is reached rather than what a test did.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::SharedIdp;
use crate::error::OAuthError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IssuerChange {
    issuer: String,
}

pub(crate) async fn current(State(idp): State<SharedIdp>) -> Json<Value> {
    Json(json!({ "issuer": idp.issuer() }))
}

pub(crate) async fn set(
    State(idp): State<SharedIdp>,
    payload: Result<Json<IssuerChange>, JsonRejection>,
) -> Result<Json<Value>, OAuthError> {
    let Json(change) = payload.map_err(|e| OAuthError::InvalidRequest(e.body_text()))?;
    let issuer = idp
        .set_issuer(&change.issuer)
        .map_err(OAuthError::InvalidRequest)?;
    tracing::info!(issuer, "issuer changed over the control API");
    Ok(Json(json!({ "issuer": issuer })))
}
