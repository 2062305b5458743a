//! Keeps the web pages a developer visits from driving `/_mock/*`.
//!
//! The control API mints valid tokens and resets state, and it listens on a well-known local
//! port. Two browser attacks reach such a port from any site:
//!
//! - a cross-site "simple" request (an HTML form, or `fetch` with `Content-Type: text/plain`)
//!   is sent without a CORS preflight; the page cannot read the answer, but the state change
//!   happens anyway;
//! - DNS rebinding: `evil.example` resolves to 127.0.0.1, so the page's requests are
//!   same-origin to the browser and it can read minted tokens. The `Host` header still says
//!   `evil.example`, which is what gives it away.
//!
//! So `/_mock/*` answers only hosts that are the developer's own (loopback names, the issuer's
//! host, hosts allowed with `--allowed-host`), refuses requests a page on a foreign origin sent,
//! and makes every state-changing request carry something a browser cannot send cross-site
//! without a preflight (which the control API, serving no CORS, never grants): a JSON content
//! type or an `X-Mock-Idp` header. Tests, `curl` and Playwright's `request` fixture send either
//! without trouble. The Auth0-facing endpoints are not behind this guard: SDKs and APIs reach
//! them under any name.

use std::net::{Ipv4Addr, Ipv6Addr};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::engine::SharedIdp;
use crate::error::OAuthError;

/// The header that marks a state-changing request as not sent by a web page. Any value will do:
/// a page can only add a custom header after a preflight, and the control API grants none.
pub(crate) const MARKER_HEADER: &str = "x-mock-idp";

/// Refuses a control request that did not come from the developer's own tools, with 403 and
/// what to do about it; passes the rest on untouched. For routes outside the `/_mock` nest
/// (the inspector page), whose paths are whole.
pub(crate) async fn guard(State(idp): State<SharedIdp>, request: Request, next: Next) -> Response {
    guarded("", idp, request, next).await
}

/// [`guard`] inside the `/_mock` nest, where the URI has lost that prefix (axum's
/// `OriginalUri`, which would keep it, is a copy of every request's URI: its feature is off).
pub(crate) async fn guard_nested(
    State(idp): State<SharedIdp>,
    request: Request,
    next: Next,
) -> Response {
    guarded("/_mock", idp, request, next).await
}

async fn guarded(prefix: &str, idp: SharedIdp, request: Request, next: Next) -> Response {
    let authority = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    match check(&idp, request.method(), authority, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(description) => {
            // Only the method, the path and the refusal: never bodies or credentials.
            tracing::warn!(
                method = %request.method(),
                path = format_args!("{prefix}{}", request.uri().path()),
                "control API request refused: {description}"
            );
            OAuthError::AccessDenied(description).into_response()
        }
    }
}

fn check(
    idp: &SharedIdp,
    method: &Method,
    authority: Option<&str>,
    headers: &HeaderMap,
) -> Result<(), String> {
    let Some(authority) = authority else {
        return Err("The control API needs a readable Host header".into());
    };
    let Some(host) = host_of(authority) else {
        return Err(format!(
            "The Host header {authority:?} is not a host name or address"
        ));
    };
    if !host_accepted(idp, host) {
        return Err(format!(
            "The control API answers only loopback hosts, the issuer's host and allowed hosts, \
             not {host}; start mock-idp with --allowed-host {host} (or MOCK_IDP_ALLOWED_HOSTS) \
             if this host is yours"
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| url::Url::parse(o).ok())
            .and_then(|o| o.host_str().map(str::to_owned));
        let own = origin_host
            .as_deref()
            .is_some_and(|h| host_accepted(idp, unbracket(h)));
        if !own {
            let origin = String::from_utf8_lossy(origin.as_bytes());
            let hint = match &origin_host {
                Some(h) => format!(
                    ", or add --allowed-host {} if that site is yours",
                    unbracket(h)
                ),
                None => String::new(),
            };
            return Err(format!(
                "A web page (Origin: {origin}) may not use the control API; call it from a \
                 test, a script or curl{hint}"
            ));
        }
    }
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return Err(
            "A browser sent this from another site (Sec-Fetch-Site: cross-site); call the \
             control API from a test, a script or curl"
                .into(),
        );
    }
    let changes_state = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state && !headers.contains_key(MARKER_HEADER) && !is_json(headers) {
        return Err(format!(
            "A {method} to the control API must send Content-Type: application/json or \
             X-Mock-Idp: 1 (a web page cannot send either to another site without asking first)"
        ));
    }
    Ok(())
}

/// `application/json`, with or without parameters such as `charset`.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// The host part of a `Host` header (`name`, `name:port`, `[v6]`, `[v6]:port`), without
/// brackets; `None` for anything else, such as userinfo or a bare IPv6 address.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (host, after) = rest.split_once(']')?;
            match after {
                "" => (host, None),
                after => (host, Some(after.strip_prefix(':')?)),
            }
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port_ok = port.is_none_or(|p| p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = !host.is_empty()
        && !host.contains(['@', '/', '\\', ' '])
        && (authority.starts_with('[') || !host.contains(':'));
    (port_ok && host_ok).then_some(host)
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Whether `host` (no port, no brackets) is the developer's own: loopback, the issuer's, or
/// one they allowed.
fn host_accepted(idp: &SharedIdp, host: &str) -> bool {
    let issuer_host = url::Url::parse(idp.issuer())
        .ok()
        .and_then(|u| u.host_str().map(|h| unbracket(h).to_owned()));
    is_loopback(host)
        || issuer_host.is_some_and(|h| h.eq_ignore_ascii_case(host))
        || idp.allowed_hosts.iter().any(|allowed| {
            // An entry written as `name:port` or `[v6]` means the same host.
            let allowed = allowed.trim();
            host_of(allowed)
                .unwrap_or(allowed)
                .eq_ignore_ascii_case(host)
        })
}

/// `localhost`, a name under `.localhost` (RFC 6761 keeps them on the machine), 127.0.0.0/8
/// or `::1`.
fn is_loopback(host: &str) -> bool {
    let lower = host.to_ascii_lowercase();
    lower == "localhost"
        || lower.ends_with(".localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_headers_are_split_into_their_host_part() {
        assert_eq!(host_of("localhost:4000"), Some("localhost"));
        assert_eq!(host_of("Mock-Idp"), Some("Mock-Idp"));
        assert_eq!(host_of("[::1]:4000"), Some("::1"));
        assert_eq!(host_of("[::1]"), Some("::1"));
        assert_eq!(host_of("localhost:"), Some("localhost"));
        assert_eq!(host_of("localhost@evil.example"), None);
        assert_eq!(host_of("evil.example:4000:1"), None);
        assert_eq!(host_of("::1"), None);
        assert_eq!(host_of("[::1]x"), None);
        assert_eq!(host_of(":4000"), None);
        assert_eq!(host_of(""), None);
    }

    #[test]
    fn loopback_names_and_addresses_are_recognised_and_lookalikes_are_not() {
        for host in [
            "localhost",
            "LOCALHOST",
            "app.localhost",
            "127.0.0.1",
            "127.8.9.10",
            "::1",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "localhost.evil.example",
            "evillocalhost",
            "128.0.0.1",
            "0.0.0.0",
            "::ffff:127.0.0.1",
            "127.1",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn only_a_json_content_type_counts_as_json() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!with("text/plain; application/json"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
