//! `POST /passwordless/start` and `GET /passwordless/verify_redirect`: Auth0's passwordless
//! logins by email (a code or a magic link) and SMS (a code).
//!
//! The start authenticates the client as the token endpoint does (a confidential client sends
//! its secret), keeps a six-digit code for the recipient ([`crate::store::passwordless`]) and
//! puts the message in the outbox. The code buys tokens through the
//! `passwordless/otp` grant ([`crate::grants::passwordless_otp`]); the magic link carries it
//! with the `authParams` of the start, and opening it logs the user in and answers the client
//! as `/authorize` would. Errors are Auth0's for this endpoint (its Authentication API error
//! list): `bad.client_id`, `bad.connection`, `bad.authParams`, `bad.phone_number` (and, by
//! analogy, `bad.email` and `bad.send`), as `{"error", "error_description"}`.

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::clock::iso8601;
use crate::engine::{Idp, SharedIdp};
use crate::error::OAuthError;
use crate::grants::client_auth;
use crate::grants::params::Params;
use crate::grants::passwordless_otp::{Realm, existing_user, passwordless_user, refusal_text};
use crate::http::authorize::{AuthorizeError, authorize_identified};
use crate::http::dbconnections::client_name;
use crate::http::token::read_body;
use crate::http::{journal_console, paths, run_flows};
use crate::ids::hex_digest;
use crate::store::outbox::{Channel, MessageKind, OutboxMessage};
use crate::store::passwordless::Recipient;

/// How long a code (and its link) works: Auth0's default OTP expiry, 3 minutes.
pub(crate) const CODE_TTL: i64 = 180;

/// The start's body: its parameters, and `authParams`, which only a JSON body can carry.
async fn read_start(
    headers: &HeaderMap,
    body: Body,
) -> Result<(Params, Map<String, Value>), OAuthError> {
    let (media_type, bytes) = read_body(headers, body).await?;
    if media_type != "application/json" {
        return Ok((Params::parse(&media_type, &bytes)?, Map::new()));
    }
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(OAuthError::InvalidRequest(
            "The body must be a JSON object".into(),
        ));
    };
    let auth_params = match object.remove("authParams") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(params)) => params,
        Some(other) => {
            let kind = match other {
                Value::String(_) => "string",
                Value::Number(_) => "number",
                Value::Bool(_) => "boolean",
                _ => "array",
            };
            return Err(bad(
                "bad.authParams",
                format!("error in authParams - invalid type: {kind} (expected object)"),
            ));
        }
    };
    let rest = serde_json::to_vec(&Value::Object(object)).unwrap_or_default();
    Ok((Params::parse("application/json", &rest)?, auth_params))
}

/// Six digits, from the mock's ids (so deterministic mode repeats them).
fn six_digits(idp: &Idp) -> String {
    let n = u64::from_str_radix(&hex_digest(&idp.ids.next("otp"), 8), 16).unwrap_or_default();
    format!("{:06}", n % 1_000_000)
}

fn bad(code: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError::Authorization(code, description.into())
}

/// `POST /passwordless/start`.
pub(crate) async fn start(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = match read_start(&headers, body).await {
        Ok((params, auth_params)) => start_inner(&idp, &headers, &params, &auth_params),
        Err(e) => Err(e),
    };
    result.map_or_else(IntoResponse::into_response, |body| {
        Json(body).into_response()
    })
}

fn start_inner(
    idp: &Idp,
    headers: &HeaderMap,
    params: &Params,
    auth_params: &Map<String, Value>,
) -> Result<Value, OAuthError> {
    let tenant = idp.tenant();
    if params.get("client_id").is_none() && !headers.contains_key(axum::http::header::AUTHORIZATION)
    {
        return Err(bad("bad.client_id", "Missing required property: client_id"));
    }
    let client =
        client_auth::authenticate(idp, &tenant, &[paths::PASSWORDLESS_START], headers, params)?;
    let connection = params
        .get("connection")
        .ok_or_else(|| bad("bad.connection", "Missing required property: connection"))?;
    let realm = Realm::parse(connection)
        .ok_or_else(|| bad("bad.connection", "Connection does not exist"))?;
    let send = params.get("send").unwrap_or("link");
    let (to, channel) = match realm {
        Realm::Email => {
            let email = params
                .get("email")
                .ok_or_else(|| bad("bad.email", "Missing required property: email"))?;
            let well_formed = email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
                && !email.contains(char::is_whitespace);
            if !well_formed {
                return Err(bad(
                    "bad.email",
                    format!("error in email - email format validation failed: {email}"),
                ));
            }
            (email, Channel::Email)
        }
        Realm::Sms => {
            let phone = params.get("phone_number").ok_or_else(|| {
                bad(
                    "bad.phone_number",
                    "Missing required property: phone_number",
                )
            })?;
            let e164 = phone.strip_prefix('+').is_some_and(|digits| {
                (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
            });
            if !e164 {
                return Err(bad(
                    "bad.phone_number",
                    "String does not match pattern: ^\\+[0-9]{1,15}$",
                ));
            }
            (phone, Channel::Sms)
        }
    };
    let kind = match (send, realm) {
        ("code", _) => MessageKind::Otp,
        ("link", Realm::Email) => MessageKind::MagicLink,
        _ => {
            return Err(bad(
                "bad.send",
                format!("send must be code or link (link by email only), not {send}"),
            ));
        }
    };
    let code = six_digits(idp);
    let now = idp.clock.now();
    idp.passwordless.start(
        Recipient::new(&client.client_id, realm.as_str(), to),
        code.clone(),
        now,
        CODE_TTL,
    );
    let app = client_name(&tenant, &client.client_id);
    let link = (kind == MessageKind::MagicLink).then(|| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in auth_params {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            query.append_pair(name, &value);
        }
        query
            .append_pair("client_id", &client.client_id)
            .append_pair("connection", realm.as_str())
            .append_pair("email", to)
            .append_pair("verification_code", &code);
        idp.public_url(&format!(
            "{}?{}",
            paths::PASSWORDLESS_VERIFY,
            query.finish()
        ))
    });
    let (subject, text) = match (&link, channel) {
        (Some(link), _) => (
            Some(format!("Sign in to {app}")),
            format!(
                "Open this link to sign in to {app}: {link} (or enter the code {code}). It expires in 3 minutes."
            ),
        ),
        (None, Channel::Email) => (
            Some(format!("Your {app} verification code")),
            format!("Your verification code is: {code}. It expires in 3 minutes."),
        ),
        (None, Channel::Sms) => (None, format!("Your {app} verification code is: {code}")),
    };
    idp.outbox.send(OutboxMessage {
        to: to.to_owned(),
        channel,
        kind,
        subject,
        text,
        code: Some(code),
        link,
        sent_at: iso8601(now),
    });
    let id = hex_digest(&format!("{}|{to}", realm.as_str()), 12);
    Ok(match realm {
        Realm::Email => json!({ "_id": id, "email": to, "email_verified": false }),
        Realm::Sms => json!({ "_id": id, "phone_number": to, "phone_verified": false }),
    })
}

/// `GET /passwordless/verify_redirect?...&verification_code=...`: the magic link.
pub(crate) async fn verify_redirect(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let engine = idp.clone();
    let magic_link = move || verify_link(&engine, &headers, &query.unwrap_or_default());
    match run_flows(&idp, magic_link).await {
        Some((mut response, console)) => {
            journal_console(&mut response, console);
            response
        }
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// The magic link's login, which may run post-login Actions.
fn verify_link(idp: &Idp, headers: &HeaderMap, query: &str) -> Response {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (email, code) = (field("email"), field("verification_code"));
    let query = with_default_response_type(&fields);
    authorize_identified(idp, headers, query.as_bytes(), |pending| {
        let denied = |text: &str| AuthorizeError::client(&pending.reply, "access_denied", text);
        let realm = Realm::Email;
        if field("connection") != realm.as_str() {
            return Err(denied(realm.wrong_code()));
        }
        if existing_user(&idp.tenant(), realm, &email).is_some_and(|u| u.blocked) {
            return Err(AuthorizeError::client(
                &pending.reply,
                "unauthorized",
                "user is blocked",
            ));
        }
        let recipient = Recipient::new(&pending.client_id, realm.as_str(), &email);
        idp.passwordless
            .redeem(&recipient, &code, idp.clock.now())
            .map_err(|refusal| denied(refusal_text(realm, &refusal)))?;
        Ok(passwordless_user(idp, realm, &email))
    })
}

/// The link's query as an authorization request: `response_type=code` unless the start's
/// `authParams` named one.
fn with_default_response_type(fields: &[(String, String)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        query.append_pair(name, value);
    }
    if !fields.iter().any(|(n, _)| n == "response_type") {
        query.append_pair("response_type", "code");
    }
    query.finish()
}
