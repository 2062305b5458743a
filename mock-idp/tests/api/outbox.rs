//! The outbox (`GET`/`DELETE /_mock/outbox`, `MockIdp::outbox`): every email and SMS the
//! tenant sent, newest last, cleared by reset.

use mock_idp::MockIdp;
use serde_json::{Value, json};

use crate::helpers::client;

async fn outbox(idp: &MockIdp, query: &str) -> Value {
    let response = client()
        .get(idp.url(&format!("/_mock/outbox{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn send_two(idp: &MockIdp) {
    let http = client();
    let reset = json!({ "client_id": "sample-spa", "email": "alice@example.com",
                        "connection": "Username-Password-Authentication" });
    let started = http
        .post(idp.url("/dbconnections/change_password"))
        .json(&reset)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    let code = json!({ "client_id": "sample-spa", "connection": "email", "email": "bob@example.com", "send": "code" });
    let started = http
        .post(idp.url("/passwordless/start"))
        .json(&code)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200, "{}", started.text().await.unwrap());
}

#[tokio::test]
async fn lists_every_message_newest_last_with_null_where_unused() {
    // Arrange
    let idp = MockIdp::builder().deterministic().start().await;

    // Act
    send_two(&idp).await;
    let body = outbox(&idp, "").await;

    // Assert
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    let keys = |m: &Value| m.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let expected = [
        "channel", "code", "kind", "link", "sent_at", "subject", "text", "to",
    ];
    assert_eq!(keys(&messages[0]), expected);
    assert_eq!(messages[0]["kind"], "reset_password");
    assert_eq!(messages[0]["code"], Value::Null);
    assert_eq!(messages[0]["channel"], "email");
    assert_eq!(messages[0]["sent_at"], "2030-01-01T00:00:00.000Z");
    assert_eq!(messages[1]["kind"], "otp");
    assert_eq!(messages[1]["to"], "bob@example.com");
    assert_eq!(messages[1]["link"], Value::Null);
    assert_eq!(messages[1]["code"].as_str().unwrap().len(), 6);
    assert_eq!(
        serde_json::to_value(idp.outbox()).unwrap(),
        body["messages"],
        "the Rust API sees the same"
    );
}

#[tokio::test]
async fn to_filters_by_recipient() {
    let idp = MockIdp::start().await;
    send_two(&idp).await;
    let body = outbox(&idp, "?to=BOB@example.com").await;
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["to"], "bob@example.com");
}

#[tokio::test]
async fn delete_clears_it_but_only_with_the_marker_header_or_json() {
    // Arrange
    let idp = MockIdp::start().await;
    send_two(&idp).await;

    // Act
    let bare = client()
        .delete(idp.url("/_mock/outbox"))
        .send()
        .await
        .unwrap();
    let kept = idp.outbox().len();
    let marked = client()
        .delete(idp.url("/_mock/outbox"))
        .header("x-mock-idp", "1")
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(bare.status(), 403, "a page could send a bare DELETE");
    assert_eq!(kept, 2);
    assert_eq!(marked.status(), 204);
    assert_eq!(outbox(&idp, "").await["messages"], json!([]));
}

#[tokio::test]
async fn reset_clears_it_over_http_and_in_rust() {
    let idp = MockIdp::start().await;
    send_two(&idp).await;
    let reset = client()
        .post(idp.url("/_mock/reset"))
        .header("x-mock-idp", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert!(idp.outbox().is_empty());
    send_two(&idp).await;
    idp.reset();
    assert!(idp.outbox().is_empty());
}

#[tokio::test]
async fn the_journal_records_the_requests_but_not_what_they_sent() {
    let idp = MockIdp::start().await;
    send_two(&idp).await;
    let code = idp.outbox()[1].code.clone().unwrap();
    let journal = serde_json::to_string(&idp.received_requests()).unwrap();
    assert!(
        journal.contains("db_connections") && journal.contains("passwordless"),
        "{journal}"
    );
    assert!(!journal.contains(&code));
    assert!(!journal.contains("alice@example.com"));
}

#[tokio::test]
async fn malformed_bodies_to_the_sending_endpoints_are_4xx_and_send_nothing() {
    // Arrange
    let idp = MockIdp::start().await;
    let users = idp.user("alice@example.com");
    let bodies: [(&str, &[u8]); 9] = [
        ("application/json", b"{"),
        ("application/json", b"[]"),
        ("application/json", b"null"),
        (
            "application/json",
            br#"{"email": {"a": 1}, "client_id": 7}"#,
        ),
        (
            "application/json",
            br#"{"authParams": [1], "client_id": "sample-spa"}"#,
        ),
        (
            "application/x-www-form-urlencoded",
            b"client_id=sample-spa&client_id=x&%zz",
        ),
        ("text/plain", b"client_id=sample-spa"),
        ("application/json", &[0xff, 0xfe, 0x00]),
        ("", b"junk"),
    ];
    let endpoints = [
        "/dbconnections/signup",
        "/dbconnections/change_password",
        "/passwordless/start",
        "/u/reset-password",
        "/u/signup",
    ];

    // Act
    let mut statuses = Vec::new();
    for path in endpoints {
        for (content_type, body) in bodies {
            let mut request = client().post(idp.url(path)).body(body.to_vec());
            if !content_type.is_empty() {
                request = request.header("content-type", content_type);
            }
            let status = request.send().await.unwrap().status().as_u16();
            statuses.push((path, content_type, status));
        }
    }

    // Assert
    for (path, content_type, status) in &statuses {
        assert!(
            (400..500).contains(status),
            "{path} {content_type}: {status}"
        );
    }
    assert!(idp.outbox().is_empty());
    assert_eq!(idp.user("alice@example.com"), users);
    assert!(idp.sessions().is_empty());
}
