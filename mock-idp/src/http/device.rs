//! `POST /oauth/device/code` (RFC 8628 3.1, as Auth0 serves it): a native application asks
//! for a device code to poll with and a user code for a person to enter at `/activate`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::control::journal::JournalNote;
use crate::engine::{Idp, SharedIdp};
use crate::error::OAuthError;
use crate::grants::params::Params;
use crate::grants::{client_auth, requested_api};
use crate::http::paths;
use crate::http::token::read_body;
use crate::issuance::scopes::split_scope;
use crate::store::device::{DeviceRequest, normalize_user_code};
use crate::tenant::DEVICE_CODE;

/// Auth0's default user code alphabet ("base20": consonants only, so no word can be spelled
/// and no letter is mistaken for a digit), in its `XXXX-XXXX` format.
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

pub(crate) async fn device_code(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut note = JournalNote::default();
    let mut response = match start(&idp, &headers, body, &mut note).await {
        Ok(body) => {
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => e.into_response(),
    };
    response.extensions_mut().insert(note);
    response
}

async fn start(
    idp: &Idp,
    headers: &HeaderMap,
    body: Body,
    note: &mut JournalNote,
) -> Result<serde_json::Value, OAuthError> {
    let (media_type, bytes) = read_body(headers, body).await?;
    let params = Params::parse(&media_type, &bytes)?;
    note.client_id = params.get("client_id").map(str::to_owned);
    let tenant = idp.tenant();
    let client = client_auth::authenticate(
        idp,
        &tenant,
        &[paths::DEVICE_CODE, paths::TOKEN],
        headers,
        &params,
    )?;
    note.client_id = Some(client.client_id.clone());
    if !client.allows_grant(DEVICE_CODE) {
        return Err(OAuthError::UnauthorizedClient(format!(
            "Grant type '{DEVICE_CODE}' not allowed for the client."
        )));
    }
    let api = requested_api(&tenant, &params)?;
    let now = idp.clock.now();
    let settings = &tenant.device_flow;
    let request = DeviceRequest {
        client_id: client.client_id.clone(),
        scope: split_scope(params.get("scope")),
        audience: api.map(|a| a.identifier.clone()),
        expires_at: now.saturating_add(i64::try_from(settings.expires_in).unwrap_or(i64::MAX / 4)),
        interval: settings.interval,
        csrf: idp.ids.next("csrf"),
    };
    let device_code = idp.ids.next("device_code");
    // 20^8 codes: a clash among the live ones is all but impossible, but one must not hand
    // two devices the same code, so draw again.
    let user_code = (0..16)
        .map(|_| user_code(&idp.ids.next("user_code")))
        .find(|code| {
            idp.device
                .start(device_code.clone(), code.clone(), request.clone(), now)
        })
        .ok_or_else(|| OAuthError::Internal("no free user code".into()))?;
    let base = idp.discovery_urls.base(idp.issuer(), headers);
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("user_code", &user_code)
        .finish();
    Ok(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": format!("{base}activate"),
        "verification_uri_complete": format!("{base}activate?{query}"),
        "expires_in": settings.expires_in,
        "interval": settings.interval,
    }))
}

/// A user code from `seed` (random, or sequential in deterministic mode): eight letters of
/// [`USER_CODE_ALPHABET`] from its SHA-256.
fn user_code(seed: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, seed.as_bytes());
    let letters: String = digest
        .as_ref()
        .iter()
        .take(8)
        .map(|b| char::from(USER_CODE_ALPHABET[usize::from(*b) % USER_CODE_ALPHABET.len()]))
        .collect();
    normalize_user_code(&letters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_code_is_two_groups_of_four_consonants() {
        let code = user_code("seed");
        let (left, right) = code.split_once('-').unwrap();
        assert_eq!((left.len(), right.len()), (4, 4));
        assert!(
            code.bytes()
                .filter(|b| *b != b'-')
                .all(|b| USER_CODE_ALPHABET.contains(&b)),
            "{code}"
        );
        assert_eq!(user_code("seed"), code, "stable for a stable seed");
        assert_ne!(user_code("other"), code);
    }
}
