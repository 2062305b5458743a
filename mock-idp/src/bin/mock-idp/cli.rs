//! The binary's command line. Flags override environment variables (`MOCK_IDP_*`), which
//! override the config file, which overrides the embedded default tenant.
//!
//! The tenant comes from a file (`--config`, `MOCK_IDP_CONFIG`) or from the TOML text itself
//! (`--config-toml`, `MOCK_IDP_CONFIG_TOML`), never both: two sources for one tenant would need
//! a merge rule nobody could guess, and a compose file that sets both is more likely a mistake.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::healthcheck::HealthcheckArgs;
use mock_idp::{Algorithm, DiscoveryUrls, IdpConfig, StartError, TenantConfig, Tls};

/// A local, Auth0-compatible mock identity provider. For tests and development only: its
/// default signing key is public.
#[derive(Debug, Parser)]
#[command(
    name = "mock-idp",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Without one, `mock-idp` serves.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// TOML file with APIs, clients, users, roles, lifetimes and server settings.
    #[arg(long, env = "MOCK_IDP_CONFIG")]
    pub config: Option<PathBuf>,
    /// The same TOML as text, for compose files, CI services and Kubernetes; not with --config.
    #[arg(
        long,
        value_name = "TOML",
        env = "MOCK_IDP_CONFIG_TOML",
        hide_env_values = true
    )]
    pub config_toml: Option<String>,
    /// Address to bind (loopback by default: this is a test tool).
    #[arg(long, env = "MOCK_IDP_HOST")]
    pub host: Option<String>,
    /// Port to bind; 0 picks a free one.
    #[arg(long, env = "MOCK_IDP_PORT")]
    pub port: Option<u16>,
    /// Public issuer URL, when it differs from http://localhost:<port>/.
    #[arg(long, env = "MOCK_IDP_ISSUER")]
    pub issuer: Option<String>,
    /// Persist signing keys in this file (created on first run).
    #[arg(long, env = "MOCK_IDP_KEYS_FILE")]
    pub keys_file: Option<PathBuf>,
    /// Embedded keys, a frozen clock and sequential ids: byte-identical output.
    #[arg(long, env = "MOCK_IDP_DETERMINISTIC")]
    pub deterministic: bool,
    /// Do not serve the /_mock/* control API.
    #[arg(long, env = "MOCK_IDP_NO_CONTROL_API")]
    pub no_control_api: bool,
    /// Tenant signing algorithm: RS256 (default), PS256 or ES256.
    #[arg(long, env = "MOCK_IDP_SIGNING_ALG")]
    pub signing_alg: Option<Algorithm>,
    /// Also let the /_mock/* control API answer this Host (a container name, say); repeatable.
    /// Loopback names and the issuer's host are always allowed.
    #[arg(
        long = "allowed-host",
        value_name = "HOST",
        env = "MOCK_IDP_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Where the discovery document's endpoint URLs point: "issuer" (default) or "request"
    /// (the host each caller used, so a backend container can reach its jwks_uri under a
    /// service name while `issuer` stays pinned).
    #[arg(long, value_name = "issuer|request", env = "MOCK_IDP_DISCOVERY_URLS")]
    pub discovery_urls: Option<DiscoveryUrls>,
    /// Speak HTTPS with a certificate signed by a local CA (made on first use in --tls-dir;
    /// trust its ca.pem once). The issuer becomes https://localhost:<port>/.
    #[arg(long, env = "MOCK_IDP_TLS")]
    pub tls: bool,
    /// Where the local CA and its leaf certificate are kept [default: .mock-idp/tls].
    #[arg(long, value_name = "DIR", env = "MOCK_IDP_TLS_DIR")]
    pub tls_dir: Option<PathBuf>,
    /// Your own certificate chain (PEM) instead of the local CA's; implies --tls.
    #[arg(long, value_name = "FILE", env = "MOCK_IDP_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", env = "MOCK_IDP_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
}

/// Where the local CA is kept unless told otherwise: beside the project, so that a
/// developer trusts it once per checkout and `git clean` or deleting it starts over.
pub const DEFAULT_TLS_DIR: &str = ".mock-idp/tls";

/// What `mock-idp` can do besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Exit 0 if a running mock's /health answers 200 within --timeout, 1 otherwise: for
    /// Docker's HEALTHCHECK, compose's `healthcheck:` and CI wait loops (no curl needed).
    Healthcheck(HealthcheckArgs),
}

/// Why the command line describes no server that can start.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// `MOCK_IDP_CONFIG_TOML` (or `--config-toml`) is not a valid tenant.
    #[error("MOCK_IDP_CONFIG_TOML (--config-toml): {0}")]
    InlineConfig(mock_idp::ConfigError),
    /// Both a file and inline TOML were given.
    #[error(
        "both MOCK_IDP_CONFIG_TOML (--config-toml) and MOCK_IDP_CONFIG (--config) are set: give the tenant one way"
    )]
    TwoConfigs,
    /// A certificate without its key, or a key without its certificate.
    #[error(
        "--tls-cert (MOCK_IDP_TLS_CERT) and --tls-key (MOCK_IDP_TLS_KEY) go together: give both or neither"
    )]
    HalfACertificate,
    /// Anything the library refuses.
    #[error(transparent)]
    Start(#[from] StartError),
}

/// The default port: the one the sample SPA and API expect.
pub const DEFAULT_PORT: u16 = 4000;

impl Cli {
    /// The bind address and engine configuration the flags describe.
    pub fn resolve(&self) -> Result<(String, IdpConfig), CliError> {
        let tenant = match (&self.config, &self.config_toml) {
            (Some(_), Some(_)) => return Err(CliError::TwoConfigs),
            (Some(path), None) => TenantConfig::from_file(path).map_err(StartError::from)?,
            (None, Some(text)) => TenantConfig::from_toml(text).map_err(CliError::InlineConfig)?,
            (None, None) => TenantConfig::default(),
        };
        let tls = self.tls_config(&tenant.server)?;
        let server = tenant.server.clone();
        let host = self
            .host
            .clone()
            .or(server.host)
            .unwrap_or_else(|| "127.0.0.1".into());
        let port = self.port.or(server.port).unwrap_or(DEFAULT_PORT);
        let mut tenant = tenant;
        if let Some(alg) = self.signing_alg {
            tenant.signing_alg = alg;
        }
        let scheme = if tls.is_some() { "https" } else { "http" };
        let issuer = self.issuer.clone().or(server.issuer).or_else(|| {
            // Browsers and the SDKs see the mock as localhost; a specific host is named as is.
            (!matches!(
                host.as_str(),
                "127.0.0.1" | "0.0.0.0" | "::" | "::1" | "localhost"
            ))
            .then(|| format!("{scheme}://{host}:{{port}}/"))
        });
        let config = IdpConfig {
            tenant,
            issuer,
            deterministic: self.deterministic || server.deterministic.unwrap_or(false),
            fresh_keys: false,
            keys_file: self
                .keys_file
                .clone()
                .or(server.keys_file.map(PathBuf::from)),
            control_api: !self.no_control_api && server.control_api.unwrap_or(true),
            allowed_hosts: if self.allowed_hosts.is_empty() {
                server.allowed_hosts
            } else {
                self.allowed_hosts.clone()
            },
            discovery_urls: self
                .discovery_urls
                .or(server.discovery_urls)
                .unwrap_or_default(),
            tls,
            ..IdpConfig::default()
        };
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        Ok((format!("{host}:{port}"), config))
    }

    /// TLS from the flags, then the environment, then the config file's `[server]`: your own
    /// certificate if one is named anywhere, else the local CA if TLS is on.
    fn tls_config(&self, server: &mock_idp::ServerConfig) -> Result<Option<Tls>, CliError> {
        let cert = self
            .tls_cert
            .clone()
            .or_else(|| server.tls_cert.as_ref().map(PathBuf::from));
        let key = self
            .tls_key
            .clone()
            .or_else(|| server.tls_key.as_ref().map(PathBuf::from));
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(Tls::Files { cert, key })),
            (None, None) => Ok((self.tls || server.tls.unwrap_or(false)).then(|| {
                Tls::LocalCa(
                    self.tls_dir
                        .clone()
                        .or_else(|| server.tls_dir.as_ref().map(PathBuf::from))
                        .unwrap_or_else(|| PathBuf::from(DEFAULT_TLS_DIR)),
                )
            })),
            _ => Err(CliError::HalfACertificate),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn a_flag_beats_the_tenant_files_server_port() {
        // A flag beats the tenant file's `[server]` port.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tenant.toml");
        std::fs::write(&file, "[server]\nport = 4100\n").unwrap();
        let from_file = Cli::parse_from(["mock-idp", "--config", file.to_str().unwrap()]);
        let from_flag = Cli::parse_from([
            "mock-idp",
            "--config",
            file.to_str().unwrap(),
            "--port",
            "4200",
        ]);
        assert_eq!(from_file.resolve().unwrap().0, "127.0.0.1:4100");
        assert_eq!(from_flag.resolve().unwrap().0, "127.0.0.1:4200");
    }

    #[test]
    fn the_default_is_loopback_on_port_4000() {
        let (addr, _) = Cli::parse_from(["mock-idp"]).resolve().unwrap();
        assert_eq!(addr, format!("127.0.0.1:{DEFAULT_PORT}"));
    }

    #[test]
    fn a_named_host_becomes_the_issuers_host() {
        // Arrange: a container named `mock-idp`, reachable under that name.
        let cli = Cli::parse_from([
            "mock-idp",
            "--host",
            "mock-idp",
            "--port",
            "4100",
            "--no-control-api",
        ]);

        // Act
        let (addr, config) = cli.resolve().unwrap();

        // Assert
        assert_eq!(addr, "mock-idp:4100");
        assert_eq!(config.issuer.as_deref(), Some("http://mock-idp:{port}/"));
        assert!(!config.control_api);
        assert_eq!(
            Cli::parse_from(["mock-idp", "--host", "::1"])
                .resolve()
                .unwrap()
                .0,
            "[::1]:4000"
        );
    }

    #[test]
    fn tls_comes_from_the_flag_the_config_file_or_a_certificate() {
        // Arrange
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tenant.toml");
        std::fs::write(&file, "[server]\ntls = true\ntls_dir = \"certs\"\n").unwrap();
        let tls = |args: &[&str]| {
            let mut argv = vec!["mock-idp"];
            argv.extend_from_slice(args);
            Cli::parse_from(argv)
                .resolve()
                .map(|(_, config)| config.tls)
        };

        // Act / Assert
        assert_eq!(tls(&[]).unwrap(), None);
        assert_eq!(
            tls(&["--tls"]).unwrap(),
            Some(Tls::LocalCa(DEFAULT_TLS_DIR.into()))
        );
        let config = file.to_str().unwrap();
        assert_eq!(
            tls(&["--config", config]).unwrap(),
            Some(Tls::LocalCa("certs".into()))
        );
        assert_eq!(
            tls(&["--config", config, "--tls-dir", "mine"]).unwrap(),
            Some(Tls::LocalCa("mine".into()))
        );
        assert_eq!(
            tls(&["--tls-cert", "c.pem", "--tls-key", "k.pem"]).unwrap(),
            Some(Tls::Files {
                cert: "c.pem".into(),
                key: "k.pem".into()
            })
        );
        assert!(matches!(
            tls(&["--tls-cert", "c.pem"]),
            Err(CliError::HalfACertificate)
        ));
    }

    #[test]
    fn a_named_host_with_tls_gets_an_https_issuer() {
        let (_, config) = Cli::parse_from(["mock-idp", "--host", "mock-idp", "--tls"])
            .resolve()
            .unwrap();
        assert_eq!(config.issuer.as_deref(), Some("https://mock-idp:{port}/"));
    }
}
