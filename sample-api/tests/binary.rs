//! The `sample-api` binary as a supervisor sees it.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

#[test]
fn stops_gracefully_on_sigterm_sent_as_soon_as_it_listens() {
    // Supervisors (and CI scripts) may stop the API the moment it says it is listening; the
    // signal handlers must already be in place by then.
    for _ in 0..20 {
        let mut api = Command::new(env!("CARGO_BIN_EXE_sample-api"))
            .env("RUST_LOG", "sample_api=info")
            .env("NO_COLOR", "1")
            // Nothing listens on the discard port: an unreachable IdP is not fatal at startup.
            .env("ISSUER_BASE_URL", "http://127.0.0.1:9/")
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(api.stdout.take().unwrap());
        let listening = stdout
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("sample-api listening"));
        assert!(listening, "the API never said it was listening");

        Command::new("kill")
            .args(["-TERM", &api.id().to_string()])
            .status()
            .unwrap();

        assert!(api.wait().unwrap().success());
    }
}
