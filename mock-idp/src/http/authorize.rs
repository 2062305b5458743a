//! `GET`/`POST /authorize` and the authorization-code grant at `/oauth/token`.
//!
//! The order of checks is the security boundary. Until `client_id` and `redirect_uri` are
//! known good, errors are an HTML page and never a redirect (RFC 6749 4.1.2.1: anything else is
//! an open redirector). After that, every outcome goes back to the client in the response mode
//! it asked for, and a `web_message` request always gets a message: silence would leave the
//! SDK's hidden iframe waiting 60 seconds.
//!
//! A request that needs the user becomes a login transaction ([`crate::store::sessions`]); the login
//! and consent pages finish it through `GET /authorize/resume`, so a login POST is answered
//! with 303 whatever the response mode (RFC 9700 4.12).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

use crate::engine::{Idp, SharedIdp};
use crate::http::html::{self, PageError, escape};
use crate::http::session_cookie;
use crate::issuance::scopes::{split_scope, user_scopes};
use crate::pkce::{self, Method};
use crate::store::codes::CodeGrant;
use crate::store::sessions::SessionInfo;
use crate::store::transactions::{AuthorizationRequest, Prompt, Reply, ResponseMode};
use crate::tenant::{Client, origin_of};

/// Where the login page's transaction is finished after login or consent.
pub(crate) const RESUME: &str = "/authorize/resume";

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
    fn client(reply: &Reply, error: &'static str, description: impl Into<String>) -> Self {
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

/// Parameters of an authorization request: form-urlencoded (so `+` is a space), each at most
/// once. Repeated names are remembered rather than refused here, because which parameter was
/// repeated decides whether the error may be redirected.
struct RawParams {
    values: BTreeMap<String, String>,
    repeated: Vec<String>,
}

impl RawParams {
    fn parse(bytes: &[u8]) -> Self {
        let mut values = BTreeMap::new();
        let mut repeated = Vec::new();
        for (name, value) in url::form_urlencoded::parse(bytes) {
            if values
                .insert(name.to_string(), value.into_owned())
                .is_some()
                && !repeated.contains(&name.to_string())
            {
                repeated.push(name.into_owned());
            }
        }
        Self { values, repeated }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn once(&self, name: &str) -> Result<Option<&str>, String> {
        if self.repeated.iter().any(|r| r == name) {
            return Err(format!("Parameter {name} is included more than once"));
        }
        Ok(self.get(name))
    }
}

pub(crate) async fn authorize_get(
    State(idp): State<SharedIdp>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = RawParams::parse(query.unwrap_or_default().as_bytes());
    authorize(&idp, &headers, &params).unwrap_or_else(IntoResponse::into_response)
}

/// OIDC Core 3.1.2.1: the same request as a form POST.
pub(crate) async fn authorize_post(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = RawParams::parse(&body);
    authorize(&idp, &headers, &params).unwrap_or_else(IntoResponse::into_response)
}

fn authorize(
    idp: &Idp,
    headers: &HeaderMap,
    params: &RawParams,
) -> Result<Response, AuthorizeError> {
    let pending = validate(idp, params)?;
    proceed(idp, headers, pending)
}

fn validate(idp: &Idp, params: &RawParams) -> Result<AuthorizationRequest, AuthorizeError> {
    let tenant = idp.tenant();
    let page = |d: String| PageError::bad_request("invalid_request", d);
    let client_id = params
        .once("client_id")
        .map_err(page)?
        .ok_or_else(|| page("Missing required parameter: client_id".into()))?;
    let client = tenant
        .client(client_id)
        .ok_or_else(|| page(format!("Unknown client: {client_id}")))?;
    let redirect_uri_given = params.once("redirect_uri").map_err(page)?;
    let redirect_uri = match redirect_uri_given {
        Some(uri) if tenant.url_allowed(&client.callbacks, uri) && origin_of(uri).is_some() => {
            uri.to_owned()
        }
        Some(uri) => {
            return Err(page(format!(
                "The redirect_uri is not in the Allowed Callback URLs of client {client_id}: {uri}"
            ))
            .into());
        }
        // spa-js sends none when the app configured none; Auth0 then uses the callback URL.
        None => client.callbacks.first().cloned().ok_or_else(|| {
            page(format!(
                "Missing required parameter: redirect_uri (client {client_id} has no callback URL)"
            ))
        })?,
    };

    // From here on the client is trusted to receive errors.
    let mode = ResponseMode::parse(params.get("response_mode"));
    let reply = Reply {
        redirect_uri,
        mode: mode.unwrap_or(ResponseMode::Query),
        state: params.once("state").ok().flatten().map(str::to_owned),
    };
    let invalid = |d: String| AuthorizeError::client(&reply, "invalid_request", d);
    if let Some(name) = params.repeated.first() {
        return Err(invalid(format!(
            "Parameter {name} is included more than once"
        )));
    }
    if mode.is_none() {
        return Err(invalid(
            "Unsupported response_mode: use query, fragment, form_post or web_message".into(),
        ));
    }
    match params.get("response_type") {
        None => return Err(invalid("Missing required parameter: response_type".into())),
        Some("code") => {}
        Some(other) => {
            return Err(AuthorizeError::client(
                &reply,
                "unsupported_response_type",
                format!("Unsupported response type: {other}"),
            ));
        }
    }
    if params.get("request").is_some() {
        return Err(AuthorizeError::client(
            &reply,
            "request_not_supported",
            "Request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(AuthorizeError::client(
            &reply,
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    let prompt = parse_prompt(params.get("prompt")).map_err(invalid)?;
    let max_age = match params.get("max_age") {
        None => None,
        Some(v) => Some(
            v.parse::<u32>()
                .map(i64::from)
                .map_err(|_| invalid("max_age must be a non-negative integer".into()))?,
        ),
    };
    let challenge = pkce_challenge(client, params).map_err(invalid)?;
    let hint_sub = match params.get("id_token_hint") {
        None => None,
        Some(hint) => Some(
            idp.verify_own(hint)
                .ok()
                .and_then(|c| c.get("sub").and_then(Value::as_str).map(str::to_owned))
                .ok_or_else(|| invalid("Invalid id_token_hint".into()))?,
        ),
    };
    let audience = params
        .get("audience")
        .or(tenant.default_audience.as_deref());
    if let Some(aud) = audience
        && tenant.api(aud).is_none()
    {
        return Err(AuthorizeError::client(
            &reply,
            "access_denied",
            format!("Service not found: {aud}"),
        ));
    }
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri_given: redirect_uri_given.map(str::to_owned),
        scope: split_scope(params.get("scope")),
        audience: audience.map(str::to_owned),
        nonce: params.get("nonce").map(str::to_owned),
        challenge,
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_owned),
        screen_hint: params.get("screen_hint").map(str::to_owned),
        hint_sub,
        reply,
    })
}

fn parse_prompt(prompt: Option<&str>) -> Result<Prompt, String> {
    let mut out = Prompt::default();
    let values: Vec<&str> = prompt
        .unwrap_or_default()
        .split_ascii_whitespace()
        .collect();
    for value in &values {
        match *value {
            "none" => out.none = true,
            "login" => out.login = true,
            "consent" => out.consent = true,
            "select_account" => {}
            other => return Err(format!("Unsupported prompt value: {other}")),
        }
    }
    if out.none && values.len() > 1 {
        return Err("prompt=none cannot be combined with other prompt values".into());
    }
    Ok(out)
}

/// PKCE at `/authorize`: S256 always, `plain` only for clients that allow it, and mandatory
/// for public clients (they have no secret to bind the code to).
fn pkce_challenge(client: &Client, params: &RawParams) -> Result<Option<(Method, String)>, String> {
    let Some(challenge) = params.get("code_challenge") else {
        if params.get("code_challenge_method").is_some() {
            return Err("code_challenge_method given without code_challenge".into());
        }
        if !client.is_confidential() {
            return Err(
                "Parameter 'code_challenge' is required: public clients must use PKCE".into(),
            );
        }
        return Ok(None);
    };
    let method = Method::parse(params.get("code_challenge_method")).ok_or_else(|| {
        "Unsupported code_challenge_method: use S256 (transform algorithm not supported)".to_owned()
    })?;
    if method == Method::Plain && !client.allow_plain_pkce {
        return Err(
            "code_challenge_method plain is not allowed for this client: use S256 (transform algorithm not supported)"
                .into(),
        );
    }
    if !pkce::is_valid_challenge(method, challenge) {
        return Err(match method {
            Method::S256 => "code_challenge must be 43 base64url characters (BASE64URL(SHA256(code_verifier)), no padding)".into(),
            Method::Plain => "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]".into(),
        });
    }
    Ok(Some((method, challenge.to_owned())))
}

/// With a validated request: use the session, or ask for a login.
fn proceed(
    idp: &Idp,
    headers: &HeaderMap,
    pending: AuthorizationRequest,
) -> Result<Response, AuthorizeError> {
    let tenant = idp.tenant();
    let now = idp.clock.now();
    let cookie = session_cookie::value(headers);
    let current = cookie
        .as_deref()
        .and_then(|c| idp.sessions.get(c, now).map(|s| (c.to_owned(), s)));
    let usable = current.clone().filter(|(_, s)| {
        !pending.prompt.login
            && pending.hint_sub.as_ref().is_none_or(|sub| *sub == s.sub)
            && pending.max_age.is_none_or(|max| now - s.auth_time <= max)
            && tenant.user_by_sub(&s.sub).is_some_and(|u| !u.blocked)
    });
    if let Some((cookie, info)) = usable {
        return after_login(idp, pending, &cookie, &info, None, false);
    }
    if pending.prompt.none {
        return Err(AuthorizeError::client(
            &pending.reply,
            "login_required",
            "Login required",
        ));
    }
    let chosen = idp
        .sessions
        .take_next_login()
        .and_then(|email| tenant.user_by_login(&email).map(|u| u.sub()));
    if let Some(sub) = chosen {
        let (new_cookie, info) = idp.log_in(&sub, cookie.as_deref());
        return after_login(
            idp,
            pending,
            &new_cookie.clone(),
            &info,
            Some(new_cookie),
            false,
        );
    }
    let txn = idp.begin_transaction(pending, None);
    Ok(found(&format!("/u/login?state={}", encode(&txn))))
}

/// With a session: consent if the client needs it, then the code.
pub(crate) fn after_login(
    idp: &Idp,
    pending: AuthorizationRequest,
    cookie: &str,
    info: &SessionInfo,
    new_cookie: Option<String>,
    consent_given: bool,
) -> Result<Response, AuthorizeError> {
    let tenant = idp.tenant();
    let client = tenant.client(&pending.client_id).ok_or_else(|| {
        PageError::bad_request(
            "invalid_request",
            format!("Unknown client: {}", pending.client_id),
        )
    })?;
    let user = tenant.user_by_sub(&info.sub).ok_or_else(|| {
        AuthorizeError::client(&pending.reply, "login_required", "Login required")
    })?;
    let needs_consent = client.require_consent
        && !consent_given
        && (pending.prompt.consent || !idp.sessions.has_consented(&info.sub, &client.client_id));
    let mut response = if needs_consent {
        if pending.prompt.none {
            return Err(AuthorizeError::client(
                &pending.reply,
                "consent_required",
                "Consent required",
            ));
        }
        let txn = idp.begin_transaction(pending, Some(cookie.to_owned()));
        found(&format!("/u/consent?state={}", encode(&txn)))
    } else {
        let api = pending.audience.as_deref().and_then(|a| tenant.api(a));
        let scope = user_scopes(&tenant, user, api, &pending.scope);
        let code = idp.ids.next("code");
        let ttl = i64::try_from(tenant.tokens.authorization_code).unwrap_or(600);
        let grant = CodeGrant {
            client_id: client.client_id.clone(),
            redirect_uri: pending.reply.redirect_uri.clone(),
            redirect_uri_given: pending.redirect_uri_given.clone(),
            sub: info.sub.clone(),
            audience: api.map(|a| a.identifier.clone()),
            scope,
            nonce: pending.nonce.clone(),
            challenge: pending.challenge.clone(),
            auth_time: info.auth_time,
            sid: info.sid.clone(),
            expires_at: idp.clock.now() + ttl,
        };
        idp.codes.insert(code.clone(), grant);
        deliver(&pending.reply, vec![("code", code)])
    };
    if let Some(value) = new_cookie {
        response
            .headers_mut()
            .append(header::SET_COOKIE, session_cookie::set(idp, &value));
    }
    Ok(response)
}

/// `GET /authorize/resume?state=<txn>`: after the login or consent page.
pub(crate) async fn resume(
    State(idp): State<SharedIdp>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    resume_inner(&idp, &query, &headers).unwrap_or_else(IntoResponse::into_response)
}

fn resume_inner(
    idp: &Idp,
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
) -> Result<Response, AuthorizeError> {
    let id = query.get("state").map(String::as_str).unwrap_or_default();
    let txn = idp
        .transactions
        .get(id, idp.clock.now())
        .ok_or_else(expired_transaction)?;
    if txn.denied {
        idp.transactions.finish(id);
        return Err(AuthorizeError::client(
            &txn.request.reply,
            "access_denied",
            "User did not authorize the request",
        ));
    }
    let Some(bound) = txn.session.as_deref() else {
        return Ok(found(&format!("/u/login?state={}", encode(id))));
    };
    let cookie = session_cookie::value(headers);
    let info = cookie
        .as_deref()
        .filter(|c| *c == bound)
        .and_then(|c| idp.sessions.get(c, idp.clock.now()))
        .ok_or_else(|| {
            PageError::bad_request(
                "invalid_request",
                "This login belongs to another browser session. Start again from the application.",
            )
        })?;
    idp.transactions.finish(id);
    after_login(idp, txn.request, bound, &info, None, txn.consent_given)
}

/// The claims of an ID token this mock signed (any of its published keys, its issuer). Expiry
/// does not matter: hints are often old (OIDC Core 3.1.2.1, RP-Initiated Logout 2).
pub(crate) fn expired_transaction() -> PageError {
    PageError::bad_request(
        "invalid_request",
        "This login page has expired or was already used. Start again from the application.",
    )
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A 302 to a path on the mock itself.
fn found(location: &str) -> Response {
    let mut response = Redirect::to(location).into_response();
    *response.status_mut() = StatusCode::FOUND;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
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

    #[test]
    fn prompt_none_cannot_be_combined() {
        assert!(parse_prompt(Some("none login")).is_err());
        assert!(parse_prompt(Some("login consent")).is_ok());
        assert!(parse_prompt(Some("bogus")).is_err());
    }
}
