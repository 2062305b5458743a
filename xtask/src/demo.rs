//! `cargo xtask demo`: the tutorial's whole world on one machine.
//!
//! Builds what is missing (the two Rust binaries in release mode; the SPA's npm packages and
//! bundle the first time), then starts mock-idp on 4000, sample-api on 3001 and the SPA on
//! 3000, waits until each answers, prints where to go, and stops all three on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A child process that is killed (with its process group) when dropped.
struct Service {
    name: &'static str,
    child: Child,
}

impl Drop for Service {
    fn drop(&mut self) {
        // SIGTERM first, for a clean shutdown; the process group takes npm's children too.
        let pid = self.child.id().to_string();
        let _ = Command::new("kill")
            .args(["-TERM", &format!("-{pid}")])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                eprintln!("  stopped {}", self.name);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("  killed {}", self.name);
    }
}

fn spawn(name: &'static str, dir: &Path, program: &str, args: &[&str]) -> Result<Service, String> {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {name} ({program}): {e}"))?;
    // Prefix each service's output so the three logs stay readable together.
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                eprintln!("[{name}] {line}");
            }
        });
    }
    Ok(Service { name, child })
}

fn wait_for_port(name: &str, port: u16, service: &mut Service) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok()
            || TcpStream::connect(("::1", port)).is_ok()
        {
            return Ok(());
        }
        if let Ok(Some(status)) = service.child.try_wait() {
            return Err(format!(
                "{name} exited ({status}) before listening on {port}; is the port in use?"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{name} did not listen on port {port} within 60 s"))
}

fn run(dir: &Path, program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("==> {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("{program} {} failed ({status})", args.join(" ")))
}

pub(crate) fn demo(root: &Path) -> Result<(), String> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc_handler(move || stop.store(true, Ordering::SeqCst))?;
    }
    for port in [4000, 3001, 3000] {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Err(format!(
                "port {port} is already in use; stop whatever listens there first"
            ));
        }
    }

    run(
        root,
        "cargo",
        &["build", "--release", "-p", "mock-idp", "-p", "sample-api"],
    )?;
    let spa = root.join("sample-spa");
    if crate::needs_npm_ci(&spa) {
        run(&spa, "npm", &["ci", "--no-audit", "--no-fund"])?;
    }
    if crate::newer_sources(&spa) {
        run(&spa, "npm", &["run", "build"])?;
    }

    let bin = crate::target_dir(root).join("release");
    let mut idp = spawn(
        "mock-idp",
        root,
        bin.join("mock-idp").to_str().unwrap_or("mock-idp"),
        &["--port", "4000"],
    )?;
    wait_for_port("mock-idp", 4000, &mut idp)?;
    let mut api = spawn(
        "sample-api",
        root,
        bin.join("sample-api").to_str().unwrap_or("sample-api"),
        &[],
    )?;
    wait_for_port("sample-api", 3001, &mut api)?;
    let mut web = spawn(
        "sample-spa",
        &spa,
        "npm",
        &["run", "preview", "--", "--port", "3000", "--strictPort"],
    )?;
    wait_for_port("sample-spa", 3000, &mut web)?;

    eprintln!();
    eprintln!("  The demo is up. Open http://localhost:3000 and log in:");
    eprintln!("    alice@example.com / password   (may call the scoped API)");
    eprintln!("    bob@example.com   / password   (gets 403 from the scoped API)");
    eprintln!("  mock-idp   http://localhost:4000/   (issuer; control API under /_mock/)");
    eprintln!("  sample-api http://localhost:3001/api/public");
    eprintln!("  Stop with Ctrl-C.");
    eprintln!();

    run_until_stopped(vec![web, api, idp], &stop)
}

/// Supervises the running services until `stop` is set (Ctrl-C) or one of them exits, then
/// stops them all.
fn run_until_stopped(mut services: Vec<Service>, stop: &AtomicBool) -> Result<(), String> {
    while !stop.load(Ordering::SeqCst) {
        for service in &mut services {
            if let Ok(Some(status)) = service.child.try_wait() {
                eprintln!("{} exited ({status}); stopping the demo", service.name);
                stop.store(true, Ordering::SeqCst);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("\nStopping...");
    drop(services);
    Ok(())
}

/// Ctrl-C and SIGTERM, through tokio (std has no signal API). The services run in their own
/// process groups, so the terminal's Ctrl-C reaches only this process, which then stops them
/// in order.
fn ctrlc_handler(on_signal: impl Fn() + Send + 'static) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        runtime.block_on(async {
            #[cfg(unix)]
            {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .expect("SIGTERM handler");
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
            on_signal();
        });
    });
    Ok(())
}
