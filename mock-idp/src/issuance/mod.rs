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
//! | `iat`, `exp` | now, now + `expires_in` | now, now + ID-token lifetime |
//! | `jti` | a fresh id | — |
//! | `nonce`, `auth_time`, `sid`, `at_hash` | — | when known |
//! | profile | — | `name nickname picture updated_at given_name family_name` with `profile`, `email email_verified` with `email` |
//! | custom | the user's and the client's namespaced claims | same |

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::engine::Idp;
use crate::store::refresh::RefreshGrant;
use crate::tenant::{Api, Client, TenantConfig, User};
use jws::{Claims, Signer};
use keys::{Algorithm, sha256};

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

/// A user's tokens: the access token, an ID token when `openid` was granted, and a refresh
/// token (continuing `refresh_family`, or starting one) when `offline_access` was.
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
    if let Some(sid) = &grant.sid {
        // Whatever the flow, a client that got tokens in a session hears when it ends.
        idp.sessions.note_client(sid, &client.client_id);
    }
    let openid = scope.iter().any(|s| s == "openid");
    let expires_in = access_lifetime(tenant, *api);
    let sub = user.sub();

    let aud: Value = match (api, openid) {
        (Some(api), true) => json!([api.identifier, idp.userinfo_audience()]),
        (Some(api), false) => api.identifier.clone().into(),
        (None, _) => idp.userinfo_audience().into(),
    };
    let (mut access, jti) = access_token::skeleton(
        idp,
        sub.clone(),
        aud,
        client.client_id.clone(),
        now,
        secs(expires_in),
    );
    access.insert("scope".into(), scope.join(" ").into());
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
        let mut id = id_token::skeleton(
            idp,
            sub.clone(),
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
        id.insert("at_hash".into(), at_hash(&access_token).into());
        id.extend(id_token::profile_claims(idp, user, scope));
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
        idp.refresh_tokens.insert(
            token.clone(),
            RefreshGrant {
                client_id: client.client_id.clone(),
                sub: sub.clone(),
                audience: api.map(|a| a.identifier.clone()),
                scope: scope.clone(),
                family,
                expires_at: now + secs(tenant.tokens.refresh_token),
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
