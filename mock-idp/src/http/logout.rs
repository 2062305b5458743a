//! `GET /v2/logout` (Auth0's, what the SDKs call) and `GET /oidc/logout` (OIDC RP-initiated
//! logout).
//!
//! Both end the session (server side and cookie; its clients get their back-channel logouts,
//! which the answer does not wait for) and redirect only to an allowed logout URL:
//! the client's list when the client is known, every client's list otherwise, plus any
//! loopback URL when the tenant allows it. A URL that is not allowed is a 400 page and changes
//! nothing: an open redirect on the IdP's origin is a phishing tool. Logging out without a
//! session is fine.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::backchannel;
use crate::engine::{Idp, SharedIdp};
use crate::http::html::{self, PageError};
use crate::http::session_cookie;
use crate::tenant::TenantConfig;

/// A query parameter, with an empty value read as absent.
fn param<'q>(query: &'q BTreeMap<String, String>, name: &str) -> Option<&'q str> {
    query
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

pub(crate) async fn v2_logout(
    State(idp): State<SharedIdp>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let get = |name: &str| param(&query, name);
    // `federated` (bare, no value) would also end the upstream IdP's session; there is none.
    match destination(&idp, get("client_id"), get("returnTo"), None) {
        Ok(target) => finish(&idp, &headers, target),
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn oidc_logout(
    State(idp): State<SharedIdp>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let get = |name: &str| param(&query, name);
    let result = (|| {
        let hinted = match get("id_token_hint") {
            Some(hint) => Some(client_of_hint(&idp, hint)?),
            None => None,
        };
        let client_id = match (get("client_id"), hinted.as_deref()) {
            (Some(given), Some(hinted)) if given != hinted => {
                return Err(PageError::bad_request(
                    "invalid_request",
                    "client_id does not match the audience of id_token_hint",
                ));
            }
            (Some(given), _) => Some(given.to_owned()),
            (None, hinted) => hinted.map(str::to_owned),
        };
        destination(
            &idp,
            client_id.as_deref(),
            get("post_logout_redirect_uri"),
            get("state"),
        )
    })();
    match result {
        Ok(target) => finish(&idp, &headers, target),
        Err(e) => e.into_response(),
    }
}

/// The client an ID token was issued to; the token must be one this mock signed.
fn client_of_hint(idp: &Idp, hint: &str) -> Result<String, PageError> {
    let bad = || PageError::bad_request("invalid_request", "Invalid id_token_hint");
    let claims = idp.verify_own(hint).ok().ok_or_else(bad)?;
    match claims.get("aud") {
        Some(Value::String(aud)) => Ok(aud.clone()),
        Some(Value::Array(auds)) => auds
            .first()
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// Where to send the browser: `Some(url)`, or `None` for the mock's own "logged out" page.
fn destination(
    idp: &Idp,
    client_id: Option<&str>,
    return_to: Option<&str>,
    state: Option<&str>,
) -> Result<Option<String>, PageError> {
    let tenant = idp.tenant();
    let client = match client_id {
        Some(id) => Some(tenant.client(id).ok_or_else(|| {
            PageError::bad_request("invalid_request", format!("Unknown client: {id}"))
        })?),
        None => None,
    };
    let target = match (return_to, client) {
        (Some(url), Some(client)) if tenant.url_allowed(&client.allowed_logout_urls, url) => {
            url.to_owned()
        }
        (Some(url), None) if allowed_for_any_client(&tenant, url) => url.to_owned(),
        (Some(url), _) => {
            return Err(PageError::bad_request(
                "invalid_request",
                format!(
                    "The returnTo URL is not in the Allowed Logout URLs{}: {url}",
                    client_id
                        .map(|id| format!(" of client {id}"))
                        .unwrap_or_default()
                ),
            ));
        }
        (None, Some(client)) => match client.allowed_logout_urls.first() {
            Some(url) => url.clone(),
            None => return Ok(None),
        },
        (None, None) => return Ok(None),
    };
    let Some(state) = state else {
        // Exactly the allowed URL, not a normalised one (no added trailing slash).
        return Ok(Some(target));
    };
    let mut url = url::Url::parse(&target).map_err(|_| {
        PageError::bad_request("invalid_request", format!("Invalid logout URL: {target}"))
    })?;
    url.query_pairs_mut().append_pair("state", state);
    Ok(Some(url.into()))
}

fn allowed_for_any_client(tenant: &TenantConfig, url: &str) -> bool {
    tenant
        .clients
        .iter()
        .any(|c| tenant.url_allowed(&c.allowed_logout_urls, url))
        || tenant.url_allowed(&[], url)
}

fn finish(idp: &SharedIdp, headers: &HeaderMap, target: Option<String>) -> Response {
    if let Some(cookie) = session_cookie::value(headers) {
        backchannel::end_session_of_cookie(idp, &cookie);
    }
    let mut response = match target {
        Some(url) => {
            let mut response = StatusCode::FOUND.into_response();
            if let Ok(location) = HeaderValue::from_str(&url) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        None => html::interactive(
            StatusCode::OK,
            html::page(
                "Logged out",
                "<h1 id=\"logged-out\">You are logged out</h1><p class=\"muted\">You can close this window.</p>",
            ),
        ),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.append(header::SET_COOKIE, session_cookie::clear(idp));
    response
}
