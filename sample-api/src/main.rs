//! Run with
//!
//! ```not_rust
//! cargo run -p mock-idp -- --port 4000   # in another terminal
//! cargo run -p sample-api                # ISSUER_BASE_URL=http://localhost:4000/ AUDIENCE=https://sample-api PORT=3001
//! curl -s localhost:3001/api/public
//! ```

use clap::Parser;
use sample_api::{
    configuration::Cli,
    startup::{self, Application},
    telemetry,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    telemetry::init();
    let settings = Cli::parse().into_settings()?;
    // Before the port opens, so that a stop at any moment after that is a graceful one.
    let shutdown = startup::shutdown_signal();
    Application::build(settings)
        .await?
        .run_until(shutdown)
        .await?;
    Ok(())
}
