//! Minting tokens directly, good or deliberately bad, without going through a grant.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::claims::profile_claims;
use crate::config::AppType;
use crate::jwt::{self, Claims, Signer};
use crate::keys::{Algorithm, foreign_key};
use crate::state::Idp;

/// Which kind of token to mint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// An access token for an API (the default).
    #[default]
    Access,
    /// An ID token for a client.
    Id,
}

/// How the minted token is signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Signing {
    /// The active published key (a valid signature).
    #[default]
    Active,
    /// A key that is not in the JWKS, under the active key's `kid`.
    ForeignKey,
    /// No signature, header `alg: "none"`.
    None,
    /// HS256 keyed with the active public key's PEM (the classic key-confusion attack).
    Hs256PublicKey,
    /// HS256 keyed with these bytes (other confusion variants: the key's DER, its JWK
    /// JSON, the PEM without its trailing newline; or a client secret).
    #[serde(skip)]
    Hs256Secret(Vec<u8>),
}

/// Builds one token. Get one from [`MockIdp::token`](crate::MockIdp::token).
///
/// Defaults: an access token from the issuer for the tenant's first user (`auth0|alice`),
/// audience the first API (`https://sample-api`), `azp` the first SPA client (`sample-spa`),
/// issued now by the mock clock and valid for the access-token lifetime, no `scope`, signed
/// RS256 by the active key with header `{alg, typ: "JWT", kid}`. Every call below overrides
/// one piece; a claim or header set to `null` is removed.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use serde_json::json;
/// let idp = mock_idp::MockIdp::start().await;
///
/// let good = idp.token().subject("auth0|alice").audience("https://sample-api").scope("read:messages").sign();
/// let expired = idp.token().expired().sign();
/// let forged = idp.token().signed_by_foreign_key().sign();
/// let confused = idp.token().hs256_with_public_key().sign();
/// let unsigned = idp.token().alg_none().sign();
/// let odd = idp.token().claim("exp", json!("9999999999")).header("jku", json!("http://evil/jwks")).sign();
/// assert_eq!(good.split('.').count(), 3);
/// assert!(unsigned.ends_with('.'));
/// # let _ = (expired, forged, confused, odd);
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a TokenBuilder does nothing until `.sign()` is called"]
pub struct TokenBuilder {
    idp: Arc<Idp>,
    kind: TokenKind,
    header: Claims,
    claims: Claims,
    signing: Signing,
}

impl TokenBuilder {
    pub(crate) fn new(idp: Arc<Idp>) -> Self {
        Self {
            idp,
            kind: TokenKind::Access,
            header: Claims::new(),
            claims: Claims::new(),
            signing: Signing::Active,
        }
    }

    /// Builds from the control API's `{"kind", "claims", "header", "signing"}`.
    pub(crate) fn from_parts(
        idp: Arc<Idp>,
        kind: TokenKind,
        header: Claims,
        claims: Claims,
        signing: Signing,
    ) -> Self {
        Self {
            idp,
            kind,
            header,
            claims,
            signing,
        }
    }

    /// Mints an ID token instead of an access token.
    pub fn id_token(mut self) -> Self {
        self.kind = TokenKind::Id;
        self
    }

    /// Mints an access token (the default).
    pub fn access_token(mut self) -> Self {
        self.kind = TokenKind::Access;
        self
    }

    /// Sets any claim; `Value::Null` removes it.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a claim the defaults would add (e.g. `exp`).
    pub fn without_claim(self, name: impl Into<String>) -> Self {
        self.claim(name, Value::Null)
    }

    /// Sets any header parameter; `Value::Null` removes it.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.header.insert(name.into(), value.into());
        self
    }

    /// `sub`.
    pub fn subject(self, sub: impl Into<String>) -> Self {
        self.claim("sub", sub.into())
    }

    /// `aud` as a string.
    pub fn audience(self, aud: impl Into<String>) -> Self {
        self.claim("aud", aud.into())
    }

    /// `aud` as an array.
    pub fn audiences<I, S>(self, auds: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let auds: Vec<String> = auds.into_iter().map(Into::into).collect();
        self.claim("aud", json!(auds))
    }

    /// `iss`.
    pub fn issuer(self, iss: impl Into<String>) -> Self {
        self.claim("iss", iss.into())
    }

    /// `scope`, space-separated.
    pub fn scope(self, scope: impl Into<String>) -> Self {
        self.claim("scope", scope.into())
    }

    /// `permissions` array.
    pub fn permissions<I, S>(self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let permissions: Vec<String> = permissions.into_iter().map(Into::into).collect();
        self.claim("permissions", json!(permissions))
    }

    /// `azp`.
    pub fn azp(self, client_id: impl Into<String>) -> Self {
        self.claim("azp", client_id.into())
    }

    /// `nonce` (ID tokens).
    pub fn nonce(self, nonce: impl Into<String>) -> Self {
        self.claim("nonce", nonce.into())
    }

    fn now(&self) -> i64 {
        self.idp.clock.now()
    }

    /// Issued two hours ago, expired one hour ago: past any validator's leeway.
    pub fn expired(self) -> Self {
        let now = self.now();
        self.claim("iat", now - 7_200).claim("exp", now - 3_600)
    }

    /// `exp` = now + `lifetime`.
    pub fn expires_in(self, lifetime: Duration) -> Self {
        let exp = self.now() + secs(lifetime);
        self.claim("exp", exp)
    }

    /// `exp` at an absolute Unix time.
    pub fn expires_at(self, unix_seconds: i64) -> Self {
        self.claim("exp", unix_seconds)
    }

    /// `iat` at an absolute Unix time.
    pub fn issued_at(self, unix_seconds: i64) -> Self {
        self.claim("iat", unix_seconds)
    }

    /// `nbf` = now + `delay`: not valid yet.
    pub fn not_before_in(self, delay: Duration) -> Self {
        let nbf = self.now() + secs(delay);
        self.claim("nbf", nbf)
    }

    /// Header `kid`.
    pub fn kid(self, kid: impl Into<String>) -> Self {
        self.header("kid", kid.into())
    }

    /// A `kid` no JWKS has ever had.
    pub fn unknown_kid(self) -> Self {
        self.kid("unknown-kid-0000")
    }

    /// No `kid` in the header.
    pub fn without_kid(self) -> Self {
        self.header("kid", Value::Null)
    }

    /// Unsigned: `alg: "none"` and an empty signature.
    pub fn alg_none(mut self) -> Self {
        self.signing = Signing::None;
        self
    }

    /// HS256 with the active public key (PEM) as the HMAC secret.
    pub fn hs256_with_public_key(mut self) -> Self {
        self.signing = Signing::Hs256PublicKey;
        self
    }

    /// HS256 with `secret` as the HMAC key, under the active key's `kid`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().hs256_with_secret(b"client-secret").sign();
    /// let header: serde_json::Value = serde_json::from_slice(
    ///     &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, token.split('.').next().unwrap()).unwrap(),
    /// ).unwrap();
    /// assert_eq!(header["alg"], "HS256");
    /// # }
    /// ```
    pub fn hs256_with_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.signing = Signing::Hs256Secret(secret.as_ref().to_vec());
        self
    }

    /// A valid-looking RS256 signature by a key the JWKS does not publish.
    pub fn signed_by_foreign_key(mut self) -> Self {
        self.signing = Signing::ForeignKey;
        self
    }

    /// Signs the token.
    pub fn sign(self) -> String {
        let idp = &self.idp;
        let active = idp.active_key();
        let signer = match &self.signing {
            Signing::Active => Signer::Key(Arc::clone(&active)),
            Signing::ForeignKey => Signer::Key(foreign_key(active.alg())),
            Signing::None => Signer::Unsigned,
            Signing::Hs256PublicKey => Signer::Hmac(active.public_key_pem().as_bytes().to_vec()),
            Signing::Hs256Secret(secret) => Signer::Hmac(secret.clone()),
        };
        let mut header = jwt::header_for(&signer);
        if matches!(
            self.signing,
            Signing::ForeignKey | Signing::Hs256PublicKey | Signing::Hs256Secret(_) | Signing::None
        ) {
            // Attacks borrow the real kid so that only the signature gives them away.
            header.insert("kid".into(), active.kid().into());
        }
        if matches!(signer, Signer::Key(ref k) if k.alg() == Algorithm::ES256) {
            header.insert("alg".into(), "ES256".into());
        }
        merge(&mut header, self.header.clone());
        let mut claims = self.defaults();
        merge(&mut claims, self.claims.clone());
        jwt::encode(&header, &claims, &signer)
    }

    fn defaults(&self) -> Claims {
        let idp = &self.idp;
        let tenant = idp.tenant();
        let now = idp.clock.now();
        let sub = self
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| tenant.users.first().map(crate::User::sub))
            .unwrap_or_else(|| "auth0|test-user".into());
        let client_id = tenant
            .clients
            .iter()
            .find(|c| c.app_type == AppType::Spa)
            .or(tenant.clients.first())
            .map(|c| c.client_id.clone())
            .unwrap_or_else(|| "mock-client".into());
        let mut claims = Claims::new();
        claims.insert("iss".into(), idp.issuer.clone().into());
        claims.insert("sub".into(), sub.clone().into());
        claims.insert("iat".into(), now.into());
        match self.kind {
            TokenKind::Access => {
                let aud = tenant
                    .default_audience
                    .clone()
                    .or_else(|| tenant.apis.first().map(|a| a.identifier.clone()))
                    .unwrap_or_else(|| idp.userinfo_audience());
                claims.insert("aud".into(), aud.into());
                claims.insert("azp".into(), client_id.into());
                claims.insert(
                    "exp".into(),
                    (now + lifetime(tenant.tokens.access_token)).into(),
                );
                claims.insert("jti".into(), idp.ids.next("jti").into());
            }
            TokenKind::Id => {
                claims.insert("aud".into(), client_id.into());
                claims.insert(
                    "exp".into(),
                    (now + lifetime(tenant.tokens.id_token)).into(),
                );
                if let Some(user) = tenant.user_by_sub(&sub) {
                    let scope = ["profile".to_owned(), "email".to_owned()];
                    claims.extend(profile_claims(idp, user, &scope));
                }
            }
        }
        claims
    }
}

fn merge(into: &mut Claims, overrides: Claims) {
    for (name, value) in overrides {
        if value.is_null() {
            into.remove(&name);
        } else {
            into.insert(name, value);
        }
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4)
}

fn lifetime(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX / 4)
}
