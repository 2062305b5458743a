//! The image itself: starts and serves, is small, runs as a non-root user, reports healthy,
//! takes its tenant inline, refuses a broken one, and stops at once on SIGTERM.

use std::time::{Duration, Instant};

use crate::docker::{Container, docker, docker_output, get_when_up, mock_idp_image, require_image};

#[tokio::test]
#[ignore = "needs Docker and mock-idp:local: cargo xtask test runs it"]
async fn the_container_serves_discovery_on_its_published_port_moments_after_start() {
    // Arrange
    let image = mock_idp_image();
    require_image(&image);
    let created = docker(&["create", "-p", "127.0.0.1::4000", &image]);
    let container = Container { id: created };

    // Act
    let started = Instant::now();
    docker(&["start", &container.id]);
    let port = container.host_port(4000);
    let discovery = get_when_up(
        &format!("http://127.0.0.1:{port}/.well-known/openid-configuration"),
        Duration::from_secs(20),
    )
    .await;
    let took = started.elapsed();

    // Assert: a figure, not a bound (the bench script measures it properly).
    eprintln!("container start → discovery 200: {} ms", took.as_millis());
    assert_eq!(
        discovery["issuer"], "http://localhost:4000/",
        "the container's own port until told otherwise"
    );
    let (stdout, _) = container.logs();
    assert!(
        stdout.contains("mock-idp ready: issuer http://localhost:4000/ listening 0.0.0.0:4000"),
        "{stdout}"
    );
}

#[test]
#[ignore = "needs Docker and mock-idp:local: cargo xtask test runs it"]
fn the_image_is_under_10_mb_from_scratch_and_runs_as_a_non_root_user() {
    // Arrange
    let image = mock_idp_image();
    require_image(&image);

    // Act
    let size: u64 = docker(&["image", "inspect", "--format", "{{.Size}}", &image])
        .parse()
        .unwrap();
    let user = docker(&["image", "inspect", "--format", "{{.Config.User}}", &image]);
    let layers = docker(&[
        "image",
        "inspect",
        "--format",
        "{{len .RootFS.Layers}}",
        &image,
    ]);
    let ports = docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.ExposedPorts}}",
        &image,
    ]);

    // Assert
    eprintln!("image size: {:.2} MB", size as f64 / 1_000_000.0);
    assert!(size < 10_000_000, "{size} bytes");
    assert_eq!(user, "65532:65532");
    assert_eq!(layers, "1", "one layer: the binary, on nothing");
    assert_eq!(ports, r#"{"4000/tcp":{}}"#);
}

#[test]
#[ignore = "needs Docker and mock-idp:local: cargo xtask test runs it"]
fn the_images_healthcheck_reports_the_container_healthy() {
    // Arrange
    let image = mock_idp_image();
    require_image(&image);

    // Act
    let container = Container::run(&[&image]);

    // Assert
    container.wait_healthy(Duration::from_secs(30));
    let log = container.inspect("{{json .State.Health.Log}}");
    assert!(log.contains("answered 200"), "{log}");
}

#[test]
#[ignore = "needs Docker and mock-idp:local: cargo xtask test runs it"]
fn the_healthcheck_in_a_container_with_no_mock_running_exits_1_within_its_timeout() {
    // Arrange
    let image = mock_idp_image();
    require_image(&image);

    // Act: the binary as the entry point's argument, with nothing listening in its container.
    let output = docker_output(&["run", "--rm", &image, "healthcheck", "--timeout", "500ms"]);

    // Assert
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("http://127.0.0.1:4000/health"), "{stderr}");
}

#[tokio::test]
#[ignore = "needs Docker and mock-idp:local: cargo xtask test runs it"]
async fn mock_idp_config_toml_gives_the_container_its_tenant() {
    // Arrange
    let image = mock_idp_image();
    require_image(&image);
    let tenant = "[tokens]\naccess_token = 600\n\n[[users]]\nemail = \"carol@example.com\"\npassword = \"hunter2\"\n";
    let container = Container::run(&[
        "-p",
        "127.0.0.1::4000",
        "-e",
        &format!("MOCK_IDP_CONFIG_TOML={tenant}"),
        &image,
    ]);
    let base = format!("http://127.0.0.1:{}", container.host_port(4000));
    get_when_up(&format!("{base}/health"), Duration::from_secs(20)).await;

    // Act
    let response: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "sample-spa"),
            ("username", "carol@example.com"),
            ("password", "hunter2"),
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
#[ignore = "needs Docker and mock-idp:local: cargo xtask test runs it"]
fn a_broken_mock_idp_config_toml_stops_the_container_with_exit_code_2_naming_the_key() {
    // Arrange
    let image = mock_idp_image();
    require_image(&image);

    // Act
    let output = docker_output(&[
        "run",
        "--rm",
        "-e",
        "MOCK_IDP_CONFIG_TOML=[server]\nprot = 4000\n",
        &image,
    ]);

    // Assert
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MOCK_IDP_CONFIG_TOML"), "{stderr}");
    assert!(stderr.contains("prot"), "{stderr}");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("ready"),
        "it never listened"
    );
}

#[test]
#[ignore = "needs Docker and mock-idp:local: cargo xtask test runs it"]
fn sigterm_stops_the_container_at_once_and_cleanly() {
    // Arrange: PID 1 gets no default signal handling from the kernel; the binary's own
    // handlers must stop it.
    let image = mock_idp_image();
    require_image(&image);
    let container = Container::run(&[&image]);
    container.wait_for_stdout("mock-idp ready", Duration::from_secs(20));

    // Act: `docker stop` sends SIGTERM and would SIGKILL (exit 137) after 30 s.
    let started = Instant::now();
    docker(&["stop", "--time", "30", &container.id]);
    let took = started.elapsed();

    // Assert
    eprintln!("docker stop: {} ms", took.as_millis());
    assert_eq!(container.inspect("{{.State.ExitCode}}"), "0");
    assert!(
        took < Duration::from_secs(10),
        "{took:?}: not the SIGTERM handler"
    );
    let (_, stderr) = container.logs();
    assert!(stderr.contains("mock-idp: stopped"), "{stderr}");
}
