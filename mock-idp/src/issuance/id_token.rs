//! The ID-token skeleton and the profile claims, shared by the grants and
//! [`TokenBuilder`](crate::TokenBuilder).

use super::jws::Claims;
use crate::engine::Idp;
use crate::tenant::User;

/// Fixed so tokens are byte-stable; Auth0 writes when the profile last changed.
const UPDATED_AT: &str = "2026-01-01T00:00:00.000Z";

/// `iss`, `sub`, `aud` (the client id, a string), `iat` and `exp`.
pub(crate) fn skeleton(
    idp: &Idp,
    sub: String,
    client_id: String,
    now: i64,
    lifetime: i64,
) -> Claims {
    let mut claims = Claims::new();
    claims.insert("iss".into(), idp.issuer().into());
    claims.insert("sub".into(), sub.into());
    claims.insert("aud".into(), client_id.into());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now.saturating_add(lifetime)).into());
    claims
}

/// The avatar the mock serves for users without a picture, so pages work offline.
pub(crate) fn default_picture(idp: &Idp, user: &User) -> String {
    let sub: String = url::form_urlencoded::byte_serialize(user.sub().as_bytes()).collect();
    idp.public_url(&format!("avatars/{sub}.svg"))
}

/// Profile claims for the OIDC scopes granted (ID tokens and `/userinfo`).
pub(crate) fn profile_claims(idp: &Idp, user: &User, scope: &[String]) -> Claims {
    let mut claims = Claims::new();
    let has = |s: &str| scope.iter().any(|x| x == s);
    if has("profile") {
        claims.insert("name".into(), user.display_name().into());
        claims.insert("nickname".into(), user.nickname_or_default().into());
        claims.insert(
            "picture".into(),
            user.picture
                .clone()
                .unwrap_or_else(|| default_picture(idp, user))
                .into(),
        );
        claims.insert("updated_at".into(), UPDATED_AT.into());
        if let Some(given) = &user.given_name {
            claims.insert("given_name".into(), given.clone().into());
        }
        if let Some(family) = &user.family_name {
            claims.insert("family_name".into(), family.clone().into());
        }
    }
    // A user made by an SMS login has no email.
    if has("email") && !user.email.is_empty() {
        claims.insert("email".into(), user.email.clone().into());
        claims.insert("email_verified".into(), user.email_verified.into());
    }
    if let Some(phone) = user.phone_number.as_ref().filter(|_| has("phone")) {
        claims.insert("phone_number".into(), phone.clone().into());
        claims.insert("phone_number_verified".into(), true.into());
    }
    claims
}
