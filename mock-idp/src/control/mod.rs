//! The control API under `/_mock/`: the test library's powers over HTTP, for tests written in
//! any language. On by default; `--no-control-api` turns it off.

pub(crate) mod expectations;
mod explain;
pub(crate) mod faults;
pub(crate) mod guard;
mod inspector;
mod issuer;
pub(crate) mod journal;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::backchannel;
use crate::control::faults::Fault;
use crate::engine::{AppState, SharedIdp};
use crate::error::OAuthError;
use crate::http::token::MAX_BODY;
use crate::issuance::builder::{Signing, TokenBuilder, TokenKind};
use crate::issuance::jws::Claims;
use crate::tenant::User;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(inspector::page))
        .route("/inspector.js", get(inspector::script))
        .route("/inspector.css", get(inspector::style))
        .route("/tokens", get(inspector::tokens).post(mint))
        .route(
            "/explain",
            post(explain::explain).layer(DefaultBodyLimit::max(MAX_BODY)),
        )
        .route("/keys/rotate", post(rotate))
        .route("/keys/retire", post(retire))
        .route("/clock", get(clock).post(move_clock))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/requests", get(requests).delete(clear_requests))
        .route("/users", get(users))
        .route("/users/{email}", put(put_user).delete(delete_user))
        .route("/login", post(next_login))
        .route("/sessions", get(sessions).delete(end_sessions))
        .route("/sessions/{sid}", delete(inspector::end_session))
        .route("/backchannel-logouts", get(backchannel_logouts))
        .route("/device", get(device_authorizations))
        .route("/device/{user_code}", post(decide_device))
        .route("/outbox", get(outbox).delete(clear_outbox))
        .route("/reset", post(reset))
        .route("/issuer", get(issuer::current).post(issuer::set))
}

/// `/_mock/`, the inspector page: outside [`router`], whose nest under `/_mock` matches the
/// path without the slash only. Give it the same guard.
pub(crate) fn inspector_page() -> Router<AppState> {
    Router::new().route("/_mock/", get(inspector::page))
}

/// Turns a JSON extractor rejection into an OAuth-style 400 (not axum's plain-text 422).
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, OAuthError> {
    payload
        .map(|Json(v)| v)
        .map_err(|e| OAuthError::InvalidRequest(e.body_text()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MintRequest {
    #[serde(default)]
    kind: TokenKind,
    #[serde(default)]
    claims: Claims,
    #[serde(default)]
    header: Claims,
    #[serde(default)]
    signing: Signing,
}

async fn mint(
    State(idp): State<SharedIdp>,
    payload: Result<Json<MintRequest>, JsonRejection>,
) -> Result<Json<Value>, OAuthError> {
    let request = body(payload)?;
    let token = TokenBuilder::from_parts(
        idp,
        request.kind,
        request.header,
        request.claims,
        request.signing,
    )
    .sign();
    Ok(Json(json!({ "token": token })))
}

async fn rotate(State(idp): State<SharedIdp>) -> Result<Json<Value>, OAuthError> {
    let kid = idp
        .rotate_keys()
        .map_err(|e| OAuthError::Internal(e.to_string()))?;
    Ok(Json(json!({ "kid": kid, "jwks": idp.jwks() })))
}

async fn retire(State(idp): State<SharedIdp>) -> Result<Json<Value>, OAuthError> {
    let retired = idp
        .retire_keys()
        .map_err(|e| OAuthError::Internal(e.to_string()))?;
    Ok(Json(json!({ "retired": retired, "jwks": idp.jwks() })))
}

async fn clock(State(idp): State<SharedIdp>) -> Json<Value> {
    Json(json!({ "now": idp.clock.now(), "frozen": idp.clock.is_frozen() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    advance_secs: Option<i64>,
    set: Option<i64>,
}

async fn move_clock(
    State(idp): State<SharedIdp>,
    payload: Result<Json<ClockChange>, JsonRejection>,
) -> Result<Json<Value>, OAuthError> {
    match body(payload)? {
        ClockChange {
            advance_secs: Some(secs),
            set: None,
        } => idp.clock.advance_secs(secs),
        ClockChange {
            advance_secs: None,
            set: Some(at),
        } => idp.clock.set(at),
        _ => {
            return Err(OAuthError::InvalidRequest(
                "Give exactly one of advance_secs or set".into(),
            ));
        }
    }
    Ok(clock(State(idp)).await)
}

async fn list_faults(State(idp): State<SharedIdp>) -> Json<Value> {
    Json(json!({ "faults": idp.faults.list() }))
}

async fn add_fault(
    State(idp): State<SharedIdp>,
    payload: Result<Json<Fault>, JsonRejection>,
) -> Result<Response, OAuthError> {
    let fault = body(payload)?;
    if fault.status.is_some_and(|s| !(100..=599).contains(&s)) {
        return Err(OAuthError::InvalidRequest(
            "status must be between 100 and 599".into(),
        ));
    }
    if fault.times == Some(0) {
        return Err(OAuthError::InvalidRequest(
            "times must be at least 1".into(),
        ));
    }
    idp.faults.install(fault.clone());
    Ok((StatusCode::CREATED, Json(json!({ "fault": fault }))).into_response())
}

async fn clear_faults(State(idp): State<SharedIdp>) -> StatusCode {
    idp.faults.clear();
    StatusCode::NO_CONTENT
}

async fn requests(State(idp): State<SharedIdp>) -> Json<Value> {
    Json(json!({ "requests": idp.journal.entries() }))
}

async fn clear_requests(State(idp): State<SharedIdp>) -> StatusCode {
    idp.journal.clear();
    StatusCode::NO_CONTENT
}

async fn users(State(idp): State<SharedIdp>) -> Json<Value> {
    let tenant = idp.tenant();
    let users: Vec<Value> = tenant
        .users
        .iter()
        .map(|u| json!({ "user_id": u.sub(), "email": u.email, "name": u.display_name(), "blocked": u.blocked }))
        .collect();
    Json(json!({ "users": users }))
}

async fn put_user(
    State(idp): State<SharedIdp>,
    Path(email): Path<String>,
    payload: Result<Json<Value>, JsonRejection>,
) -> Result<Response, OAuthError> {
    let mut fields = body(payload)?;
    let Some(object) = fields.as_object_mut() else {
        return Err(OAuthError::InvalidRequest(
            "The body must be a JSON object".into(),
        ));
    };
    match object.get("email").and_then(Value::as_str) {
        Some(given) if !given.eq_ignore_ascii_case(&email) => {
            return Err(OAuthError::InvalidRequest(
                "The email in the body differs from the one in the path".into(),
            ));
        }
        _ => {
            object.insert("email".into(), email.clone().into());
        }
    }
    let user: User = serde_json::from_value(fields)
        .map_err(|e| OAuthError::InvalidRequest(format!("Invalid user: {e}")))?;
    let created = idp.update_tenant(|tenant| {
        let exists = tenant.user_by_login(&email).is_some();
        tenant.upsert_user(user.clone());
        !exists
    });
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "user_id": user.sub(), "email": user.email })),
    )
        .into_response())
}

async fn delete_user(
    State(idp): State<SharedIdp>,
    Path(email): Path<String>,
) -> Result<StatusCode, OAuthError> {
    let removed = idp.update_tenant(|tenant| {
        let before = tenant.users.len();
        tenant
            .users
            .retain(|u| !u.email.eq_ignore_ascii_case(&email));
        before != tenant.users.len()
    });
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(OAuthError::NotFound(format!("No user {email}")))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NextLogin {
    email: String,
}

/// The next interactive `/authorize` that would show the login form logs this user in instead.
async fn next_login(
    State(idp): State<SharedIdp>,
    payload: Result<Json<NextLogin>, JsonRejection>,
) -> Result<StatusCode, OAuthError> {
    let NextLogin { email } = body(payload)?;
    if idp.tenant().user_by_login(&email).is_none() {
        return Err(OAuthError::NotFound(format!("No user {email}")));
    }
    idp.sessions.set_next_login(Some(email));
    Ok(StatusCode::NO_CONTENT)
}

async fn sessions(State(idp): State<SharedIdp>) -> Json<Value> {
    Json(json!({ "sessions": idp.sessions.list(idp.clock.now()) }))
}

async fn end_sessions(State(idp): State<SharedIdp>) -> StatusCode {
    backchannel::end_all_sessions(&idp);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BackchannelLogoutsQuery {
    #[serde(default)]
    wait: bool,
}

/// `GET /_mock/backchannel-logouts[?wait=true]`: the back-channel logouts sent, in the order
/// they finished. With `wait=true`, once those in flight have finished too (at most the
/// delivery timeout): after a logout has answered, the list is then exactly what it sent, and
/// a test need not sleep.
async fn backchannel_logouts(
    State(idp): State<SharedIdp>,
    query: Result<Query<BackchannelLogoutsQuery>, QueryRejection>,
) -> Result<Json<Value>, OAuthError> {
    let Query(query) = query.map_err(|e| OAuthError::InvalidRequest(e.body_text()))?;
    let logouts = if query.wait {
        idp.backchannel_logouts.settled().await
    } else {
        idp.backchannel_logouts.list()
    };
    Ok(Json(json!({ "backchannel_logouts": logouts })))
}

/// `GET /_mock/device`: the device authorizations not yet expired, oldest first, so a test
/// can find the user code a CLI under test printed.
async fn device_authorizations(State(idp): State<SharedIdp>) -> Json<Value> {
    let all: Vec<_> = idp
        .device
        .live(idp.clock.now())
        .iter()
        .map(|d| d.public())
        .collect();
    Json(json!({ "device_authorizations": all }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceDecision {
    /// The email (or `sub`) of the user who approves.
    approve: Option<String>,
    #[serde(default)]
    deny: bool,
}

/// `POST /_mock/device/{user_code}` with `{"approve": "alice@example.com"}` or
/// `{"deny": true}`: decides as a user at `/activate` would, without a browser.
async fn decide_device(
    State(idp): State<SharedIdp>,
    Path(user_code): Path<String>,
    payload: Result<Json<DeviceDecision>, JsonRejection>,
) -> Result<StatusCode, OAuthError> {
    let decision = body(payload)?;
    let approver = match (decision.approve, decision.deny) {
        (Some(login), false) => Some(login),
        (None, true) => None,
        _ => {
            return Err(OAuthError::InvalidRequest(
                "Send {\"approve\": \"<email>\"} or {\"deny\": true}".into(),
            ));
        }
    };
    idp.decide_device(&user_code, approver.as_deref())?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxQuery {
    to: Option<String>,
}

/// `GET /_mock/outbox[?to=<email or phone>]`: the emails and SMS the tenant sent, newest last.
async fn outbox(
    State(idp): State<SharedIdp>,
    query: Result<Query<OutboxQuery>, QueryRejection>,
) -> Result<Json<Value>, OAuthError> {
    let Query(query) = query.map_err(|e| OAuthError::InvalidRequest(e.body_text()))?;
    let messages: Vec<_> = idp
        .outbox
        .list()
        .into_iter()
        .filter(|m| {
            query
                .to
                .as_deref()
                .is_none_or(|to| m.to.eq_ignore_ascii_case(to))
        })
        .collect();
    Ok(Json(json!({ "messages": messages })))
}

async fn clear_outbox(State(idp): State<SharedIdp>) -> StatusCode {
    idp.outbox.clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(idp): State<SharedIdp>) -> StatusCode {
    idp.reset();
    StatusCode::NO_CONTENT
}
