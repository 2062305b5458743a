//! Catalog 1E with the mock IdP: rotation without restart, retirement, single flight, and
//! outages made with the mock's fault injection.

use std::time::Duration;

use mock_idp::Endpoint;

use crate::helpers::{assert_invalid_token, describe, spawn_app};

const PAST_COOL_DOWN: Duration = Duration::from_secs(31);
const PAST_TTL: Duration = Duration::from_secs(11 * 60);

#[tokio::test]
async fn accepts_tokens_from_a_rotated_key_without_restart() {
    // Arrange: the API has cached the JWKS with the first key
    let app = spawn_app().await;
    let old_token = app.idp.token().sign();
    assert_eq!(app.status("/api/private", &old_token).await, 200);

    // Act: the IdP rotates; a token with the new kid arrives after the cool-down
    app.idp.rotate_keys();
    let new_token = app.idp.token().sign();
    app.clock.advance(PAST_COOL_DOWN);
    let new = app.get_with_token("/api/private", &new_token).await;
    let old = app.get_with_token("/api/private", &old_token).await;

    // Assert: one refetch learned the new key; the old one still verifies
    assert_eq!(new.status(), 200);
    assert_eq!(old.status(), 200);
    assert_eq!(app.jwks_requests(), 2);
}

#[tokio::test]
async fn waits_for_the_cool_down_before_refetching_for_a_new_kid() {
    // Pinned policy (catalog E6): within the cool-down a new kid is a 401, after it a 200.
    let app = spawn_app().await;
    assert_eq!(
        app.status("/api/private", &app.idp.token().sign()).await,
        200
    );
    app.idp.rotate_keys();
    let new_token = app.idp.token().sign();

    let within = app.get_with_token("/api/private", &new_token).await;
    app.clock.advance(PAST_COOL_DOWN);
    let after = app.get_with_token("/api/private", &new_token).await;

    assert_invalid_token(within, "unknown signing key").await;
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn stops_accepting_a_retired_key_after_the_ttl() {
    // Arrange
    let app = spawn_app().await;
    let old_token = app.idp.token().sign();
    assert_eq!(app.status("/api/private", &old_token).await, 200);
    app.idp.rotate_keys();
    app.idp.retire_keys();

    // Act: before the TTL the cached key still verifies; after it, the refresh drops it
    let before_ttl = app.get_with_token("/api/private", &old_token).await;
    app.clock.advance(PAST_TTL);
    let _stale = app.get_with_token("/api/private", &old_token).await;
    let mut after = app.get_with_token("/api/private", &old_token).await;
    for _ in 0..200 {
        if after.status() == 401 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        after = app.get_with_token("/api/private", &old_token).await;
    }

    // Assert
    assert_eq!(before_ttl.status(), 200);
    assert_invalid_token(after, "unknown signing key").await;
    let new_token = app.idp.token().sign();
    assert_eq!(app.status("/api/private", &new_token).await, 200);
}

#[tokio::test]
async fn fetches_the_jwks_once_for_concurrent_cold_requests() {
    // Arrange: a slow JWKS so that every request arrives while the first fetch is running
    let app = spawn_app().await;
    app.idp
        .fault(Endpoint::Jwks)
        .delay(Duration::from_millis(200))
        .times(1)
        .install();
    let token = app.idp.token().sign();

    // Act
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let request = app
            .client
            .get(format!("{}/api/private", app.address))
            .bearer_auth(&token);
        requests.spawn(async move { request.send().await.unwrap().status() });
    }
    let statuses = requests.join_all().await;

    // Assert
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.jwks_requests(), 1);
}

#[tokio::test]
async fn limits_refetches_under_a_storm_of_unknown_kids() {
    let app = spawn_app().await;
    assert_eq!(
        app.status("/api/private", &app.idp.token().sign()).await,
        200
    );
    app.clock.advance(PAST_COOL_DOWN);

    for i in 0..500 {
        let token = app
            .idp
            .token()
            .signed_by_foreign_key()
            .kid(format!("random-{i}"))
            .sign();
        assert_eq!(app.status("/api/private", &token).await, 401);
    }

    assert_eq!(app.jwks_requests(), 2);
}

#[tokio::test]
async fn answers_503_when_the_jwks_fails_on_cold_start_then_recovers() {
    // Arrange
    let app = spawn_app().await;
    app.idp.fail_next(Endpoint::Jwks, 503);
    let token = app.idp.token().sign();

    // Act
    let during = describe(app.get_with_token("/api/private", &token).await).await;
    app.clock.advance(PAST_COOL_DOWN);
    let after = app.get_with_token("/api/private", &token).await;

    // Assert
    assert_eq!(during["status"], 503, "{during:#}");
    assert!(
        during["retry-after"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn answers_503_when_the_jwks_is_slower_than_the_fetch_timeout() {
    let app = spawn_app().await;
    app.idp
        .fault(Endpoint::Jwks)
        .delay(Duration::from_secs(3))
        .install();
    let token = app.idp.token().sign();

    let started = std::time::Instant::now();
    let response = app.get_with_token("/api/private", &token).await;

    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(2));
    app.idp.clear_faults();
}

#[tokio::test]
async fn keeps_serving_cached_keys_through_an_idp_outage() {
    // Arrange
    let app = spawn_app().await;
    let token = app.idp.token().sign();
    assert_eq!(app.status("/api/private", &token).await, 200);

    // Act: every JWKS request fails from now on, and the cache goes past its TTL
    app.idp.fault(Endpoint::Jwks).status(500).install();
    app.clock.advance(PAST_TTL);
    let statuses: Vec<u16> = futures_statuses(&app, &token, 20).await;

    // Assert
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

#[tokio::test]
async fn answers_503_when_discovery_is_down_on_cold_start() {
    // The API started fine (discovery answered), but the mock now fails discovery and the
    // API never learned the jwks_uri because it is a fresh API.
    let app = spawn_app().await;
    app.idp.fault(Endpoint::Discovery).status(500).install();
    let api = crate::helpers::spawn_api(crate::helpers::settings_for(app.idp.issuer())).await;

    let response = api
        .get_with_token("/api/private", &app.idp.token().sign())
        .await;

    assert_eq!(response.status(), 503);
}

async fn futures_statuses(app: &crate::helpers::TestApp, token: &str, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(
            app.get_with_token("/api/private", token)
                .await
                .status()
                .as_u16(),
        );
    }
    statuses
}
