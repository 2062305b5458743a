//! What goes into tokens: Auth0's access-token and ID-token profiles, and the scope rules that
//! decide which scopes a user or client is granted.
//!
//! | claim | access token | ID token |
//! |---|---|---|
//! | `iss` | issuer, with its trailing slash | same |
//! | `sub` | `auth0|<id>`, or `<client_id>@clients` for client credentials | `auth0|<id>` |
//! | `aud` | API identifier; `[api, <issuer>userinfo]` when `openid` was granted | the client id (a string) |
//! | `azp` | the client id | — |
//! | `scope` | granted scopes, space-separated | — |
//! | `permissions` | the user's (or client's) permissions on the API, when the API adds them | — |
//! | `gty` | `client-credentials` / `password` for those grants | — |
//! | `iat`, `exp` | now, now + `expires_in` | now, now + ID-token lifetime |
//! | `jti` | a fresh id | — |
//! | `nonce`, `auth_time`, `sid`, `at_hash` | — | when known |
//! | profile | — | `name nickname picture updated_at given_name family_name` with `profile`, `email email_verified` with `email` |
//! | custom | the user's and the client's namespaced claims | same |

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::engine::{Idp, RefreshGrant};
use crate::issuance::jws::{self, Claims, Signer};
use crate::issuance::keys::{Algorithm, sha256};
use crate::tenant::{Api, Client, TenantConfig, User};

/// Scopes defined by OpenID Connect rather than by an API.
pub(crate) const OIDC_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// Fixed so tokens are byte-stable; Auth0 writes when the profile last changed.
const UPDATED_AT: &str = "2026-01-01T00:00:00.000Z";

pub(crate) fn split_scope(scope: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.unwrap_or_default().split_ascii_whitespace() {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// The scopes a user gets: OIDC scopes as asked, API scopes as asked but only those the API
/// defines, and under RBAC only those the user holds. Auth0 drops the rest silently.
pub(crate) fn user_scopes(
    tenant: &TenantConfig,
    user: &User,
    api: Option<&Api>,
    requested: &[String],
) -> Vec<String> {
    let held = api.map(|api| tenant.permissions_for(user, api));
    requested
        .iter()
        .filter(|s| {
            if OIDC_SCOPES.contains(&s.as_str()) {
                return s.as_str() != "offline_access"
                    || api.is_none_or(|api| api.allow_offline_access);
            }
            match (api, &held) {
                (Some(api), Some(held)) => {
                    api.permissions.contains(s) && (!api.rbac || held.contains(s))
                }
                _ => false,
            }
        })
        .cloned()
        .collect()
}

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

/// A user's grant, from the password, authorization-code or refresh-token grants.
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

/// The avatar the mock serves for users without a picture, so pages work offline.
pub(crate) fn default_picture(idp: &Idp, user: &User) -> String {
    let sub: String = url::form_urlencoded::byte_serialize(user.sub().as_bytes()).collect();
    idp.public_url(&format!("avatars/{sub}.svg"))
}

/// Profile claims for the OIDC scopes granted.
pub(crate) fn profile_claims(idp: &Idp, user: &User, scope: &[String]) -> Claims {
    let mut claims = Claims::new();
    let has = |s: &str| scope.iter().any(|x| x == s);
    if has("profile") {
        claims.insert("name".into(), user.display_name().into());
        claims.insert("nickname".into(), user.nickname_or_default().into());
        claims.insert(
            "picture".into(),
            user.picture
                .clone()
                .unwrap_or_else(|| default_picture(idp, user))
                .into(),
        );
        claims.insert("updated_at".into(), UPDATED_AT.into());
        if let Some(given) = &user.given_name {
            claims.insert("given_name".into(), given.clone().into());
        }
        if let Some(family) = &user.family_name {
            claims.insert("family_name".into(), family.clone().into());
        }
    }
    if has("email") {
        claims.insert("email".into(), user.email.clone().into());
        claims.insert("email_verified".into(), user.email_verified.into());
    }
    claims
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

/// `at_hash`: the left half of SHA-256 of the access token (OIDC Core 3.1.3.6).
fn at_hash(access_token: &str) -> String {
    let digest = sha256(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

pub(crate) fn issue_for_user(idp: &Idp, grant: UserGrant<'_>) -> Issued {
    let now = idp.clock.now();
    let UserGrant {
        tenant,
        client,
        user,
        api,
        scope,
        ..
    } = &grant;
    let openid = scope.iter().any(|s| s == "openid");
    let expires_in = access_lifetime(tenant, *api);
    let sub = user.sub();

    let mut access = Claims::new();
    access.insert("iss".into(), idp.issuer.clone().into());
    access.insert("sub".into(), sub.clone().into());
    let aud: Value = match (api, openid) {
        (Some(api), true) => json!([api.identifier, idp.userinfo_audience()]),
        (Some(api), false) => api.identifier.clone().into(),
        (None, _) => idp.userinfo_audience().into(),
    };
    access.insert("aud".into(), aud);
    access.insert("iat".into(), now.into());
    access.insert("exp".into(), (now + secs(expires_in)).into());
    access.insert("scope".into(), scope.join(" ").into());
    access.insert("azp".into(), client.client_id.clone().into());
    let jti = idp.ids.next("jti");
    access.insert("jti".into(), jti.clone().into());
    if let Some(gty) = grant.gty {
        access.insert("gty".into(), gty.into());
    }
    if let Some(api) = api.filter(|a| a.adds_permissions()) {
        access.insert(
            "permissions".into(),
            json!(tenant.permissions_for(user, api)),
        );
    }
    custom_claims(&mut access, Some(user), client);
    let signer = signer_for_api(idp, *api);
    let access_token = jws::encode(&jws::header_for(&signer), &access, &signer);

    let id_token = openid.then(|| {
        let mut id = Claims::new();
        id.insert("iss".into(), idp.issuer.clone().into());
        id.insert("sub".into(), sub.clone().into());
        id.insert("aud".into(), client.client_id.clone().into());
        id.insert("iat".into(), now.into());
        id.insert("exp".into(), (now + secs(tenant.tokens.id_token)).into());
        if let Some(nonce) = &grant.nonce {
            id.insert("nonce".into(), nonce.clone().into());
        }
        if let Some(auth_time) = grant.auth_time {
            id.insert("auth_time".into(), auth_time.into());
        }
        if let Some(sid) = &grant.sid {
            id.insert("sid".into(), sid.clone().into());
        }
        id.insert("at_hash".into(), at_hash(&access_token).into());
        id.extend(profile_claims(idp, user, scope));
        custom_claims(&mut id, Some(user), client);
        let signer = signer_for_client(idp, client);
        jws::encode(&jws::header_for(&signer), &id, &signer)
    });

    let wants_refresh =
        scope.iter().any(|s| s == "offline_access") && client.allows_grant("refresh_token");
    let refresh_token = wants_refresh.then(|| {
        let token = idp.ids.next("rt");
        let family = grant
            .refresh_family
            .clone()
            .unwrap_or_else(|| token.clone());
        idp.grants
            .refresh
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                token.clone(),
                RefreshGrant {
                    client_id: client.client_id.clone(),
                    sub: sub.clone(),
                    audience: api.map(|a| a.identifier.clone()),
                    scope: scope.clone(),
                    family,
                    expires_at: now + secs(tenant.tokens.refresh_token),
                    used: false,
                    auth_time: grant.auth_time,
                    sid: grant.sid.clone(),
                },
            );
        token
    });

    Issued {
        access_token,
        id_token,
        refresh_token,
        scope: scope.join(" "),
        expires_in,
        jti,
    }
}

/// A client-credentials token: `sub` is `<client_id>@clients`, `aud` the API (a string).
pub(crate) fn issue_for_client(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    api: &Api,
    scope: &[String],
) -> Issued {
    let now = idp.clock.now();
    let expires_in = access_lifetime(tenant, Some(api));
    let mut access = Claims::new();
    access.insert("iss".into(), idp.issuer.clone().into());
    access.insert("sub".into(), format!("{}@clients", client.client_id).into());
    access.insert("aud".into(), api.identifier.clone().into());
    access.insert("iat".into(), now.into());
    access.insert("exp".into(), (now + secs(expires_in)).into());
    access.insert("scope".into(), scope.join(" ").into());
    access.insert("azp".into(), client.client_id.clone().into());
    let jti = idp.ids.next("jti");
    access.insert("jti".into(), jti.clone().into());
    access.insert("gty".into(), "client-credentials".into());
    if api.adds_permissions() {
        access.insert("permissions".into(), json!(scope));
    }
    custom_claims(&mut access, None, client);
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
