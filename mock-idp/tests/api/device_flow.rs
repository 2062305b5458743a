//! The device authorization flow (RFC 8628, as Auth0 serves it): `POST /oauth/device/code`,
//! the `/activate` pages, the `device_code` grant's answers on the mock clock, and deciding
//! from the control API and the Rust API.

use std::time::Duration;

use mock_idp::{Api, Client, DeviceStatus, Endpoint, MockIdp, TenantConfig, User};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API, Browser, claims, client, hidden, token_form};

const CLI: &str = "sample-cli";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn mock() -> MockIdp {
    MockIdp::builder()
        .client(Client::native(CLI).grant_types([DEVICE_GRANT, "refresh_token"]))
        .start()
        .await
}

async fn start_device(idp: &MockIdp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = client()
        .post(idp.url("/oauth/device/code"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// A CLI's start: its tokens for the sample API, with a refresh token.
async fn started(idp: &MockIdp) -> Value {
    let (status, body) = start_device(
        idp,
        &[
            ("client_id", CLI),
            ("scope", "openid profile offline_access read:messages"),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn poll(idp: &MockIdp, device_code: &str) -> (u16, Value) {
    token_form(
        idp,
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", CLI),
            ("device_code", device_code),
        ],
    )
    .await
}

/// Posts the `/activate` form of `page` (its user code and CSRF token) with `fields`.
async fn submit_activate(
    browser: &Browser<'_>,
    page: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (user_code, csrf) = (hidden(page, "user_code"), hidden(page, "csrf"));
    let mut form = vec![("user_code", user_code.as_str()), ("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser
        .http
        .post(browser.idp.url("/activate"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn code(body: &Value, name: &str) -> String {
    body[name].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_device_code_answer_has_auth0s_shape_and_points_at_activate() {
    // Arrange
    let idp = mock().await;

    // Act
    let body = started(&idp).await;

    // Assert
    let user_code = code(&body, "user_code");
    let (left, right) = user_code.split_once('-').unwrap();
    assert_eq!((left.len(), right.len()), (4, 4), "{user_code}");
    assert!(
        user_code
            .chars()
            .all(|c| c == '-' || "BCDFGHJKLMNPQRSTVWXZ".contains(c))
    );
    assert_eq!(
        body["verification_uri"],
        format!("{}activate", idp.issuer())
    );
    assert_eq!(
        body["verification_uri_complete"],
        format!("{}activate?user_code={user_code}", idp.issuer())
    );
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["interval"], 5);
    assert!(
        code(&body, "device_code").len() >= 32,
        "a secret, not a guessable code"
    );
}

#[tokio::test]
async fn discovery_advertises_the_device_endpoint_and_grant() {
    let idp = mock().await;
    let discovery: Value = client()
        .get(idp.discovery_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["device_authorization_endpoint"],
        format!("{}oauth/device/code", idp.issuer())
    );
    let grants = discovery["grant_types_supported"].as_array().unwrap();
    assert!(grants.contains(&json!(DEVICE_GRANT)), "{grants:?}");
}

#[tokio::test]
async fn polling_before_anyone_decides_is_pending() {
    let idp = mock().await;
    let body = started(&idp).await;

    let (status, error) = poll(&idp, &code(&body, "device_code")).await;

    assert_eq!(status, 403);
    assert_eq!(error["error"], "authorization_pending");
    assert_eq!(
        error["error_description"],
        "User has yet to authorize device code."
    );
}

#[tokio::test]
async fn polling_faster_than_the_interval_is_told_to_slow_down_by_the_mock_clock() {
    // Arrange: a first poll.
    let idp = MockIdp::builder()
        .deterministic()
        .client(Client::native(CLI))
        .start()
        .await;
    let device_code = code(&started(&idp).await, "device_code");
    assert_eq!(poll(&idp, &device_code).await.0, 403);

    // Act: again 4 s later, then 5 s after that.
    idp.clock().advance(Duration::from_secs(4));
    let (too_soon, error) = poll(&idp, &device_code).await;
    idp.clock().advance(Duration::from_secs(5));
    let (in_time, _) = poll(&idp, &device_code).await;

    // Assert
    assert_eq!(too_soon, 429);
    assert_eq!(error["error"], "slow_down");
    assert_eq!(
        error["error_description"],
        "You are polling faster than the specified interval of 5 seconds."
    );
    assert_eq!(in_time, 403, "pending again once the interval has passed");
}

#[tokio::test]
async fn an_approved_device_gets_the_users_tokens_once() {
    // Arrange
    let idp = mock().await;
    let body = started(&idp).await;
    idp.approve_device(&code(&body, "user_code"), "alice@example.com");

    // Act
    let (status, tokens) = poll(&idp, &code(&body, "device_code")).await;
    let (again, error) = poll(&idp, &code(&body, "device_code")).await;

    // Assert
    assert_eq!(status, 200, "{tokens}");
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["sub"], "auth0|alice");
    assert_eq!(access["aud"][0], API);
    assert_eq!(access["azp"], CLI);
    assert_eq!(
        access["scope"],
        "openid profile offline_access read:messages"
    );
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["aud"], CLI);
    assert!(tokens["refresh_token"].is_string(), "offline_access");
    assert_eq!(again, 403);
    assert_eq!(
        error["error"], "invalid_grant",
        "a device code buys tokens once"
    );
    assert_eq!(
        idp.device_authorizations()[0].status,
        DeviceStatus::Redeemed
    );
}

#[tokio::test]
async fn the_users_permissions_limit_the_scopes_as_at_login() {
    // Arrange: bob holds no permission on the RBAC API.
    let idp = mock().await;
    let body = started(&idp).await;
    idp.approve_device(&code(&body, "user_code"), "bob@example.com");

    // Act
    let (_, tokens) = poll(&idp, &code(&body, "device_code")).await;

    // Assert
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["scope"], "openid profile offline_access");
}

#[tokio::test]
async fn a_refresh_token_from_the_device_flow_refreshes() {
    let idp = mock().await;
    let body = started(&idp).await;
    idp.approve_device(&code(&body, "user_code"), "alice@example.com");
    let (_, tokens) = poll(&idp, &code(&body, "device_code")).await;

    let (status, refreshed) = token_form(
        &idp,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLI),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;

    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        claims(refreshed["access_token"].as_str().unwrap())["sub"],
        "auth0|alice"
    );
}

#[tokio::test]
async fn a_denied_device_gets_access_denied() {
    let idp = mock().await;
    let body = started(&idp).await;
    idp.deny_device(&code(&body, "user_code"));

    let (status, error) = poll(&idp, &code(&body, "device_code")).await;

    assert_eq!(status, 403);
    assert_eq!(error["error"], "access_denied");
}

#[tokio::test]
async fn an_expired_device_code_says_expired_token_once_then_invalid_grant() {
    // Arrange
    let idp = mock().await;
    let body = started(&idp).await;

    // Act: the user never came; 15 minutes pass on the mock clock.
    idp.clock().advance(Duration::from_secs(900));
    let (first, error) = poll(&idp, &code(&body, "device_code")).await;
    let (second, after) = poll(&idp, &code(&body, "device_code")).await;

    // Assert
    assert_eq!(first, 403);
    assert_eq!(error["error"], "expired_token");
    assert_eq!(second, 403);
    assert_eq!(after["error"], "invalid_grant");
}

#[tokio::test]
async fn an_expired_user_code_can_no_longer_be_approved() {
    let idp = mock().await;
    let body = started(&idp).await;
    idp.clock().advance(Duration::from_secs(901));

    let response = client()
        .post(idp.url(&format!("/_mock/device/{}", code(&body, "user_code"))))
        .json(&json!({ "approve": "alice@example.com" }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{error}"
    );
    assert!(idp.device_authorizations().is_empty());
}

#[tokio::test]
async fn the_tenant_sets_the_interval_and_lifetime() {
    let tenant = TenantConfig::from_toml(
        r#"
        [device_flow]
        interval = 1
        expires_in = 60

        [[clients]]
        client_id = "tv"
        app_type = "native"
        "#,
    )
    .unwrap();
    let idp = MockIdp::builder().tenant(tenant).start().await;

    let (_, body) = start_device(&idp, &[("client_id", "tv")]).await;

    assert_eq!(
        (body["interval"].clone(), body["expires_in"].clone()),
        (json!(1), json!(60))
    );
}

#[tokio::test]
async fn only_clients_allowed_the_grant_may_start_it() {
    // Arrange: the SPA is not a native application.
    let idp = mock().await;

    // Act
    let (status, error) = start_device(&idp, &[("client_id", "sample-spa")]).await;
    let (poll_status, poll_error) = token_form(
        &idp,
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", "sample-spa"),
            ("device_code", "anything"),
        ],
    )
    .await;

    // Assert
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["error"], "unauthorized_client");
    assert_eq!(poll_status, 403);
    assert_eq!(poll_error["error"], "unauthorized_client");
    assert!(idp.device_authorizations().is_empty());
}

#[tokio::test]
async fn a_device_grant_for_a_non_native_client_is_refused_at_load() {
    let error = TenantConfig::from_toml(
        r#"
        [[clients]]
        client_id = "web"
        app_type = "regular_web"
        client_secret = "s"
        grant_types = ["urn:ietf:params:oauth:grant-type:device_code"]
        "#,
    )
    .unwrap_err();
    assert!(error.to_string().contains("native"), "{error}");
}

#[tokio::test]
async fn an_unknown_client_or_audience_starts_nothing() {
    let idp = mock().await;

    let (unknown_client, _) = start_device(&idp, &[("client_id", "nobody")]).await;
    let (unknown_api, error) =
        start_device(&idp, &[("client_id", CLI), ("audience", "https://nowhere")]).await;

    assert_eq!(unknown_client, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_api, StatusCode::FORBIDDEN);
    assert_eq!(error["error"], "access_denied");
    assert!(idp.device_authorizations().is_empty());
}

#[tokio::test]
async fn another_clients_device_code_is_invalid() {
    let idp = MockIdp::builder()
        .client(Client::native(CLI))
        .client(Client::native("other-cli"))
        .start()
        .await;
    let body = started(&idp).await;
    idp.approve_device(&code(&body, "user_code"), "alice@example.com");

    let (status, error) = token_form(
        &idp,
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", "other-cli"),
            ("device_code", &code(&body, "device_code")),
        ],
    )
    .await;

    assert_eq!(status, 403);
    assert_eq!(error["error"], "invalid_grant");
    assert_eq!(
        poll(&idp, &code(&body, "device_code")).await.0,
        200,
        "still the owner's"
    );
}

#[tokio::test]
async fn a_user_blocked_after_approving_gets_the_device_nothing() {
    // Arrange
    let idp = mock().await;
    let body = started(&idp).await;
    idp.approve_device(&code(&body, "user_code"), "alice@example.com");
    let mut alice = idp.user("alice@example.com").unwrap();
    alice.blocked = true;
    idp.upsert_user(alice);

    // Act
    let (status, error) = poll(&idp, &code(&body, "device_code")).await;

    // Assert
    assert_eq!(status, 401, "{error}");
    assert_eq!(error["error"], "unauthorized");
    assert_eq!(
        idp.device_authorizations()[0].status,
        DeviceStatus::Approved,
        "nothing spent"
    );
}

#[tokio::test]
async fn the_control_api_lists_and_decides_without_a_browser() {
    // Arrange
    let idp = mock().await;
    let first = started(&idp).await;
    let second = started(&idp).await;
    let http = client();

    // Act
    let listed: Value = http
        .get(idp.url("/_mock/device"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let approve = http
        .post(idp.url(&format!("/_mock/device/{}", code(&first, "user_code"))))
        .json(&json!({ "approve": "alice@example.com" }))
        .send()
        .await
        .unwrap();
    let deny = http
        .post(idp.url(&format!("/_mock/device/{}", code(&second, "user_code"))))
        .json(&json!({ "deny": true }))
        .send()
        .await
        .unwrap();

    // Assert
    let all = listed["device_authorizations"].as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["user_code"], first["user_code"]);
    assert_eq!(all[0]["status"], "pending");
    assert_eq!(all[0]["client_id"], CLI);
    assert_eq!(approve.status(), StatusCode::NO_CONTENT);
    assert_eq!(deny.status(), StatusCode::NO_CONTENT);
    assert_eq!(poll(&idp, &code(&first, "device_code")).await.0, 200);
    assert_eq!(
        poll(&idp, &code(&second, "device_code")).await.1["error"],
        "access_denied"
    );
}

#[tokio::test]
async fn the_control_api_refuses_bad_decisions_and_changes_nothing() {
    let idp = mock().await;
    let body = started(&idp).await;
    let user_code = code(&body, "user_code");
    let http = client();
    let decide = |payload: Value, user_code: String| {
        let http = http.clone();
        let url = idp.url(&format!("/_mock/device/{user_code}"));
        async move { http.post(url).json(&payload).send().await.unwrap().status() }
    };

    let both = decide(
        json!({ "approve": "alice@example.com", "deny": true }),
        user_code.clone(),
    )
    .await;
    let neither = decide(json!({}), user_code.clone()).await;
    let stranger = decide(
        json!({ "approve": "mallory@example.com" }),
        user_code.clone(),
    )
    .await;
    let unknown_code = decide(json!({ "deny": true }), "BBBB-BBBB".into()).await;
    let typo = decide(json!({ "aprove": "alice@example.com" }), user_code.clone()).await;

    assert_eq!(both, StatusCode::BAD_REQUEST);
    assert_eq!(neither, StatusCode::BAD_REQUEST);
    assert_eq!(stranger, StatusCode::NOT_FOUND);
    assert_eq!(unknown_code, StatusCode::NOT_FOUND);
    assert_eq!(typo, StatusCode::BAD_REQUEST);
    assert_eq!(idp.device_authorizations()[0].status, DeviceStatus::Pending);

    idp.deny_device(&user_code);
    let twice = decide(json!({ "approve": "alice@example.com" }), user_code).await;
    assert_eq!(twice, StatusCode::BAD_REQUEST, "decided once");
    assert_eq!(idp.device_authorizations()[0].status, DeviceStatus::Denied);
}

#[tokio::test]
#[should_panic(expected = "No user mallory@example.com")]
async fn approving_as_an_unknown_user_panics_in_the_rust_api() {
    let idp = mock().await;
    let body = started(&idp).await;
    idp.approve_device(&code(&body, "user_code"), "mallory@example.com");
}

#[tokio::test]
async fn a_person_enters_the_code_logs_in_and_confirms_at_activate() {
    // Arrange
    let idp = mock().await;
    let body = started(&idp).await;
    let user_code = code(&body, "user_code");
    let browser = Browser::new(&idp);

    // Act: the code form, the code typed in lowercase, the login form, the confirmation.
    let entry = browser.get("/activate").await.text().await.unwrap();
    let typed = user_code.to_lowercase().replace('-', " ");
    let login = browser
        .http
        .get(idp.url("/activate"))
        .query(&[("user_code", typed.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let logged_in = submit_activate(
        &browser,
        &login,
        &[("username", "alice@example.com"), ("password", "password")],
    )
    .await;
    assert_eq!(logged_in.status(), StatusCode::SEE_OTHER);
    let next = logged_in.headers()["location"].to_str().unwrap().to_owned();
    let confirm = browser.get(&next).await.text().await.unwrap();
    let done = submit_activate(&browser, &confirm, &[("decision", "confirm")]).await;

    // Assert
    assert!(entry.contains("name=\"user_code\""), "{entry}");
    assert!(login.contains("name=\"password\""), "{login}");
    assert!(confirm.contains(&user_code), "{confirm}");
    assert!(
        confirm.contains("read:messages"),
        "the scopes asked for are shown"
    );
    assert_eq!(done.status(), StatusCode::OK);
    assert!(
        done.text()
            .await
            .unwrap()
            .contains("Your device is now connected")
    );
    let (status, tokens) = poll(&idp, &code(&body, "device_code")).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], "auth0|alice");
    assert_eq!(
        id_token["sid"],
        idp.sessions()[0].sid,
        "the browser's session"
    );
    assert_eq!(idp.user("alice@example.com").unwrap().logins_count, 1);
}

#[tokio::test]
async fn cancelling_at_activate_denies_the_device() {
    let idp = mock().await;
    let body = started(&idp).await;
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    let confirm = browser
        .get(&format!("/activate?user_code={}", code(&body, "user_code")))
        .await
        .text()
        .await
        .unwrap();
    let done = submit_activate(&browser, &confirm, &[("decision", "cancel")]).await;

    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(
        poll(&idp, &code(&body, "device_code")).await.1["error"],
        "access_denied"
    );
}

#[tokio::test]
async fn a_confirmation_without_the_sessions_csrf_token_approves_nothing() {
    // Arrange: alice is signed in; another page knows the user code and the login form's token.
    let idp = mock().await;
    let body = started(&idp).await;
    let user_code = code(&body, "user_code");
    let attacker = Browser::new(&idp);
    let login = attacker
        .get(&format!("/activate?user_code={user_code}"))
        .await
        .text()
        .await
        .unwrap();
    let browser = Browser::new(&idp);
    browser.sign_in("alice@example.com").await;

    // Act: alice's browser posts a confirmation with a token that is not her session's.
    let forged = browser
        .http
        .post(idp.url("/activate"))
        .form(&[
            ("user_code", user_code.as_str()),
            ("csrf", hidden(&login, "csrf").as_str()),
            ("decision", "confirm"),
        ])
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(idp.device_authorizations()[0].status, DeviceStatus::Pending);
}

#[tokio::test]
async fn a_wrong_password_or_code_at_activate_says_so_and_starts_nothing() {
    let idp = mock().await;
    let body = started(&idp).await;
    let browser = Browser::new(&idp);
    let login = browser
        .get(&format!("/activate?user_code={}", code(&body, "user_code")))
        .await
        .text()
        .await
        .unwrap();

    let wrong = submit_activate(
        &browser,
        &login,
        &[("username", "alice@example.com"), ("password", "nope")],
    )
    .await;
    let unknown = browser.get("/activate?user_code=BBBB-BBBB").await;

    assert_eq!(wrong.status(), StatusCode::OK);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Wrong email or password.")
    );
    assert!(idp.sessions().is_empty());
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("Invalid or expired code")
    );
}

#[tokio::test]
async fn device_requests_are_journaled_without_their_codes() {
    let idp = mock().await;
    let body = started(&idp).await;
    poll(&idp, &code(&body, "device_code")).await;

    let requests = idp.received_requests();

    assert_eq!(requests[0].endpoint, Endpoint::DeviceAuthorization);
    assert_eq!(requests[0].client_id.as_deref(), Some(CLI));
    let journal = serde_json::to_string(&requests).unwrap();
    assert!(!journal.contains(&code(&body, "device_code")), "{journal}");
    assert_eq!(requests[1].error.as_deref(), Some("authorization_pending"));
}

#[tokio::test]
async fn reset_forgets_device_authorizations() {
    let idp = mock().await;
    let body = started(&idp).await;

    idp.reset();

    assert!(idp.device_authorizations().is_empty());
    assert_eq!(
        poll(&idp, &code(&body, "device_code")).await.1["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn deterministic_mocks_hand_out_the_same_codes() {
    let start = || async {
        let idp = MockIdp::builder()
            .deterministic()
            .client(Client::native(CLI))
            .start()
            .await;
        started(&idp).await
    };
    let (first, second) = (start().await, start().await);
    assert_eq!(first["user_code"], second["user_code"]);
    assert_eq!(first["device_code"], second["device_code"]);
}

#[tokio::test]
async fn an_api_without_offline_access_gives_no_refresh_token() {
    let idp = MockIdp::builder()
        .api(Api {
            allow_offline_access: false,
            ..Api::new("https://no-offline")
        })
        .client(Client::native(CLI))
        .user(User::new("carol@example.com").password("pw"))
        .start()
        .await;
    let (_, body) = start_device(
        &idp,
        &[
            ("client_id", CLI),
            ("scope", "openid offline_access"),
            ("audience", "https://no-offline"),
        ],
    )
    .await;
    idp.approve_device(&code(&body, "user_code"), "carol@example.com");

    let (status, tokens) = poll(&idp, &code(&body, "device_code")).await;

    assert_eq!(status, 200, "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
}

fn with_post_login(code: &str) -> mock_idp::MockIdpBuilder {
    MockIdp::builder()
        .client(Client::native(CLI).grant_types([DEVICE_GRANT, "refresh_token"]))
        .action(mock_idp::Action::new(
            "under-test",
            mock_idp::Trigger::PostLogin,
            code,
        ))
}

#[tokio::test]
async fn post_login_shapes_the_device_flows_tokens_as_oauth2_device_code() {
    // Arrange
    let idp = with_post_login(
        r#"
exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim("https://x/protocol", event.transaction.protocol);
};"#,
    )
    .start()
    .await;
    let body = started(&idp).await;
    idp.approve_device(&code(&body, "user_code"), "alice@example.com");

    // Act
    let (status, tokens) = poll(&idp, &code(&body, "device_code")).await;

    // Assert
    assert_eq!(status, 200, "{tokens}");
    let access = claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["https://x/protocol"], "oauth2-device-code");
}

#[tokio::test]
async fn a_post_login_denial_at_the_poll_redeems_nothing() {
    // Arrange
    let idp = with_post_login(
        r#"
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.email === "bob@example.com") api.access.deny("Bob may not use the CLI.");
};"#,
    )
    .start()
    .await;
    let body = started(&idp).await;
    idp.approve_device(&code(&body, "user_code"), "bob@example.com");

    // Act
    let (status, error) = poll(&idp, &code(&body, "device_code")).await;

    // Assert
    assert_eq!(status, 403);
    assert_eq!(
        error,
        json!({ "error": "access_denied", "error_description": "Bob may not use the CLI." })
    );
    assert_eq!(
        idp.device_authorizations()[0].status,
        DeviceStatus::Approved
    );
}
