//! The harness for cross-component tests: a [`Stack`] is a `mock-idp` and a `sample-api`
//! wired together the way the demo wires them (the API discovers its keys from the mock's
//! issuer), each on an ephemeral port, in this process.

use std::sync::Arc;
use std::time::Duration;

use mock_idp::MockIdp;
use sample_api::auth::ManualClock;
use sample_api::configuration::Settings;
use sample_api::startup::{Application, RunningApplication};
use serde_json::Value;

/// The API identifier of the default tenant.
pub const API: &str = "https://sample-api";

/// A running mock IdP and sample API that trusts it.
#[derive(Debug)]
pub struct Stack {
    /// The identity provider; drop it (with [`Stack::stop_idp`]) to simulate an outage.
    pub idp: Option<MockIdp>,
    /// The API's JWKS-cache clock: advance it past the refetch cool-down.
    pub api_clock: ManualClock,
    api_url: String,
    client: reqwest::Client,
    _api: RunningApplication,
}

/// What the API answered.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `WWW-Authenticate`, if any.
    pub challenge: Option<String>,
    /// The JSON body.
    pub body: Value,
}

impl Stack {
    /// The default tenant and an API pointed at its issuer.
    pub async fn start() -> Self {
        Self::with_idp(MockIdp::start().await).await
    }

    /// An API pointed at `idp`'s issuer.
    pub async fn with_idp(idp: MockIdp) -> Self {
        let settings = Settings {
            port: 0,
            issuer_base_url: idp.issuer().to_owned(),
            jwks_timeout_ms: 1_000,
            ..Settings::default()
        };
        let api_clock = ManualClock::new();
        let api = Application::build_with_clock(settings, Arc::new(api_clock.clone()))
            .await
            .expect("sample-api failed to start against the mock")
            .spawn();
        Self {
            idp: Some(idp),
            api_clock,
            api_url: format!("http://{}", api.address()),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a reqwest client"),
            _api: api,
        }
    }

    /// The identity provider (panics after [`Stack::stop_idp`]).
    pub fn idp(&self) -> &MockIdp {
        self.idp.as_ref().expect("the IdP was stopped")
    }

    /// Stops the identity provider and waits until its port refuses connections.
    pub async fn stop_idp(&mut self) {
        let idp = self.idp.take().expect("the IdP was stopped already");
        let address = idp.address();
        // Not a plain drop: that gives a pooled server back, still listening.
        idp.shut_down().await;
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(address).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the mock IdP still accepts connections after being stopped");
    }

    /// `GET` an API route, with a bearer token or without.
    pub async fn call(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = self.client.get(format!("{}{path}", self.api_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the API answered");
        let status = response.status().as_u16();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.json().await.unwrap_or(Value::Null);
        Answer {
            status,
            challenge,
            body,
        }
    }

    /// A token from the mock's token endpoint, the way an application gets one.
    pub async fn token(&self, form: &[(&str, &str)]) -> String {
        let response: Value = self
            .client
            .post(self.idp().url("/oauth/token"))
            .form(form)
            .send()
            .await
            .expect("the token endpoint answered")
            .json()
            .await
            .expect("a JSON token response");
        response["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token in {response}"))
            .to_owned()
    }

    /// A user's access token for the sample API (password grant).
    pub async fn user_token(&self, email: &str) -> String {
        self.token(&[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", email),
            ("password", "password"),
            ("audience", API),
            ("scope", "openid profile email read:messages"),
        ])
        .await
    }

    /// The M2M client's access token for `audience`.
    pub async fn m2m_token(&self, audience: &str) -> String {
        self.token(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sample-m2m"),
            ("client_secret", "sample-m2m-secret"),
            ("audience", audience),
        ])
        .await
    }
}
