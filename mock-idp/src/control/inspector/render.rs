//! The inspector's HTML: the whole page, and the parts its script fetches again to stay live.
//! Every value that comes from a request, a token or the tenant goes through [`escape`], so a
//! claim holding `<script>` is text on the page.

use std::fmt::Write;

use serde_json::Value;

use super::segment;
use crate::control::journal::{Endpoint, RecordedRequest};
use crate::engine::Idp;
use crate::explain::words::{duration, timestamp};
use crate::http::html::escape;
use crate::store::issued::{IssuedBy, IssuedToken, TokenUse};
use crate::store::retired_keys::RetiredBy;
use crate::tenant::{DEVICE_CODE, PASSWORD_REALM};

/// How many rows and tokens the page shows; `GET /_mock/requests` and `GET /_mock/tokens`
/// have them all.
const SHOWN_REQUESTS: usize = 200;
const SHOWN_TOKENS: usize = 50;

/// The grant types a client may be allowed, by their wire names.
const GRANT_TYPES: [&str; 6] = [
    "authorization_code",
    "refresh_token",
    "password",
    PASSWORD_REALM,
    "client_credentials",
    DEVICE_CODE,
];

/// The endpoints the Requests filter offers, in the journal's names.
const ENDPOINTS: [Endpoint; 17] = [
    Endpoint::Discovery,
    Endpoint::Jwks,
    Endpoint::Authorize,
    Endpoint::Login,
    Endpoint::Token,
    Endpoint::Userinfo,
    Endpoint::Logout,
    Endpoint::Revoke,
    Endpoint::Par,
    Endpoint::DeviceAuthorization,
    Endpoint::Health,
    Endpoint::Control,
    Endpoint::BackchannelLogout,
    Endpoint::Management,
    Endpoint::DbConnections,
    Endpoint::Passwordless,
    Endpoint::Other,
];

pub(super) fn endpoint_name(endpoint: Endpoint) -> String {
    serde_json::to_value(endpoint)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The part of the page the script refreshes (`GET /_mock/?part=...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    Requests,
    Tokens,
    Tenant,
}

impl Part {
    pub(super) fn parse(name: &str) -> Option<Self> {
        match name {
            "requests" => Some(Self::Requests),
            "tokens" => Some(Self::Tokens),
            "tenant" => Some(Self::Tenant),
            _ => None,
        }
    }
}

pub(super) fn part(idp: &Idp, part: Part, filter: Option<Endpoint>) -> String {
    match part {
        Part::Requests => requests(idp, filter),
        Part::Tokens => tokens(idp),
        Part::Tenant => tenant(idp),
    }
}

pub(super) fn page(idp: &Idp) -> String {
    let issuer = escape(idp.issuer());
    let options: String = ENDPOINTS
        .iter()
        .map(|e| {
            let name = endpoint_name(*e);
            format!("<option value=\"{name}\">{name}</option>")
        })
        .collect();
    let apis: String = idp
        .tenant()
        .apis
        .iter()
        .map(|a| format!("<option value=\"{}\"></option>", escape(&a.identifier)))
        .collect();
    let fault_endpoints: String = ENDPOINTS
        .iter()
        .filter(|e| !matches!(e, Endpoint::Control | Endpoint::Other))
        .map(|e| {
            let name = endpoint_name(*e);
            format!("<option value=\"{name}\">{name}</option>")
        })
        .collect();
    let requests = requests(idp, None);
    let tokens = tokens(idp);
    let tenant = tenant(idp);
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mock-idp inspector</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/_mock/inspector.css">
<script src="/_mock/inspector.js" defer></script>
</head>
<body>
<header>
<h1>mock-idp inspector</h1>
<p class="muted">Issuer <code id="issuer">{issuer}</code> · what the mock did, and why a token would be rejected.</p>
<nav><a href="#requests">Requests</a> <a href="#tokens">Tokens</a> <a href="#tenant">Tenant</a> <a href="#explain">Explain</a></nav>
<p id="status" role="status" aria-live="polite"></p>
</header>
<main>
<section id="requests" aria-labelledby="requests-title">
<h2 id="requests-title">Requests</h2>
<p class="muted">The journal, newest first, live. <label>Endpoint <select id="endpoint-filter"><option value="">all</option>{options}</select></label></p>
<table>
<thead><tr><th>#</th><th>at</th><th>method</th><th>path</th><th>status</th><th>grant</th><th>client</th><th>error</th><th>tokens</th></tr></thead>
<tbody id="requests-body" data-part="requests">{requests}</tbody>
</table>
</section>
<section id="tokens" aria-labelledby="tokens-title">
<h2 id="tokens-title">Tokens</h2>
<p class="muted">Every token the mock issued or minted (the newest {SHOWN_TOKENS} of the last 200 kept; all of them at <code>GET /_mock/tokens</code>), decoded without verification.</p>
<div id="tokens-list" data-part="tokens">{tokens}</div>
</section>
<section id="tenant" aria-labelledby="tenant-title">
<h2 id="tenant-title">Tenant</h2>
<div class="controls">
<fieldset><legend>Keys</legend>
<button type="button" data-action="rotate">Rotate keys</button>
<button type="button" data-action="retire">Retire old keys</button>
</fieldset>
<fieldset><legend>Clock</legend>
<button type="button" data-action="advance" data-secs="60">+1 min</button>
<button type="button" data-action="advance" data-secs="3600">+1 h</button>
<button type="button" data-action="advance" data-secs="86400">+1 d</button>
<label>seconds <input id="advance-secs" type="number" value="300" size="7"></label>
<button type="button" data-action="advance-by">Advance</button>
<label>set to <input id="clock-set" placeholder="2030-01-01T00:00:00Z or Unix seconds" size="26"></label>
<button type="button" data-action="set-clock">Set</button>
</fieldset>
<fieldset><legend>Faults</legend>
<label>endpoint <select id="fault-endpoint">{fault_endpoints}</select></label>
<label>status <input id="fault-status" type="number" value="503" min="100" max="599" size="4"></label>
<label>times <input id="fault-times" type="number" value="1" min="1" size="3"></label>
<label>delay ms <input id="fault-delay" type="number" min="0" size="5"></label>
<button type="button" data-action="add-fault">Add fault</button>
<button type="button" data-action="clear-faults">Clear faults</button>
</fieldset>
</div>
<div id="tenant-body" data-part="tenant">{tenant}</div>
</section>
<section id="explain" aria-labelledby="explain-title">
<h2 id="explain-title">Explain</h2>
<p class="muted">Paste any token, and optionally what the API expects: each check a hardened validator makes, in order, against this mock's keys, clock and tenant.</p>
<form id="explain-form">
<label for="explain-token">Token</label>
<textarea id="explain-token" rows="4" spellcheck="false" placeholder="eyJhbGciOi..."></textarea>
<div class="row">
<label>Audience <input id="explain-audience" list="apis" placeholder="any API of this tenant" size="28"></label>
<datalist id="apis">{apis}</datalist>
<label>Issuer <input id="explain-issuer" placeholder="{issuer}" size="28"></label>
<label>Scopes <input id="explain-scopes" placeholder="read:messages" size="20"></label>
<button type="submit">Explain</button>
</div>
</form>
<div id="explain-result" aria-live="polite"></div>
</section>
</main>
</body>
</html>
"##
    )
}

fn requests(idp: &Idp, filter: Option<Endpoint>) -> String {
    let entries: Vec<RecordedRequest> = idp
        .journal
        .entries()
        .into_iter()
        .rev()
        .filter(|r| filter.is_none_or(|f| r.endpoint == f))
        .take(SHOWN_REQUESTS)
        .collect();
    if entries.is_empty() {
        return "<tr><td colspan=\"9\" class=\"muted\">No requests yet.</td></tr>".into();
    }
    let mut out = String::new();
    for r in entries {
        let status_class = if r.status < 400 { "ok" } else { "bad" };
        let tokens: String = r
            .tokens
            .iter()
            .map(|id| format!("<a href=\"#token-{id}\">#{id}</a>"))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = write!(
            out,
            "<tr data-endpoint=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td>\
             <td class=\"{status_class}\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{tokens}</td></tr>",
            endpoint_name(r.endpoint),
            r.seq,
            time_of_day(r.at),
            escape(&r.method),
            escape(&r.path),
            r.status,
            if r.faulted {
                " <span class=\"tag\">fault</span>"
            } else {
                ""
            },
            escape(r.grant_type.as_deref().unwrap_or("")),
            escape(r.client_id.as_deref().unwrap_or("")),
            escape(r.error.as_deref().unwrap_or("")),
        );
    }
    out
}

fn tokens(idp: &Idp) -> String {
    let now = idp.clock.now();
    let tokens: Vec<IssuedToken> = idp
        .issued
        .list()
        .into_iter()
        .rev()
        .take(SHOWN_TOKENS)
        .collect();
    if tokens.is_empty() {
        return "<p class=\"muted\">No tokens yet: they appear here as the mock issues them.</p>"
            .into();
    }
    let mut out = String::new();
    for t in tokens {
        let header = segment(&t.token, 0);
        let claims = segment(&t.token, 1);
        let kind = match t.kind {
            TokenUse::Access => "access token",
            TokenUse::Id => "ID token",
            TokenUse::Logout => "logout token",
        };
        let by = match &t.by {
            IssuedBy::Grant {
                grant_type,
                client_id,
            } => format!(
                "{} by <code>{}</code>",
                escape(grant_type),
                escape(client_id)
            ),
            IssuedBy::Minted => "minted by a test".into(),
            IssuedBy::SessionEnd { client_id } => {
                format!("back-channel logout to <code>{}</code>", escape(client_id))
            }
        };
        let exp = claims
            .get("exp")
            .cloned()
            .or_else(|| super::opaque_expiry(idp, &t.token));
        let expiry = match exp.as_ref().and_then(Value::as_i64) {
            Some(exp) if exp <= now => format!(
                "<span class=\"bad\">expired {} ago</span> ({})",
                duration(now.abs_diff(exp)),
                timestamp(exp)
            ),
            Some(exp) => format!(
                "expires in {} ({})",
                duration(exp.abs_diff(now)),
                timestamp(exp)
            ),
            None => "no <code>exp</code>".into(),
        };
        let subject = claims.get("sub").and_then(Value::as_str).unwrap_or("");
        let _ = write!(
            out,
            "<article class=\"token\" id=\"token-{id}\" data-token=\"{token}\">\
             <h3>#{id} {kind} <span class=\"muted\">for <code>{sub}</code> · {by} · at {at} · {expiry} on the mock's clock</span></h3>\
             <div class=\"cols\"><div><h4>header</h4><pre>{header}</pre></div><div><h4>claims</h4><pre>{claims}</pre></div></div>\
             <button type=\"button\" data-action=\"explain-token\">Explain</button></article>",
            id = t.id,
            token = escape(&t.token),
            sub = escape(subject),
            at = timestamp(t.at),
            header = escape(&pretty(&header)),
            claims = escape(&pretty(&claims)),
        );
    }
    out
}

fn tenant(idp: &Idp) -> String {
    let tenant = idp.tenant();
    let now = idp.clock.now();
    let mut out = String::new();

    let _ = write!(
        out,
        "<h3>Clock</h3><p><output id=\"clock-now\" data-now=\"{now}\">{}</output> <span class=\"muted\">({now}, {})</span></p>",
        timestamp(now),
        if idp.clock.is_frozen() {
            "frozen: it moves only when told"
        } else {
            "following the system clock, plus what tests added"
        }
    );

    let active = idp.active_key();
    out.push_str("<h3>Keys</h3><table id=\"keys\"><thead><tr><th>kid</th><th>alg</th><th>state</th></tr></thead><tbody>");
    for key in idp.published_keys().iter().rev() {
        let state = if key.kid() == active.kid() {
            "signing"
        } else {
            "published"
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{state}</td></tr>",
            escape(key.kid()),
            key.alg()
        );
    }
    for retired in idp.retired_keys.list().iter().rev() {
        let _ = write!(
            out,
            "<tr class=\"muted\"><td><code>{}</code></td><td></td><td>{} at {}</td></tr>",
            escape(&retired.kid),
            match retired.by {
                RetiredBy::Retire => "retired",
                RetiredBy::Reset => "dropped by a reset",
            },
            timestamp(retired.at)
        );
    }
    out.push_str("</tbody></table>");

    out.push_str("<h3>APIs</h3><table><thead><tr><th>identifier</th><th>permissions</th><th>RBAC</th><th>permissions in token</th><th>lifetime</th><th>alg</th></tr></thead><tbody>");
    for api in &tenant.apis {
        let _ = write!(
            out,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&api.identifier),
            api.name
                .as_deref()
                .map(|n| format!(" {}", escape(n)))
                .unwrap_or_default(),
            list(&api.permissions),
            yes_no(api.rbac),
            yes_no(api.adds_permissions()),
            duration(api.token_lifetime.unwrap_or(tenant.tokens.access_token)),
            api.signing_alg.unwrap_or(active.alg())
        );
    }
    out.push_str("</tbody></table>");

    out.push_str("<h3>Clients</h3><table><thead><tr><th>client_id</th><th>type</th><th>callbacks</th><th>logout URLs</th><th>web origins</th><th>grant types</th><th>API grants</th></tr></thead><tbody>");
    for client in &tenant.clients {
        let app_type = serde_json::to_value(client.app_type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let grants: Vec<String> = client
            .grants
            .iter()
            .map(|g| format!("{}: {}", g.audience, g.scopes.join(" ")))
            .collect();
        let grant_types: Vec<String> = GRANT_TYPES
            .iter()
            .filter(|g| client.allows_grant(g))
            .map(|g| (*g).to_owned())
            .collect();
        let _ = write!(
            out,
            "<tr><td><code>{}</code>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&client.client_id),
            client
                .name
                .as_deref()
                .map(|n| format!(" {}", escape(n)))
                .unwrap_or_default(),
            escape(&app_type),
            if client.client_secret.is_some() {
                ", confidential"
            } else {
                ", public"
            },
            list(&client.callbacks),
            list(&client.allowed_logout_urls),
            list(&client.web_origins),
            list(&grant_types),
            list(&grants)
        );
    }
    out.push_str("</tbody></table>");

    out.push_str("<h3>Users</h3><table><thead><tr><th>email</th><th>user_id</th><th>name</th><th>roles</th><th>permissions</th><th>metadata</th></tr></thead><tbody>");
    for user in &tenant.users {
        let mut permissions: Vec<String> = Vec::new();
        for api in &tenant.apis {
            for p in tenant.permissions_for(user, api) {
                permissions.push(format!("{p} ({})", api.identifier));
            }
        }
        let metadata = if user.claims.is_empty() {
            String::new()
        } else {
            format!(
                "<pre>{}</pre>",
                escape(&serde_json::to_string_pretty(&user.claims).unwrap_or_default())
            )
        };
        let _ = write!(
            out,
            "<tr><td>{}{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{metadata}</td></tr>",
            escape(&user.email),
            if user.blocked {
                " <span class=\"tag\">blocked</span>"
            } else {
                ""
            },
            escape(&user.sub()),
            escape(&user.display_name()),
            list(&user.roles),
            list(&permissions)
        );
    }
    out.push_str("</tbody></table>");

    if !tenant.roles.is_empty() {
        out.push_str(
            "<h3>Roles</h3><table><thead><tr><th>name</th><th>permissions</th></tr></thead><tbody>",
        );
        for role in &tenant.roles {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&role.name),
                list(
                    &role
                        .permissions
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                )
            );
        }
        out.push_str("</tbody></table>");
    }

    let sessions = idp.sessions.list(now);
    out.push_str("<h3>Sessions</h3>");
    if sessions.is_empty() {
        out.push_str("<p class=\"muted\">No one is logged in at the mock.</p>");
    } else {
        out.push_str("<table><thead><tr><th>sid</th><th>user</th><th>clients</th><th>logged in</th><th>ends</th><th></th></tr></thead><tbody>");
        for s in sessions {
            let _ = write!(
                out,
                "<tr><td><code>{sid}</code></td><td><code>{sub}</code></td><td>{}</td><td>{}</td><td>{}</td>\
                 <td><button type=\"button\" data-action=\"end-session\" data-sid=\"{sid}\">End</button></td></tr>",
                list(&s.clients),
                timestamp(s.auth_time),
                timestamp(s.expires_at),
                sid = escape(&s.sid),
                sub = escape(&s.sub),
            );
        }
        out.push_str("</tbody></table>");
    }

    let faults = idp.faults.list();
    out.push_str("<h3>Faults</h3>");
    if faults.is_empty() {
        out.push_str("<p class=\"muted\">None installed.</p>");
    } else {
        out.push_str("<table id=\"faults\"><thead><tr><th>endpoint</th><th>status</th><th>delay</th><th>left</th></tr></thead><tbody>");
        for f in faults {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                endpoint_name(f.endpoint),
                f.status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "(delay only)".into()),
                f.delay_ms.map(|d| format!("{d} ms")).unwrap_or_default(),
                f.times
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "until cleared".into())
            );
        }
        out.push_str("</tbody></table>");
    }
    out
}

fn pretty(value: &Value) -> String {
    if value.is_null() {
        return "(does not decode)".into();
    }
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("<code>{}</code>", escape(i)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn yes_no(on: bool) -> &'static str {
    if on { "yes" } else { "no" }
}

/// `HH:MM:SS`, the part of a mock-clock timestamp that tells requests apart.
fn time_of_day(unix: i64) -> String {
    timestamp(unix)
        .get(11..19)
        .map(str::to_owned)
        .unwrap_or_default()
}
