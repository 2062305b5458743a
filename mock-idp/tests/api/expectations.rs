//! Expectations verified on drop, in wiremock's shape: `idp.expect(..).times(1)`, checked when
//! the mock (or a scoped guard) drops, or on `idp.verify()`. The panic text is an API, pinned
//! here.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mock_idp::{Endpoint, MockIdp};

use crate::helpers::{client, client_credentials, password_grant};

async fn get_jwks(idp: &MockIdp) {
    let response = client().get(idp.jwks_uri()).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

/// The panic message of `f`, which must panic with a string.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => (*payload.downcast::<&str>().expect("a string payload")).to_owned(),
    }
}

#[tokio::test]
async fn a_met_expectation_passes_silently_when_the_mock_drops() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Jwks)
        .times(1)
        .named("the API caches the JWKS");

    // Act
    get_jwks(&idp).await;

    // Assert: verified on drop, without a panic.
}

#[tokio::test]
#[should_panic(
    expected = "mock-idp: 1 expectation not met:\n- the API fetches the JWKS (Jwks): wanted at least 1, got 0\n"
)]
async fn an_unmet_expectation_panics_when_the_mock_drops() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Jwks).named("the API fetches the JWKS");

    // Act: nothing fetches it.

    // Assert: verified on drop.
}

#[tokio::test]
async fn the_report_names_each_failure_what_it_wanted_what_it_got_and_the_matching_requests() {
    // Arrange
    let idp = MockIdp::start().await;
    let (file, line) = (file!(), line!());
    idp.expect(Endpoint::Jwks)
        .times(1)
        .named("the API caches the JWKS");
    idp.expect(Endpoint::Token).grant("client_credentials");
    idp.expect(Endpoint::Health).at_most(5);
    idp.expect(Endpoint::Token)
        .client("sample-spa")
        .at_least(1)
        .at_most(3);

    // Act
    get_jwks(&idp).await;
    get_jwks(&idp).await;
    for _ in 0..4 {
        password_grant(&idp, "alice@example.com", "openid").await;
    }

    // Assert
    let message = panic_message(|| drop(idp));
    assert_eq!(
        message,
        format!(
            "mock-idp: 3 expectations not met:\n\
             - the API caches the JWKS (Jwks): wanted exactly 1, got 2\n\
             \x20   GET /.well-known/jwks.json -> 200\n\
             \x20   GET /.well-known/jwks.json -> 200\n\
             \x20   (registered at {file}:{})\n\
             - Token with grant client_credentials: wanted at least 1, got 0\n\
             \x20   (registered at {file}:{})\n\
             - Token with client sample-spa: wanted between 1 and 3, got 4\n\
             \x20   POST /oauth/token -> 200 (grant password, client sample-spa)\n\
             \x20   POST /oauth/token -> 200 (grant password, client sample-spa)\n\
             \x20   POST /oauth/token -> 200 (grant password, client sample-spa)\n\
             \x20   POST /oauth/token -> 200 (grant password, client sample-spa)\n\
             \x20   (registered at {file}:{})\n",
            line + 1,
            line + 4,
            line + 6,
        )
    );
    assert!(!message.contains("password\""), "no secrets in the report");
}

#[tokio::test]
async fn the_report_keeps_the_last_twenty_matching_requests() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Jwks).times(1);

    // Act
    for _ in 0..25 {
        get_jwks(&idp).await;
    }

    // Assert
    let message = panic_message(|| drop(idp));
    assert!(
        message.contains("- Jwks: wanted exactly 1, got 25\n    (5 earlier not shown)\n"),
        "{message}"
    );
    assert_eq!(message.matches("GET /.well-known/jwks.json").count(), 20);
}

#[tokio::test]
#[should_panic(expected = "- Jwks: wanted at most 1, got 2\n")]
async fn exceeding_at_most_panics_when_the_mock_drops() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Jwks).at_most(1);

    // Act
    get_jwks(&idp).await;
    get_jwks(&idp).await;

    // Assert: verified on drop.
}

#[tokio::test]
async fn verify_panics_at_once_for_an_unmet_expectation() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Jwks).named("the API fetches the JWKS");

    // Act
    let message = panic_message(|| idp.verify());

    // Assert
    assert_eq!(
        message.lines().nth(1),
        Some("- the API fetches the JWKS (Jwks): wanted at least 1, got 0")
    );
    get_jwks(&idp).await; // met now, so the drop passes
}

#[tokio::test]
#[should_panic(expected = "- Jwks: wanted at most 1, got 2\n")]
async fn verify_does_not_consume_expectations_so_the_drop_checks_them_again() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Jwks).at_most(1);

    // Act
    get_jwks(&idp).await;
    idp.verify();
    get_jwks(&idp).await;

    // Assert: met at `verify`, exceeded by the drop.
}

#[tokio::test]
#[should_panic(expected = "mock-idp: an expectation cannot want at least 3 and at most 1 requests")]
async fn refuses_a_range_no_count_can_meet() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    idp.expect(Endpoint::Jwks).at_least(3).at_most(1);

    // Assert: panics at once.
}

#[tokio::test]
async fn counts_only_requests_received_after_the_expectation_was_registered() {
    // Arrange
    let idp = MockIdp::start().await;
    get_jwks(&idp).await;
    idp.expect(Endpoint::Jwks).times(1);

    // Act
    get_jwks(&idp).await;

    // Assert
    idp.verify();
}

#[tokio::test]
async fn counts_every_request_even_after_the_journal_wraps() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Health).times(1_005);
    let http = client();

    // Act
    for _ in 0..1_005 {
        http.get(idp.url("/health")).send().await.unwrap();
    }

    // Assert
    assert_eq!(idp.received_requests().len(), 1_000, "the journal wrapped");
    idp.verify();
}

#[tokio::test]
async fn a_reset_keeps_expectations_and_their_counts() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Jwks).times(3);

    // Act
    get_jwks(&idp).await;
    idp.reset();
    get_jwks(&idp).await;
    let reset = client()
        .post(idp.url("/_mock/reset"))
        .header("x-mock-idp", "1")
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    get_jwks(&idp).await;

    // Assert
    let journal: Vec<Endpoint> = idp.received_requests().iter().map(|r| r.endpoint).collect();
    assert_eq!(
        journal,
        [Endpoint::Control, Endpoint::Jwks],
        "the journal was reset"
    );
    idp.verify();
}

#[tokio::test]
async fn filters_token_requests_by_grant() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Token)
        .grant("client_credentials")
        .times(1);
    idp.expect(Endpoint::Token).grant("password").times(2);

    // Act
    client_credentials(&idp).await;
    password_grant(&idp, "alice@example.com", "openid").await;
    password_grant(&idp, "bob@example.com", "openid").await;

    // Assert
    idp.verify();
}

#[tokio::test]
async fn filters_token_requests_by_client() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Token).client("sample-m2m").times(2);
    idp.expect(Endpoint::Token)
        .client("sample-spa")
        .grant("password")
        .times(1);

    // Act
    client_credentials(&idp).await;
    client_credentials(&idp).await;
    password_grant(&idp, "alice@example.com", "openid").await;

    // Assert
    idp.verify();
}

#[tokio::test]
#[should_panic(
    expected = "mock-idp: 1 expectation not met:\n- Token with grant client_credentials: wanted at least 1, got 0\n"
)]
async fn an_unmet_scoped_expectation_panics_when_its_guard_drops() {
    // Arrange
    let idp = MockIdp::start().await;
    let guard = idp
        .expect(Endpoint::Token)
        .grant("client_credentials")
        .scoped();

    // Act: no token request.

    // Assert
    drop(guard);
}

#[tokio::test]
async fn a_scoped_expectation_is_checked_by_its_guard_and_not_by_the_mock() {
    // Arrange
    let idp = MockIdp::start().await;
    let guard = idp.expect(Endpoint::Jwks).times(1).scoped();

    // Act
    idp.verify();
    let mock_drop = catch_unwind(AssertUnwindSafe(|| drop(idp)));
    let guard_drop = panic_message(|| drop(guard));

    // Assert
    assert!(
        mock_drop.is_ok(),
        "the mock does not check a scoped expectation"
    );
    assert!(
        guard_drop.contains("- Jwks: wanted exactly 1, got 0\n"),
        "{guard_drop}"
    );
}

#[tokio::test]
async fn a_met_scoped_expectation_passes_silently_and_stops_counting() {
    // Arrange
    let idp = MockIdp::start().await;

    // Act
    {
        let _guard = idp.expect(Endpoint::Jwks).times(1).scoped();
        get_jwks(&idp).await;
    }
    get_jwks(&idp).await;

    // Assert: neither drop panicked.
}

#[tokio::test]
async fn does_not_panic_again_when_the_test_is_already_panicking() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Jwks).named("never met");
    let guard = idp.expect(Endpoint::Token).scoped();

    // Act: the test fails while both are in scope; a second panic would abort the process.
    let message = panic_message(move || {
        let _idp = idp;
        let _guard = guard;
        panic!("the test's own failure");
    });

    // Assert
    assert_eq!(message, "the test's own failure");
}

/// Each response the test has received has been counted, with no wait: the journal records
/// before the response is written.
async fn counts_each_request_by_the_time_its_response_arrives() {
    // Arrange
    let idp = MockIdp::start().await;
    let mut expectation = idp.expect(Endpoint::Jwks).times(0);

    for n in 1..=50 {
        // Act
        get_jwks(&idp).await;

        // Assert
        expectation = expectation.times(n);
        idp.verify();
    }
}

async fn panics_at_drop_for_an_unmet_expectation() {
    // Arrange
    let idp = MockIdp::start().await;
    idp.expect(Endpoint::Jwks).times(2);

    // Act
    get_jwks(&idp).await;

    // Assert: verified on drop.
}

#[tokio::test(flavor = "current_thread")]
async fn counts_each_request_by_the_time_its_response_arrives_on_a_current_thread_runtime() {
    counts_each_request_by_the_time_its_response_arrives().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn counts_each_request_by_the_time_its_response_arrives_on_a_multi_thread_runtime() {
    counts_each_request_by_the_time_its_response_arrives().await;
}

#[tokio::test(flavor = "current_thread")]
#[should_panic(
    expected = "- Jwks: wanted exactly 2, got 1\n    GET /.well-known/jwks.json -> 200\n"
)]
async fn panics_at_drop_on_a_current_thread_runtime() {
    panics_at_drop_for_an_unmet_expectation().await;
}

#[tokio::test(flavor = "multi_thread")]
#[should_panic(
    expected = "- Jwks: wanted exactly 2, got 1\n    GET /.well-known/jwks.json -> 200\n"
)]
async fn panics_at_drop_on_a_multi_thread_runtime() {
    panics_at_drop_for_an_unmet_expectation().await;
}
