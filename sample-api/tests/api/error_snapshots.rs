//! The exact 401/403/400/503 responses, pinned with insta.

use serde_json::json;

use crate::helpers::{FakeIdp, describe, settings_for, spawn_api, spawn_with_fake_idp};

#[tokio::test]
async fn snapshot_of_the_answer_without_credentials() {
    let (_idp, api) = spawn_with_fake_idp().await;
    insta::assert_json_snapshot!(describe(api.get("/api/private").await).await);
}

#[tokio::test]
async fn snapshot_of_the_answer_to_an_expired_token() {
    let (idp, api) = spawn_with_fake_idp().await;
    let token = idp.token_with(json!({"exp": crate::helpers::now() - 3600}));
    insta::assert_json_snapshot!(describe(api.get_with_token("/api/private", &token).await).await);
}

#[tokio::test]
async fn snapshot_of_the_answer_to_a_missing_scope() {
    let (idp, api) = spawn_with_fake_idp().await;
    let token = idp.token_with(json!({"scope": "write:messages"}));
    insta::assert_json_snapshot!(
        describe(api.get_with_token("/api/private-scoped", &token).await).await
    );
}

#[tokio::test]
async fn snapshot_of_the_answer_to_repeated_credentials() {
    let (idp, api) = spawn_with_fake_idp().await;
    let value = format!("Bearer {}", idp.token());
    let response = api
        .get_with_authorization("/api/private", &[value.as_bytes(), value.as_bytes()])
        .await;
    insta::assert_json_snapshot!(describe(response).await);
}

#[tokio::test]
async fn snapshot_of_the_answer_when_no_key_can_be_fetched() {
    let idp = FakeIdp::without_jwks().await;
    let api = spawn_api(settings_for(&idp.issuer)).await;
    insta::assert_json_snapshot!(
        describe(api.get_with_token("/api/private", &idp.token()).await).await
    );
}
