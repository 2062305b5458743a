//! The README's "Use it in CI" recipes, read from the README itself. The compose file runs as
//! it is, under `docker-compose` (or `docker compose`), with its host ports changed to free
//! ones. GitHub Actions and GitLab CI cannot run here, so their snippets' settings are read
//! out and run the way those runners run services: GitHub's as a published container the job
//! waits on until healthy, GitLab's as a container under its alias on the job's network.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::docker::{
    Container, Network, call_private, claims, docker, free_port, get_when_up, m2m_token,
    mock_idp_image, require_image, sample_api_image, unique,
};

/// The fenced block after `<!-- recipe: NAME -->` in the README.
fn recipe(name: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let marker = format!("<!-- recipe: {name} -->");
    let after = readme
        .split_once(&marker)
        .unwrap_or_else(|| panic!("no {marker} in README.md"))
        .1;
    let body = after.trim_start().split_once('\n').expect("a fence line").1;
    body.split_once("\n```")
        .expect("a closing fence")
        .0
        .to_owned()
        + "\n"
}

/// The value of `key: value` in a YAML snippet, or the text of a `key: |` block, dedented.
fn yaml_value(snippet: &str, key: &str) -> String {
    let mut lines = snippet.lines();
    let prefix = format!("{key}:");
    let line = lines
        .find(|l| l.trim_start().starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {key} in {snippet}"));
    let indent = line.len() - line.trim_start().len();
    let value = line.trim_start()[prefix.len()..].trim();
    if value != "|" {
        return value
            .split(" #")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
    }
    let block: Vec<&str> = lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
        .collect();
    let inner = block
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    block
        .iter()
        .map(|l| l.get(inner..).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// `docker compose` when the v2 plugin is there, else Debian's `docker-compose` (v1).
fn compose() -> Command {
    let v2 = Command::new("docker")
        .args(["compose", "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if v2 {
        let mut command = Command::new("docker");
        command.arg("compose");
        command
    } else {
        Command::new("docker-compose")
    }
}

/// A compose project, taken down (containers, networks, volumes) on drop.
struct Project {
    name: String,
    file: std::path::PathBuf,
}

impl Project {
    fn run(&self, args: &[&str]) -> std::process::Output {
        compose()
            .args(["-p", &self.name, "-f"])
            .arg(&self.file)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run docker compose: {e}"))
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = self.run(&["down", "-v", "--remove-orphans"]);
        let _ = std::fs::remove_file(&self.file);
    }
}

async fn password_token(base: &str, email: &str, password: &str) -> String {
    let response: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", email),
            ("password", password),
            ("audience", "https://sample-api"),
            ("scope", "read:messages"),
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

#[tokio::test]
#[ignore = "needs Docker, docker-compose and the images: cargo xtask test runs it"]
async fn the_readme_compose_file_starts_the_app_once_the_mock_is_healthy_and_its_tokens_verify() {
    // Arrange: the README's file, with free host ports instead of 4000 and 3001.
    require_image(&mock_idp_image());
    require_image(&sample_api_image());
    let (idp_port, api_port) = (free_port(), free_port());
    let file = recipe("compose")
        .replace("\"4000:4000\"", &format!("\"127.0.0.1:{idp_port}:4000\""))
        .replace("localhost:4000", &format!("localhost:{idp_port}"))
        .replace("\"3001:3001\"", &format!("\"127.0.0.1:{api_port}:3001\""))
        .replace("mock-idp:local", &mock_idp_image())
        .replace("sample-api:local", &sample_api_image());
    let name = unique("compose");
    let path = std::env::temp_dir().join(format!("{name}.yml"));
    std::fs::write(&path, &file).unwrap();
    let project = Project {
        name: name.clone(),
        file: path,
    };

    // Act: `up -d` returns once the app is started, which waits for `service_healthy`.
    let up = project.run(&["up", "-d"]);

    // Assert
    assert!(
        up.status.success(),
        "compose up failed: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    let idp_id = docker(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={name}"),
        "--filter",
        "label=com.docker.compose.service=idp",
    ]);
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Health.Status}}", &idp_id]),
        "healthy",
        "the app started only after the mock was healthy"
    );
    let idp_base = format!("http://localhost:{idp_port}");
    let api_base = format!("http://127.0.0.1:{api_port}");
    get_when_up(&format!("{api_base}/api/public"), Duration::from_secs(20)).await;
    let token = password_token(&idp_base, "carol@example.com", "hunter2").await;
    assert_eq!(claims(&token)["iss"], format!("{idp_base}/"));
    assert_eq!(
        claims(&token)["permissions"],
        serde_json::json!(["read:messages"])
    );
    let status = call_private(&api_base, &token).await;
    assert_eq!(
        status, 200,
        "the app fetched the JWKS from idp:4000 and accepted the token"
    );
}

#[tokio::test]
#[ignore = "needs Docker and mock-idp:local: cargo xtask test runs it"]
async fn the_readme_github_actions_service_becomes_healthy_with_its_inline_tenant_and_issuer() {
    // Arrange: the snippet's service settings, run as the runner runs a service container.
    let snippet = recipe("github");
    assert!(snippet.contains("ports: [\"4000:4000\"]"), "{snippet}");
    let tenant = yaml_value(&snippet, "MOCK_IDP_CONFIG_TOML");
    let image = mock_idp_image();
    require_image(&image);
    let container = Container::run(&[
        "-p",
        "127.0.0.1::4000",
        "-e",
        &format!("MOCK_IDP_CONFIG_TOML={tenant}"),
        &image,
    ]);

    // Act: the runner waits for the image's HEALTHCHECK before the first step.
    container.wait_healthy(Duration::from_secs(30));
    let base = format!("http://127.0.0.1:{}", container.host_port(4000));
    let token = password_token(&base, "carol@example.com", "hunter2").await;

    // Assert: on the runner the port is 4000 itself, so the default issuer is what steps see.
    assert_eq!(claims(&token)["iss"], "http://localhost:4000/");
    assert!(
        snippet.contains("issuer http://localhost:4000/"),
        "{snippet}"
    );
}

#[tokio::test]
#[ignore = "needs Docker, mock-idp:local and sample-api:local: cargo xtask test runs it"]
async fn the_readme_gitlab_service_answers_the_job_under_its_alias_with_that_issuer() {
    // Arrange: the snippet's service under its alias, and a job container (sample-api, set up
    // with the snippet's job variables) on the same network.
    let snippet = recipe("gitlab");
    let alias = yaml_value(&snippet, "alias");
    let issuer = yaml_value(&snippet, "MOCK_IDP_ISSUER");
    let job_issuer = yaml_value(&snippet, "ISSUER_BASE_URL");
    let (mock, api) = (mock_idp_image(), sample_api_image());
    require_image(&mock);
    require_image(&api);
    let network = Network::create();
    let service = Container::run(&[
        "--network",
        &network.name,
        "--network-alias",
        &alias,
        "-p",
        "127.0.0.1::4000",
        "-e",
        &format!("MOCK_IDP_ISSUER={issuer}"),
        &mock,
    ]);
    service.wait_for_stdout("mock-idp ready", Duration::from_secs(20));
    let job = Container::run(&[
        "--network",
        &network.name,
        "-p",
        "127.0.0.1::3001",
        "-e",
        &format!("ISSUER_BASE_URL={job_issuer}"),
        &api,
    ]);
    let api_base = format!("http://127.0.0.1:{}", job.host_port(3001));
    get_when_up(&format!("{api_base}/api/public"), Duration::from_secs(20)).await;

    // Act
    let token = m2m_token(&format!("http://127.0.0.1:{}", service.host_port(4000))).await;
    let status = call_private(&api_base, &token).await;

    // Assert
    assert_eq!(alias, "idp");
    assert_eq!(claims(&token)["iss"], issuer);
    assert_eq!(
        status,
        200,
        "the job discovered {issuer} under the alias and accepted its token; logs {:?}",
        job.logs()
    );
}

#[test]
fn the_yaml_reader_finds_plain_values_and_block_text() {
    // Arrange
    let snippet = "a:\n  b: one # note\n  c: |\n    [x]\n    y = 1\n  d: two\n";

    // Act / Assert
    assert_eq!(yaml_value(snippet, "b"), "one");
    assert_eq!(yaml_value(snippet, "c"), "[x]\ny = 1\n");
    assert_eq!(yaml_value(snippet, "d"), "two");
}
