//! `grant_type=refresh_token`: rotation, with Auth0's reuse detection (a rotated-away token
//! presented again revokes its whole family).

use serde_json::Map;

use super::actions::{Counted, Login, LoginRequest, post_login};
use super::params::Params;
use super::{still_granted, still_member};
use crate::actions::{self, Trigger};
use crate::engine::Idp;
use crate::error::OAuthError;
use crate::issuance::scopes::split_scope;
use crate::issuance::{Issued, UserGrant, issue_for_member};
use crate::store::refresh::Refusal;
use crate::tenant::{Client, TenantConfig};

/// Auth0's exact text; auth0-spa-js matches on it to fall back to the iframe.
pub(crate) const INVALID_REFRESH_TOKEN: &str = "Unknown or invalid refresh token.";

pub(super) fn exchange(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
) -> Result<Issued, OAuthError> {
    let presented = params.require("refresh_token")?;
    let invalid = || OAuthError::InvalidGrant(INVALID_REFRESH_TOKEN.into());
    // Auth0 runs post-login at a refresh too. It runs before the spend, on what the token
    // would buy, so a denial (or a slow Action) spends nothing and holds no lock.
    let claims = match idp
        .refresh_tokens
        .peek(presented, &client.client_id, idp.clock.now())
    {
        Some(grant) if actions::any_for(&tenant.actions, Trigger::PostLogin) => {
            let scope = narrowed_scope(&grant.scope, params.get("scope"))?;
            let (user, api) =
                still_granted(tenant, &grant.sub, grant.audience.as_deref(), invalid)?;
            let organization = still_member(tenant, user, grant.organization.as_deref(), invalid)?;
            let login = Login {
                tenant,
                client,
                user,
                api,
                organization,
                protocol: "oauth2-refresh-token",
                request: LoginRequest::Token(params),
                transaction: Map::new(),
                counted: Counted::Already,
                auth_time: grant.auth_time.unwrap_or_else(|| idp.clock.now()),
                method: "pwd",
            };
            Some(post_login(idp, &login, &scope)?)
        }
        _ => None,
    };
    let (grant, scope) = idp
        .refresh_tokens
        .spend(presented, &client.client_id, idp.clock.now(), |grant| {
            narrowed_scope(&grant.scope, params.get("scope"))
        })
        .map_err(|refusal| match refusal {
            Refusal::Invalid => invalid(),
            Refusal::Rejected(e) => e,
        })?;
    let (user, api) = still_granted(tenant, &grant.sub, grant.audience.as_deref(), invalid)?;
    let org = still_member(tenant, user, grant.organization.as_deref(), invalid)?;
    let claims = claims.unwrap_or_default();
    Ok(issue_for_member(
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
        org,
        &claims,
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
