//! Catalog 1E: how the JWKS cache behaves when the IdP is slow, broken or down, served by
//! wiremock (failures the mock IdP does not need to model).

use std::time::Duration;

use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::{
    FakeIdp, JWKS_PATH, TestKey, assert_invalid_token, describe, jwks, jwks_mock, k1_header,
    k1_jwks, settings_for, sign, spawn_api, spawn_with_fake_idp,
};

async fn mount_jwks(idp: &FakeIdp, response: ResponseTemplate) {
    jwks_mock(response).mount(&idp.server).await;
}

async fn assert_unavailable(response: reqwest::Response) {
    let d = describe(response).await;
    assert_eq!(d["status"], 503, "{d:#}");
    assert!(
        d["retry-after"].as_str().unwrap().parse::<u64>().unwrap() >= 1,
        "{d:#}"
    );
    assert_eq!(d["body"]["error"], "temporarily_unavailable", "{d:#}");
}

#[tokio::test]
async fn fetches_the_jwks_once_for_a_burst_of_cold_requests() {
    // Arrange
    let idp = FakeIdp::without_jwks().await;
    jwks_mock(k1_jwks().set_delay(Duration::from_millis(100)))
        .expect(1)
        .mount(&idp.server)
        .await;
    let api = spawn_api(settings_for(&idp.issuer)).await;
    let token = idp.token();

    // Act
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let request = api
            .client
            .get(format!("{}/api/private", api.address))
            .bearer_auth(&token);
        requests.spawn(async move { request.send().await.unwrap().status() });
    }
    let statuses = requests.join_all().await;

    // Assert
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(api.jwks_fetch_attempts(), 1);
}

#[tokio::test]
async fn serves_later_requests_from_the_cache() {
    // Arrange
    let idp = FakeIdp::without_jwks().await;
    jwks_mock(k1_jwks()).expect(1).mount(&idp.server).await;
    let api = spawn_api(settings_for(&idp.issuer)).await;
    let token = idp.token();

    // Act
    for _ in 0..200 {
        assert_eq!(api.status("/api/private", &token).await, 200);
    }

    // Assert: the mock's expect(1) is verified on drop
}

#[tokio::test]
async fn refetches_at_most_once_per_cool_down_under_an_unknown_kid_storm() {
    // Arrange
    let (idp, api) = spawn_with_fake_idp().await;
    assert_eq!(api.status("/api/private", &idp.token()).await, 200);
    api.clock.advance(Duration::from_secs(31));

    // Act
    for i in 0..300 {
        let header = json!({"alg":"RS256","typ":"JWT","kid": format!("random-{i}")});
        let token = sign(&header, &idp.claims(), TestKey::Attacker);
        api.assert_rejects(&token, "unknown signing key").await;
    }

    // Assert: the first fetch, plus one refetch for the whole storm
    assert_eq!(idp.jwks_requests().await, 2);
    assert_eq!(api.status("/api/private", &idp.token()).await, 200);
}

#[tokio::test]
async fn answers_503_with_retry_after_when_the_jwks_fails_on_cold_start() {
    for broken in [
        ResponseTemplate::new(500),
        ResponseTemplate::new(404),
        ResponseTemplate::new(200).set_body_string("<html>oops</html>"),
        ResponseTemplate::new(200).set_body_json(json!({"keys": []})),
        ResponseTemplate::new(200).set_body_json(json!({"keys": "x"})),
        ResponseTemplate::new(200).set_body_json(jwks(&[(TestKey::Weak1024, "k1")])),
        ResponseTemplate::new(301).insert_header("location", "http://127.0.0.1:9/jwks"),
    ] {
        // Arrange
        let idp = FakeIdp::without_jwks().await;
        mount_jwks(&idp, broken).await;
        let api = spawn_api(settings_for(&idp.issuer)).await;

        // Act
        let response = api.get_with_token("/api/private", &idp.token()).await;

        // Assert
        assert_unavailable(response).await;
    }
}

#[tokio::test]
async fn refuses_a_jwks_larger_than_one_mebibyte() {
    // Arrange
    let idp = FakeIdp::without_jwks().await;
    let mut body = jwks(&[(TestKey::K1, "k1")]);
    body["padding"] = json!("x".repeat(2 * 1024 * 1024));
    mount_jwks(&idp, ResponseTemplate::new(200).set_body_json(body)).await;
    let api = spawn_api(settings_for(&idp.issuer)).await;

    // Act
    let response = api.get_with_token("/api/private", &idp.token()).await;

    // Assert
    assert_unavailable(response).await;
}

#[tokio::test]
async fn gives_up_on_a_hanging_jwks_within_the_fetch_timeout() {
    // Arrange
    let idp = FakeIdp::without_jwks().await;
    mount_jwks(&idp, k1_jwks().set_delay(Duration::from_secs(30))).await;
    let api = spawn_api(settings_for(&idp.issuer)).await; // 500 ms timeout
    let started = std::time::Instant::now();

    // Act
    let response = api.get_with_token("/api/private", &idp.token()).await;

    // Assert
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_unavailable(response).await;
}

#[tokio::test]
async fn answers_503_when_the_idp_is_not_listening_at_all() {
    // Arrange: an issuer whose port nobody listens on
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://127.0.0.1:{}/", closed.local_addr().unwrap().port());
    drop(closed);
    let api = spawn_api(settings_for(&issuer)).await;
    let idp = FakeIdp::start().await;
    let token = idp.token();

    // Act
    let response = api.get_with_token("/api/private", &token).await;

    // Assert
    assert_unavailable(response).await;
}

#[tokio::test]
async fn recovers_after_the_cool_down_once_the_idp_is_back() {
    // Arrange: the JWKS fails once, then works
    let idp = FakeIdp::without_jwks().await;
    jwks_mock(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&idp.server)
        .await;
    mount_jwks(&idp, k1_jwks()).await;
    let api = spawn_api(settings_for(&idp.issuer)).await;
    let token = idp.token();
    assert_eq!(api.status("/api/private", &token).await, 503);

    // Act: within the cool-down the IdP is not asked again; after it, it is
    let within = api.get_with_token("/api/private", &token).await;
    api.clock.advance(Duration::from_secs(31));
    let after = api.get_with_token("/api/private", &token).await;

    // Assert
    assert_eq!(within.status(), 503);
    assert_eq!(after.status(), 200);
    assert_eq!(idp.jwks_requests().await, 2);
}

#[tokio::test]
async fn keeps_serving_cached_keys_while_the_idp_is_down() {
    // Arrange
    let idp = FakeIdp::without_jwks().await;
    jwks_mock(k1_jwks())
        .up_to_n_times(1)
        .mount(&idp.server)
        .await;
    mount_jwks(&idp, ResponseTemplate::new(500)).await;
    let api = spawn_api(settings_for(&idp.issuer)).await;
    let token = idp.token();
    assert_eq!(api.status("/api/private", &token).await, 200);

    // Act: within the TTL, then past it (stale, refreshed in the background, which fails)
    let within_ttl = api.get_with_token("/api/private", &token).await;
    api.clock.advance(Duration::from_secs(11 * 60));
    let past_ttl = api.get_with_token("/api/private", &token).await;
    let past_ttl_again = api.get_with_token("/api/private", &token).await;

    // Assert
    assert_eq!(within_ttl.status(), 200);
    assert_eq!(past_ttl.status(), 200);
    assert_eq!(past_ttl_again.status(), 200);
}

#[tokio::test]
async fn stops_accepting_keys_once_they_are_too_stale_to_trust() {
    // Arrange: one good fetch, then the IdP is down for good
    let idp = FakeIdp::without_jwks().await;
    jwks_mock(k1_jwks())
        .up_to_n_times(1)
        .mount(&idp.server)
        .await;
    mount_jwks(&idp, ResponseTemplate::new(500)).await;
    let api = spawn_api(settings_for(&idp.issuer)).await;
    let token = idp.token();
    assert_eq!(api.status("/api/private", &token).await, 200);

    // Act: TTL (10 min) + maximum staleness (1 h) later
    api.clock.advance(Duration::from_secs(71 * 60));
    let response = api.get_with_token("/api/private", &token).await;

    // Assert
    assert_unavailable(response).await;
}

#[tokio::test]
async fn drops_a_key_removed_from_the_jwks_after_the_ttl() {
    // Arrange: K1 is published once, then only K2
    let idp = FakeIdp::without_jwks().await;
    jwks_mock(k1_jwks())
        .up_to_n_times(1)
        .mount(&idp.server)
        .await;
    mount_jwks(
        &idp,
        ResponseTemplate::new(200).set_body_json(jwks(&[(TestKey::K2, "k2")])),
    )
    .await;
    let api = spawn_api(settings_for(&idp.issuer)).await;
    let token = idp.token();
    assert_eq!(api.status("/api/private", &token).await, 200);

    // Act: past the TTL the stale key serves while the background refresh runs
    api.clock.advance(Duration::from_secs(11 * 60));
    let stale = api.get_with_token("/api/private", &token).await;
    wait_for(|| async { api.jwks_fetch_attempts() >= 2 }).await;
    wait_for(|| async { api.get_with_token("/api/private", &token).await.status() == 401 }).await;

    // Assert
    assert_eq!(stale.status(), 200);
    api.assert_rejects(&token, "unknown signing key").await;
    assert_eq!(idp.jwks_requests().await, 2);
}

#[tokio::test]
async fn refuses_to_start_when_discovery_names_another_issuer() {
    // Arrange: discovery says the issuer has no trailing slash
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": server.uri(),
            "jwks_uri": format!("{}{JWKS_PATH}", server.uri()),
        })))
        .mount(&server)
        .await;

    // Act
    let result =
        sample_api::startup::Application::build(settings_for(&format!("{}/", server.uri()))).await;

    // Assert
    let error = result.expect_err("started with a mismatched issuer");
    assert!(
        error
            .to_string()
            .contains("discovery document names issuer"),
        "{error}"
    );
}

#[tokio::test]
async fn never_follows_a_jku_header() {
    // Arrange: an attacker serving their own JWKS
    let idp = FakeIdp::start().await;
    let attacker = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[(TestKey::Attacker, "k1")])))
        .mount(&attacker)
        .await;
    let api = spawn_api(settings_for(&idp.issuer)).await;
    let mut tokens = Vec::new();
    for (name, value) in [
        ("jku", json!(format!("{}/jwks.json", attacker.uri()))),
        ("x5u", json!(format!("{}/cert.pem", attacker.uri()))),
        ("jwk", TestKey::Attacker.jwk("k1")),
    ] {
        let mut header = k1_header();
        header[name] = value;
        tokens.push(sign(&header, &idp.claims(), TestKey::Attacker));
    }

    // Act
    for token in tokens {
        api.assert_rejects(&token, "invalid signature").await;
    }

    // Assert
    assert!(attacker.received_requests().await.unwrap().is_empty());
}

/// Polls `condition` for up to 5 s (for a background refresh; no fixed sleeps).
async fn wait_for<F, Fut>(condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !condition().await {
        assert!(
            std::time::Instant::now() < deadline,
            "condition not met in 5 s"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn ignores_jwks_entries_whose_algorithm_use_or_type_do_not_match() {
    // Arrange: "k1" is published, but as an RS512 key, an encryption key, or an EC key
    for (field, value) in [
        ("alg", json!("RS512")),
        ("use", json!("enc")),
        ("kty", json!("EC")),
    ] {
        let idp = FakeIdp::without_jwks().await;
        let mut k1 = TestKey::K1.jwk("k1");
        k1[field] = value.clone();
        let body = json!({"keys": [k1, TestKey::K2.jwk("k2")]});
        mount_jwks(&idp, ResponseTemplate::new(200).set_body_json(body)).await;
        let api = spawn_api(settings_for(&idp.issuer)).await;

        // Act
        let response = api.get_with_token("/api/private", &idp.token()).await;

        // Assert
        assert_invalid_token(response, "unknown signing key").await;
    }
}
