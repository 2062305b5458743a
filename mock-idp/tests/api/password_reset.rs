//! Password change: `POST /dbconnections/change_password` answers alike for everyone, and
//! the reset email's link opens a page that sets a new password, once, before it expires.

use std::time::Duration;

use mock_idp::{MessageKind, MockIdp};
use reqwest::Response;
use serde_json::json;

use crate::helpers::{client, hidden, token_form};

const DB: &str = "Username-Password-Authentication";

async fn change_password(idp: &MockIdp, email: &str) -> (u16, String) {
    let response = client()
        .post(idp.url("/dbconnections/change_password"))
        .json(&json!({ "client_id": "sample-spa", "email": email, "connection": DB }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn login_status(idp: &MockIdp, password: &str) -> u16 {
    token_form(
        idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "alice@example.com"),
            ("password", password),
        ],
    )
    .await
    .0
}

async fn submit(idp: &MockIdp, ticket: &str, password: &str, confirm: &str) -> Response {
    client()
        .post(idp.url("/u/reset-password"))
        .form(&[
            ("ticket", ticket),
            ("password", password),
            ("confirm", confirm),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn answers_auth0s_text_whether_or_not_the_user_exists_and_emails_only_a_user() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let known = change_password(&idp, "alice@example.com").await;
    let unknown = change_password(&idp, "nobody@example.com").await;

    // Assert
    let sent = "We've just sent you an email to reset your password.";
    assert_eq!(known, (200, sent.to_owned()));
    assert_eq!(unknown, (200, sent.to_owned()));
    let outbox = idp.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to, "alice@example.com");
    assert_eq!(outbox[0].kind, MessageKind::ResetPassword);
    assert_eq!(outbox[0].subject.as_deref(), Some("Reset your password"));
}

#[tokio::test]
async fn a_request_without_email_or_for_another_connection_is_refused() {
    let idp = MockIdp::start().await;
    let response = client()
        .post(idp.url("/dbconnections/change_password"))
        .json(&json!({ "client_id": "sample-spa", "connection": DB }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["description"], "Missing required parameter: email");
    let response = client()
        .post(idp.url("/dbconnections/change_password"))
        .json(&json!({ "client_id": "sample-spa", "connection": "other", "email": "alice@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(idp.outbox().is_empty());
}

#[tokio::test]
async fn the_reset_page_sets_a_new_password_the_policy_accepts_and_only_once() {
    // Arrange
    let idp = MockIdp::start().await;
    change_password(&idp, "alice@example.com").await;
    let link = idp.outbox().pop().unwrap().link.unwrap();

    // Act
    let page = client().get(&link).send().await.unwrap();
    let page_status = page.status();
    let ticket = hidden(&page.text().await.unwrap(), "ticket");
    let mismatch = submit(&idp, &ticket, "N3w-passw0rd", "other").await;
    let weak = submit(&idp, &ticket, "weak", "weak").await;
    let old_still_works = login_status(&idp, "password").await;
    let good = submit(&idp, &ticket, "N3w-passw0rd", "N3w-passw0rd").await;
    let again = submit(&idp, &ticket, "An0ther-one", "An0ther-one").await;

    // Assert
    assert_eq!(page_status, 200);
    assert!(link.starts_with(&format!("{}u/reset-password?ticket=", idp.issuer())));
    assert_eq!(mismatch.status(), 400);
    assert_eq!(weak.status(), 400);
    assert!(
        weak.text()
            .await
            .unwrap()
            .contains("At least 8 characters in length")
    );
    assert_eq!(old_still_works, 200, "a refused reset changes nothing");
    assert_eq!(good.status(), 200);
    assert_eq!(again.status(), 400, "the ticket is spent");
    assert_eq!(
        login_status(&idp, "password").await,
        403,
        "the old password fails"
    );
    assert_eq!(
        login_status(&idp, "N3w-passw0rd").await,
        200,
        "the new one logs in"
    );
}

#[tokio::test]
async fn the_reset_link_expires_on_the_mock_clock() {
    // Arrange
    let idp = MockIdp::start().await;
    change_password(&idp, "alice@example.com").await;
    let link = idp.outbox().pop().unwrap().link.unwrap();
    let ticket = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(n, _)| n == "ticket")
        .unwrap()
        .1
        .into_owned();

    // Act
    idp.clock().advance(Duration::from_secs(5 * 86_400));
    let page = client().get(&link).send().await.unwrap();
    let posted = submit(&idp, &ticket, "N3w-passw0rd", "N3w-passw0rd").await;

    // Assert
    assert_eq!(page.status(), 400);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("This link has expired.")
    );
    assert_eq!(posted.status(), 400);
    assert_eq!(login_status(&idp, "password").await, 200);
}
