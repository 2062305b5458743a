//! PKCE (RFC 7636): the challenge checked at `/authorize`, the verifier at `/oauth/token`.
//!
//! Strict on purpose: a mock that accepts a padded or hex-encoded S256 challenge would hide the
//! very client bugs it exists to catch.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::issuance::keys::sha256;

/// The transformation a client applied to its verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    S256,
    Plain,
}

impl Method {
    /// Method names are case-sensitive (`s256` is not `S256`); an absent method means `plain`
    /// (RFC 7636 4.3).
    pub(crate) fn parse(method: Option<&str>) -> Option<Self> {
        match method {
            Some("S256") => Some(Self::S256),
            Some("plain") | None => Some(Self::Plain),
            Some(_) => None,
        }
    }
}

/// 43 to 128 characters of `[A-Za-z0-9-._~]` (RFC 7636 4.1): a verifier, or a plain challenge.
pub(crate) fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `challenge` has the shape `method` produces: S256 is exactly 43 base64url
/// characters (32 bytes, unpadded).
pub(crate) fn is_valid_challenge(method: Method, challenge: &str) -> bool {
    match method {
        Method::S256 => {
            challenge.len() == 43
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        }
        Method::Plain => is_valid_verifier(challenge),
    }
}

/// `BASE64URL(SHA256(verifier)) == challenge` for S256, equality for plain; constant time.
pub(crate) fn verify(method: Method, challenge: &str, verifier: &str) -> bool {
    let derived = match method {
        Method::S256 => URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes())),
        Method::Plain => verifier.to_owned(),
    };
    verify_slices_are_equal(derived.as_bytes(), challenge.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_rfc_7636_appendix_b_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(is_valid_verifier(verifier));
        assert!(is_valid_challenge(Method::S256, challenge));
        assert!(verify(Method::S256, challenge, verifier));
        assert!(!verify(
            Method::S256,
            challenge,
            &verifier.replace('d', "e")
        ));
    }

    #[test]
    fn rejects_verifiers_of_the_wrong_length_or_alphabet() {
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"~".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
        assert!(!is_valid_verifier(&format!("{}%7E", "a".repeat(43))));
    }

    #[test]
    fn method_names_are_case_sensitive() {
        assert_eq!(Method::parse(Some("S256")), Some(Method::S256));
        assert_eq!(Method::parse(None), Some(Method::Plain));
        assert_eq!(Method::parse(Some("s256")), None);
        assert_eq!(Method::parse(Some("SHA256")), None);
    }

    #[test]
    fn a_padded_challenge_is_malformed() {
        assert!(!is_valid_challenge(
            Method::S256,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="
        ));
    }
}
