//! Sign-up: `POST /dbconnections/signup` (Auth0's answer and errors), the verification email's
//! link, and the sign-up page `/authorize?screen_hint=signup` leads to.

use mock_idp::{MessageKind, MockIdp, PasswordPolicy, TenantConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    APP, AuthRequest, Browser, Pkce, claims, client, hidden, location, query_of, token_form,
};

const DB: &str = "Username-Password-Authentication";

pub async fn sign_up(idp: &MockIdp, body: Value) -> (u16, Value) {
    let response = client()
        .post(idp.url("/dbconnections/signup"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn password_login(idp: &MockIdp, email: &str, password: &str) -> (u16, Value) {
    token_form(
        idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", email),
            ("password", password),
            ("scope", "openid email"),
        ],
    )
    .await
}

#[tokio::test]
async fn signs_up_a_user_who_can_log_in_at_once() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let (status, body) = sign_up(
        &idp,
        json!({ "client_id": "sample-spa", "email": "dana@example.com", "password": "Passw0rd!",
                "connection": DB, "given_name": "Dana", "user_metadata": { "plan": "free" } }),
    )
    .await;

    // Assert
    assert_eq!(status, 200, "{body}");
    let id = body["_id"].as_str().unwrap();
    assert_eq!(id.len(), 24, "Auth0's 24 hex digits: {id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(body["email"], "dana@example.com");
    assert_eq!(body["email_verified"], false);
    assert_eq!(body["given_name"], "Dana");
    assert_eq!(body["user_metadata"], json!({ "plan": "free" }));
    let (status, tokens) = password_login(&idp, "dana@example.com", "Passw0rd!").await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], format!("auth0|{id}"));
    assert_eq!(id_token["email_verified"], false);
}

#[tokio::test]
async fn a_form_body_is_taken_as_json_is() {
    let idp = MockIdp::start().await;
    let response = client()
        .post(idp.url("/dbconnections/signup"))
        .form(&[
            ("client_id", "sample-spa"),
            ("email", "erin@example.com"),
            ("password", "Passw0rd!"),
            ("connection", DB),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(idp.user("erin@example.com").is_some());
}

#[tokio::test]
async fn a_sign_up_for_an_existing_email_is_auth0s_invalid_signup_and_changes_nothing() {
    // Arrange
    let idp = MockIdp::start().await;
    let before = idp.user("alice@example.com").unwrap();

    // Act
    let (status, body) = sign_up(
        &idp,
        json!({ "client_id": "sample-spa", "email": "ALICE@example.com", "password": "Passw0rd!", "connection": DB }),
    )
    .await;

    // Assert
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({ "name": "BadRequestError", "code": "invalid_signup", "description": "Invalid sign up", "statusCode": 400 })
    );
    assert_eq!(idp.user("alice@example.com").unwrap(), before);
    assert!(idp.outbox().is_empty());
}

#[tokio::test]
async fn a_weak_password_is_refused_with_the_policy_and_nobody_is_created() {
    // Arrange: Auth0's default policy, good.
    let idp = MockIdp::start().await;

    // Act
    let (status, body) = sign_up(
        &idp,
        json!({ "client_id": "sample-spa", "email": "dana@example.com", "password": "password", "connection": DB }),
    )
    .await;

    // Assert
    assert_eq!(status, 400);
    assert_eq!(body["name"], "PasswordStrengthError");
    assert_eq!(body["code"], "invalid_password");
    assert_eq!(body["message"], "Password is too weak");
    assert_eq!(body["statusCode"], 400);
    assert_eq!(body["description"]["verified"], false);
    assert_eq!(body["description"]["rules"][0]["code"], "lengthAtLeast");
    assert_eq!(body["description"]["rules"][1]["code"], "containsAtLeast");
    assert_eq!(body["description"]["rules"][1]["verified"], false);
    assert!(
        body["policy"]
            .as_str()
            .unwrap()
            .starts_with("* At least 8 characters in length\n"),
        "{body}"
    );
    assert!(idp.user("dana@example.com").is_none());
    assert!(idp.outbox().is_empty());
}

#[tokio::test]
async fn the_tenants_policy_decides_what_is_weak() {
    let tenant = TenantConfig {
        password_policy: PasswordPolicy::None,
        ..TenantConfig::default()
    };
    let idp = MockIdp::builder().tenant(tenant).start().await;
    let (status, body) = sign_up(
        &idp,
        json!({ "client_id": "sample-spa", "email": "dana@example.com", "password": "x", "connection": DB }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn missing_fields_an_unknown_connection_or_client_are_refused() {
    let idp = MockIdp::start().await;
    let good = json!({ "client_id": "sample-spa", "email": "dana@example.com", "password": "Passw0rd!", "connection": DB });
    let cases = [
        (
            "email",
            Value::Null,
            "invalid_parameter",
            "Missing required parameter: email",
        ),
        (
            "password",
            Value::Null,
            "invalid_parameter",
            "Missing required parameter: password",
        ),
        (
            "connection",
            Value::Null,
            "invalid_parameter",
            "Missing required parameter: connection",
        ),
        (
            "client_id",
            Value::Null,
            "invalid_parameter",
            "Missing required parameter: client_id",
        ),
        (
            "client_id",
            json!("nope"),
            "invalid_client",
            "Unknown client: nope",
        ),
        (
            "email",
            json!("not-an-email"),
            "invalid_parameter",
            "Invalid email address: not-an-email",
        ),
    ];
    for (field, value, code, description) in cases {
        let mut body = good.clone();
        body[field] = value;
        let (status, answer) = sign_up(&idp, body).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (400, Some(code)),
            "{field}: {answer}"
        );
        assert_eq!(answer["description"], description, "{field}");
        assert_eq!(answer["name"], "BadRequestError");
    }
    let mut other = good.clone();
    other["connection"] = json!("google-oauth2");
    let (status, answer) = sign_up(&idp, other).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("invalid_connection"))
    );
    let (status, answer) = sign_up(&idp, json!({ "email": 42 })).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("invalid_body")),
        "{answer}"
    );
    assert!(idp.user("dana@example.com").is_none());
}

#[tokio::test]
async fn the_verification_email_links_to_a_page_that_verifies_once() {
    // Arrange
    let idp = MockIdp::start().await;
    sign_up(
        &idp,
        json!({ "client_id": "sample-spa", "email": "dana@example.com", "password": "Passw0rd!", "connection": DB }),
    )
    .await;
    let email = idp.outbox().pop().unwrap();
    let link = email.link.clone().unwrap();

    // Act
    let first = client().get(&link).send().await.unwrap();
    let again = client().get(&link).send().await.unwrap();

    // Assert
    assert_eq!(email.kind, MessageKind::VerifyEmail);
    assert_eq!(email.to, "dana@example.com");
    assert!(email.text.contains(&link));
    assert!(
        link.starts_with(&format!("{}u/email-verification?ticket=", idp.issuer())),
        "{link}"
    );
    assert_eq!(first.status(), 200);
    assert!(idp.user("dana@example.com").unwrap().email_verified);
    assert_eq!(again.status(), 400, "a ticket is used once");
}

#[tokio::test]
async fn screen_hint_signup_opens_a_sign_up_form_that_creates_the_user_and_continues_the_login() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let pkce = Pkce::new();
    let request = AuthRequest::spa(&pkce).with("screen_hint", "signup");

    // Act
    let redirect = browser.authorize(&request).await;
    let to_page = location(&redirect);
    let page = browser.follow(&redirect).await.text().await.unwrap();
    let posted = browser
        .http
        .post(idp.url("/u/signup"))
        .form(&[
            ("state", hidden(&page, "state")),
            ("csrf", hidden(&page, "csrf")),
            ("email", "dana@example.com".into()),
            ("password", "Passw0rd!".into()),
        ])
        .send()
        .await
        .unwrap();
    let back = browser.follow(&posted).await;

    // Assert
    assert!(to_page.starts_with("/u/signup?state="), "{to_page}");
    assert!(page.contains("<h1>Sign up</h1>"), "{page}");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let callback = location(&back);
    assert!(callback.starts_with(APP), "{callback}");
    let code = query_of(&callback)["code"].clone();
    let (status, tokens) = browser.redeem(&code, &pkce.verifier).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["email"],
        "dana@example.com"
    );
    assert_eq!(idp.outbox().pop().unwrap().kind, MessageKind::VerifyEmail);
}

#[tokio::test]
async fn the_sign_up_form_shows_why_it_refused_and_creates_nobody() {
    // Arrange
    let idp = MockIdp::start().await;
    let browser = Browser::new(&idp);
    let redirect = browser
        .authorize(&AuthRequest::spa(&Pkce::new()).with("screen_hint", "signup"))
        .await;
    let page = browser.follow(&redirect).await.text().await.unwrap();
    let submit = |email: &str, password: &str| {
        browser.http.post(idp.url("/u/signup")).form(&[
            ("state", hidden(&page, "state")),
            ("csrf", hidden(&page, "csrf")),
            ("email", email.to_owned()),
            ("password", password.to_owned()),
        ])
    };

    // Act
    let weak = submit("dana@example.com", "password").send().await.unwrap();
    let taken = submit("alice@example.com", "Passw0rd!")
        .send()
        .await
        .unwrap();
    let forged = browser
        .http
        .post(idp.url("/u/signup"))
        .form(&[
            ("state", hidden(&page, "state")),
            ("csrf", "forged".into()),
            ("email", "x@example.com".into()),
            ("password", "Passw0rd!".into()),
        ])
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(weak.status(), 400);
    assert!(weak.text().await.unwrap().contains("Password is too weak"));
    assert_eq!(taken.status(), 400);
    assert!(taken.text().await.unwrap().contains("Invalid sign up"));
    assert_eq!(forged.status(), 403);
    assert!(idp.user("dana@example.com").is_none());
    assert!(idp.user("x@example.com").is_none());
    assert!(idp.sessions().is_empty());
}
