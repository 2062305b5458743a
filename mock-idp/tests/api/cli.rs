//! The `mock-idp` binary: starts with no configuration, prints one ready line, honours its
//! flags and config file, and stops cleanly on SIGTERM.

use std::process::Command;

use crate::helpers::Running;

async fn get_json(url: &str) -> serde_json::Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn starts_with_the_default_tenant_and_stops_cleanly_on_sigterm() {
    // Arrange / Act
    let running = Running::start(&["--port", "0"]);
    let doc = get_json(&running.url("/.well-known/openid-configuration")).await;

    // Assert
    assert_eq!(
        running.issuer,
        format!("http://localhost:{}/", running.port())
    );
    assert_eq!(doc["issuer"], running.issuer);
    let status = running.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn stops_cleanly_on_sigterm_sent_right_after_the_ready_line() {
    // Supervisors (and CI scripts) may stop the mock the moment it says it is ready; the
    // signal handlers must already be in place by then.
    for _ in 0..20 {
        let idp = Running::start(&["--port", "0"]);
        assert!(idp.terminate().success());
    }
}

#[tokio::test]
async fn the_issuer_flag_sets_the_public_issuer() {
    let running = Running::start(&["--port", "0", "--issuer", "https://idp.example.test"]);
    assert_eq!(running.issuer, "https://idp.example.test/");
    let doc = get_json(&running.url("/.well-known/openid-configuration")).await;
    assert_eq!(
        doc["jwks_uri"],
        "https://idp.example.test/.well-known/jwks.json"
    );
}

#[tokio::test]
async fn a_config_file_adds_users_and_the_env_var_points_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.toml");
    std::fs::write(
        &path,
        "[tokens]\naccess_token = 600\n\n[[users]]\nemail = \"carol@example.com\"\npassword = \"pw\"\n",
    )
    .unwrap();
    let running = Running::start_with_env(&["--port", "0"], &[("MOCK_IDP_CONFIG", &path)]);
    let response: serde_json::Value = reqwest::Client::new()
        .post(running.url("/oauth/token"))
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
    assert_eq!(response["expires_in"], 600, "{response}");
}

#[test]
fn an_invalid_config_file_is_a_clear_error_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[[users]]\nemial = \"typo@example.com\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mock-idp"))
        .args(["--port", "0", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("emial"), "{stderr}");
}

#[tokio::test]
async fn a_keys_file_keeps_the_signing_key_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    let keys = keys.to_str().unwrap();
    let first = Running::start(&["--port", "0", "--keys-file", keys]);
    let kid1 = get_json(&first.url("/.well-known/jwks.json")).await["keys"][0]["kid"].clone();
    assert!(first.terminate().success());
    let second = Running::start(&["--port", "0", "--keys-file", keys]);
    let kid2 = get_json(&second.url("/.well-known/jwks.json")).await["keys"][0]["kid"].clone();
    assert_eq!(kid1, kid2);
    let default = Running::start(&["--port", "0"]);
    let dev = get_json(&default.url("/.well-known/jwks.json")).await["keys"][0]["kid"].clone();
    assert_ne!(
        kid1, dev,
        "a keys file holds a fresh key, not the public development key"
    );
}

/// The status of `GET /_mock/clock` sent with this `Host` header.
async fn control_status_as(running: &Running, host: &str) -> u16 {
    reqwest::Client::new()
        .get(running.url("/_mock/clock"))
        .header("host", host)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_allowed_host_flag_lets_a_container_name_use_the_control_api() {
    // Arrange
    let plain = Running::start(&["--port", "0"]);
    let allowed = Running::start(&["--port", "0", "--allowed-host", "mock-idp"]);

    // Act
    let refused = control_status_as(&plain, "mock-idp:4000").await;
    let answered = control_status_as(&allowed, "mock-idp:4000").await;
    let other = control_status_as(&allowed, "evil.example:4000").await;

    // Assert
    assert_eq!(refused, 403);
    assert_eq!(answered, 200);
    assert_eq!(other, 403);
}

#[tokio::test]
async fn allowed_hosts_come_from_the_env_var_or_the_config_file() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.toml");
    std::fs::write(&path, "[server]\nallowed_hosts = [\"idp\"]\n").unwrap();
    let hosts = std::path::Path::new("idp, mock-idp");
    let from_env = Running::start_with_env(&["--port", "0"], &[("MOCK_IDP_ALLOWED_HOSTS", hosts)]);
    let from_file = Running::start_with_env(&["--port", "0"], &[("MOCK_IDP_CONFIG", &path)]);

    // Act
    let env_statuses = [
        control_status_as(&from_env, "idp").await,
        control_status_as(&from_env, "mock-idp:4000").await,
        control_status_as(&from_env, "evil.example").await,
    ];
    let file_statuses = [
        control_status_as(&from_file, "idp:4000").await,
        control_status_as(&from_file, "mock-idp").await,
    ];

    // Assert
    assert_eq!(env_statuses, [200, 200, 403]);
    assert_eq!(file_statuses, [200, 403]);
}
