//! Run with
//!
//! ```not_rust
//! cargo run -p mock-idp -- --port 4000   # in another terminal
//! cargo run -p sample-api                # ISSUER_BASE_URL=http://localhost:4000/ AUDIENCE=https://sample-api PORT=3001
//! curl -s localhost:3001/api/public
//! ```

use clap::Parser;
use sample_api::{configuration::Cli, startup::Application, telemetry};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    telemetry::init();
    let settings = Cli::parse().into_settings()?;
    Application::build(settings)
        .await?
        .run_until_stopped()
        .await?;
    Ok(())
}
