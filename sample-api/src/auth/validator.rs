//! `Validator`: turns a bearer token into verified [`Claims`], or says why not.
//!
//! # Order of checks
//!
//! 1. **Size.** Tokens longer than [`AuthSettings::max_token_bytes`] are rejected before any
//!    decoding (RFC 8725 §3.4 "validate inputs").
//! 2. **Shape.** Exactly three strict base64url segments (no padding, no whitespace); JWE
//!    (five segments) and anything else is `malformed token`.
//! 3. **Header, decoded by us** before any key is touched:
//!    * `alg` must be exactly the string `"RS256"`. The allow-list is the server's; the
//!      token's `alg` only ever *fails* this comparison (`none`, `None`, `HS256` key
//!      confusion, `PS256`, `ES256` psychic signatures…).
//!    * `crit`, `b64` and `zip` are refused: this API understands no extension, and
//!      RFC 7515 §4.1.11 says a recipient that does not understand a critical one must
//!      reject.
//!    * `typ`, if present, must be `JWT` or `at+jwt` (case-insensitive, optional
//!      `application/` prefix), so an ID token typed `id_token+jwt` is refused by type.
//!    * `kid` must be a string. It is used only as an exact key into the cached JWKS: never
//!      as a path, URL or query, and never normalised.
//!    * `jku`, `x5u`, `jwk`, `x5c` are never read, so never followed.
//! 4. **Key** from the [`JwksCache`] (which may answer 503-worthy `Unavailable`).
//! 5. **Signature and registered claims** by `jsonwebtoken` (≥ 10.3, so wrong-typed `exp`/`nbf`
//!    are errors, CVE-2026-25537): `exp`, `iss`, `aud`, `sub` required; `nbf` checked;
//!    exact `iss`; `aud` a string or an array containing the audience.
//! 6. **Typed claims.** The payload must deserialise into [`Claims`]: `iss`/`sub` strings,
//!    `exp` a non-negative integer, `scope` a string, `permissions` an array of strings.
//!    A duplicate claim name is an error (serde), so nobody can smuggle a second `sub`.
//! 7. **Our own time checks:** `exp` below 2^53, and `iat` (if present) not in the future.
//!
//! # Leeway
//!
//! [`DEFAULT_LEEWAY`] is **5 seconds**, the `clockTolerance` of `express-oauth2-jwt-bearer`,
//! which this API replaces: a token is accepted until `exp + 5 s` and from `nbf - 5 s`.

use std::{sync::Arc, time::Duration};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Validation, errors::ErrorKind};
use serde_json::{Map, Value};

use super::{
    claims::Claims,
    error::{AuthError, InvalidToken},
    jwks::{JwksCache, KeyError},
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
    validation: Validation,
}

impl Validator {
    /// A validator for `settings`, taking keys from `jwks`.
    pub fn new(settings: AuthSettings, jwks: JwksCache) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.algorithms = vec![Algorithm::RS256];
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.leeway = settings.leeway.as_secs();
        Self {
            inner: Arc::new(ValidatorInner {
                settings,
                jwks,
                validation,
            }),
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
        let kid = check_header(token)?;
        let key = inner.jwks.get(&kid).await.map_err(|e| match e {
            KeyError::UnknownKid => AuthError::from(InvalidToken::UnknownKey),
            KeyError::Unavailable { retry_after } => AuthError::KeysUnavailable { retry_after },
        })?;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &inner.validation)
            .map_err(|e| AuthError::from(map_jwt_error(e.kind())))?;
        let claims = data.claims;
        check_times(&claims, inner.settings.leeway)?;
        Ok(claims)
    }
}

/// Checks the token's shape and protected header; returns the `kid`.
fn check_header(token: &str) -> Result<String, InvalidToken> {
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(InvalidToken::Malformed);
    };
    if [header, payload, signature]
        .iter()
        .any(|s| s.is_empty() || !s.bytes().all(is_base64url))
    {
        return Err(InvalidToken::Malformed);
    }
    let header = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| InvalidToken::Malformed)?;
    let header: Map<String, Value> =
        serde_json::from_slice(&header).map_err(|_| InvalidToken::Malformed)?;

    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(InvalidToken::UnsupportedAlgorithm);
    }
    if ["crit", "b64", "zip"]
        .iter()
        .any(|p| header.contains_key(*p))
    {
        return Err(InvalidToken::UnsupportedHeader);
    }
    if let Some(typ) = header.get("typ") {
        let typ = typ.as_str().ok_or(InvalidToken::WrongType)?;
        let typ = typ
            .get(..12)
            .filter(|prefix| prefix.eq_ignore_ascii_case("application/"))
            .map_or(typ, |_| &typ[12..]);
        if !typ.eq_ignore_ascii_case("jwt") && !typ.eq_ignore_ascii_case("at+jwt") {
            return Err(InvalidToken::WrongType);
        }
    }
    match header.get("kid") {
        None => Err(InvalidToken::UnknownKey),
        Some(Value::String(kid)) => Ok(kid.clone()),
        Some(_) => Err(InvalidToken::UnsupportedHeader),
    }
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn map_jwt_error(kind: &ErrorKind) -> InvalidToken {
    match kind {
        ErrorKind::InvalidSignature => InvalidToken::BadSignature,
        ErrorKind::ExpiredSignature => InvalidToken::Expired,
        ErrorKind::ImmatureSignature => InvalidToken::NotYetValid,
        ErrorKind::InvalidIssuer => InvalidToken::WrongIssuer,
        ErrorKind::InvalidAudience => InvalidToken::WrongAudience,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName => InvalidToken::UnsupportedAlgorithm,
        ErrorKind::MissingRequiredClaim(_)
        | ErrorKind::InvalidClaimFormat(_)
        | ErrorKind::InvalidSubject
        | ErrorKind::Json(_) => InvalidToken::BadClaims,
        ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => InvalidToken::BadSignature,
        _ => InvalidToken::Malformed,
    }
}

fn check_times(claims: &Claims, leeway: Duration) -> Result<(), InvalidToken> {
    if claims.exp >= MAX_TIMESTAMP || claims.nbf.is_some_and(|nbf| nbf >= MAX_TIMESTAMP) {
        return Err(InvalidToken::BadClaims);
    }
    if let Some(iat) = claims.iat {
        if iat >= MAX_TIMESTAMP {
            return Err(InvalidToken::BadClaims);
        }
        if iat > jsonwebtoken::get_current_timestamp() + leeway.as_secs() {
            return Err(InvalidToken::NotYetValid);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn token_with_header(header: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64("{}"))
    }

    #[test]
    fn accepts_an_rs256_header_with_a_kid() {
        let token = token_with_header(r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
        assert_eq!(check_header(&token), Ok("k1".to_owned()));
    }

    #[test]
    fn accepts_the_at_jwt_type_in_both_spellings() {
        for typ in ["at+jwt", "application/at+JWT"] {
            let token = token_with_header(&format!(r#"{{"alg":"RS256","typ":"{typ}","kid":"k"}}"#));
            assert!(check_header(&token).is_ok(), "{typ}");
        }
    }

    #[test]
    fn rejects_every_algorithm_but_rs256() {
        for alg in [
            "none", "None", "NONE", "nOnE", "HS256", "RS384", "PS256", "ES256", "rs256",
        ] {
            let token = token_with_header(&format!(r#"{{"alg":"{alg}","kid":"k1"}}"#));
            assert_eq!(
                check_header(&token),
                Err(InvalidToken::UnsupportedAlgorithm),
                "{alg}"
            );
        }
    }

    #[test]
    fn rejects_a_duplicated_alg_that_ends_in_none() {
        let token = token_with_header(r#"{"alg":"RS256","alg":"none","kid":"k1"}"#);
        assert!(check_header(&token).is_err());
    }

    #[test]
    fn rejects_critical_and_unencoded_payload_headers() {
        for extra in [
            r#""crit":["exp"]"#,
            r#""crit":[]"#,
            r#""b64":false,"crit":["b64"]"#,
            r#""zip":"DEF""#,
        ] {
            let token = token_with_header(&format!(r#"{{"alg":"RS256","kid":"k1",{extra}}}"#));
            assert_eq!(
                check_header(&token),
                Err(InvalidToken::UnsupportedHeader),
                "{extra}"
            );
        }
    }

    #[test]
    fn rejects_id_token_and_dpop_types() {
        for typ in ["id_token+jwt", "dpop+jwt", "JWS"] {
            let token = token_with_header(&format!(r#"{{"alg":"RS256","typ":"{typ}","kid":"k"}}"#));
            assert_eq!(check_header(&token), Err(InvalidToken::WrongType), "{typ}");
        }
    }

    #[test]
    fn rejects_a_missing_or_non_string_kid() {
        assert_eq!(
            check_header(&token_with_header(r#"{"alg":"RS256"}"#)),
            Err(InvalidToken::UnknownKey)
        );
        for kid in ["1", "{}", "[\"k1\"]", "null"] {
            let token = token_with_header(&format!(r#"{{"alg":"RS256","kid":{kid}}}"#));
            assert_eq!(
                check_header(&token),
                Err(InvalidToken::UnsupportedHeader),
                "{kid}"
            );
        }
    }

    #[test]
    fn rejects_malformed_shapes() {
        let header = b64(r#"{"alg":"RS256","kid":"k1"}"#);
        let payload = b64("{}");
        for token in [
            "abc".to_owned(),
            format!("{header}.{payload}"),
            format!("{header}.{payload}.c2ln.x"),
            format!("{header}.{payload}.c2ln.x.y"),
            format!("{header}.{payload}."),
            format!("{header}=.{payload}.c2ln"),
            format!("{header}.{payload}.c2l+"),
            format!("{header} .{payload}.c2ln"),
            format!("{}.{payload}.c2ln", b64("[1]")),
            format!("{}.{payload}.c2ln", b64("\"RS256\"")),
            format!("{}.{payload}.c2ln", b64("\u{feff}{\"alg\":\"RS256\"}")),
            format!(
                "{}.{payload}.c2ln",
                URL_SAFE_NO_PAD.encode([0xff, 0xfe, b'{'])
            ),
        ] {
            assert_eq!(
                check_header(&token),
                Err(InvalidToken::Malformed),
                "{token}"
            );
        }
    }
}
