//! The token endpoint's Action flows: post-login for a user's grant, credentials-exchange
//! for a machine's, run after every other check and before anything is spent or issued.
//!
//! Each builds Auth0's `event` for its trigger from what the grant knows, runs the tenant's
//! Actions ([`crate::actions::run`]) and turns the outcome into what the grant issues (claims,
//! scopes) or answers (a denial, a failure: Auth0's `access_denied` with the reason). The one
//! change a refused login keeps is metadata: Auth0 documents that `api.access.deny` does not
//! cancel `api.user.setAppMetadata`.

use serde_json::{Map, Value, json};

use super::params::Params;
use crate::actions::{self, Outcome, Trigger};
use crate::engine::Idp;
use crate::error::OAuthError;
use crate::issuance::ActionClaims;
use crate::issuance::id_token::default_picture;
use crate::tenant::{Api, Client, DEFAULT_CONNECTION, PROFILE_TIME, TenantConfig, User};

/// Parameters that never reach an Action's `event.request.body`.
const SECRET_PARAMS: [&str; 5] = [
    "password",
    "client_secret",
    "client_assertion",
    "refresh_token",
    "code_verifier",
];

/// What a user's grant is about to issue, for post-login to shape.
pub(super) struct Login<'a> {
    pub(super) tenant: &'a TenantConfig,
    pub(super) client: &'a Client,
    pub(super) user: &'a User,
    pub(super) api: Option<&'a Api>,
    /// `event.transaction.protocol`: `oauth2-password`, `oidc-basic-profile`, ...
    pub(super) protocol: &'static str,
    pub(super) params: &'a Params,
}

/// Runs post-login; on success, `scope` has the Actions' scope changes and the claims are
/// returned for issuance.
pub(super) fn post_login(
    idp: &Idp,
    login: &Login<'_>,
    scope: &mut Vec<String>,
) -> Result<ActionClaims, OAuthError> {
    let Login {
        tenant,
        client,
        user,
        api,
        protocol,
        params,
    } = login;
    if !actions::any_for(&tenant.actions, Trigger::PostLogin) {
        return Ok(ActionClaims::default());
    }
    // The tenant's copy of a user has no login counts: `store::logins` keeps them.
    let merged = idp.logins.merged(user);
    let user: &User = &merged;
    let mut event = common_event(idp, client, *api, params, scope);
    event["transaction"]["protocol"] = (*protocol).into();
    event["user"] = user_event(idp, user);
    event["authorization"] = json!({ "roles": user.roles });
    event["connection"] = json!({
        "id": "con_mock_idp",
        "name": DEFAULT_CONNECTION,
        "strategy": "auth0",
        "metadata": {},
    });
    event["stats"] = json!({ "logins_count": user.logins_count.saturating_add(1) });
    event["authentication"] = json!({
        "methods": [{ "name": "pwd", "timestamp": crate::clock::iso8601(idp.clock.now()) }],
    });
    let outcome = actions::run(
        &tenant.actions,
        Trigger::PostLogin,
        &event,
        tenant.action_timeout,
    )
    .map_err(|e| OAuthError::AccessDenied(e.to_string()))?;
    save_metadata(idp, user, &outcome);
    if let Some(denied) = &outcome.denied {
        return Err(OAuthError::AccessDenied(denied.reason.clone()));
    }
    for added in &outcome.scopes_added {
        if !scope.contains(added) {
            scope.push(added.clone());
        }
    }
    scope.retain(|s| !outcome.scopes_removed.contains(s));
    Ok(ActionClaims {
        id_token: outcome.id_token_claims,
        access_token: outcome.access_token_claims,
    })
}

/// Runs credentials-exchange for a client-credentials token; the claims it set.
pub(super) fn credentials_exchange(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    api: &Api,
    scope: &[String],
    params: &Params,
) -> Result<Map<String, Value>, OAuthError> {
    if !actions::any_for(&tenant.actions, Trigger::CredentialsExchange) {
        return Ok(Map::new());
    }
    let mut event = common_event(idp, client, Some(api), params, scope);
    event["accessToken"] = json!({ "scope": scope, "customClaims": {} });
    let outcome = actions::run(
        &tenant.actions,
        Trigger::CredentialsExchange,
        &event,
        tenant.action_timeout,
    )
    .map_err(|e| OAuthError::AccessDenied(e.to_string()))?;
    if let Some(denied) = outcome.denied {
        let reason = denied.reason;
        // Auth0 lets the Action choose among these OAuth codes; anything else is a denial.
        return Err(match denied.code.as_deref() {
            Some("invalid_scope") => OAuthError::InvalidScope(reason),
            Some("invalid_request") => OAuthError::InvalidRequest(reason),
            Some("server_error") => OAuthError::Authorization("server_error", reason),
            _ => OAuthError::AccessDenied(reason),
        });
    }
    Ok(outcome.access_token_claims)
}

/// What every trigger's event has: the client, the request, the tenant, the API.
fn common_event(
    idp: &Idp,
    client: &Client,
    api: Option<&Api>,
    params: &Params,
    scope: &[String],
) -> Value {
    let body: Map<String, Value> = params
        .iter()
        .filter(|(name, _)| !SECRET_PARAMS.contains(name))
        .map(|(name, value)| (name.to_owned(), value.into()))
        .collect();
    let hostname = url::Url::parse(idp.issuer())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let mut event = json!({
        "client": {
            "client_id": client.client_id,
            "name": client.name.clone().unwrap_or_else(|| client.client_id.clone()),
            "metadata": {},
        },
        "request": {
            "method": "POST",
            "hostname": hostname,
            // A local mock: the caller is on this machine, and there is no GeoIP database.
            "ip": "127.0.0.1",
            "geoip": {},
            "query": {},
            "body": body,
            "language": "en",
        },
        "tenant": { "id": hostname },
        "transaction": { "requested_scopes": scope },
    });
    if let Some(api) = api {
        event["resource_server"] = json!({ "identifier": api.identifier });
    }
    event
}

/// `event.user`, as the Management API shows the user.
fn user_event(idp: &Idp, user: &User) -> Value {
    let mut out = json!({
        "user_id": user.sub(),
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.display_name(),
        "nickname": user.nickname_or_default(),
        "picture": user.picture.clone().unwrap_or_else(|| default_picture(idp, user)),
        "identities": user.identities(),
        "app_metadata": user.app_metadata,
        "user_metadata": user.user_metadata,
        "created_at": user.created_at.as_deref().unwrap_or(PROFILE_TIME),
        "updated_at": user.updated_at.as_deref().unwrap_or(PROFILE_TIME),
    });
    for (key, value) in [
        ("given_name", &user.given_name),
        ("family_name", &user.family_name),
        ("last_login", &user.last_login),
    ] {
        if let Some(value) = value {
            out[key] = value.clone().into();
        }
    }
    out
}

/// `api.user.setAppMetadata` / `setUserMetadata`, persisted (visible through the Management
/// API); `null` removes a key, as on Auth0.
fn save_metadata(idp: &Idp, user: &User, outcome: &Outcome) {
    if outcome.app_metadata.is_empty() && outcome.user_metadata.is_empty() {
        return;
    }
    let sub = user.sub();
    idp.update_tenant(|tenant| {
        if let Some(user) = tenant.users.iter_mut().find(|u| u.has_sub(&sub)) {
            apply(&mut user.app_metadata, &outcome.app_metadata);
            apply(&mut user.user_metadata, &outcome.user_metadata);
        }
    });
}

fn apply(target: &mut Map<String, Value>, changes: &Map<String, Value>) {
    for (key, value) in changes {
        if value.is_null() {
            target.remove(key);
        } else {
            target.insert(key.clone(), value.clone());
        }
    }
}
