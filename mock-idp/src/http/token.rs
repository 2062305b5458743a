//! `POST /oauth/token` and `POST /oauth/revoke`: request parsing, client authentication and
//! one function per grant.
//!
//! Bodies are `application/x-www-form-urlencoded` (what the SDKs send by default) or
//! `application/json` (`useFormData: false`); both parse into the same [`Params`]. Unknown
//! parameters are ignored, as the SPA SDK sends extra ones; repeated ones are refused.

use std::collections::BTreeMap;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::control::journal::JournalNote;
use crate::engine::{Idp, SharedIdp, lock, revoke_family};
use crate::error::OAuthError;
use crate::issuance::claims::{
    self, UserGrant, issue_for_client, issue_for_user, split_scope, user_scopes,
};
use crate::tenant::{
    Client, DEFAULT_CONNECTION, PASSWORD, PASSWORD_REALM, TenantConfig, WRONG_CREDENTIALS,
};

/// Token request bodies larger than this get 413. Real requests are well under 4 KiB.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// Auth0's exact text; auth0-spa-js matches on it to fall back to the iframe.
pub(crate) const INVALID_REFRESH_TOKEN: &str = "Unknown or invalid refresh token.";

/// The parameters of a token-endpoint request, whatever the body's encoding.
#[derive(Debug, Default)]
pub(crate) struct Params(BTreeMap<String, String>);

impl Params {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub(crate) fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| {
            OAuthError::InvalidRequest(format!("Missing required parameter: {name}"))
        })
    }
}

pub(crate) async fn read_params(headers: &HeaderMap, body: Body) -> Result<Params, OAuthError> {
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        if is_length_limit(&e) {
            OAuthError::PayloadTooLarge
        } else {
            OAuthError::InvalidRequest("Could not read the request body".into())
        }
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => parse_form(&bytes),
        "application/json" => parse_json(&bytes),
        "" if bytes.is_empty() => Ok(Params::default()),
        "" => Err(OAuthError::InvalidRequest(
            "Missing Content-Type: use application/x-www-form-urlencoded or application/json"
                .into(),
        )),
        other => Err(OAuthError::InvalidRequest(format!(
            "Unsupported Content-Type {other}: use application/x-www-form-urlencoded or application/json"
        ))),
    }
}

/// `to_bytes` reports the limit through an error type of a crate we do not depend on; its
/// message is the stable part.
fn is_length_limit(error: &axum::Error) -> bool {
    let mut current: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = current {
        if e.to_string().contains("length limit exceeded") {
            return true;
        }
        current = e.source();
    }
    false
}

fn parse_form(bytes: &[u8]) -> Result<Params, OAuthError> {
    let mut params = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(bytes) {
        if params
            .insert(name.to_string(), value.into_owned())
            .is_some()
        {
            return Err(OAuthError::InvalidRequest(format!(
                "Parameter {name} is included more than once"
            )));
        }
    }
    Ok(Params(params))
}

fn parse_json(bytes: &[u8]) -> Result<Params, OAuthError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|_| OAuthError::InvalidRequest("The body is not valid JSON".into()))?;
    let Value::Object(object) = value else {
        return Err(OAuthError::InvalidRequest(
            "The JSON body must be an object".into(),
        ));
    };
    let mut params = BTreeMap::new();
    for (name, value) in object {
        let value = match value {
            Value::String(s) => s,
            Value::Null => continue,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(OAuthError::InvalidRequest(format!(
                    "Parameter {name} must be a string"
                )));
            }
        };
        params.insert(name, value);
    }
    Ok(Params(params))
}

/// Finds and authenticates the client: `client_secret_basic`, `client_secret_post`, or
/// nothing for a public client.
pub(crate) fn authenticate_client<'t>(
    tenant: &'t TenantConfig,
    headers: &HeaderMap,
    params: &Params,
) -> Result<&'t Client, OAuthError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => Some(parse_basic(value)?),
    };
    let body_secret = params.get("client_secret");
    let (client_id, secret) = match (&basic, body_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::InvalidRequest(
                "Use one client authentication method, not both Basic and client_secret".into(),
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::InvalidRequest(
                    "client_id in the body does not match the Authorization header".into(),
                ));
            }
            (id.as_str(), Some(secret.as_str()))
        }
        (None, secret) => (params.require("client_id")?, secret),
    };
    let failed = || OAuthError::InvalidClient("Client authentication failed".into());
    let client = tenant.client(client_id).ok_or_else(failed)?;
    match (&client.client_secret, secret) {
        (None, None) => Ok(client),
        (Some(expected), Some(given))
            if verify_slices_are_equal(expected.as_bytes(), given.as_bytes()).is_ok() =>
        {
            Ok(client)
        }
        (Some(_), None) => Err(OAuthError::InvalidClient(
            "Client authentication failed: this client must send its client_secret".into(),
        )),
        _ => Err(failed()),
    }
}

fn parse_basic(value: &HeaderValue) -> Result<(String, String), OAuthError> {
    let malformed = || OAuthError::InvalidClient("Malformed Basic Authorization header".into());
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, encoded) = value.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::InvalidRequest(
            "The token endpoint accepts only Basic client authentication in the Authorization header"
                .into(),
        ));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    // RFC 6749 2.3.1: both halves are form-urlencoded before being joined.
    let unescape = |s: &str| -> String {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok((unescape(id), unescape(secret)))
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
            exchange(&idp, &headers, &params)
        }
        Err(e) => Err(e),
    };
    let mut response = match result {
        Ok(body) => {
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

fn exchange(idp: &Idp, headers: &HeaderMap, params: &Params) -> Result<Value, OAuthError> {
    let grant_type = params.require("grant_type")?;
    let known = matches!(
        grant_type,
        "client_credentials" | "authorization_code" | "refresh_token"
    ) || grant_type == PASSWORD
        || grant_type == PASSWORD_REALM;
    if !known {
        return Err(OAuthError::UnsupportedGrantType(format!(
            "Unsupported grant type: {grant_type}"
        )));
    }
    let tenant = idp.tenant();
    let client = authenticate_client(&tenant, headers, params)?;
    if !client.allows_grant(grant_type) {
        return Err(OAuthError::UnauthorizedClient(format!(
            "Grant type '{grant_type}' not allowed for the client."
        )));
    }
    let issued = match grant_type {
        "client_credentials" => client_credentials(idp, &tenant, client, params)?,
        "refresh_token" => refresh_token(idp, &tenant, client, params)?,
        "authorization_code" => {
            crate::http::authorize::exchange_code(idp, &tenant, client, params)?
        }
        _ => password(idp, &tenant, client, params, grant_type == PASSWORD_REALM)?,
    };
    Ok(issued.to_json())
}

fn audience<'t>(
    tenant: &'t TenantConfig,
    params: &Params,
) -> Result<Option<&'t crate::tenant::Api>, OAuthError> {
    match params
        .get("audience")
        .or(tenant.default_audience.as_deref())
    {
        None => Ok(None),
        Some(aud) => tenant
            .api(aud)
            .map(Some)
            .ok_or_else(|| OAuthError::AccessDenied(format!("Service not found: {aud}"))),
    }
}

fn client_credentials(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
) -> Result<claims::Issued, OAuthError> {
    if !client.is_confidential() {
        return Err(OAuthError::UnauthorizedClient(
            "Grant type 'client_credentials' not allowed for public clients.".into(),
        ));
    }
    let api = audience(tenant, params)?.ok_or_else(|| {
        OAuthError::AccessDenied(
            "No audience parameter was provided, and no default audience has been configured"
                .into(),
        )
    })?;
    let grant = client
        .grants
        .iter()
        .find(|g| g.audience == api.identifier)
        .ok_or_else(|| {
            OAuthError::AccessDenied(format!(
                "Client is not authorized to access \"{}\". You need to create a \"client-grant\" associated to this API.",
                api.identifier
            ))
        })?;
    let requested = split_scope(params.get("scope"));
    let scope = if requested.is_empty() {
        grant.scopes.clone()
    } else {
        if let Some(undefined) = requested.iter().find(|s| !api.permissions.contains(s)) {
            return Err(OAuthError::InvalidScope(format!(
                "Scope '{undefined}' is not defined by API {}",
                api.identifier
            )));
        }
        let missing: Vec<&String> = requested
            .iter()
            .filter(|s| !grant.scopes.contains(s))
            .collect();
        if !missing.is_empty() {
            let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            return Err(OAuthError::AccessDenied(format!(
                "Client has not been granted scopes: {}",
                list.join(", ")
            )));
        }
        requested
    };
    Ok(issue_for_client(idp, tenant, client, api, &scope))
}

fn password(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
    realm_grant: bool,
) -> Result<claims::Issued, OAuthError> {
    let username = params.require("username")?;
    let password = params.require("password")?;
    if realm_grant {
        let realm = params.require("realm")?;
        if realm != DEFAULT_CONNECTION {
            return Err(OAuthError::InvalidRequest(format!(
                "Unknown realm {realm}: this tenant has the connection {DEFAULT_CONNECTION}"
            )));
        }
    }
    let user = tenant
        .user_with_password(username, password)
        .ok_or_else(|| OAuthError::InvalidGrant(WRONG_CREDENTIALS.into()))?;
    if user.blocked {
        return Err(OAuthError::Unauthorized("user is blocked".into()));
    }
    let api = audience(tenant, params)?;
    let scope = user_scopes(tenant, user, api, &split_scope(params.get("scope")));
    Ok(issue_for_user(
        idp,
        UserGrant {
            tenant,
            client,
            user,
            api,
            scope,
            nonce: None,
            auth_time: Some(idp.clock.now()),
            sid: None,
            gty: Some("password"),
            refresh_family: None,
        },
    ))
}

fn refresh_token(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
) -> Result<claims::Issued, OAuthError> {
    let presented = params.require("refresh_token")?;
    let invalid = || OAuthError::InvalidGrant(INVALID_REFRESH_TOKEN.into());
    let now = idp.clock.now();
    // Check and mark as used under one lock, so two concurrent uses cannot both succeed.
    // Everything that can refuse the request is checked before the token is spent: a bad
    // request changes nothing.
    let (grant, scope) = {
        let mut store = lock(&idp.grants.refresh);
        let grant = store.get(presented).cloned().ok_or_else(invalid)?;
        if grant.client_id != client.client_id || grant.expires_at <= now {
            return Err(invalid());
        }
        if grant.used {
            // Reuse of a rotated token: treat the family as stolen (Auth0 reuse detection).
            revoke_family(&mut store, &grant.family);
            return Err(invalid());
        }
        let scope = narrowed_scope(&grant.scope, params.get("scope"))?;
        if let Some(g) = store.get_mut(presented) {
            g.used = true;
        }
        (grant, scope)
    };
    let user = tenant.user_by_sub(&grant.sub).ok_or_else(invalid)?;
    if user.blocked {
        return Err(OAuthError::Unauthorized("user is blocked".into()));
    }
    let api = match &grant.audience {
        Some(aud) => Some(tenant.api(aud).ok_or_else(invalid)?),
        None => None,
    };
    Ok(issue_for_user(
        idp,
        UserGrant {
            tenant,
            client,
            user,
            api,
            scope,
            nonce: None,
            auth_time: grant.auth_time,
            sid: grant.sid.clone(),
            gty: None,
            refresh_family: Some(grant.family.clone()),
        },
    ))
}

/// A refresh may ask for fewer scopes than granted, never more. `offline_access` stays so the
/// rotated refresh token is still issued.
fn narrowed_scope(granted: &[String], asked: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let Some(asked) = asked else {
        return Ok(granted.to_vec());
    };
    let mut asked = split_scope(Some(asked));
    if let Some(extra) = asked.iter().find(|s| !granted.contains(s)) {
        return Err(OAuthError::InvalidScope(format!(
            "Scope '{extra}' was not granted to this refresh token"
        )));
    }
    if !asked.iter().any(|s| s == "offline_access") {
        asked.push("offline_access".into());
    }
    Ok(asked)
}

/// `POST /oauth/revoke` (RFC 7009): revokes a refresh token and its family. Answers 200 for
/// unknown tokens too, as the RFC asks.
pub(crate) async fn revoke(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let params = read_params(&headers, body).await?;
        let tenant = idp.tenant();
        let client = authenticate_client(&tenant, &headers, &params)?;
        let token = params.require("token")?;
        let mut store = lock(&idp.grants.refresh);
        let family = store
            .get(token)
            .filter(|g| g.client_id == client.client_id)
            .map(|g| g.family.clone());
        if let Some(family) = family {
            revoke_family(&mut store, &family);
        }
        Ok::<_, OAuthError>(())
    }
    .await;
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}
