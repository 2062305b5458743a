//! URL rules: allowed callbacks and origins, and what counts as loopback.

use super::TenantConfig;

impl TenantConfig {
    /// Whether `url` is allowed for `client` in `list`: exact match, or any localhost port
    /// when the tenant allows that.
    pub(crate) fn url_allowed(&self, list: &[String], url: &str) -> bool {
        list.iter().any(|allowed| allowed == url)
            || (self.allow_any_localhost_port && is_loopback_http(url))
    }
}

/// `scheme://host[:port]` of a URL, without a trailing slash.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    match parsed.origin() {
        url::Origin::Tuple(..) => Some(parsed.origin().ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// `http://localhost[:port][/path]` or `http://127.0.0.1[:port][/path]`, nothing trickier:
/// no userinfo, so `http://localhost@evil.test` does not pass.
pub(crate) fn is_loopback_http(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    parsed.scheme() == "http"
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && matches!(
            parsed.host(),
            Some(url::Host::Domain("localhost"))
                | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
        )
}
