//! Catalog 1A: reading credentials from the request (RFC 6750 §2, §3.1).

use crate::helpers::{assert_invalid_request, assert_no_credentials, spawn_with_fake_idp};

#[tokio::test]
async fn public_needs_no_token() {
    let (_idp, api) = spawn_with_fake_idp().await;
    let response = api.get("/api/public").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["msg"].as_str().unwrap().contains("public endpoint"));
}

#[tokio::test]
async fn every_protected_route_demands_credentials() {
    let (_idp, api) = spawn_with_fake_idp().await;
    for path in ["/api/private", "/api/private-scoped", "/api/external"] {
        assert_no_credentials(api.get(path).await).await;
    }
}

#[tokio::test]
async fn external_confirms_the_token_was_validated() {
    let (idp, api) = spawn_with_fake_idp().await;
    let response = api.get_with_token("/api/external", &idp.token()).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"msg": "Your access token was successfully validated!"})
    );
}

#[tokio::test]
async fn accepts_the_bearer_scheme_in_any_case() {
    let (idp, api) = spawn_with_fake_idp().await;
    let token = idp.token();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let value = format!("{scheme} {token}");
        let response = api
            .get_with_authorization("/api/private", &[value.as_bytes()])
            .await;
        assert_eq!(response.status(), 200, "{scheme}");
    }
}

#[tokio::test]
async fn treats_another_scheme_as_no_credentials() {
    let (_idp, api) = spawn_with_fake_idp().await;
    let response = api
        .get_with_authorization("/api/private", &[b"Basic dXNlcjpwYXNz"])
        .await;
    assert_no_credentials(response).await;
}

#[tokio::test]
async fn answers_invalid_request_for_a_bearer_scheme_without_token() {
    let (_idp, api) = spawn_with_fake_idp().await;
    for value in [&b"Bearer"[..], b"Bearer ", b"bearer    "] {
        assert_invalid_request(api.get_with_authorization("/api/private", &[value]).await).await;
    }
}

#[tokio::test]
async fn rejects_a_token_outside_the_b64token_grammar() {
    let (idp, api) = spawn_with_fake_idp().await;
    let token = idp.token();
    for value in [
        format!("Bearer  {token}"),
        format!("Bearer\t{token}"),
        format!("Bearer {token},Bearer {token}"),
    ] {
        let response = api
            .get_with_authorization("/api/private", &[value.as_bytes()])
            .await;
        assert_eq!(response.status(), 401, "{value}");
    }
}

#[tokio::test]
async fn answers_invalid_request_for_two_authorization_headers() {
    let (idp, api) = spawn_with_fake_idp().await;
    let valid = format!("Bearer {}", idp.token());
    for pair in [
        [valid.as_bytes(), valid.as_bytes()],
        [valid.as_bytes(), b"garbage"],
    ] {
        assert_invalid_request(api.get_with_authorization("/api/private", &pair).await).await;
    }
}

#[tokio::test]
async fn answers_invalid_request_for_a_header_and_a_query_token() {
    let (idp, api) = spawn_with_fake_idp().await;
    let token = idp.token();
    let response = api
        .get_with_token(&format!("/api/private?access_token={token}"), &token)
        .await;
    assert_invalid_request(response).await;
}

#[tokio::test]
async fn ignores_a_token_in_the_query_string() {
    let (idp, api) = spawn_with_fake_idp().await;
    let response = api
        .get(&format!("/api/private?access_token={}", idp.token()))
        .await;
    assert_no_credentials(response).await;
}

#[tokio::test]
async fn answers_invalid_request_for_non_ascii_header_bytes() {
    let (_idp, api) = spawn_with_fake_idp().await;
    let response = api
        .get_with_authorization("/api/private", &[b"Bearer \xc3\xa9t\xc3\xa9"])
        .await;
    assert_invalid_request(response).await;
}

#[tokio::test]
async fn survives_huge_authorization_headers() {
    // Arrange
    let (idp, api) = spawn_with_fake_idp().await;

    for size in [8 * 1024, 64 * 1024, 1024 * 1024] {
        // Act
        let value = format!("Bearer {}", "a".repeat(size));
        let result = api
            .client
            .get(format!("{}/api/private", api.address))
            .header("authorization", value)
            .send()
            .await;

        // Assert: 401 or the server's 431, or a closed connection; never a 500
        if let Ok(response) = result {
            assert!(matches!(response.status().as_u16(), 401 | 431), "{size}");
        }
    }
    assert_eq!(api.status("/api/private", &idp.token()).await, 200);
}

#[tokio::test]
async fn survives_a_request_with_too_many_headers() {
    let (idp, api) = spawn_with_fake_idp().await;
    let mut request = api.client.get(format!("{}/api/private", api.address));
    for i in 0..101 {
        request = request.header(format!("x-h{i}"), "v");
    }
    let result = request.bearer_auth(idp.token()).send().await;
    if let Ok(response) = result {
        assert_ne!(response.status().as_u16(), 500);
    }
    assert_eq!(api.status("/api/private", &idp.token()).await, 200);
}

#[tokio::test]
async fn answers_a_cors_preflight_for_the_spa_origin_only() {
    let (_idp, api) = spawn_with_fake_idp().await;
    let preflight = |origin: &'static str| {
        api.client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/external", api.address),
            )
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("http://localhost:3000").await.unwrap();
    let refused = preflight("http://evil.test").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn error_descriptions_never_echo_the_request() {
    let (idp, api) = spawn_with_fake_idp().await;
    let header = serde_json::json!({"alg":"RS256","kid":"evil\"\r\nSet-Cookie: x=1"});
    let token = crate::helpers::sign(&header, &idp.claims(), crate::helpers::TestKey::K1);
    api.assert_rejects(&token, "unknown signing key").await;
}
