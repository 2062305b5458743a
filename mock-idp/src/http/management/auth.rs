//! Who may call the Management API: a Bearer access token this mock issued for its
//! `<issuer>api/v2/`, still valid by the mock's clock, carrying one of the route's scopes.

use axum::http::{HeaderMap, header};
use serde_json::Value;

use super::error::ApiError;
use crate::engine::Idp;
use crate::issuance::scopes::split_scope;
use crate::tenant::management_api;

/// Refuses the request unless its token may call a route that takes any of `scopes`.
pub(crate) fn authorize(idp: &Idp, headers: &HeaderMap, scopes: &[&str]) -> Result<(), ApiError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let token = match (values.next().map(|v| v.to_str()), values.next()) {
        (Some(Ok(value)), None) => match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => return Err(ApiError::unauthorized("Missing authentication")),
        },
        _ => return Err(ApiError::unauthorized("Missing authentication")),
    };
    let claims = idp
        .verify_own(token)
        .map_err(|_| ApiError::unauthorized("Invalid token"))?;
    if claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_none_or(|exp| exp <= idp.clock.now())
    {
        return Err(ApiError::unauthorized(
            "Expired token received for JSON Web Token validation",
        ));
    }
    if claims
        .get("jti")
        .and_then(Value::as_str)
        .is_some_and(|jti| idp.revoked.is_revoked(jti))
    {
        return Err(ApiError::unauthorized("Invalid token"));
    }
    let audience = &management_api(idp.issuer()).identifier;
    let for_management = match claims.get("aud") {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !for_management {
        let aud = claims.get("aud").map(Value::to_string).unwrap_or_default();
        return Err(ApiError::unauthorized(format!("Bad audience: {aud}")));
    }
    let granted = split_scope(claims.get("scope").and_then(Value::as_str));
    if !scopes.iter().any(|s| granted.iter().any(|g| g == s)) {
        return Err(ApiError::insufficient_scope(scopes));
    }
    Ok(())
}
