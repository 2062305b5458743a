//! Passwordless: `POST /passwordless/start` puts a code (or a magic link) in the outbox, and
//! the `passwordless/otp` grant or the link log the user in.

use std::time::Duration;

use mock_idp::{Client, MessageKind, MockIdp, User};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API, Browser, claims, client, location, query_of, token_form};

const OTP: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";

async fn start(idp: &MockIdp, body: Value) -> (u16, Value) {
    let response = client()
        .post(idp.url("/passwordless/start"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn email_code(idp: &MockIdp, email: &str) -> String {
    let (status, body) = start(
        idp,
        json!({ "client_id": "sample-spa", "connection": "email", "email": email, "send": "code" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    idp.outbox().pop().unwrap().code.unwrap()
}

async fn otp_login(idp: &MockIdp, username: &str, otp: &str) -> (u16, Value) {
    token_form(
        idp,
        &[
            ("grant_type", OTP),
            ("client_id", "sample-spa"),
            ("username", username),
            ("otp", otp),
            ("realm", "email"),
            ("scope", "openid email read:messages"),
            ("audience", API),
        ],
    )
    .await
}

fn wrong_code() -> Value {
    json!({ "error": "invalid_grant", "error_description": "Wrong email or verification code." })
}

#[tokio::test]
async fn an_email_code_logs_in_a_new_user_on_the_email_connection() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let code = email_code(&idp, "dana@example.com").await;
    let (status, body) = otp_login(&idp, "dana@example.com", &code).await;

    // Assert
    assert_eq!(status, 200, "{body}");
    let id = claims(body["id_token"].as_str().unwrap());
    assert!(id["sub"].as_str().unwrap().starts_with("email|"), "{id}");
    assert_eq!(id["email"], "dana@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["aud"][0],
        API
    );
    let dana = idp.user("dana@example.com").unwrap();
    assert_eq!(dana.identities()[0]["connection"], "email");
    assert_eq!(dana.identities()[0]["isSocial"], false);
    assert_eq!(dana.logins_count, 1);
}

#[tokio::test]
async fn an_existing_users_email_logs_that_user_in_with_their_permissions() {
    let idp = MockIdp::start().await;
    let code = email_code(&idp, "alice@example.com").await;
    let (status, body) = otp_login(&idp, "alice@example.com", &code).await;
    assert_eq!(status, 200, "{body}");
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["sub"], "auth0|alice");
    assert_eq!(access["permissions"], json!(["read:messages"]));
}

#[tokio::test]
async fn a_wrong_code_is_auth0s_invalid_grant_and_creates_nobody() {
    let idp = MockIdp::start().await;
    let code = email_code(&idp, "dana@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, body) = otp_login(&idp, "dana@example.com", wrong).await;
    assert_eq!((status, body), (403, wrong_code()));
    assert!(idp.user("dana@example.com").is_none());
    let (status, _) = otp_login(&idp, "someone-else@example.com", &code).await;
    assert_eq!(status, 403, "the code is the recipient's");
}

#[tokio::test]
async fn a_code_is_used_once() {
    let idp = MockIdp::start().await;
    let code = email_code(&idp, "dana@example.com").await;
    assert_eq!(otp_login(&idp, "dana@example.com", &code).await.0, 200);
    assert_eq!(
        otp_login(&idp, "dana@example.com", &code).await,
        (403, wrong_code())
    );
}

#[tokio::test]
async fn a_code_expires_on_the_mock_clock() {
    // Arrange
    let idp = MockIdp::start().await;
    let code = email_code(&idp, "dana@example.com").await;

    // Act
    idp.clock().advance(Duration::from_secs(180));
    let (status, body) = otp_login(&idp, "dana@example.com", &code).await;

    // Assert
    assert_eq!(status, 403);
    assert_eq!(
        body["error_description"],
        "The verification code has expired. Please try to login again."
    );
}

#[tokio::test]
async fn the_third_wrong_code_ends_the_login() {
    // Arrange
    let idp = MockIdp::start().await;
    let code = email_code(&idp, "dana@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    // Act
    let first = otp_login(&idp, "dana@example.com", wrong).await;
    let second = otp_login(&idp, "dana@example.com", wrong).await;
    let third = otp_login(&idp, "dana@example.com", wrong).await;
    let right_too_late = otp_login(&idp, "dana@example.com", &code).await;

    // Assert
    assert_eq!(first, (403, wrong_code()));
    assert_eq!(second, (403, wrong_code()));
    assert_eq!(
        third.1["error_description"],
        "You've reached the maximum number of attempts. Please try to login again."
    );
    assert_eq!(right_too_late, (403, wrong_code()));
}

#[tokio::test]
async fn a_confidential_client_must_send_its_secret_to_start() {
    let idp = MockIdp::builder()
        .client(Client::regular_web("web", "web-secret").callback("http://localhost:8080/cb"))
        .start()
        .await;
    let body = json!({ "client_id": "web", "connection": "email", "email": "dana@example.com", "send": "code" });
    let (status, answer) = start(&idp, body.clone()).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"], "invalid_client");
    let mut with_secret = body;
    with_secret["client_secret"] = json!("web-secret");
    assert_eq!(start(&idp, with_secret).await.0, 200);
    assert!(idp.outbox().len() == 1, "only the authenticated start sent");
}

#[tokio::test]
async fn a_client_not_allowed_the_grant_is_unauthorized_client() {
    let idp = MockIdp::builder()
        .client(
            Client::spa("strict")
                .callback("http://localhost:3000")
                .grant_types(["authorization_code"]),
        )
        .start()
        .await;
    let (status, _) = start(&idp, json!({ "client_id": "strict", "connection": "email", "email": "dana@example.com", "send": "code" })).await;
    assert_eq!(status, 200);
    let code = idp.outbox().pop().unwrap().code.unwrap();
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", OTP),
            ("client_id", "strict"),
            ("username", "dana@example.com"),
            ("otp", &code),
            ("realm", "email"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn bad_connection_email_or_send_are_auth0s_errors_and_send_nothing() {
    let idp = MockIdp::start().await;
    let cases = [
        (
            json!({ "connection": "email", "email": "d@example.com" }),
            "bad.client_id",
            "Missing required property: client_id",
        ),
        (
            json!({ "client_id": "sample-spa", "email": "d@example.com" }),
            "bad.connection",
            "Missing required property: connection",
        ),
        (
            json!({ "client_id": "sample-spa", "connection": "carrier-pigeon", "email": "d@example.com" }),
            "bad.connection",
            "Connection does not exist",
        ),
        (
            json!({ "client_id": "sample-spa", "connection": "email" }),
            "bad.email",
            "Missing required property: email",
        ),
        (
            json!({ "client_id": "sample-spa", "connection": "email", "email": "nope" }),
            "bad.email",
            "error in email - email format validation failed: nope",
        ),
        (
            json!({ "client_id": "sample-spa", "connection": "sms" }),
            "bad.phone_number",
            "Missing required property: phone_number",
        ),
        (
            json!({ "client_id": "sample-spa", "connection": "sms", "phone_number": "0777" }),
            "bad.phone_number",
            "String does not match pattern: ^\\+[0-9]{1,15}$",
        ),
        (
            json!({ "client_id": "sample-spa", "connection": "email", "email": "d@example.com", "send": "fax" }),
            "bad.send",
            "send must be code or link (link by email only), not fax",
        ),
        (
            json!({ "client_id": "sample-spa", "connection": "email", "email": "d@example.com", "authParams": "x" }),
            "bad.authParams",
            "error in authParams - invalid type: string (expected object)",
        ),
    ];
    for (body, error, description) in cases {
        let (status, answer) = start(&idp, body.clone()).await;
        assert_eq!(
            (
                status,
                answer["error"].as_str(),
                answer["error_description"].as_str()
            ),
            (400, Some(error), Some(description)),
            "{body}"
        );
    }
    assert!(idp.outbox().is_empty());
}

#[tokio::test]
async fn an_sms_code_logs_in_the_user_with_that_phone_number() {
    // Arrange
    let idp = MockIdp::builder()
        .user(User {
            phone_number: Some("+15550001111".into()),
            ..User::new("carol@example.com")
        })
        .start()
        .await;

    // Act
    let (status, body) = start(&idp, json!({ "client_id": "sample-spa", "connection": "sms", "phone_number": "+15550001111", "send": "code" })).await;
    let sms = idp.outbox().pop().unwrap();
    let login = |otp: String| {
        let idp = &idp;
        async move {
            token_form(
                idp,
                &[
                    ("grant_type", OTP),
                    ("client_id", "sample-spa"),
                    ("username", "+15550001111"),
                    ("otp", &otp),
                    ("realm", "sms"),
                    ("scope", "openid"),
                ],
            )
            .await
        }
    };
    let wrong = login("12345".into()).await;
    let right = login(sms.code.clone().unwrap()).await;

    // Assert
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["phone_number"], "+15550001111");
    assert_eq!(sms.channel, mock_idp::Channel::Sms);
    assert_eq!(sms.subject, None);
    assert_eq!(
        wrong.1["error_description"],
        "Wrong phone number or verification code."
    );
    assert_eq!(right.0, 200, "{}", right.1);
    assert_eq!(
        claims(right.1["id_token"].as_str().unwrap())["sub"],
        "auth0|carol"
    );
}

#[tokio::test]
async fn a_blocked_user_is_refused_and_keeps_the_code() {
    let idp = MockIdp::builder()
        .user(User::new("carol@example.com").blocked(true))
        .start()
        .await;
    let code = email_code(&idp, "carol@example.com").await;
    let (status, body) = otp_login(&idp, "carol@example.com", &code).await;
    assert_eq!(status, 401);
    assert_eq!(body["error_description"], "user is blocked");
}

#[tokio::test]
async fn the_magic_link_logs_in_and_redirects_to_the_callback_with_a_code() {
    // Arrange: a web app that starts an email link login with its authParams.
    let idp = MockIdp::builder()
        .client(Client::regular_web("web", "web-secret").callback("http://localhost:8080/cb"))
        .start()
        .await;
    let (status, _) = start(
        &idp,
        json!({ "client_id": "web", "client_secret": "web-secret", "connection": "email",
                "email": "dana@example.com", "send": "link",
                "authParams": { "scope": "openid email", "state": "s1", "redirect_uri": "http://localhost:8080/cb" } }),
    )
    .await;
    assert_eq!(status, 200);
    let message = idp.outbox().pop().unwrap();
    let link = message.link.clone().unwrap();
    let browser = Browser::new(&idp);

    // Act
    let opened = browser.http.get(&link).send().await.unwrap();
    let again = browser.http.get(&link).send().await.unwrap();

    // Assert
    assert_eq!(message.kind, MessageKind::MagicLink);
    assert!(
        link.starts_with(&format!("{}passwordless/verify_redirect?", idp.issuer())),
        "{link}"
    );
    assert_eq!(opened.status(), StatusCode::FOUND);
    let callback = location(&opened);
    assert!(
        callback.starts_with("http://localhost:8080/cb?code="),
        "{callback}"
    );
    assert_eq!(query_of(&callback)["state"], "s1");
    let code = query_of(&callback)["code"].clone();
    let (status, tokens) = token_form(
        &idp,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "web"),
            ("client_secret", "web-secret"),
            ("code", &code),
            ("redirect_uri", "http://localhost:8080/cb"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["email"],
        "dana@example.com"
    );
    assert_eq!(idp.sessions().len(), 1, "the link logged the browser in");
    let error = query_of(&location(&again));
    assert_eq!(error["error"], "access_denied", "a link is used once");
}

#[tokio::test]
async fn an_sms_code_for_a_new_number_makes_a_user_on_the_sms_connection_without_an_email() {
    // Arrange
    let idp = MockIdp::start().await;
    let (status, _) = start(
        &idp,
        json!({ "client_id": "sample-spa", "connection": "sms", "phone_number": "+15550002222", "send": "code" }),
    )
    .await;
    assert_eq!(status, 200);
    let code = idp.outbox().pop().unwrap().code.unwrap();

    // Act
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", OTP),
            ("client_id", "sample-spa"),
            ("username", "+15550002222"),
            ("otp", &code),
            ("realm", "sms"),
            ("scope", "openid profile email phone"),
        ],
    )
    .await;

    // Assert
    assert_eq!(status, 200, "{body}");
    let id = claims(body["id_token"].as_str().unwrap());
    assert!(id["sub"].as_str().unwrap().starts_with("sms|"), "{id}");
    assert_eq!(id["phone_number"], "+15550002222");
    assert_eq!(id["name"], "+15550002222");
    assert!(id.get("email").is_none(), "{id}");
    let login_by_empty_email = token_form(
        &idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", ""),
            ("password", "x"),
        ],
    )
    .await;
    assert_eq!(
        login_by_empty_email.0, 400,
        "no login names the empty email"
    );
}

#[tokio::test]
async fn post_login_runs_for_a_passwordless_login_with_the_email_method() {
    // Arrange
    let idp = MockIdp::builder()
        .action(mock_idp::Action::new(
            "under-test",
            mock_idp::Trigger::PostLogin,
            r#"
exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://x/method", event.authentication.methods[0].name);
  api.idToken.setCustomClaim("https://x/first", event.stats.logins_count === 1);
};"#,
        ))
        .start()
        .await;
    let code = email_code(&idp, "dana@example.com").await;

    // Act
    let (status, tokens) = otp_login(&idp, "dana@example.com", &code).await;

    // Assert
    assert_eq!(status, 200, "{tokens}");
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["https://x/method"], "email");
    assert_eq!(id["https://x/first"], true);
}
