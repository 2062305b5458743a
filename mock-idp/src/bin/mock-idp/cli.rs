//! The binary's command line. Flags override environment variables (`MOCK_IDP_*`), which
//! override the config file, which overrides the embedded default tenant.

use std::path::PathBuf;

use clap::Parser;

use mock_idp::{Algorithm, IdpConfig, StartError, TenantConfig};

/// A local, Auth0-compatible mock identity provider. For tests and development only: its
/// default signing key is public.
#[derive(Debug, Parser)]
#[command(name = "mock-idp", version, about, long_about = None)]
pub struct Cli {
    /// TOML file with APIs, clients, users, roles, lifetimes and server settings.
    #[arg(long, env = "MOCK_IDP_CONFIG")]
    pub config: Option<PathBuf>,
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
}

/// The default port: the one the sample SPA and API expect.
pub const DEFAULT_PORT: u16 = 4000;

impl Cli {
    /// The bind address and engine configuration the flags describe.
    pub fn resolve(&self) -> Result<(String, IdpConfig), StartError> {
        let tenant = match &self.config {
            Some(path) => TenantConfig::from_file(path)?,
            None => TenantConfig::default(),
        };
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
        let issuer = self.issuer.clone().or(server.issuer).or_else(|| {
            // Browsers and the SDKs see the mock as localhost; a specific host is named as is.
            (!matches!(
                host.as_str(),
                "127.0.0.1" | "0.0.0.0" | "::" | "::1" | "localhost"
            ))
            .then(|| format!("http://{host}:{{port}}/"))
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
            ..IdpConfig::default()
        };
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        Ok((format!("{host}:{port}"), config))
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
}
