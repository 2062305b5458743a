//! A `jsonwebtoken` crypto provider that parses each RSA key once.
//!
//! `jsonwebtoken`'s own aws-lc provider keeps a JWK's `n` and `e` as bytes and, for every
//! token, rebuilds an aws-lc RSA key from them (big-number parsing and Montgomery set-up)
//! before verifying. That is about a fifth of the cost of an RS256 verification. This
//! provider is the same aws-lc provider, except that an RS256 verification with an `n`/`e`
//! key uses an [`aws_lc_rs::signature::ParsedPublicKey`] built once per distinct key.
//!
//! * The parsed keys are a memo of pure functions of public data: an entry is found only by
//!   the exact `n` and `e` bytes `jsonwebtoken` is verifying with, so it can never make a
//!   token valid under a key the [`JwksCache`](super::JwksCache) no longer hands out.
//! * It holds at most [`MAX_KEYS`] keys and starts over when full, so key rotation over a long
//!   uptime cannot grow it.
//! * The algorithm is the same (`RSA_PKCS1_2048_8192_SHA256`: PKCS#1 v1.5, SHA-256, a
//!   2048–8192-bit modulus), and every other algorithm or key kind goes to `jsonwebtoken`'s
//!   aws-lc provider unchanged. Verified tokens are not cached: every request pays its
//!   signature check.

use std::sync::{Arc, LazyLock, RwLock};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use jsonwebtoken::{
    Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind,
    crypto::{CryptoProvider, JwtVerifier, aws_lc},
    errors::Result,
    signature::{self, Verifier},
};

/// Most distinct RSA keys remembered at once (an IdP publishes two or three).
pub const MAX_KEYS: usize = 16;

struct Entry {
    n: Box<[u8]>,
    e: Box<[u8]>,
    key: Arc<ParsedPublicKey>,
}

static PARSED: RwLock<Vec<Entry>> = RwLock::new(Vec::new());

static PROVIDER: LazyLock<CryptoProvider> = LazyLock::new(|| CryptoProvider {
    verifier_factory: new_verifier,
    ..aws_lc::DEFAULT_PROVIDER.clone()
});

/// Installs this provider as `jsonwebtoken`'s process default, unless one is installed (or
/// `jsonwebtoken` has already picked its own) already; returns whether this one is in use.
/// Either way verification is correct; only its speed differs.
pub fn install_provider() -> bool {
    let provider: &'static CryptoProvider = &PROVIDER;
    let _ = provider.install_default();
    CryptoProvider::try_get_default().is_some_and(|p| std::ptr::eq(p, provider))
}

fn new_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    if *algorithm == Algorithm::RS256
        && key.family() == AlgorithmFamily::Rsa
        && let DecodingKeyKind::RsaModulusExponent { n, e } = key.kind()
        && let Some(parsed) = parsed_key(n, e)
    {
        return Ok(Box::new(Rs256Verifier(parsed)));
    }
    (aws_lc::DEFAULT_PROVIDER.verifier_factory)(algorithm, key)
}

/// The parsed key for `n`/`e`, or `None` if aws-lc refuses them (the default provider then
/// fails the verification the way it always did).
fn parsed_key(n: &[u8], e: &[u8]) -> Option<Arc<ParsedPublicKey>> {
    let find = |entries: &[Entry]| {
        entries
            .iter()
            .find(|entry| *entry.n == *n && *entry.e == *e)
            .map(|entry| entry.key.clone())
    };
    if let Some(key) = find(&PARSED.read().unwrap_or_else(|p| p.into_inner())) {
        return Some(key);
    }
    let key = Arc::new(
        RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .ok()?,
    );
    let mut entries = PARSED.write().unwrap_or_else(|p| p.into_inner());
    if let Some(existing) = find(&entries) {
        return Some(existing);
    }
    if entries.len() >= MAX_KEYS {
        entries.clear();
    }
    entries.push(Entry {
        n: n.into(),
        e: e.into(),
        key: key.clone(),
    });
    Some(key)
}

struct Rs256Verifier(Arc<ParsedPublicKey>);

impl Verifier<Vec<u8>> for Rs256Verifier {
    fn verify(
        &self,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> std::result::Result<(), signature::Error> {
        self.0
            .verify_sig(message, signature)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for Rs256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

    fn k1() -> (Vec<u8>, Vec<u8>) {
        let components: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/components.json")).unwrap();
        let decode = |s: &serde_json::Value| URL_SAFE_NO_PAD.decode(s.as_str().unwrap()).unwrap();
        (
            decode(&components["k1"]["n"]),
            decode(&components["k1"]["e"]),
        )
    }

    #[test]
    fn parses_a_key_once_and_reuses_it() {
        let (n, e) = k1();
        let first = parsed_key(&n, &e).unwrap();
        let second = parsed_key(&n, &e).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
    }

    #[test]
    fn a_different_exponent_is_a_different_key() {
        let (n, e) = k1();
        let other = parsed_key(&n, &[3]).unwrap();
        assert!(!Arc::ptr_eq(&parsed_key(&n, &e).unwrap(), &other));
    }

    #[test]
    fn stays_bounded() {
        let (mut n, e) = k1();
        for i in 0..(MAX_KEYS as u8 + 4) {
            n[255] = i | 1;
            parsed_key(&n, &e).unwrap();
        }
        assert!(PARSED.read().unwrap().len() <= MAX_KEYS);
    }

    #[test]
    fn leaves_other_algorithms_to_the_default_provider() {
        let (n, e) = k1();
        let key = DecodingKey::from_rsa_raw_components(&n, &e);
        let verifier = new_verifier(&Algorithm::PS256, &key).unwrap();
        assert_eq!(verifier.algorithm(), Algorithm::PS256);
        let verifier = new_verifier(&Algorithm::RS256, &key).unwrap();
        assert_eq!(verifier.algorithm(), Algorithm::RS256);
    }
}
