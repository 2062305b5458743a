//! `mock-idp`: serve the mock until Ctrl-C or SIGTERM; `mock-idp healthcheck`: probe one.

mod cli;
mod healthcheck;

use clap::Parser;
use cli::{Cli, Command};
use mock_idp::{IdpConfig, Server, Tls};
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Healthcheck(args)) => healthcheck(&cli, args),
        None => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| {
                    eprintln!("mock-idp: cannot start the runtime: {e}");
                    std::process::exit(1);
                });
            runtime.block_on(serve(cli));
        }
    }
}

/// Exits 0 when the mock answers, 1 when it does not. No runtime and no logging set up: it
/// runs every second or so under Docker's HEALTHCHECK.
fn healthcheck(cli: &Cli, args: &healthcheck::HealthcheckArgs) -> ! {
    // The port and host the server would bind, from the same environment. If that does not
    // resolve (a broken config), there is no server to find there anyway: the default applies.
    let bind = cli.resolve().ok();
    let url = healthcheck::target(
        args,
        bind.as_ref().map(|(addr, _)| addr.as_str()),
        bind.as_ref()
            .is_some_and(|(_, config)| config.tls.is_some()),
    );
    match healthcheck::probe(&url, args.timeout) {
        Ok(answer) => {
            println!("mock-idp healthcheck: {answer}");
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("mock-idp healthcheck: {e}");
            std::process::exit(1);
        }
    }
}

async fn serve(cli: Cli) {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("mock_idp=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let started = async {
        let (addr, config) = cli.resolve()?;
        Server::bind(&addr, config.clone())
            .await
            .map(|server| (server, config))
            .map_err(cli::CliError::from)
    }
    .await;
    let (server, config) = match started {
        Ok(started) => started,
        Err(e) => {
            eprintln!("mock-idp: {e}");
            std::process::exit(2);
        }
    };
    print_banner(&server, &config);
    let shutdown = shutdown_signal();
    // The one line on stdout: scripts wait for it.
    println!(
        "mock-idp ready: issuer {} listening {}",
        server.issuer(),
        server.local_addr()
    );
    if let Err(e) = server.run(shutdown).await {
        eprintln!("mock-idp: {e}");
        std::process::exit(1);
    }
    eprintln!("mock-idp: stopped");
}

fn print_banner(server: &Server, config: &IdpConfig) {
    let tenant = &config.tenant;
    let issuer = server.issuer();
    eprintln!(
        "mock-idp — a MOCK identity provider for tests and local development. Not for production:"
    );
    eprintln!(
        "its default signing key is public. Listening on {}.",
        server.local_addr()
    );
    eprintln!();
    eprintln!("  Auth0 SDK domain:  {}", issuer.trim_end_matches('/'));
    eprintln!("  Issuer (iss):      {issuer}");
    eprintln!("  Discovery:         {issuer}.well-known/openid-configuration");
    for api in &tenant.apis {
        eprintln!("  API (audience):    {}", api.identifier);
    }
    for client in &tenant.clients {
        let kind = if client.client_secret.is_some() {
            "confidential"
        } else {
            "public"
        };
        eprintln!("  Client:            {} ({kind})", client.client_id);
    }
    for user in &tenant.users {
        eprintln!("  User:              {} / {}", user.email, user.password);
    }
    for org in &tenant.organizations {
        // The id is what `organization=` takes unless the tenant allows names.
        eprintln!("  Organization:      {} ({})", org.name, org.id());
    }
    if config.deterministic {
        eprintln!("  Deterministic:     fixed keys, frozen clock, sequential ids");
    }
    let cacert = print_tls(config.tls.as_ref());
    eprintln!();
    eprintln!("Try:");
    eprintln!(
        "  curl -s{cacert} {issuer}oauth/token -d grant_type=client_credentials -d client_id=sample-m2m -d client_secret=sample-m2m-secret -d audience=https://sample-api"
    );
    if config.control_api {
        eprintln!(
            "  curl -s{cacert} -X POST {issuer}_mock/tokens -H 'content-type: application/json' -d '{{\"claims\":{{\"sub\":\"auth0|alice\"}}}}'"
        );
    }
    eprintln!("Stop with Ctrl-C.");
}

/// What to trust, and how each language's clients are told to; returns the `--cacert` option
/// the banner's curl examples need (empty without a CA of the mock's).
fn print_tls(tls: Option<&Tls>) -> String {
    match tls {
        None => String::new(),
        Some(Tls::Files { cert, .. }) => {
            eprintln!("  TLS certificate:   {} (yours)", cert.display());
            String::new()
        }
        Some(tls) => {
            let Some(ca) = tls.ca_file() else {
                return String::new();
            };
            let ca = std::path::absolute(&ca).unwrap_or(ca);
            let ca = ca.display();
            eprintln!("  TLS CA:            {ca} (made on first use; trust it once)");
            eprintln!("    Node:            NODE_EXTRA_CA_CERTS={ca}");
            eprintln!("    Python:          SSL_CERT_FILE={ca} REQUESTS_CA_BUNDLE={ca}");
            eprintln!("    curl:            curl --cacert {ca} ...");
            eprintln!(
                "    Rust (reqwest):  reqwest::Certificate::from_pem(&std::fs::read(\"{ca}\")?)"
            );
            format!(" --cacert {ca}")
        }
    }
}

/// Registers the Ctrl-C and SIGTERM handlers now and returns a future that completes on
/// either. Registration must come before the ready line: a supervisor that stops the mock right
/// after "ready" would otherwise meet the default signal action, not a clean shutdown.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |stream: Option<tokio::signal::unix::Signal>| async move {
                match stream {
                    Some(mut stream) => {
                        stream.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
