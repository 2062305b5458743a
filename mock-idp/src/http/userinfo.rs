//! `GET`/`POST /userinfo`: the profile behind an access token: an opaque one (issued without an
//! audience, [`crate::store::opaque`]), or a JWT issued with `openid` (its `aud` includes
//! `<issuer>userinfo`), as on Auth0.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::engine::{Idp, SharedIdp};
use crate::error::OAuthError;
use crate::issuance::id_token::profile_claims;
use crate::issuance::scopes::split_scope;

pub(crate) async fn userinfo(State(idp): State<SharedIdp>, headers: HeaderMap) -> Response {
    match lookup(&idp, &headers) {
        Ok(profile) => Json(profile).into_response(),
        Err(e) => e.into_response(),
    }
}

fn lookup(idp: &Idp, headers: &HeaderMap) -> Result<Value, OAuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(OAuthError::InvalidToken("Missing bearer token".into()));
    };
    let value = value
        .to_str()
        .map_err(|_| OAuthError::InvalidToken("Malformed Authorization header".into()))?;
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(OAuthError::InvalidToken("Missing bearer token".into())),
    };
    let (sub, scope) = if token.contains('.') {
        of_jwt(idp, token)?
    } else {
        let grant = idp
            .opaque_tokens
            .get(token, idp.clock.now())
            .ok_or_else(|| OAuthError::InvalidToken("Invalid or expired access token".into()))?;
        if idp.revoked.is_revoked(&grant.jti) {
            return Err(revoked());
        }
        (grant.sub, grant.scope)
    };
    let tenant = idp.tenant();
    let user = tenant
        .user_by_sub(&sub)
        .ok_or_else(|| OAuthError::InvalidToken("The user no longer exists".into()))?;
    let mut profile = profile_claims(idp, user, &scope);
    profile.insert("sub".into(), user.sub().into());
    for (name, value) in &user.claims {
        profile.insert(name.clone(), value.clone());
    }
    Ok(Value::Object(profile))
}

fn revoked() -> OAuthError {
    OAuthError::InvalidToken("The token has been revoked".into())
}

/// The `sub` and scopes of a JWT access token this mock signed for `/userinfo`.
fn of_jwt(idp: &Idp, token: &str) -> Result<(String, Vec<String>), OAuthError> {
    let claims = idp
        .verify_own(token)
        .map_err(|reason| OAuthError::InvalidToken(reason.into()))?;
    let expired = claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_none_or(|exp| exp <= idp.clock.now());
    if expired {
        return Err(OAuthError::InvalidToken("Token expired".into()));
    }
    if claims
        .get("jti")
        .and_then(Value::as_str)
        .is_some_and(|jti| idp.revoked.is_revoked(jti))
    {
        return Err(revoked());
    }
    let userinfo_aud = idp.userinfo_audience();
    let for_userinfo = match claims.get("aud") {
        Some(Value::String(aud)) => aud == &userinfo_aud,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(&userinfo_aud)),
        _ => false,
    };
    if !for_userinfo {
        return Err(OAuthError::InvalidToken(
            "The token's audience does not include the userinfo endpoint (ask for the openid scope)"
                .into(),
        ));
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok((
        sub,
        split_scope(claims.get("scope").and_then(Value::as_str)),
    ))
}
