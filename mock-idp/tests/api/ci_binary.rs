//! The binary as CI pipelines use it: `mock-idp healthcheck`, `--version`, the tenant inline in
//! `MOCK_IDP_CONFIG_TOML`, and `--discovery-urls`. The same in a container is in
//! `tests/tests/container/`.

use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::Running;

const BIN: &str = env!("CARGO_BIN_EXE_mock-idp");

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("MOCK_IDP_PORT")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn healthcheck_exits_0_when_the_mock_answers() {
    // Arrange
    let served = Running::start(&["--port", "0"]);

    // Act
    let output = run(&["healthcheck", "--port", &served.port().to_string()], &[]);

    // Assert
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("answered 200"));
}

#[test]
fn healthcheck_against_nothing_exits_1_within_its_timeout() {
    // Arrange
    let port = closed_port().to_string();
    let started = Instant::now();

    // Act
    let output = run(&["healthcheck", "--port", &port, "--timeout", "300ms"], &[]);

    // Assert
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        took >= Duration::from_millis(300),
        "retried until the deadline"
    );
    assert!(took < Duration::from_secs(2), "gave up promptly: {took:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("gave up after 0.3 s"), "{stderr}");
}

#[tokio::test]
async fn healthcheck_exits_1_while_health_answers_503() {
    // Arrange
    let served = Running::start(&["--port", "0"]);
    let fault = reqwest::Client::new()
        .post(served.url("/_mock/faults"))
        .json(&serde_json::json!({"endpoint": "health", "status": 503}))
        .send()
        .await
        .unwrap();
    assert!(fault.status().is_success());

    // Act
    let output = run(
        &[
            "healthcheck",
            "--url",
            &served.url("/health"),
            "--timeout",
            "200ms",
        ],
        &[],
    );

    // Assert
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("answered 503"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn healthcheck_probes_the_port_the_same_environment_gives_the_server() {
    // Arrange: what a container's HEALTHCHECK sees, no flags, only the service's environment.
    let port = closed_port().to_string();
    let inline = format!("[server]\nport = {port}\n");
    let env = [("MOCK_IDP_CONFIG_TOML", inline.as_str())];
    let _served = Running::start_with_env(&[], &env);

    // Act
    let output = run(&["healthcheck"], &env);

    // Assert
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(&format!("127.0.0.1:{port}")));
}

#[test]
fn version_prints_the_crate_version() {
    // Act
    let output = run(&["--version"], &[]);

    // Assert
    assert!(output.status.success());
    assert_eq!(
        text(&output.stdout).trim(),
        format!("mock-idp {}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn mock_idp_config_toml_carries_the_tenant_inline() {
    // Arrange
    let inline = "[tokens]\naccess_token = 600\n\n[[users]]\nemail = \"carol@example.com\"\npassword = \"pw\"\n";
    let served = Running::start_with_env(&["--port", "0"], &[("MOCK_IDP_CONFIG_TOML", inline)]);

    // Act
    let response: Value = reqwest::Client::new()
        .post(served.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "carol@example.com"),
            ("password", "pw"),
            ("audience", "https://sample-api"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Assert
    assert_eq!(response["expires_in"], 600, "{response}");
}

#[test]
fn a_broken_mock_idp_config_toml_exits_2_naming_the_variable_and_the_key_before_listening() {
    // Arrange
    let port = closed_port().to_string();

    // Act
    let output = run(
        &["--port", &port],
        &[(
            "MOCK_IDP_CONFIG_TOML",
            "[[users]]\nemial = \"typo@example.com\"\n",
        )],
    );

    // Assert
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("MOCK_IDP_CONFIG_TOML"), "{stderr}");
    assert!(stderr.contains("emial"), "{stderr}");
    assert!(text(&output.stdout).is_empty(), "no ready line");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).is_err(),
        "it never listened"
    );
}

#[test]
fn an_inline_tenant_that_describes_an_impossible_tenant_is_refused_with_the_variable_named() {
    // Act
    let output = run(
        &["--port", "0"],
        &[(
            "MOCK_IDP_CONFIG_TOML",
            "[[clients]]\nclient_id = \"w\"\napp_type = \"non_interactive\"\nclient_secret = \"s\"\ngrants = [{ audience = \"https://nowhere\", scopes = [] }]\n",
        )],
    );

    // Assert
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("MOCK_IDP_CONFIG_TOML"), "{stderr}");
    assert!(stderr.contains("https://nowhere"), "{stderr}");
}

#[test]
fn a_config_file_and_an_inline_config_together_are_refused() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.toml");
    std::fs::write(&file, "").unwrap();

    // Act
    let output = run(
        &["--port", "0"],
        &[
            ("MOCK_IDP_CONFIG", file.to_str().unwrap()),
            ("MOCK_IDP_CONFIG_TOML", "include_default_tenant = true"),
        ],
    );

    // Assert
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("MOCK_IDP_CONFIG_TOML") && stderr.contains("MOCK_IDP_CONFIG "),
        "{stderr}"
    );
}

#[tokio::test]
async fn discovery_urls_follow_the_request_from_the_flag_the_env_var_or_the_config() {
    for (args, env) in [
        (vec!["--discovery-urls", "request"], vec![]),
        (vec![], vec![("MOCK_IDP_DISCOVERY_URLS", "request")]),
        (
            vec![],
            vec![(
                "MOCK_IDP_CONFIG_TOML",
                "[server]\ndiscovery_urls = \"request\"\n",
            )],
        ),
    ] {
        // Arrange
        let mut args = args;
        args.extend(["--port", "0", "--issuer", "http://localhost:4000/"]);
        let served = Running::start_with_env(&args, &env);

        // Act
        let doc: Value = reqwest::Client::new()
            .get(served.url("/.well-known/openid-configuration"))
            .header("host", "idp:4000")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();

        // Assert
        assert_eq!(doc["issuer"], "http://localhost:4000/", "{args:?} {env:?}");
        assert_eq!(
            doc["jwks_uri"], "http://idp:4000/.well-known/jwks.json",
            "{args:?} {env:?}"
        );
    }
}

#[test]
fn an_unknown_discovery_url_mode_is_refused() {
    // Act
    let output = run(&["--port", "0", "--discovery-urls", "host"], &[]);

    // Assert
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("\"issuer\" or \"request\""));
}

/// The fenced block after `<!-- recipe: NAME -->` in the workspace README.
fn readme_recipe(name: &str) -> String {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"),
    )
    .unwrap();
    let marker = format!("<!-- recipe: {name} -->");
    let after = readme.split_once(&marker).expect("the recipe marker").1;
    let body = after.trim_start().split_once('\n').expect("a fence").1;
    body.split_once("\n```")
        .expect("a closing fence")
        .0
        .to_owned()
}

#[test]
fn the_readme_plain_binary_recipe_starts_waits_for_and_stops_the_mock() {
    // Arrange: the README's shell lines, with a free port for 4000 and, for `npm test`, a
    // check that the mock answers discovery.
    let port = closed_port().to_string();
    let script = readme_recipe("binary").replace("4000", &port).replace(
        "npm test",
        "mock-idp healthcheck --url http://127.0.0.1:PORT/.well-known/openid-configuration --timeout 1s",
    )
    .replace("PORT", &port);
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // Act
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env("PATH", path)
        .env_remove("MOCK_IDP_PORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();

    // Assert
    assert!(
        output.status.success(),
        "{script}\nstdout {}\nstderr {}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(text(&output.stdout).contains("mock-idp ready"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the recipe's kill did not stop the mock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
