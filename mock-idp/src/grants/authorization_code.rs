//! `grant_type=authorization_code`: the second leg of the browser flow. The code is bound to
//! the client, the `redirect_uri`, the audience, the scope and the PKCE challenge of its
//! authorization request, and buys tokens once.

use super::params::Params;
use super::{still_granted, still_member};
use crate::engine::Idp;
use crate::error::OAuthError;
use crate::issuance::{Issued, UserGrant, issue_for_member};
use crate::pkce;
use crate::store::codes::{CodeGrant, Redeemed, Refusal};
use crate::tenant::{Client, TenantConfig};

pub(super) fn exchange(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
) -> Result<Issued, OAuthError> {
    let code = params.require("code")?;
    let invalid = || OAuthError::InvalidGrant("Invalid authorization code".into());
    let redeemed = idp
        .codes
        .redeem(code, &client.client_id, idp.clock.now(), |grant| {
            let issued = issue(idp, tenant, client, params, grant)?;
            let redeemed = Redeemed {
                // A new family is named after its first refresh token.
                refresh_family: issued.refresh_token.clone(),
                jti: issued.jti.clone(),
            };
            Ok((issued, redeemed))
        });
    match redeemed {
        Ok(issued) => Ok(issued),
        Err(Refusal::Invalid) => Err(invalid()),
        Err(Refusal::Replayed(redeemed)) => {
            // RFC 6749 4.1.2: a code used twice was probably stolen; what it bought is revoked.
            if let Some(family) = &redeemed.refresh_family {
                idp.refresh_tokens.revoke_family(family);
            }
            idp.revoked.revoke(redeemed.jti);
            Err(invalid())
        }
        Err(Refusal::Rejected(e)) => Err(e),
    }
}

/// Everything the token request must match, then the tokens.
fn issue(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
    grant: &CodeGrant,
) -> Result<Issued, OAuthError> {
    let invalid = || OAuthError::InvalidGrant("Invalid authorization code".into());
    let pkce_failed = || OAuthError::InvalidGrant("Failed to verify code verifier".into());
    let redirect_ok = match (&grant.redirect_uri_given, params.get("redirect_uri")) {
        (Some(expected), given) => given == Some(expected.as_str()),
        (None, Some(given)) => given == grant.redirect_uri,
        (None, None) => true,
    };
    if !redirect_ok {
        return Err(OAuthError::InvalidGrant(
            "redirect_uri does not match the one in the authorization request".into(),
        ));
    }
    match (&grant.challenge, params.get("code_verifier")) {
        (Some(_), None) => {
            return Err(OAuthError::InvalidRequest(
                "Missing required parameter: code_verifier".into(),
            ));
        }
        (Some(_), Some(verifier)) if !pkce::is_valid_verifier(verifier) => {
            return Err(pkce_failed());
        }
        (Some((method, challenge)), Some(verifier)) => {
            if !pkce::verify(*method, challenge, verifier) {
                return Err(pkce_failed());
            }
        }
        // RFC 9700 4.8.2: a verifier for a code issued without a challenge is a downgrade.
        (None, Some(_)) => return Err(pkce_failed()),
        (None, None) => {}
    }
    let (user, api) = still_granted(tenant, &grant.sub, grant.audience.as_deref(), invalid)?;
    let org = still_member(tenant, user, grant.organization.as_deref(), invalid)?;
    Ok(issue_for_member(
        idp,
        UserGrant {
            tenant,
            client,
            user,
            api,
            scope: grant.scope.clone(),
            nonce: grant.nonce.clone(),
            auth_time: Some(grant.auth_time),
            sid: Some(grant.sid.clone()),
            gty: None,
            refresh_family: None,
        },
        org,
        &grant.action_claims,
    ))
}
