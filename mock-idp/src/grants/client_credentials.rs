//! `grant_type=client_credentials`: a machine's token for an API it was granted
//! (Auth0's client grants), with the scopes asked for or all it was granted.

use super::actions::credentials_exchange;
use super::params::Params;
use super::requested_api;
use crate::engine::Idp;
use crate::error::OAuthError;
use crate::issuance::scopes::split_scope;
use crate::issuance::{Issued, issue_for_client};
use crate::tenant::{
    Api, Client, ClientGrant, Organization, OrganizationUsage, TenantConfig, management_api,
    names_management_api,
};

pub(super) fn exchange(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
) -> Result<Issued, OAuthError> {
    if !client.is_confidential() {
        return Err(OAuthError::UnauthorizedClient(
            "Grant type 'client_credentials' not allowed for public clients.".into(),
        ));
    }
    let management = management_api(idp.issuer());
    // Only machines get Management API tokens here: users have no Management API permissions.
    let api: &Api = if params.get("audience") == Some(management.identifier.as_str()) {
        management
    } else {
        requested_api(tenant, params)?.ok_or_else(|| {
            OAuthError::AccessDenied(
                "No audience parameter was provided, and no default audience has been configured"
                    .into(),
            )
        })?
    };
    let is_management = std::ptr::eq(api, management);
    let grant = client
        .grants
        .iter()
        .find(|g| {
            g.audience == api.identifier
                || (is_management && names_management_api(&g.audience, &api.identifier))
        })
        .ok_or_else(|| {
            OAuthError::AccessDenied(format!(
                "Client is not authorized to access \"{}\". You need to create a \"client-grant\" associated to this API.",
                api.identifier
            ))
        })?;
    let requested = split_scope(params.get("scope"));
    let scope = if requested.is_empty() {
        grant.scopes.clone()
    } else {
        if let Some(undefined) = requested.iter().find(|s| !api.permissions.contains(s)) {
            return Err(OAuthError::InvalidScope(format!(
                "Scope '{undefined}' is not defined by API {}",
                api.identifier
            )));
        }
        let missing: Vec<&String> = requested
            .iter()
            .filter(|s| !grant.scopes.contains(s))
            .collect();
        if !missing.is_empty() {
            let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            return Err(OAuthError::AccessDenied(format!(
                "Client has not been granted scopes: {}",
                list.join(", ")
            )));
        }
        requested
    };
    let org = organization(tenant, client, grant, params)?;
    let claims = credentials_exchange(idp, tenant, client, api, &scope, params)?;
    Ok(issue_for_client(
        idp, tenant, client, api, &scope, org, &claims,
    ))
}

/// The organization the request names, as the client grant allows it (Auth0's
/// Machine-to-Machine Access for Organizations: the grant's `organization_usage`, and
/// `allow_any_organization` or the organizations associated with the grant).
fn organization<'t>(
    tenant: &'t TenantConfig,
    client: &Client,
    grant: &ClientGrant,
    params: &Params,
) -> Result<Option<&'t Organization>, OAuthError> {
    let Some(value) = params.get("organization") else {
        if grant.organization_usage == OrganizationUsage::Require {
            return Err(OAuthError::InvalidRequest(format!(
                "An organization is required for client \"{}\" and audience \"{}\"",
                client.client_id, grant.audience
            )));
        }
        return Ok(None);
    };
    if grant.organization_usage == OrganizationUsage::Deny {
        return Err(OAuthError::InvalidRequest(format!(
            "Organizations are not allowed for client \"{}\" and audience \"{}\" (the client grant's organization_usage is \"deny\")",
            client.client_id, grant.audience
        )));
    }
    let org = tenant.organization(value).ok_or_else(|| {
        OAuthError::InvalidRequest(format!("No organization found by that id or name: {value}"))
    })?;
    let associated = grant.organizations.iter().any(|o| org.is_named(o, true));
    if !grant.allow_any_organization && !associated {
        return Err(OAuthError::AccessDenied(format!(
            "Client \"{}\" is not authorized to access organization \"{}\" for audience \"{}\"",
            client.client_id,
            org.id(),
            grant.audience
        )));
    }
    Ok(Some(org))
}
