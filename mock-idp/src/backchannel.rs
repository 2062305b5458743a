//! Back-channel logout (OIDC Back-Channel Logout 1.0): when a login session ends, the mock
//! POSTs a `logout_token` to every back-channel logout URL of every client that received
//! tokens in it, as Auth0 does for `oidc_logout.backchannel_logout_urls`.
//!
//! Every way a session ends goes through here: `/v2/logout` and `/oidc/logout`,
//! `DELETE /_mock/sessions[/{sid}]`, and `MockIdp::end_session[s]`.
//!
//! Design notes:
//! - **The logout never waits for its receivers.** Deliveries run in the background with a
//!   timeout (`[backchannel_logout] timeout_ms`); a receiver that is down, hangs or answers 500
//!   changes nothing about the logout's own answer. Each delivery is counted in flight before
//!   the logout answers, so a test can wait for it without sleeping
//!   (`store::backchannel`).
//! - **They run on the server's runtime**, not the caller's: `MockIdp::end_session` may be
//!   called from a test on a current-thread runtime that blocks, or on no runtime at all.
//!   `Server::bind` and the pool hand the engine their runtime; a delivery that cannot run
//!   (no runtime, or one shutting down) is recorded as failed, never lost, so no waiter hangs.
//! - **Journaled, without the token**: the journal gets the receiver's URL without its query
//!   (or credentials), its status or why there was none; the token itself is only in the
//!   inspector's store of issued tokens, like every other token.
//! - Receivers are called directly (no proxy), follow no redirect and share no connection
//!   pool: a pooled connection would belong to the runtime that opened it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::control::journal::{Endpoint, RecordedRequest};
use crate::engine::SharedIdp;
use crate::issuance::logout_token::logout_token;
use crate::store::backchannel::{BackchannelLogout, BackchannelOutcome};
use crate::store::issued::{IssuedBy, TokenUse};
use crate::store::sessions::SessionInfo;

/// Ends the session behind a browser's cookie (the logout endpoints).
pub(crate) fn end_session_of_cookie(idp: &SharedIdp, cookie: &str) {
    let ended = idp.sessions.end(cookie, idp.clock.now());
    announce(idp, ended);
}

/// Ends the session with this `sid`; whether there was a live one.
pub(crate) fn end_session(idp: &SharedIdp, sid: &str) -> bool {
    let ended = idp.sessions.end_sid(sid, idp.clock.now());
    let found = ended.is_some();
    announce(idp, ended);
    found
}

/// Ends every session.
pub(crate) fn end_all_sessions(idp: &SharedIdp) {
    let ended = idp.sessions.end_all(idp.clock.now());
    announce(idp, ended);
}

/// Starts the deliveries for sessions that ended.
fn announce(idp: &SharedIdp, ended: impl IntoIterator<Item = SessionInfo>) {
    let tenant = idp.tenant();
    let timeout = Duration::from_millis(tenant.backchannel_logout.timeout_ms);
    for session in ended {
        for client in session.clients.iter().filter_map(|id| tenant.client(id)) {
            if client.backchannel_logout_urls.is_empty() {
                continue;
            }
            let token = logout_token(idp, &tenant, client, &session);
            let token_id = idp.remember_token(
                TokenUse::Logout,
                IssuedBy::SessionEnd {
                    client_id: client.client_id.clone(),
                },
                &token,
            );
            for url in &client.backchannel_logout_urls {
                spawn(
                    idp,
                    Delivery {
                        url: url.clone(),
                        token: token.clone(),
                        token_id,
                        timeout,
                        watermark: idp.expectations.watermark(),
                        record: BackchannelLogout {
                            client_id: client.client_id.clone(),
                            url: shown(url),
                            sid: session.sid.clone(),
                            sub: session.sub.clone(),
                            at: idp.clock.now(),
                            outcome: BackchannelOutcome::Failed,
                        },
                    },
                );
            }
        }
    }
}

/// One POST to make.
struct Delivery {
    url: String,
    token: String,
    /// The token's id in the issued-tokens store, for the journal.
    token_id: u64,
    timeout: Duration,
    /// Expectations registered from here on do not count this delivery.
    watermark: u64,
    /// What is recorded when it finishes, but for the outcome.
    record: BackchannelLogout,
}

/// A delivery in flight. Dropped unfinished (its task never ran, or was cancelled when its
/// runtime shut down), it records itself as failed.
struct InFlight {
    idp: SharedIdp,
    delivery: Option<Delivery>,
}

impl InFlight {
    fn finish(mut self, outcome: BackchannelOutcome) {
        if let Some(delivery) = self.delivery.take() {
            record(&self.idp, delivery, outcome);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(delivery) = self.delivery.take() {
            record(&self.idp, delivery, BackchannelOutcome::Failed);
        }
    }
}

fn spawn(idp: &SharedIdp, delivery: Delivery) {
    idp.backchannel_logouts.start();
    let in_flight = InFlight {
        idp: Arc::clone(idp),
        delivery: Some(delivery),
    };
    let task = async move {
        let request = match (http_client().await, &in_flight.delivery) {
            (Some(client), Some(delivery)) => Some(delivery.request(client)),
            _ => None,
        };
        let outcome = match request {
            Some(request) => outcome_of(request.send().await),
            None => BackchannelOutcome::Failed,
        };
        in_flight.finish(outcome);
    };
    match idp.background_runtime() {
        Some(runtime) => drop(runtime.spawn(task)),
        // Dropping the task drops its `InFlight`, which records the failure.
        None => drop(task),
    }
}

impl Delivery {
    fn request(&self, client: &reqwest::Client) -> reqwest::RequestBuilder {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("logout_token", &self.token)
            .finish();
        client
            .post(&self.url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .timeout(self.timeout)
            .body(body)
    }
}

/// One client for the process, keeping no idle connections (see the module notes). Building
/// it loads the system's TLS roots (about 0.2 s in a debug build), so the first delivery does
/// that on a blocking thread: never in the logout's answer, nor on the server's runtime,
/// which may be a single thread serving the test's other requests.
async fn http_client() -> Option<&'static reqwest::Client> {
    static CLIENT: OnceLock<Option<reqwest::Client>> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return client.as_ref();
    }
    let build = || {
        CLIENT
            .get_or_init(|| {
                reqwest::Client::builder()
                    .user_agent(concat!("mock-idp/", env!("CARGO_PKG_VERSION")))
                    .redirect(reqwest::redirect::Policy::none())
                    .no_proxy()
                    .pool_max_idle_per_host(0)
                    .build()
                    .ok()
            })
            .as_ref()
    };
    tokio::task::spawn_blocking(build).await.ok().flatten()
}

fn outcome_of(result: Result<reqwest::Response, reqwest::Error>) -> BackchannelOutcome {
    match result {
        Ok(response) if response.status().is_success() => BackchannelOutcome::Accepted {
            status: response.status().as_u16(),
        },
        Ok(response) => BackchannelOutcome::Rejected {
            status: response.status().as_u16(),
        },
        Err(e) if e.is_timeout() => BackchannelOutcome::Timeout,
        Err(e) if refused(&e) => BackchannelOutcome::ConnectionRefused,
        Err(e) if e.is_connect() => BackchannelOutcome::Unreachable,
        Err(_) => BackchannelOutcome::Failed,
    }
}

/// Whether the error comes from a refused TCP connection (an I/O error down its sources).
fn refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(e) = source {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        source = e.source();
    }
    false
}

fn record(idp: &SharedIdp, delivery: Delivery, outcome: BackchannelOutcome) {
    let Delivery {
        url,
        token_id,
        watermark,
        mut record,
        ..
    } = delivery;
    let entry = RecordedRequest {
        seq: 0,
        method: "POST".into(),
        path: record.url.clone(),
        endpoint: Endpoint::BackchannelLogout,
        status: outcome.status(),
        at: record.at,
        grant_type: None,
        client_id: Some(record.client_id.clone()),
        faulted: false,
        error: outcome.error().map(str::to_owned),
        tokens: vec![token_id],
        note: auth0_would_refuse(&url).then(|| {
            "Auth0 sends back-channel logouts only to public https URLs; this one works with mock-idp only".into()
        }),
        console: Vec::new(),
    };
    idp.expectations.observe(&entry, watermark);
    idp.journal.push(entry);
    // Last: a test woken by it finds the journal entry already there.
    record.outcome = outcome;
    idp.backchannel_logouts.finish(record);
}

/// The URL as the journal may show it: no query, fragment or credentials.
fn shown(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.into()
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or_default().to_owned(),
    }
}

/// Plain http, or a loopback host: fine here, refused by a real tenant.
fn auth0_would_refuse(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.scheme() != "https"
            || match u.host() {
                Some(url::Host::Domain(domain)) => {
                    domain == "localhost" || domain.ends_with(".localhost")
                }
                Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_private(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => true,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_shows_a_receiver_url_without_its_query_or_credentials() {
        assert_eq!(
            shown("https://user:pw@app.test/bcl?secret=1#f"),
            "https://app.test/bcl"
        );
        assert_eq!(
            shown("http://localhost:3000/backchannel-logout"),
            "http://localhost:3000/backchannel-logout"
        );
    }

    #[test]
    fn only_public_https_urls_are_ones_auth0_would_deliver_to() {
        assert!(!auth0_would_refuse(
            "https://app.example.com/backchannel-logout"
        ));
        assert!(auth0_would_refuse(
            "http://app.example.com/backchannel-logout"
        ));
        assert!(auth0_would_refuse(
            "https://localhost:3000/backchannel-logout"
        ));
        assert!(auth0_would_refuse("https://127.0.0.1/backchannel-logout"));
        assert!(auth0_would_refuse("https://[::1]/backchannel-logout"));
    }

    #[test]
    fn a_refused_connection_is_told_apart_by_its_io_error() {
        let refused_error = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let other = std::io::Error::from(std::io::ErrorKind::TimedOut);
        assert!(refused(&refused_error));
        assert!(!refused(&other));
    }
}
