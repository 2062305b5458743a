//! What a post-login Action costs a login: the password grant against three mocks in one run,
//! one without Actions, one with the trivial Action (`api.idToken.setCustomClaim(...,
//! event.user.email)`), one whose Action `fetch`es from a local service (wiremock). Not a
//! test: it prints p50/p99 per mock and the difference to the mock without Actions.
//!
//! Rounds alternate among the three, so noise from other work on the machine hits all alike.
//! `cargo run -p mock-idp --example actions_latency [rounds]`.

use std::time::{Duration, Instant};

use mock_idp::{Action, MockIdp, Trigger};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TRIVIAL: &str = r#"exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim("https://x/y", event.user.email) }"#;
const FETCHING: &str = r#"exports.onExecutePostLogin = async (event, api) => {
  const response = await fetch(event.secrets.URL);
  const { tier } = await response.json();
  api.accessToken.setCustomClaim("https://x/tier", tier);
};"#;

fn percentile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64) * q) as usize;
    samples[index.min(samples.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

async fn login(http: &reqwest::Client, idp: &MockIdp) -> Duration {
    let started = Instant::now();
    let response = http
        .post(idp.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "alice@example.com"),
            ("password", "password"),
            ("audience", "https://sample-api"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    response.bytes().await.unwrap();
    started.elapsed()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let service = MockServer::start().await;
    Mock::given(path("/tier"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({ "tier": "gold" })),
        )
        .mount(&service)
        .await;
    let plain = MockIdp::start().await;
    let trivial = MockIdp::builder()
        .action(Action::new("trivial", Trigger::PostLogin, TRIVIAL))
        .start()
        .await;
    let fetching = MockIdp::builder()
        .action(
            Action::new("fetching", Trigger::PostLogin, FETCHING)
                .secret("URL", format!("{}/tier", service.uri())),
        )
        .start()
        .await;
    let mocks = [
        ("no Action", &plain),
        ("trivial Action", &trivial),
        ("fetch Action", &fetching),
    ];
    let http = reqwest::Client::new();
    for (_, idp) in mocks {
        login(&http, idp).await; // connections and first-use costs out of the figures
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); mocks.len()];
    for _ in 0..rounds {
        for (i, (_, idp)) in mocks.iter().enumerate() {
            samples[i].push(login(&http, idp).await);
        }
    }
    let mut base = (0.0, 0.0);
    for (i, (name, _)) in mocks.iter().enumerate() {
        let p50 = ms(percentile(&mut samples[i], 0.50));
        let p99 = ms(percentile(&mut samples[i], 0.99));
        if i == 0 {
            base = (p50, p99);
        }
        println!(
            "{name:>15}: p50 {p50:6.2} ms  p99 {p99:6.2} ms  (+{:.2} / +{:.2} ms)",
            p50 - base.0,
            p99 - base.1
        );
    }
    println!("{rounds} logins per mock, interleaved");
}
