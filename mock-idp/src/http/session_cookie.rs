//! The IdP's session cookie: an opaque id the browser holds; the session itself is in
//! [`crate::store::sessions`].

use axum::http::{HeaderMap, HeaderValue, header};

use crate::engine::Idp;

/// The session cookie. Cookies ignore ports, so every mock on `localhost` shares this name; an
/// unknown value simply means "no session".
pub(crate) const COOKIE: &str = "mock_idp_session";

/// The session cookie's value in a request, if any.
pub(crate) fn value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a new session: HttpOnly (scripts never need it), `SameSite=Lax` (sent on
/// the SDK's same-site iframe; `localhost:3000` and `localhost:4000` are same-site), no
/// `Domain` (host-only), `Secure` only when the issuer is https so plain-http dev works.
pub(crate) fn set(idp: &Idp, value: &str) -> HeaderValue {
    let secure = if idp.issuer().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("mock_idp_session=; Path=/"))
}

/// `Set-Cookie` that removes the session cookie.
pub(crate) fn clear(idp: &Idp) -> HeaderValue {
    let secure = if idp.issuer().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("mock_idp_session=; Path=/; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; mock_idp_session=abc; b=2"),
        );
        assert_eq!(value(&headers).as_deref(), Some("abc"));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("mock_idp_session="),
        );
        assert_eq!(value(&headers), None);
    }
}
