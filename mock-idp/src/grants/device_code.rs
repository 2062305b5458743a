//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 3.4): the device polls
//! with its `device_code` until a user has decided at `/activate` (or a test through the
//! control API). The answers are Auth0's: `authorization_pending` and `expired_token` (once,
//! then `invalid_grant`) with 403, `slow_down` with 429, `access_denied` when the user said no.

use super::actions::{Counted, Login, LoginRequest, post_login};
use super::params::Params;
use super::still_granted;
use crate::actions::{self, Trigger};
use crate::engine::Idp;
use crate::error::OAuthError;
use crate::issuance::scopes::user_scopes;
use crate::issuance::{ActionClaims, Issued, UserGrant, issue_for_member};
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
    let invalid = || OAuthError::InvalidGrant(INVALID.into());
    let no_claims = ActionClaims::default();
    // post-login runs before the redemption, on what an approved code would buy, so a denial
    // (or a slow Action) redeems nothing and holds no lock.
    let shaped = match idp.device.approved(device_code, &client.client_id, now) {
        Some((request, approval)) if actions::any_for(&tenant.actions, Trigger::PostLogin) => {
            let (user, api) =
                still_granted(tenant, &approval.sub, request.audience.as_deref(), invalid)?;
            let scope = user_scopes(tenant, user, api, &request.scope);
            let login = Login {
                tenant,
                client,
                user,
                api,
                organization: None,
                protocol: "oauth2-device-code",
                request: LoginRequest::Token(params),
                transaction: serde_json::Map::new(),
                counted: Counted::Already,
                auth_time: approval.auth_time,
                method: "pwd",
            };
            let claims = post_login(idp, &login, &scope)?;
            Some((claims, scope))
        }
        _ => None,
    };
    let polled = idp
        .device
        .poll(device_code, &client.client_id, now, |request, approval| {
            let (user, api) =
                still_granted(tenant, &approval.sub, request.audience.as_deref(), invalid)?;
            let (claims, scope) = match &shaped {
                Some((claims, scope)) => (claims, scope.clone()),
                None => (&no_claims, user_scopes(tenant, user, api, &request.scope)),
            };
            Ok(issue_for_member(
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
                None,
                claims,
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
