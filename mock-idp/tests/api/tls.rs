//! HTTPS: `--tls` with the local CA (made once, reused, private files), `--tls-cert` and
//! `--tls-key`, bad certificate files, what a client that does not speak TLS gets, the
//! healthcheck, and `MockIdp::builder().https()`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mock_idp::MockIdp;
use serde_json::Value;

use crate::helpers::Running;

const BIN: &str = env!("CARGO_BIN_EXE_mock-idp");

/// A client that trusts `ca_pem` and nothing else.
fn trusting(ca_pem: &[u8]) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// `mock-idp --port 0 --tls --tls-dir <dir>` plus `args`.
fn start_tls(dir: &Path, args: &[&str]) -> Running {
    let mut all = vec!["--port", "0", "--tls", "--tls-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    Running::start(&all)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn serves_discovery_over_https_to_a_client_that_trusts_the_local_ca() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    let running = start_tls(&tls, &[]);
    let http = trusting(&std::fs::read(tls.join("ca.pem")).unwrap());

    // Act
    let by_name = http
        .get(format!(
            "https://localhost:{}/.well-known/openid-configuration",
            running.port()
        ))
        .send()
        .await
        .unwrap();
    let version = by_name.version();
    let doc: Value = by_name.json().await.unwrap();
    let by_address = http.get(running.https_url("/health")).send().await.unwrap();

    // Assert
    assert_eq!(
        running.issuer,
        format!("https://localhost:{}/", running.port())
    );
    assert_eq!(doc["issuer"], running.issuer);
    assert_eq!(
        doc["token_endpoint"],
        format!("{}oauth/token", running.issuer)
    );
    assert_eq!(version, reqwest::Version::HTTP_2, "h2 negotiated by ALPN");
    assert_eq!(by_address.status(), 200, "the leaf covers 127.0.0.1 too");
    // Off this runtime: the client's h2 connection runs on it, and must answer the server's
    // GOAWAY for the shutdown to finish.
    let stopped = tokio::task::spawn_blocking(move || running.terminate());
    assert!(
        stopped.await.unwrap().success(),
        "graceful shutdown over TLS"
    );
}

#[tokio::test]
async fn an_http1_only_client_is_served_too() {
    let dir = tempfile::tempdir().unwrap();
    let running = start_tls(dir.path(), &[]);
    let ca = reqwest::Certificate::from_pem(&std::fs::read(dir.path().join("ca.pem")).unwrap());
    let http = reqwest::Client::builder()
        .tls_certs_only([ca.unwrap()])
        .http1_only()
        .build()
        .unwrap();

    let response = http.get(running.https_url("/health")).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
}

#[test]
fn the_ca_is_made_on_first_start_and_reused_with_private_files() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("nested").join("tls");

    // Act
    let first = start_tls(&tls, &[]);
    let ca = std::fs::read(tls.join("ca.pem")).unwrap();
    let leaf = std::fs::read(tls.join("cert.pem")).unwrap();
    assert!(first.terminate().success());
    let second = start_tls(&tls, &[]);

    // Assert
    assert_eq!(
        std::fs::read(tls.join("ca.pem")).unwrap(),
        ca,
        "the CA is reused"
    );
    assert_eq!(
        std::fs::read(tls.join("cert.pem")).unwrap(),
        leaf,
        "the leaf still covers the issuer, so it is reused"
    );
    assert!(
        String::from_utf8(ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&tls), 0o700);
        for file in ["ca.pem", "ca-key.pem", "cert.pem", "key.pem"] {
            assert_eq!(mode(&tls.join(file)), 0o600, "{file}");
        }
    }
    drop(second);
}

#[tokio::test]
async fn a_new_issuer_host_gets_a_new_leaf_from_the_same_ca() {
    // Arrange: a first start for localhost, then one whose issuer is another host.
    let dir = tempfile::tempdir().unwrap();
    let first = start_tls(dir.path(), &[]);
    let leaf = std::fs::read(dir.path().join("cert.pem")).unwrap();
    let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
    drop(first);

    // Act
    let second = start_tls(dir.path(), &["--issuer", "https://idp.test:{port}/"]);
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .resolve("idp.test", ([127, 0, 0, 1], second.port()).into())
        .build()
        .unwrap();
    let response = http
        .get(format!("{}.well-known/openid-configuration", second.issuer))
        .send()
        .await
        .unwrap();

    // Assert
    assert_ne!(std::fs::read(dir.path().join("cert.pem")).unwrap(), leaf);
    assert_eq!(std::fs::read(dir.path().join("ca.pem")).unwrap(), ca);
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(
        doc["issuer"],
        format!("https://idp.test:{}/", second.port())
    );
}

#[tokio::test]
async fn your_own_certificate_and_key_are_served() {
    // Arrange: a self-signed certificate for localhost, made as a developer's tool would.
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (dir.path().join("my.crt"), dir.path().join("my.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();

    // Act
    let running = Running::start(&[
        "--port",
        "0",
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
    ]);
    let response = trusting(cert.pem().as_bytes())
        .get(format!("https://localhost:{}/health", running.port()))
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(response.status(), 200);
    assert_eq!(
        running.issuer,
        format!("https://localhost:{}/", running.port())
    );
}

fn start_error(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(BIN)
        .args(["--port", "0"])
        .args(args)
        .env_remove("MOCK_IDP_PORT")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_bad_or_missing_certificate_file_is_a_clear_error_and_exit_code_2() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not PEM").unwrap();
    let missing = dir.path().join("missing.pem");
    let (garbage, missing) = (garbage.to_str().unwrap(), missing.to_str().unwrap());

    // Act
    let bad_cert = start_error(&["--tls-cert", garbage, "--tls-key", garbage]);
    let no_key = start_error(&["--tls-cert", garbage]);
    let missing_file = start_error(&["--tls-cert", missing, "--tls-key", missing]);

    // Assert
    assert_eq!(bad_cert.0, Some(2), "{}", bad_cert.1);
    assert!(bad_cert.1.contains(garbage), "{}", bad_cert.1);
    assert!(bad_cert.1.contains("CERTIFICATE"), "{}", bad_cert.1);
    assert_eq!(no_key.0, Some(2), "{}", no_key.1);
    assert!(no_key.1.contains("--tls-key"), "{}", no_key.1);
    assert_eq!(missing_file.0, Some(2), "{}", missing_file.1);
    assert!(missing_file.1.contains(missing), "{}", missing_file.1);
    assert!(!bad_cert.1.contains("panicked"), "{}", bad_cert.1);
}

#[test]
fn a_ca_key_that_is_not_a_key_is_a_clear_error_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca-key.pem"), "not a key").unwrap();

    let (code, stderr) = start_error(&["--tls", "--tls-dir", dir.path().to_str().unwrap()]);

    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("ca-key.pem"), "{stderr}");
}

/// Sends `bytes` on a fresh connection and reads until the server closes it: what came back.
fn send_and_read_to_close(address: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        // A reset is a close too.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the connection was not closed: {e}"),
    }
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_and_garbage_to_the_tls_port_close_that_connection_and_no_other() {
    // Arrange
    let idp = MockIdp::builder().https().start().await;
    let http = trusting(idp.ca_certificate_pem().unwrap().as_bytes());
    let address = idp.address();

    // Act
    let plain = tokio::task::spawn_blocking(move || {
        send_and_read_to_close(address, b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    });
    let garbage = tokio::task::spawn_blocking(move || {
        send_and_read_to_close(address, &[0x16, 0x03, 0x01, 0xff, 0xff, 0, 1, 2, 3])
    });
    let (plain, garbage) = (plain.await.unwrap(), garbage.await.unwrap());
    let served = http.get(idp.url("/health")).send().await.unwrap();

    // Assert
    assert!(!plain.starts_with(b"HTTP/"), "no HTTP answer in clear text");
    assert!(!garbage.starts_with(b"HTTP/"));
    assert_eq!(served.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stalls_in_its_handshake_delays_no_one_else() {
    // Arrange: connections that opened and said nothing, or half a ClientHello.
    let idp = MockIdp::builder().https().start().await;
    let http = trusting(idp.ca_certificate_pem().unwrap().as_bytes());
    let silent = TcpStream::connect(idp.address()).unwrap();
    let mut half = TcpStream::connect(idp.address()).unwrap();
    half.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .unwrap();

    // Act: well before the handshake timeout (10 s) frees anything.
    let served =
        tokio::time::timeout(Duration::from_secs(5), http.get(idp.url("/health")).send()).await;

    // Assert
    let served = served.expect("served while others stall").unwrap();
    assert_eq!(served.status(), 200);
    drop((silent, half));
}

#[tokio::test]
async fn an_https_mock_in_process_issues_tokens_to_a_client_that_trusts_its_ca() {
    // Arrange
    let idp = MockIdp::builder().https().start().await;
    let http = trusting(idp.ca_certificate_pem().unwrap().as_bytes());

    // Act
    let response = crate::helpers::client_credentials_over(&http, &idp).await;

    // Assert
    assert!(idp.uri().starts_with("https://127.0.0.1:"), "{}", idp.uri());
    assert_eq!(
        idp.issuer(),
        format!("https://localhost:{}/", idp.address().port())
    );
    let claims = crate::helpers::claims(response["access_token"].as_str().unwrap());
    assert_eq!(claims["iss"], idp.issuer());
    let untrusting = reqwest::Client::new().get(idp.url("/health")).send().await;
    assert!(untrusting.is_err(), "the mock's CA is not a public one");
}

#[tokio::test]
async fn every_https_mock_of_a_process_shares_one_ca() {
    let (a, b) = (
        MockIdp::builder().https().start().await,
        MockIdp::builder().https().start().await,
    );

    let from_b = trusting(a.ca_certificate_pem().unwrap().as_bytes())
        .get(b.url("/health"))
        .send()
        .await
        .unwrap();

    assert_eq!(a.ca_certificate_pem(), b.ca_certificate_pem());
    assert_eq!(from_b.status(), 200);
}

#[test]
fn the_healthcheck_probes_a_tls_mock_over_https() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let running = start_tls(dir.path(), &[]);
    let port = running.port().to_string();
    let healthcheck = |args: &[&str], tls: &str| {
        Command::new(BIN)
            .arg("healthcheck")
            .args(args)
            .env_remove("MOCK_IDP_PORT")
            .env("MOCK_IDP_TLS", tls)
            .env("MOCK_IDP_TLS_DIR", dir.path())
            .output()
            .unwrap()
    };

    // Act: the same environment as the server's (a container's), an explicit URL, and an
    // environment that does not say TLS (a container started with the `--tls` flag).
    let by_env = healthcheck(&["--port", &port], "true");
    let by_url = healthcheck(
        &["--url", &running.https_url("/health"), "--timeout", "1s"],
        "false",
    );
    let unaware = healthcheck(&["--port", &port], "false");

    // Assert
    let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(by_env.status.code(), Some(0), "{}", text(&by_env));
    assert!(String::from_utf8_lossy(&by_env.stdout).contains("https://127.0.0.1"));
    assert_eq!(by_url.status.code(), Some(0), "{}", text(&by_url));
    assert_eq!(
        unaware.status.code(),
        Some(0),
        "a port that does not answer HTTP in clear is probed over HTTPS: {}",
        text(&unaware)
    );
    assert!(String::from_utf8_lossy(&unaware.stdout).contains("https://127.0.0.1"));
}
