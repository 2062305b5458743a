//! The back-channel `logout_token` (OIDC Back-Channel Logout 1.0, 2.4): a JWT for one client
//! saying that a session at the IdP ended.
//!
//! Signed as the client's ID tokens are (the tenant's key, or the client secret for HS256
//! clients), because relying parties verify both the same way. It carries `sid` and `sub`
//! (Auth0 sends both), the back-channel `events` member, a short lifetime and a `jti`, and
//! never a `nonce`: the spec forbids one, so that a logout token cannot pass as an ID token.

use serde_json::json;

use super::jws::{self, Claims};
use super::signer_for_client;
use crate::engine::Idp;
use crate::store::sessions::SessionInfo;
use crate::tenant::{Client, TenantConfig};

/// The `events` member that makes a JWT a logout token.
pub(crate) const BACKCHANNEL_LOGOUT_EVENT: &str =
    "http://schemas.openid.net/event/backchannel-logout";

/// A signed logout token for `client`, about the session that ended.
pub(crate) fn logout_token(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    session: &SessionInfo,
) -> String {
    let now = idp.clock.now();
    let settings = &tenant.backchannel_logout;
    let lifetime = i64::try_from(settings.token_lifetime).unwrap_or(i64::MAX / 4);
    let mut claims = Claims::new();
    claims.insert("iss".into(), idp.issuer().into());
    claims.insert("sub".into(), session.sub.clone().into());
    claims.insert("aud".into(), client.client_id.clone().into());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), now.saturating_add(lifetime).into());
    claims.insert("jti".into(), idp.ids.next("jti").into());
    claims.insert("sid".into(), session.sid.clone().into());
    claims.insert("events".into(), json!({ BACKCHANNEL_LOGOUT_EVENT: {} }));
    let signer = signer_for_client(idp, client);
    let mut header = jws::header_for(&signer);
    header.insert("typ".into(), settings.typ.clone().into());
    jws::encode(&header, &claims, &signer)
}
