//! `Validator`: turns a bearer token into verified [`Claims`], or says why not.
//!
//! # Order of checks
//!
//! 1. **Size.** Tokens longer than [`AuthSettings::max_token_bytes`] are rejected before any
//!    decoding (RFC 8725 §3.4 "validate inputs").
//! 2. **Shape and protected header**, read by [`CompactJws::parse`] before any key is
//!    touched: three strict base64url segments, `alg` exactly `RS256`, no `crit`/`b64`/`zip`,
//!    an access-token `typ`, a string `kid`; `jku`, `x5u`, `jwk`, `x5c` never read (see
//!    [`jws`]).
//! 3. **Key** from the [`JwksCache`] by exact `kid` (which may answer 503-worthy
//!    `Unavailable`).
//! 4. **Signature**: RS256 with that key, over the bytes as received.
//! 5. **Typed claims.** The payload must be a JSON object that deserialises into [`Claims`]:
//!    `iss`, `sub`, `aud` and `exp` required; `iss`/`sub` strings, `aud` a string or an array
//!    of strings, `exp`/`nbf`/`iat` non-negative integers (a string `exp` is an error, not an
//!    absent claim: CVE-2026-25537), `scope` a string, `permissions` an array of strings. A
//!    duplicate claim name is an error, so nobody can smuggle a second `sub`.
//! 6. **Registered claims**, in `jsonwebtoken`'s order and with its comparisons: `exp`, then
//!    `nbf`, then exact `iss`, then `aud` (a string equal to the audience, or an array that
//!    contains it).
//! 7. **Our own time checks:** `exp` and `nbf` below 2^53, and `iat` (if present) below 2^53
//!    and not in the future.
//!
//! Steps 4–6 are what `jsonwebtoken::decode` does; `tests/api/differential.rs` checks that
//! this validator and `jsonwebtoken` 12 accept the same tokens and reject the others for the
//! same reason. Why they are not delegated to it: see [`jws`].
//!
//! # Leeway
//!
//! [`DEFAULT_LEEWAY`] is **5 seconds**, the `clockTolerance` of `express-oauth2-jwt-bearer`,
//! which this API replaces: a token is accepted until `exp + 5 s` and from `nbf - 5 s`.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use super::{
    claims::{Audience, Claims},
    error::{AuthError, InvalidToken},
    jwks::{JwksCache, KeyError},
    jws::{self, CompactJws},
};

/// The clock tolerance applied to `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);

/// The default cap on token length, in bytes. Auth0 access tokens are around 1 KiB; 8 KiB
/// leaves room for many custom claims while keeping the work per rejected request small.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Timestamps above 2^53 are not exact in JavaScript and have no business in a token.
const MAX_TIMESTAMP: u64 = 1 << 53;

/// What a token must say to be accepted.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The exact `iss` (Auth0 issuers end with `/`).
    pub issuer: String,
    /// The API identifier that `aud` must be, or contain.
    pub audience: String,
    /// Clock tolerance for `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// Tokens longer than this are rejected before decoding.
    pub max_token_bytes: usize,
}

impl AuthSettings {
    /// Settings with the default leeway and size cap.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway: DEFAULT_LEEWAY,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
        }
    }
}

/// Validates bearer tokens against one issuer, one audience and one JWKS. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Validator {
    inner: Arc<ValidatorInner>,
}

#[derive(Debug)]
struct ValidatorInner {
    settings: AuthSettings,
    jwks: JwksCache,
}

impl Validator {
    /// A validator for `settings`, taking keys from `jwks`.
    pub fn new(settings: AuthSettings, jwks: JwksCache) -> Self {
        Self {
            inner: Arc::new(ValidatorInner { settings, jwks }),
        }
    }

    /// The settings this validator enforces.
    pub fn settings(&self) -> &AuthSettings {
        &self.inner.settings
    }

    /// The JWKS cache this validator reads keys from.
    pub fn jwks(&self) -> &JwksCache {
        &self.inner.jwks
    }

    /// Validates `token` (the part after `Bearer `) and returns its claims.
    pub async fn validate(&self, token: &str) -> Result<Claims, AuthError> {
        let inner = &self.inner;
        if token.len() > inner.settings.max_token_bytes {
            return Err(InvalidToken::TooLarge.into());
        }
        let jws = CompactJws::parse(token)?;
        let key = inner.jwks.get(jws.kid()).await.map_err(|e| match e {
            KeyError::UnknownKid => AuthError::from(InvalidToken::UnknownKey),
            KeyError::Unavailable { retry_after } => AuthError::KeysUnavailable { retry_after },
        })?;
        jws.verify(&key)?;
        let payload = jws.payload()?;
        if !jws::is_json_object(&payload) {
            return Err(InvalidToken::BadClaims.into());
        }
        let claims: Claims =
            serde_json::from_slice(&payload).map_err(|_| InvalidToken::BadClaims)?;
        let now = now();
        check_registered_claims(&claims, &inner.settings, now)?;
        check_times(&claims, inner.settings.leeway, now)?;
        Ok(claims)
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// `jsonwebtoken`'s `validate`, for the claims this API requires: `exp` (expired when
/// `exp < now - leeway`), `nbf` (immature when `nbf > now + leeway`), exact `iss`, then `aud`.
fn check_registered_claims(
    claims: &Claims,
    settings: &AuthSettings,
    now: u64,
) -> Result<(), InvalidToken> {
    let leeway = settings.leeway.as_secs();
    if claims.exp < now.saturating_sub(leeway) {
        return Err(InvalidToken::Expired);
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(leeway))
    {
        return Err(InvalidToken::NotYetValid);
    }
    if claims.iss != settings.issuer {
        return Err(InvalidToken::WrongIssuer);
    }
    let names_this_api = match &claims.aud {
        Audience::One(aud) => *aud == settings.audience,
        Audience::Many(auds) => auds.contains(&settings.audience),
    };
    if !names_this_api {
        return Err(InvalidToken::WrongAudience);
    }
    Ok(())
}

fn check_times(claims: &Claims, leeway: Duration, now: u64) -> Result<(), InvalidToken> {
    if claims.exp >= MAX_TIMESTAMP || claims.nbf.is_some_and(|nbf| nbf >= MAX_TIMESTAMP) {
        return Err(InvalidToken::BadClaims);
    }
    if let Some(iat) = claims.iat {
        if iat >= MAX_TIMESTAMP {
            return Err(InvalidToken::BadClaims);
        }
        if iat > now.saturating_add(leeway.as_secs()) {
            return Err(InvalidToken::NotYetValid);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_900_000_000;

    fn settings() -> AuthSettings {
        AuthSettings::new("https://tenant.example/", "https://sample-api")
    }

    fn claims(exp: u64, nbf: Option<u64>) -> Claims {
        Claims {
            iss: "https://tenant.example/".into(),
            sub: "auth0|u1".into(),
            aud: Audience::One("https://sample-api".into()),
            exp,
            nbf,
            iat: None,
            azp: None,
            scope: None,
            permissions: None,
            roles: None,
        }
    }

    #[test]
    fn accepts_a_token_until_the_leeway_after_exp() {
        let check = |exp| check_registered_claims(&claims(exp, None), &settings(), NOW);
        assert_eq!(check(NOW - 5), Ok(()));
        assert_eq!(check(NOW - 6), Err(InvalidToken::Expired));
    }

    #[test]
    fn accepts_a_token_from_the_leeway_before_nbf() {
        let check = |nbf| check_registered_claims(&claims(NOW + 60, Some(nbf)), &settings(), NOW);
        assert_eq!(check(NOW + 5), Ok(()));
        assert_eq!(check(NOW + 6), Err(InvalidToken::NotYetValid));
    }

    #[test]
    fn requires_the_exact_issuer_and_this_audience() {
        let mut other_issuer = claims(NOW + 60, None);
        other_issuer.iss = "https://tenant.example".into();
        assert_eq!(
            check_registered_claims(&other_issuer, &settings(), NOW),
            Err(InvalidToken::WrongIssuer)
        );
        let mut many = claims(NOW + 60, None);
        many.aud = Audience::Many(vec![
            "https://x/userinfo".into(),
            "https://sample-api".into(),
        ]);
        assert_eq!(check_registered_claims(&many, &settings(), NOW), Ok(()));
        many.aud = Audience::Many(vec![]);
        assert_eq!(
            check_registered_claims(&many, &settings(), NOW),
            Err(InvalidToken::WrongAudience)
        );
    }

    #[test]
    fn refuses_an_iat_beyond_the_leeway_and_timestamps_past_2_pow_53() {
        let leeway = Duration::from_secs(5);
        let with_iat = |iat| Claims {
            iat: Some(iat),
            ..claims(NOW + 60, None)
        };
        assert_eq!(check_times(&with_iat(NOW + 5), leeway, NOW), Ok(()));
        assert_eq!(
            check_times(&with_iat(NOW + 6), leeway, NOW),
            Err(InvalidToken::NotYetValid)
        );
        assert_eq!(
            check_times(&claims(MAX_TIMESTAMP, None), leeway, NOW),
            Err(InvalidToken::BadClaims)
        );
    }
}
