//! Compact JWS: encoding what the mock signs, and checking the tokens it is handed back
//! (`/userinfo`, refresh and revocation), with nothing taken from the token's own header but
//! the `kid` to look up.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::issuance::keys::{SigningKey, hmac_sha256};

pub(crate) type Claims = Map<String, Value>;

/// How a token gets its signature.
#[derive(Clone, Debug)]
pub(crate) enum Signer {
    /// An asymmetric key (published or foreign).
    Key(Arc<SigningKey>),
    /// HS256 with a shared secret.
    Hmac(Vec<u8>),
    /// No signature at all (`alg: none` negative tests).
    Unsigned,
}

impl Signer {
    /// The `alg` header the signer produces.
    pub(crate) fn alg(&self) -> &'static str {
        match self {
            Self::Key(key) => key.alg().as_str(),
            Self::Hmac(_) => "HS256",
            Self::Unsigned => "none",
        }
    }

    pub(crate) fn kid(&self) -> Option<&str> {
        match self {
            Self::Key(key) => Some(key.kid()),
            _ => None,
        }
    }
}

/// The default header for a signer: `alg`, `typ: "JWT"` and `kid` when the key has one.
pub(crate) fn header_for(signer: &Signer) -> Claims {
    let mut header = Claims::new();
    header.insert("alg".into(), signer.alg().into());
    header.insert("typ".into(), "JWT".into());
    if let Some(kid) = signer.kid() {
        header.insert("kid".into(), kid.into());
    }
    header
}

pub(crate) fn encode(header: &Claims, claims: &Claims, signer: &Signer) -> String {
    let header = serde_json::to_vec(header).expect("a JSON map serialises");
    let payload = serde_json::to_vec(claims).expect("a JSON map serialises");
    encode_raw(&header, &payload, signer)
}

/// A compact JWS over `header` and `payload` exactly as given (tests use it for JSON that a
/// map cannot hold, such as duplicate names).
pub(crate) fn encode_raw(header: &[u8], payload: &[u8], signer: &Signer) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = match signer {
        Signer::Key(key) => key.sign(signing_input.as_bytes()),
        Signer::Hmac(secret) => hmac_sha256(secret, signing_input.as_bytes()),
        Signer::Unsigned => Vec::new(),
    };
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Tokens longer than this are refused before any decoding.
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Decodes and verifies a token this mock signed with one of `keys`. Returns the claims, or a
/// short reason fit for an `error_description`.
pub(crate) fn verify(token: &str, keys: &[Arc<SigningKey>]) -> Result<Claims, &'static str> {
    if token.len() > MAX_TOKEN_LEN {
        return Err("token too large");
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed token");
    };
    let header: Claims = decode_segment(h).ok_or("malformed token")?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or("malformed token")?;
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or("unknown signing key")?;
    let key = keys
        .iter()
        .find(|k| k.kid() == kid)
        .ok_or("unknown signing key")?;
    if alg != key.alg().as_str() {
        return Err("unexpected algorithm");
    }
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| "malformed token")?;
    if !key.verify(alg, format!("{h}.{p}").as_bytes(), &signature) {
        return Err("invalid signature");
    }
    decode_segment(p).ok_or("malformed token")
}

fn decode_segment(segment: &str) -> Option<Claims> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuance::keys::{Algorithm, dev_key, foreign_key};
    use serde_json::json;

    fn claims() -> Claims {
        json!({"sub": "auth0|alice"}).as_object().unwrap().clone()
    }

    #[test]
    fn a_token_round_trips_through_verify() {
        let key = dev_key(Algorithm::RS256, 0).unwrap();
        let signer = Signer::Key(key.clone());
        let token = encode(&header_for(&signer), &claims(), &signer);
        assert_eq!(verify(&token, &[key]).unwrap(), claims());
    }

    #[test]
    fn verify_refuses_what_the_mock_did_not_sign() {
        let key = dev_key(Algorithm::RS256, 0).unwrap();
        let foreign = Signer::Key(foreign_key(Algorithm::RS256));
        let mut header = header_for(&foreign);
        header.insert("kid".into(), key.kid().into());
        let forged = encode(&header, &claims(), &foreign);
        assert_eq!(
            verify(&forged, std::slice::from_ref(&key)),
            Err("invalid signature")
        );

        let mut none = header_for(&Signer::Unsigned);
        none.insert("kid".into(), key.kid().into());
        let unsigned = encode(&none, &claims(), &Signer::Unsigned);
        assert_eq!(
            verify(&unsigned, std::slice::from_ref(&key)),
            Err("unexpected algorithm")
        );

        assert_eq!(
            verify("a.b", std::slice::from_ref(&key)),
            Err("malformed token")
        );
        assert_eq!(
            verify(&"x".repeat(MAX_TOKEN_LEN + 1), &[key]),
            Err("token too large")
        );
    }
}
