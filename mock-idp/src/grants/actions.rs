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
use crate::tenant::{
    Api, Client, DEFAULT_CONNECTION, Organization, PROFILE_TIME, TenantConfig, User,
};

/// Parameters that never reach an Action's `event.request`.
const SECRET_PARAMS: [&str; 5] = [
    "password",
    "client_secret",
    "client_assertion",
    "refresh_token",
    "code_verifier",
];

/// How the login's request came, for `event.request`: a token request's body, or an
/// authorization request's query.
pub(crate) enum LoginRequest<'a> {
    Token(&'a Params),
    Authorize(&'a [(String, String)]),
    /// A JSON or form body already read into fields (a sign-up, a Management API call).
    Body(&'a Map<String, Value>),
}

/// How post-login's `event.stats.logins_count` counts this login.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counted {
    /// Recorded only once the flow succeeds (the token endpoint's logins): the event's count
    /// includes it already, as Auth0's does.
    AfterTheFlow,
    /// Recorded already (a login at the login page), or not a login Auth0 counts (silent
    /// authentication with a session, a refresh-token exchange).
    Already,
}

/// What a user's login is about to issue, for post-login to shape.
pub(crate) struct Login<'a> {
    pub(crate) tenant: &'a TenantConfig,
    pub(crate) client: &'a Client,
    pub(crate) user: &'a User,
    pub(crate) api: Option<&'a Api>,
    /// The organization the user logs in through: `event.organization`.
    pub(crate) organization: Option<&'a Organization>,
    /// `event.transaction.protocol`: `oauth2-password`, `oidc-basic-profile`,
    /// `oauth2-refresh-token`, ...
    pub(crate) protocol: &'static str,
    pub(crate) request: LoginRequest<'a>,
    /// The rest of `event.transaction` (`prompt`, `redirect_uri`, `response_type`, ...).
    pub(crate) transaction: Map<String, Value>,
    pub(crate) counted: Counted,
    /// When the user last entered credentials: `event.authentication.methods[].timestamp`.
    pub(crate) auth_time: i64,
    /// How: `event.authentication.methods[].name` (`pwd`, or a passwordless `email` / `sms`).
    pub(crate) method: &'static str,
}

/// Runs post-login for a login granted `scope`; on success, what its Actions set (claims, the
/// access token's scope changes) for issuance.
pub(crate) fn post_login(
    idp: &Idp,
    login: &Login<'_>,
    scope: &[String],
) -> Result<ActionClaims, OAuthError> {
    let Login {
        tenant,
        client,
        user,
        api,
        organization,
        protocol,
        request,
        transaction,
        counted,
        auth_time,
        method,
    } = login;
    if !actions::any_for(&tenant.actions, Trigger::PostLogin) {
        return Ok(ActionClaims::default());
    }
    // The tenant's copy of a user has no login counts: `store::logins` keeps them.
    let merged = idp.logins.merged(user);
    let user: &User = &merged;
    let mut event = common_event(idp, Some(client), *api, request, scope);
    event["transaction"]["protocol"] = (*protocol).into();
    for (key, value) in transaction {
        event["transaction"][key] = value.clone();
    }
    event["user"] = user_event(idp, user);
    event["authorization"] = json!({ "roles": roles_in(user, *organization) });
    event["connection"] = connection_event();
    let logins_count = match counted {
        Counted::AfterTheFlow => user.logins_count.saturating_add(1),
        Counted::Already => user.logins_count,
    };
    event["stats"] = json!({ "logins_count": logins_count });
    event["authentication"] = json!({
        "methods": [{ "name": method, "timestamp": crate::clock::iso8601(*auth_time) }],
    });
    if let Some(org) = organization {
        event["organization"] = json!({
            "id": org.id(),
            "name": org.name,
            "display_name": org.display_name.as_deref().unwrap_or(&org.name),
            "metadata": org.metadata,
        });
    }
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
    Ok(ActionClaims {
        id_token: outcome.id_token_claims,
        access_token: outcome.access_token_claims,
        scopes_added: outcome.scopes_added,
        scopes_removed: outcome.scopes_removed,
    })
}

/// `event.authorization.roles`: in an organization, the roles the user holds as its member
/// (as their permissions there are those roles' only); otherwise the user's own.
fn roles_in(user: &User, organization: Option<&Organization>) -> Vec<String> {
    match organization {
        Some(org) => org
            .member_entry(user)
            .map(|m| m.roles.clone())
            .unwrap_or_default(),
        None => user.roles.clone(),
    }
}

/// `event.connection`: the tenant's one database connection.
pub(crate) fn connection_event() -> Value {
    json!({
        "id": "con_mock_idp",
        "name": DEFAULT_CONNECTION,
        "strategy": "auth0",
        "metadata": {},
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
    let mut event = common_event(
        idp,
        Some(client),
        Some(api),
        &LoginRequest::Token(params),
        scope,
    );
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
pub(crate) fn common_event(
    idp: &Idp,
    client: Option<&Client>,
    api: Option<&Api>,
    request: &LoginRequest<'_>,
    scope: &[String],
) -> Value {
    let public = |pairs: &mut dyn Iterator<Item = (&str, &str)>| -> Map<String, Value> {
        pairs
            .filter(|(name, _)| !SECRET_PARAMS.contains(name))
            .map(|(name, value)| (name.to_owned(), value.into()))
            .collect()
    };
    let (method, query, body) = match request {
        LoginRequest::Token(params) => ("POST", Map::new(), public(&mut params.iter())),
        LoginRequest::Authorize(pairs) => (
            "GET",
            public(&mut pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            Map::new(),
        ),
        LoginRequest::Body(fields) => {
            let mut body = (*fields).clone();
            body.retain(|name, _| !SECRET_PARAMS.contains(&name.as_str()));
            ("POST", Map::new(), body)
        }
    };
    let hostname = url::Url::parse(idp.issuer())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let mut event = json!({
        "request": {
            "method": method,
            "hostname": hostname,
            // A local mock: the caller is on this machine, and there is no GeoIP database.
            "ip": "127.0.0.1",
            "geoip": {},
            "query": query,
            "body": body,
            "language": "en",
        },
        "tenant": { "id": hostname },
        "transaction": { "requested_scopes": scope },
    });
    if let Some(client) = client {
        event["client"] = json!({
            "client_id": client.client_id,
            "name": client.name.clone().unwrap_or_else(|| client.client_id.clone()),
            "metadata": {},
        });
    }
    if let Some(api) = api {
        event["resource_server"] = json!({ "identifier": api.identifier });
    }
    event
}

/// `event.user`, as the Management API shows the user.
pub(crate) fn user_event(idp: &Idp, user: &User) -> Value {
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
pub(crate) fn save_metadata(idp: &Idp, user: &User, outcome: &Outcome) {
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

pub(crate) fn apply(target: &mut Map<String, Value>, changes: &Map<String, Value>) {
    for (key, value) in changes {
        if value.is_null() {
            target.remove(key);
        } else {
            target.insert(key.clone(), value.clone());
        }
    }
}
