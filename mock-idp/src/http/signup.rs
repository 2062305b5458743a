//! The sign-up page (`/u/signup`), where `/authorize?screen_hint=signup` sends the browser: a
//! plain form (`email`, `password`) on the login page's transaction and CSRF token. It creates
//! the user as `POST /dbconnections/signup` does (the same checks, the same verification
//! email), logs them in, and continues the authorization request as the login form does.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::engine::{Idp, SharedIdp};
use crate::http::dbconnections::{SignUp, client_name, sign_up};
use crate::http::html::{self, escape};
use crate::http::login::{form, posted_transaction, see_other_resume, transaction};
use crate::http::{journal_console, paths, run_flows, session_cookie};
use crate::store::transactions::Transaction;
use crate::tenant::DEFAULT_CONNECTION;

pub(crate) async fn signup_page(
    State(idp): State<SharedIdp>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    match transaction(&idp, query.get("state")) {
        Ok((id, txn)) => {
            let prefill = txn.request.login_hint.clone().unwrap_or_default();
            render(&idp, &id, &txn, &prefill, None)
        }
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn signup_submit(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = form(&body);
    let (id, txn) = match posted_transaction(&idp, &fields) {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let field = |name: &str| fields.get(name).cloned().filter(|v| !v.is_empty());
    let email = field("email").unwrap_or_default();
    let request = SignUp {
        client_id: Some(txn.request.client_id.clone()),
        email: Some(email.clone()),
        password: field("password"),
        connection: Some(DEFAULT_CONNECTION.to_owned()),
        ..SignUp::default()
    };
    let engine = idp.clone();
    let Some((created, console)) = run_flows(&idp, move || sign_up(&engine, request)).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let user = match created {
        Ok(user) => user,
        Err(e) => {
            let mut page = render(&idp, &id, &txn, &email, Some(&e.message()));
            journal_console(&mut page, console);
            return page;
        }
    };
    let previous = session_cookie::value(&headers);
    let (cookie, _) = idp.log_in(&user.sub(), previous.as_deref());
    idp.transactions
        .update(&id, |t| t.session = Some(cookie.clone()));
    let mut response = see_other_resume(&id);
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie::set(&idp, &cookie));
    journal_console(&mut response, console);
    response
}

fn render(idp: &Idp, id: &str, txn: &Transaction, email: &str, error: Option<&str>) -> Response {
    let client = client_name(&idp.tenant(), &txn.request.client_id);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let error = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>",
                escape(e).replace('\n', "<br>")
            )
        })
        .unwrap_or_default();
    let state: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let body = format!(
        "<h1>Sign up</h1><p class=\"muted\">to continue to {client}. This is mock-idp, a test identity provider.</p>{error}\
<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"state\" value=\"{id}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" value=\"{email}\" required autofocus>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required>\
<button type=\"submit\" name=\"action\" value=\"signup\">Continue</button></form>\
<p class=\"muted\">Already have an account? <a id=\"login-link\" href=\"{login}?state={state}\">Log in</a></p>",
        client = escape(&client),
        action = paths::SIGNUP_PAGE,
        id = escape(id),
        csrf = escape(&txn.csrf),
        email = escape(email),
        login = paths::LOGIN,
    );
    html::interactive(status, html::page("Sign up", &body))
}
