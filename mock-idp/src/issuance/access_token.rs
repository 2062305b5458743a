//! The access-token skeleton, the one place its registered claims are written: by the grants
//! and by [`TokenBuilder`](crate::TokenBuilder) alike.

use serde_json::Value;

use super::jws::Claims;
use crate::engine::Idp;

/// `iss`, `sub`, `aud`, `iat`, `exp`, `azp` and a fresh `jti` (returned too, so a
/// redeemed-twice code can revoke the token). What a grant adds (`scope`, `gty`,
/// `permissions`, custom claims) comes after.
pub(crate) fn skeleton(
    idp: &Idp,
    sub: String,
    aud: Value,
    azp: String,
    now: i64,
    lifetime: i64,
) -> (Claims, String) {
    let mut claims = Claims::new();
    claims.insert("iss".into(), idp.issuer().into());
    claims.insert("sub".into(), sub.into());
    claims.insert("aud".into(), aud);
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now.saturating_add(lifetime)).into());
    claims.insert("azp".into(), azp.into());
    let jti = idp.ids.next("jti");
    claims.insert("jti".into(), jti.clone().into());
    (claims, jti)
}
