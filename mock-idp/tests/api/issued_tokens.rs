//! The tokens the mock handed out (`GET /_mock/tokens`) and what the journal says of each
//! request: the error code it answered, the ids of the tokens it issued.

use mock_idp::MockIdp;
use serde_json::{Value, json};

use crate::helpers::{client, password_grant, token_form};

async fn get(idp: &MockIdp, path: &str) -> Value {
    client()
        .get(idp.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_journal_names_the_tokens_a_request_issued_and_the_error_it_answered() {
    // Arrange
    let idp = MockIdp::builder().deterministic().start().await;

    // Act
    let issued = password_grant(&idp, "alice@example.com", "openid read:messages").await;
    let (status, _) = token_form(
        &idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "alice@example.com"),
            ("password", "wrong"),
        ],
    )
    .await;

    // Assert
    assert_eq!(status, 403);
    let requests = idp.received_requests();
    assert_eq!(
        (requests[0].tokens.as_slice(), requests[0].error.as_deref()),
        (&[1, 2][..], None)
    );
    assert_eq!(
        (requests[1].tokens.len(), requests[1].error.as_deref()),
        (0, Some("invalid_grant"))
    );
    let journal = get(&idp, "/_mock/requests").await;
    assert_eq!(journal["requests"][0]["tokens"], json!([1, 2]));
    assert_eq!(journal["requests"][1]["error"], "invalid_grant");

    let tokens = get(&idp, "/_mock/tokens").await;
    let listed = tokens["tokens"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], 1);
    assert_eq!(listed[0]["kind"], "access");
    assert_eq!(
        listed[0]["by"],
        json!({"via": "grant", "grant_type": "password", "client_id": "sample-spa"})
    );
    assert_eq!(listed[0]["token"], issued["access_token"]);
    assert_eq!(listed[0]["claims"]["sub"], "auth0|alice");
    assert_eq!(listed[0]["expires_at"], listed[0]["claims"]["exp"]);
    assert_eq!(listed[0]["header"]["alg"], "RS256");
    assert_eq!(listed[1]["kind"], "id");
    assert_eq!(listed[1]["token"], issued["id_token"]);
    assert_eq!(tokens["now"], idp.clock().now());
}

#[tokio::test]
async fn minted_tokens_are_listed_as_minted() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let rust = idp.token().id_token().sign();
    let http: Value = client()
        .post(idp.url("/_mock/tokens"))
        .json(&json!({"claims": {"sub": "auth0|bob"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Assert
    let tokens = get(&idp, "/_mock/tokens").await;
    let listed = tokens["tokens"].as_array().unwrap();
    assert_eq!(listed[0]["token"], rust.as_str());
    assert_eq!(listed[0]["kind"], "id");
    assert_eq!(listed[0]["by"], json!({"via": "minted"}));
    assert_eq!(listed[1]["token"], http["token"]);
    assert_eq!(listed[1]["claims"]["sub"], "auth0|bob");
}

#[tokio::test]
async fn the_tokens_list_keeps_the_last_200_and_a_reset_empties_it() {
    // Arrange
    let idp = MockIdp::start().await;
    let mut last = String::new();
    for _ in 0..205 {
        last = idp.token().sign();
    }

    // Act
    let before = get(&idp, "/_mock/tokens").await;
    idp.reset();
    let after = get(&idp, "/_mock/tokens").await;

    // Assert
    let listed = before["tokens"].as_array().unwrap();
    assert_eq!(listed.len(), 200);
    assert_eq!(listed[0]["id"], 6);
    assert_eq!(listed[199]["token"], last.as_str());
    assert_eq!(after["tokens"], json!([]));
}

#[tokio::test]
async fn reading_the_journal_or_the_tokens_does_not_fill_the_journal() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    for path in ["/_mock/requests", "/_mock/tokens", "/_mock/requests"] {
        get(&idp, path).await;
    }
    client().get(idp.url("/_mock/clock")).send().await.unwrap();

    // Assert
    let paths: Vec<String> = idp
        .received_requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(paths, ["/_mock/clock"]);
}
