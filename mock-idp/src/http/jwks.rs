//! `GET /.well-known/jwks.json`: every published key, newest first.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use crate::engine::SharedIdp;

pub(crate) async fn jwks(State(idp): State<SharedIdp>) -> Json<Value> {
    Json(idp.jwks())
}
