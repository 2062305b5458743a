//! `/activate`, the device flow's `verification_uri`: a person enters the code their device
//! shows, logs in, and confirms (or cancels), as on Auth0's device activation pages.
//!
//! Plain HTML forms, like the login page, so a person, Playwright or a cookie-jar HTTP client
//! can use them. The steps: `GET /activate` asks for the code; `GET /activate?user_code=...`
//! shows the login form without a session and the confirmation with one; `POST /activate`
//! takes either form. The login form carries its authorization's CSRF token; the
//! confirmation carries one derived from the session cookie and the user code, so a page
//! that does not hold the session cannot approve a device in its name.

use std::collections::BTreeMap;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::engine::{Idp, SharedIdp};
use crate::http::html::{self, PageError, escape};
use crate::http::paths;
use crate::http::session_cookie;
use crate::store::device::{Approval, DecideRefusal, DeviceState, DeviceView};
use crate::store::sessions::SessionInfo;
use crate::tenant::WRONG_CREDENTIALS;

pub(crate) async fn activate_page(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(typed) = query.get("user_code").filter(|c| !c.trim().is_empty()) else {
        return render_code_form(StatusCode::OK, "", None);
    };
    let Some(device) = idp.device.by_user_code(typed, idp.clock.now()) else {
        return render_code_form(
            StatusCode::NOT_FOUND,
            typed,
            Some("Invalid or expired code. Check the code on your device and try again."),
        );
    };
    if device.state != DeviceState::Pending {
        return render_done(
            StatusCode::CONFLICT,
            "Code already used",
            "This code was already used. Start again on your device.",
        );
    }
    match session(&idp, &headers) {
        Some((cookie, info)) => render_confirm(&idp, &device, &cookie, &info),
        None => render_login(&idp, &device, "", None),
    }
}

pub(crate) async fn activate_submit(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields: BTreeMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let typed = fields.get("user_code").cloned().unwrap_or_default();
    let now = idp.clock.now();
    let Some(device) = idp.device.by_user_code(&typed, now) else {
        return render_code_form(
            StatusCode::NOT_FOUND,
            &typed,
            Some("Invalid or expired code. Check the code on your device and try again."),
        );
    };
    if fields.contains_key("decision") {
        decide(&idp, &headers, &fields, &device)
    } else {
        log_in(&idp, &headers, &fields, &device)
    }
}

/// The login form's POST: a session at the mock, then back to the confirmation.
fn log_in(
    idp: &Idp,
    headers: &HeaderMap,
    fields: &BTreeMap<String, String>,
    device: &DeviceView,
) -> Response {
    let given = fields.get("csrf").map(String::as_str).unwrap_or_default();
    if verify_slices_are_equal(given.as_bytes(), device.request.csrf.as_bytes()).is_err() {
        return PageError::Forbidden.into_response();
    }
    let tenant = idp.tenant();
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let user = match fields.get("login_as").filter(|v| !v.is_empty()) {
        Some(login_as) => tenant.user_by_login(login_as),
        None => tenant.user_with_password(field("username"), field("password")),
    };
    let Some(user) = user else {
        return render_login(idp, device, field("username"), Some(WRONG_CREDENTIALS));
    };
    if user.blocked {
        return render_login(idp, device, field("username"), Some("user is blocked"));
    }
    let previous = session_cookie::value(headers);
    let (cookie, _) = idp.log_in(&user.sub(), previous.as_deref());
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("user_code", &device.user_code)
        .finish();
    let mut response = Redirect::to(&format!("{}?{query}", paths::ACTIVATE)).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response_headers.append(header::SET_COOKIE, session_cookie::set(idp, &cookie));
    response
}

/// The confirmation's POST: the session's user approves or denies the device.
fn decide(
    idp: &Idp,
    headers: &HeaderMap,
    fields: &BTreeMap<String, String>,
    device: &DeviceView,
) -> Response {
    let Some((cookie, info)) = session(idp, headers) else {
        return PageError::Forbidden.into_response();
    };
    let given = fields.get("csrf").map(String::as_str).unwrap_or_default();
    let expected = confirm_csrf(&cookie, &device.user_code);
    if verify_slices_are_equal(given.as_bytes(), expected.as_bytes()).is_err() {
        return PageError::Forbidden.into_response();
    }
    let approve = fields.get("decision").map(String::as_str) == Some("confirm");
    let approval = approve.then(|| Approval {
        sub: info.sub.clone(),
        auth_time: info.auth_time,
        sid: Some(info.sid.clone()),
    });
    match idp
        .device
        .decide(&device.user_code, approval, idp.clock.now())
    {
        Ok(_) if approve => render_done(
            StatusCode::OK,
            "Device connected",
            "Congratulations, you're all set! Your device is now connected.",
        ),
        Ok(_) => render_done(
            StatusCode::OK,
            "Device not connected",
            "You cancelled the request. Your device was not connected.",
        ),
        Err(DecideRefusal::AlreadyDecided) => render_done(
            StatusCode::CONFLICT,
            "Code already used",
            "This code was already used. Start again on your device.",
        ),
        Err(DecideRefusal::Unknown | DecideRefusal::Expired) => render_code_form(
            StatusCode::NOT_FOUND,
            &device.user_code,
            Some("Invalid or expired code. Check the code on your device and try again."),
        ),
    }
}

/// The live session the request's cookie names, with the cookie, if its user may still log in.
fn session(idp: &Idp, headers: &HeaderMap) -> Option<(String, SessionInfo)> {
    let cookie = session_cookie::value(headers)?;
    let info = idp.sessions.get(&cookie, idp.clock.now())?;
    let tenant = idp.tenant();
    let user = tenant.user_by_sub(&info.sub)?;
    (!user.blocked).then_some((cookie, info))
}

/// Only a page that holds the session cookie can compute this; the cookie is HttpOnly.
fn confirm_csrf(cookie: &str, user_code: &str) -> String {
    let input = format!("mock-idp activate\0{cookie}\0{user_code}");
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, input.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn client_name(idp: &Idp, client_id: &str) -> String {
    idp.tenant()
        .client(client_id)
        .map(|c| c.name.clone().unwrap_or_else(|| c.client_id.clone()))
        .unwrap_or_else(|| client_id.to_owned())
}

fn error_line(error: Option<&str>) -> String {
    error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>",
                escape(e)
            )
        })
        .unwrap_or_default()
}

fn render_code_form(status: StatusCode, typed: &str, error: Option<&str>) -> Response {
    let body = format!(
        "<h1>Device activation</h1><p>Enter the code displayed on your device.</p>{error}\
<form method=\"get\" action=\"{action}\">\
<label for=\"user_code\">Code</label><input id=\"user_code\" name=\"user_code\" type=\"text\" autocomplete=\"off\" value=\"{typed}\" required autofocus>\
<button type=\"submit\">Continue</button></form>",
        error = error_line(error),
        action = paths::ACTIVATE,
        typed = escape(typed),
    );
    html::interactive(status, html::page("Device activation", &body))
}

fn render_login(idp: &Idp, device: &DeviceView, username: &str, error: Option<&str>) -> Response {
    let tenant = idp.tenant();
    let users = html::user_buttons(&tenant);
    let body = format!(
        "<h1>Log in</h1><p class=\"muted\">to connect {client} (code <code id=\"user-code\">{code}</code>). This is mock-idp, a test identity provider.</p>{error}\
<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"user_code\" value=\"{code}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label for=\"username\">Email</label><input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" value=\"{username}\" required autofocus>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
<button type=\"submit\" name=\"action\" value=\"login\">Continue</button>\
<h2 class=\"muted\">Or pick a user</h2><div class=\"users\">{users}</div></form>",
        client = escape(&client_name(idp, &device.request.client_id)),
        code = escape(&device.user_code),
        error = error_line(error),
        action = paths::ACTIVATE,
        csrf = escape(&device.request.csrf),
        username = escape(username),
    );
    html::interactive(StatusCode::OK, html::page("Log in", &body))
}

fn render_confirm(idp: &Idp, device: &DeviceView, cookie: &str, info: &SessionInfo) -> Response {
    let tenant = idp.tenant();
    let who = tenant
        .user_by_sub(&info.sub)
        .map(|u| format!("{} &lt;{}&gt;", escape(&u.display_name()), escape(&u.email)))
        .unwrap_or_else(|| escape(&info.sub));
    let scopes: String = device
        .request
        .scope
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    let audience = device
        .request
        .audience
        .as_deref()
        .map(|a| format!("<p class=\"muted\">API: {}</p>", escape(a)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Device confirmation</h1><p>Confirm this is the code displayed on {client}:</p>\
<p><strong id=\"user-code\">{code}</strong></p><p>{client} is asking for access to your account, {who}:</p><ul id=\"scopes\">{scopes}</ul>{audience}\
<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"user_code\" value=\"{code}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<button type=\"submit\" name=\"decision\" value=\"confirm\">Confirm</button> <button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></form>",
        client = escape(&client_name(idp, &device.request.client_id)),
        code = escape(&device.user_code),
        action = paths::ACTIVATE,
        csrf = escape(&confirm_csrf(cookie, &device.user_code)),
    );
    html::interactive(StatusCode::OK, html::page("Device confirmation", &body))
}

fn render_done(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p id=\"result\">{}</p><p class=\"muted\">You can close this window.</p>",
        escape(title),
        escape(message)
    );
    html::interactive(status, html::page(title, &body))
}
