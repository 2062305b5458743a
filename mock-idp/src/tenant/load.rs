//! Reading a tenant from TOML: the file extends the default tenant unless it says
//! `include_default_tenant = false`; unknown keys are errors, named.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::{
    Api, BackchannelLogoutSettings, Client, ConfigError, DeviceFlowSettings, Organization,
    PasswordPolicy, Role, ServerConfig, TenantConfig, TokenLifetimes, User,
};
use crate::actions::{Action, Trigger};
use crate::issuance::keys::Algorithm;

impl TenantConfig {
    /// Parses a config file's text, merged over the default tenant unless it says
    /// `include_default_tenant = false`.
    ///
    /// ```
    /// let tenant = mock_idp::TenantConfig::from_toml(r#"
    ///     include_default_tenant = false
    ///     [[apis]]
    ///     identifier = "https://orders"
    ///     permissions = ["read:orders"]
    /// "#).unwrap();
    /// assert_eq!(tenant.apis.len(), 1);
    /// assert!(tenant.users.is_empty(), "the default users are not included");
    /// let error = mock_idp::TenantConfig::from_toml("[[users]]\nemail = \"a@b\"\npasword = \"x\"").unwrap_err();
    /// assert!(error.to_string().contains("pasword"));
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::from_toml_in(text, None)
    }

    /// [`TenantConfig::from_toml`], with `code_file`s relative to `dir` (the config file's
    /// folder), or to the working directory without one.
    fn from_toml_in(text: &str, dir: Option<&Path>) -> Result<Self, ConfigError> {
        /// The file's shape: everything optional, lists empty unless given.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct TenantFile {
            include_default_tenant: Option<bool>,
            signing_alg: Option<Algorithm>,
            tokens: Option<TokenLifetimes>,
            default_audience: Option<String>,
            allow_any_localhost_port: Option<bool>,
            #[serde(default)]
            apis: Vec<Api>,
            #[serde(default)]
            clients: Vec<Client>,
            #[serde(default)]
            users: Vec<User>,
            #[serde(default)]
            roles: Vec<Role>,
            #[serde(default)]
            organizations: Vec<Organization>,
            allow_organization_name_in_authentication_api: Option<bool>,
            #[serde(default)]
            server: ServerConfig,
            backchannel_logout: Option<BackchannelLogoutSettings>,
            device_flow: Option<DeviceFlowSettings>,
            password_policy: Option<PasswordPolicy>,
            #[serde(default)]
            actions: Vec<ActionFile>,
            action_settings: Option<ActionSettings>,
            /// A folder in the Auth0 Deploy CLI's directory format, whose bound Actions
            /// run after the `[[actions]]` of each trigger.
            deploy_cli_directory: Option<String>,
        }
        /// `[[actions]]`: the code inline or in a file, never both.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ActionFile {
            name: String,
            trigger: Trigger,
            code: Option<String>,
            code_file: Option<String>,
            #[serde(default)]
            secrets: BTreeMap<String, String>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ActionSettings {
            timeout_ms: Option<u64>,
        }
        let file: TenantFile =
            toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        let include_default = file.include_default_tenant.unwrap_or(true);
        let mut tenant = if include_default {
            Self::default()
        } else {
            Self::empty()
        };
        if let Some(alg) = file.signing_alg {
            tenant.signing_alg = alg;
        }
        if let Some(tokens) = file.tokens {
            tenant.tokens = tokens;
        }
        tenant.default_audience = file.default_audience;
        tenant.allow_any_localhost_port = file.allow_any_localhost_port.unwrap_or(include_default);
        tenant.server = file.server;
        if let Some(settings) = file.backchannel_logout {
            tenant.backchannel_logout = settings;
        }
        if let Some(settings) = file.device_flow {
            tenant.device_flow = settings;
        }
        if let Some(policy) = file.password_policy {
            tenant.password_policy = policy;
        }
        for api in file.apis {
            tenant.upsert_api(api);
        }
        for client in file.clients {
            tenant.upsert_client(client);
        }
        for user in file.users {
            tenant.upsert_user(user);
        }
        for role in file.roles {
            tenant.roles.retain(|r| r.name != role.name);
            tenant.roles.push(role);
        }
        for organization in file.organizations {
            tenant.upsert_organization(organization);
        }
        if let Some(allow) = file.allow_organization_name_in_authentication_api {
            tenant.allow_organization_name_in_authentication_api = allow;
        }
        if let Some(timeout) = file.action_settings.and_then(|s| s.timeout_ms) {
            tenant.action_timeout = Duration::from_millis(timeout);
        }
        for action in file.actions {
            let (code, file) = match (action.code, action.code_file) {
                (Some(code), None) => (code, None),
                (None, Some(file)) => {
                    let path = dir.map_or_else(|| Path::new(&file).to_owned(), |d| d.join(&file));
                    let code = std::fs::read_to_string(&path).map_err(|e| {
                        ConfigError::Invalid(format!(
                            "action {:?}: cannot read code_file {}: {e}",
                            action.name,
                            path.display()
                        ))
                    })?;
                    (code, Some(file))
                }
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "action {:?} needs exactly one of code and code_file",
                        action.name
                    )));
                }
            };
            tenant.actions.push(Action {
                name: action.name,
                trigger: action.trigger,
                code,
                secrets: action.secrets,
                file,
            });
        }
        if let Some(folder) = file.deploy_cli_directory {
            let path = dir.map_or_else(|| Path::new(&folder).to_owned(), |d| d.join(&folder));
            tenant
                .actions
                .extend(super::deploy_cli::load_actions(&path)?);
        }
        tenant.validate()?;
        Ok(tenant)
    }

    /// Reads and parses a config file.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("tenant.toml");
    /// std::fs::write(&path, "[[users]]\nemail = \"carol@example.com\"\n").unwrap();
    /// let tenant = mock_idp::TenantConfig::from_file(&path).unwrap();
    /// assert!(tenant.users.iter().any(|u| u.email == "carol@example.com"));
    /// let missing = mock_idp::TenantConfig::from_file(dir.path().join("missing.toml")).unwrap_err();
    /// assert!(missing.to_string().contains("missing.toml"));
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_in(&text, path.parent())
    }
}
