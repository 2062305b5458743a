//! A thin harness over the `docker` CLI (what CI scripts use, so nothing here is hidden behind
//! a client library): containers and networks removed on drop, published ports, health, logs.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The image under test.
pub fn mock_idp_image() -> String {
    std::env::var("MOCK_IDP_IMAGE").unwrap_or_else(|_| "mock-idp:local".into())
}

/// The app container of the two-hostname and recipe tests.
pub fn sample_api_image() -> String {
    std::env::var("SAMPLE_API_IMAGE").unwrap_or_else(|_| "sample-api:local".into())
}

/// `docker <args>`, whatever its exit status.
pub fn docker_output(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker: {e}"))
}

/// `docker <args>`, which must succeed; its trimmed stdout.
pub fn docker(args: &[&str]) -> String {
    let output = docker_output(args);
    assert!(
        output.status.success(),
        "docker {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A name no other test, run or session uses: `mock-idp-test-<pid>-<n>-<what>`.
pub fn unique(what: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "mock-idp-test-{}-{}-{what}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Panics, saying how to build it, unless `image` exists.
pub fn require_image(image: &str) {
    let found = docker_output(&["image", "inspect", "--format", "{{.Id}}", image]);
    assert!(
        found.status.success(),
        "no image {image}: build it with `cargo xtask image --sample-api` (cargo xtask test does)"
    );
}

/// A running container, removed (with `docker rm -f`) on drop.
pub struct Container {
    pub id: String,
}

impl Container {
    /// `docker run -d <args>`.
    pub fn run(args: &[&str]) -> Self {
        let mut all = vec!["run", "-d"];
        all.extend_from_slice(args);
        Self { id: docker(&all) }
    }

    /// The host port Docker published container port `port` on.
    pub fn host_port(&self, port: u16) -> u16 {
        let mapping = docker(&["port", &self.id, &format!("{port}/tcp")]);
        let first = mapping.lines().next().unwrap_or_default();
        first
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no published port in {mapping:?}"))
    }

    /// Its stdout and stderr so far.
    pub fn logs(&self) -> (String, String) {
        let output = docker_output(&["logs", &self.id]);
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Waits until its stdout has `text` (the ready line, say), as testcontainers'
    /// `WaitFor::message_on_stdout` does.
    pub fn wait_for_stdout(&self, text: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let (stdout, stderr) = self.logs();
            if stdout.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {text:?} on stdout within {within:?}; stdout {stdout:?}, stderr {stderr:?}, state {}",
                self.inspect("{{json .State}}")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `docker inspect --format <format>`.
    pub fn inspect(&self, format: &str) -> String {
        docker(&["inspect", "--format", format, &self.id])
    }

    /// Waits until Docker reports the container healthy (what compose's `service_healthy`
    /// and GitHub's service containers wait for).
    pub fn wait_healthy(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let status = self.inspect("{{.State.Health.Status}}");
            if status == "healthy" {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not healthy within {within:?}: {status}; {}",
                self.inspect("{{json .State.Health}}")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker_output(&["rm", "-f", "-v", &self.id]);
    }
}

/// A user-defined bridge network (Docker's DNS answers container names and aliases on it),
/// removed on drop.
pub struct Network {
    pub name: String,
}

impl Network {
    pub fn create() -> Self {
        let name = unique("net");
        docker(&["network", "create", &name]);
        Self { name }
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        let _ = docker_output(&["network", "rm", &self.name]);
    }
}

/// A loopback port free right now (bound, then released), for `-p 127.0.0.1:<port>:4000`
/// where the test must know the host port before the container starts, as a compose file does.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET url` until it answers 200 (the container may still be starting); the body.
pub async fn get_when_up(url: &str, within: Duration) -> serde_json::Value {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let deadline = Instant::now() + within;
    loop {
        match client.get(url).send().await {
            Ok(response) if response.status() == 200 => return response.json().await.unwrap(),
            other => assert!(
                Instant::now() < deadline,
                "{url} not up within {within:?}: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A client-credentials token for the default tenant's M2M client, from `base`.
pub async fn m2m_token(base: &str) -> String {
    let response: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sample-m2m"),
            ("client_secret", "sample-m2m-secret"),
            ("audience", "https://sample-api"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {response}"))
        .to_owned()
}

/// The payload of a JWT, decoded without verification (the API under test verifies).
pub fn claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// `GET <api>/api/private` with `token`: the status sample-api answers.
pub async fn call_private(api: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{api}/api/private"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
