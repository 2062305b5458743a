//! `GET /.well-known/jwks.json`: every published key, newest first.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use crate::engine::SharedIdp;

/// The fast path (`http::Served`) answers `Json(idp.jwks())` as this does.
pub(crate) async fn jwks(State(idp): State<SharedIdp>) -> Json<Value> {
    Json(idp.jwks())
}
