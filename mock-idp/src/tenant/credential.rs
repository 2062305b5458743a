//! A client's public keys for `private_key_jwt` (RFC 7523), as Auth0's client credentials:
//! a PEM `SubjectPublicKeyInfo` and the one algorithm it verifies.

use aws_lc_rs::signature::{self, ECDSA_P256_SHA256_FIXED, ParsedPublicKey, VerificationAlgorithm};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::issuance::keys::Algorithm;

/// A public key a client signs its `client_assertion` with, and its algorithm.
///
/// ```
/// use mock_idp::{Algorithm, ClientCredential, TenantConfig};
/// let tenant = TenantConfig::from_toml(r#"
///     [[clients]]
///     client_id = "billing"
///     app_type = "non_interactive"
///     credentials = [{ pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE...\n-----END PUBLIC KEY-----", alg = "ES256" }]
/// "#);
/// // Checked when the tenant loads: this PEM is cut short.
/// assert!(tenant.unwrap_err().to_string().contains("client billing: credential 1"));
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientCredential {
    /// `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo), RSA or P-256.
    pub pem: String,
    /// `RS256`, `PS256` (RSA keys) or `ES256` (P-256 keys); never `HS256`.
    pub alg: Algorithm,
}

impl ClientCredential {
    /// The key, ready to verify; or why it cannot be used (a config error at load).
    pub(crate) fn public_key(&self) -> Result<ParsedPublicKey, String> {
        let algorithm: &'static dyn VerificationAlgorithm = match self.alg {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::ES256 => &ECDSA_P256_SHA256_FIXED,
            Algorithm::HS256 => {
                return Err(
                    "alg HS256 is a shared secret, not a public key: use RS256, PS256 or ES256"
                        .into(),
                );
            }
        };
        let der = spki_der(&self.pem)?;
        ParsedPublicKey::new(algorithm, der).map_err(|_| {
            let kind = if self.alg == Algorithm::ES256 {
                "an EC P-256"
            } else {
                "an RSA (2048 to 8192 bits)"
            };
            format!(
                "the PEM is not {kind} public key, as alg {} needs",
                self.alg
            )
        })
    }
}

fn spki_der(pem: &str) -> Result<Vec<u8>, String> {
    const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
    const END: &str = "-----END PUBLIC KEY-----";
    let pem = pem.trim();
    let body = pem
        .strip_prefix(BEGIN)
        .and_then(|rest| rest.strip_suffix(END))
        .ok_or_else(|| {
            if pem.contains("PRIVATE KEY") {
                "this is a private key: register the public key (-----BEGIN PUBLIC KEY-----)"
                    .to_owned()
            } else {
                format!("pem must be a {BEGIN} ... {END} block")
            }
        })?;
    let body: String = body.split_ascii_whitespace().collect();
    STANDARD
        .decode(body)
        .map_err(|_| "the PEM's body is not base64".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC: &str = include_str!("../../tests/api/client_keys/ec.pub.pem");
    const RSA: &str = include_str!("../../tests/api/client_keys/rsa.pub.pem");

    fn credential(pem: &str, alg: Algorithm) -> ClientCredential {
        ClientCredential {
            pem: pem.into(),
            alg,
        }
    }

    #[test]
    fn a_key_is_usable_with_the_algorithms_of_its_type_only() {
        assert!(credential(EC, Algorithm::ES256).public_key().is_ok());
        assert!(credential(RSA, Algorithm::RS256).public_key().is_ok());
        assert!(credential(RSA, Algorithm::PS256).public_key().is_ok());
        let error = credential(EC, Algorithm::RS256).public_key().unwrap_err();
        assert!(error.contains("RSA"), "{error}");
        let error = credential(RSA, Algorithm::ES256).public_key().unwrap_err();
        assert!(error.contains("P-256"), "{error}");
    }

    #[test]
    fn hs256_and_private_keys_and_garbage_are_refused_with_a_reason() {
        let hs = credential(EC, Algorithm::HS256).public_key().unwrap_err();
        assert!(hs.contains("HS256"), "{hs}");
        let private = credential(
            "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----",
            Algorithm::ES256,
        )
        .public_key()
        .unwrap_err();
        assert!(private.contains("private key"), "{private}");
        let garbage = credential(
            "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----",
            Algorithm::ES256,
        )
        .public_key()
        .unwrap_err();
        assert!(garbage.contains("base64"), "{garbage}");
    }
}
