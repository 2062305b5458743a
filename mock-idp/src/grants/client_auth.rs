//! Client authentication wherever a client authenticates (token, revocation and PAR
//! endpoints): `client_secret_basic`, `client_secret_post`, `private_key_jwt`
//! ([`super::client_assertion`]), or none for a public client. One method per request; secrets
//! are compared in constant time.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::client_assertion::{self, Audience, JWT_BEARER};
use super::params::Params;
use crate::engine::Idp;
use crate::error::OAuthError;
use crate::tenant::{Client, TenantConfig};

/// Finds and authenticates the client: `client_secret_basic`, `client_secret_post`,
/// `private_key_jwt`, or nothing for a public client. `endpoints` are the paths whose URLs an
/// assertion may name as its `aud` besides the issuer: the one called first.
pub(crate) fn authenticate<'t>(
    idp: &Idp,
    tenant: &'t TenantConfig,
    endpoints: &[&str],
    headers: &HeaderMap,
    params: &Params,
) -> Result<&'t Client, OAuthError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => Some(parse_basic(value)?),
    };
    let body_secret = params.get("client_secret");
    let assertion_type = params.get("client_assertion_type");
    if let Some(assertion) = params.get("client_assertion") {
        if basic.is_some() || body_secret.is_some() {
            return Err(OAuthError::InvalidRequest(
                "Use one client authentication method: a client_assertion and a client secret were both sent".into(),
            ));
        }
        if assertion_type != Some(JWT_BEARER) {
            return Err(OAuthError::InvalidRequest(format!(
                "client_assertion_type must be {JWT_BEARER}"
            )));
        }
        let base = idp.discovery_urls.base(idp.issuer(), headers);
        let audience = Audience {
            base: &base,
            paths: endpoints,
        };
        return client_assertion::authenticate(
            idp,
            tenant,
            assertion,
            params.get("client_id"),
            &audience,
        );
    }
    if assertion_type.is_some() {
        return Err(OAuthError::InvalidRequest(
            "client_assertion_type given without client_assertion".into(),
        ));
    }
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
        (None, None) if client.credentials.is_empty() => Ok(client),
        (None, None) => Err(OAuthError::InvalidClient(
            "Client authentication failed: this client must send a client_assertion (private_key_jwt)".into(),
        )),
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
