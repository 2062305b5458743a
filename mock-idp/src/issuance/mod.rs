//! Token issuance: what goes into tokens (Auth0's access-token and ID-token profiles), how they
//! are signed ([`jws`], [`keys`]), the scope rules ([`scopes`]), and the back-channel logout
//! token ([`logout_token`]).
//!
//! | claim | access token | ID token |
//! |---|---|---|
//! | `iss` | issuer, with its trailing slash | same |
//! | `sub` | `auth0\|<id>`, or `<client_id>@clients` for client credentials | `auth0\|<id>` |
//! | `aud` | API identifier; `[api, <issuer>userinfo]` when `openid` was granted | the client id (a string) |
//! | `azp` | the client id | — |
//! | `scope` | granted scopes, space-separated | — |
//! | `permissions` | the user's (or client's) permissions on the API, when the API adds them | — |
//! | `gty` | `client-credentials` / `password` for those grants | — |
//! | `org_id`, `org_name` | the organization of the login (or of the client-credentials request); `org_name` when the tenant allows names | same, for a login |
//! | `iat`, `exp` | now, now + `expires_in` | now, now + ID-token lifetime |
//! | `jti` | a fresh id | — |
//! | `nonce`, `auth_time`, `sid` | — | when known |
//! | `at_hash`, `c_hash` | — | with an access token, a code from `/authorize` (left half of the `alg`'s SHA-2) |
//! | profile | — | `name nickname picture updated_at given_name family_name` with `profile`, `email email_verified` with `email` |
//! | custom | the user's and the client's namespaced claims | same |
//!
//! Without an API (no `audience` in the request, no `default_audience` in the tenant) the
//! user's access token is no JWT at all but an opaque random string that only `/userinfo`
//! accepts, as on Auth0 ([`crate::store::opaque`]). Client-credentials tokens always have an API.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

pub(crate) use crate::actions::ActionClaims;
use crate::engine::Idp;
use crate::store::issued::TokenUse;
use crate::store::opaque::OpaqueGrant;
use crate::store::refresh::RefreshGrant;
use crate::tenant::{Api, Client, Organization, TenantConfig, User};
use jws::{Claims, Signer};
use keys::Algorithm;

pub(crate) mod access_token;
pub(crate) mod builder;
pub(crate) mod id_token;
pub(crate) mod jws;
pub(crate) mod keys;
pub(crate) mod logout_token;
pub(crate) mod scopes;

/// Everything issued by one successful token request.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) id_token: Option<String>,
    pub(crate) refresh_token: Option<String>,
    pub(crate) scope: String,
    pub(crate) expires_in: u64,
    /// The access token's `jti`, so a redeemed-twice code can revoke it (`/userinfo`).
    pub(crate) jti: String,
}

impl Issued {
    pub(crate) fn to_json(&self) -> Value {
        let mut body = json!({
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "token_type": "Bearer",
        });
        if !self.scope.is_empty() {
            body["scope"] = self.scope.clone().into();
        }
        if let Some(id_token) = &self.id_token {
            body["id_token"] = id_token.clone().into();
        }
        if let Some(refresh_token) = &self.refresh_token {
            body["refresh_token"] = refresh_token.clone().into();
        }
        body
    }
}

/// A user's grant, from the password, authorization-code or refresh-token grants, or from
/// `/authorize` (implicit and hybrid flows).
pub(crate) struct UserGrant<'a> {
    pub(crate) tenant: &'a TenantConfig,
    pub(crate) client: &'a Client,
    pub(crate) user: &'a User,
    pub(crate) api: Option<&'a Api>,
    /// Already filtered by [`user_scopes`].
    pub(crate) scope: Vec<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) auth_time: Option<i64>,
    pub(crate) sid: Option<String>,
    pub(crate) gty: Option<&'static str>,
    /// Continue a refresh-token family (rotation) instead of starting one.
    pub(crate) refresh_family: Option<String>,
}

fn signer_for_api(idp: &Idp, api: Option<&Api>) -> Signer {
    match api {
        Some(Api {
            signing_alg: Some(Algorithm::HS256),
            signing_secret: Some(secret),
            ..
        }) => Signer::Hmac(secret.as_bytes().to_vec()),
        _ => Signer::Key(idp.active_key()),
    }
}

fn signer_for_client(idp: &Idp, client: &Client) -> Signer {
    match (&client.id_token_signing_alg, &client.client_secret) {
        (Some(Algorithm::HS256), Some(secret)) => Signer::Hmac(secret.as_bytes().to_vec()),
        _ => Signer::Key(idp.active_key()),
    }
}

fn access_lifetime(tenant: &TenantConfig, api: Option<&Api>) -> u64 {
    api.and_then(|a| a.token_lifetime)
        .unwrap_or(tenant.tokens.access_token)
}

fn secs(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX / 4)
}

/// `org_id`, and `org_name` when the tenant allows organization names (Auth0 adds it then).
fn organization_claims(claims: &mut Claims, tenant: &TenantConfig, org: Option<&Organization>) {
    if let Some(org) = org {
        claims.insert("org_id".into(), org.id().into());
        if tenant.allow_organization_name_in_authentication_api {
            claims.insert("org_name".into(), org.name.clone().into());
        }
    }
}

fn custom_claims(claims: &mut Claims, user: Option<&User>, client: &Client) {
    for (name, value) in user
        .into_iter()
        .flat_map(|u| u.claims.iter())
        .chain(client.claims.iter())
    {
        claims.insert(name.clone(), value.clone());
    }
}

/// `at_hash` / `c_hash` (OIDC Core 3.3.2.11): the left half of the hash that goes with the
/// ID token's `alg` (SHA-256 for `*256`, SHA-384 for `*384`, SHA-512 for `*512`), base64url.
fn token_hash(alg: &str, value: &str) -> String {
    let algorithm = if alg.ends_with("512") {
        &aws_lc_rs::digest::SHA512
    } else if alg.ends_with("384") {
        &aws_lc_rs::digest::SHA384
    } else {
        &aws_lc_rs::digest::SHA256
    };
    let digest = aws_lc_rs::digest::digest(algorithm, value.as_bytes());
    let digest = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// Claims Auth0 does not let an Action set ("restricted claims"): it ignores them silently.
const RESTRICTED_CLAIMS: [&str; 19] = [
    "acr",
    "amr",
    "at_hash",
    "aud",
    "auth_time",
    "azp",
    "c_hash",
    "cnf",
    "exp",
    "gty",
    "iat",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "org_id",
    "permissions",
    "scope",
    "sub",
];

fn action_claims(claims: &mut Claims, extra: &serde_json::Map<String, Value>) {
    for (name, value) in extra {
        if !RESTRICTED_CLAIMS.contains(&name.as_str()) {
            claims.insert(name.clone(), value.clone());
        }
    }
}

/// An access token and what revocation and the response need of it.
struct AccessToken {
    token: String,
    jti: String,
    expires_in: u64,
}

/// Whatever the flow, a client that got tokens in a session hears when it ends (back-channel
/// logout), so every user-facing issuance notes it here.
fn note_session_client(idp: &Idp, grant: &UserGrant<'_>) {
    if let Some(sid) = &grant.sid {
        idp.sessions.note_client(sid, &grant.client.client_id);
    }
}

/// The user's access token: a JWT for the API, or, when the grant names no API, an opaque
/// string only `/userinfo` accepts (what Auth0 issues without an audience; [`crate::store::opaque`]).
fn access_token(
    idp: &Idp,
    grant: &UserGrant<'_>,
    org: Option<&Organization>,
    now: i64,
    extra: &ActionClaims,
) -> AccessToken {
    let UserGrant {
        tenant,
        client,
        user,
        api,
        scope: granted,
        ..
    } = grant;
    let scope = &extra.access_scope(granted);
    let expires_in = access_lifetime(tenant, *api);
    let Some(api) = *api else {
        let token = idp.ids.next("at");
        let jti = idp.ids.next("jti");
        idp.opaque_tokens.insert(
            token.clone(),
            OpaqueGrant {
                sub: user.sub(),
                client_id: client.client_id.clone(),
                scope: scope.clone(),
                jti: jti.clone(),
                sid: grant.sid.clone(),
                issued_at: now,
                expires_at: now.saturating_add(secs(expires_in)),
            },
        );
        return AccessToken {
            token,
            jti,
            expires_in,
        };
    };
    let aud: Value = if scope.iter().any(|s| s == "openid") {
        json!([api.identifier, idp.userinfo_audience()])
    } else {
        api.identifier.clone().into()
    };
    let (mut access, jti) = access_token::skeleton(
        idp,
        user.sub(),
        aud,
        client.client_id.clone(),
        now,
        secs(expires_in),
    );
    access.insert("scope".into(), scope.join(" ").into());
    if let Some(gty) = grant.gty {
        access.insert("gty".into(), gty.into());
    }
    if api.adds_permissions() {
        access.insert(
            "permissions".into(),
            json!(tenant.permissions_in(user, api, org)),
        );
    }
    organization_claims(&mut access, tenant, org);
    custom_claims(&mut access, Some(user), client);
    action_claims(&mut access, &extra.access_token);
    let signer = signer_for_api(idp, Some(api));
    AccessToken {
        token: jws::encode(&jws::header_for(&signer), &access, &signer),
        jti,
        expires_in,
    }
}

/// The user's ID token; `hashed` are the values it vouches for (`at_hash`, `c_hash`).
fn id_token(
    idp: &Idp,
    grant: &UserGrant<'_>,
    org: Option<&Organization>,
    now: i64,
    hashed: &[(&'static str, Option<&str>)],
    extra: &serde_json::Map<String, Value>,
) -> String {
    let UserGrant {
        tenant,
        client,
        user,
        scope,
        ..
    } = grant;
    let mut id = id_token::skeleton(
        idp,
        user.sub(),
        client.client_id.clone(),
        now,
        secs(tenant.tokens.id_token),
    );
    if let Some(nonce) = &grant.nonce {
        id.insert("nonce".into(), nonce.clone().into());
    }
    if let Some(auth_time) = grant.auth_time {
        id.insert("auth_time".into(), auth_time.into());
    }
    if let Some(sid) = &grant.sid {
        id.insert("sid".into(), sid.clone().into());
    }
    let signer = signer_for_client(idp, client);
    for (claim, value) in hashed {
        if let Some(value) = value {
            id.insert((*claim).into(), token_hash(signer.alg(), value).into());
        }
    }
    id.extend(id_token::profile_claims(idp, user, scope));
    organization_claims(&mut id, tenant, org);
    custom_claims(&mut id, Some(user), client);
    action_claims(&mut id, extra);
    jws::encode(&jws::header_for(&signer), &id, &signer)
}

/// A user's tokens at the token endpoint: the access token, an ID token when `openid` was
/// granted, and a refresh token (continuing `refresh_family`, or starting one) when
/// `offline_access` was; with the claims a post-login flow added (`extra`).
///
/// Every token a user gets is made here or in [`issue_at_authorize`], from the same parts.
pub(crate) fn issue_for_user(idp: &Idp, grant: UserGrant<'_>, extra: &ActionClaims) -> Issued {
    issue_for_member(idp, grant, None, extra)
}

/// [`issue_for_user`] for a login through `org`: `org_id` (and maybe `org_name`) in the ID
/// and access tokens, the permissions of the user's roles there, and a refresh token that
/// keeps the organization; with the claims a post-login flow added (`extra`).
pub(crate) fn issue_for_member(
    idp: &Idp,
    grant: UserGrant<'_>,
    org: Option<&Organization>,
    extra: &ActionClaims,
) -> Issued {
    let now = idp.clock.now();
    let UserGrant {
        tenant,
        client,
        user,
        api,
        scope,
        ..
    } = &grant;
    note_session_client(idp, &grant);
    let access = access_token(idp, &grant, org, now, extra);
    let id_token = scope.iter().any(|s| s == "openid").then(|| {
        id_token(
            idp,
            &grant,
            org,
            now,
            &[("at_hash", Some(access.token.as_str()))],
            &extra.id_token,
        )
    });

    let wants_refresh =
        scope.iter().any(|s| s == "offline_access") && client.allows_grant("refresh_token");
    let refresh_token = wants_refresh.then(|| {
        let token = idp.ids.next("rt");
        let family = grant
            .refresh_family
            .clone()
            .unwrap_or_else(|| token.clone());
        idp.refresh_tokens.insert(
            token.clone(),
            RefreshGrant {
                client_id: client.client_id.clone(),
                sub: user.sub(),
                audience: api.map(|a| a.identifier.clone()),
                scope: scope.clone(),
                family,
                expires_at: now + secs(tenant.tokens.refresh_token),
                auth_time: grant.auth_time,
                sid: grant.sid.clone(),
                organization: org.map(Organization::id),
            },
        );
        token
    });

    Issued {
        access_token: access.token,
        id_token,
        refresh_token,
        scope: extra.access_scope(scope).join(" "),
        expires_in: access.expires_in,
        jti: access.jti,
    }
}

/// What an implicit or hybrid `/authorize` response carries besides the code.
#[derive(Debug)]
pub(crate) struct FrontChannel {
    /// With `token`: the access token and its lifetime.
    access_token: Option<(String, u64)>,
    /// With `id_token`.
    id_token: Option<String>,
    scope: String,
}

impl FrontChannel {
    /// The response parameters, as Auth0 sends them: `access_token`, `token_type`,
    /// `expires_in`, `scope` with a token, `id_token` with an ID token. Never a refresh token.
    pub(crate) fn into_params(self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some((token, expires_in)) = self.access_token {
            params.push(("access_token", token));
            params.push(("token_type", "Bearer".to_owned()));
            params.push(("expires_in", expires_in.to_string()));
            params.push(("scope", self.scope));
        }
        if let Some(id_token) = self.id_token {
            params.push(("id_token", id_token));
        }
        params
    }

    /// The tokens, for the inspector.
    pub(crate) fn tokens(&self) -> impl Iterator<Item = (TokenUse, &str)> {
        let access = self
            .access_token
            .as_ref()
            .map(|(t, _)| (TokenUse::Access, t.as_str()));
        let id = self.id_token.as_deref().map(|t| (TokenUse::Id, t));
        access.into_iter().chain(id)
    }
}

/// A user's tokens straight from `/authorize` (implicit and hybrid flows): an access token if
/// `token` was asked for, an ID token if `id_token` was, hashing the access token (`at_hash`)
/// and the `code` handed out with it (`c_hash`).
pub(crate) fn issue_at_authorize(
    idp: &Idp,
    grant: UserGrant<'_>,
    token: bool,
    with_id_token: bool,
    code: Option<&str>,
    org: Option<&Organization>,
    extra: &ActionClaims,
) -> FrontChannel {
    let now = idp.clock.now();
    note_session_client(idp, &grant);
    let access = token.then(|| access_token(idp, &grant, org, now, extra));
    let id_token = with_id_token.then(|| {
        id_token(
            idp,
            &grant,
            org,
            now,
            &[
                ("at_hash", access.as_ref().map(|a| a.token.as_str())),
                ("c_hash", code),
            ],
            &extra.id_token,
        )
    });
    FrontChannel {
        access_token: access.map(|a| (a.token, a.expires_in)),
        id_token,
        scope: extra.access_scope(&grant.scope).join(" "),
    }
}

/// A client-credentials token: `sub` is `<client_id>@clients`, `aud` the API (a string); with
/// `org`, `org_id` (and maybe `org_name`), as Auth0's Machine-to-Machine Access for
/// Organizations adds them, and the claims a credentials-exchange flow added (`extra`).
pub(crate) fn issue_for_client(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    api: &Api,
    scope: &[String],
    org: Option<&Organization>,
    extra: &serde_json::Map<String, Value>,
) -> Issued {
    let now = idp.clock.now();
    let expires_in = access_lifetime(tenant, Some(api));
    let (mut access, jti) = access_token::skeleton(
        idp,
        format!("{}@clients", client.client_id),
        api.identifier.clone().into(),
        client.client_id.clone(),
        now,
        secs(expires_in),
    );
    access.insert("scope".into(), scope.join(" ").into());
    access.insert("gty".into(), "client-credentials".into());
    if api.adds_permissions() {
        access.insert("permissions".into(), json!(scope));
    }
    organization_claims(&mut access, tenant, org);
    custom_claims(&mut access, None, client);
    action_claims(&mut access, extra);
    let signer = signer_for_api(idp, Some(api));
    Issued {
        access_token: jws::encode(&jws::header_for(&signer), &access, &signer),
        id_token: None,
        refresh_token: None,
        scope: scope.join(" "),
        expires_in,
        jti,
    }
}
