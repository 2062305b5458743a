//! `cargo xtask <command>`: the project's two entry points, in Rust so they run the same on
//! every machine that has cargo and Node.
//!
//! - `cargo xtask test`: every test — Rust (unit, integration, doc), the SPA's lint and unit
//!   tests, the Playwright browser suites, and the SDK suites (Auth0's Node SDKs, `tests/sdk`;
//!   auth0-python, `tests/python`).
//! - `cargo xtask demo`: the demo stack (see `demo.rs`).
//! - `cargo xtask image [--sample-api]`: the container image `mock-idp:local` (see `image.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod demo;
mod image;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&root),
        Some("demo") => demo::demo(&root),
        Some("image") => image::image(&root, &args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <test|demo|image>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// One step of the test run.
struct Step {
    name: &'static str,
    dir: PathBuf,
    program: String,
    args: Vec<&'static str>,
    env: Vec<(&'static str, String)>,
}

impl Step {
    fn new(name: &'static str, dir: &Path, program: &str, args: &[&'static str]) -> Self {
        Self {
            name,
            dir: dir.to_path_buf(),
            program: program.to_owned(),
            args: args.to_vec(),
            env: vec![],
        }
    }
}

fn test(root: &Path) -> Result<(), String> {
    let mut steps = vec![Step::new(
        "Rust tests (unit, integration, doc)",
        root,
        "cargo",
        &["test", "--workspace", "--locked"],
    )];
    let spa = root.join("sample-spa");
    steps.extend(npm_install(&spa, "sample-spa: npm ci"));
    steps.push(Step::new("sample-spa: lint", &spa, "npm", &["run", "lint"]));
    steps.push(Step::new("sample-spa: unit tests", &spa, "npm", &["test"]));
    steps.extend(browser_steps(root, &spa)?);
    steps.extend(sdk_steps(root));
    let mut skipped = Vec::new();
    match python_steps(root)? {
        Ok(more) => steps.extend(more),
        Err(why) => skipped.push(why),
    }
    match container_steps(root)? {
        Ok(more) => steps.extend(more),
        Err(why) => skipped.push(why),
    }
    let started = Instant::now();
    let mut results = Vec::new();
    for step in steps {
        eprintln!("\n==> {}", step.name);
        let t = Instant::now();
        let status = Command::new(&step.program)
            .args(&step.args)
            .current_dir(&step.dir)
            .envs(step.env.iter().map(|(k, v)| (*k, v.as_str())))
            .status()
            .map_err(|e| format!("cannot run {}: {e}", step.program))?;
        results.push((step.name, status.success(), t.elapsed().as_secs()));
        if !status.success() {
            break;
        }
    }
    eprintln!("\n==> Summary ({} s)", started.elapsed().as_secs());
    for (name, ok, secs) in &results {
        eprintln!("  {} {name} ({secs} s)", if *ok { "ok  " } else { "FAIL" });
    }
    for why in &skipped {
        eprintln!("  SKIP {why}");
    }
    let failed = results.iter().filter(|(_, ok, _)| !ok).count();
    let passed = results.len() - failed;
    if skipped.is_empty() {
        println!("xtask: {passed} passed, {failed} failed");
    } else {
        println!(
            "xtask: {passed} passed, {failed} failed, {} skipped",
            skipped.len()
        );
    }
    if failed == 0 {
        Ok(())
    } else {
        Err("a test step failed".into())
    }
}

/// The Playwright suites in `tests/e2e`, against Debian's Chromium and prebuilt debug binaries.
/// Each config that starts servers owns port 3000, so they run one after the other.
fn browser_steps(root: &Path, spa: &Path) -> Result<Vec<Step>, String> {
    let chromium = std::env::var_os("CHROMIUM_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        return Err(format!(
            "the browser suites need Chromium at {}, and none is there.\n       \
             Install Debian's package (`sudo apt-get install chromium`), or set CHROMIUM_PATH \
             to a Chromium binary. Playwright's downloaded browsers are never used.",
            chromium.display()
        ));
    }
    let e2e = root.join("tests/e2e");
    let debug = target_dir(root).join("debug");
    let bin = |name: &str| debug.join(name).display().to_string();
    let servers = vec![
        ("MOCK_IDP_BIN", bin("mock-idp")),
        ("SAMPLE_API_BIN", bin("sample-api")),
        ("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1".to_string()),
        // Start every server here; never test whatever already listens on :3000/:3001/:4000.
        ("E2E_OWN_SERVERS", "1".to_string()),
    ];

    let mut steps = Vec::new();
    steps.extend(npm_install(&e2e, "e2e: npm ci"));
    if newer_sources(spa) {
        steps.push(Step::new(
            "sample-spa: build (for the browser suite)",
            spa,
            "npm",
            &["run", "build"],
        ));
    }
    steps.push(Step::new(
        "mock-idp, sample-api: build the binaries the browser suites start",
        root,
        "cargo",
        // `--workspace --bins`, not `-p mock-idp -p sample-api`: the same packages as the test
        // step, so cargo unifies the same features (xtask's `nix` turns on a libc feature)
        // and reuses what the tests built instead of rebuilding aws-lc and tokio (24 s).
        &["build", "--locked", "--workspace", "--bins"],
    ));
    steps.push(Step::new(
        "e2e: typecheck",
        &e2e,
        "npm",
        &["run", "typecheck"],
    ));
    for (name, config) in [
        ("e2e: browser smoke test", "playwright.config.ts"),
        (
            "e2e: auth0-spa-js against mock-idp",
            "playwright.spa-js.config.ts",
        ),
        (
            "e2e: sample-spa → mock-idp → sample-api",
            "playwright.sample-spa.config.ts",
        ),
        (
            "e2e: the inspector page (writes docs/inspector/*.png)",
            "playwright.inspector.config.ts",
        ),
    ] {
        steps.push(Step {
            env: servers.clone(),
            ..Step::new(name, &e2e, "npx", &["playwright", "test", "-c", config])
        });
    }
    Ok(steps)
}

/// The SDK suites in `tests/sdk`: Auth0's real Node SDKs against the mock binary that
/// `browser_steps` built.
fn sdk_steps(root: &Path) -> Vec<Step> {
    let sdk = root.join("tests/sdk");
    let bin = target_dir(root)
        .join("debug/mock-idp")
        .display()
        .to_string();
    let mut steps = Vec::new();
    steps.extend(npm_install(&sdk, "sdk: npm ci"));
    steps.push(Step {
        env: vec![("MOCK_IDP_BIN", bin)],
        ..Step::new(
            "sdk: Auth0's Node SDKs against mock-idp",
            &sdk,
            "npm",
            &["test"],
        )
    });
    steps
}

/// The auth0-python suite in `tests/python`: a venv of its own (`tests/python/.venv`, made
/// with `python3 -m venv` once), the pinned `requirements.txt`, then pytest against the mock
/// binary that `browser_steps` built. Without a python3 that can make a venv it is skipped,
/// loudly, and the reason comes back as the inner `Err`; under `CI=true` that fails the run
/// (the outer `Err`) instead.
fn python_steps(root: &Path) -> Result<Result<Vec<Step>, String>, String> {
    let suite = root.join("tests/python");
    let venv_ok = Command::new("python3")
        .args(["-c", "import ensurepip, venv"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !venv_ok {
        let message = "Python suite (auth0-python): no python3 that can make a venv. Install \
                       Debian's python3 and python3-venv (.ci/run does) to run it."
            .to_string();
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(format!(
                "{message}\n       CI=true: the Python suite must run, so this is a failure."
            ));
        }
        eprintln!("\n!!! SKIPPING the {message}\n");
        return Ok(Err(message));
    }
    let python = suite.join(".venv/bin/python").display().to_string();
    let mut steps = Vec::new();
    if !suite.join(".venv/bin/python").is_file() {
        steps.push(Step::new(
            "python: python3 -m venv tests/python/.venv",
            &suite,
            "python3",
            &["-m", "venv", ".venv"],
        ));
    }
    steps.push(Step::new(
        "python: pip install -r requirements.txt",
        &suite,
        &python,
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            "requirements.txt",
        ],
    ));
    let bin = target_dir(root)
        .join("debug/mock-idp")
        .display()
        .to_string();
    steps.push(Step {
        env: vec![("MOCK_IDP_BIN", bin)],
        ..Step::new(
            "python: auth0-python against mock-idp (pytest)",
            &suite,
            &python,
            &["-m", "pytest"],
        )
    });
    Ok(Ok(steps))
}

/// The container suite (`tests/tests/container/`): build the images, then run the tests that
/// `cargo test` alone leaves ignored. Without a Docker daemon it is skipped, loudly, and the
/// reason comes back as the inner `Err`; under `CI=true` a missing daemon fails the run (the
/// outer `Err`) instead.
fn container_steps(root: &Path) -> Result<Result<Vec<Step>, String>, String> {
    if let Err(why) = docker_answers() {
        let message = format!(
            "container suite: no Docker daemon answers ({why}). Install Debian's docker.io and \
             start dockerd (.ci/run shows how) to run it."
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(format!(
                "{message}\n       CI=true: the container suite must run, so this is a failure."
            ));
        }
        eprintln!("\n!!! SKIPPING the {message}\n");
        return Ok(Err(message));
    }
    let image = Step::new(
        "container images: cargo xtask image --sample-api",
        root,
        "cargo",
        &["xtask", "image", "--sample-api"],
    );
    let mut suite = Step::new(
        "container suite (Docker: image, healthcheck, issuers, CI recipes)",
        root,
        "cargo",
        &[
            "test",
            "--locked",
            "-p",
            "integration-tests",
            "--test",
            "container",
            "--",
            "--ignored",
        ],
    );
    suite.env = vec![
        ("MOCK_IDP_IMAGE", image::MOCK_IDP_IMAGE.to_string()),
        ("SAMPLE_API_IMAGE", image::SAMPLE_API_IMAGE.to_string()),
    ];
    Ok(Ok(vec![image, suite]))
}

/// `Ok` when `docker version` reaches a daemon within a few seconds.
fn docker_answers() -> Result<(), String> {
    let mut child = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run docker: {e}"))?;
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(_)) => return Err("`docker version` found no server".into()),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Ok(None) => {
                // Our own child, by its handle: nothing else is signalled.
                let _ = child.kill();
                let _ = child.wait();
                return Err("`docker version` did not answer within 10 s".into());
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Where cargo puts its output: `CARGO_TARGET_DIR` (relative to the root) or `target`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `node_modules` is missing or older than the lockfile.
pub(crate) fn needs_npm_ci(dir: &Path) -> bool {
    let lock = modified(&dir.join("package-lock.json"));
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    !matches!((lock, installed), (Some(l), Some(i)) if i >= l)
}

/// Any file under `src/` (or the Vite config / index.html) is newer than the built bundle.
pub(crate) fn newer_sources(spa: &Path) -> bool {
    let Some(built) = modified(&spa.join("dist/index.html")) else {
        return true;
    };
    fn newest(dir: &Path) -> Option<std::time::SystemTime> {
        let mut best = modified(dir);
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let path = entry.path();
            let t = if path.is_dir() {
                newest(&path)
            } else {
                modified(&path)
            };
            best = best.max(t);
        }
        best
    }
    [
        newest(&spa.join("src")),
        modified(&spa.join("index.html")),
        modified(&spa.join("vite.config.ts")),
    ]
    .into_iter()
    .flatten()
    .any(|t| t > built)
}

/// `npm ci` when `node_modules` is missing or older than the lockfile.
fn npm_install(dir: &Path, name: &'static str) -> Option<Step> {
    needs_npm_ci(dir).then(|| Step {
        env: vec![("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1".into())],
        ..Step::new(name, dir, "npm", &["ci", "--no-audit", "--no-fund"])
    })
}
