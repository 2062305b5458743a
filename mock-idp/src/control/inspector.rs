//! What the inspector shows, as JSON for the page's script and for tests: the tokens the
//! mock handed out, decoded.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::engine::SharedIdp;

/// Segment `index` of a compact JWT as JSON, unverified; `null` when it does not decode.
pub(super) fn segment(token: &str, index: usize) -> Value {
    token
        .split('.')
        .nth(index)
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
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
                "expires_at": claims.get("exp"),
                "header": segment(&issued.token, 0),
                "claims": claims,
                "token": issued.token,
            })
        })
        .collect();
    Json(json!({ "tokens": tokens, "now": idp.clock.now() }))
}
