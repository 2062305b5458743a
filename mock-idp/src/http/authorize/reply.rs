//! Answering the client once its `redirect_uri` is trusted, in the response mode it asked for
//! (OAuth 2.0 Multiple Response Types, Form Post Response Mode, and Auth0's `web_message`);
//! before that, an HTML error page.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::http::html::{self, PageError, escape};
use crate::store::transactions::{Reply, ResponseMode};
use crate::tenant::origin_of;

/// An error once the client is trusted: sent back to it. Before that: [`PageError`].
#[derive(Debug)]
pub(crate) enum AuthorizeError {
    Page(PageError),
    Client {
        reply: Reply,
        error: &'static str,
        description: String,
    },
}

impl From<PageError> for AuthorizeError {
    fn from(e: PageError) -> Self {
        Self::Page(e)
    }
}

impl AuthorizeError {
    pub(crate) fn client(
        reply: &Reply,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self::Client {
            reply: reply.clone(),
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for AuthorizeError {
    fn into_response(self) -> Response {
        match self {
            Self::Page(page) => page.into_response(),
            Self::Client {
                reply,
                error,
                description,
            } => {
                // Error descriptions travel in URLs and pages; no control characters (the OIDF
                // suite checks for CR, LF and TAB).
                let description: String = description
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                deliver(
                    &reply,
                    vec![
                        ("error", error.to_owned()),
                        ("error_description", description),
                    ],
                )
            }
        }
    }
}

/// Sends `params` (plus `state`) to the client in its response mode.
pub(crate) fn deliver(reply: &Reply, mut params: Vec<(&'static str, String)>) -> Response {
    if let Some(state) = &reply.state {
        params.push(("state", state.clone()));
    }
    let mut response = match reply.mode {
        ResponseMode::Query | ResponseMode::Fragment => {
            // The redirect URI was checked before it got here, so it parses.
            let Ok(mut url) = url::Url::parse(&reply.redirect_uri) else {
                return PageError::bad_request("invalid_request", "Invalid redirect_uri")
                    .into_response();
            };
            if reply.mode == ResponseMode::Query {
                // Appends to a query the registered URI already has.
                let mut query = url.query_pairs_mut();
                for (name, value) in &params {
                    query.append_pair(name, value);
                }
            } else {
                let mut fragment = url::form_urlencoded::Serializer::new(String::new());
                for (name, value) in &params {
                    fragment.append_pair(name, value);
                }
                url.set_fragment(Some(&fragment.finish()));
            }
            let mut response = StatusCode::FOUND.into_response();
            if let Ok(location) = HeaderValue::from_str(url.as_str()) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        ResponseMode::FormPost => form_post(&reply.redirect_uri, &params),
        ResponseMode::WebMessage => web_message(&reply.redirect_uri, &params),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn form_post(redirect_uri: &str, params: &[(&'static str, String)]) -> Response {
    let inputs: String = params
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<form method=\"post\" action=\"{}\">{inputs}<noscript><button type=\"submit\">Continue</button></noscript></form>\
<script>document.forms[0].submit();</script>",
        escape(redirect_uri)
    );
    axum::response::Html(html::page("Submit This Form", &body)).into_response()
}

/// Auth0's `web_message` page: posts the response to the window that opened or framed it,
/// addressed to the redirect URI's origin only (never `*`). Frameable by design: it is what
/// the SDK's hidden iframe loads.
fn web_message(redirect_uri: &str, params: &[(&'static str, String)]) -> Response {
    let response: serde_json::Map<String, Value> = params
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::String(value.clone())))
        .collect();
    let message = json!({ "type": "authorization_response", "response": response });
    let target = origin_of(redirect_uri).unwrap_or_default();
    let body = format!(
        "<script>(function(){{var message={};var target={};(window.opener||window.parent).postMessage(message,target);}})();</script>",
        html::js_literal(&message),
        html::js_literal(&Value::String(target))
    );
    axum::response::Html(html::page("Authorization Response", &body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(mode: ResponseMode, uri: &str) -> Reply {
        Reply {
            redirect_uri: uri.into(),
            mode,
            state: Some("a+b/c=".into()),
        }
    }

    #[test]
    fn query_mode_keeps_the_registered_query_and_encodes_state() {
        let response = deliver(
            &reply(ResponseMode::Query, "https://app.test/cb?x=1"),
            vec![("code", "c".into())],
        );
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(
            response.headers()[header::LOCATION],
            "https://app.test/cb?x=1&code=c&state=a%2Bb%2Fc%3D"
        );
    }

    #[test]
    fn fragment_mode_puts_the_response_after_the_hash() {
        let response = deliver(
            &reply(ResponseMode::Fragment, "https://app.test/cb"),
            vec![("code", "c".into())],
        );
        assert_eq!(
            response.headers()[header::LOCATION],
            "https://app.test/cb#code=c&state=a%2Bb%2Fc%3D"
        );
    }
}
