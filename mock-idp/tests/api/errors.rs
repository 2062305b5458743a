//! Every error the token endpoint gives: status, code and a snapshot of the body.

use mock_idp::MockIdp;
use serde_json::{Value, json};

use crate::helpers::{API, client};

/// (name, form, expected status, expected error)
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    u16,
    &'static str,
);

fn cases() -> Vec<Case> {
    vec![
        (
            "missing_grant_type",
            vec![("client_id", "sample-spa")],
            400,
            "invalid_request",
        ),
        (
            "unsupported_grant_type",
            vec![
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("client_id", "sample-spa"),
            ],
            400,
            "unsupported_grant_type",
        ),
        (
            "missing_client_id",
            vec![("grant_type", "client_credentials")],
            400,
            "invalid_request",
        ),
        (
            "unknown_client",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", "x"),
                ("audience", API),
            ],
            401,
            "invalid_client",
        ),
        (
            "wrong_client_secret",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "sample-m2m"),
                ("client_secret", "wrong"),
                ("audience", API),
            ],
            401,
            "invalid_client",
        ),
        (
            "confidential_client_without_secret",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "sample-m2m"),
                ("audience", API),
            ],
            401,
            "invalid_client",
        ),
        (
            "public_client_with_client_credentials",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "sample-spa"),
                ("audience", API),
            ],
            403,
            "unauthorized_client",
        ),
        (
            "missing_audience",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "sample-m2m"),
                ("client_secret", "sample-m2m-secret"),
            ],
            403,
            "access_denied",
        ),
        (
            "unknown_audience",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "sample-m2m"),
                ("client_secret", "sample-m2m-secret"),
                ("audience", "https://nope"),
            ],
            403,
            "access_denied",
        ),
        (
            "undefined_scope",
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "sample-m2m"),
                ("client_secret", "sample-m2m-secret"),
                ("audience", API),
                ("scope", "delete:everything"),
            ],
            400,
            "invalid_scope",
        ),
        (
            "wrong_password",
            vec![
                ("grant_type", "password"),
                ("client_id", "sample-spa"),
                ("username", "alice@example.com"),
                ("password", "x"),
            ],
            403,
            "invalid_grant",
        ),
        (
            "unknown_user",
            vec![
                ("grant_type", "password"),
                ("client_id", "sample-spa"),
                ("username", "nobody@example.com"),
                ("password", "password"),
            ],
            403,
            "invalid_grant",
        ),
        (
            "missing_username",
            vec![
                ("grant_type", "password"),
                ("client_id", "sample-spa"),
                ("password", "x"),
            ],
            400,
            "invalid_request",
        ),
        (
            "unknown_refresh_token",
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", "sample-spa"),
                ("refresh_token", "nope"),
            ],
            403,
            "invalid_grant",
        ),
        (
            "unknown_code",
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", "sample-spa"),
                ("code", "nope"),
                ("code_verifier", "x"),
            ],
            403,
            "invalid_grant",
        ),
    ]
}

#[tokio::test]
async fn every_token_error_has_auth0s_status_and_a_json_body() {
    let idp = MockIdp::builder().deterministic().start().await;
    let mut bodies = serde_json::Map::new();
    for (name, form, status, error) in cases() {
        let response = client()
            .post(idp.url("/oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{name}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{name}: {body}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{name}"
        );
        bodies.insert(name.into(), body);
    }
    insta::assert_json_snapshot!("token_errors", bodies);
}

#[tokio::test]
async fn repeated_parameters_are_refused() {
    let idp = MockIdp::start().await;
    let body = "grant_type=client_credentials&client_id=sample-m2m&client_id=other&client_secret=sample-m2m-secret";
    let response = client()
        .post(idp.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn wrong_content_types_and_malformed_json_get_400() {
    let idp = MockIdp::start().await;
    for (content_type, body) in [
        ("text/plain", "grant_type=client_credentials"),
        ("application/json", "{not json"),
        ("application/json", "[1,2]"),
        ("application/json", r#"{"grant_type": ["a"]}"#),
        ("multipart/form-data; boundary=x", "--x--"),
    ] {
        let response = client()
            .post(idp.url("/oauth/token"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{content_type} {body}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn an_oversized_body_gets_413_and_the_mock_keeps_serving() {
    let idp = MockIdp::start().await;
    let huge = format!(
        "grant_type=client_credentials&padding={}",
        "a".repeat(1024 * 1024)
    );
    let response = client()
        .post(idp.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        crate::helpers::client_credentials(&idp).await["token_type"],
        "Bearer"
    );
}

#[tokio::test]
async fn both_basic_and_post_client_authentication_is_refused() {
    let idp = MockIdp::start().await;
    let response = client()
        .post(idp.url("/oauth/token"))
        .basic_auth("sample-m2m", Some("sample-m2m-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", "sample-m2m-secret"),
            ("audience", API),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn garbage_basic_credentials_are_invalid_client_not_a_crash() {
    let idp = MockIdp::start().await;
    for value in ["Basic !!!", "Basic", "Basic Zm9v", "Bearer xyz"] {
        let response = client()
            .post(idp.url("/oauth/token"))
            .header("authorization", value)
            .form(&[("grant_type", "client_credentials"), ("audience", API)])
            .send()
            .await
            .unwrap();
        assert!(
            matches!(response.status().as_u16(), 400 | 401),
            "{value}: {}",
            response.status()
        );
    }
}

#[tokio::test]
async fn cors_preflight_allows_the_sdk_headers_for_allowed_origins_only() {
    let idp = MockIdp::start().await;
    let preflight = |origin: &'static str| {
        client()
            .request(reqwest::Method::OPTIONS, idp.url("/oauth/token"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "auth0-client,content-type",
            )
            .send()
    };
    let allowed = preflight("http://localhost:3000").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        headers.contains("auth0-client") && headers.contains("content-type"),
        "{headers}"
    );
    assert!(
        allowed
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );

    let evil = preflight("https://evil.test").await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn unknown_paths_are_json_404s() {
    let idp = MockIdp::start().await;
    let response = client().get(idp.url("/nope")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "not_found", "error_description": "No such endpoint on this mock"})
    );
}
