//! Test harness: a wiremock-served IdP with fixed test keys ([`FakeIdp`]), the API started
//! on port 0 ([`spawn_api`]), and token helpers for hand-crafted tokens.

use std::{
    sync::{Arc, LazyLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey};
use mock_idp::{Endpoint, MockIdp};
use sample_api::{
    auth::ManualClock,
    configuration::Settings,
    startup::{Application, RunningApplication},
};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

pub const AUDIENCE: &str = "https://sample-api";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter("sample_api=debug")
            .init();
    }
});

/// The fixed test keys in `tests/fixtures` (test-only, not secrets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestKey {
    K1,
    K2,
    Attacker,
    Weak1024,
}

impl TestKey {
    fn name(self) -> &'static str {
        match self {
            Self::K1 => "k1",
            Self::K2 => "k2",
            Self::Attacker => "attacker",
            Self::Weak1024 => "weak1024",
        }
    }

    pub fn private_pem(self) -> &'static str {
        match self {
            Self::K1 => include_str!("../fixtures/k1.pem"),
            Self::K2 => include_str!("../fixtures/k2.pem"),
            Self::Attacker => include_str!("../fixtures/attacker.pem"),
            Self::Weak1024 => include_str!("../fixtures/weak1024.pem"),
        }
    }

    pub fn public_pem(self) -> &'static str {
        match self {
            Self::K1 => include_str!("../fixtures/k1.pub.pem"),
            Self::K2 => include_str!("../fixtures/k2.pub.pem"),
            Self::Attacker => include_str!("../fixtures/attacker.pub.pem"),
            Self::Weak1024 => include_str!("../fixtures/weak1024.pub.pem"),
        }
    }

    /// The public JWK, published under `kid`.
    pub fn jwk(self, kid: &str) -> Value {
        static COMPONENTS: LazyLock<Value> = LazyLock::new(|| {
            serde_json::from_str(include_str!("../fixtures/components.json")).unwrap()
        });
        let c = &COMPONENTS[self.name()];
        json!({"kty":"RSA","use":"sig","alg":"RS256","kid":kid,"n":c["n"],"e":c["e"]})
    }

    /// The private key, parsed once per key.
    pub fn encoding_key(self) -> &'static EncodingKey {
        fn parse(key: TestKey) -> EncodingKey {
            EncodingKey::from_rsa_pem(key.private_pem().as_bytes()).unwrap()
        }
        static K1: LazyLock<EncodingKey> = LazyLock::new(|| parse(TestKey::K1));
        static K2: LazyLock<EncodingKey> = LazyLock::new(|| parse(TestKey::K2));
        static ATTACKER: LazyLock<EncodingKey> = LazyLock::new(|| parse(TestKey::Attacker));
        static WEAK1024: LazyLock<EncodingKey> = LazyLock::new(|| parse(TestKey::Weak1024));
        match self {
            Self::K1 => &K1,
            Self::K2 => &K2,
            Self::Attacker => &ATTACKER,
            Self::Weak1024 => &WEAK1024,
        }
    }
}

pub fn jwks(keys: &[(TestKey, &str)]) -> Value {
    json!({"keys": keys.iter().map(|(key, kid)| key.jwk(kid)).collect::<Vec<_>>()})
}

/// A mock answering `GET` on the JWKS path with `response`.
pub fn jwks_mock(response: ResponseTemplate) -> Mock {
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(response)
}

/// A 200 with a JWKS publishing `K1` as `kid: "k1"`.
pub fn k1_jwks() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(jwks(&[(TestKey::K1, "k1")]))
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `header.payload` given as raw JSON text (so tests can write duplicate keys).
pub fn sign_raw(header: &str, payload: &str, key: TestKey, alg: Algorithm) -> String {
    LazyLock::force(&TRACING);
    let message = format!("{}.{}", b64(header), b64(payload));
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), key.encoding_key(), alg).unwrap();
    format!("{message}.{signature}")
}

/// Signs JSON values with RS256.
pub fn sign(header: &Value, claims: &Value, key: TestKey) -> String {
    sign_raw(
        &header.to_string(),
        &claims.to_string(),
        key,
        Algorithm::RS256,
    )
}

/// HMAC-SHA256 over `header.payload` with an arbitrary secret (key-confusion attacks).
pub fn sign_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    LazyLock::force(&TRACING);
    let message = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let key = EncodingKey::from_secret(secret).unwrap();
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256).unwrap();
    format!("{message}.{signature}")
}

pub fn k1_header() -> Value {
    json!({"alg":"RS256","typ":"JWT","kid":"k1"})
}

/// An identity provider served by wiremock: a discovery document and a JWKS with `K1` as
/// `kid: "k1"`, unless told otherwise.
pub struct FakeIdp {
    pub server: MockServer,
    pub issuer: String,
}

impl FakeIdp {
    /// Discovery only; the test mounts the JWKS it wants.
    pub async fn without_jwks() -> Self {
        let server = MockServer::start().await;
        let issuer = format!("{}/", server.uri());
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": issuer,
                "jwks_uri": format!("{}{JWKS_PATH}", server.uri()),
            })))
            .mount(&server)
            .await;
        Self { server, issuer }
    }

    pub async fn start() -> Self {
        let idp = Self::without_jwks().await;
        jwks_mock(k1_jwks()).mount(&idp.server).await;
        idp
    }

    /// The catalog's baseline claims `T0`.
    pub fn claims(&self) -> Value {
        json!({
            "iss": self.issuer, "aud": AUDIENCE, "sub": "auth0|u1", "azp": "client1",
            "iat": now(), "exp": now() + 600, "scope": "read:messages",
        })
    }

    /// `T0` signed by `K1`.
    pub fn token(&self) -> String {
        sign(&k1_header(), &self.claims(), TestKey::K1)
    }

    /// `T0` with `changes` merged into the claims (a `null` removes the claim).
    pub fn token_with(&self, changes: Value) -> String {
        let mut claims = self.claims();
        for (name, value) in changes.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        sign(&k1_header(), &claims, TestKey::K1)
    }

    pub async fn jwks_requests(&self) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == JWKS_PATH)
            .count()
    }
}

/// Settings for a test API: port 0, the given issuer, short timeouts.
pub fn settings_for(issuer: &str) -> Settings {
    Settings {
        port: 0,
        issuer_base_url: issuer.to_owned(),
        jwks_timeout_ms: 500,
        ..Settings::default()
    }
}

/// A running API on an ephemeral port.
pub struct TestApi {
    pub address: String,
    pub client: reqwest::Client,
    /// The JWKS cache's clock: advance it to pass TTLs and cool-downs.
    pub clock: ManualClock,
    running: RunningApplication,
}

pub async fn spawn_api(settings: Settings) -> TestApi {
    LazyLock::force(&TRACING);
    let clock = ManualClock::new();
    let running = Application::build_with_clock(settings, Arc::new(clock.clone()))
        .await
        .expect("failed to build the API")
        .spawn();
    TestApi {
        address: format!("http://{}", running.address()),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
        clock,
        running,
    }
}

impl TestApi {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request failed")
    }

    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        self.get_with_authorization(path, &[format!("Bearer {token}").as_bytes()])
            .await
    }

    /// The status of a GET with this bearer token.
    pub async fn status(&self, path: &str, token: &str) -> reqwest::StatusCode {
        self.get_with_token(path, token).await.status()
    }

    /// GET with these `Authorization` header values, one header each.
    pub async fn get_with_authorization(&self, path: &str, values: &[&[u8]]) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.address));
        for value in values {
            request = request.header(
                reqwest::header::AUTHORIZATION,
                reqwest::header::HeaderValue::from_bytes(value).unwrap(),
            );
        }
        request.send().await.expect("request failed")
    }

    /// Asserts that `/api/private` answers this token with a 401 `invalid_token` with this
    /// description.
    pub async fn assert_rejects(&self, token: &str, description: &str) {
        assert_invalid_token(
            self.get_with_token("/api/private", token).await,
            description,
        )
        .await;
    }

    pub fn jwks_fetch_attempts(&self) -> u64 {
        self.running.state().validator.jwks().fetch_attempts()
    }
}

/// A [`FakeIdp`] with `K1` published, and the API pointed at it.
pub async fn spawn_with_fake_idp() -> (FakeIdp, TestApi) {
    let idp = FakeIdp::start().await;
    let api = spawn_api(settings_for(&idp.issuer)).await;
    (idp, api)
}

/// The API pointed at an in-process `MockIdp` (the default tenant).
pub struct TestApp {
    pub idp: MockIdp,
    pub api: TestApi,
}

impl std::ops::Deref for TestApp {
    type Target = TestApi;
    fn deref(&self) -> &TestApi {
        &self.api
    }
}

/// Starts `MockIdp` first, then the API on port 0 with `idp.issuer()` as its issuer.
pub async fn spawn_app() -> TestApp {
    let idp = MockIdp::start().await;
    let api = spawn_api(settings_for(idp.issuer())).await;
    TestApp { idp, api }
}

impl TestApp {
    /// How many JWKS requests the mock has received.
    pub fn jwks_requests(&self) -> usize {
        self.idp
            .received_requests()
            .iter()
            .filter(|r| r.endpoint == Endpoint::Jwks)
            .count()
    }

    /// A real access token from the mock's `/oauth/token`, for this form.
    pub async fn token_from_idp(&self, form: &[(&str, &str)]) -> String {
        let response: Value = self
            .client
            .post(self.idp.url("/oauth/token"))
            .form(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        response["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {response}"))
            .to_owned()
    }
}

/// Status, the headers that matter, and the body, for assertions and snapshots.
pub async fn describe(response: reqwest::Response) -> Value {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let summary = json!({
        "status": response.status().as_u16(),
        "www-authenticate": header("www-authenticate"),
        "cache-control": header("cache-control"),
        "retry-after": header("retry-after"),
        "content-type": header("content-type"),
    });
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let mut summary = summary;
    summary["body"] = body;
    summary
}

/// Asserts a 401 `invalid_token` with this description.
pub async fn assert_invalid_token(response: reqwest::Response, description: &str) {
    let d = describe(response).await;
    assert_eq!(d["status"], 401, "{d:#}");
    assert_eq!(
        d["www-authenticate"],
        format!(
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"{description}\""
        ),
        "{d:#}"
    );
    assert_eq!(d["body"]["error"], "invalid_token", "{d:#}");
    assert_eq!(d["body"]["error_description"], description, "{d:#}");
}

/// Asserts a 401 with no error code (no credentials).
pub async fn assert_no_credentials(response: reqwest::Response) {
    let d = describe(response).await;
    assert_eq!(d["status"], 401, "{d:#}");
    assert_eq!(d["www-authenticate"], "Bearer realm=\"api\"", "{d:#}");
}

/// Asserts a 400 `invalid_request`.
pub async fn assert_invalid_request(response: reqwest::Response) {
    let d = describe(response).await;
    assert_eq!(d["status"], 400, "{d:#}");
    assert!(
        d["www-authenticate"]
            .as_str()
            .unwrap()
            .starts_with("Bearer realm=\"api\", error=\"invalid_request\""),
        "{d:#}"
    );
}
