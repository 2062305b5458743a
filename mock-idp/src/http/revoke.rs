//! `POST /oauth/revoke` (RFC 7009): revokes a refresh token and its family. Answers 200 for
//! unknown tokens too, as the RFC asks.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::paths;
use super::token::read_params;
use crate::engine::SharedIdp;
use crate::error::OAuthError;
use crate::grants::client_auth;

pub(crate) async fn revoke(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let params = read_params(&headers, body).await?;
        let tenant = idp.tenant();
        let client = client_auth::authenticate(
            &idp,
            &tenant,
            &[paths::REVOKE, paths::TOKEN],
            &headers,
            &params,
        )?;
        let token = params.require("token")?;
        idp.refresh_tokens.revoke(token, &client.client_id);
        Ok::<_, OAuthError>(())
    }
    .await;
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}
