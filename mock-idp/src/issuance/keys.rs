//! Signing keys: the embedded development keys, fresh and persisted keys, rotation, and the
//! public JWK set.
//!
//! Keys are parsed once and held (`aws-lc-rs` key pairs), never re-parsed per signature: that is
//! most of the difference between ~450 and ~1,100 RS256 signatures per second per core.
//! The `kid` of every key is its RFC 7638 thumbprint, so the same key always has the same `kid`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    RsaKeyPair, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A JWS signing algorithm the mock can issue tokens with.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{Algorithm, MockIdp};
/// assert_eq!(Algorithm::default(), Algorithm::RS256);
/// assert_eq!("ps256".parse::<Algorithm>(), Ok(Algorithm::PS256));
/// assert!("none".parse::<Algorithm>().is_err());
///
/// let idp = MockIdp::builder().signing_alg(Algorithm::PS256).start().await;
/// assert_eq!(idp.jwks()["keys"][0]["alg"], "PS256");
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: Auth0's default and this mock's.
    #[default]
    RS256,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// HMAC SHA-256 with a shared secret (a client secret or an API signing secret), as Auth0
    /// allows for clients and APIs configured that way. Never published in the JWKS.
    HS256,
}

impl Algorithm {
    /// The `alg` header value.
    ///
    /// ```
    /// use mock_idp::Algorithm;
    /// assert_eq!(Algorithm::ES256.as_str(), "ES256");
    /// assert_eq!(Algorithm::HS256.to_string(), Algorithm::HS256.as_str());
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::ES256 => "ES256",
            Self::HS256 => "HS256",
        }
    }

    fn is_rsa(self) -> bool {
        matches!(self, Self::RS256 | Self::PS256)
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "RS256" => Ok(Self::RS256),
            "PS256" => Ok(Self::PS256),
            "ES256" => Ok(Self::ES256),
            "HS256" => Ok(Self::HS256),
            other => Err(format!(
                "unsupported signing algorithm {other:?} (expected RS256, PS256, ES256 or HS256)"
            )),
        }
    }
}

/// Why a key could not be loaded or made.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{IdpConfig, KeyError, Server, StartError};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("keys.json");
/// std::fs::write(&path, "not json").unwrap();
/// let config = IdpConfig { keys_file: Some(path), ..IdpConfig::default() };
/// let error = Server::bind("127.0.0.1:0", config).await.unwrap_err();
/// assert!(matches!(error, StartError::Keys(KeyError::BadFile { .. })), "{error}");
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key bytes are not a PKCS#8 key of the expected type.
    #[error("invalid {alg} key: {reason}")]
    Invalid {
        /// The algorithm the key was meant for.
        alg: Algorithm,
        /// What the crypto library said.
        reason: String,
    },
    /// HS256 keys are shared secrets, not key pairs.
    #[error("HS256 uses client or API secrets, not a key pair; choose RS256, PS256 or ES256")]
    Symmetric,
    /// Reading or writing the keys file failed.
    #[error("keys file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The keys file is not what this program writes.
    #[error("keys file {path}: {reason}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// One asymmetric signing key with its public JWK.
pub(crate) struct SigningKey {
    kid: String,
    alg: Algorithm,
    pair: Pair,
    /// Kept so a keys file can be written back after a rotation.
    pkcs8: Vec<u8>,
    jwk: Value,
    public_pem: String,
    /// The public key in the form aws-lc verifies with (PKCS#1 for RSA, a SEC1 point for EC).
    public_raw: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub(crate) fn from_pkcs8(alg: Algorithm, der: &[u8]) -> Result<Self, KeyError> {
        let invalid = |reason: String| KeyError::Invalid { alg, reason };
        match alg {
            Algorithm::HS256 => Err(KeyError::Symmetric),
            Algorithm::RS256 | Algorithm::PS256 => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| invalid(e.to_string()))?;
                let public = pair.public_key();
                let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
                let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
                let thumbprint = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
                let kid = sha256_b64url(thumbprint.as_bytes());
                let spki = AsDer::<PublicKeyX509Der<'_>>::as_der(public)
                    .map_err(|_| invalid("cannot encode the public key".into()))?;
                let jwk = json!({"kty": "RSA", "use": "sig", "alg": alg.as_str(), "kid": kid, "n": n, "e": e});
                Ok(Self {
                    public_pem: pem_encode("PUBLIC KEY", spki.as_ref()),
                    public_raw: public.as_ref().to_vec(),
                    kid,
                    alg,
                    pair: Pair::Rsa(pair),
                    pkcs8: der.to_vec(),
                    jwk,
                })
            }
            Algorithm::ES256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|e| invalid(e.to_string()))?;
                let point = pair.public_key().as_ref().to_vec();
                if point.len() != 65 || point[0] != 4 {
                    return Err(invalid("expected an uncompressed P-256 point".into()));
                }
                let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
                let y = URL_SAFE_NO_PAD.encode(&point[33..65]);
                let thumbprint = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
                let kid = sha256_b64url(thumbprint.as_bytes());
                let jwk = json!({"kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256", "x": x, "y": y});
                let spki = ec_p256_spki(&point);
                Ok(Self {
                    public_pem: pem_encode("PUBLIC KEY", &spki),
                    public_raw: point,
                    kid,
                    alg,
                    pair: Pair::Ec(pair),
                    pkcs8: der.to_vec(),
                    jwk,
                })
            }
        }
    }

    pub(crate) fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let der = match alg {
            Algorithm::HS256 => return Err(KeyError::Symmetric),
            Algorithm::RS256 | Algorithm::PS256 => {
                let pair =
                    RsaKeyPair::generate(KeySize::Rsa2048).map_err(|e| KeyError::Invalid {
                        alg,
                        reason: e.to_string(),
                    })?;
                AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(&pair)
                    .map_err(|e| KeyError::Invalid {
                        alg,
                        reason: e.to_string(),
                    })?
                    .as_ref()
                    .to_vec()
            }
            Algorithm::ES256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                .and_then(|p| p.to_pkcs8v1())
                .map_err(|e| KeyError::Invalid {
                    alg,
                    reason: e.to_string(),
                })?
                .as_ref()
                .to_vec(),
        };
        Self::from_pkcs8(alg, &der)
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn alg(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// The SubjectPublicKeyInfo PEM: what a confused verifier would use as an HMAC secret.
    pub(crate) fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.pair {
            Pair::Rsa(pair) => {
                let encoding: &'static dyn signature::RsaEncoding = match self.alg {
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; pair.public_modulus_len()];
                pair.sign(encoding, &rng, message, &mut sig)
                    .expect("signing with a validated RSA key cannot fail");
                sig
            }
            Pair::Ec(pair) => pair
                .sign(&rng, message)
                .expect("signing with a validated EC key cannot fail")
                .as_ref()
                .to_vec(),
        }
    }

    pub(crate) fn verify(&self, alg: &str, message: &[u8], sig: &[u8]) -> bool {
        let algorithm: &'static dyn signature::VerificationAlgorithm = match (alg, self.alg) {
            ("RS256", a) if a.is_rsa() => &signature::RSA_PKCS1_2048_8192_SHA256,
            ("PS256", a) if a.is_rsa() => &signature::RSA_PSS_2048_8192_SHA256,
            ("ES256", Algorithm::ES256) => &ECDSA_P256_SHA256_FIXED,
            _ => return false,
        };
        UnparsedPublicKey::new(algorithm, &self.public_raw)
            .verify(message, sig)
            .is_ok()
    }
}

pub(crate) fn hmac_sha256(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    aws_lc_rs::hmac::sign(&key, message).as_ref().to_vec()
}

pub(crate) fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

fn sha256_b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(sha256(bytes))
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_decode(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD
        .decode(body.trim())
        .expect("embedded PEM keys are valid base64")
}

/// SubjectPublicKeyInfo for an uncompressed P-256 point (fixed ASN.1 prefix).
fn ec_p256_spki(point: &[u8]) -> Vec<u8> {
    const PREFIX: [u8; 26] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    let mut out = PREFIX.to_vec();
    out.extend_from_slice(point);
    out
}

// The embedded development keys (see keys/README.md: published on purpose, not secrets).
const DEV_RSA: [&str; 4] = [
    include_str!("../../keys/dev-rsa-1.pem"),
    include_str!("../../keys/dev-rsa-2.pem"),
    include_str!("../../keys/dev-rsa-3.pem"),
    include_str!("../../keys/dev-rsa-4.pem"),
];
const DEV_EC: [&str; 2] = [
    include_str!("../../keys/dev-ec-1.pem"),
    include_str!("../../keys/dev-ec-2.pem"),
];
const FOREIGN_RSA: &str = include_str!("../../keys/foreign-rsa.pem");
const FOREIGN_EC: &str = include_str!("../../keys/foreign-ec.pem");

type Cached = OnceLock<Arc<SigningKey>>;

/// The `index`-th embedded development key for `alg`, parsed once per process: starting fifty
/// mocks in one test binary costs one key parse, not fifty.
pub(crate) fn dev_key(alg: Algorithm, index: usize) -> Option<Arc<SigningKey>> {
    static RS: [Cached; 4] = [const { OnceLock::new() }; 4];
    static PS: [Cached; 4] = [const { OnceLock::new() }; 4];
    static ES: [Cached; 2] = [const { OnceLock::new() }; 2];
    let (cells, pems): (&[Cached], &[&str]) = match alg {
        Algorithm::RS256 => (&RS, &DEV_RSA),
        Algorithm::PS256 => (&PS, &DEV_RSA),
        Algorithm::ES256 => (&ES, &DEV_EC),
        Algorithm::HS256 => return None,
    };
    let cell = cells.get(index)?;
    Some(Arc::clone(cell.get_or_init(|| {
        Arc::new(
            SigningKey::from_pkcs8(alg, &pem_decode(pems[index]))
                .expect("embedded development keys are valid"),
        )
    })))
}

/// A key that is never published: signs "foreign key" negative-test tokens.
pub(crate) fn foreign_key(alg: Algorithm) -> Arc<SigningKey> {
    static RS: Cached = OnceLock::new();
    static PS: Cached = OnceLock::new();
    static ES: Cached = OnceLock::new();
    let (cell, pem, alg) = match alg {
        Algorithm::PS256 => (&PS, FOREIGN_RSA, Algorithm::PS256),
        Algorithm::ES256 => (&ES, FOREIGN_EC, Algorithm::ES256),
        _ => (&RS, FOREIGN_RSA, Algorithm::RS256),
    };
    Arc::clone(cell.get_or_init(|| {
        Arc::new(
            SigningKey::from_pkcs8(alg, &pem_decode(pem)).expect("embedded foreign key is valid"),
        )
    }))
}

/// Where the next key comes from when the ring rotates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// The embedded development keys, in order: the default, and deterministic mode.
    /// Past the last embedded key, rotation generates.
    Embedded,
    /// Freshly generated keys.
    Fresh,
    /// Generated keys, written to this file after every change.
    File(PathBuf),
}

/// The published keys; the last one signs.
#[derive(Debug, Clone)]
pub(crate) struct KeyRing {
    alg: Algorithm,
    keys: Vec<Arc<SigningKey>>,
    source: KeySource,
    /// How many embedded keys have been used, for deterministic rotation.
    embedded_used: usize,
}

impl KeyRing {
    pub(crate) fn new(alg: Algorithm, source: KeySource) -> Result<Self, KeyError> {
        let alg = if alg == Algorithm::HS256 {
            // HS256 is per client/API; the tenant still needs an asymmetric key for the rest.
            Algorithm::RS256
        } else {
            alg
        };
        let mut ring = Self {
            alg,
            keys: Vec::new(),
            source,
            embedded_used: 0,
        };
        match ring.source.clone() {
            KeySource::Embedded => {
                let key = ring.next_embedded()?;
                ring.keys.push(key);
            }
            KeySource::Fresh => ring.keys.push(Arc::new(SigningKey::generate(alg)?)),
            KeySource::File(path) => {
                if path.exists() {
                    ring.keys = load_keys_file(&path)?;
                    if ring.keys.is_empty() {
                        return Err(KeyError::BadFile {
                            path,
                            reason: "it holds no keys".into(),
                        });
                    }
                    ring.alg = ring.active().alg();
                } else {
                    ring.keys.push(Arc::new(SigningKey::generate(alg)?));
                    ring.save()?;
                }
            }
        }
        Ok(ring)
    }

    fn next_embedded(&mut self) -> Result<Arc<SigningKey>, KeyError> {
        let key = match dev_key(self.alg, self.embedded_used) {
            Some(key) => key,
            None => Arc::new(SigningKey::generate(self.alg)?),
        };
        self.embedded_used += 1;
        Ok(key)
    }

    pub(crate) fn active(&self) -> Arc<SigningKey> {
        Arc::clone(self.keys.last().expect("a key ring is never empty"))
    }

    #[cfg(test)]
    pub(crate) fn find(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.keys.iter().find(|k| k.kid() == kid).cloned()
    }

    pub(crate) fn keys(&self) -> &[Arc<SigningKey>] {
        &self.keys
    }

    /// A new key starts signing; the old ones stay published until retired.
    pub(crate) fn rotate(&mut self) -> Result<Arc<SigningKey>, KeyError> {
        let key = match self.source {
            KeySource::Embedded => self.next_embedded()?,
            KeySource::Fresh | KeySource::File(_) => Arc::new(SigningKey::generate(self.alg)?),
        };
        self.keys.push(Arc::clone(&key));
        self.save()?;
        Ok(key)
    }

    /// Unpublishes every key but the active one.
    pub(crate) fn retire_old(&mut self) -> Result<usize, KeyError> {
        let removed = self.keys.len() - 1;
        self.keys.drain(..removed);
        self.save()?;
        Ok(removed)
    }

    pub(crate) fn jwks(&self) -> Value {
        // Newest first, as Auth0 lists its current key first.
        let keys: Vec<&Value> = self.keys.iter().rev().map(|k| k.jwk()).collect();
        json!({ "keys": keys })
    }

    fn save(&self) -> Result<(), KeyError> {
        let KeySource::File(path) = &self.source else {
            return Ok(());
        };
        let file = KeysFile {
            note: KEYS_FILE_NOTE.into(),
            keys: self
                .keys
                .iter()
                .map(|k| StoredKey {
                    kid: k.kid().to_owned(),
                    alg: k.alg(),
                    pkcs8: STANDARD.encode(&k.pkcs8),
                })
                .collect(),
        };
        let text = serde_json::to_string_pretty(&file).expect("keys serialise");
        write_private(path, text.as_bytes()).map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })
    }
}

const KEYS_FILE_NOTE: &str = "mock-idp signing keys (private). Written by mock-idp --keys-file; oldest first, the last one signs.";

#[derive(Serialize, Deserialize)]
struct KeysFile {
    #[serde(default)]
    note: String,
    keys: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    alg: Algorithm,
    pkcs8: String,
}

fn load_keys_file(path: &Path) -> Result<Vec<Arc<SigningKey>>, KeyError> {
    let bad = |reason: String| KeyError::BadFile {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_owned(),
        source,
    })?;
    let file: KeysFile = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    file.keys
        .into_iter()
        .map(|stored| {
            let der = STANDARD
                .decode(stored.pkcs8.as_bytes())
                .map_err(|e| bad(format!("key {}: {e}", stored.kid)))?;
            Ok(Arc::new(SigningKey::from_pkcs8(stored.alg, &der)?))
        })
        .collect()
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_keys_have_stable_thumbprint_kids() {
        let a = dev_key(Algorithm::RS256, 0).unwrap();
        let b = SigningKey::from_pkcs8(Algorithm::RS256, &pem_decode(DEV_RSA[0])).unwrap();
        assert_eq!(a.kid(), b.kid());
        assert_eq!(a.kid().len(), 43);
    }

    #[test]
    fn signatures_verify_with_the_public_half_only() {
        for alg in [Algorithm::RS256, Algorithm::PS256, Algorithm::ES256] {
            let key = dev_key(alg, 0).unwrap();
            let sig = key.sign(b"payload");
            assert!(key.verify(alg.as_str(), b"payload", &sig), "{alg}");
            assert!(!key.verify(alg.as_str(), b"payloaD", &sig), "{alg}");
            assert!(
                !foreign_key(alg).verify(alg.as_str(), b"payload", &sig),
                "{alg}"
            );
        }
    }

    #[test]
    fn rotation_keeps_old_keys_published_until_retired() {
        let mut ring = KeyRing::new(Algorithm::RS256, KeySource::Embedded).unwrap();
        let first = ring.active().kid().to_owned();
        let second = ring.rotate().unwrap().kid().to_owned();
        assert_ne!(first, second);
        assert_eq!(ring.active().kid(), second);
        assert!(ring.find(&first).is_some());
        assert_eq!(ring.retire_old().unwrap(), 1);
        assert!(ring.find(&first).is_none());
        assert_eq!(ring.keys().len(), 1);
    }

    #[test]
    fn a_keys_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let first = KeyRing::new(Algorithm::ES256, KeySource::File(path.clone())).unwrap();
        let again = KeyRing::new(Algorithm::ES256, KeySource::File(path.clone())).unwrap();
        assert_eq!(first.active().kid(), again.active().kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(
                mode & 0o077,
                0,
                "the keys file must not be readable by others"
            );
        }
    }

    #[test]
    fn a_corrupt_keys_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::fs::write(&path, "not json").unwrap();
        let err = KeyRing::new(Algorithm::RS256, KeySource::File(path)).unwrap_err();
        assert!(err.to_string().contains("keys.json"), "{err}");
    }
}
