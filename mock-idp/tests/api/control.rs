//! The HTTP control API: the same powers as the Rust API, for tests in any language.

use mock_idp::{Endpoint, MockIdp};
use serde_json::{Value, json};

use crate::helpers::{claims, client, header, token_form};

async fn post(idp: &MockIdp, path: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(idp.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn mints_tokens_with_claims_and_header_overridden_field_by_field() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let (status, body) = post(
        &idp,
        "/_mock/tokens",
        json!({"claims": {"exp": 1, "aud": "other", "scope": null}, "header": {"kid": "k9"}}),
    )
    .await;

    // Assert
    assert_eq!(status, 200);
    let token = body["token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["exp"], 1);
    assert_eq!(c["aud"], "other");
    assert_eq!(c["iss"], idp.issuer(), "untouched defaults stay");
    assert_eq!(header(token)["kid"], "k9");
    assert_eq!(header(token)["alg"], "RS256");
}

#[tokio::test]
async fn mints_id_tokens_and_bad_signatures() {
    let idp = MockIdp::start().await;
    let (_, id) = post(&idp, "/_mock/tokens", json!({"kind": "id"})).await;
    assert_eq!(claims(id["token"].as_str().unwrap())["aud"], "sample-spa");
    let (_, none) = post(&idp, "/_mock/tokens", json!({"signing": "none"})).await;
    assert!(none["token"].as_str().unwrap().ends_with('.'));
    let (status, _) = post(&idp, "/_mock/tokens", json!({"kind": "refresh"})).await;
    assert_eq!(status, 400, "unknown kinds are refused");
}

#[tokio::test]
async fn rotates_keys_and_moves_the_clock() {
    let idp = MockIdp::start().await;
    let before = idp.active_kid();
    let (status, body) = post(&idp, "/_mock/keys/rotate", json!({})).await;
    assert_eq!(status, 200);
    assert_ne!(body["kid"], before);
    assert_eq!(body["jwks"]["keys"].as_array().unwrap().len(), 2);

    let now = idp.clock().now();
    let (status, body) = post(&idp, "/_mock/clock", json!({"advance_secs": 3600})).await;
    assert_eq!(status, 200);
    assert!(body["now"].as_i64().unwrap() >= now + 3600);
    let (status, _) = post(&idp, "/_mock/clock", json!({"advance_secs": "soon"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn faults_make_the_jwks_fail_for_the_next_n_calls() {
    let idp = MockIdp::start().await;
    let (status, _) = post(
        &idp,
        "/_mock/faults",
        json!({"endpoint": "jwks", "status": 503, "times": 2}),
    )
    .await;
    assert_eq!(status, 201);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            client()
                .get(idp.url("/.well-known/jwks.json"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [503, 503, 200]);
    let (status, _) = post(
        &idp,
        "/_mock/faults",
        json!({"endpoint": "jwks", "status": 999}),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_faulted_token_request_issues_nothing() {
    let idp = MockIdp::start().await;
    idp.fail_next(Endpoint::Token, 500);
    let (status, body) = token_form(&idp, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 500);
    assert_eq!(body["error"], "temporarily_unavailable");
    let journal = idp.received_requests();
    assert!(journal.last().unwrap().faulted);
}

#[tokio::test]
async fn the_journal_lists_requests_without_secrets() {
    let idp = MockIdp::start().await;
    crate::helpers::client_credentials(&idp).await;
    let response = client()
        .get(idp.url("/_mock/requests"))
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(!text.contains("sample-m2m-secret"), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    let requests = body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "reading the journal is not journaled");
    assert_eq!(requests[0]["endpoint"], "token");
    assert_eq!(requests[0]["grant_type"], "client_credentials");
    assert_eq!(requests[0]["client_id"], "sample-m2m");
    assert_eq!(requests[0]["status"], 200);
}

#[tokio::test]
async fn users_can_be_added_and_then_log_in() {
    let idp = MockIdp::start().await;
    let response = client()
        .put(idp.url("/_mock/users/dave@example.com"))
        .json(&json!({"password": "pw", "name": "Dave", "permissions": ["read:messages"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "dave@example.com"),
            ("password", "pw"),
            ("audience", "https://sample-api"),
            ("scope", "read:messages"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["sub"],
        "auth0|dave"
    );

    let bad = client()
        .put(idp.url("/_mock/users/dave@example.com"))
        .json(&json!({"pasword": "typo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn reset_restores_the_starting_state() {
    let idp = MockIdp::start().await;
    client().get(idp.url("/health")).send().await.unwrap();
    let kid = idp.active_kid();
    idp.rotate_keys();
    idp.clock()
        .advance(std::time::Duration::from_secs(1_000_000));
    idp.fail_next(Endpoint::Jwks, 503);
    let (status, _) = post(&idp, "/_mock/reset", json!({})).await;
    assert_eq!(status, 204);
    assert_eq!(idp.active_kid(), kid);
    assert!(
        idp.clock().now()
            < 1_000_000
                + std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs() as i64
                - 10
    );
    assert_eq!(
        client()
            .get(idp.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(
        idp.received_requests().iter().all(|r| r.path != "/health"),
        "the journal was cleared"
    );
}

#[tokio::test]
async fn the_control_api_can_be_turned_off() {
    let idp = MockIdp::builder().without_control_api().start().await;
    let (status, _) = post(&idp, "/_mock/tokens", json!({})).await;
    assert_eq!(status, 404);
}
