//! The control API answers the developer's own tools, not the web pages they visit: no
//! cross-site simple requests, no foreign origins, no DNS-rebound hosts.

use mock_idp::MockIdp;
use reqwest::RequestBuilder;
use serde_json::{Value, json};

use crate::helpers::client;

const EVIL_HOST: &str = "evil.example:4000";
const EVIL_ORIGIN: &str = "http://evil.example";

/// Sends the request; returns the status and the JSON body (`Null` when there is none).
async fn send(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// What an HTML form or a `fetch` without preflight on `evil.example` sends.
fn cross_site_simple_post(idp: &MockIdp, path: &str) -> RequestBuilder {
    client()
        .post(idp.url(path))
        .header("content-type", "text/plain")
        .header("origin", EVIL_ORIGIN)
        .header("sec-fetch-site", "cross-site")
        .body("{}")
}

fn assert_refused(status: u16, body: &Value, hint: &str) {
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "access_denied", "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains(hint), "{description:?} lacks {hint:?}");
}

#[tokio::test]
async fn a_cross_site_text_plain_reset_is_refused_and_changes_nothing() {
    // Arrange
    let idp = MockIdp::start().await;
    let rotated = idp.rotate_keys();

    // Act
    let (status, body) = send(cross_site_simple_post(&idp, "/_mock/reset")).await;

    // Assert
    assert_refused(status, &body, "evil.example");
    assert_eq!(idp.active_kid(), rotated, "not reset to the starting key");
}

#[tokio::test]
async fn a_cross_site_text_plain_key_rotation_is_refused_and_the_active_key_stays() {
    // Arrange
    let idp = MockIdp::start().await;
    let kid = idp.active_kid();

    // Act
    let (status, body) = send(cross_site_simple_post(&idp, "/_mock/keys/rotate")).await;

    // Assert
    assert_refused(status, &body, "evil.example");
    assert_eq!(idp.active_kid(), kid);
    assert_eq!(idp.jwks()["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_text_plain_post_without_an_origin_is_told_what_to_send() {
    // Arrange
    let idp = MockIdp::start().await;
    let kid = idp.active_kid();

    // Act
    let (status, body) = send(
        client()
            .post(idp.url("/_mock/keys/rotate"))
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;

    // Assert
    assert_refused(
        status,
        &body,
        "Content-Type: application/json or X-Mock-Idp: 1",
    );
    assert_eq!(idp.active_kid(), kid);
}

#[tokio::test]
async fn a_request_marked_sec_fetch_site_cross_site_is_refused_even_as_json() {
    // Arrange
    let idp = MockIdp::start().await;
    let kid = idp.active_kid();

    // Act
    let (status, body) = send(
        client()
            .post(idp.url("/_mock/keys/rotate"))
            .header("sec-fetch-site", "cross-site")
            .json(&json!({})),
    )
    .await;

    // Assert
    assert_refused(status, &body, "cross-site");
    assert_eq!(idp.active_kid(), kid);
}

#[tokio::test]
async fn a_page_on_a_foreign_or_opaque_origin_cannot_read_the_journal_either() {
    // Arrange
    let idp = MockIdp::start().await;

    for origin in [EVIL_ORIGIN, "null", "http://localhost.evil.example"] {
        // Act
        let (status, body) = send(
            client()
                .get(idp.url("/_mock/requests"))
                .header("origin", origin),
        )
        .await;

        // Assert
        assert_refused(status, &body, "may not use the control API");
    }
}

#[tokio::test]
async fn a_rebound_host_cannot_mint_a_token() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let (status, body) = send(
        client()
            .post(idp.url("/_mock/tokens"))
            .header("host", EVIL_HOST)
            .json(&json!({"claims": {"sub": "auth0|victim", "aud": "https://bank"}})),
    )
    .await;

    // Assert
    assert_refused(status, &body, "--allowed-host evil.example ");
    assert!(body.get("token").is_none(), "{body}");
}

#[tokio::test]
async fn a_rebound_host_cannot_read_the_journal() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let (status, body) = send(
        client()
            .get(idp.url("/_mock/requests"))
            .header("host", EVIL_HOST),
    )
    .await;

    // Assert
    assert_refused(status, &body, "evil.example");
    assert!(body.get("requests").is_none(), "{body}");
}

#[tokio::test]
async fn a_host_header_with_userinfo_or_junk_is_refused_not_a_panic() {
    // Arrange
    let idp = MockIdp::start().await;

    for host in ["localhost@evil.example", "localhost:4000:1", "[::1"] {
        // Act
        let (status, body) = send(client().get(idp.url("/_mock/clock")).header("host", host)).await;

        // Assert
        assert_refused(status, &body, "is not a host name or address");
    }
}

#[tokio::test]
async fn loopback_names_and_addresses_are_answered_on_any_port() {
    // Arrange
    let idp = MockIdp::start().await;

    for host in [
        "localhost",
        "LOCALHOST:1",
        "app.localhost:4000",
        "127.0.0.2:8080",
        "[::1]:4000",
    ] {
        // Act
        let (status, body) = send(client().get(idp.url("/_mock/clock")).header("host", host)).await;

        // Assert
        assert_eq!(status, 200, "{host}: {body}");
    }
}

#[tokio::test]
async fn a_host_allowed_with_the_builder_is_answered_whatever_its_case_and_port() {
    // Arrange
    let idp = MockIdp::builder().allowed_host("mock-idp").start().await;

    // Act
    let (allowed, minted) = send(
        client()
            .post(idp.url("/_mock/tokens"))
            .header("host", "Mock-IdP:4100")
            .json(&json!({})),
    )
    .await;
    let (other, _) = send(
        client()
            .post(idp.url("/_mock/tokens"))
            .header("host", EVIL_HOST)
            .json(&json!({})),
    )
    .await;

    // Assert
    assert_eq!(allowed, 200, "{minted}");
    assert!(minted["token"].is_string());
    assert_eq!(other, 403);
}

#[tokio::test]
async fn the_issuers_host_is_answered() {
    // Arrange
    let idp = MockIdp::builder()
        .issuer("http://idp.test:4000")
        .start()
        .await;

    // Act
    let (status, body) = send(
        client()
            .get(idp.url("/_mock/clock"))
            .header("host", "idp.test:4000"),
    )
    .await;

    // Assert
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_curl_style_json_post_works() {
    // Arrange
    let idp = MockIdp::start().await;
    let kid = idp.active_kid();

    // Act
    let (status, body) = send(
        client()
            .post(idp.url("/_mock/keys/rotate"))
            .header("content-type", "application/json; charset=utf-8")
            .body("{}"),
    )
    .await;

    // Assert
    assert_eq!(status, 200, "{body}");
    assert_ne!(idp.active_kid(), kid);
}

#[tokio::test]
async fn a_post_or_delete_with_only_the_x_mock_idp_header_works() {
    // Arrange
    let idp = MockIdp::start().await;
    let kid = idp.active_kid();
    idp.rotate_keys();

    // Act
    let (reset, _) = send(
        client()
            .post(idp.url("/_mock/reset"))
            .header("x-mock-idp", "1"),
    )
    .await;
    let (cleared, _) = send(
        client()
            .delete(idp.url("/_mock/faults"))
            .header("x-mock-idp", "yes"),
    )
    .await;

    // Assert
    assert_eq!(reset, 204);
    assert_eq!(idp.active_kid(), kid, "reset to the starting key");
    assert_eq!(cleared, 204);
}

#[tokio::test]
async fn a_page_on_the_developers_own_localhost_origin_is_answered() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let (status, body) = send(
        client()
            .post(idp.url("/_mock/tokens"))
            .header("origin", "http://localhost:3000")
            .header("sec-fetch-site", "same-site")
            .json(&json!({})),
    )
    .await;

    // Assert
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_auth0_facing_endpoints_still_answer_any_host() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let (discovery, _) = send(
        client()
            .get(idp.url("/.well-known/openid-configuration"))
            .header("host", "evil.example"),
    )
    .await;
    let (token, body) = send(
        client()
            .post(idp.url("/oauth/token"))
            .header("host", "evil.example")
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "sample-m2m"),
                ("client_secret", "sample-m2m-secret"),
                ("audience", crate::helpers::API),
            ]),
    )
    .await;

    // Assert
    assert_eq!(discovery, 200);
    assert_eq!(token, 200, "{body}");
}
