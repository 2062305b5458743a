//! `MockIdp::start()` hands out pooled servers (mock::pool): a test must still get a fresh
//! mock, with nothing of the previous user of its server.

use std::time::Duration;

use mock_idp::{Endpoint, MockIdp, User};

use crate::helpers::{AuthRequest, Browser, Pkce, client, header, location, query_of, token_form};

/// Leaves its mark on every part of a mock's state: a user, a session, a fault, a clock move,
/// a rotated key, a met expectation and journal entries.
async fn use_every_kind_of_state(idp: &MockIdp) {
    idp.upsert_user(User::new("carol@example.com").password("hunter2"));
    Browser::new(idp).sign_in("alice@example.com").await;
    assert_eq!(idp.sessions().len(), 1);
    idp.expect(Endpoint::Jwks).times(1);
    client().get(idp.jwks_uri()).send().await.unwrap();
    idp.fault(Endpoint::Jwks).status(503).install();
    idp.clock().advance(Duration::from_secs(86_400));
    idp.rotate_keys();
}

/// Starts mocks until one lands on `address` again; tests run in parallel and may take it.
async fn start_on(address: std::net::SocketAddr) -> Option<MockIdp> {
    start_like_on(address, MockIdp::start).await
}

/// [`start_on`] with mocks from `start`.
async fn start_like_on<F, Fut>(address: std::net::SocketAddr, start: F) -> Option<MockIdp>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = MockIdp>,
{
    // Held until the end, so that each try takes another server.
    let mut others = Vec::new();
    for _ in 0..50 {
        let idp = start().await;
        if idp.address() == address {
            return Some(idp);
        }
        others.push(idp);
    }
    None
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn the_next_mock_on_a_pooled_server_has_nothing_of_the_previous_one() {
    the_next_mock_has_nothing_of_the_previous_one(MockIdp::start).await;
}

#[tokio::test]
async fn the_next_mock_with_the_same_configuration_has_nothing_of_the_previous_one() {
    // A configured mock after an equal one renews the engine, as a plain start does.
    let configured = || {
        MockIdp::builder()
            .user(User::new("dave@example.com"))
            .client(mock_idp::Client::m2m("dave-m2m", "dave-secret"))
            .start()
    };
    let next = the_next_mock_has_nothing_of_the_previous_one(configured).await;
    assert_eq!(password_grant_as(&next, "dave@example.com").await.0, 200);
}

/// Leaves every kind of state on a mock from `start`, drops it, and checks the next mock
/// from `start` that lands on its server; returns that one.
async fn the_next_mock_has_nothing_of_the_previous_one<F, Fut>(start: F) -> MockIdp
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = MockIdp>,
{
    // Arrange: a mock whose every part of state was used, then dropped.
    let first = start().await;
    let address = first.address();
    let fresh_kid = first.active_kid();
    use_every_kind_of_state(&first).await;
    let now = unix_now();
    drop(first);

    // Act
    let next = start_like_on(address, start)
        .await
        .expect("a dropped mock's server is handed out again");

    // Assert
    assert!(next.received_requests().is_empty(), "no journal entry");
    assert!(next.sessions().is_empty(), "no session");
    assert!(
        (next.clock().now() - now).abs() < 3_600,
        "the clock was not moved"
    );
    assert_eq!(next.active_kid(), fresh_kid, "no rotated key");
    assert_eq!(next.jwks()["keys"].as_array().unwrap().len(), 1);
    let jwks = client().get(next.jwks_uri()).send().await.unwrap();
    assert_eq!(jwks.status(), 200, "no fault");
    let carol = token_form(
        &next,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "carol@example.com"),
            ("password", "hunter2"),
        ],
    )
    .await;
    assert_eq!(
        carol.0, 403,
        "no user added by the previous mock: {:?}",
        carol.1
    );
    // The previous mock's `times(1)` on the JWKS would fail here if it had come along: this
    // mock saw one JWKS request too, but a second one now makes two.
    client().get(next.jwks_uri()).send().await.unwrap();
    next.verify();
    next
}

#[tokio::test]
async fn a_mock_after_one_configured_otherwise_on_the_same_server_has_its_own_tenant() {
    let with_dave = || {
        MockIdp::builder()
            .user(User::new("dave@example.com"))
            .start()
    };
    carol_is_gone_from_the_next_mock(with_dave, "dave@example.com").await;
}

/// Arranges a mock whose tenant has carol, drops it, takes the next mock from `start` on its
/// server, and checks that carol is refused there and `member` (of that tenant) is not.
async fn carol_is_gone_from_the_next_mock<F, Fut>(start: F, member: &str)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = MockIdp>,
{
    // Arrange: the previous mock's tenant had a user of its own.
    let first = MockIdp::builder()
        .user(User::new("carol@example.com"))
        .start()
        .await;
    let address = first.address();
    assert_eq!(password_grant_as(&first, "carol@example.com").await.0, 200);
    drop(first);
    let next = start_like_on(address, start)
        .await
        .expect("the server is handed out again");

    // Act
    let carol = password_grant_as(&next, "carol@example.com").await;
    let other = password_grant_as(&next, member).await;

    // Assert
    assert_eq!(carol.0, 403, "{:?}", carol.1);
    assert_eq!(other.0, 200, "{member} of the next tenant: {:?}", other.1);
}

#[tokio::test]
async fn a_clock_kept_from_the_previous_mock_does_not_move_the_next_one() {
    // Arrange: the previous test kept its mock's clock beyond the mock.
    let first = MockIdp::start().await;
    let address = first.address();
    let kept = first.clock();
    drop(first);
    let next = start_on(address)
        .await
        .expect("the server is handed out again");

    // Act
    kept.advance(Duration::from_secs(86_400));

    // Assert
    assert!((next.clock().now() - unix_now()).abs() < 3_600, "not moved");
    assert!(kept.now() - unix_now() > 80_000, "the kept clock moved");
}

#[tokio::test]
async fn the_issuer_set_on_the_previous_mock_is_not_the_next_ones() {
    // Arrange
    let first = MockIdp::start().await;
    let address = first.address();
    let set = client()
        .post(first.url("/_mock/issuer"))
        .json(&serde_json::json!({"issuer": "https://idp.elsewhere.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    assert_eq!(first.issuer(), "https://idp.elsewhere.test/");
    drop(first);

    // Act
    let next = start_on(address)
        .await
        .expect("the server is handed out again");

    // Assert
    let own = format!("http://localhost:{}/", address.port());
    assert_eq!(next.issuer(), own);
    let discovery: serde_json::Value = client()
        .get(next.discovery_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], own);
}

#[tokio::test]
async fn a_code_issued_by_the_previous_mock_buys_nothing_from_the_next() {
    // Arrange: a code the previous test never redeemed.
    let first = MockIdp::start().await;
    let address = first.address();
    let pkce = Pkce::new();
    let response = Browser::new(&first)
        .log_in(&AuthRequest::spa(&pkce), "alice@example.com")
        .await;
    let code = query_of(&location(&response))["code"].clone();
    drop(first);
    let next = start_on(address)
        .await
        .expect("the server is handed out again");

    // Act
    let (status, body) = Browser::new(&next).redeem(&code, &pkce.verifier).await;

    // Assert: refused as Auth0 refuses an unknown code.
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn a_deterministic_mock_on_a_reused_server_issues_the_first_ones_tokens_byte_for_byte() {
    deterministic_tokens_again(|| MockIdp::builder().deterministic().start()).await;
}

#[tokio::test]
async fn a_configured_deterministic_mock_on_a_reused_server_issues_the_same_tokens() {
    deterministic_tokens_again(|| {
        MockIdp::builder()
            .deterministic()
            .user(User::new("dave@example.com"))
            .start()
    })
    .await;
}

async fn deterministic_tokens_again<F, Fut>(deterministic: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = MockIdp>,
{
    // Arrange: a deterministic mock that issued tokens (its sequential ids moved on).
    let first = deterministic().await;
    let address = first.address();
    let tokens_of = |idp: &MockIdp| {
        let idp_uri = idp.uri();
        async move {
            let mut tokens = Vec::new();
            for _ in 0..2 {
                let body = client()
                    .post(format!("{idp_uri}/oauth/token"))
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", "sample-m2m"),
                        ("client_secret", "sample-m2m-secret"),
                        ("audience", "https://sample-api"),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                tokens.push(body);
            }
            tokens
        }
    };
    let expected = tokens_of(&first).await;
    drop(first);
    let next = start_like_on(address, deterministic)
        .await
        .expect("the server is handed out again");

    // Act
    let tokens = tokens_of(&next).await;

    // Assert
    assert_eq!(tokens, expected);
    assert_ne!(tokens[0], tokens[1], "each token has its own jti");
}

#[tokio::test]
async fn a_mock_whose_engine_is_still_held_leaves_the_next_mock_an_engine_of_its_own() {
    // Arrange: the previous test kept a token builder, and with it the previous engine.
    let first = MockIdp::start().await;
    let address = first.address();
    let fresh_kid = first.active_kid();
    let kept = first.token();
    drop(first);
    let next = start_on(address)
        .await
        .expect("the server is handed out again");

    // Act: the next test rotates its keys; the kept builder signs.
    let rotated = next.rotate_keys();
    let token = kept.sign();

    // Assert: the kept builder's engine is not the next mock's.
    assert_eq!(header(&token)["kid"], fresh_kid);
    assert_ne!(fresh_kid, rotated);
    assert_eq!(next.active_kid(), rotated);
}

#[tokio::test]
async fn a_plain_mock_after_a_configured_one_on_the_same_server_has_the_default_tenant() {
    carol_is_gone_from_the_next_mock(MockIdp::start, "bob@example.com").await;
}

#[tokio::test]
async fn a_client_that_kept_its_connection_talks_to_the_new_mock() {
    // Arrange: one client, its connection to the port kept alive across the two mocks.
    let http = client();
    let first = MockIdp::start().await;
    let address = first.address();
    http.get(first.url("/health")).send().await.unwrap();
    drop(first);
    let next = start_on(address)
        .await
        .expect("the server is handed out again");

    // Act
    let response = http.get(next.url("/health")).send().await.unwrap();

    // Assert: the request is in the new mock's journal, and in no other.
    assert_eq!(response.status(), 200);
    let journal = next.received_requests();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].endpoint, Endpoint::Health);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mocks_started_in_parallel_each_get_their_own_server_and_state() {
    // Arrange
    let mocks: Vec<MockIdp> = start_eight(|i| async move {
        MockIdp::builder()
            .user(User::new(format!("u{i}@example.com")))
            .start()
            .await
    })
    .await;

    // Act: each mock mints for its own users only.
    let mut addresses: Vec<_> = mocks.iter().map(MockIdp::address).collect();
    addresses.sort();
    addresses.dedup();

    // Assert
    assert_eq!(addresses.len(), mocks.len(), "one server each");
    for (i, idp) in mocks.iter().enumerate() {
        let token = password_grant_as(idp, &format!("u{i}@example.com")).await;
        assert_eq!(token.0, 200, "{i}: {:?}", token.1);
        let other =
            password_grant_as(idp, &format!("u{}@example.com", (i + 1) % mocks.len())).await;
        assert_eq!(other.0, 403, "{i} knows only its own user");
    }
}

#[tokio::test]
async fn a_mock_that_shut_down_no_longer_accepts_connections() {
    // Arrange
    let idp = MockIdp::start().await;
    let address = idp.address();

    // Act
    idp.shut_down().await;

    // Assert
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
}

#[tokio::test]
async fn a_fixed_port_still_gets_a_server_of_its_own_that_stops_on_drop() {
    // Arrange: a free port, then a mock asked to listen on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let idp = MockIdp::builder().port(port).start().await;
    assert_eq!(idp.address().port(), port);

    // Act
    drop(idp);

    // Assert: nothing listens there any more (the server stops a moment after the drop).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "port {port} still open"
        );
        tokio::task::yield_now().await;
    }
}

async fn password_grant_as(idp: &MockIdp, email: &str) -> (u16, serde_json::Value) {
    token_form(
        idp,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", email),
            ("password", "password"),
        ],
    )
    .await
}

/// Starts eight mocks at once, on the runtime's worker threads.
async fn start_eight<F, Fut>(start: F) -> Vec<MockIdp>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = MockIdp> + Send + 'static,
{
    let handles: Vec<_> = (0..8).map(|i| tokio::spawn(start(i))).collect();
    let mut mocks = Vec::new();
    for handle in handles {
        mocks.push(handle.await.unwrap());
    }
    mocks
}

#[tokio::test]
async fn device_codes_mail_and_login_counts_of_the_previous_mock_are_not_the_next_ones() {
    // Arrange: the previous test started a device authorization, had a passwordless code
    // mailed, and logged alice in (her `logins_count` is kept apart from the tenant).
    let first = MockIdp::start().await;
    let address = first.address();
    first.upsert_client(mock_idp::Client::native("tv-app"));
    let started = client()
        .post(first.url("/oauth/device/code"))
        .form(&[("client_id", "tv-app"), ("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    let sent = client()
        .post(first.url("/passwordless/start"))
        .json(&serde_json::json!({
            "client_id": "sample-spa", "connection": "email",
            "email": "dana@example.com", "send": "code",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let (status, _) = token_form(
        &first,
        &[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "alice@example.com"),
            ("password", "password"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(first.user("alice@example.com").unwrap().logins_count, 1);
    assert_eq!(first.device_authorizations().len(), 1);
    let mailed = first.outbox();
    assert_eq!(mailed.len(), 1);
    let code = mailed[0].code.clone().expect("a one-time code");
    drop(first);

    // Act
    let next = start_on(address)
        .await
        .expect("the server is handed out again");

    // Assert
    assert!(
        next.device_authorizations().is_empty(),
        "no device authorization"
    );
    assert!(next.outbox().is_empty(), "no mail");
    let (status, body) = token_form(
        &next,
        &[
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/passwordless/otp",
            ),
            ("client_id", "sample-spa"),
            ("username", "dana@example.com"),
            ("otp", code.as_str()),
            ("realm", "email"),
        ],
    )
    .await;
    assert_eq!(
        status, 403,
        "the previous mock's code buys nothing: {body:?}"
    );
    assert_eq!(next.user("alice@example.com").unwrap().logins_count, 0);
    assert!(next.user("alice@example.com").unwrap().last_login.is_none());
}

#[tokio::test]
#[should_panic(expected = "organization name \"Not Valid\" may only contain")]
async fn a_configured_tenant_is_still_validated_on_a_pooled_server() {
    // Arrange: a pooled server that served a plain mock, whose embedded tenant a start does
    // not validate again.
    drop(MockIdp::start().await);

    // Act: a tenant of the test's own, which must be.
    let _idp = MockIdp::builder()
        .organization(mock_idp::Organization::new("Not Valid"))
        .start()
        .await;
}
