//! The login page (`/u/login`) and the consent page (`/u/consent`), at the issuer's origin as
//! on Auth0's Universal Login.
//!
//! Plain HTML forms, so a person, Playwright or a cookie-jar HTTP client can all use them:
//! inputs `username` and `password`, plus one button per tenant user that logs that user in
//! without typing (a mock convenience; the user list is public in the banner anyway). Every
//! POST carries the CSRF token of its transaction; a missing or foreign token is 403 and
//! starts no session. Success is a 303 to `/authorize/resume`, never a 307, which would
//! re-post the password to the application (RFC 9700 4.12).

use std::collections::BTreeMap;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::engine::{Idp, SharedIdp};
use crate::http::authorize::{RESUME, expired_transaction};
use crate::http::html::{self, PageError, escape};
use crate::http::session_cookie;
use crate::store::transactions::Transaction;
use crate::tenant::WRONG_CREDENTIALS;

pub(crate) fn form(body: &Bytes) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

pub(crate) fn transaction(
    idp: &Idp,
    id: Option<&String>,
) -> Result<(String, Transaction), PageError> {
    let id = id.cloned().unwrap_or_default();
    let txn = idp
        .transactions
        .get(&id, idp.clock.now())
        .ok_or_else(expired_transaction)?;
    Ok((id, txn))
}

/// The transaction a login or consent form was posted for, once its CSRF token checks out.
pub(crate) fn posted_transaction(
    idp: &Idp,
    fields: &BTreeMap<String, String>,
) -> Result<(String, Transaction), PageError> {
    let (id, txn) = transaction(idp, fields.get("state"))?;
    check_csrf(&txn, fields)?;
    Ok((id, txn))
}

/// CSRF: the token must be this transaction's, compared in constant time.
fn check_csrf(txn: &Transaction, fields: &BTreeMap<String, String>) -> Result<(), PageError> {
    let given = fields.get("csrf").map(String::as_str).unwrap_or_default();
    verify_slices_are_equal(given.as_bytes(), txn.csrf.as_bytes()).map_err(|_| PageError::Forbidden)
}

pub(crate) fn see_other_resume(id: &str) -> Response {
    let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let mut response = Redirect::to(&format!("{RESUME}?state={id}")).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) async fn login_page(
    State(idp): State<SharedIdp>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    match transaction(&idp, query.get("state")) {
        Ok((id, txn)) => {
            let prefill = txn.request.login_hint.clone().unwrap_or_default();
            render_login(&idp, &id, &txn, &prefill, None)
        }
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn login_submit(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let (id, txn) = match posted_transaction(&idp, &fields) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let tenant = idp.tenant();
    let user = match fields.get("login_as").filter(|v| !v.is_empty()) {
        Some(login_as) => tenant.user_by_login(login_as),
        None => {
            let username = fields
                .get("username")
                .map(String::as_str)
                .unwrap_or_default();
            let password = fields
                .get("password")
                .map(String::as_str)
                .unwrap_or_default();
            tenant.user_with_password(username, password)
        }
    };
    let typed = fields.get("username").cloned().unwrap_or_default();
    let Some(user) = user else {
        return render_login(&idp, &id, &txn, &typed, Some(WRONG_CREDENTIALS));
    };
    if user.blocked {
        return render_login(&idp, &id, &txn, &typed, Some("user is blocked"));
    }
    let previous = session_cookie::value(&headers);
    let (cookie, _) = idp.log_in(&user.sub(), previous.as_deref());
    idp.transactions
        .update(&id, |t| t.session = Some(cookie.clone()));
    let mut response = see_other_resume(&id);
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie::set(&idp, &cookie));
    response
}

fn render_login(
    idp: &Idp,
    id: &str,
    txn: &Transaction,
    username: &str,
    error: Option<&str>,
) -> Response {
    let tenant = idp.tenant();
    let client_name = tenant
        .client(&txn.request.client_id)
        .map(|c| c.name.clone().unwrap_or_else(|| c.client_id.clone()))
        .unwrap_or_default();
    let heading = "Log in";
    let state: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let error = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>",
                escape(e)
            )
        })
        .unwrap_or_default();
    let hidden = format!(
        "<input type=\"hidden\" name=\"state\" value=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(id),
        escape(&txn.csrf)
    );
    let users = html::user_buttons(&tenant);
    // The main submit button comes first: it is the form's default button for Enter.
    let body = format!(
        "<h1>{heading}</h1><p class=\"muted\">to continue to {client}. This is mock-idp, a test identity provider.</p>{error}\
<form method=\"post\" action=\"/u/login\">{hidden}\
<label for=\"username\">Email</label><input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" value=\"{username}\" required autofocus>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
<button type=\"submit\" name=\"action\" value=\"login\">Continue</button>\
<h2 class=\"muted\">Or pick a user</h2><div class=\"users\">{users}</div></form>\
<p class=\"muted\">No account? <a id=\"signup-link\" href=\"{signup}?state={state}\">Sign up</a></p>",
        client = escape(&client_name),
        username = escape(username),
        signup = crate::http::paths::SIGNUP_PAGE,
    );
    html::interactive(StatusCode::OK, html::page(heading, &body))
}

pub(crate) async fn consent_page(
    State(idp): State<SharedIdp>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let (id, txn) = match transaction(&idp, query.get("state")) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let tenant = idp.tenant();
    let client_name = tenant
        .client(&txn.request.client_id)
        .map(|c| c.name.clone().unwrap_or_else(|| c.client_id.clone()))
        .unwrap_or_default();
    let scopes: String = txn
        .request
        .scope
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    let audience = txn
        .request
        .audience
        .as_deref()
        .map(|a| format!("<p class=\"muted\">API: {}</p>", escape(a)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Authorize {client}</h1><p>{client} is asking for access to your account:</p><ul id=\"scopes\">{scopes}</ul>{audience}\
<form method=\"post\" action=\"/u/consent\"><input type=\"hidden\" name=\"state\" value=\"{id}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<button type=\"submit\" name=\"decision\" value=\"accept\">Accept</button> <button type=\"submit\" name=\"decision\" value=\"deny\">Decline</button></form>",
        client = escape(&client_name),
        id = escape(&id),
        csrf = escape(&txn.csrf),
    );
    html::interactive(StatusCode::OK, html::page("Authorize", &body))
}

pub(crate) async fn consent_submit(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let (id, txn) = match posted_transaction(&idp, &fields) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    // Consent is given by the session the transaction was created for, nobody else.
    let cookie = session_cookie::value(&headers);
    let info = cookie
        .as_deref()
        .filter(|c| Some(*c) == txn.session.as_deref())
        .and_then(|c| idp.sessions.get(c, idp.clock.now()));
    let Some(info) = info else {
        return PageError::Forbidden.into_response();
    };
    if fields.get("decision").map(String::as_str) == Some("accept") {
        idp.sessions.consent(&info.sub, &txn.request.client_id);
        idp.transactions.update(&id, |t| t.consent_given = true);
    } else {
        idp.transactions.update(&id, |t| t.denied = true);
    }
    see_other_resume(&id)
}
