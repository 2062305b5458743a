//! `POST /oauth/token`: parse the request, authenticate the client, dispatch to its grant
//! ([`crate::grants`]).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::control::journal::JournalNote;
use crate::engine::{Idp, SharedIdp};
use crate::error::OAuthError;
use crate::grants::params::Params;
use crate::grants::{self, GrantType, client_auth};
use crate::http::{paths, run_flows};
use crate::issuance::Issued;
use crate::store::issued::{IssuedBy, TokenUse};

/// Token request bodies larger than this get 413. Real requests are well under 4 KiB.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// The token or revocation request's parameters, from a form or JSON body of at most
/// [`MAX_BODY`] bytes.
pub(crate) async fn read_params(headers: &HeaderMap, body: Body) -> Result<Params, OAuthError> {
    let (media_type, bytes) = read_body(headers, body).await?;
    Params::parse(&media_type, &bytes)
}

/// A body of at most [`MAX_BODY`] bytes and its media type (lower-cased, without parameters).
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
) -> Result<(String, Bytes), OAuthError> {
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        if is_length_limit(&e) {
            OAuthError::PayloadTooLarge
        } else {
            OAuthError::InvalidRequest("Could not read the request body".into())
        }
    })?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Ok((media_type, bytes))
}

/// `to_bytes` reports the limit through an error type of a crate we do not depend on; its
/// message is the stable part.
pub(crate) fn is_length_limit(error: &axum::Error) -> bool {
    let mut current: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = current {
        if e.to_string().contains("length limit exceeded") {
            return true;
        }
        current = e.source();
    }
    false
}

pub(crate) async fn token(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut note = JournalNote::default();
    let result = match read_params(&headers, body).await {
        Ok(params) => {
            note.grant_type = params.get("grant_type").map(str::to_owned);
            note.client_id = params.get("client_id").map(str::to_owned);
            let (engine, request_headers) = (idp.clone(), headers.clone());
            let flow = move || exchange(&engine, &request_headers, &params);
            let (result, console) = run_flows(&idp, flow).await.unwrap_or_else(|| {
                let busy = OAuthError::TemporarilyUnavailable("The server is shutting down".into());
                (Err(busy), Vec::new())
            });
            note.console = console;
            result
        }
        Err(e) => Err(e),
    };
    let mut response = match result {
        Ok((issued, by)) => {
            note.tokens.push(idp.remember_token(
                TokenUse::Access,
                by.clone(),
                &issued.access_token,
            ));
            if let Some(id_token) = &issued.id_token {
                note.tokens
                    .push(idp.remember_token(TokenUse::Id, by, id_token));
            }
            let body = issued.to_json();
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(e) => e.into_response(),
    };
    response.extensions_mut().insert(note);
    response
}

/// The tokens, and who asked for them: the grant and the client it authenticated (whose id a
/// Basic header carries, not the form).
fn exchange(
    idp: &Idp,
    headers: &HeaderMap,
    params: &Params,
) -> Result<(Issued, IssuedBy), OAuthError> {
    let grant = GrantType::parse(params.require("grant_type")?)?;
    let tenant = idp.tenant();
    let client = client_auth::authenticate(idp, &tenant, &[paths::TOKEN], headers, params)?;
    if !client.allows_grant(grant.as_str()) {
        return Err(OAuthError::UnauthorizedClient(format!(
            "Grant type '{}' not allowed for the client.",
            grant.as_str()
        )));
    }
    let issued = grants::issue(idp, grant, &tenant, client, params)?;
    let by = IssuedBy::Grant {
        grant_type: grant.as_str().to_owned(),
        client_id: client.client_id.clone(),
    };
    Ok((issued, by))
}
