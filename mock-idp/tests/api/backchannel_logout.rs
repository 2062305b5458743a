//! OIDC Back-Channel Logout: when a session ends, every back-channel logout URL of every
//! client that received tokens in it gets a signed `logout_token`, and nothing else does; the
//! logout never waits for receivers; the journal records each delivery.

use std::time::Duration;

use jsonwebtoken::{DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use mock_idp::{BackchannelOutcome, Client, Endpoint, MockIdp, RecordedRequest};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{AuthRequest, Browser, Pkce, location, query_of};

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
const RECEIVER_PATH: &str = "/backchannel-logout";

/// A receiver that takes logout tokens, as an application's endpoint does.
async fn receiver() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(RECEIVER_PATH))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}

fn receiver_url(server: &MockServer) -> String {
    format!("{}{RECEIVER_PATH}", server.uri())
}

/// A confidential web application with a callback on its own port.
fn web_app(client_id: &str, port: u16) -> Client {
    Client::regular_web(client_id, format!("{client_id}-secret"))
        .callback(format!("http://localhost:{port}/callback"))
}

/// The code flow for `client` in `browser`'s session (logging `email` in through the form
/// when the browser has no session yet), up to the token response.
async fn sign_in_to(browser: &Browser<'_>, client: &Client, email: &str) -> Value {
    let pkce = Pkce::new();
    let callback = client.callbacks[0].clone();
    let request = AuthRequest::spa(&pkce)
        .with("client_id", &client.client_id)
        .with("redirect_uri", &callback);
    let first = browser.authorize(&request).await;
    let back = if location(&first).starts_with("/u/login") {
        let (_, _, form) = browser.login_page(&first).await;
        let posted = browser
            .submit_login(&form, &[("username", email), ("password", "password")])
            .await;
        browser.follow(&posted).await
    } else {
        first
    };
    let code = query_of(&location(&back))["code"].clone();
    let secret = client.client_secret.clone().unwrap();
    let (status, body) = browser
        .token(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client.client_id),
            ("client_secret", &secret),
            ("code", &code),
            ("code_verifier", &pkce.verifier),
            ("redirect_uri", &callback),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The one session of `sub`.
fn sid_of(idp: &MockIdp, sub: &str) -> String {
    idp.sessions()
        .into_iter()
        .find(|s| s.sub == sub)
        .unwrap_or_else(|| panic!("no session for {sub}"))
        .sid
}

/// The `logout_token` of a request a receiver got: the only field of a form body.
fn posted_token(request: &wiremock::Request) -> String {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    match fields.as_slice() {
        [(name, token)] if name == "logout_token" => token.clone(),
        other => panic!("expected a form with logout_token only, got {other:?}"),
    }
}

/// Verifies `token` as a relying party does (signature against the JWKS, exact `iss`, this
/// `aud`, unexpired), and returns its header and claims.
fn verified(idp: &MockIdp, token: &str, client_id: &str) -> (Value, Value) {
    let header = decode_header(token).unwrap();
    let jwks: JwkSet = serde_json::from_value(idp.jwks()).unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[idp.issuer()]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["iss", "aud", "exp", "iat", "sub"]);
    let claims = decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .unwrap_or_else(|e| panic!("the logout token for {client_id} does not verify: {e}"))
        .claims;
    (serde_json::to_value(&header).unwrap(), claims)
}

fn backchannel_entries(idp: &MockIdp) -> Vec<RecordedRequest> {
    idp.received_requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::BackchannelLogout)
        .collect()
}

#[tokio::test]
async fn a_logout_posts_a_verifiable_logout_token_to_every_url_of_every_client_of_the_session() {
    // Arrange: Alice signs in to portal (two receivers) and shop (one); Bob to bystander.
    let (portal_a, portal_b, shop_rx, bystander_rx) = (
        receiver().await,
        receiver().await,
        receiver().await,
        receiver().await,
    );
    let portal = web_app("portal", 3101)
        .backchannel_logout_url(receiver_url(&portal_a))
        .backchannel_logout_url(receiver_url(&portal_b));
    let shop = web_app("shop", 3102).backchannel_logout_url(receiver_url(&shop_rx));
    let bystander = web_app("bystander", 3103).backchannel_logout_url(receiver_url(&bystander_rx));
    let idp = MockIdp::builder()
        .client(portal.clone())
        .client(shop.clone())
        .client(bystander.clone())
        .start()
        .await;
    let alice = Browser::new(&idp);
    sign_in_to(&alice, &portal, "alice@example.com").await;
    sign_in_to(&alice, &shop, "alice@example.com").await;
    let bob = Browser::new(&idp);
    sign_in_to(&bob, &bystander, "bob@example.com").await;
    let sid = sid_of(&idp, "auth0|alice");

    // Act
    let response = alice.get("/v2/logout").await;

    // Assert: three deliveries, each accepted, and none to Bob's application.
    assert_eq!(response.status(), StatusCode::OK);
    let sent = idp.wait_for_backchannel_logouts(3).await;
    assert_eq!(sent.len(), 3, "{sent:#?}");
    assert!(sent.iter().all(|d| d.outcome.is_accepted()), "{sent:#?}");
    assert!(sent.iter().all(|d| d.sid == sid && d.sub == "auth0|alice"));
    assert!(bystander_rx.received_requests().await.unwrap().is_empty());
    assert!(
        idp.sessions().iter().any(|s| s.sub == "auth0|bob"),
        "Bob is still logged in"
    );
    let mut jtis = Vec::new();
    for (server, client_id) in [
        (&portal_a, "portal"),
        (&portal_b, "portal"),
        (&shop_rx, "shop"),
    ] {
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1, "{client_id} at {}", server.uri());
        let (header, claims) = verified(&idp, &posted_token(&requests[0]), client_id);
        assert_eq!(header["typ"], "logout+jwt");
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], idp.active_kid());
        assert_eq!(claims["iss"], idp.issuer());
        assert_eq!(claims["aud"], client_id, "a string, this client's id");
        assert_eq!(claims["sub"], "auth0|alice");
        assert_eq!(claims["sid"], sid);
        assert_eq!(claims["events"], json!({ EVENT: {} }));
        assert!(claims.get("nonce").is_none(), "a logout token has no nonce");
        let iat = claims["iat"].as_i64().unwrap();
        assert!((iat - idp.clock().now()).abs() <= 5, "iat is now");
        assert_eq!(claims["exp"].as_i64().unwrap() - iat, 120, "short-lived");
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    assert_ne!(jtis[0], jtis[2], "each client's token has its own jti");
}

#[tokio::test]
async fn a_client_that_received_no_tokens_in_the_session_gets_no_logout() {
    // Arrange: portal takes back-channel logouts, but Alice only used the SPA.
    let portal_rx = receiver().await;
    let idp = MockIdp::builder()
        .client(web_app("portal", 3101).backchannel_logout_url(receiver_url(&portal_rx)))
        .start()
        .await;
    let alice = Browser::new(&idp);
    let pkce = Pkce::new();
    alice
        .tokens(&AuthRequest::spa(&pkce), &pkce, "alice@example.com")
        .await;
    let sid = sid_of(&idp, "auth0|alice");

    // Act
    let ended = idp.end_session(&sid);

    // Assert
    assert!(ended);
    assert!(idp.wait_for_backchannel_logouts(0).await.is_empty());
    assert!(portal_rx.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_session_lists_the_clients_that_received_tokens_in_it() {
    // Arrange
    let portal = web_app("portal", 3101);
    let idp = MockIdp::builder().client(portal.clone()).start().await;
    let alice = Browser::new(&idp);

    // Act: tokens for portal, then for the SPA in the same session.
    let tokens = sign_in_to(&alice, &portal, "alice@example.com").await;
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce);
    let back = alice.authorize(&request).await;
    let code = query_of(&location(&back))["code"].clone();
    alice.redeem(&code, &pkce.verifier).await;
    let listed: Value = alice.get("/_mock/sessions").await.json().await.unwrap();

    // Assert
    assert!(tokens["id_token"].is_string());
    assert_eq!(idp.sessions()[0].clients, ["portal", "sample-spa"]);
    assert_eq!(
        listed["sessions"][0]["clients"],
        json!(["portal", "sample-spa"])
    );
}

/// A mock with portal taking back-channel logouts at `receiver`, and Alice signed in to it.
async fn portal_session(receiver: &MockServer) -> (MockIdp, String) {
    let idp = MockIdp::builder()
        .client(web_app("portal", 3101).backchannel_logout_url(receiver_url(receiver)))
        .start()
        .await;
    let browser = Browser::new(&idp);
    sign_in_to(&browser, &web_app("portal", 3101), "alice@example.com").await;
    let sid = sid_of(&idp, "auth0|alice");
    (idp, sid)
}

/// What one trigger sent: the receiver got exactly one token, for this session, and the
/// session is gone.
async fn assert_one_logout_for(idp: &MockIdp, receiver: &MockServer, sid: &str) {
    let sent = idp.wait_for_backchannel_logouts(1).await;
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(
        sent[0].outcome,
        BackchannelOutcome::Accepted { status: 204 }
    );
    let requests = receiver.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let (_, claims) = verified(idp, &posted_token(&requests[0]), "portal");
    assert_eq!(claims["sid"], sid);
    assert!(idp.sessions().is_empty());
}

#[tokio::test]
async fn oidc_logout_sends_the_back_channel_logouts() {
    // Arrange
    let receiver = receiver().await;
    let idp = MockIdp::builder()
        .client(web_app("portal", 3101).backchannel_logout_url(receiver_url(&receiver)))
        .start()
        .await;
    let browser = Browser::new(&idp);
    let tokens = sign_in_to(&browser, &web_app("portal", 3101), "alice@example.com").await;
    let sid = sid_of(&idp, "auth0|alice");
    let hint = tokens["id_token"].as_str().unwrap();

    // Act
    let response = browser
        .get(&format!(
            "/oidc/logout?id_token_hint={hint}&post_logout_redirect_uri=http://localhost:3101/callback"
        ))
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_one_logout_for(&idp, &receiver, &sid).await;
}

/// A `/_mock/*` DELETE, as a test in another language sends it.
async fn control_delete(idp: &MockIdp, path: &str) -> StatusCode {
    reqwest::Client::new()
        .delete(idp.url(path))
        .header("x-mock-idp", "1")
        .send()
        .await
        .unwrap()
        .status()
}

/// Arranges Alice's portal session, ends it with `end` (the act), and asserts that portal's
/// receiver got exactly one logout token for it.
async fn ending_sends_one_logout(end: impl AsyncFnOnce(&MockIdp, &str)) {
    let receiver = receiver().await;
    let (idp, sid) = portal_session(&receiver).await;

    end(&idp, &sid).await;

    assert_one_logout_for(&idp, &receiver, &sid).await;
}

#[tokio::test]
async fn ending_a_session_through_the_control_api_sends_its_back_channel_logouts() {
    ending_sends_one_logout(async |idp, sid| {
        let status = control_delete(idp, &format!("/_mock/sessions/{sid}")).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    })
    .await;
}

#[tokio::test]
async fn ending_every_session_through_the_control_api_sends_their_back_channel_logouts() {
    ending_sends_one_logout(async |idp, _| {
        assert_eq!(
            control_delete(idp, "/_mock/sessions").await,
            StatusCode::NO_CONTENT
        );
    })
    .await;
}

#[tokio::test]
async fn ending_a_session_from_rust_sends_its_back_channel_logouts() {
    ending_sends_one_logout(async |idp, sid| assert!(idp.end_session(sid))).await;
}

#[tokio::test]
async fn ending_every_session_from_rust_sends_their_back_channel_logouts() {
    ending_sends_one_logout(async |idp, _| idp.end_sessions()).await;
}

#[test]
fn deliveries_progress_while_the_test_blocks_its_own_thread() {
    // Arrange: a current-thread runtime that only runs while the test awaits.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (idp, sid, receiver) = runtime.block_on(async {
        let receiver = receiver().await;
        let (idp, sid) = portal_session(&receiver).await;
        (idp, sid, receiver)
    });

    // Act: ended from a thread that is not in the runtime at all.
    assert!(idp.end_session(&sid));

    // Assert: by the time the test awaits again, the mock's own runtime has delivered.
    runtime.block_on(assert_one_logout_for(&idp, &receiver, &sid));
}

#[tokio::test]
async fn a_second_logout_of_an_ended_session_sends_nothing_more() {
    // Arrange
    let receiver = receiver().await;
    let (idp, sid) = portal_session(&receiver).await;
    idp.end_session(&sid);
    idp.wait_for_backchannel_logouts(1).await;

    // Act
    let again = idp.end_session(&sid);

    // Assert
    assert!(!again);
    assert_eq!(idp.wait_for_backchannel_logouts(1).await.len(), 1);
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn reset_ends_sessions_without_back_channel_logouts() {
    // Arrange
    let receiver = receiver().await;
    let (idp, _) = portal_session(&receiver).await;

    // Act
    idp.reset();

    // Assert
    assert!(idp.sessions().is_empty());
    assert!(idp.wait_for_backchannel_logouts(0).await.is_empty());
    assert!(receiver.received_requests().await.unwrap().is_empty());
}

/// Accepts connections and never answers.
async fn hanging_receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{RECEIVER_PATH}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

#[tokio::test]
async fn a_receiver_that_hangs_does_not_delay_the_logout_and_is_journaled_as_a_timeout() {
    // Arrange
    let url = hanging_receiver().await;
    let portal = web_app("portal", 3101).backchannel_logout_url(&url);
    let idp = MockIdp::builder()
        .client(portal.clone())
        .backchannel_logout_timeout(Duration::from_millis(500))
        .start()
        .await;
    let browser = Browser::new(&idp);
    sign_in_to(&browser, &portal, "alice@example.com").await;

    // Act
    let response = browser.get("/v2/logout").await;
    let finished_before_the_answer = idp.backchannel_logouts();

    // Assert: the logout answered while its delivery was still waiting for the receiver,
    // which then timed out.
    assert_eq!(response.status(), StatusCode::OK);
    assert!(idp.sessions().is_empty());
    assert!(
        finished_before_the_answer.is_empty(),
        "{finished_before_the_answer:#?}"
    );
    let sent = idp.wait_for_backchannel_logouts(1).await;
    assert_eq!(sent[0].outcome, BackchannelOutcome::Timeout);
    let entries = backchannel_entries(&idp);
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0].path.as_str(),
            entries[0].status,
            entries[0].error.as_deref()
        ),
        (url.as_str(), 0, Some("timeout"))
    );
    assert_eq!(entries[0].client_id.as_deref(), Some("portal"));
}

#[tokio::test]
async fn a_receiver_that_is_down_is_journaled_as_refused_and_the_logout_still_succeeds() {
    // Arrange: a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}{RECEIVER_PATH}");
    let portal = web_app("portal", 3101).backchannel_logout_url(&url);
    let idp = MockIdp::builder().client(portal.clone()).start().await;
    let browser = Browser::new(&idp);
    sign_in_to(&browser, &portal, "alice@example.com").await;

    // Act
    let response = browser.get("/v2/logout").await;

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let sent = idp.wait_for_backchannel_logouts(1).await;
    assert_eq!(sent[0].outcome, BackchannelOutcome::ConnectionRefused);
    let entries = backchannel_entries(&idp);
    assert_eq!(
        (entries[0].status, entries[0].error.as_deref()),
        (0, Some("connection_refused"))
    );
    assert!(idp.sessions().is_empty());
}

#[tokio::test]
async fn a_receiver_that_answers_500_is_journaled_as_rejected_and_the_logout_still_succeeds() {
    // Arrange
    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&failing)
        .await;
    let portal = web_app("portal", 3101).backchannel_logout_url(receiver_url(&failing));
    let idp = MockIdp::builder().client(portal.clone()).start().await;
    let browser = Browser::new(&idp);
    sign_in_to(&browser, &portal, "alice@example.com").await;

    // Act
    let response = browser
        .get("/v2/logout?client_id=portal&returnTo=http://localhost:3101/callback")
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), "http://localhost:3101/callback");
    let sent = idp.wait_for_backchannel_logouts(1).await;
    assert_eq!(
        sent[0].outcome,
        BackchannelOutcome::Rejected { status: 500 }
    );
    let entries = backchannel_entries(&idp);
    assert_eq!(
        (entries[0].status, entries[0].error.as_deref()),
        (500, Some("rejected"))
    );
}

#[tokio::test]
async fn the_journal_notes_that_auth0_would_refuse_a_loopback_http_url_and_never_holds_the_token() {
    // Arrange: a receiver URL with a query, as some applications use for a key.
    let receiver = receiver().await;
    let url = format!("{}?key=s3cret", receiver_url(&receiver));
    let portal = web_app("portal", 3101).backchannel_logout_url(&url);
    let idp = MockIdp::builder().client(portal.clone()).start().await;
    let browser = Browser::new(&idp);
    sign_in_to(&browser, &portal, "alice@example.com").await;

    // Act
    idp.end_sessions();
    idp.wait_for_backchannel_logouts(1).await;
    let journal: Value = reqwest::get(idp.url("/_mock/requests"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Assert
    let token = posted_token(&receiver.received_requests().await.unwrap()[0]);
    let entry = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["endpoint"] == "backchannel_logout")
        .unwrap();
    assert_eq!(entry["path"], receiver_url(&receiver), "no query");
    assert_eq!(entry["status"], 204);
    assert!(entry["note"].as_str().unwrap().contains("public https"));
    let text = journal.to_string();
    assert!(!text.contains(&token) && !text.contains("s3cret"), "{text}");
}

#[tokio::test]
async fn the_control_api_lists_the_logouts_once_those_in_flight_have_finished() {
    // Arrange
    let receiver = receiver().await;
    let (idp, sid) = portal_session(&receiver).await;
    control_delete(&idp, &format!("/_mock/sessions/{sid}")).await;
    let http = reqwest::Client::new();

    // Act
    let listed: Value = http
        .get(idp.url("/_mock/backchannel-logouts?wait=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bad = http
        .get(idp.url("/_mock/backchannel-logouts?wait=soon"))
        .send()
        .await
        .unwrap();

    // Assert
    let logouts = listed["backchannel_logouts"].as_array().unwrap();
    assert_eq!(logouts.len(), 1);
    assert_eq!(logouts[0]["client_id"], "portal");
    assert_eq!(logouts[0]["sid"], sid.as_str());
    assert_eq!(
        logouts[0]["outcome"],
        json!({ "result": "accepted", "status": 204 })
    );
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let error: Value = bad.json().await.unwrap();
    assert_eq!(error["error"], "invalid_request");
}

#[tokio::test]
async fn an_expectation_counts_back_channel_logouts() {
    // Arrange
    let receiver = receiver().await;
    let (idp, sid) = portal_session(&receiver).await;
    let guard = idp
        .expect(Endpoint::BackchannelLogout)
        .client("portal")
        .times(1)
        .scoped();

    // Act
    idp.end_session(&sid);
    idp.wait_for_backchannel_logouts(1).await;

    // Assert: checked as the guard drops.
    drop(guard);
}

#[tokio::test]
#[should_panic(expected = "expected 1 back-channel logouts, but 0 were sent")]
async fn waiting_for_a_logout_that_was_never_sent_fails_at_once() {
    // Arrange: a session whose client takes no back-channel logouts.
    let idp = MockIdp::start().await;
    let alice = Browser::new(&idp);
    alice.sign_in("alice@example.com").await;

    // Act
    idp.end_sessions();

    // Assert
    idp.wait_for_backchannel_logouts(1).await;
}

#[tokio::test]
async fn the_logout_token_typ_is_configurable() {
    // Arrange: an application that wants to see what it does with `typ: JWT`.
    let receiver = receiver().await;
    let mut tenant = mock_idp::TenantConfig::default();
    tenant.backchannel_logout.typ = "JWT".into();
    let portal = web_app("portal", 3101).backchannel_logout_url(receiver_url(&receiver));
    let idp = MockIdp::builder()
        .tenant(tenant)
        .client(portal.clone())
        .start()
        .await;
    let browser = Browser::new(&idp);
    sign_in_to(&browser, &portal, "alice@example.com").await;

    // Act
    idp.end_sessions();
    idp.wait_for_backchannel_logouts(1).await;

    // Assert
    let token = posted_token(&receiver.received_requests().await.unwrap()[0]);
    let (header, _) = verified(&idp, &token, "portal");
    assert_eq!(header["typ"], "JWT");
}

#[tokio::test]
async fn a_client_whose_id_tokens_are_hs256_gets_a_logout_token_signed_with_its_secret() {
    // Arrange
    let receiver = receiver().await;
    let portal = Client {
        id_token_signing_alg: Some(mock_idp::Algorithm::HS256),
        ..web_app("portal", 3101).backchannel_logout_url(receiver_url(&receiver))
    };
    let idp = MockIdp::builder().client(portal.clone()).start().await;
    let browser = Browser::new(&idp);
    sign_in_to(&browser, &portal, "alice@example.com").await;

    // Act
    idp.end_sessions();
    idp.wait_for_backchannel_logouts(1).await;

    // Assert: verified as the client verifies its ID tokens.
    let token = posted_token(&receiver.received_requests().await.unwrap()[0]);
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_issuer(&[idp.issuer()]);
    validation.set_audience(&["portal"]);
    let key = DecodingKey::from_secret(b"portal-secret").unwrap();
    let claims = decode::<Value>(&token, &key, &validation).unwrap().claims;
    assert_eq!(claims["events"], json!({ EVENT: {} }));
}

#[test]
fn a_back_channel_logout_url_must_be_an_absolute_http_url_without_a_fragment() {
    for bad in [
        "/backchannel-logout",
        "ftp://app.test/logout",
        "https://app.test/logout#x",
        "not a url",
    ] {
        let toml =
            format!("[[clients]]\nclient_id = \"portal\"\nbackchannel_logout_urls = [{bad:?}]");
        let error = mock_idp::TenantConfig::from_toml(&toml).unwrap_err();
        assert!(error.to_string().contains("portal"), "{bad}: {error}");
    }
    let good = "[[clients]]\nclient_id = \"portal\"\nbackchannel_logout_urls = [\"https://app.test/bcl?k=1\", \"http://localhost:3000/bcl\"]";
    assert!(mock_idp::TenantConfig::from_toml(good).is_ok());
}

#[tokio::test]
async fn a_client_that_signed_in_with_the_implicit_flow_hears_the_logout_too() {
    // Arrange: express-openid-connect's default login (id_token + form_post) for portal.
    let rx = receiver().await;
    let portal = web_app("portal", 3101).backchannel_logout_url(receiver_url(&rx));
    let idp = MockIdp::builder().client(portal.clone()).start().await;
    let browser = Browser::new(&idp);
    let request = AuthRequest {
        params: vec![
            ("client_id".into(), "portal".into()),
            ("response_type".into(), "id_token".into()),
            ("response_mode".into(), "form_post".into()),
            ("scope".into(), "openid profile".into()),
            ("redirect_uri".into(), portal.callbacks[0].clone()),
            ("nonce".into(), "n-0S6_WzA2Mj".into()),
        ],
    };
    let signed_in = browser.log_in(&request, "alice@example.com").await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let sid = sid_of(&idp, "auth0|alice");

    // Act
    assert!(idp.end_session(&sid));

    // Assert
    assert_one_logout_for(&idp, &rx, &sid).await;
}
