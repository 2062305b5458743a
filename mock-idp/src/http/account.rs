//! The pages an emailed link opens (from the outbox): `GET /u/email-verification?ticket=`
//! marks the email verified; `GET`/`POST /u/reset-password` shows and takes a new password.
//!
//! The ticket in the link is the secret: single use, expiring on the mock clock
//! ([`crate::store::tickets`]). Showing the reset form does not spend it; setting a password
//! that the policy accepts does, and a refused one leaves it usable.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::clock::iso8601;
use crate::engine::{Idp, SharedIdp};
use crate::http::dbconnections::check_password;
use crate::http::html::{self, escape};
use crate::http::paths;
use crate::store::tickets::{Purpose, Refusal};

fn refused(refusal: &Refusal) -> Response {
    let why = match refusal {
        Refusal::Unknown => "This link is not valid, or it was used already.",
        Refusal::Expired => "This link has expired.",
    };
    let body = format!(
        "<h1>Something went wrong</h1><p class=\"error\" id=\"error-description\">{}</p>",
        escape(why)
    );
    html::interactive(StatusCode::BAD_REQUEST, html::page("Link expired", &body))
}

fn done(title: &str, text: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p id=\"result\">{}</p>",
        escape(title),
        escape(text)
    );
    html::interactive(StatusCode::OK, html::page(title, &body))
}

/// `GET /u/email-verification?ticket=...`
pub(crate) async fn verify_email(
    State(idp): State<SharedIdp>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let ticket = query.get("ticket").map(String::as_str).unwrap_or_default();
    let sub = match idp
        .tickets
        .redeem(ticket, Purpose::VerifyEmail, idp.clock.now())
    {
        Ok(sub) => sub,
        Err(refusal) => return refused(&refusal),
    };
    let now = iso8601(idp.clock.now());
    let found = idp.update_tenant(|tenant| {
        tenant.users.iter_mut().find(|u| u.has_sub(&sub)).map(|u| {
            u.email_verified = true;
            u.updated_at = Some(now);
        })
    });
    match found {
        Some(()) => done(
            "Email verified",
            "Your email address was verified. You can close this page.",
        ),
        None => refused(&Refusal::Unknown),
    }
}

/// `GET /u/reset-password?ticket=...`: the form.
pub(crate) async fn reset_page(
    State(idp): State<SharedIdp>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let ticket = query.get("ticket").cloned().unwrap_or_default();
    match idp
        .tickets
        .peek(&ticket, Purpose::ResetPassword, idp.clock.now())
    {
        Ok(sub) => render_reset(&idp, &ticket, &sub, None),
        Err(refusal) => refused(&refusal),
    }
}

fn render_reset(idp: &Idp, ticket: &str, sub: &str, error: Option<&str>) -> Response {
    let tenant = idp.tenant();
    let email = tenant
        .user_by_sub(sub)
        .map(|u| u.email.clone())
        .unwrap_or_default();
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
    let body = format!(
        "<h1>Change your password</h1><p class=\"muted\">for {email}</p>{error}\
<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"ticket\" value=\"{ticket}\">\
<label for=\"password\">New password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required autofocus>\
<label for=\"confirm\">Confirm new password</label><input id=\"confirm\" name=\"confirm\" type=\"password\" autocomplete=\"new-password\" required>\
<button type=\"submit\">Reset password</button></form>",
        email = escape(&email),
        action = paths::RESET_PASSWORD,
        ticket = escape(ticket),
    );
    html::interactive(status, html::page("Change your password", &body))
}

/// `POST /u/reset-password` (`ticket`, `password`, `confirm`).
pub(crate) async fn reset_submit(State(idp): State<SharedIdp>, body: Bytes) -> Response {
    let fields: BTreeMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let ticket = field("ticket");
    let now = idp.clock.now();
    let sub = match idp.tickets.peek(ticket, Purpose::ResetPassword, now) {
        Ok(sub) => sub,
        Err(refusal) => return refused(&refusal),
    };
    let password = field("password");
    if password != field("confirm") {
        return render_reset(&idp, ticket, &sub, Some("The passwords do not match."));
    }
    if let Err(weak) = check_password(&idp.tenant(), password) {
        return render_reset(&idp, ticket, &sub, Some(&weak.message()));
    }
    if let Err(refusal) = idp.tickets.redeem(ticket, Purpose::ResetPassword, now) {
        return refused(&refusal);
    }
    let updated_at = iso8601(now);
    let found = idp.update_tenant(|tenant| {
        tenant.users.iter_mut().find(|u| u.has_sub(&sub)).map(|u| {
            u.password = password.to_owned();
            u.updated_at = Some(updated_at);
        })
    });
    match found {
        Some(()) => done(
            "Password changed",
            "Your password was changed. You can now log in with the new one.",
        ),
        None => refused(&Refusal::Unknown),
    }
}
