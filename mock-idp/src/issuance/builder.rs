//! Minting tokens directly, good or deliberately bad, without going through a grant.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{access_token, id_token};
use crate::engine::Idp;
use crate::issuance::jws::{self, Claims, Signer};
use crate::issuance::keys::{Algorithm, foreign_key};
use crate::store::issued::{IssuedBy, TokenUse};
use crate::tenant::AppType;

/// Which kind of token to mint: the control API's `kind` (`"access"`, `"id"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TokenKind {
    /// An access token for an API (the default).
    #[default]
    Access,
    /// An ID token for a client.
    Id,
}

/// How the minted token is signed: the control API's `signing` (`"active"`, `"foreign_key"`,
/// `"none"`, `"hs256_public_key"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Signing {
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
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let claims = payload(&idp.token().id_token().sign());
    /// assert_eq!(claims["aud"], "sample-spa");
    /// assert_eq!(claims["email"], "alice@example.com");
    /// assert_eq!(claims["name"], "Alice Example");
    /// # }
    /// ```
    pub fn id_token(mut self) -> Self {
        self.kind = TokenKind::Id;
        self
    }

    /// Mints an access token (the default).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let claims = payload(&idp.token().id_token().access_token().sign());
    /// assert_eq!(claims["aud"], "https://sample-api");
    /// assert!(claims["jti"].is_string());
    /// assert!(claims.get("email").is_none());
    /// # }
    /// ```
    pub fn access_token(mut self) -> Self {
        self.kind = TokenKind::Access;
        self
    }

    /// Sets any claim; `Value::Null` removes it.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token()
    ///     .claim("https://example.com/tenant", "acme")
    ///     .claim("azp", serde_json::Value::Null)
    ///     .sign();
    /// let claims = payload(&token);
    /// assert_eq!(claims["https://example.com/tenant"], "acme");
    /// assert!(claims.get("azp").is_none(), "null removes a default claim");
    /// # }
    /// ```
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a claim the defaults would add (e.g. `exp`).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let claims = payload(&idp.token().without_claim("exp").sign());
    /// assert!(claims.get("exp").is_none());
    /// assert!(claims["iat"].is_i64());
    /// # }
    /// ```
    pub fn without_claim(self, name: impl Into<String>) -> Self {
        self.claim(name, Value::Null)
    }

    /// Sets any header parameter; `Value::Null` removes it.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().header("jku", "http://evil.test/jwks.json").header("typ", "at+jwt").sign();
    /// assert_eq!(header(&token)["jku"], "http://evil.test/jwks.json");
    /// assert_eq!(header(&token)["typ"], "at+jwt");
    /// assert_eq!(header(&token)["kid"], idp.active_kid());
    /// # }
    /// ```
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.header.insert(name.into(), value.into());
        self
    }

    /// `sub`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(payload(&idp.token().sign())["sub"], "auth0|alice");
    /// assert_eq!(payload(&idp.token().subject("auth0|bob").sign())["sub"], "auth0|bob");
    /// # }
    /// ```
    pub fn subject(self, sub: impl Into<String>) -> Self {
        self.claim("sub", sub.into())
    }

    /// `aud` as a string.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(payload(&idp.token().audience("https://orders").sign())["aud"], "https://orders");
    /// # }
    /// ```
    pub fn audience(self, aud: impl Into<String>) -> Self {
        self.claim("aud", aud.into())
    }

    /// `aud` as an array.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().audiences(["https://sample-api", "https://orders"]).sign();
    /// assert_eq!(payload(&token)["aud"], serde_json::json!(["https://sample-api", "https://orders"]));
    /// # }
    /// ```
    pub fn audiences<I, S>(self, auds: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let auds: Vec<String> = auds.into_iter().map(Into::into).collect();
        self.claim("aud", json!(auds))
    }

    /// `iss`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(payload(&idp.token().sign())["iss"], idp.issuer());
    /// let claims = payload(&idp.token().issuer("https://evil.test/").sign());
    /// assert_eq!(claims["iss"], "https://evil.test/");
    /// # }
    /// ```
    pub fn issuer(self, iss: impl Into<String>) -> Self {
        self.claim("iss", iss.into())
    }

    /// `scope`, space-separated.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert!(payload(&idp.token().sign()).get("scope").is_none(), "no scope by default");
    /// let token = idp.token().scope("read:messages write:messages").sign();
    /// assert_eq!(payload(&token)["scope"], "read:messages write:messages");
    /// # }
    /// ```
    pub fn scope(self, scope: impl Into<String>) -> Self {
        self.claim("scope", scope.into())
    }

    /// `permissions` array.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().permissions(["read:messages"]).sign();
    /// assert_eq!(payload(&token)["permissions"], serde_json::json!(["read:messages"]));
    /// # }
    /// ```
    pub fn permissions<I, S>(self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let permissions: Vec<String> = permissions.into_iter().map(Into::into).collect();
        self.claim("permissions", json!(permissions))
    }

    /// `azp`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(payload(&idp.token().sign())["azp"], "sample-spa");
    /// assert_eq!(payload(&idp.token().azp("sample-m2m").sign())["azp"], "sample-m2m");
    /// # }
    /// ```
    pub fn azp(self, client_id: impl Into<String>) -> Self {
        self.claim("azp", client_id.into())
    }

    /// `nonce` (ID tokens).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().id_token().nonce("n-0S6_WzA2Mj").sign();
    /// assert_eq!(payload(&token)["nonce"], "n-0S6_WzA2Mj");
    /// # }
    /// ```
    pub fn nonce(self, nonce: impl Into<String>) -> Self {
        self.claim("nonce", nonce.into())
    }

    fn now(&self) -> i64 {
        self.idp.clock.now()
    }

    /// Issued two hours ago, expired one hour ago: past any validator's leeway.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use base64::Engine;
    /// let idp = mock_idp::MockIdp::start().await;
    ///
    /// let token = idp.token().expired().sign();
    ///
    /// let payload = token.split('.').nth(1).unwrap();
    /// let claims: serde_json::Value = serde_json::from_slice(
    ///     &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap(),
    /// ).unwrap();
    /// let exp = claims["exp"].as_i64().unwrap();
    /// assert!(exp < idp.clock().now() - 60, "expired by more than a typical leeway");
    /// assert!(claims["iat"].as_i64().unwrap() < exp);
    /// # }
    /// ```
    pub fn expired(self) -> Self {
        let now = self.now();
        self.claim("iat", now - 7_200).claim("exp", now - 3_600)
    }

    /// `exp` = now + `lifetime`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// use std::time::Duration;
    /// let idp = mock_idp::MockIdp::builder().deterministic().start().await;
    /// let token = idp.token().expires_in(Duration::from_secs(60)).sign();
    /// assert_eq!(payload(&token)["exp"], idp.clock().now() + 60);
    /// # }
    /// ```
    pub fn expires_in(self, lifetime: Duration) -> Self {
        let exp = self.now() + secs(lifetime);
        self.claim("exp", exp)
    }

    /// `exp` at an absolute Unix time.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(payload(&idp.token().expires_at(1_700_000_000).sign())["exp"], 1_700_000_000);
    /// # }
    /// ```
    pub fn expires_at(self, unix_seconds: i64) -> Self {
        self.claim("exp", unix_seconds)
    }

    /// `iat` at an absolute Unix time.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(payload(&idp.token().issued_at(1_700_000_000).sign())["iat"], 1_700_000_000);
    /// # }
    /// ```
    pub fn issued_at(self, unix_seconds: i64) -> Self {
        self.claim("iat", unix_seconds)
    }

    /// `nbf` = now + `delay`: not valid yet.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// use std::time::Duration;
    /// use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, errors::ErrorKind, jwk::JwkSet};
    /// // Arrange
    /// let idp = mock_idp::MockIdp::start().await;
    /// let set: JwkSet = serde_json::from_value(idp.jwks()).unwrap();
    /// let key = DecodingKey::from_jwk(set.find(&idp.active_kid()).unwrap()).unwrap();
    /// let mut validation = Validation::new(Algorithm::RS256);
    /// validation.set_audience(&["https://sample-api"]);
    /// validation.validate_nbf = true;
    ///
    /// // Act
    /// let token = idp.token().not_before_in(Duration::from_secs(300)).sign();
    ///
    /// // Assert
    /// assert_eq!(payload(&token)["nbf"], payload(&token)["iat"].as_i64().unwrap() + 300);
    /// let error = decode::<serde_json::Value>(&token, &key, &validation).unwrap_err();
    /// assert_eq!(error.kind(), &ErrorKind::ImmatureSignature);
    /// # }
    /// ```
    pub fn not_before_in(self, delay: Duration) -> Self {
        let nbf = self.now() + secs(delay);
        self.claim("nbf", nbf)
    }

    /// Header `kid`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// assert_eq!(header(&idp.token().sign())["kid"], idp.active_kid());
    /// assert_eq!(header(&idp.token().kid("my-kid").sign())["kid"], "my-kid");
    /// # }
    /// ```
    pub fn kid(self, kid: impl Into<String>) -> Self {
        self.header("kid", kid.into())
    }

    /// A `kid` no JWKS has ever had.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let kid = header(&idp.token().unknown_kid().sign())["kid"].clone();
    /// let jwks = idp.jwks();
    /// assert!(jwks["keys"].as_array().unwrap().iter().all(|key| key["kid"] != kid));
    /// # }
    /// ```
    pub fn unknown_kid(self) -> Self {
        self.kid("unknown-kid-0000")
    }

    /// No `kid` in the header.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().without_kid().sign();
    /// assert!(header(&token).get("kid").is_none());
    /// assert_eq!(header(&token)["alg"], "RS256");
    /// # }
    /// ```
    pub fn without_kid(self) -> Self {
        self.header("kid", Value::Null)
    }

    /// Unsigned: `alg: "none"` and an empty signature.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().alg_none().sign();
    /// assert_eq!(header(&token)["alg"], "none");
    /// assert_eq!(token.split('.').nth(2), Some(""), "empty signature");
    /// # }
    /// ```
    pub fn alg_none(mut self) -> Self {
        self.signing = Signing::None;
        self
    }

    /// HS256 with the active public key (PEM) as the HMAC secret.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use base64::Engine;
    /// use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
    /// use rsa::pkcs8::{EncodePublicKey, LineEnding};
    /// // Arrange: the public key as a verifier that trusts the header's `alg` would load it.
    /// let idp = mock_idp::MockIdp::start().await;
    /// let jwk = &idp.jwks()["keys"][0];
    /// let b64 = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap();
    /// let public = rsa::RsaPublicKey::new(
    ///     rsa::BigUint::from_bytes_be(&b64(&jwk["n"])),
    ///     rsa::BigUint::from_bytes_be(&b64(&jwk["e"])),
    /// ).unwrap();
    /// let pem = public.to_public_key_pem(LineEnding::LF).unwrap();
    ///
    /// // Act
    /// let token = idp.token().hs256_with_public_key().sign();
    ///
    /// // Assert: an HMAC verifier keyed with the public PEM accepts it; that is the attack.
    /// let mut naive = Validation::new(Algorithm::HS256);
    /// naive.set_audience(&["https://sample-api"]);
    /// let key = DecodingKey::from_secret(pem.as_bytes()).unwrap();
    /// assert!(decode::<serde_json::Value>(&token, &key, &naive).is_ok());
    /// # }
    /// ```
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
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # use base64::Engine;
    /// # let part = |t: &str, i: usize| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(i).unwrap()).unwrap()).unwrap() };
    /// # let payload = |t: &str| part(t, 1);
    /// # let header = |t: &str| part(t, 0);
    /// use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, errors::ErrorKind, jwk::JwkSet};
    /// let idp = mock_idp::MockIdp::start().await;
    /// let token = idp.token().signed_by_foreign_key().sign();
    ///
    /// // It names the real key...
    /// assert_eq!(header(&token)["kid"], idp.active_kid());
    /// // ...but that key does not verify it.
    /// let set: JwkSet = serde_json::from_value(idp.jwks()).unwrap();
    /// let key = DecodingKey::from_jwk(set.find(&idp.active_kid()).unwrap()).unwrap();
    /// let mut validation = Validation::new(Algorithm::RS256);
    /// validation.set_audience(&["https://sample-api"]);
    /// let error = decode::<serde_json::Value>(&token, &key, &validation).unwrap_err();
    /// assert_eq!(error.kind(), &ErrorKind::InvalidSignature);
    /// # }
    /// ```
    pub fn signed_by_foreign_key(mut self) -> Self {
        self.signing = Signing::ForeignKey;
        self
    }

    /// Signs the token.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
    /// // Arrange
    /// let idp = mock_idp::MockIdp::start().await;
    ///
    /// // Act
    /// let token = idp.token().scope("read:messages").sign();
    ///
    /// // Assert: an independent verifier accepts it with the published JWKS.
    /// let set: JwkSet = serde_json::from_value(idp.jwks()).unwrap();
    /// let kid = decode_header(&token).unwrap().kid.unwrap();
    /// let key = DecodingKey::from_jwk(set.find(&kid).unwrap()).unwrap();
    /// let mut validation = Validation::new(Algorithm::RS256);
    /// validation.set_issuer(&[idp.issuer()]);
    /// validation.set_audience(&["https://sample-api"]);
    /// let claims = decode::<serde_json::Value>(&token, &key, &validation).unwrap().claims;
    /// assert_eq!(claims["sub"], "auth0|alice");
    /// assert_eq!(claims["scope"], "read:messages");
    /// # }
    /// ```
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
        let mut header = jws::header_for(&signer);
        if !matches!(self.signing, Signing::Active) {
            // Attacks borrow the real kid so that only the signature gives them away.
            header.insert("kid".into(), active.kid().into());
        }
        if matches!(signer, Signer::Key(ref k) if k.alg() == Algorithm::ES256) {
            header.insert("alg".into(), "ES256".into());
        }
        let mut claims = self.defaults();
        merge(&mut header, self.header);
        merge(&mut claims, self.claims);
        let token = jws::encode(&header, &claims, &signer);
        let kind = match self.kind {
            TokenKind::Access => TokenUse::Access,
            TokenKind::Id => TokenUse::Id,
        };
        idp.remember_token(kind, IssuedBy::Minted, &token);
        token
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
        match self.kind {
            TokenKind::Access => {
                let aud = tenant
                    .default_audience
                    .clone()
                    .or_else(|| tenant.apis.first().map(|a| a.identifier.clone()))
                    .unwrap_or_else(|| idp.userinfo_audience());
                let lifetime = lifetime(tenant.tokens.access_token);
                access_token::skeleton(idp, sub, aud.into(), client_id, now, lifetime).0
            }
            TokenKind::Id => {
                let lifetime = lifetime(tenant.tokens.id_token);
                let mut claims = id_token::skeleton(idp, sub.clone(), client_id, now, lifetime);
                if let Some(user) = tenant.user_by_sub(&sub) {
                    let scope = ["profile".to_owned(), "email".to_owned()];
                    claims.extend(id_token::profile_claims(idp, user, &scope));
                }
                claims
            }
        }
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
