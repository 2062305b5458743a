//! What one test pays for its mock: start → one request → drop, for `MockIdp` and for
//! wiremock's `MockServer`, side by side in one run. Not a test: it prints numbers. Run it in
//! the debug profile, as tests run (see `mock-idp/bench/start.sh`).
//!
//! Rounds alternate between the two, so that noise from other work on the machine hits both
//! alike; the report gives medians and the ratio wiremock / MockIdp (≥ 1: MockIdp no dearer).
//!
//! `start_cost ROUNDS [mock-idp|wiremock]` runs one of the two alone: wall-clock is noisy on a
//! shared machine, instruction counts are not, and running each alone under
//! `valgrind --tool=callgrind` at two round counts gives each one's instructions per round
//! (`mock-idp/bench/start.sh` with `CALLGRIND=1` does it).

use std::time::{Duration, Instant};

use mock_idp::MockIdp;

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let only = std::env::args().nth(2);
    let (run_ours, run_theirs) = match only.as_deref() {
        None => (true, true),
        Some("mock-idp") => (true, false),
        Some("wiremock") => (false, true),
        Some(other) => panic!("expected `mock-idp` or `wiremock`, not {other:?}"),
    };
    // One client for both, as a suite would share one: the comparison is of the mocks.
    let http = reqwest::Client::new();
    let mut ours = Vec::with_capacity(rounds);
    let mut theirs = Vec::with_capacity(rounds);
    let mut first = [Duration::ZERO; 2];
    for round in 0..rounds {
        let started = Instant::now();
        if run_ours {
            let idp = MockIdp::start().await;
            let status = http.get(idp.discovery_url()).send().await.unwrap().status();
            assert_eq!(status, 200);
            drop(idp);
        }
        let mock_idp = started.elapsed();

        let started = Instant::now();
        if run_theirs {
            let server = wiremock::MockServer::start().await;
            let status = http.get(server.uri()).send().await.unwrap().status();
            assert_eq!(status, 404, "a wiremock server with no mocks answers 404");
            drop(server);
        }
        let wiremock = started.elapsed();

        if round == 0 {
            first = [mock_idp, wiremock];
        } else {
            ours.push(mock_idp);
            theirs.push(wiremock);
        }
    }
    if ours.is_empty() || only.is_some() {
        // One round, or one mock alone (under callgrind): nothing to compare.
        return;
    }
    let (ours_p50, theirs_p50) = (median(&mut ours), median(&mut theirs));
    let p90 = |s: &[Duration]| s[s.len() * 9 / 10];
    println!(
        "start -> one GET -> drop, {rounds} rounds each, alternating (debug build: {})",
        cfg!(debug_assertions)
    );
    println!("| | MockIdp | wiremock MockServer |");
    println!("|---|---|---|");
    println!(
        "| first round | {:.2} ms | {:.2} ms |",
        ms(first[0]),
        ms(first[1])
    );
    println!(
        "| median of rounds 2..{rounds} | {:.2} ms | {:.2} ms |",
        ms(ours_p50),
        ms(theirs_p50)
    );
    println!(
        "| p90 | {:.2} ms | {:.2} ms |",
        ms(p90(&ours)),
        ms(p90(&theirs))
    );
    println!(
        "ratio wiremock / MockIdp (median): {:.2} (target >= 1: MockIdp no dearer than wiremock)",
        ms(theirs_p50) / ms(ours_p50)
    );
    println!(
        "ratio MockIdp / wiremock (median): {:.2} (target <= 1)",
        ms(ours_p50) / ms(theirs_p50)
    );
}
