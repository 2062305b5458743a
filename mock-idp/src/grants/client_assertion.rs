//! `private_key_jwt` (RFC 7523 2.2, OIDC Core 9): a client proves who it is with a JWT signed
//! by a key it registered (`credentials`), instead of sending a secret.
//!
//! The checks run in an order that trusts nothing unverified beyond finding the client: the
//! shape, `iss` = `sub` (which client), the algorithm (only a registered asymmetric one: no
//! `none`, no HMAC keyed with a public key), the signature, then the claims (`aud`, `exp`,
//! `nbf`, `iat`, a capped lifetime, `jti`), and last the replay check, which spends the `jti`.
//! Each failure says which check failed, never what the assertion contained.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::engine::Idp;
use crate::error::OAuthError;
use crate::issuance::jws::MAX_TOKEN_LEN;
use crate::tenant::{Client, TenantConfig};

/// RFC 7523 2.2: the only `client_assertion_type` there is.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock skew forgiven on `exp`, `nbf` and `iat`, in seconds.
const LEEWAY: i64 = 5;

/// The longest an assertion may live (`exp` − `iat`), in seconds: long enough for any SDK
/// (oauth4webapi and openid-client v6 use 60 s), short enough that the replay store stays
/// small and a leaked assertion soon dies.
pub(crate) const MAX_LIFETIME: i64 = 300;

/// Where an assertion was sent, for its `aud`: the issuer, or the URL of one of `paths` at
/// `base` (RFC 7523 3 allows the token endpoint's; RFC 9126 2 the PAR endpoint's too).
pub(crate) struct Audience<'a> {
    /// The endpoints' base as the caller's discovery document gave it, with the trailing slash.
    pub(crate) base: &'a str,
    /// The endpoint called, and any other whose URL names this server as well.
    pub(crate) paths: &'a [&'a str],
}

/// Authenticates the client that signed `assertion`: returns it, or `invalid_client` saying
/// which check failed. `client_id` is the body's, which must name the same client if present.
pub(crate) fn authenticate<'t>(
    idp: &Idp,
    tenant: &'t TenantConfig,
    assertion: &str,
    client_id: Option<&str>,
    audience: &Audience<'_>,
) -> Result<&'t Client, OAuthError> {
    let refused =
        |why: String| OAuthError::InvalidClientAssertion(format!("client_assertion: {why}"));
    let jwt = Jwt::parse(assertion).ok_or_else(|| {
        refused(
            "not a signed JWT (three base64url parts: a JSON header, JSON claims, a signature)"
                .into(),
        )
    })?;
    let (iss, sub) = (jwt.claim_str("iss"), jwt.claim_str("sub"));
    let (Some(iss), Some(sub)) = (iss, sub) else {
        return Err(refused(
            "iss and sub are required (both the client_id)".into(),
        ));
    };
    if iss != sub {
        return Err(refused(
            "iss and sub must both be the client_id, and differ".into(),
        ));
    }
    if client_id.is_some_and(|id| id != sub) {
        return Err(OAuthError::InvalidRequest(
            "client_id in the body does not match the client_assertion's sub".into(),
        ));
    }
    let client = tenant
        .client(sub)
        .ok_or_else(|| refused(format!("no client {sub} in this tenant")))?;
    if client.credentials.is_empty() {
        return Err(refused(format!(
            "client {sub} has no credentials (public keys) registered for private_key_jwt"
        )));
    }
    verify_signature(client, &jwt).map_err(refused)?;
    check_claims(idp, &jwt, audience).map_err(refused)?;
    let exp = jwt.claim_i64("exp").unwrap_or_default();
    if !idp.assertions.spend(
        &client.client_id,
        jwt.claim_str("jti").unwrap_or_default(),
        exp,
        idp.clock.now(),
    ) {
        return Err(refused(
            "its jti was used before: an assertion authenticates once (RFC 7523 3)".into(),
        ));
    }
    Ok(client)
}

fn verify_signature(client: &Client, jwt: &Jwt<'_>) -> Result<(), String> {
    let alg = jwt
        .header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or("the header has no alg")?;
    if alg == "none" || alg.starts_with("HS") {
        return Err(format!(
            "alg {alg} is refused: sign with the private key of a registered credential (RS256, PS256 or ES256)"
        ));
    }
    let keys: Vec<_> = client
        .credentials
        .iter()
        .filter(|c| c.alg.as_str() == alg)
        .collect();
    if keys.is_empty() {
        let registered: Vec<&str> = client.credentials.iter().map(|c| c.alg.as_str()).collect();
        return Err(format!(
            "alg {alg} is not the alg of any credential of client {} (registered: {})",
            client.client_id,
            registered.join(", ")
        ));
    }
    // Credentials are checked at start; one added later (`MockIdp::upsert_client`) may not
    // be usable, and saying so beats a "bad signature".
    let mut unusable = None;
    let verified = keys.iter().any(|credential| match credential.public_key() {
        Ok(key) => key
            .verify_sig(jwt.signed.as_bytes(), &jwt.signature)
            .is_ok(),
        Err(why) => {
            unusable = Some(why);
            false
        }
    });
    match (verified, unusable) {
        (true, _) => Ok(()),
        (false, Some(why)) => Err(format!(
            "a registered {alg} credential of client {} cannot be used ({why}), and no other verifies the signature",
            client.client_id
        )),
        (false, None) => Err(format!(
            "the signature does not verify with any {alg} key registered for client {}",
            client.client_id
        )),
    }
}

fn check_claims(idp: &Idp, jwt: &Jwt<'_>, audience: &Audience<'_>) -> Result<(), String> {
    let issuer = idp.issuer();
    let url = |path: &str| format!("{}{}", audience.base, path.trim_start_matches('/'));
    let endpoints: Vec<String> = audience.paths.iter().map(|p| url(p)).collect();
    let accepted =
        |aud: &str| aud == issuer || aud == audience.base || endpoints.iter().any(|e| e == aud);
    let aud_ok = match jwt.claims.get("aud") {
        Some(Value::String(aud)) => accepted(aud),
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).any(accepted),
        _ => false,
    };
    if !aud_ok {
        return Err(format!(
            "aud must be the issuer {issuer} or one of {}",
            endpoints.join(", ")
        ));
    }
    let now = idp.clock.now();
    let exp = jwt.claim_i64("exp").ok_or("exp is required")?;
    if exp + LEEWAY <= now {
        return Err(format!("expired {}s ago by the mock's clock", now - exp));
    }
    if jwt.claim_i64("nbf").is_some_and(|nbf| nbf > now + LEEWAY) {
        return Err("not valid yet (nbf is in the future by the mock's clock)".into());
    }
    let iat = match jwt.claims.get("iat") {
        None => now,
        Some(_) => jwt.claim_i64("iat").ok_or("iat must be a number")?,
    };
    if iat > now + LEEWAY {
        return Err("iat is in the future by the mock's clock".into());
    }
    if exp - iat > MAX_LIFETIME {
        return Err(format!(
            "lives {}s (exp - iat); at most {MAX_LIFETIME}s are accepted",
            exp - iat
        ));
    }
    match jwt.claim_str("jti") {
        Some(jti) if !jti.is_empty() => Ok(()),
        _ => Err("jti is required (a unique id, so the assertion cannot be replayed)".into()),
    }
}

/// A compact JWS, decoded but not verified.
struct Jwt<'a> {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    /// `header.payload`, what the signature covers.
    signed: &'a str,
    signature: Vec<u8>,
}

impl<'a> Jwt<'a> {
    fn parse(token: &'a str) -> Option<Self> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let (signed, signature) = token.rsplit_once('.')?;
        let (header, payload) = signed.split_once('.')?;
        let json = |segment: &str| -> Option<Map<String, Value>> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).ok()?).ok()
        };
        Some(Self {
            header: json(header)?,
            claims: json(payload)?,
            signed,
            signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
        })
    }

    fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    fn claim_i64(&self, name: &str) -> Option<i64> {
        let value = self.claims.get(name)?;
        value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
    }
}
