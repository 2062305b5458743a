//! `mock-idp`: serve the mock until Ctrl-C or SIGTERM.

use clap::Parser;
use mock_idp::cli::Cli;
use mock_idp::{Server, TenantConfig};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("mock_idp=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let started = async {
        let (addr, config) = cli.resolve()?;
        Server::bind(&addr, config.clone())
            .await
            .map(|server| (server, config))
    }
    .await;
    let (server, config) = match started {
        Ok(started) => started,
        Err(e) => {
            eprintln!("mock-idp: {e}");
            std::process::exit(2);
        }
    };
    print_banner(
        &server,
        &config.tenant,
        config.deterministic,
        config.control_api,
    );
    // The one line on stdout: scripts wait for it.
    println!(
        "mock-idp ready: issuer {} listening {}",
        server.issuer(),
        server.local_addr()
    );
    if let Err(e) = server.run(shutdown_signal()).await {
        eprintln!("mock-idp: {e}");
        std::process::exit(1);
    }
    eprintln!("mock-idp: stopped");
}

fn print_banner(server: &Server, tenant: &TenantConfig, deterministic: bool, control_api: bool) {
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
    if deterministic {
        eprintln!("  Deterministic:     fixed keys, frozen clock, sequential ids");
    }
    eprintln!();
    eprintln!("Try:");
    eprintln!(
        "  curl -s {issuer}oauth/token -d grant_type=client_credentials -d client_id=sample-m2m -d client_secret=sample-m2m-secret -d audience=https://sample-api"
    );
    if control_api {
        eprintln!(
            "  curl -s -X POST {issuer}_mock/tokens -H 'content-type: application/json' -d '{{\"claims\":{{\"sub\":\"auth0|alice\"}}}}'"
        );
    }
    eprintln!("Stop with Ctrl-C.");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
