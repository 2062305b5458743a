//! The tenant: APIs, clients, users and roles, plus token lifetimes and server settings.
//!
//! One set of types serves the TOML file (`--config`), the Rust builder and the control API, so
//! the binary and the library cannot drift apart. The embedded default tenant is
//! [`TenantConfig::default`].

use serde::Serialize;

use crate::actions::Action;
use crate::issuance::keys::Algorithm;

mod api;
mod client;
mod credential;
mod default_tenant;
mod deploy_cli;
mod load;
mod managed_actions;
mod management;
mod organization;
mod password_policy;
mod permission;
mod role;
mod settings;
mod urls;
mod user;
mod validate;

pub use api::Api;
pub use client::{AppType, Client, ClientGrant};
pub(crate) use client::{DEVICE_CODE, IMPLICIT, PASSWORD, PASSWORD_REALM, PASSWORDLESS_OTP};
pub use credential::ClientCredential;
pub use managed_actions::ManagedActions;
pub(crate) use managed_actions::{
    Binding, DEFAULT_RUNTIME, ManagedAction, RUNTIMES, Secret, Version, trigger_version, uuid_from,
};
pub use management::MANAGEMENT_AUDIENCE;
pub(crate) use management::{MANAGEMENT_SCOPES, management_api, names_management_api};
pub use organization::{Member, Organization, OrganizationRequireBehavior, OrganizationUsage};
pub(crate) use organization::{is_organization_id, name_problem as organization_name_problem};
pub use password_policy::PasswordPolicy;
pub use permission::Permission;
pub use role::Role;
pub use settings::{BackchannelLogoutSettings, DeviceFlowSettings, ServerConfig, TokenLifetimes};
pub(crate) use urls::{is_loopback_http, origin_of};
pub(crate) use user::PROFILE_TIME;
pub use user::User;

/// Auth0's database connection name; users' `sub` is `auth0|<id>` like on a real tenant.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{DEFAULT_CONNECTION, MockIdp};
/// // The password-realm grant names the connection, as on Auth0.
/// let idp = MockIdp::start().await;
/// let grant = |realm: &'static str| {
///     reqwest::Client::new().post(idp.url("/oauth/token")).form(&[
///         ("grant_type", "http://auth0.com/oauth/grant-type/password-realm"),
///         ("client_id", "sample-spa"),
///         ("username", "alice@example.com"),
///         ("password", "password"),
///         ("realm", realm),
///     ]).send()
/// };
/// assert_eq!(grant(DEFAULT_CONNECTION).await.unwrap().status(), 200);
/// assert_eq!(grant("google-oauth2").await.unwrap().status(), 400);
/// # }
/// ```
pub const DEFAULT_CONNECTION: &str = "Username-Password-Authentication";

/// What Auth0 says, on the login page and to the password grant alike, when the login or the
/// password is wrong (never which of the two).
pub(crate) const WRONG_CREDENTIALS: &str = "Wrong email or password.";

/// Everything a tenant is made of. Deserialises from the TOML config file.
///
/// ```
/// let tenant = mock_idp::TenantConfig::from_toml(r#"
///     [[users]]
///     email = "carol@example.com"
///     password = "hunter2"
///     permissions = ["read:messages"]
/// "#).unwrap();
/// // The default tenant is kept and extended unless `include_default_tenant = false`.
/// assert!(tenant.users.iter().any(|u| u.email == "alice@example.com"));
/// assert!(tenant.users.iter().any(|u| u.email == "carol@example.com"));
/// ```
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TenantConfig {
    /// Start from the embedded default tenant and add to it (`true`, the default), or start
    /// empty. Entries with the same key (API identifier, client id, user email) replace the
    /// default ones.
    pub include_default_tenant: bool,
    /// The algorithm of the tenant's published signing keys (RS256, PS256 or ES256).
    pub signing_alg: Algorithm,
    /// Token and code lifetimes.
    pub tokens: TokenLifetimes,
    /// The audience used when a token request names none (Auth0's tenant "Default Audience").
    pub default_audience: Option<String>,
    /// Accept any `http://localhost:<port>` / `http://127.0.0.1:<port>` as a callback, logout
    /// URL and web origin for every client. A mock convenience, on in the default tenant;
    /// otherwise URLs must match exactly.
    pub allow_any_localhost_port: bool,
    /// Resource servers (Auth0 "APIs").
    pub apis: Vec<Api>,
    /// Applications.
    pub clients: Vec<Client>,
    /// Database users.
    pub users: Vec<User>,
    /// Roles: named sets of permissions assigned to users.
    pub roles: Vec<Role>,
    /// Organizations: their members and the roles members hold in each.
    pub organizations: Vec<Organization>,
    /// Accept organization names (not only ids) in `/authorize`'s `organization` parameter,
    /// and put `org_name` beside `org_id` in tokens (Auth0's tenant setting "Allow
    /// Organization Names in Authentication API", off by default).
    pub allow_organization_name_in_authentication_api: bool,
    /// Bind address, port and public issuer (flags and env vars override these).
    pub server: ServerConfig,
    /// Timeout and token shape of back-channel logouts.
    pub backchannel_logout: BackchannelLogoutSettings,
    /// Lifetime and polling interval of device codes.
    pub device_flow: DeviceFlowSettings,
    /// The database connection's password policy, for passwords users choose (sign-up,
    /// password reset); Auth0's default, `good`.
    pub password_policy: PasswordPolicy,
    /// Auth0 Actions, in binding order per trigger (`[[actions]]`); each is compiled at load.
    /// What runs: once the Management API changed Actions, the bound, deployed ones of
    /// [`TenantConfig::managed_actions`], recomputed with every change.
    pub actions: Vec<Action>,
    /// The Actions as the Management API (`/api/v2/actions/...`) keeps them: drafts, deployed
    /// versions, bindings. Empty until its first change, which seeds it from `actions`.
    #[serde(skip)]
    pub managed_actions: ManagedActions,
    /// How long one flow's Actions may run together (Auth0's 20 seconds unless set,
    /// `[action_settings] timeout_ms`).
    pub action_timeout: std::time::Duration,
}

/// Why a configuration was refused.
///
/// ```
/// use mock_idp::{ConfigError, TenantConfig};
/// assert!(matches!(TenantConfig::from_toml("[[users]]\nemial = \"typo\""), Err(ConfigError::Parse(_))));
/// assert!(matches!(TenantConfig::from_toml("signing_alg = \"HS256\""), Err(ConfigError::Invalid(_))));
/// assert!(matches!(TenantConfig::from_file("/nonexistent/tenant.toml"), Err(ConfigError::Read { .. })));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown fields.
    #[error("invalid config: {0}")]
    Parse(String),
    /// The TOML parsed but describes an impossible tenant.
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl TenantConfig {
    /// Adds an API, replacing one with the same identifier.
    ///
    /// ```
    /// use mock_idp::{Api, TenantConfig};
    /// let mut tenant = TenantConfig::default();
    /// tenant.upsert_api(Api::new("https://sample-api").token_lifetime(60));
    /// assert_eq!(tenant.apis.len(), 1, "replaced, not added");
    /// assert_eq!(tenant.apis[0].token_lifetime, Some(60));
    /// ```
    pub fn upsert_api(&mut self, api: Api) {
        self.apis.retain(|a| a.identifier != api.identifier);
        self.apis.push(api);
    }

    /// Adds a client, replacing one with the same id.
    ///
    /// ```
    /// use mock_idp::{Client, TenantConfig};
    /// let mut tenant = TenantConfig::default();
    /// let before = tenant.clients.len();
    /// tenant.upsert_client(Client::spa("sample-spa").require_consent(true));
    /// assert_eq!(tenant.clients.len(), before);
    /// assert!(tenant.clients.iter().find(|c| c.client_id == "sample-spa").unwrap().require_consent);
    /// ```
    pub fn upsert_client(&mut self, client: Client) {
        self.clients.retain(|c| c.client_id != client.client_id);
        self.clients.push(client);
    }

    /// Adds a user, replacing one with the same email (case-insensitive).
    ///
    /// ```
    /// use mock_idp::{TenantConfig, User};
    /// let mut tenant = TenantConfig::default();
    /// tenant.upsert_user(User::new("ALICE@example.com").blocked(true));
    /// let alices: Vec<_> = tenant.users.iter().filter(|u| u.email.eq_ignore_ascii_case("alice@example.com")).collect();
    /// assert_eq!(alices.len(), 1, "emails compare case-insensitively");
    /// assert!(alices[0].blocked);
    /// ```
    pub fn upsert_user(&mut self, user: User) {
        self.users
            .retain(|u| !u.email.eq_ignore_ascii_case(&user.email));
        self.users.push(user);
    }

    /// Adds an organization, replacing one with the same name.
    ///
    /// ```
    /// use mock_idp::{Organization, TenantConfig};
    /// let mut tenant = TenantConfig::default();
    /// tenant.upsert_organization(Organization::new("globex").display_name("Globex"));
    /// tenant.upsert_organization(Organization::new("globex").display_name("Globex Corp"));
    /// let globex: Vec<_> = tenant.organizations.iter().filter(|o| o.name == "globex").collect();
    /// assert_eq!(globex.len(), 1);
    /// assert_eq!(globex[0].display_name.as_deref(), Some("Globex Corp"));
    /// ```
    pub fn upsert_organization(&mut self, organization: Organization) {
        self.organizations.retain(|o| o.name != organization.name);
        self.organizations.push(organization);
    }

    /// The organization an `organization=` parameter names: by id, or by name when the
    /// tenant allows names.
    pub(crate) fn organization(&self, value: &str) -> Option<&Organization> {
        let by_name = self.allow_organization_name_in_authentication_api;
        self.organizations
            .iter()
            .find(|o| o.is_named(value, by_name))
    }

    pub(crate) fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    pub(crate) fn api(&self, identifier: &str) -> Option<&Api> {
        self.apis.iter().find(|a| a.identifier == identifier)
    }

    pub(crate) fn user_by_login(&self, login: &str) -> Option<&User> {
        // Users made by an SMS login have an empty email, which no login names.
        if login.is_empty() {
            return None;
        }
        self.users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(login) || u.has_sub(login))
    }

    /// The user `login` names, if `password` is theirs (compared in constant time). The login
    /// page and the password grant both answer [`WRONG_CREDENTIALS`] otherwise.
    pub(crate) fn user_with_password(&self, login: &str, password: &str) -> Option<&User> {
        self.user_by_login(login).filter(|u| {
            aws_lc_rs::constant_time::verify_slices_are_equal(
                u.password.as_bytes(),
                password.as_bytes(),
            )
            .is_ok()
        })
    }

    pub(crate) fn user_by_sub(&self, sub: &str) -> Option<&User> {
        self.users.iter().find(|u| u.has_sub(sub))
    }

    /// The user's permissions on `api`, directly and through roles, in a stable order.
    pub(crate) fn permissions_for(&self, user: &User, api: &Api) -> Vec<String> {
        self.permissions_in(user, api, None)
    }

    /// The user's permissions on `api` as a login in `organization` gives them: with an
    /// organization, only those of the roles the user holds as its member (Auth0: "when a
    /// user logs in through an Organization, their access token includes permissions from the
    /// roles you assign them within that Organization"); without, their own and their roles'.
    pub(crate) fn permissions_in(
        &self,
        user: &User,
        api: &Api,
        organization: Option<&Organization>,
    ) -> Vec<String> {
        let mut all: Vec<&Permission> = Vec::new();
        let roles: &[String] = match organization {
            Some(org) => org.member_entry(user).map_or(&[], |m| m.roles.as_slice()),
            None => {
                all.extend(user.permissions.iter());
                &user.roles
            }
        };
        for role in roles {
            if let Some(role) = self.roles.iter().find(|r| &r.name == role) {
                all.extend(role.permissions.iter());
            }
        }
        let mut out: Vec<String> = api
            .permissions
            .iter()
            .filter(|name| {
                all.iter()
                    .any(|p| &p.permission_name == *name && p.applies_to(&api.identifier))
            })
            .cloned()
            .collect();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_tenant_is_valid() {
        TenantConfig::default().validate().unwrap();
    }

    #[test]
    fn a_file_can_replace_the_default_tenant() {
        let tenant = TenantConfig::from_toml(
            r#"
            include_default_tenant = false
            [[apis]]
            identifier = "https://orders"
            permissions = ["read:orders"]
            rbac = true
            [[clients]]
            client_id = "worker"
            app_type = "non_interactive"
            client_secret = "s"
            grants = [{ audience = "https://orders", scopes = ["read:orders"] }]
            "#,
        )
        .unwrap();
        assert_eq!(tenant.apis.len(), 1);
        assert!(tenant.users.is_empty());
        assert!(!tenant.allow_any_localhost_port);
    }

    #[test]
    fn unknown_fields_are_reported() {
        let err =
            TenantConfig::from_toml("[[users]]\nemail = \"a@b\"\npasword = \"x\"").unwrap_err();
        assert!(err.to_string().contains("pasword"), "{err}");
    }

    #[test]
    fn a_grant_for_an_unknown_api_is_refused() {
        let err = TenantConfig::from_toml(
            "[[clients]]\nclient_id = \"w\"\nclient_secret = \"s\"\ngrants = [{ audience = \"https://nope\" }]",
        )
        .unwrap_err();
        assert!(err.to_string().contains("https://nope"), "{err}");
    }

    #[test]
    fn a_users_sub_is_recognised_without_being_built() {
        for user in [
            User::new("carol@example.com"),
            User::new("carol@example.com").user_id("google-oauth2|1"),
            User::new("no-at-sign"),
        ] {
            assert!(user.has_sub(&user.sub()), "{}", user.sub());
            assert!(!user.has_sub("auth0|someone-else"));
            assert!(!user.has_sub("carol"), "the provider is part of it");
        }
    }

    #[test]
    fn loopback_matching_refuses_lookalikes() {
        assert!(is_loopback_http("http://localhost:5173/callback"));
        assert!(is_loopback_http("http://127.0.0.1:8080"));
        assert!(!is_loopback_http("http://localhost@evil.test/"));
        assert!(!is_loopback_http("http://localhost.evil.test/"));
        assert!(!is_loopback_http("https://evil.test/?http://localhost"));
        assert!(!is_loopback_http("javascript:alert(1)"));
    }

    #[test]
    fn permissions_come_from_the_user_and_roles_and_are_limited_to_the_api() {
        let mut tenant = TenantConfig::default();
        tenant
            .roles
            .push(Role::new("writer").permissions(["write:messages", "other"]));
        tenant.apis[0].permissions.push("write:messages".into());
        let user = User::new("w@example.com")
            .roles(["writer"])
            .permissions(["read:messages"]);
        let api = tenant.apis[0].clone();
        assert_eq!(
            tenant.permissions_for(&user, &api),
            vec!["read:messages".to_string(), "write:messages".to_string()]
        );
    }
}
