//! The issuer: the one string tokens carry in `iss`, and where the discovery document says the
//! endpoints are.
//!
//! Two deployments break a fixed issuer, and each has its own remedy:
//!
//! - **A random published port** (testcontainers): the container listens on 4000, the host
//!   reaches it on a port Docker picks after start, and clients on the host expect
//!   `iss = http://localhost:<that port>/`. Nothing inside the container can know that port, so
//!   the test that started it says so: `POST /_mock/issuer`, which calls [`Issuer::set`].
//! - **Two hostnames** (compose): the browser reaches the mock as `localhost:4000`, a backend
//!   container as `idp:4000`. Both must see one `iss` (pinned with `--issuer`), but a backend
//!   that reads the discovery document must be sent to a JWKS URL it can reach. With
//!   [`DiscoveryUrls::Request`] the document's endpoint URLs follow the request's `Host`,
//!   while `issuer` stays pinned. Only the discovery document changes: tokens, `/userinfo`'s
//!   audience and the login pages keep the issuer.
//!
//! Deriving `iss` itself from each request (navikt's way) was left out on purpose: callers
//! that reach the mock under different names would get tokens with different issuers, the
//! trap behind navikt#312.

use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};

/// Where the discovery document's endpoint URLs (`jwks_uri`, `token_endpoint`, ...) point.
/// The `issuer` field, and `iss` in tokens, are the issuer's either way.
///
/// ```
/// # #[tokio::main] async fn main() {
/// use mock_idp::{DiscoveryUrls, MockIdp};
/// // Arrange: the browser's name is pinned as the issuer; a backend calls the mock `idp`.
/// let idp = MockIdp::builder()
///     .issuer("http://localhost:4000/")
///     .discovery_urls(DiscoveryUrls::Request)
///     .start()
///     .await;
///
/// // Act
/// let discovery: serde_json::Value = reqwest::Client::new()
///     .get(idp.url("/.well-known/openid-configuration"))
///     .header("host", "idp:4000")
///     .send().await.unwrap().json().await.unwrap();
///
/// // Assert
/// assert_eq!(discovery["issuer"], "http://localhost:4000/");
/// assert_eq!(discovery["jwks_uri"], "http://idp:4000/.well-known/jwks.json");
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiscoveryUrls {
    /// At the issuer's origin (the default): right whenever every caller reaches the mock under
    /// the issuer's name.
    #[default]
    Issuer,
    /// At the origin the request was sent to (`X-Forwarded-Host` / `X-Forwarded-Proto` when a
    /// proxy set them, else `Host` over `http`); a request to the issuer's own host gets the
    /// issuer's URLs.
    Request,
}

impl std::str::FromStr for DiscoveryUrls {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "issuer" => Ok(Self::Issuer),
            "request" => Ok(Self::Request),
            _ => Err(format!(
                "unknown discovery URL mode {s:?}: expected \"issuer\" or \"request\""
            )),
        }
    }
}

impl DiscoveryUrls {
    /// Where the endpoints are for a request with `headers`, with the trailing slash: what the
    /// discovery document told that caller, so also what its client assertions may name.
    pub(crate) fn base(self, issuer: &'static str, headers: &axum::http::HeaderMap) -> String {
        match self {
            Self::Issuer => issuer.to_owned(),
            Self::Request => {
                let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
                request_base(
                    issuer,
                    value(axum::http::header::HOST.as_str()),
                    value("x-forwarded-host"),
                    value("x-forwarded-proto"),
                )
            }
        }
    }
}

/// The current issuer, changeable while the mock runs.
///
/// It is read on every token and by `&str` accessors of the public API (`MockIdp::issuer`,
/// `Server::issuer`), and a process sees few distinct values: one per port its mocks listen
/// on (pooled test servers keep theirs) and the few set with `POST /_mock/issuer`. So each
/// distinct value is leaked once, interned process-wide: readers get a `&'static str` without
/// a clone or a guard, and memory grows only with the number of different issuers ever seen.
#[derive(Debug)]
pub(crate) struct Issuer {
    /// The one the mock started with.
    initial: &'static str,
    current: RwLock<&'static str>,
}

/// Every issuer value interned so far, process-wide.
static INTERNED: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

fn intern(issuer: String) -> &'static str {
    let mut interned = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
    match interned.iter().find(|s| **s == issuer) {
        Some(known) => known,
        None => {
            let leaked: &'static str = Box::leak(issuer.into_boxed_str());
            interned.push(leaked);
            leaked
        }
    }
}

impl Issuer {
    /// `issuer` must already be normalised.
    pub(crate) fn new(issuer: String) -> Self {
        let initial = intern(issuer);
        Self {
            initial,
            current: RwLock::new(initial),
        }
    }

    /// Back to the issuer the mock started with, for a renewed engine (`Idp::renew`).
    pub(crate) fn renew(&mut self) {
        *self.current.get_mut().unwrap_or_else(|e| e.into_inner()) = self.initial;
    }

    pub(crate) fn get(&self) -> &'static str {
        *self.current.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Normalises and installs `issuer`; returns it as tokens will carry it.
    pub(crate) fn set(&self, issuer: &str) -> Result<&'static str, String> {
        let value = intern(normalise_issuer(issuer)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = value;
        Ok(value)
    }
}

/// Normalises an issuer to Auth0's form: scheme, host, optional port and path, one trailing
/// slash. The SDKs compare `iss` byte for byte with `${domain}/`.
pub(crate) fn normalise_issuer(issuer: &str) -> Result<String, String> {
    let parsed = url::Url::parse(issuer).map_err(|e| format!("invalid issuer {issuer:?}: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(format!(
            "invalid issuer {issuer:?}: expected an http(s) URL"
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "invalid issuer {issuer:?}: no query or fragment allowed"
        ));
    }
    let mut s = parsed.to_string();
    while s.ends_with("//") {
        s.pop();
    }
    if !s.ends_with('/') {
        s.push('/');
    }
    Ok(s)
}

/// The base URL (with its trailing slash) a request's discovery document uses in
/// [`DiscoveryUrls::Request`] mode: the issuer when the request came to the issuer's host or
/// named no usable host, else `<proto>://<host>/`.
pub(crate) fn request_base(
    issuer: &'static str,
    host: Option<&str>,
    forwarded_host: Option<&str>,
    forwarded_proto: Option<&str>,
) -> String {
    // A proxy may list several hops; the first is the client's.
    let first = |v: &str| v.split(',').next().unwrap_or_default().trim().to_owned();
    let Some(authority) = forwarded_host.map(first).or(host.map(str::to_owned)) else {
        return issuer.to_owned();
    };
    if !is_authority(&authority) {
        return issuer.to_owned();
    }
    let issuer_authority = url::Url::parse(issuer).ok().map(|u| {
        let host = u.host_str().unwrap_or_default().to_owned();
        match u.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    });
    if issuer_authority.is_some_and(|a| a.eq_ignore_ascii_case(&authority)) {
        return issuer.to_owned();
    }
    let scheme = match forwarded_proto.map(first).as_deref() {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{authority}/")
}

/// `host` or `host:port`, the host a DNS name, an IPv4 address or a bracketed IPv6 address:
/// nothing that could turn the URL it is put into into another one.
fn is_authority(authority: &str) -> bool {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        match after.strip_prefix(':') {
            Some(port) => ("v6", Some(port)),
            None if after.is_empty() => ("v6", None),
            None => return false,
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_get_exactly_one_trailing_slash() {
        assert_eq!(
            normalise_issuer("http://localhost:4000").unwrap(),
            "http://localhost:4000/"
        );
        assert_eq!(
            normalise_issuer("http://localhost:4000/").unwrap(),
            "http://localhost:4000/"
        );
        assert_eq!(
            normalise_issuer("https://idp.test/t1").unwrap(),
            "https://idp.test/t1/"
        );
        assert!(normalise_issuer("localhost:4000").is_err());
        assert!(normalise_issuer("http://idp.test/?x=1").is_err());
    }

    #[test]
    fn setting_an_issuer_normalises_it_and_reuses_a_value_seen_before() {
        // Arrange
        let issuer = Issuer::new("http://localhost:4000/".into());

        // Act
        let first = issuer.set("http://localhost:49153").unwrap();
        let again = issuer.set("http://localhost:49153/").unwrap();

        // Assert
        assert_eq!(issuer.get(), "http://localhost:49153/");
        assert!(
            std::ptr::eq(first, again),
            "one allocation per distinct issuer"
        );
        assert!(issuer.set("not a url").is_err());
        assert_eq!(
            issuer.get(),
            "http://localhost:49153/",
            "a bad value changes nothing"
        );
    }

    #[test]
    fn a_request_to_another_host_gets_that_hosts_base_url() {
        let issuer = "http://localhost:4000/";
        assert_eq!(
            request_base(issuer, Some("idp:4000"), None, None),
            "http://idp:4000/"
        );
        assert_eq!(
            request_base(issuer, Some("LOCALHOST:4000"), None, None),
            issuer
        );
        assert_eq!(
            request_base(issuer, Some("[::1]:4000"), None, None),
            "http://[::1]:4000/"
        );
        assert_eq!(
            request_base(
                issuer,
                Some("idp:4000"),
                Some("idp.example, proxy"),
                Some("https")
            ),
            "https://idp.example/"
        );
    }

    #[test]
    fn a_host_header_that_is_not_a_plain_authority_falls_back_to_the_issuer() {
        let issuer = "https://idp.test/tenant/";
        for host in [
            "evil.test/path",
            "user@evil.test",
            "evil.test:port",
            "evil.test:4000:1",
            "[not-v6]:1",
            "",
            "a b",
        ] {
            assert_eq!(
                request_base(issuer, Some(host), None, None),
                issuer,
                "{host:?}"
            );
        }
        assert_eq!(request_base(issuer, None, None, None), issuer);
        assert_eq!(
            request_base(issuer, Some("idp.test"), None, None),
            issuer,
            "the issuer's host keeps its scheme and path"
        );
    }
}
