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

/// How long the services get to exit after SIGTERM before their groups are killed. All three
/// exit within milliseconds of SIGTERM; this only bounds one that hangs.
const GRACE: Duration = Duration::from_secs(3);

/// A child process that leads its own process group, stopped with that whole group when dropped
/// (or by [`stop_all`]). The group matters: `npm run preview` is npm, then sh, then vite, and it
/// is vite, a grandchild, that holds port 3000.
struct Service {
    name: &'static str,
    child: Child,
    /// Set once the whole group has exited. Its id may then go to an unrelated process, so it
    /// must never be signalled again.
    stopped: bool,
}

impl Service {
    /// Reaps what of the group has exited and says whether all of it has.
    fn has_stopped(&mut self) -> bool {
        if !self.stopped {
            // The leader first: `group::is_empty` may reap it too, and `Child` keeps its status.
            let _ = self.child.try_wait();
            self.stopped = group::is_empty(&mut self.child);
        }
        self.stopped
    }

    fn signal(&mut self, signal: group::Stop) {
        if !self.stopped {
            group::signal(&mut self.child, signal);
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if !self.stopped {
            stop_all(std::slice::from_mut(self));
        }
    }
}

/// Stops the services together, so that one slow to exit does not delay the others: SIGTERM to
/// every group, up to [`GRACE`] for them to exit, then SIGKILL for what is left.
fn stop_all(services: &mut [Service]) {
    for service in services.iter_mut() {
        service.signal(group::Stop::Terminate);
    }
    wait_until_stopped(services, GRACE);
    let mut killed = Vec::new();
    for (i, service) in services.iter_mut().enumerate() {
        if service.has_stopped() {
            eprintln!("  stopped {}", service.name);
        } else {
            service.signal(group::Stop::Kill);
            killed.push(i);
        }
    }
    if killed.is_empty() {
        return;
    }
    // SIGKILL cannot be caught, so this is only the kernel's time to tear the processes down.
    wait_until_stopped(services, Duration::from_secs(2));
    for i in killed {
        let service = &mut services[i];
        if service.has_stopped() {
            eprintln!("  killed {}", service.name);
        } else {
            eprintln!(
                "  {} (process group {}) is still running after SIGKILL",
                service.name,
                service.child.id()
            );
            // Drop would otherwise wait for it once more, for nothing.
            service.stopped = true;
        }
    }
}

fn wait_until_stopped(services: &mut [Service], within: Duration) {
    let deadline = Instant::now() + within;
    while !services.iter_mut().all(Service::has_stopped) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Signalling and reaping a service's whole process group.
///
/// From code (`killpg(2)` through `nix`, as the workspace forbids `unsafe`), not by running
/// `kill -TERM -PGID`: Debian's procps `kill` does not take that `-PGID` as a group. Under
/// strace, `kill -TERM -23456` calls `kill(-2, SIGTERM)`, and `kill -TERM -12345` calls
/// `kill(-1, SIGTERM)`, which signals every process the user may signal.
#[cfg(unix)]
mod group {
    use nix::errno::Errno;
    use nix::sys::signal::{Signal, killpg};
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    use nix::unistd::Pid;
    use std::process::Child;

    pub(super) enum Stop {
        Terminate,
        Kill,
    }

    /// Makes the orphans of our services (vite, once npm and sh have gone) our children rather
    /// than init's: only then can they be reaped here, and a group is not empty while one of
    /// its processes is an unreaped zombie, which some inits leave for seconds.
    pub(super) fn adopt_orphans() {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let _ = nix::sys::prctl::set_child_subreaper(true);
    }

    /// The service leads its group (`process_group(0)` in `spawn`), so the group's id is its pid.
    fn id(child: &Child) -> Pid {
        Pid::from_raw(i32::try_from(child.id()).expect("a pid fits in pid_t"))
    }

    pub(super) fn signal(child: &mut Child, stop: Stop) {
        let signal = match stop {
            Stop::Terminate => Signal::SIGTERM,
            Stop::Kill => Signal::SIGKILL,
        };
        let _ = killpg(id(child), signal);
    }

    pub(super) fn is_empty(child: &mut Child) -> bool {
        let group = id(child);
        // Reap the group's adopted orphans that have exited; `-group` waits for any of them.
        while let Ok(status) = waitpid(Pid::from_raw(-group.as_raw()), Some(WaitPidFlag::WNOHANG)) {
            if status == WaitStatus::StillAlive {
                break;
            }
        }
        killpg(group, None) == Err(Errno::ESRCH)
    }
}

/// Without process groups, a service is its one process.
#[cfg(not(unix))]
mod group {
    use std::process::Child;

    pub(super) enum Stop {
        Terminate,
        Kill,
    }

    pub(super) fn adopt_orphans() {}

    pub(super) fn signal(child: &mut Child, _stop: Stop) {
        let _ = child.kill();
    }

    pub(super) fn is_empty(child: &mut Child) -> bool {
        !matches!(child.try_wait(), Ok(None))
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
    group::adopt_orphans();
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
    Ok(Service {
        name,
        child,
        stopped: false,
    })
}

fn wait_for_port(
    name: &str,
    port: u16,
    service: &mut Service,
    stop: &AtomicBool,
) -> Result<(), String> {
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
        if stop.load(Ordering::SeqCst) {
            return Err(format!("stopped while waiting for {name}"));
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
    wait_for_port("mock-idp", 4000, &mut idp, &stop)?;
    let mut api = spawn(
        "sample-api",
        root,
        bin.join("sample-api").to_str().unwrap_or("sample-api"),
        &[],
    )?;
    wait_for_port("sample-api", 3001, &mut api, &stop)?;
    let mut web = spawn(
        "sample-spa",
        &spa,
        "npm",
        &["run", "preview", "--", "--port", "3000", "--strictPort"],
    )?;
    wait_for_port("sample-spa", 3000, &mut web, &stop)?;

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
    let outcome = loop {
        if stop.load(Ordering::SeqCst) {
            break Ok(());
        }
        let exited = services.iter_mut().find_map(|service| {
            let status = service.child.try_wait().ok().flatten()?;
            Some(format!(
                "{} exited ({status}), so the demo stopped",
                service.name
            ))
        });
        if let Some(error) = exited {
            break Err(error);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    eprintln!("\nStopping...");
    stop_all(&mut services);
    outcome
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use nix::errno::Errno;
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    use std::net::TcpListener;

    /// Like `npm run preview`: the process we start is a shell, and the port belongs to a node
    /// process it starts.
    fn service_whose_grandchild_listens(name: &'static str) -> (Service, u16) {
        service_with_node_grandchild(name, "")
    }

    /// Like a hung vite: the grandchild ignores SIGTERM.
    fn service_whose_grandchild_ignores_sigterm(name: &'static str) -> (Service, u16) {
        service_with_node_grandchild(name, "process.on('SIGTERM', () => {});")
    }

    fn service_with_node_grandchild(name: &'static str, js_prelude: &str) -> (Service, u16) {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let js =
            format!("{js_prelude} require('http').createServer().listen({port}, '127.0.0.1');");
        let script = format!("node -e \"{js}\" & wait");
        let service = spawn(name, &std::env::temp_dir(), "sh", &["-c", &script]).expect("spawn");
        assert!(
            eventually(Duration::from_secs(10), || port_is_open(port)),
            "the grandchild never listened on {port}"
        );
        (service, port)
    }

    fn port_is_open(port: u16) -> bool {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    }

    fn group_is_gone(pgid: Pid) -> bool {
        killpg(pgid, None) == Err(Errno::ESRCH)
    }

    fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + within;
        loop {
            if check() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills a test's leftover processes if it fails, so a failure does not hold a port.
    struct KillGroupIfPanicking(Pid);

    impl Drop for KillGroupIfPanicking {
        fn drop(&mut self) {
            if std::thread::panicking() {
                let _ = killpg(self.0, Signal::SIGKILL);
            }
        }
    }

    fn pgid(service: &Service) -> Pid {
        Pid::from_raw(i32::try_from(service.child.id()).expect("a pid fits in i32"))
    }

    #[test]
    fn ctrl_c_stops_the_grandchild_that_holds_a_services_port() {
        // Arrange
        let (service, port) = service_whose_grandchild_listens("listener");
        let group = pgid(&service);
        let _cleanup = KillGroupIfPanicking(group);
        let ctrl_c = AtomicBool::new(true);

        // Act
        let started = Instant::now();
        let outcome = run_until_stopped(vec![service], &ctrl_c);

        // Assert
        assert_eq!(outcome, Ok(()));
        assert!(
            eventually(Duration::from_secs(5), || !port_is_open(port)),
            "port {port} is still open"
        );
        assert!(group_is_gone(group), "a process of the service is left");
        assert!(
            started.elapsed() < GRACE,
            "stopping took {:?}, so SIGTERM did not stop it",
            started.elapsed()
        );
    }

    #[test]
    fn a_service_that_ignores_sigterm_is_killed_with_its_grandchild() {
        // Arrange
        let (service, port) = service_whose_grandchild_ignores_sigterm("stubborn");
        let group = pgid(&service);
        let _cleanup = KillGroupIfPanicking(group);
        let ctrl_c = AtomicBool::new(true);

        // Act
        let started = Instant::now();
        let outcome = run_until_stopped(vec![service], &ctrl_c);

        // Assert
        assert_eq!(outcome, Ok(()));
        assert!(
            eventually(Duration::from_secs(5), || !port_is_open(port)),
            "port {port} is still open"
        );
        assert!(group_is_gone(group), "a process of the service is left");
        assert!(
            started.elapsed() < GRACE + Duration::from_secs(2),
            "stopping took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_service_that_exits_by_itself_stops_the_demo_and_the_other_services() {
        // Arrange
        let (listener, port) = service_whose_grandchild_listens("listener");
        let group = pgid(&listener);
        let _cleanup = KillGroupIfPanicking(group);
        let quitter =
            spawn("quitter", &std::env::temp_dir(), "sh", &["-c", "exit 3"]).expect("spawn");
        let ctrl_c = AtomicBool::new(false);

        // Act
        let outcome = run_until_stopped(vec![listener, quitter], &ctrl_c);

        // Assert
        let error = outcome.expect_err("the demo should fail when a service dies");
        assert!(
            error.contains("quitter exited"),
            "unexpected error: {error}"
        );
        assert!(
            eventually(Duration::from_secs(5), || !port_is_open(port)),
            "port {port} is still open"
        );
        assert!(group_is_gone(group), "a process of the listener is left");
    }
}
