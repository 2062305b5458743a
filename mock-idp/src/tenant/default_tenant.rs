//! The embedded default tenant (the tutorial's world) and the empty one.

use std::sync::OnceLock;

use super::{
    Api, BackchannelLogoutSettings, Client, DeviceFlowSettings, MANAGEMENT_AUDIENCE,
    MANAGEMENT_SCOPES, Member, Organization, OrganizationUsage, PasswordPolicy, ServerConfig,
    TenantConfig, TokenLifetimes, User,
};
use crate::issuance::keys::Algorithm;

impl Default for TenantConfig {
    /// The embedded default tenant: API `https://sample-api` (permission `read:messages`, RBAC
    /// on), SPA client `sample-spa`, M2M client `sample-m2m` / `sample-m2m-secret` (granted the
    /// API and every scope of the Management API, `<issuer>api/v2/`), users
    /// `alice@example.com` (with `read:messages`) and `bob@example.com`, password `password`;
    /// organization `acme` (`org_` + 16 characters derived from the name, see
    /// [`Organization::id`]) with alice as its one member, which `sample-spa` may log users in
    /// through (`organization_usage = "allow"`).
    fn default() -> Self {
        // Built once per process and cloned: a suite starts a mock per test, and building it
        // (its URLs parsed for their origins) cost more than the rest of a start in a debug
        // build.
        static DEFAULT: OnceLock<TenantConfig> = OnceLock::new();
        DEFAULT.get_or_init(build).clone()
    }
}

fn build() -> TenantConfig {
    TenantConfig {
        include_default_tenant: true,
        signing_alg: Algorithm::RS256,
        tokens: TokenLifetimes::default(),
        default_audience: None,
        allow_any_localhost_port: true,
        apis: vec![Api {
            name: Some("Sample API".into()),
            ..Api::new("https://sample-api")
                .permissions(["read:messages"])
                .rbac(true)
        }],
        clients: vec![
            Client {
                name: Some("Sample SPA".into()),
                ..Client::spa("sample-spa")
                    .callback("http://localhost:3000")
                    .organization_usage(OrganizationUsage::Allow)
            },
            Client {
                name: Some("Sample M2M".into()),
                ..Client::m2m("sample-m2m", "sample-m2m-secret")
                    .grant("https://sample-api", ["read:messages"])
                    .grant(MANAGEMENT_AUDIENCE, MANAGEMENT_SCOPES)
            },
        ],
        users: vec![
            User {
                given_name: Some("Alice".into()),
                family_name: Some("Example".into()),
                ..User::new("alice@example.com")
                    .name("Alice Example")
                    .permissions(["read:messages"])
            },
            User {
                given_name: Some("Bob".into()),
                family_name: Some("Example".into()),
                ..User::new("bob@example.com").name("Bob Example")
            },
        ],
        roles: Vec::new(),
        organizations: vec![
            Organization::new("acme")
                .display_name("Acme")
                .member(Member::new("alice@example.com")),
        ],
        allow_organization_name_in_authentication_api: false,
        server: ServerConfig::default(),
        backchannel_logout: BackchannelLogoutSettings::default(),
        device_flow: DeviceFlowSettings::default(),
        password_policy: PasswordPolicy::default(),
        actions: Vec::new(),
        managed_actions: super::ManagedActions::default(),
        action_timeout: crate::actions::DEFAULT_TIMEOUT,
    }
}

impl TenantConfig {
    /// An empty tenant: no APIs, clients or users.
    ///
    /// ```
    /// let tenant = mock_idp::TenantConfig::empty();
    /// assert!(tenant.apis.is_empty() && tenant.clients.is_empty() && tenant.users.is_empty());
    /// assert!(!tenant.allow_any_localhost_port);
    /// assert!(tenant.validate().is_ok());
    /// ```
    pub fn empty() -> Self {
        Self {
            include_default_tenant: false,
            allow_any_localhost_port: false,
            apis: Vec::new(),
            clients: Vec::new(),
            users: Vec::new(),
            organizations: Vec::new(),
            ..Self::default()
        }
    }
}
