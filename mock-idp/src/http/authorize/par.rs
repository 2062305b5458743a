//! Pushed authorization requests (RFC 9126): `POST /oauth/par` takes what `/authorize` would,
//! from an authenticated client, checks it exactly as `/authorize` would, and keeps it
//! behind a `request_uri`; `/authorize?client_id&request_uri` then continues from it.
//!
//! Errors at `/oauth/par` are JSON (400, or 401 `invalid_client`): there is no browser to
//! redirect yet. At `/authorize`, an unknown, used, expired or another client's `request_uri`
//! is an `invalid_request_uri` page, never a redirect: the only `redirect_uri` there is would
//! come from the query, which PAR exists not to trust.
//!
//! Public clients may push with their `client_id` alone: RFC 9126 2.1 applies the token
//! endpoint's client authentication rules, under which a public client identifies itself
//! without a secret, and Auth0's PAR reference asks for a secret from confidential clients
//! only. PKCE stays mandatory for them, as at `/authorize`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::reply::AuthorizeError;
use super::request::{RawParams, validate};
use crate::control::journal::JournalNote;
use crate::engine::{Idp, SharedIdp};
use crate::error::OAuthError;
use crate::grants::client_auth;
use crate::grants::params::Params;
use crate::http::html::PageError;
use crate::http::paths;
use crate::http::token::read_body;
use crate::store::pushed::Refusal;
use crate::store::transactions::AuthorizationRequest;

pub(crate) async fn par(State(idp): State<SharedIdp>, headers: HeaderMap, body: Body) -> Response {
    let mut note = JournalNote::default();
    let mut response = match push(&idp, &headers, body, &mut note).await {
        Ok((request_uri, expires_in)) => {
            let body = json!({ "request_uri": request_uri, "expires_in": expires_in });
            let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => e.into_response(),
    };
    response.extensions_mut().insert(note);
    response
}

/// Authenticates the client, validates its request as `/authorize` would, and keeps it.
/// Nothing is kept unless every check passed.
async fn push(
    idp: &Idp,
    headers: &HeaderMap,
    body: Body,
    note: &mut JournalNote,
) -> Result<(String, u64), OAuthError> {
    let (media_type, bytes) = read_body(headers, body).await?;
    if media_type != "application/x-www-form-urlencoded" {
        return Err(OAuthError::InvalidRequest(
            "Pushed authorization requests are application/x-www-form-urlencoded (RFC 9126 2.1)"
                .into(),
        ));
    }
    let params = Params::parse(&media_type, &bytes)?;
    note.client_id = params.get("client_id").map(str::to_owned);
    let tenant = idp.tenant();
    let client =
        client_auth::authenticate(idp, &tenant, &[paths::PAR, paths::TOKEN], headers, &params)?;
    note.client_id = Some(client.client_id.clone());
    if params.get("request_uri").is_some() {
        return Err(OAuthError::InvalidRequest(
            "request_uri cannot be pushed: it is what this endpoint returns (RFC 9126 2.1)".into(),
        ));
    }
    let mut raw = RawParams::parse(&bytes);
    raw.default_client_id(&client.client_id);
    let request = validate(idp, &raw).map_err(|e| match e {
        AuthorizeError::Page(PageError::BadRequest { error, description })
        | AuthorizeError::Client {
            error, description, ..
        } => OAuthError::Authorization(error, description),
        AuthorizeError::Page(PageError::Forbidden) => {
            OAuthError::InvalidRequest("Invalid authorization request".into())
        }
    })?;
    let ttl = tenant.tokens.request_uri;
    let request_uri = idp.pushed.push(
        &idp.ids,
        idp.clock.now(),
        i64::try_from(ttl).unwrap_or(i64::MAX / 4),
        request,
    );
    Ok((request_uri, ttl))
}

/// The request pushed as `request_uri` by `client_id`, taken (it is single use). The other
/// query parameters are ignored (RFC 9126 4): the pushed ones are the request.
pub(super) fn pushed_request(
    idp: &Idp,
    params: &RawParams,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let page = |error: &'static str, d: &str| PageError::bad_request(error, d.to_owned());
    let repeated = |e: String| PageError::bad_request("invalid_request", e);
    let client_id = params
        .once("client_id")
        .map_err(repeated)?
        .ok_or_else(|| page("invalid_request", "Missing required parameter: client_id"))?;
    let uri = params
        .once("request_uri")
        .map_err(repeated)?
        .unwrap_or_default();
    idp.pushed
        .take(uri, client_id, idp.clock.now())
        .map_err(|refusal| {
            let why = match refusal {
                Refusal::Unknown => {
                    "The request_uri is unknown or was already used: push the authorization request to /oauth/par again"
                }
                Refusal::Expired => {
                    "The request_uri has expired: push the authorization request to /oauth/par again"
                }
                Refusal::OtherClient => "The request_uri was pushed by another client",
            };
            page("invalid_request_uri", why).into()
        })
}
