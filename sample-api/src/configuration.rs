//! Settings, layered: defaults in code → optional TOML file → environment → flags.
//!
//! | flag | env | file key | default |
//! |---|---|---|---|
//! | `--config` | `SAMPLE_API_CONFIG` | | none |
//! | `--issuer-base-url` | `ISSUER_BASE_URL` | `issuer_base_url` | `http://localhost:4000/` |
//! | `--audience` | `AUDIENCE` | `audience` | `https://sample-api` |
//! | `--port` | `PORT` | `port` | `3001` |
//! | `--host` | `HOST` | `host` | `127.0.0.1` |
//! | `--allowed-origins` | `ALLOWED_ORIGINS` (comma-separated) | `allowed_origins` | `http://localhost:3000` |
//! | `--jwks-uri` | `JWKS_URI` | `jwks_uri` | none: discovered |
//! | `--leeway-secs` | `LEEWAY_SECS` | `leeway_secs` | `5` |
//! | | | `jwks_ttl_secs` | `600` |
//! | | | `jwks_cooldown_secs` | `30` |
//! | | | `jwks_timeout_ms` | `5000` |
//!
//! The flag and env names are those of Auth0's Express quickstart. `ISSUER_BASE_URL` may omit
//! the trailing slash of a bare origin (`http://localhost:4000` means the issuer
//! `http://localhost:4000/`, as Auth0 writes it); an issuer with a path is kept exactly.

use std::{net::IpAddr, path::PathBuf, time::Duration};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::auth::JwksSettings;

/// Everything the API needs to start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to bind.
    pub host: IpAddr,
    /// Port to bind; 0 picks a free one (tests).
    pub port: u16,
    /// The identity provider's issuer (see the module docs on the trailing slash).
    pub issuer_base_url: String,
    /// This API's identifier, the `aud` it accepts.
    pub audience: String,
    /// Origins allowed by CORS.
    pub allowed_origins: Vec<String>,
    /// A JWKS URL to use instead of discovery.
    pub jwks_uri: Option<String>,
    /// Clock tolerance for `exp`/`nbf`/`iat`, in seconds.
    pub leeway_secs: u64,
    /// How long a fetched JWKS counts as fresh, in seconds.
    pub jwks_ttl_secs: u64,
    /// Minimum time between two JWKS fetch attempts, in seconds.
    pub jwks_cooldown_secs: u64,
    /// Timeout of each discovery/JWKS request, in milliseconds.
    pub jwks_timeout_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        let defaults = JwksSettings::default();
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 3001,
            issuer_base_url: "http://localhost:4000/".into(),
            audience: "https://sample-api".into(),
            allowed_origins: vec!["http://localhost:3000".into()],
            jwks_uri: None,
            leeway_secs: crate::auth::DEFAULT_LEEWAY.as_secs(),
            jwks_ttl_secs: defaults.ttl.as_secs(),
            jwks_cooldown_secs: defaults.cooldown.as_secs(),
            jwks_timeout_ms: defaults.fetch_timeout.as_millis() as u64,
        }
    }
}

/// A setting that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid TOML for [`Settings`].
    #[error("invalid config file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A value is out of its domain.
    #[error("invalid {name}: {reason}")]
    Invalid {
        /// The setting.
        name: &'static str,
        /// Why.
        reason: String,
    },
}

impl Settings {
    /// Reads a TOML file over the defaults.
    pub fn from_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    /// The exact `iss` tokens must carry: the configured issuer, with a trailing slash added
    /// to a bare origin.
    pub fn issuer(&self) -> Result<String, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            name: "issuer base URL",
            reason,
        };
        let url = Url::parse(&self.issuer_base_url).map_err(|e| invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("must be an http(s) URL".into()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("must not have a query or fragment".into()));
        }
        let mut issuer = self.issuer_base_url.clone();
        if url.path() == "/" && !issuer.ends_with('/') {
            issuer.push('/');
        }
        Ok(issuer)
    }

    /// The configured JWKS URL, if any.
    pub fn jwks_url(&self) -> Result<Option<Url>, ConfigError> {
        self.jwks_uri
            .as_deref()
            .map(|uri| {
                Url::parse(uri).map_err(|e| ConfigError::Invalid {
                    name: "JWKS URI",
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    /// The JWKS cache's tuning.
    pub fn jwks_settings(&self) -> JwksSettings {
        JwksSettings {
            ttl: Duration::from_secs(self.jwks_ttl_secs),
            cooldown: Duration::from_secs(self.jwks_cooldown_secs),
            fetch_timeout: Duration::from_millis(self.jwks_timeout_ms),
            ..JwksSettings::default()
        }
    }

    /// The clock tolerance.
    pub fn leeway(&self) -> Duration {
        Duration::from_secs(self.leeway_secs)
    }
}

/// Command-line flags, each with its environment fallback. Anything left unset falls back to
/// the file, then to [`Settings::default`].
#[derive(Debug, Default, clap::Parser)]
#[command(name = "sample-api", version, about)]
pub struct Cli {
    /// TOML file with any of the settings below.
    #[arg(long, env = "SAMPLE_API_CONFIG")]
    pub config: Option<PathBuf>,
    /// Issuer base URL of the identity provider.
    #[arg(long, env = "ISSUER_BASE_URL")]
    pub issuer_base_url: Option<String>,
    /// API identifier (the accepted `aud`).
    #[arg(long, env = "AUDIENCE")]
    pub audience: Option<String>,
    /// Port to listen on.
    #[arg(long, env = "PORT")]
    pub port: Option<u16>,
    /// Address to listen on.
    #[arg(long, env = "HOST")]
    pub host: Option<IpAddr>,
    /// Origins allowed by CORS, comma-separated.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Option<Vec<String>>,
    /// JWKS URL to use instead of discovery.
    #[arg(long, env = "JWKS_URI")]
    pub jwks_uri: Option<String>,
    /// Clock tolerance in seconds.
    #[arg(long, env = "LEEWAY_SECS")]
    pub leeway_secs: Option<u64>,
}

impl Cli {
    /// Applies the layers: defaults → file → environment/flags.
    pub fn into_settings(self) -> Result<Settings, ConfigError> {
        let mut settings = match &self.config {
            Some(path) => Settings::from_file(path)?,
            None => Settings::default(),
        };
        if let Some(v) = self.issuer_base_url {
            settings.issuer_base_url = v;
        }
        if let Some(v) = self.audience {
            settings.audience = v;
        }
        if let Some(v) = self.port {
            settings.port = v;
        }
        if let Some(v) = self.host {
            settings.host = v;
        }
        if let Some(v) = self.allowed_origins {
            settings.allowed_origins = v;
        }
        if let Some(v) = self.jwks_uri {
            settings.jwks_uri = Some(v);
        }
        if let Some(v) = self.leeway_secs {
            settings.leeway_secs = v;
        }
        settings.issuer()?;
        settings.jwks_url()?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn defaults_match_the_tutorial() {
        let settings = Cli::default().into_settings().unwrap();
        assert_eq!(settings.port, 3001);
        assert_eq!(settings.issuer().unwrap(), "http://localhost:4000/");
        assert_eq!(settings.audience, "https://sample-api");
        assert_eq!(settings.allowed_origins, ["http://localhost:3000"]);
    }

    #[test]
    fn a_bare_origin_issuer_gains_its_trailing_slash() {
        let settings = Settings {
            issuer_base_url: "https://tenant.auth0.com".into(),
            ..Settings::default()
        };
        assert_eq!(settings.issuer().unwrap(), "https://tenant.auth0.com/");
    }

    #[test]
    fn an_issuer_with_a_path_is_kept_exactly() {
        let settings = Settings {
            issuer_base_url: "https://idp.test/realms/x".into(),
            ..Settings::default()
        };
        assert_eq!(settings.issuer().unwrap(), "https://idp.test/realms/x");
    }

    #[test]
    fn flags_override_the_file() {
        let dir = std::env::temp_dir().join(format!("sample-api-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("api.toml");
        std::fs::write(&file, "port = 4444\naudience = \"from-file\"\n").unwrap();
        let cli = Cli::parse_from([
            "sample-api",
            "--config",
            file.to_str().unwrap(),
            "--audience",
            "from-flag",
            "--allowed-origins",
            "http://a.test,http://b.test",
        ]);
        let settings = cli.into_settings().unwrap();
        assert_eq!(settings.port, 4444);
        assert_eq!(settings.audience, "from-flag");
        assert_eq!(settings.allowed_origins, ["http://a.test", "http://b.test"]);
    }

    #[test]
    fn rejects_a_non_http_issuer() {
        let cli = Cli {
            issuer_base_url: Some("ftp://idp".into()),
            ..Cli::default()
        };
        assert!(cli.into_settings().is_err());
    }
}
