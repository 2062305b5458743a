//! Catalog 1C/1D with the mock IdP's negative-token builders.

use std::time::Duration;

use mock_idp::MockIdp;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn rejects_an_unsigned_alg_none_token() {
    // The empty signature segment already fails the shape check, before `alg` is read.
    let app = spawn_app().await;
    let token = app.idp.token().alg_none().sign();
    app.assert_rejects(&token, "malformed token").await;
}

#[tokio::test]
async fn rejects_alg_none_in_any_case() {
    let app = spawn_app().await;
    for alg in ["None", "NONE", "nOnE"] {
        let unsigned = app.idp.token().alg_none().header("alg", alg).sign();
        let with_garbage_signature = format!("{unsigned}Z2FyYmFnZQ");
        app.assert_rejects(&unsigned, "malformed token").await;
        app.assert_rejects(&with_garbage_signature, "unsupported signing algorithm")
            .await;
    }
}

#[tokio::test]
async fn rejects_hs256_keyed_with_the_public_key() {
    let app = spawn_app().await;
    let token = app.idp.token().hs256_with_public_key().sign();
    app.assert_rejects(&token, "unsupported signing algorithm")
        .await;
}

#[tokio::test]
async fn rejects_a_token_signed_by_a_foreign_key_with_the_active_kid() {
    let app = spawn_app().await;
    let token = app.idp.token().signed_by_foreign_key().sign();
    app.assert_rejects(&token, "invalid signature").await;
}

#[tokio::test]
async fn rejects_an_unknown_kid() {
    let app = spawn_app().await;
    let token = app.idp.token().unknown_kid().sign();
    app.assert_rejects(&token, "unknown signing key").await;
}

#[tokio::test]
async fn rejects_a_token_without_kid() {
    let app = spawn_app().await;
    let token = app.idp.token().without_kid().sign();
    app.assert_rejects(&token, "unknown signing key").await;
}

#[tokio::test]
async fn rejects_injected_kids() {
    let app = spawn_app().await;
    let kid = app.idp.active_kid();
    for injected in [
        "../../../../dev/null".to_owned(),
        format!("{kid}' OR '1'='1"),
        format!("{kid}\u{0}"),
        kid.to_uppercase(),
        format!(" {kid}"),
    ] {
        let token = app.idp.token().kid(injected.clone()).sign();
        app.assert_rejects(&token, "unknown signing key").await;
    }
}

#[tokio::test]
async fn rejects_a_non_string_kid() {
    let app = spawn_app().await;
    for kid in [json!(1), json!({}), json!([app.idp.active_kid()])] {
        let token = app.idp.token().header("kid", kid).sign();
        assert_eq!(app.status("/api/private", &token).await, 401);
    }
}

#[tokio::test]
async fn ignores_a_jku_header_and_never_calls_it() {
    // Arrange: the token is genuinely signed; jku points at a JWKS the API must not fetch
    let app = spawn_app().await;
    let elsewhere = MockIdp::builder().fresh_keys().start().await;
    let token = app
        .idp
        .token()
        .header("jku", elsewhere.jwks_uri())
        .header("x5u", elsewhere.url("/cert"))
        .sign();

    // Act
    let response = app.get_with_token("/api/private", &token).await;

    // Assert: accepted on the configured JWKS alone, and nobody called `elsewhere`
    assert_eq!(response.status(), 200);
    assert!(elsewhere.received_requests().is_empty());
}

#[tokio::test]
async fn rejects_a_foreign_token_carrying_a_jku_to_its_own_jwks() {
    let app = spawn_app().await;
    let attacker = MockIdp::builder().fresh_keys().start().await;
    let token = attacker
        .token()
        .issuer(app.idp.issuer())
        .kid(app.idp.active_kid())
        .header("jku", attacker.jwks_uri())
        .sign();
    app.assert_rejects(&token, "invalid signature").await;
    assert!(attacker.received_requests().is_empty());
}

#[tokio::test]
async fn rejects_critical_headers() {
    let app = spawn_app().await;
    for crit in [json!(["exp"]), json!(["urn:x"]), json!([])] {
        let token = app.idp.token().header("crit", crit).sign();
        app.assert_rejects(&token, "unsupported token header").await;
    }
}

#[tokio::test]
async fn rejects_the_wrong_issuer_in_every_near_miss() {
    let app = spawn_app().await;
    let issuer = app.idp.issuer().to_owned();
    let port = app.idp.address().port();
    for wrong in [
        issuer.trim_end_matches('/').to_owned(),
        format!("{issuer}/"),
        issuer.replace("http://", "https://"),
        issuer.replace("localhost", "LOCALHOST"),
        format!("http://127.0.0.1:{port}/"),
        format!("{issuer}tenant2/"),
        "http://evil/".to_owned(),
    ] {
        let token = app.idp.token().issuer(wrong.clone()).sign();
        app.assert_rejects(&token, "unexpected issuer").await;
    }
}

#[tokio::test]
async fn rejects_a_missing_issuer() {
    let app = spawn_app().await;
    let token = app.idp.token().without_claim("iss").sign();
    assert_eq!(app.status("/api/private", &token).await, 401);
}

#[tokio::test]
async fn rejects_a_token_for_another_audience() {
    let app = spawn_app().await;
    for token in [
        app.idp.token().audience("https://other-api").sign(),
        app.idp.token().audiences(["https://other-api"]).sign(),
        app.idp.token().audience("https://sample-api/").sign(),
    ] {
        app.assert_rejects(&token, "unexpected audience").await;
    }
    let token = app.idp.token().without_claim("aud").sign();
    assert_eq!(app.status("/api/private", &token).await, 401);
}

#[tokio::test]
async fn rejects_an_expired_token() {
    let app = spawn_app().await;
    let token = app.idp.token().expired().sign();
    app.assert_rejects(&token, "token expired").await;
}

#[tokio::test]
async fn rejects_a_token_minted_by_a_mock_whose_clock_ran_ahead_past_expiry() {
    // The mock's movable clock: it mints at "now + 2 days", so exp/iat are in the future,
    // and the API, on real time, refuses a token issued in the future.
    let app = spawn_app().await;
    app.idp.clock().advance(Duration::from_secs(2 * 86_400));
    let token = app.idp.token().sign();
    app.assert_rejects(&token, "token not yet valid").await;
}

#[tokio::test]
async fn rejects_a_token_not_valid_before_a_future_time() {
    let app = spawn_app().await;
    let token = app
        .idp
        .token()
        .not_before_in(Duration::from_secs(120))
        .sign();
    app.assert_rejects(&token, "token not yet valid").await;
}

#[tokio::test]
async fn rejects_a_token_without_exp() {
    let app = spawn_app().await;
    let token = app.idp.token().without_claim("exp").sign();
    app.assert_rejects(&token, "missing or invalid claims")
        .await;
}

#[tokio::test]
async fn rejects_string_typed_exp_and_nbf() {
    // CVE-2026-25537 regression
    let app = spawn_app().await;
    for (claim, value) in [("exp", "9999999999"), ("nbf", "99999999999")] {
        let token = app.idp.token().claim(claim, value).sign();
        app.assert_rejects(&token, "missing or invalid claims")
            .await;
    }
}

#[tokio::test]
async fn rejects_an_id_token_used_as_an_access_token() {
    let app = spawn_app().await;
    let token = app.idp.token().id_token().sign();
    app.assert_rejects(&token, "unexpected audience").await;
}

#[tokio::test]
async fn rejects_a_token_from_a_second_tenant() {
    // Arrange: another IdP with its own key and its own issuer
    let app = spawn_app().await;
    let other = MockIdp::builder().fresh_keys().start().await;

    // Act
    let own_kid = other.token().sign();
    let colliding_kid = other.token().kid(app.idp.active_kid()).sign();
    let colliding_kid_and_issuer = other
        .token()
        .kid(app.idp.active_kid())
        .issuer(app.idp.issuer())
        .sign();

    // Assert
    assert_eq!(app.status("/api/private", &own_kid).await, 401);
    assert_eq!(app.status("/api/private", &colliding_kid).await, 401);
    app.assert_rejects(&colliding_kid_and_issuer, "invalid signature")
        .await;
}

#[tokio::test]
async fn rejects_a_token_whose_subject_is_missing() {
    let app = spawn_app().await;
    let token = app.idp.token().without_claim("sub").sign();
    assert_eq!(app.status("/api/private", &token).await, 401);
}
