//! `grant_type=password` and Auth0's `http://auth0.com/oauth/grant-type/password-realm`
//! (Resource Owner Password, with a named connection).

use super::actions::{Counted, Login, LoginRequest, post_login};
use super::params::Params;
use super::requested_api;
use crate::engine::Idp;
use crate::error::OAuthError;
use crate::issuance::scopes::{split_scope, user_scopes};
use crate::issuance::{Issued, UserGrant, issue_for_user};
use crate::tenant::{Client, DEFAULT_CONNECTION, TenantConfig, WRONG_CREDENTIALS};

pub(super) fn exchange(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    params: &Params,
    realm_grant: bool,
) -> Result<Issued, OAuthError> {
    let username = params.require("username")?;
    let password = params.require("password")?;
    if realm_grant {
        let realm = params.require("realm")?;
        if realm != DEFAULT_CONNECTION {
            return Err(OAuthError::InvalidRequest(format!(
                "Unknown realm {realm}: this tenant has the connection {DEFAULT_CONNECTION}"
            )));
        }
    }
    let user = tenant
        .user_with_password(username, password)
        .ok_or_else(|| OAuthError::InvalidGrant(WRONG_CREDENTIALS.into()))?;
    if user.blocked {
        return Err(OAuthError::Unauthorized("user is blocked".into()));
    }
    let api = requested_api(tenant, params)?;
    let scope = user_scopes(tenant, user, api, &split_scope(params.get("scope")));
    let login = Login {
        tenant,
        client,
        user,
        api,
        organization: None,
        protocol: "oauth2-password",
        request: LoginRequest::Token(params),
        transaction: serde_json::Map::new(),
        counted: Counted::AfterTheFlow,
        auth_time: idp.clock.now(),
        method: "pwd",
    };
    let claims = post_login(idp, &login, &scope)?;
    idp.record_login(&user.sub());
    Ok(issue_for_user(
        idp,
        UserGrant {
            tenant,
            client,
            user,
            api,
            scope,
            nonce: None,
            auth_time: Some(idp.clock.now()),
            sid: None,
            gty: Some("password"),
            refresh_family: None,
        },
        &claims,
    ))
}
