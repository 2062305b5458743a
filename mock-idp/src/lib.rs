//! # mock-idp
//!
//! A local, Auth0-compatible identity provider for tests and offline development. The real
//! Auth0 SDKs (`@auth0/auth0-spa-js`, `@auth0/auth0-react`, `express-oauth2-jwt-bearer`,
//! `jwks-rsa`) and standards-following OIDC clients work against it unchanged: Auth0's paths,
//! an issuer with its trailing slash, Auth0-shaped tokens (`permissions`, `gty`, `azp`,
//! namespaced custom claims) and Auth0's error bodies.
//!
//! It runs as a binary (`mock-idp`, with an embedded default tenant) and, in tests, in
//! process, the way `wiremock` does.
//!
//! ## Getting started
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use mock_idp::MockIdp;
//!
//! // Arrange: an IdP on an ephemeral port with the default tenant.
//! let idp = MockIdp::start().await;
//!
//! // Act: mint a token directly...
//! let token = idp.token().subject("auth0|alice").audience("https://sample-api").scope("read:messages").sign();
//!
//! // ...or get one the way an application would.
//! let response: serde_json::Value = reqwest::Client::new()
//!     .post(idp.url("/oauth/token"))
//!     .form(&[
//!         ("grant_type", "client_credentials"),
//!         ("client_id", "sample-m2m"),
//!         ("client_secret", "sample-m2m-secret"),
//!         ("audience", "https://sample-api"),
//!     ])
//!     .send().await.unwrap()
//!     .json().await.unwrap();
//!
//! // Assert
//! assert_eq!(token.split('.').count(), 3);
//! assert_eq!(response["token_type"], "Bearer");
//! # }
//! ```
//!
//! Point the code under test at [`MockIdp::issuer`] (discovery) or [`MockIdp::jwks_uri`].
//!
//! ## The default tenant
//!
//! | kind | value |
//! |---|---|
//! | API | `https://sample-api`, permission `read:messages`, RBAC on, `permissions` claim on |
//! | SPA client | `sample-spa`, public; callbacks `http://localhost:3000` and any `http://localhost:<port>` |
//! | M2M client | `sample-m2m` / `sample-m2m-secret`, granted `https://sample-api` `read:messages` and the Management API (below) |
//! | users | `alice@example.com` (has `read:messages`), `bob@example.com` (none); password `password` |
//! | organization | `acme`, whose one member is alice; `sample-spa` may log users in through it |
//!
//! Change it with [`MockIdpBuilder::user`], [`MockIdpBuilder::client`],
//! [`MockIdpBuilder::api`], [`MockIdpBuilder::organization`], or a whole [`TenantConfig`] (the same types the binary reads
//! from TOML).
//!
//! ## Browser flows
//!
//! The authorization-code flow with PKCE works as `@auth0/auth0-spa-js` expects it, unchanged:
//!
//! | path | what |
//! |---|---|
//! | `GET`/`POST /authorize` | `response_type=code`, and for clients allowed `implicit` the implicit and hybrid types (`id_token`, `token`, `code id_token`, ... in any order; `nonce` required with an ID token, `at_hash`/`c_hash`, `fragment` by default, `query` refused), S256 PKCE (mandatory for public clients), `state`, `nonce`, `prompt` (`none`, `login`, `consent`), `max_age`, `login_hint`, `screen_hint`, `audience`; `response_mode` `query`, `fragment`, `form_post` or `web_message` (the SDK's hidden iframe) |
//! | `GET`/`POST /u/login` | the login page: a plain form (`username`, `password`) and one button per user, CSRF-protected |
//! | `GET`/`POST /u/signup` | the sign-up page `screen_hint=signup` leads to: `email`, `password` (the tenant's [`PasswordPolicy`]); creates the user and continues the login |
//! | `GET`/`POST /u/consent` | the consent page, only for clients with `require_consent` |
//! | `POST /oauth/token` | `grant_type=authorization_code`: single-use codes bound to client, `redirect_uri`, audience, scope and PKCE; a second redemption revokes what the first issued |
//! | `GET /v2/logout`, `GET /oidc/logout` | end the session; redirect only to an allowed logout URL |
//! | `POST /oauth/par` | pushed authorization requests (RFC 9126): the `/authorize` parameters, checked up front, for a single-use `request_uri` (`[tokens] request_uri`, 30 s) |
//!
//! An unknown `client_id` or a `redirect_uri` that is not an allowed callback gets an HTML error
//! page and never a redirect. A login sets the `mock_idp_session` cookie (HttpOnly,
//! `SameSite=Lax`), so the next `/authorize`, and `prompt=none`, skip the form.
//!
//! As on Auth0, a user's access token requested without an `audience` (and with no tenant
//! `default_audience`) is an opaque string, not a JWT: only `/userinfo` accepts it, and an API
//! cannot validate it. Ask for the API's audience to get a JWT:
//!
//! ```
//! # #[tokio::main] async fn main() {
//! let idp = mock_idp::MockIdp::start().await;
//! let password_grant = |audience: Option<&str>| {
//!     let mut form = vec![("grant_type", "password"), ("client_id", "sample-spa"),
//!         ("username", "alice@example.com"), ("password", "password"), ("scope", "openid")];
//!     form.extend(audience.map(|a| ("audience", a)));
//!     reqwest::Client::new().post(idp.url("/oauth/token")).form(&form).send()
//! };
//! let body: serde_json::Value = password_grant(None).await.unwrap().json().await.unwrap();
//! let opaque = body["access_token"].as_str().unwrap();
//! assert!(!opaque.contains('.'), "not a JWT");
//! let userinfo = reqwest::Client::new().get(idp.url("/userinfo")).bearer_auth(opaque).send().await.unwrap();
//! assert_eq!(userinfo.status(), 200);
//!
//! let body: serde_json::Value = password_grant(Some("https://sample-api")).await.unwrap().json().await.unwrap();
//! assert_eq!(body["access_token"].as_str().unwrap().split('.').count(), 3, "a JWT for the API");
//! # }
//! ```
//!
//! Tests that do not want to fill in the form use [`MockIdp::next_login`] (or
//! `POST /_mock/login {"email": ...}`); [`MockIdp::sessions`] and [`MockIdp::end_sessions`]
//! (`GET`/`DELETE /_mock/sessions`) inspect and end sessions, and [`MockIdp::clock`] expires
//! them (tenant `tokens.session`, and `tokens.authorization_code` for codes).
//!
//! ## Back-channel logout
//!
//! A client with [`backchannel_logout_urls`](Client::backchannel_logout_url) hears when a
//! session in which it received tokens ends (either logout endpoint,
//! `DELETE /_mock/sessions/{sid}`, [`MockIdp::end_session`], [`MockIdp::end_sessions`]): the
//! mock POSTs each URL a signed `logout_token` (OIDC Back-Channel Logout 1.0, `typ:
//! "logout+jwt"`, with `sid`, `sub` and the back-channel `events` claim, no `nonce`), in the
//! background with a timeout, so the logout never waits for a receiver that is down or
//! hangs. [`MockIdp::wait_for_backchannel_logouts`] waits for them without sleeping and says
//! what came of each ([`BackchannelLogout`], [`BackchannelOutcome`]); the journal records each
//! delivery as [`Endpoint::BackchannelLogout`]. Unlike Auth0, loopback http URLs are fine.
//!
//! ## Server-side apps: PAR and `private_key_jwt`
//!
//! A web app may push its authorization request to `/oauth/par` and send the browser with the
//! `request_uri` alone; [`Client::require_pushed_authorization_requests`] makes that the only
//! way. Clients authenticate at the token, revocation and PAR endpoints with a secret or, once
//! they register a public key with [`Client::credential`], with a signed `client_assertion`.
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use mock_idp::{Client, MockIdp};
//! // Arrange: a web app that must push, and a user who logs in without the form.
//! let idp = MockIdp::builder()
//!     .client(Client::regular_web("web", "web-secret").callback("http://localhost:8080/cb")
//!         .require_pushed_authorization_requests(true))
//!     .start()
//!     .await;
//! idp.next_login("alice@example.com");
//! let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
//!
//! // Act: push, then send the browser with client_id and request_uri only.
//! let pushed: serde_json::Value = http.post(idp.url("/oauth/par"))
//!     .basic_auth("web", Some("web-secret"))
//!     .form(&[("response_type", "code"), ("redirect_uri", "http://localhost:8080/cb"), ("state", "s1")])
//!     .send().await.unwrap().json().await.unwrap();
//! let request_uri = pushed["request_uri"].as_str().unwrap();
//! let back = http.get(idp.url("/authorize"))
//!     .query(&[("client_id", "web"), ("request_uri", request_uri)])
//!     .send().await.unwrap();
//!
//! // Assert: the code goes to the pushed redirect_uri, with the pushed state.
//! assert_eq!(pushed["expires_in"], 30);
//! let location = back.headers()["location"].to_str().unwrap();
//! assert!(location.starts_with("http://localhost:8080/cb?code="), "{location}");
//! assert!(location.ends_with("&state=s1"), "{location}");
//! # }
//! ```
//!
//! ## The Management API
//!
//! Every tenant serves Auth0's Management API v2 under `/api/v2/` (users, their roles and
//! permissions, roles, organizations, Actions with their deploys and trigger bindings), for
//! backends that create users, read `app_metadata` or assign roles, and for deploy scripts
//! that create, deploy and bind Actions (the next login runs what is bound). Its audience is `<issuer>api/v2/`; a client granted it
//! ([`MANAGEMENT_AUDIENCE`], as `sample-m2m` is) gets a token with client credentials, and
//! what the API changes holds at once for logins and the next token:
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use mock_idp::MockIdp;
//! use serde_json::{Value, json};
//! let idp = MockIdp::start().await;
//! let http = reqwest::Client::new();
//! let token: Value = http.post(idp.url("/oauth/token"))
//!     .form(&[("grant_type", "client_credentials"), ("client_id", "sample-m2m"),
//!             ("client_secret", "sample-m2m-secret"), ("audience", &format!("{}api/v2/", idp.issuer()))])
//!     .send().await.unwrap().json().await.unwrap();
//!
//! // Act: the backend under test creates a user...
//! let created = http.post(idp.url("/api/v2/users"))
//!     .bearer_auth(token["access_token"].as_str().unwrap())
//!     .json(&json!({ "connection": "Username-Password-Authentication", "email": "carol@example.com",
//!                    "password": "hunter2", "app_metadata": { "plan": "pro" } }))
//!     .send().await.unwrap();
//! assert_eq!(created.status(), 201);
//!
//! // ...who can log in at once, and the test reads what the backend wrote.
//! let login = http.post(idp.url("/oauth/token"))
//!     .form(&[("grant_type", "password"), ("client_id", "sample-spa"),
//!             ("username", "carol@example.com"), ("password", "hunter2")])
//!     .send().await.unwrap();
//! assert_eq!(login.status(), 200);
//! assert_eq!(idp.user("carol@example.com").unwrap().app_metadata["plan"], "pro");
//! # }
//! ```
//!
//! ## The device flow
//!
//! A CLI or TV app registered as [`Client::native`] may use the device authorization flow
//! (RFC 8628) at `POST /oauth/device/code`. A test plays the person at `/activate` with
//! [`MockIdp::approve_device`] or [`MockIdp::deny_device`], finds the code a program under
//! test asked for with [`MockIdp::device_authorizations`], and moves expiry and the polling
//! interval with [`MockIdp::clock`]:
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use std::time::Duration;
//! use mock_idp::{Client, MockIdp};
//! let idp = MockIdp::builder().client(Client::native("my-cli")).start().await;
//! let http = reqwest::Client::new();
//! let started: serde_json::Value = http.post(idp.url("/oauth/device/code"))
//!     .form(&[("client_id", "my-cli"), ("scope", "openid offline_access")])
//!     .send().await.unwrap().json().await.unwrap();
//! let poll = || http.post(idp.url("/oauth/token")).form(&[
//!     ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
//!     ("client_id", "my-cli"),
//!     ("device_code", started["device_code"].as_str().unwrap()),
//! ]).send();
//!
//! let pending: serde_json::Value = poll().await.unwrap().json().await.unwrap();
//! assert_eq!(pending["error"], "authorization_pending");
//!
//! idp.approve_device(started["user_code"].as_str().unwrap(), "alice@example.com");
//! idp.clock().advance(Duration::from_secs(5)); // the polling interval, on the mock's clock
//! let tokens: serde_json::Value = poll().await.unwrap().json().await.unwrap();
//! assert!(tokens["refresh_token"].is_string());
//! # }
//! ```
//!
//! ## Organizations
//!
//! `/authorize?organization=<org_id>` lets only the [`Organization`]'s members in (anyone else
//! gets Auth0's `access_denied` at the callback) and puts `org_id` in the ID and access tokens;
//! the access token's `permissions` are those of the roles the user holds as a [`Member`] of
//! it. Whether a client may send the parameter is its [`OrganizationUsage`]. Client
//! credentials take `organization` for grants that allow it, and the Management API manages
//! organizations, members and member roles.
//!
//! ```
//! # #[tokio::main] async fn main() {
//! # use base64::Engine;
//! # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
//! use mock_idp::{Member, MockIdp, Organization};
//! // Arrange: the id follows the name unless configured, so a test knows it before the start.
//! let globex = Organization::new("globex").member(Member::new("alice@example.com"));
//! let org_id = globex.id();
//! let idp = MockIdp::builder().organization(globex).start().await;
//! idp.next_login("alice@example.com");
//! let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
//!
//! // Act: the code flow of `sample-spa` (which allows organizations) through globex.
//! let response = browser.get(idp.url("/authorize")).query(&[
//!     ("client_id", "sample-spa"), ("response_type", "code"), ("scope", "openid"),
//!     ("redirect_uri", "http://localhost:3000"), ("organization", org_id.as_str()),
//!     ("code_challenge", "zGBsgjH42aHHQ5QLbUNOsAW8nQu1BMX9kzQZzb-0WmM"), ("code_challenge_method", "S256"),
//! ]).send().await.unwrap();
//! let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
//! let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
//! let tokens: serde_json::Value = browser.post(idp.url("/oauth/token")).form(&[
//!     ("grant_type", "authorization_code"), ("client_id", "sample-spa"), ("code", code.as_str()),
//!     ("redirect_uri", "http://localhost:3000"),
//!     ("code_verifier", "dBjftJeZ4CVP-mJ0kzOcHMbbzKwdNWtY1pRhYNJ7sYs"),
//! ]).send().await.unwrap().json().await.unwrap();
//!
//! // Assert
//! assert_eq!(payload(tokens["id_token"].as_str().unwrap())["org_id"], org_id);
//! # }
//! ```
//!
//! ## Sign-up, password reset, passwordless, and the outbox
//!
//! `POST /dbconnections/signup` and `/dbconnections/change_password`, `POST /passwordless/start`
//! and the `http://auth0.com/oauth/grant-type/passwordless/otp` grant answer as Auth0's do
//! (node-auth0's `database` and `passwordless` work unchanged). What Auth0 would email or text
//! (a verification link, a password-reset link, a one-time code or magic link) goes to the
//! outbox instead: [`MockIdp::outbox`] ([`OutboxMessage`]), `GET /_mock/outbox`, cleared by
//! reset. The links open working pages; codes are single use and expire on the mock's clock.
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use mock_idp::{MessageKind, MockIdp};
//! use serde_json::{Value, json};
//! let idp = MockIdp::start().await;
//! let http = reqwest::Client::new();
//!
//! // Act: the app under test starts a passwordless login...
//! http.post(idp.url("/passwordless/start"))
//!     .json(&json!({ "client_id": "sample-spa", "connection": "email", "email": "dana@example.com", "send": "code" }))
//!     .send().await.unwrap();
//! // ...and the test types the code the user would have read in their mailbox.
//! let message = idp.outbox().pop().unwrap();
//! assert_eq!(message.kind, MessageKind::Otp);
//! let tokens: Value = http.post(idp.url("/oauth/token"))
//!     .form(&[("grant_type", "http://auth0.com/oauth/grant-type/passwordless/otp"), ("client_id", "sample-spa"),
//!             ("username", "dana@example.com"), ("otp", message.code.as_deref().unwrap()), ("realm", "email")])
//!     .send().await.unwrap().json().await.unwrap();
//!
//! // Assert: Dana, new to the tenant, is a user of the email connection.
//! assert_eq!(tokens["token_type"], "Bearer");
//! assert!(idp.user("dana@example.com").unwrap().sub().starts_with("email|"));
//! # }
//! ```
//!
//! ## Actions
//!
//! The team's own Auth0 Actions run unchanged at the points Auth0 runs them: post-login at
//! every login path (the login page, silent authentication, the password grant, the refresh
//! exchange; `event.transaction.protocol` says which), credentials-exchange for client
//! credentials, pre- and post-user-registration around a sign-up. An [`Action`] is its name,
//! its [`Trigger`] and its code; in a config file, `[[actions]]`. Each execution is a fresh
//! QuickJS context; `api.access.deny` is Auth0's `access_denied`.
//!
//! ```
//! # #[tokio::main] async fn main() {
//! # use base64::Engine;
//! # let payload = |t: &str| -> serde_json::Value { serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t.split('.').nth(1).unwrap()).unwrap()).unwrap() };
//! use mock_idp::{Action, MockIdp, Trigger, User};
//! // Arrange: Auth0's "add user roles to tokens", as a team deploys it.
//! let add_roles = Action::new("add-roles", Trigger::PostLogin, r#"
//! exports.onExecutePostLogin = async (event, api) => {
//!   api.accessToken.setCustomClaim("https://sample-api/roles", event.authorization.roles);
//! };"#);
//! let idp = MockIdp::builder()
//!     .user(User::new("carol@example.com").roles(["admin"]))
//!     .action(add_roles)
//!     .start()
//!     .await;
//!
//! // Act
//! let tokens: serde_json::Value = reqwest::Client::new().post(idp.url("/oauth/token")).form(&[
//!     ("grant_type", "password"), ("client_id", "sample-spa"), ("username", "carol@example.com"),
//!     ("password", "password"), ("audience", "https://sample-api"),
//! ]).send().await.unwrap().json().await.unwrap();
//!
//! // Assert
//! let claims = payload(tokens["access_token"].as_str().unwrap());
//! assert_eq!(claims["https://sample-api/roles"], serde_json::json!(["admin"]));
//! # }
//! ```
//!
//! ## Negative tests
//!
//! [`TokenBuilder`] mints deliberately bad tokens: [`expired`](TokenBuilder::expired),
//! [`not_before_in`](TokenBuilder::not_before_in), another [`issuer`](TokenBuilder::issuer)
//! or [`audience`](TokenBuilder::audience), [`unknown_kid`](TokenBuilder::unknown_kid),
//! [`alg_none`](TokenBuilder::alg_none),
//! [`hs256_with_public_key`](TokenBuilder::hs256_with_public_key),
//! [`signed_by_foreign_key`](TokenBuilder::signed_by_foreign_key), any claim or header.
//! [`MockIdp::rotate_keys`] and [`MockIdp::clock`] move keys and time;
//! [`MockIdp::fail_next`] and [`MockIdp::fault`] make endpoints fail or slow down;
//! [`MockIdp::received_requests`] shows what was asked.
//!
//! ## Why was a token rejected?
//!
//! [`MockIdp::explain`] runs the checks a hardened validator makes (`structure`, `alg`, `kid`,
//! `signature`, `typ`, `iss`, `aud`, `exp`, `nbf`, `scope`) against the mock's keys, the keys
//! it retired, its clock and tenant, and answers with a [`Report`]: a sentence per check and
//! hints that say what to do (an ID token sent as an access token, the audience to ask for, a
//! retired key, expiry by how much, the user or grant that would give a missing scope).
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use mock_idp::{Check, MockIdp};
//! // Arrange
//! let idp = MockIdp::start().await;
//! let token = idp.token().expired().sign();
//!
//! // Act
//! let report = idp.explain(&token).audience("https://sample-api").report();
//!
//! // Assert
//! assert!(!report.is_valid());
//! assert!(!report.check(Check::Exp).ok());
//! assert!(report.hints[0].contains("expired 1 h ago by the mock's clock"), "{:?}", report.hints);
//! # }
//! ```
//!
//! ## Expectations
//!
//! As with wiremock, a test can say how many requests of a kind it expects, and the mock
//! checks when it drops. [`MockIdp::expect`] registers an [`Expectation`] at once;
//! [`times`](Expectation::times), [`at_least`](Expectation::at_least) and
//! [`at_most`](Expectation::at_most) bound it (without them: at least one),
//! [`grant`](Expectation::grant) and [`client`](Expectation::client) filter on what the
//! journal records, [`named`](Expectation::named) names it in the failure message.
//! [`scoped`](Expectation::scoped) hands it to an [`ExpectationGuard`] that checks it when the
//! guard drops; [`MockIdp::verify`] checks the others on demand. Expectations survive
//! [`MockIdp::reset`]: they belong to the test.
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use mock_idp::{Endpoint, MockIdp};
//!
//! // Arrange
//! let idp = MockIdp::start().await;
//! idp.expect(Endpoint::Jwks).times(1).named("the API caches the JWKS"); // checked when `idp` drops
//! let guard = idp.expect(Endpoint::Token).grant("client_credentials").at_least(1).scoped();
//!
//! // Act: what the code under test would do.
//! let http = reqwest::Client::new();
//! http.get(idp.jwks_uri()).send().await.unwrap();
//! http.post(idp.url("/oauth/token"))
//!     .form(&[
//!         ("grant_type", "client_credentials"),
//!         ("client_id", "sample-m2m"),
//!         ("client_secret", "sample-m2m-secret"),
//!         ("audience", "https://sample-api"),
//!     ])
//!     .send().await.unwrap();
//!
//! // Assert
//! drop(guard); // checks the token expectation, and only it
//! idp.verify(); // checks every unscoped expectation now, and again when `idp` drops
//! # }
//! ```
//!
//! An unmet expectation panics with a report that names it, what it wanted and got, and the
//! matching requests (method, path, status, grant, client; never secrets):
//!
//! ```text
//! mock-idp: 1 expectation not met:
//! - the API caches the JWKS (Jwks): wanted exactly 1, got 2
//!     GET /.well-known/jwks.json -> 200
//!     GET /.well-known/jwks.json -> 200
//!     (registered at tests/api/jwks.rs:12)
//! ```
//!
//! If the test is already panicking, the report goes to stderr instead, so the test's own
//! failure is the one reported.
//!
//! ## Determinism
//!
//! [`MockIdpBuilder::deterministic`] uses the embedded keys, freezes the clock at
//! [`DETERMINISTIC_EPOCH`] and numbers ids sequentially, so the same requests give
//! byte-identical tokens (RS256) for `insta` snapshots. Pin the issuer as well, since the
//! ephemeral port changes between runs.
//!
//! ## HTTPS
//!
//! Code under test that insists on `https://` (node-auth0, auth0-python's management client,
//! a strict OIDC client) gets it from [`MockIdpBuilder::https`]: a certificate for
//! `localhost`, `127.0.0.1` and `::1`, signed by a CA made in memory once per process, and
//! the issuer `https://localhost:<port>/`. The client trusts [`MockIdp::ca_certificate_pem`]:
//!
//! ```
//! # #[tokio::main] async fn main() {
//! use mock_idp::MockIdp;
//! let idp = MockIdp::builder().https().start().await;
//! let ca = reqwest::Certificate::from_pem(idp.ca_certificate_pem().unwrap().as_bytes()).unwrap();
//! let http = reqwest::Client::builder().tls_certs_only([ca]).build().unwrap();
//! let jwks = http.get(idp.jwks_uri()).send().await.unwrap();
//! assert_eq!(jwks.status(), 200);
//! assert!(idp.jwks_uri().starts_with("https://localhost:"));
//! # }
//! ```
//!
//! The binary's `--tls` keeps its CA on disk instead (`.mock-idp/tls/ca.pem`, see [`Tls`]),
//! so a developer trusts it once; `--tls-cert` and `--tls-key` serve a certificate of your own.
//!
//! ## Standalone
//!
//! `cargo run --release -p mock-idp` serves the default tenant on `http://localhost:4000/`,
//! with the same engine ([`Server`]) and an HTTP control API under `/_mock/` for tests in
//! other languages (see the README). `cargo install --locked --path mock-idp` installs it;
//! `cargo xtask image` builds a container image of it (`mock-idp:local`, from `scratch`),
//! whose `HEALTHCHECK` is `mock-idp healthcheck`. Behind port mapping or under two
//! hostnames, see `POST /_mock/issuer` and [`DiscoveryUrls`].
//!
//! ## Prior art
//!
//! navikt/mock-oauth2-server (JVM), axa-group/oauth2-mock-server (Node),
//! Soluto/oidc-server-mock (.NET), primait/localauth0 (Rust, Docker), and wiremock, whose
//! shape this API follows.

#![warn(missing_docs, unreachable_pub)]

mod actions;
mod backchannel;
mod clock;
mod control;
mod engine;
mod error;
mod explain;
mod grants;
mod http;
mod ids;
mod issuance;
mod issuer;
mod mock;
mod pkce;
mod registration;
mod server;
mod store;
mod tenant;
mod tls;

pub use actions::{Action, Trigger};
pub use clock::{Clock, DETERMINISTIC_EPOCH};
pub use control::journal::{Endpoint, RecordedRequest};
pub use engine::{IdpConfig, StartError};
pub use explain::{Check, CheckResult, Outcome, Report, Verdict};
pub use http::paths;
pub use issuance::builder::TokenBuilder;
pub use issuance::keys::{Algorithm, KeyError};
pub use issuer::DiscoveryUrls;
pub use mock::{Expectation, ExpectationGuard, Explain, FaultBuilder, MockIdp, MockIdpBuilder};
pub use server::Server;
pub use store::backchannel::{BackchannelLogout, BackchannelOutcome};
pub use store::device::{DeviceAuthorization, DeviceStatus};
pub use store::outbox::{Channel, MessageKind, OutboxMessage};
pub use store::sessions::SessionInfo;
pub use tenant::{
    Api, AppType, BackchannelLogoutSettings, Client, ClientCredential, ClientGrant, ConfigError,
    DEFAULT_CONNECTION, DeviceFlowSettings, MANAGEMENT_AUDIENCE, ManagedActions, PasswordPolicy,
    Permission, Role, ServerConfig, TenantConfig, TokenLifetimes, User,
};
pub use tenant::{Member, Organization, OrganizationRequireBehavior, OrganizationUsage};
pub use tls::{Tls, TlsError};
