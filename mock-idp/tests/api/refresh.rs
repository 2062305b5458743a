use mock_idp::MockIdp;

use crate::helpers::{claims, password_grant, token_form};

pub async fn refresh(idp: &MockIdp, token: &str) -> (u16, serde_json::Value) {
    token_form(
        idp,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "sample-spa"),
            ("refresh_token", token),
        ],
    )
    .await
}

#[tokio::test]
async fn refresh_rotates_and_returns_a_fresh_id_token() {
    // Arrange
    let idp = MockIdp::start().await;
    let first = password_grant(
        &idp,
        "alice@example.com",
        "openid profile offline_access read:messages",
    )
    .await;
    let rt1 = first["refresh_token"].as_str().unwrap();

    // Act
    let (status, second) = refresh(&idp, rt1).await;

    // Assert
    assert_eq!(status, 200, "{second}");
    let rt2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2, "rotation");
    assert!(
        second["id_token"].is_string(),
        "auth0-spa-js needs an id_token on every grant"
    );
    assert_eq!(
        second["scope"], first["scope"],
        "scope bound to the refresh token"
    );
    assert_eq!(
        claims(second["access_token"].as_str().unwrap())["sub"],
        "auth0|alice"
    );
    let (status, _) = refresh(&idp, rt2).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let idp = MockIdp::start().await;
    let first = password_grant(&idp, "alice@example.com", "openid offline_access").await;
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let (_, second) = refresh(&idp, &rt1).await;
    let rt2 = second["refresh_token"].as_str().unwrap().to_owned();

    let (status, body) = refresh(&idp, &rt1).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        body["error_description"],
        "Unknown or invalid refresh token."
    );

    let (status, _) = refresh(&idp, &rt2).await;
    assert_eq!(status, 403, "the family is revoked");
}

#[tokio::test]
async fn a_refresh_token_expires_with_the_mock_clock() {
    let idp = MockIdp::start().await;
    let first = password_grant(&idp, "alice@example.com", "openid offline_access").await;
    idp.clock()
        .advance(std::time::Duration::from_secs(31 * 24 * 3600));
    let (status, _) = refresh(&idp, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_refresh_token_is_bound_to_its_client() {
    let idp = MockIdp::builder()
        .client(mock_idp::Client::spa("other-spa"))
        .start()
        .await;
    let first = password_grant(&idp, "alice@example.com", "openid offline_access").await;
    let (status, _) = token_form(
        &idp,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "other-spa"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_refresh_can_narrow_but_not_widen_the_scope() {
    let idp = MockIdp::start().await;
    let first = password_grant(&idp, "alice@example.com", "openid profile offline_access").await;
    let rt = first["refresh_token"].as_str().unwrap();
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "sample-spa"),
            ("refresh_token", rt),
            ("scope", "openid email"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, body) = token_form(
        &idp,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "sample-spa"),
            ("refresh_token", rt),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid offline_access");
}

#[tokio::test]
async fn concurrent_uses_of_one_refresh_token_succeed_exactly_once() {
    let idp = MockIdp::start().await;
    let first = password_grant(&idp, "alice@example.com", "openid offline_access").await;
    let rt = first["refresh_token"].as_str().unwrap().to_owned();
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (url, rt) = (idp.url("/oauth/token"), rt.clone());
        attempts.spawn(async move {
            let form = [
                ("grant_type", "refresh_token"),
                ("client_id", "sample-spa"),
                ("refresh_token", rt.as_str()),
            ];
            reqwest::Client::new()
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let statuses = attempts.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_revoked_refresh_token_no_longer_works() {
    let idp = MockIdp::start().await;
    let first = password_grant(&idp, "alice@example.com", "openid offline_access").await;
    let rt = first["refresh_token"].as_str().unwrap();
    let response = crate::helpers::client()
        .post(idp.url("/oauth/revoke"))
        .form(&[("client_id", "sample-spa"), ("token", rt)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, _) = refresh(&idp, rt).await;
    assert_eq!(status, 403);
}
