//! The two deployments that break a fixed issuer, with real containers:
//!
//! - a random published host port (testcontainers): the test reads the port after start and
//!   tells the mock with `POST /_mock/issuer`;
//! - compose-style two hostnames: the host reaches the mock as `localhost:<port>`, a backend
//!   container as `idp:4000` on a shared network; `iss` is pinned to the host's name and the
//!   backend fetches the JWKS under its own.

use std::sync::Arc;
use std::time::Duration;

use sample_api::auth::ManualClock;
use sample_api::configuration::Settings;
use sample_api::startup::Application;
use serde_json::json;

use crate::docker::{
    Container, Network, call_private, claims, docker_output, free_port, get_when_up, m2m_token,
    mock_idp_image, require_image, sample_api_image,
};

#[tokio::test]
#[ignore = "needs Docker and mock-idp:local: cargo xtask test runs it"]
async fn on_a_random_host_port_the_issuer_set_after_start_names_that_port_and_its_tokens_verify() {
    // Arrange: what testcontainers does, publish 4000 on a port Docker picks, wait for the
    // ready line, read the mapped port.
    let image = mock_idp_image();
    require_image(&image);
    let container = Container::run(&["-p", "127.0.0.1::4000", &image]);
    container.wait_for_stdout("mock-idp ready", Duration::from_secs(20));
    let port = container.host_port(4000);
    let base = format!("http://localhost:{port}");

    // Act
    let set = reqwest::Client::new()
        .post(format!("{base}/_mock/issuer"))
        .json(&json!({ "issuer": format!("{base}/") }))
        .send()
        .await
        .unwrap();
    let token = m2m_token(&base).await;
    // The real verifier: sample-api discovers the container's JWKS from its issuer.
    let settings = Settings {
        port: 0,
        issuer_base_url: format!("{base}/"),
        jwks_timeout_ms: 2_000,
        ..Settings::default()
    };
    let api = Application::build_with_clock(settings, Arc::new(ManualClock::new()))
        .await
        .unwrap()
        .spawn();
    let status = call_private(&format!("http://{}", api.address()), &token).await;

    // Assert
    assert_eq!(set.status(), 200);
    assert_eq!(claims(&token)["iss"], format!("{base}/"));
    let discovery = get_when_up(
        &format!("{base}/.well-known/openid-configuration"),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(discovery["issuer"], format!("{base}/"));
    assert_eq!(status, 200, "sample-api accepted the container's token");
}

#[tokio::test]
#[ignore = "needs Docker, mock-idp:local and sample-api:local: cargo xtask test runs it"]
async fn under_two_hostnames_the_host_and_a_backend_container_see_one_iss_and_the_backend_gets_the_jwks()
 {
    // Arrange: compose's shape. The browser side (this test) uses localhost:<port>; the
    // backend (sample-api in a container) calls the mock `idp` on the shared network.
    let (mock, api) = (mock_idp_image(), sample_api_image());
    require_image(&mock);
    require_image(&api);
    let network = Network::create();
    let port = free_port();
    let issuer = format!("http://localhost:{port}/");
    let idp = Container::run(&[
        "--network",
        &network.name,
        "--network-alias",
        "idp",
        "-p",
        &format!("127.0.0.1:{port}:4000"),
        "-e",
        &format!("MOCK_IDP_ISSUER={issuer}"),
        "-e",
        "MOCK_IDP_DISCOVERY_URLS=request",
        "-e",
        "MOCK_IDP_ALLOWED_HOSTS=idp",
        &mock,
    ]);
    idp.wait_healthy(Duration::from_secs(30));
    let backend = Container::run(&[
        "--network",
        &network.name,
        "-p",
        "127.0.0.1::3001",
        "-e",
        &format!("ISSUER_BASE_URL={issuer}"),
        "-e",
        "JWKS_URI=http://idp:4000/.well-known/jwks.json",
        &api,
    ]);
    let api_base = format!("http://127.0.0.1:{}", backend.host_port(3001));
    get_when_up(&format!("{api_base}/api/public"), Duration::from_secs(20)).await;

    // Act
    let token = m2m_token(&format!("http://localhost:{port}")).await;
    let status = call_private(&api_base, &token).await;
    let as_the_backend_sees_it: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/.well-known/openid-configuration"
        ))
        .header("host", "idp:4000")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // A container on the network probes the JWKS URL that discovery gave the backend.
    let jwks_uri = as_the_backend_sees_it["jwks_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let probe = docker_output(&[
        "run",
        "--rm",
        "--network",
        &network.name,
        &mock,
        "healthcheck",
        "--url",
        &jwks_uri,
        "--timeout",
        "10s",
    ]);

    // Assert
    assert_eq!(claims(&token)["iss"], issuer);
    assert_eq!(
        status,
        200,
        "the backend fetched the JWKS from idp:4000 and accepted iss {issuer}; its logs: {:?}",
        backend.logs()
    );
    assert_eq!(as_the_backend_sees_it["issuer"], issuer, "one iss for both");
    assert_eq!(jwks_uri, "http://idp:4000/.well-known/jwks.json");
    assert_eq!(
        probe.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );
}
