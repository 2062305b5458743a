//! What makes a tenant impossible, refused at start and at every config load.

use super::{
    AppType, ConfigError, DEVICE_CODE, MANAGEMENT_AUDIENCE, TenantConfig, User, is_organization_id,
    organization_name_problem,
};
use crate::issuance::keys::Algorithm;

impl TenantConfig {
    /// Checks what serde cannot: HS256 APIs have secrets, ids are unique, and so on.
    ///
    /// ```
    /// use mock_idp::{Api, TenantConfig, User};
    /// assert!(TenantConfig::default().validate().is_ok());
    ///
    /// let mut tenant = TenantConfig::default();
    /// tenant.upsert_api(Api { signing_secret: None, ..Api::new("https://legacy").hs256("x") });
    /// assert!(tenant.validate().unwrap_err().to_string().contains("no signing_secret"));
    ///
    /// let mut tenant = TenantConfig::default();
    /// tenant.upsert_user(User::new("alice@other.test"));
    /// assert!(tenant.validate().unwrap_err().to_string().contains("auth0|alice"), "two users, one sub");
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.signing_alg == Algorithm::HS256 {
            return invalid(
                "signing_alg = \"HS256\" is per API or client; the tenant needs RS256, PS256 or ES256"
                    .into(),
            );
        }
        for api in &self.apis {
            if api.signing_alg == Some(Algorithm::HS256) && api.signing_secret.is_none() {
                return invalid(format!(
                    "API {} signs with HS256 but has no signing_secret",
                    api.identifier
                ));
            }
        }
        for client in &self.clients {
            if client.id_token_signing_alg == Some(Algorithm::HS256)
                && client.client_secret.is_none()
            {
                return invalid(format!(
                    "client {} signs ID tokens with HS256 but has no client_secret",
                    client.client_id
                ));
            }
            if let Some(url) = client
                .backchannel_logout_urls
                .iter()
                .find(|url| !is_delivery_url(url))
            {
                return invalid(format!(
                    "client {} has back-channel logout URL {url:?}: it must be an absolute http(s) URL without a fragment",
                    client.client_id
                ));
            }
            let lists_device_code = client
                .grant_types
                .as_ref()
                .is_some_and(|g| g.iter().any(|g| g == DEVICE_CODE));
            if lists_device_code && client.app_type != AppType::Native {
                return invalid(format!(
                    "client {} lists the device code grant, which Auth0 allows native applications only: set app_type = \"native\"",
                    client.client_id
                ));
            }
            for (n, credential) in client.credentials.iter().enumerate() {
                if let Err(reason) = credential.public_key() {
                    return invalid(format!(
                        "client {}: credential {}: {reason}",
                        client.client_id,
                        n + 1
                    ));
                }
            }
            for grant in &client.grants {
                // The Management API is every tenant's; its identifier follows the issuer,
                // which is not known here.
                let management =
                    grant.audience == MANAGEMENT_AUDIENCE || grant.audience.ends_with("/api/v2/");
                if !management && !self.apis.iter().any(|a| a.identifier == grant.audience) {
                    return invalid(format!(
                        "client {} has a grant for unknown API {}",
                        client.client_id, grant.audience
                    ));
                }
            }
        }
        let mut names: Vec<&str> = self.actions.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return invalid(format!("two actions are named {:?}", w[0]));
        }
        for action in &self.actions {
            crate::actions::check(action).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        let mut subs: Vec<String> = self.users.iter().map(User::sub).collect();
        subs.sort();
        if let Some(w) = subs.windows(2).find(|w| w[0] == w[1]) {
            return invalid(format!("two users share the user_id {}", w[0]));
        }
        self.validate_organizations()
    }

    /// Organizations: Auth0's names and ids, each once; members who are users of the tenant,
    /// each once, holding roles the tenant defines; grants naming organizations that exist.
    fn validate_organizations(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        for (n, org) in self.organizations.iter().enumerate() {
            if let Some(problem) = organization_name_problem(&org.name) {
                return invalid(format!("organization name {:?} {problem}", org.name));
            }
            let id = org.id();
            if !is_organization_id(&id) {
                return invalid(format!(
                    "organization {}: id {id:?} is not org_ and 16 letters or digits",
                    org.name
                ));
            }
            if let Some(other) = self.organizations[..n]
                .iter()
                .find(|o| o.name == org.name || o.id() == id)
            {
                return invalid(format!(
                    "organizations {} and {} share a name or an id ({id})",
                    other.name, org.name
                ));
            }
            for (m, member) in org.members.iter().enumerate() {
                let Some(user) = self.user_by_login(&member.user) else {
                    return invalid(format!(
                        "organization {} has member {:?}, who is no user of the tenant",
                        org.name, member.user
                    ));
                };
                if org.members[..m].iter().any(|earlier| earlier.is(user)) {
                    return invalid(format!(
                        "organization {} lists member {} twice",
                        org.name, member.user
                    ));
                }
                if let Some(role) = member
                    .roles
                    .iter()
                    .find(|r| !self.roles.iter().any(|known| &known.name == *r))
                {
                    return invalid(format!(
                        "organization {}: member {} has unknown role {role:?}",
                        org.name, member.user
                    ));
                }
            }
        }
        for client in &self.clients {
            for grant in &client.grants {
                if let Some(unknown) = grant
                    .organizations
                    .iter()
                    .find(|o| !self.organizations.iter().any(|org| org.is_named(o, true)))
                {
                    return invalid(format!(
                        "client {}: the grant for {} names unknown organization {unknown:?}",
                        client.client_id, grant.audience
                    ));
                }
            }
        }
        Ok(())
    }
}

/// What the mock can POST a logout token to (OIDC Back-Channel Logout 2.2: no fragment).
/// Auth0 also wants https and a public host; a local mock takes loopback http too.
fn is_delivery_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.fragment().is_none()
    })
}
