//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 3.4): the device polls
//! with its `device_code` until a user has decided at `/activate` (or a test through the
//! control API). The answers are Auth0's: `authorization_pending` and `expired_token` (once,
//! then `invalid_grant`) with 403, `slow_down` with 429, `access_denied` when the user said no.

use super::params::Params;
use super::still_granted;
use crate::engine::Idp;
use crate::error::OAuthError;
use crate::issuance::scopes::user_scopes;
use crate::issuance::{Issued, UserGrant, issue_for_user};
use crate::store::device::PollRefusal;
use crate::tenant::{Client, TenantConfig};

/// What Auth0 says to an unknown, spent or long-expired device code.
const INVALID: &str = "Invalid or expired device code.";

pub(super) fn exchange(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
) -> Result<Issued, OAuthError> {
    let device_code = params.require("device_code")?;
    let now = idp.clock.now();
    let polled = idp
        .device
        .poll(device_code, &client.client_id, now, |request, approval| {
            let invalid = || OAuthError::InvalidGrant(INVALID.into());
            let (user, api) =
                still_granted(tenant, &approval.sub, request.audience.as_deref(), invalid)?;
            let scope = user_scopes(tenant, user, api, &request.scope);
            Ok(issue_for_user(
                idp,
                UserGrant {
                    tenant,
                    client,
                    user,
                    api,
                    scope,
                    nonce: None,
                    auth_time: Some(approval.auth_time),
                    sid: approval.sid.clone(),
                    gty: None,
                    refresh_family: None,
                },
            ))
        });
    polled.map_err(|refusal| match refusal {
        PollRefusal::Invalid => OAuthError::InvalidGrant(INVALID.into()),
        PollRefusal::Expired => OAuthError::ExpiredToken(
            "The device code expired before a user authorized it; start again at /oauth/device/code."
                .into(),
        ),
        PollRefusal::Pending => {
            OAuthError::AuthorizationPending("User has yet to authorize device code.".into())
        }
        PollRefusal::SlowDown { interval } => OAuthError::SlowDown(format!(
            "You are polling faster than the specified interval of {interval} seconds."
        )),
        PollRefusal::Denied => OAuthError::AccessDenied("User refused to authorize the device.".into()),
        PollRefusal::Rejected(e) => e,
    })
}
