//! HTTPS: where the mock's certificate comes from ([`Tls`]), and the listener that speaks TLS
//! (`listener`).
//!
//! Some SDKs build `https://<domain>` themselves and have no switch for http (node-auth0,
//! auth0-python's management client), so a mock they can reach must speak TLS with a
//! certificate they trust. A developer trusts one local CA once (`ca.pem`, made on first use
//! by `ca`), and the mock signs its own leaf with it on every start that needs a new one.
//!
//! Everything is ECDSA P-256 on aws-lc-rs: keys are made in well under a millisecond, and
//! every TLS stack a developer has (Node, Python, curl, rustls, browsers) accepts them.

mod ca;
mod listener;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use listener::TlsListener;

/// How a mock speaks HTTPS.
///
/// ```
/// use mock_idp::Tls;
/// let tls = Tls::LocalCa(".mock-idp/tls".into());
/// assert_eq!(tls.ca_file().unwrap(), std::path::Path::new(".mock-idp/tls/ca.pem"));
/// assert_eq!(Tls::Ephemeral.ca_file(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tls {
    /// A local CA kept in this directory (made on first use: `ca.pem`, `ca-key.pem`) signs a
    /// leaf certificate (`cert.pem`, `key.pem`) for `localhost`, `127.0.0.1`, `::1` and the
    /// issuer's host. Later starts reuse the CA, and the leaf while it still covers the
    /// issuer's host and is not close to expiry. Files are `0600`, the directory `0700`.
    LocalCa(PathBuf),
    /// A CA made in memory once per process, and no files: what
    /// [`MockIdpBuilder::https`](crate::MockIdpBuilder::https) uses.
    Ephemeral,
    /// Your own certificate chain and its private key, both PEM files.
    Files {
        /// The certificate chain, leaf first.
        cert: PathBuf,
        /// The private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
}

impl Tls {
    /// Where the CA certificate to trust lies, for [`Tls::LocalCa`].
    pub fn ca_file(&self) -> Option<PathBuf> {
        match self {
            Self::LocalCa(dir) => Some(dir.join(ca::CA_CERT)),
            Self::Ephemeral | Self::Files { .. } => None,
        }
    }
}

/// Why the mock cannot speak TLS as asked.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("TLS: {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file holds no usable certificate or key.
    #[error("TLS: {path}: {reason}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The certificates and keys do not fit together, or could not be made.
    #[error("TLS: {0}")]
    Certificate(String),
}

impl TlsError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// What a TLS listener needs, made once per server.
#[derive(Clone, Debug)]
pub(crate) struct ServerTls {
    pub(crate) config: Arc<rustls::ServerConfig>,
    /// The CA to trust, when the mock made it (not for [`Tls::Files`]).
    pub(crate) ca_pem: Option<Arc<str>>,
}

impl ServerTls {
    /// The certificate for `tls`, covering `issuer_host` when the mock signs it.
    pub(crate) fn new(tls: &Tls, issuer_host: &str) -> Result<Self, TlsError> {
        let (chain, key, ca_pem) = match tls {
            Tls::LocalCa(dir) => {
                let leaf = ca::on_disk(dir, issuer_host)?;
                (leaf.chain, leaf.key, Some(leaf.ca_pem))
            }
            Tls::Ephemeral => {
                let leaf = ca::in_memory(issuer_host)?;
                (leaf.chain, leaf.key, Some(leaf.ca_pem))
            }
            Tls::Files { cert, key } => (ca::read_chain(cert)?, ca::read_key(key)?, None),
        };
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Certificate(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| match tls {
                Tls::Files { cert, key } => TlsError::Certificate(format!(
                    "{} and {} do not make a usable certificate: {e}",
                    cert.display(),
                    key.display()
                )),
                _ => TlsError::Certificate(e.to_string()),
            })?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            ca_pem,
        })
    }
}

/// Seeds aws-lc's random generator on a thread of its own, once per process. Its first use
/// costs about 140 ms of CPU on a small VM (later ones microseconds); a start that reuses the
/// CA and leaf needs no randomness, so without this the first client's handshake would pay
/// it. Started as the server binds, it overlaps the rest of the start.
pub(crate) fn warm_entropy() {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("mock-idp entropy".into())
            .spawn(|| aws_lc_rs::rand::fill(&mut [0u8; 1]));
    });
}

/// The workspace's one crypto stack, named rather than taken from a process default, which
/// would be ambiguous (or absent) when another crate enables a second provider.
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}
