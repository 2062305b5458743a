//! The grants of `POST /oauth/token`, one module each behind [`GrantType`].
//!
//! The endpoint ([`crate::http::token`]) parses the body ([`params`]), parses the grant type
//! (an unknown one is `unsupported_grant_type`, never a fallthrough), authenticates the client
//! ([`client_auth`]), checks that the client may use the grant, and calls [`issue`]. Each grant
//! checks everything that can refuse the request before it spends anything (a code, a refresh
//! token), so a bad request changes nothing.

pub(crate) mod actions;
mod authorization_code;
mod client_assertion;
pub(crate) mod client_auth;
mod client_credentials;
mod device_code;
pub(crate) mod params;
mod password;
pub(crate) mod passwordless_otp;
mod refresh_token;

use crate::engine::Idp;
use crate::error::OAuthError;
use crate::issuance::Issued;
use crate::tenant::{
    Api, Client, DEVICE_CODE, Organization, PASSWORD, PASSWORD_REALM, TenantConfig, User,
};
use params::Params;

/// The grant types the token endpoint knows, by their wire names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    /// RFC 8628's device authorization grant.
    DeviceCode,
    Password,
    /// Auth0's password grant with a named connection.
    PasswordRealm,
    RefreshToken,
    /// Auth0's passwordless grant: a code sent by `/passwordless/start`.
    PasswordlessOtp,
}

impl GrantType {
    const ALL: [Self; 7] = [
        Self::AuthorizationCode,
        Self::ClientCredentials,
        Self::DeviceCode,
        Self::Password,
        Self::PasswordRealm,
        Self::RefreshToken,
        Self::PasswordlessOtp,
    ];

    /// The `grant_type` parameter's value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials => "client_credentials",
            Self::DeviceCode => DEVICE_CODE,
            Self::Password => PASSWORD,
            Self::PasswordRealm => PASSWORD_REALM,
            Self::RefreshToken => "refresh_token",
            Self::PasswordlessOtp => passwordless_otp::PASSWORDLESS_OTP,
        }
    }

    pub(crate) fn parse(grant_type: &str) -> Result<Self, OAuthError> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == grant_type)
            .ok_or_else(|| {
                OAuthError::UnsupportedGrantType(format!("Unsupported grant type: {grant_type}"))
            })
    }
}

/// Runs `grant` for an authenticated `client` that is allowed to use it.
pub(crate) fn issue(
    idp: &Idp,
    grant: GrantType,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
) -> Result<Issued, OAuthError> {
    match grant {
        GrantType::AuthorizationCode => authorization_code::exchange(idp, tenant, client, params),
        GrantType::ClientCredentials => client_credentials::exchange(idp, tenant, client, params),
        GrantType::DeviceCode => device_code::exchange(idp, tenant, client, params),
        GrantType::Password => password::exchange(idp, tenant, client, params, false),
        GrantType::PasswordRealm => password::exchange(idp, tenant, client, params, true),
        GrantType::RefreshToken => refresh_token::exchange(idp, tenant, client, params),
        GrantType::PasswordlessOtp => passwordless_otp::exchange(idp, tenant, client, params),
    }
}

/// The user and API a code or refresh token was granted for, as the tenant has them now: a
/// user or API removed since is `invalid` (the grant's own error); a user blocked since is
/// Auth0's 401.
fn still_granted<'t>(
    tenant: &'t TenantConfig,
    sub: &str,
    audience: Option<&str>,
    invalid: impl Fn() -> OAuthError,
) -> Result<(&'t User, Option<&'t Api>), OAuthError> {
    let user = tenant.user_by_sub(sub).ok_or_else(&invalid)?;
    if user.blocked {
        return Err(OAuthError::Unauthorized("user is blocked".into()));
    }
    let api = match audience {
        Some(aud) => Some(tenant.api(aud).ok_or_else(&invalid)?),
        None => None,
    };
    Ok((user, api))
}

/// The organization a code or refresh token was granted in, as the tenant has it now: one
/// deleted since, or that the user has left since, is `invalid`.
fn still_member<'t>(
    tenant: &'t TenantConfig,
    user: &User,
    org_id: Option<&str>,
    invalid: impl Fn() -> OAuthError,
) -> Result<Option<&'t Organization>, OAuthError> {
    let Some(org_id) = org_id else {
        return Ok(None);
    };
    tenant
        .organizations
        .iter()
        .find(|o| o.id() == org_id && o.member_entry(user).is_some())
        .map(Some)
        .ok_or_else(invalid)
}

/// The API a token is for: the `audience` parameter, else the tenant's default audience.
pub(crate) fn requested_api<'t>(
    tenant: &'t TenantConfig,
    params: &Params,
) -> Result<Option<&'t Api>, OAuthError> {
    match params
        .get("audience")
        .or(tenant.default_audience.as_deref())
    {
        None => Ok(None),
        Some(aud) => tenant
            .api(aud)
            .map(Some)
            .ok_or_else(|| OAuthError::AccessDenied(format!("Service not found: {aud}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grant_type_parses_from_its_own_wire_name() {
        for grant in GrantType::ALL {
            assert_eq!(GrantType::parse(grant.as_str()).unwrap(), grant);
        }
    }

    #[test]
    fn an_unknown_grant_type_is_unsupported_not_a_fallthrough() {
        let error = GrantType::parse("urn:ietf:params:oauth:grant-type:jwt-bearer").unwrap_err();
        assert_eq!(error.code(), "unsupported_grant_type");
        assert!(
            GrantType::parse("Password").is_err(),
            "names are case-sensitive"
        );
    }
}
