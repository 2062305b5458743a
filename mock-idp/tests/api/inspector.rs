//! The inspector page (`GET /_mock/`) over HTTP: what it shows, that it escapes every value,
//! its headers, the parts its script polls, and the one control it adds (ending a session).
//! The browser side is tested with Playwright in `tests/e2e/specs/inspector.spec.ts`.

use mock_idp::{MockIdp, User};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Browser, client, client_credentials};

async fn page(idp: &MockIdp, query: &str) -> reqwest::Response {
    client()
        .get(idp.url(&format!("/_mock/{query}")))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_page_shows_requests_tokens_and_the_tenant_server_rendered() {
    // Arrange
    let idp = MockIdp::builder().deterministic().start().await;
    client_credentials(&idp).await;

    // Act
    let response = page(&idp, "").await;

    // Assert
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = response.text().await.unwrap();
    for expected in [
        "<h2 id=\"requests-title\">Requests</h2>",
        "<code>/oauth/token</code>",
        "<a href=\"#token-1\">#1</a>",
        "#1 access token",
        "client_credentials by <code>sample-m2m</code>",
        "expires in 1 d (2030-01-02T00:00:00Z)",
        "<code>https://sample-api</code>",
        "alice@example.com",
        "<th>callbacks</th>",
        "data-action=\"rotate\"",
        "id=\"explain-form\"",
    ] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
}

#[tokio::test]
async fn every_value_on_the_page_is_escaped_so_a_claim_holding_script_stays_text() {
    // Arrange: hostile values in a token, a user and a request path.
    let idp = MockIdp::builder()
        .user(User::new("mallory@example.com").name("<img src=x onerror=alert(1)>"))
        .start()
        .await;
    idp.token()
        .claim("name", "</pre><script>alert(1)</script>")
        .header("kid", "\"><script>alert(2)</script>")
        .sign();
    client()
        .get(idp.url("/%3Cscript%3Ealert(3)%3C/script%3E"))
        .send()
        .await
        .unwrap();

    // Act
    let html = page(&idp, "").await.text().await.unwrap();

    // Assert
    assert!(!html.contains("<script>alert"), "a script tag got through");
    assert!(!html.contains("<img src=x"), "an img tag got through");
    assert!(html.contains("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script element"
    );
}

#[tokio::test]
async fn the_page_allows_only_its_own_script_and_style() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    let response = page(&idp, "").await;
    let script = client()
        .get(idp.url("/_mock/inspector.js"))
        .send()
        .await
        .unwrap();
    let style = client()
        .get(idp.url("/_mock/inspector.css"))
        .send()
        .await
        .unwrap();

    // Assert
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(script.status(), 200);
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(script.text().await.unwrap().contains("textContent"));
    assert_eq!(style.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn a_part_the_page_polls_answers_304_until_it_changes() {
    // Arrange
    let idp = MockIdp::start().await;
    let first = page(&idp, "?part=tokens").await;
    let etag = first.headers()["etag"].clone();

    // Act
    let unchanged = client()
        .get(idp.url("/_mock/?part=tokens"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    idp.token().sign();
    let changed = client()
        .get(idp.url("/_mock/?part=tokens"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(changed.status(), 200);
    assert!(changed.text().await.unwrap().contains("#1 access token"));
}

#[tokio::test]
async fn the_requests_part_filters_by_endpoint_and_names_errors() {
    // Arrange
    let idp = MockIdp::start().await;
    reqwest::get(idp.jwks_uri()).await.unwrap();
    client()
        .post(idp.url("/oauth/token"))
        .form(&[("grant_type", "password"), ("client_id", "nobody")])
        .send()
        .await
        .unwrap();

    // Act
    let tokens_only = page(&idp, "?part=requests&endpoint=token")
        .await
        .text()
        .await
        .unwrap();
    let bad_filter = page(&idp, "?part=requests&endpoint=nope").await;
    let bad_part = page(&idp, "?part=nope").await;

    // Assert
    assert!(tokens_only.contains("/oauth/token"));
    assert!(tokens_only.contains("invalid_client"), "{tokens_only}");
    assert!(!tokens_only.contains("jwks.json"));
    for response in [bad_filter, bad_part] {
        assert_eq!(response.status(), 400);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn the_page_and_its_polls_do_not_fill_the_journal() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    for query in ["", "?part=requests", "?part=tokens", "?part=tenant"] {
        page(&idp, query).await;
    }
    client().get(idp.url("/_mock")).send().await.unwrap();

    // Assert
    assert!(
        idp.received_requests().is_empty(),
        "{:?}",
        idp.received_requests()
    );
}

#[tokio::test]
async fn the_page_answers_only_the_developers_own_tools_and_is_off_without_the_control_api() {
    // Arrange
    let idp = MockIdp::start().await;
    let off = MockIdp::builder().without_control_api().start().await;

    // Act
    let rebound = client()
        .get(idp.url("/_mock/"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let from_a_page = client()
        .get(idp.url("/_mock/"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    let without = page(&off, "").await;

    // Assert
    assert_eq!(rebound.status(), 403);
    assert_eq!(from_a_page.status(), 403);
    assert_eq!(without.status(), 404);
}

#[tokio::test]
async fn one_session_can_be_ended_by_its_sid() {
    // Arrange: two sessions.
    let idp = MockIdp::start().await;
    Browser::new(&idp).sign_in("alice@example.com").await;
    Browser::new(&idp).sign_in("bob@example.com").await;
    let sessions = idp.sessions();
    let alices = sessions.iter().find(|s| s.sub == "auth0|alice").unwrap();
    let tenant = page(&idp, "?part=tenant").await.text().await.unwrap();
    assert!(tenant.contains(&format!("data-sid=\"{}\"", alices.sid)));

    // Act
    let ended = client()
        .delete(idp.url(&format!("/_mock/sessions/{}", alices.sid)))
        .header("x-mock-idp", "1")
        .send()
        .await
        .unwrap();
    let again = client()
        .delete(idp.url(&format!("/_mock/sessions/{}", alices.sid)))
        .header("x-mock-idp", "1")
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(ended.status(), 204);
    assert_eq!(again.status(), 404);
    let left: Vec<String> = idp.sessions().into_iter().map(|s| s.sub).collect();
    assert_eq!(left, ["auth0|bob"]);
}

#[tokio::test]
async fn the_tenant_part_shows_keys_retired_keys_faults_and_the_clock() {
    // Arrange
    let idp = MockIdp::builder().deterministic().start().await;
    let first = idp.active_kid();
    idp.rotate_keys();
    idp.retire_keys();
    client()
        .post(idp.url("/_mock/faults"))
        .json(&json!({"endpoint": "jwks", "status": 503, "times": 2}))
        .send()
        .await
        .unwrap();

    // Act
    let tenant = page(&idp, "?part=tenant").await.text().await.unwrap();

    // Assert
    assert!(tenant.contains(&format!(
        "<code>{}</code></td><td>RS256</td><td>signing",
        idp.active_kid()
    )));
    assert!(tenant.contains(&format!(
        "<code>{first}</code></td><td></td><td>retired at 2030-01-01T00:00:00Z"
    )));
    assert!(tenant.contains("<td>jwks</td><td>503</td><td></td><td>2</td>"));
    assert!(tenant.contains("2030-01-01T00:00:00Z</output>"));
}
