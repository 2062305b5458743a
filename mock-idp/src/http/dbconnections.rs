//! `POST /dbconnections/signup` and `POST /dbconnections/change_password`: the database
//! connection's own endpoints, which backends and node-auth0's `database` call.
//!
//! Their errors are not OAuth's: Auth0 answers `{"name", "code", "description",
//! "statusCode"}` here (node-auth0 maps `code` and `description` to its `AuthApiError`), and
//! for a weak password `PasswordStrengthError` with the rules as the description. A sign-up
//! for an existing email is Auth0's answer with user-enumeration protection on (the default):
//! `invalid_signup`, "Invalid sign up", which does not say that the user exists.
//!
//! A sign-up sends a verification email and a password change a reset email, to the outbox
//! ([`crate::store::outbox`]); their links open the pages of [`crate::http::account`].

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::clock::iso8601;
use crate::engine::{Idp, SharedIdp};
use crate::error::ErrorCode;
use crate::http::token::read_body;
use crate::http::{journal_console, run_flows};
use crate::ids::hex_digest;
use crate::registration::{Refused, SignUpSource, post_user_registration, pre_user_registration};
use crate::store::outbox::{Channel, MessageKind, OutboxMessage};
use crate::store::tickets::Purpose;
use crate::tenant::{DEFAULT_CONNECTION, TenantConfig, User};

/// How long the links in verification and reset emails work (Auth0's default, 5 days).
pub(crate) const TICKET_TTL: i64 = 5 * 86_400;

/// What `change_password` answers, whether or not the user exists.
pub(crate) const RESET_SENT: &str = "We've just sent you an email to reset your password.";

/// An error of the `/dbconnections/*` endpoints, in Auth0's shape for them.
#[derive(Debug)]
pub(crate) struct DbError {
    name: &'static str,
    code: &'static str,
    description: Value,
    /// A weak password's policy text (`PasswordStrengthError` only).
    policy: Option<String>,
}

impl DbError {
    fn bad_request(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            name: "BadRequestError",
            code,
            description: Value::String(description.into()),
            policy: None,
        }
    }

    /// A sign-up pre-user-registration refused: Auth0's `extensibility_error`, with what the
    /// Action gave the user to read.
    fn refused(refusal: &Refused) -> Self {
        Self {
            name: "ExtensibilityError",
            code: "extensibility_error",
            description: Value::String(refusal.message().to_owned()),
            policy: None,
        }
    }

    fn missing(field: &str) -> Self {
        Self::bad_request(
            "invalid_parameter",
            format!("Missing required parameter: {field}"),
        )
    }

    /// What a person should read: the description, or for a weak password the policy.
    pub(crate) fn message(&self) -> String {
        match (&self.policy, &self.description) {
            (Some(policy), _) => format!("Password is too weak. It must have:\n{policy}"),
            (None, Value::String(text)) => text.clone(),
            (None, other) => other.to_string(),
        }
    }
}

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "name": self.name,
            "code": self.code,
            "description": self.description,
            "statusCode": 400,
        });
        if let Some(policy) = self.policy {
            body["message"] = "Password is too weak".into();
            body["policy"] = policy.into();
        }
        let mut response = (StatusCode::BAD_REQUEST, Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}

/// A sign-up, from the endpoint or the sign-up page.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct SignUp {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) connection: Option<String>,
    /// Accepted and ignored: this connection does not require usernames.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_metadata: Option<Map<String, Value>>,
}

/// A form or JSON body, as `T`; a field of the wrong type is a 400.
async fn read<T: serde::de::DeserializeOwned + Default>(
    headers: &HeaderMap,
    body: Body,
) -> Result<T, DbError> {
    let (media_type, bytes) = read_body(headers, body)
        .await
        .map_err(|e| DbError::bad_request("invalid_body", e.description()))?;
    let invalid = |e: &dyn std::fmt::Display| DbError::bad_request("invalid_body", e.to_string());
    match media_type.as_str() {
        "application/json" => serde_json::from_slice(&bytes).map_err(|e| invalid(&e)),
        "application/x-www-form-urlencoded" => {
            serde_urlencoded::from_bytes(&bytes).map_err(|e| invalid(&e))
        }
        "" if bytes.is_empty() => Ok(T::default()),
        other => Err(DbError::bad_request(
            "invalid_body",
            format!("Unsupported Content-Type {other:?}: send JSON or a form"),
        )),
    }
}

fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, DbError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| DbError::missing(field))
}

fn check_client(tenant: &TenantConfig, client_id: &str) -> Result<(), DbError> {
    tenant.client(client_id).map(|_| ()).ok_or_else(|| {
        DbError::bad_request("invalid_client", format!("Unknown client: {client_id}"))
    })
}

fn check_connection(connection: &str) -> Result<(), DbError> {
    if connection == DEFAULT_CONNECTION {
        Ok(())
    } else {
        Err(DbError::bad_request(
            "invalid_connection",
            format!(
                "The connection {connection} does not exist; this tenant's database connection is {DEFAULT_CONNECTION}"
            ),
        ))
    }
}

fn check_email(email: &str) -> Result<(), DbError> {
    let well_formed = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.contains(char::is_whitespace);
    if well_formed {
        Ok(())
    } else {
        Err(DbError::bad_request(
            "invalid_parameter",
            format!("Invalid email address: {email}"),
        ))
    }
}

/// `password`, unless the tenant's policy refuses it.
pub(crate) fn check_password(tenant: &TenantConfig, password: &str) -> Result<(), DbError> {
    tenant
        .password_policy
        .check(password)
        .map_err(|weak| DbError {
            name: "PasswordStrengthError",
            code: "invalid_password",
            description: weak.rules,
            policy: Some(weak.policy),
        })
}

/// Creates the user `request` describes (every check first, so a refused sign-up changes
/// nothing) and sends the verification email.
pub(crate) fn sign_up(idp: &Idp, request: SignUp) -> Result<User, DbError> {
    let tenant = idp.tenant();
    let client_id = required(&request.client_id, "client_id")?;
    check_client(&tenant, client_id)?;
    check_connection(required(&request.connection, "connection")?)?;
    let email = required(&request.email, "email")?;
    check_email(email)?;
    let password = required(&request.password, "password")?;
    check_password(&tenant, password)?;
    // Checked again when the user is created; first, so no Action runs for a taken email.
    if tenant.user_by_login(email).is_some() {
        return Err(DbError::bad_request("invalid_signup", "Invalid sign up"));
    }
    let body = match serde_json::to_value(&request) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    let source = SignUpSource {
        client: tenant.client(client_id),
        body: &body,
    };
    let now = iso8601(idp.clock.now());
    let mut user = User {
        password: password.to_owned(),
        email_verified: false,
        name: request.name,
        nickname: request.nickname,
        given_name: request.given_name,
        family_name: request.family_name,
        picture: request.picture,
        user_metadata: request.user_metadata.unwrap_or_default(),
        created_at: Some(now.clone()),
        updated_at: Some(now),
        ..User::new(email)
    };
    pre_user_registration(idp, &tenant, &mut user, &source).map_err(|r| DbError::refused(&r))?;
    let user = idp.try_update_tenant(|tenant| {
        if tenant.user_by_login(&user.email).is_some() {
            return Err(DbError::bad_request("invalid_signup", "Invalid sign up"));
        }
        // From the mock's ids, so deterministic mode repeats; taken once the user is sure to
        // be created, so a refused sign-up spends none.
        let hex = hex_digest(&idp.ids.next("user"), 12);
        user.user_id = Some(format!("auth0|{hex}"));
        tenant.users.push(user.clone());
        Ok(user)
    })?;
    let ticket = idp.tickets.issue(
        &idp.ids,
        idp.clock.now(),
        TICKET_TTL,
        Purpose::VerifyEmail,
        &user.sub(),
    );
    let link = idp.public_url(&format!(
        "{}?ticket={}",
        crate::http::paths::EMAIL_VERIFICATION,
        encode(&ticket)
    ));
    idp.outbox.send(OutboxMessage {
        to: user.email.clone(),
        channel: Channel::Email,
        kind: MessageKind::VerifyEmail,
        subject: Some("Verify your email".into()),
        text: format!(
            "Welcome to {}! Open this link to verify your email address: {link}",
            client_name(&tenant, client_id)
        ),
        code: None,
        link: Some(link),
        sent_at: iso8601(idp.clock.now()),
    });
    post_user_registration(idp, &idp.tenant(), &user, &source);
    Ok(user)
}

pub(crate) fn client_name(tenant: &TenantConfig, client_id: &str) -> String {
    tenant
        .client(client_id)
        .map(|c| c.name.clone().unwrap_or_else(|| c.client_id.clone()))
        .unwrap_or_else(|| client_id.to_owned())
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `POST /dbconnections/signup`.
pub(crate) async fn signup(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request: SignUp = match read(&headers, body).await {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    let username = request.username.clone();
    let engine = idp.clone();
    let Some((created, console)) = run_flows(&idp, move || sign_up(&engine, request)).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let mut response = match created {
        Ok(user) => Json(signed_up(&user, username)).into_response(),
        Err(e) => e.into_response(),
    };
    journal_console(&mut response, console);
    response
}

/// What `/dbconnections/signup` answers for the user it created.
fn signed_up(user: &User, username: Option<String>) -> Value {
    let sub = user.sub();
    let mut out = json!({
        "_id": sub.strip_prefix("auth0|").unwrap_or(&sub),
        "email_verified": false,
        "email": user.email,
    });
    for (key, value) in [
        ("username", &username),
        ("given_name", &user.given_name),
        ("family_name", &user.family_name),
        ("name", &user.name),
        ("nickname", &user.nickname),
        ("picture", &user.picture),
    ] {
        if let Some(value) = value {
            out[key] = value.clone().into();
        }
    }
    if !user.user_metadata.is_empty() {
        out["user_metadata"] = Value::Object(user.user_metadata.clone());
    }
    out
}

#[derive(Debug, Default, Deserialize)]
struct ChangePassword {
    client_id: Option<String>,
    email: Option<String>,
    connection: Option<String>,
    /// Auth0 takes it for organizations; nothing to do here.
    organization: Option<String>,
}

/// `POST /dbconnections/change_password`: the same answer whether or not the user exists (so
/// it does not tell who has an account); only an existing user gets an email.
pub(crate) async fn change_password(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, DbError> {
    let request: ChangePassword = read(&headers, body).await?;
    let tenant = idp.tenant();
    let client_id = required(&request.client_id, "client_id")?;
    check_client(&tenant, client_id)?;
    check_connection(required(&request.connection, "connection")?)?;
    let email = required(&request.email, "email")?;
    let _ = request.organization;
    if let Some(user) = tenant
        .user_by_login(email)
        .filter(|u| u.sub().starts_with("auth0|"))
    {
        let ticket = idp.tickets.issue(
            &idp.ids,
            idp.clock.now(),
            TICKET_TTL,
            Purpose::ResetPassword,
            &user.sub(),
        );
        let link = idp.public_url(&format!(
            "{}?ticket={}",
            crate::http::paths::RESET_PASSWORD,
            encode(&ticket)
        ));
        idp.outbox.send(OutboxMessage {
            to: user.email.clone(),
            channel: Channel::Email,
            kind: MessageKind::ResetPassword,
            subject: Some("Reset your password".into()),
            text: format!(
                "We received a request to reset the password of your {} account. Open this link to choose a new one: {link}",
                client_name(&tenant, client_id)
            ),
            code: None,
            link: Some(link),
            sent_at: iso8601(idp.clock.now()),
        });
    }
    Ok((
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        RESET_SENT,
    )
        .into_response())
}
