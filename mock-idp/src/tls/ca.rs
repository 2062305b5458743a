//! The local CA: made on first use (on disk, or in memory once per process), and the leaf
//! certificates it signs for the mock.
//!
//! The CA's name is derived from its key (`mock-idp local CA <8 hex digits>`), so a CA kept on
//! disk is rebuilt as an issuer from `ca-key.pem` alone, with no X.509 parser, and two
//! developers' CAs (or two projects') never share a name.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use time::OffsetDateTime;

use super::TlsError;

pub(super) const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";
const LEAF_CERT: &str = "cert.pem";
const LEAF_KEY: &str = "key.pem";

/// Long enough to trust once; a developer who wants a new one deletes the directory.
const CA_LIFETIME: time::Duration = time::Duration::days(10 * 365);
/// Under Apple's 398-day ceiling for certificates that chain to a user-trusted root.
const LEAF_LIFETIME: time::Duration = time::Duration::days(365);
/// A leaf that expires sooner than this is replaced on start: a mock left running for weeks
/// should not see its certificate expire under it.
const RENEW_BEFORE: Duration = Duration::from_secs(30 * 86_400);
/// Clock skew between the mock and a container or VM that checks the leaf.
const BACKDATE: time::Duration = time::Duration::hours(1);

/// A leaf certificate, its key, and the CA that signed it.
pub(super) struct Leaf {
    pub(super) chain: Vec<CertificateDer<'static>>,
    pub(super) key: PrivateKeyDer<'static>,
    pub(super) ca_pem: Arc<str>,
}

/// A CA that can sign leaves.
struct Ca {
    key: KeyPair,
    cert_pem: Arc<str>,
    cert_der: CertificateDer<'static>,
}

impl Ca {
    fn create() -> Result<Self, TlsError> {
        let key = KeyPair::generate().map_err(certificate)?;
        let mut params = ca_params(&key);
        let now = OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = now + CA_LIFETIME;
        params.serial_number = Some(random_serial()?);
        let cert = params.self_signed(&key).map_err(certificate)?;
        Ok(Self {
            cert_pem: cert.pem().into(),
            cert_der: cert.der().clone(),
            key,
        })
    }

    /// A leaf for `names`, signed by this CA: its certificate and key, as PEM.
    fn issue(&self, names: &[String]) -> Result<(String, String), TlsError> {
        let key = KeyPair::generate().map_err(certificate)?;
        let mut params = CertificateParams::new(names.to_vec()).map_err(certificate)?;
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "mock-idp");
        name.push(DnType::CommonName, names[0].as_str());
        params.distinguished_name = name;
        // Chrome refuses a server certificate without these (ERR_SSL_KEY_USAGE_INCOMPATIBLE).
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let now = OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = now + LEAF_LIFETIME;
        // Firefox refuses two different certificates with one issuer and serial.
        params.serial_number = Some(random_serial()?);
        let issuer = Issuer::new(ca_params(&self.key), &self.key);
        let cert = params.signed_by(&key, &issuer).map_err(certificate)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// Whether `leaf` chains to this CA and is valid for every name in `names`, for at least
    /// [`RENEW_BEFORE`] more.
    fn covers(&self, leaf: &CertificateDer<'_>, names: &[String]) -> bool {
        let mut roots = rustls::RootCertStore::empty();
        if roots.add(self.cert_der.clone()).is_err() {
            return false;
        }
        let Ok(verifier) =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), super::provider()).build()
        else {
            return false;
        };
        let Some(then) = UnixTime::now()
            .as_secs()
            .checked_add(RENEW_BEFORE.as_secs())
        else {
            return false;
        };
        let then = UnixTime::since_unix_epoch(Duration::from_secs(then));
        names.iter().all(|name| {
            ServerName::try_from(name.as_str()).is_ok_and(|name| {
                verifier
                    .verify_server_cert(leaf, &[], &name, &[], then)
                    .is_ok()
            })
        })
    }
}

/// What a CA certificate says, derived from its key; see the module doc.
fn ca_params(key: &KeyPair) -> CertificateParams {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.public_key_raw());
    let id: String = digest.as_ref()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "mock-idp");
    name.push(DnType::CommonName, format!("mock-idp local CA {id}"));
    params.distinguished_name = name;
    // It signs leaves and nothing else: no intermediate CAs below it.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn random_serial() -> Result<SerialNumber, TlsError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| certificate("no randomness"))?;
    // A positive INTEGER: the top bit clear.
    bytes[0] &= 0x7f;
    Ok(SerialNumber::from_slice(&bytes))
}

fn certificate(e: impl std::fmt::Display) -> TlsError {
    TlsError::Certificate(e.to_string())
}

/// The names the leaf must cover: the loopback names, and the issuer's host.
fn names(issuer_host: &str) -> Vec<String> {
    let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let host = issuer_host.trim_start_matches('[').trim_end_matches(']');
    if !host.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(host)) {
        names.push(host.to_ascii_lowercase());
    }
    names
}

/// A leaf from the process's in-memory CA, made on first use.
pub(super) fn in_memory(issuer_host: &str) -> Result<Leaf, TlsError> {
    static CA: OnceLock<Result<Ca, String>> = OnceLock::new();
    let ca = CA
        .get_or_init(|| Ca::create().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| TlsError::Certificate(e.clone()))?;
    let (cert, key) = ca.issue(&names(issuer_host))?;
    leaf(
        ca,
        cert.as_bytes(),
        key.as_bytes(),
        Path::new("(in memory)"),
    )
}

/// A leaf from the CA kept in `dir`: the CA made if there is none, the leaf reused while it
/// covers `issuer_host` and is not about to expire, and made anew otherwise.
pub(super) fn on_disk(dir: &Path, issuer_host: &str) -> Result<Leaf, TlsError> {
    make_private_dir(dir)?;
    let ca = load_or_create_ca(dir)?;
    let names = names(issuer_host);
    let (cert_path, key_path) = (dir.join(LEAF_CERT), dir.join(LEAF_KEY));
    if let (Ok(cert), Ok(key)) = (fs::read(&cert_path), fs::read(&key_path)) {
        let current = CertificateDer::from_pem_slice(&cert)
            .is_ok_and(|leaf_der| ca.covers(&leaf_der, &names));
        if current {
            // A key that does not match the certificate fails here, and is replaced below.
            if let Ok(leaf) = leaf(&ca, &cert, &key, &cert_path) {
                return Ok(leaf);
            }
        }
    }
    let (cert, key) = ca.issue(&names)?;
    let issued = CertificateDer::from_pem_slice(cert.as_bytes()).map_err(certificate)?;
    if !ca.covers(&issued, &names) {
        return Err(TlsError::Certificate(format!(
            "{} and {} in {} do not belong together; delete the directory to make a new CA \
             (and trust the new ca.pem)",
            CA_CERT,
            CA_KEY,
            dir.display()
        )));
    }
    write_private(&key_path, key.as_bytes())?;
    write_private(&cert_path, cert.as_bytes())?;
    leaf(&ca, cert.as_bytes(), key.as_bytes(), &cert_path)
}

fn load_or_create_ca(dir: &Path) -> Result<Ca, TlsError> {
    let (cert_path, key_path) = (dir.join(CA_CERT), dir.join(CA_KEY));
    match fs::read_to_string(&key_path) {
        Ok(key_pem) => {
            let key = KeyPair::from_pem(&key_pem).map_err(|e| TlsError::Pem {
                path: key_path.clone(),
                reason: format!("not a CA key mock-idp can use: {e}"),
            })?;
            let cert_pem = fs::read_to_string(&cert_path).map_err(TlsError::io(&cert_path))?;
            let cert_der =
                CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|e| TlsError::Pem {
                    path: cert_path.clone(),
                    reason: format!("no certificate: {e}"),
                })?;
            Ok(Ca {
                key,
                cert_pem: cert_pem.into(),
                cert_der,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let ca = Ca::create()?;
            write_private(&key_path, ca.key.serialize_pem().as_bytes())?;
            write_private(&cert_path, ca.cert_pem.as_bytes())?;
            Ok(ca)
        }
        Err(e) => Err(TlsError::io(&key_path)(e)),
    }
}

fn leaf(ca: &Ca, cert_pem: &[u8], key_pem: &[u8], path: &Path) -> Result<Leaf, TlsError> {
    let pem_error = |reason: String| TlsError::Pem {
        path: path.to_owned(),
        reason,
    };
    let chain =
        vec![CertificateDer::from_pem_slice(cert_pem).map_err(|e| pem_error(e.to_string()))?];
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| pem_error(e.to_string()))?;
    // What `with_single_cert` checks later, checked here so that a mismatched pair on disk is
    // replaced rather than refused.
    rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &super::provider())
        .map_err(|e| pem_error(e.to_string()))?;
    Ok(Leaf {
        chain,
        key,
        ca_pem: Arc::clone(&ca.cert_pem),
    })
}

/// The certificate chain in a PEM file (`--tls-cert`).
pub(super) fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = fs::read(path).map_err(TlsError::io(path))?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            path: path.to_owned(),
            reason: format!("not a PEM certificate chain: {e}"),
        })?;
    if chain.is_empty() {
        return Err(TlsError::Pem {
            path: path.to_owned(),
            reason: "no -----BEGIN CERTIFICATE----- block".into(),
        });
    }
    Ok(chain)
}

/// The private key in a PEM file (`--tls-key`).
pub(super) fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = fs::read(path).map_err(TlsError::io(path))?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| TlsError::Pem {
        path: path.to_owned(),
        reason: format!("no PEM private key (PKCS#8, PKCS#1 or SEC1): {e}"),
    })
}

fn make_private_dir(dir: &Path) -> Result<(), TlsError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(TlsError::io(dir))
}

/// Writes a file only its owner can read, whatever mode an earlier one had.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), TlsError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(TlsError::io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(TlsError::io(path))?;
    }
    file.write_all(contents).map_err(TlsError::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaf_covers_the_loopback_names_and_the_issuers_host_only() {
        // Arrange
        let ca = Ca::create().unwrap();
        let (cert, _) = ca.issue(&names("idp.test")).unwrap();
        let cert = CertificateDer::from_pem_slice(cert.as_bytes()).unwrap();

        // Act / Assert
        assert!(ca.covers(&cert, &names("idp.test")));
        assert!(ca.covers(&cert, &names("LOCALHOST")));
        assert!(!ca.covers(&cert, &names("other.test")));
        assert!(
            !Ca::create().unwrap().covers(&cert, &names("idp.test")),
            "another CA"
        );
    }

    #[test]
    fn the_ca_name_is_the_same_when_rebuilt_from_its_key() {
        let key = KeyPair::generate().unwrap();
        let reloaded = KeyPair::from_pem(&key.serialize_pem()).unwrap();
        assert_eq!(
            ca_params(&key).distinguished_name,
            ca_params(&reloaded).distinguished_name
        );
        let other = KeyPair::generate().unwrap();
        assert_ne!(
            ca_params(&key).distinguished_name,
            ca_params(&other).distinguished_name
        );
    }

    #[test]
    fn names_add_the_issuers_host_once_without_brackets() {
        assert_eq!(names("localhost"), ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(names("[::1]"), ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(
            names("Mock-IdP"),
            ["localhost", "127.0.0.1", "::1", "mock-idp"]
        );
    }
}
