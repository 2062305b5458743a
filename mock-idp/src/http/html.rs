//! The HTML the browser flows answer with: the login and consent pages, error pages, and the
//! pages that carry an authorization response (`form_post`, `web_message`).
//!
//! Everything that came from a request or the tenant goes through [`escape`] (HTML) or
//! [`js_literal`] (script), so a hostile `state` or user name cannot break out of the page.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ErrorCode;
use crate::tenant::TenantConfig;

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value as a JavaScript literal that is safe inside `<script>`: `<`, `>` and `&` are
/// written as `\u003c` etc., so `</script>` and `<!--` cannot appear. U+2028/U+2029 are escaped
/// for older engines that do not accept them in string literals.
pub(crate) fn js_literal(value: &Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}\
button{padding:.5rem 1rem;margin-top:1rem;cursor:pointer}.error{color:#b00020}.users button{display:block;width:100%;text-align:left;margin:.3rem 0}\
.muted{color:#666;font-size:.9rem}";

/// One button per tenant user that logs that user in without typing (`name="login_as"`): the
/// mock convenience on the login page and on `/activate`'s login form.
pub(crate) fn user_buttons(tenant: &TenantConfig) -> String {
    tenant
        .users
        .iter()
        .map(|u| {
            format!(
                "<button type=\"submit\" name=\"login_as\" value=\"{}\" formnovalidate>{} &lt;{}&gt;</button>",
                escape(&u.email),
                escape(&u.display_name()),
                escape(&u.email)
            )
        })
        .collect()
}

/// A complete page around `body` (already escaped).
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} | mock-idp</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

/// The headers of a page a user interacts with: never framed (clickjacking), never cached,
/// never leaking its URL (which carries the transaction) in `Referer`.
pub(crate) fn interactive(status: StatusCode, html: String) -> Response {
    let mut response = (status, axum::response::Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// A browser-facing error that must not go back to the client: the client or its redirect URI
/// is not trustworthy (RFC 6749 4.1.2.1), or the login transaction is gone. An HTML page,
/// never a redirect.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// 400: the request cannot be answered to any client.
    #[error("{error}: {description}")]
    BadRequest {
        error: &'static str,
        description: String,
    },
    /// 403: the login form was posted without the transaction's CSRF token.
    #[error("invalid CSRF token")]
    Forbidden,
}

impl PageError {
    pub(crate) fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        Self::BadRequest {
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, error, description) = match &self {
            Self::BadRequest { error, description } => {
                (StatusCode::BAD_REQUEST, *error, description.as_str())
            }
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "access_denied",
                "Invalid or missing CSRF token. Start the login again from the application.",
            ),
        };
        let body = format!(
            "<h1>Something went wrong</h1><p><strong>{}</strong></p><p class=\"error\" id=\"error-description\">{}</p>",
            escape(error),
            escape(description)
        );
        let mut response = interactive(status, page("Error", &body));
        response.extensions_mut().insert(ErrorCode(error));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_quotes_and_tags() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_js_literal_cannot_close_the_script_element() {
        let literal = js_literal(&serde_json::json!({ "state": "</script><!--\u{2028}" }));
        assert!(!literal.contains('<'), "{literal}");
        assert_eq!(
            serde_json::from_str::<Value>(&literal).unwrap()["state"],
            "</script><!--\u{2028}"
        );
    }
}
