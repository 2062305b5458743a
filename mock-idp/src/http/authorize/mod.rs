//! `GET`/`POST /authorize`: the first leg of the browser flow (the code is redeemed by
//! [`crate::grants`]).
//!
//! The order of checks is the security boundary. Until `client_id` and `redirect_uri` are
//! known good, errors are an HTML page and never a redirect (RFC 6749 4.1.2.1: anything else is
//! an open redirector). After that, every outcome goes back to the client in the response mode
//! it asked for, and a `web_message` request always gets a message: silence would leave the
//! SDK's hidden iframe waiting 60 seconds.
//!
//! A request pushed first to `POST /oauth/par` ([`par`], RFC 9126) is validated there and
//! arrives here as `client_id` + `request_uri`: it continues from the pushed parameters only.
//!
//! A request that needs the user becomes a login transaction ([`crate::store::transactions`]); the
//! login and consent pages finish it through `GET /authorize/resume`, so a login POST is answered
//! with 303 whatever the response mode (RFC 9700 4.12).

pub(crate) mod par;
mod reply;
mod request;

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::control::journal::JournalNote;
use crate::engine::{Idp, SharedIdp};
use crate::grants::actions::{Counted, Login, LoginRequest, post_login};
use crate::http::html::PageError;
use crate::http::session_cookie;
use crate::http::{journal_console, paths, run_flows};
use crate::issuance::scopes::user_scopes_in;
use crate::issuance::{UserGrant, issue_at_authorize};
use crate::store::codes::CodeGrant;
use crate::store::issued::IssuedBy;
use crate::store::sessions::SessionInfo;
use crate::store::transactions::AuthorizationRequest;
use crate::tenant::{Client, IMPLICIT, Member, TenantConfig, User};
pub(crate) use reply::{AuthorizeError, deliver};
use request::{RawParams, validate};

/// Where the login page's transaction is finished after login or consent.
pub(crate) const RESUME: &str = "/authorize/resume";

pub(crate) async fn authorize_get(
    State(idp): State<SharedIdp>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = RawParams::parse(query.unwrap_or_default().as_bytes());
    let engine = idp.clone();
    let answer = move || authorize(&engine, &headers, &params);
    answered(run_flows(&idp, answer).await)
}

/// The response, whether the request was answered or refused, with the console lines of the
/// Actions it ran.
fn answered(result: Option<(Result<Response, AuthorizeError>, Vec<String>)>) -> Response {
    match result {
        Some((result, console)) => {
            let mut response = result.unwrap_or_else(IntoResponse::into_response);
            journal_console(&mut response, console);
            response
        }
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// OIDC Core 3.1.2.1: the same request as a form POST.
pub(crate) async fn authorize_post(
    State(idp): State<SharedIdp>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = RawParams::parse(&body);
    let engine = idp.clone();
    let answer = move || authorize(&engine, &headers, &params);
    answered(run_flows(&idp, answer).await)
}

fn authorize(
    idp: &Idp,
    headers: &HeaderMap,
    params: &RawParams,
) -> Result<Response, AuthorizeError> {
    if params.get("request_uri").is_some() {
        let pending = par::pushed_request(idp, params)?;
        return proceed(idp, headers, pending);
    }
    let pending = validate(idp, params)?;
    let tenant = idp.tenant();
    if tenant
        .client(&pending.client_id)
        .is_some_and(|c| c.require_pushed_authorization_requests)
    {
        return Err(AuthorizeError::client(
            &pending.reply,
            "invalid_request",
            "This client requires pushed authorization requests: POST them to /oauth/par and send the request_uri",
        ));
    }
    proceed(idp, headers, pending)
}

/// `/authorize` for a user identified another way (a passwordless magic link): `query` is
/// validated as an authorization request, then `identify` names the user (or refuses, to the
/// client once its redirect URI is trusted), who is logged in and answered as after the
/// login form.
pub(crate) fn authorize_identified(
    idp: &Idp,
    headers: &HeaderMap,
    query: &[u8],
    identify: impl FnOnce(&AuthorizationRequest) -> Result<String, AuthorizeError>,
) -> Response {
    let run = || {
        let pending = validate(idp, &RawParams::parse(query))?;
        let sub = identify(&pending)?;
        let previous = session_cookie::value(headers);
        let (cookie, info) = idp.log_in(&sub, previous.as_deref());
        after_login(idp, pending, &cookie.clone(), &info, Some(cookie), false)
    };
    run().unwrap_or_else(IntoResponse::into_response)
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
        .and_then(|email| tenant.user_by_login(&email));
    if let Some(user) = chosen {
        if user.blocked {
            return Err(AuthorizeError::client(
                &pending.reply,
                "unauthorized",
                "user is blocked",
            ));
        }
        let (new_cookie, info) = idp.log_in(&user.sub(), cookie.as_deref());
        return after_login(
            idp,
            pending,
            &new_cookie.clone(),
            &info,
            Some(new_cookie),
            false,
        );
    }
    let page = if pending.screen_hint.as_deref() == Some("signup") {
        paths::SIGNUP_PAGE
    } else {
        paths::LOGIN
    };
    let txn = idp.begin_transaction(pending, None);
    Ok(found(&format!("{page}?state={}", encode(&txn))))
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
    if let Some(org_id) = &pending.organization {
        admit(idp, &pending, &info.sub, org_id)?;
    }
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
        respond(idp, &tenant, client, user, info, &pending)?
    };
    if let Some(value) = new_cookie {
        response
            .headers_mut()
            .append(header::SET_COOKIE, session_cookie::set(idp, &value));
    }
    Ok(response)
}

/// Lets the user `sub` into the organization `org_id` if they are a member, or join it with an
/// invitation (the mock keeps no invitations: any ticket is taken as Auth0 takes a valid one);
/// Auth0's `access_denied` for anyone else, back to the client.
fn admit(
    idp: &Idp,
    pending: &AuthorizationRequest,
    sub: &str,
    org_id: &str,
) -> Result<(), AuthorizeError> {
    let denied = |d: String| AuthorizeError::client(&pending.reply, "access_denied", d);
    let tenant = idp.tenant();
    let org = tenant
        .organizations
        .iter()
        .find(|o| o.id() == org_id)
        .ok_or_else(|| {
            denied(format!(
                "no organization found by that id or name: {org_id}"
            ))
        })?;
    let Some(user) = tenant.user_by_sub(sub) else {
        return Ok(());
    };
    if org.member_entry(user).is_some() {
        return Ok(());
    }
    if pending.invitation.is_none() {
        return Err(denied(format!(
            "user {sub} is not part of the {org_id} organization"
        )));
    }
    drop(tenant);
    idp.update_tenant(|tenant| {
        if let Some(org) = tenant.organizations.iter_mut().find(|o| o.id() == org_id) {
            org.members.push(Member::new(sub));
        }
    });
    Ok(())
}

/// The authorization response for a logged-in user who needs no (more) consent: a code, tokens,
/// or both, as `response_type` asked, shaped by the tenant's post-login Actions (which may
/// also refuse: Auth0's `access_denied`, back to the client).
fn respond(
    idp: &Idp,
    tenant: &TenantConfig,
    client: &Client,
    user: &User,
    info: &SessionInfo,
    pending: &AuthorizationRequest,
) -> Result<Response, AuthorizeError> {
    let api = pending.audience.as_deref().and_then(|a| tenant.api(a));
    let organization = pending
        .organization
        .as_deref()
        .and_then(|id| tenant.organizations.iter().find(|o| o.id() == id));
    let scope = user_scopes_in(tenant, user, api, &pending.scope, organization);
    let login = Login {
        tenant,
        client,
        user,
        api,
        organization,
        protocol: pending.response_type.protocol(),
        request: LoginRequest::Authorize(&pending.query),
        transaction: transaction_event(pending),
        counted: Counted::Already,
        auth_time: info.auth_time,
        method: "pwd",
    };
    let action_claims = post_login(idp, &login, &scope)
        .map_err(|e| AuthorizeError::client(&pending.reply, e.code(), e.description()))?;
    let response_type = pending.response_type;
    let mut params = Vec::with_capacity(6);
    let code = response_type.code.then(|| {
        let code = idp.ids.next("code");
        let ttl = i64::try_from(tenant.tokens.authorization_code).unwrap_or(600);
        let grant = CodeGrant {
            client_id: client.client_id.clone(),
            redirect_uri: pending.reply.redirect_uri.clone(),
            redirect_uri_given: pending.redirect_uri_given.clone(),
            sub: info.sub.clone(),
            audience: api.map(|a| a.identifier.clone()),
            scope: scope.clone(),
            nonce: pending.nonce.clone(),
            challenge: pending.challenge.clone(),
            auth_time: info.auth_time,
            sid: info.sid.clone(),
            expires_at: idp.clock.now() + ttl,
            organization: organization.map(|o| o.id()),
            action_claims: action_claims.clone(),
        };
        idp.codes.insert(code.clone(), grant);
        code
    });
    params.extend(code.clone().map(|c| ("code", c)));
    if !response_type.front_channel_tokens() {
        return Ok(deliver(&pending.reply, params));
    }
    let issued = issue_at_authorize(
        idp,
        UserGrant {
            tenant,
            client,
            user,
            api,
            scope,
            nonce: pending.nonce.clone(),
            auth_time: Some(info.auth_time),
            sid: Some(info.sid.clone()),
            gty: None,
            refresh_family: None,
        },
        response_type.token,
        response_type.id_token,
        code.as_deref(),
        organization,
        &action_claims,
    );
    let by = IssuedBy::Grant {
        grant_type: IMPLICIT.to_owned(),
        client_id: client.client_id.clone(),
    };
    let note = JournalNote {
        grant_type: Some(IMPLICIT.to_owned()),
        client_id: Some(client.client_id.clone()),
        tokens: issued
            .tokens()
            .map(|(kind, token)| idp.remember_token(kind, by.clone(), token))
            .collect(),
        ..JournalNote::default()
    };
    params.extend(issued.into_params());
    let mut response = deliver(&pending.reply, params);
    response.extensions_mut().insert(note);
    Ok(response)
}

/// post-login's `event.transaction` for an authorization request, as Auth0 fills it.
fn transaction_event(pending: &AuthorizationRequest) -> serde_json::Map<String, serde_json::Value> {
    let prompt = pending.prompt;
    let prompts: Vec<&str> = [
        (prompt.none, "none"),
        (prompt.login, "login"),
        (prompt.consent, "consent"),
    ]
    .into_iter()
    .filter_map(|(asked, word)| asked.then_some(word))
    .collect();
    let mut out = serde_json::Map::new();
    out.insert("prompt".into(), prompts.into());
    out.insert(
        "redirect_uri".into(),
        pending.reply.redirect_uri.clone().into(),
    );
    out.insert("response_type".into(), pending.response_type.words().into());
    out.insert("response_mode".into(), pending.reply.mode.as_str().into());
    out.insert("locale".into(), "en".into());
    out.insert("acr_values".into(), serde_json::Value::Array(Vec::new()));
    out.insert("ui_locales".into(), serde_json::Value::Array(Vec::new()));
    if let Some(state) = &pending.reply.state {
        out.insert("state".into(), state.clone().into());
    }
    if let Some(hint) = &pending.login_hint {
        out.insert("login_hint".into(), hint.clone().into());
    }
    out
}

/// `GET /authorize/resume?state=<txn>`: after the login or consent page.
pub(crate) async fn resume(
    State(idp): State<SharedIdp>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let engine = idp.clone();
    let answer = move || resume_inner(&engine, &query, &headers);
    answered(run_flows(&idp, answer).await)
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
