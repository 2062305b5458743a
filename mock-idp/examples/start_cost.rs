//! What one test pays for its mock: start → one request → drop, for `MockIdp` and for
//! wiremock's `MockServer`, side by side in one run. Not a test: it prints numbers. Run it in
//! the debug profile, as tests run (see `mock-idp/bench/start.sh`).
//!
//! `start_cost ROUNDS` runs `RUNS` (5) processes of each mock, alternating, each doing ROUNDS
//! rounds of its own mock alone, as a suite only ever runs one of them; it reports the first
//! round (what a process, so a test under `cargo nextest`, pays), the median round, and the
//! CPU time a round costs (every thread of the process: test, client and server), with the
//! ratios wiremock / MockIdp (≥ 1: MockIdp no dearer).
//!
//! Why processes of their own: in one process, the two mocks' server threads share the
//! machine's cores with the test's and the client's threads, and on a 2-core VM a round's
//! wall-clock is bimodal (two modes about 0.09 ms apart, from where the scheduler wakes the
//! server thread), the mode held for most of a run by one of the two. Which one it is
//! follows thread placement, not the mock's work (a `MockIdp` server swapped for a trivial
//! handler kept the slow mode), so interleaved medians measured the scheduler. CPU time per
//! round does not depend on the mode.
//!
//! `start_cost ROUNDS interleaved` is that older measure (rounds alternating in one process).
//! `start_cost ROUNDS mock-idp|wiremock` runs one alone and prints one line of figures (what
//! the parent reads); under `valgrind --tool=callgrind` at two round counts it gives each
//! one's instructions per round (`mock-idp/bench/start.sh` with `CALLGRIND=1` does it).

use std::process::Command;
use std::time::{Duration, Instant};

use mock_idp::MockIdp;

#[derive(Clone, Copy, PartialEq)]
enum Mock {
    MockIdp,
    Wiremock,
}

impl Mock {
    fn arg(self) -> &'static str {
        match self {
            Self::MockIdp => "mock-idp",
            Self::Wiremock => "wiremock",
        }
    }

    /// One round: start → one GET → drop.
    async fn round(self, http: &reqwest::Client) {
        match self {
            Self::MockIdp => {
                let idp = MockIdp::start().await;
                let status = http.get(idp.discovery_url()).send().await.unwrap().status();
                assert_eq!(status, 200);
                drop(idp);
            }
            Self::Wiremock => {
                let server = wiremock::MockServer::start().await;
                let status = http.get(server.uri()).send().await.unwrap().status();
                assert_eq!(status, 404, "a wiremock server with no mocks answers 404");
                drop(server);
            }
        }
    }
}

/// CPU time of every live thread of this process, from `/proc` (Linux), in nanoseconds: what
/// the test's, the client's and the server's threads spent, without the time they waited.
fn process_cpu() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// A process's figures: first round, median round, p90 round, CPU per round after the
/// first (ms; CPU negative when unknown).
struct Figures([f64; 4]);

async fn alone(mock: Mock, rounds: usize) -> Figures {
    // One client for the whole process, as a suite would share one.
    let http = reqwest::Client::new();
    let started = Instant::now();
    mock.round(&http).await;
    let first = ms(started.elapsed());
    let cpu_before = process_cpu();
    let mut samples = Vec::with_capacity(rounds);
    for _ in 1..rounds {
        let started = Instant::now();
        mock.round(&http).await;
        samples.push(ms(started.elapsed()));
    }
    let cpu = match (cpu_before, process_cpu()) {
        (Some(before), Some(after)) if rounds > 1 => {
            (after.saturating_sub(before)) as f64 / 1e6 / (rounds - 1) as f64
        }
        _ => -1.0,
    };
    if samples.is_empty() {
        return Figures([first, first, first, cpu]);
    }
    let p90 = {
        samples.sort_by(f64::total_cmp);
        samples[samples.len() * 9 / 10]
    };
    Figures([first, median(&mut samples), p90, cpu])
}

fn child(mock: Mock, rounds: usize) -> Figures {
    let out = Command::new(std::env::current_exe().expect("the bench's own path"))
        .args([rounds.to_string().as_str(), mock.arg()])
        .output()
        .expect("the bench runs itself");
    assert!(out.status.success(), "{} run failed", mock.arg());
    let line = String::from_utf8_lossy(&out.stdout);
    let values: Vec<f64> = line
        .split_whitespace()
        .map(|v| v.parse().expect("a figure"))
        .collect();
    Figures(values.try_into().expect("four figures"))
}

fn report(rounds: usize, runs: usize) {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        ours.push(child(Mock::MockIdp, rounds));
        theirs.push(child(Mock::Wiremock, rounds));
    }
    let column = |figures: &[Figures], i: usize| {
        let mut values: Vec<f64> = figures.iter().map(|f| f.0[i]).collect();
        median(&mut values)
    };
    println!(
        "start -> one GET -> drop: {runs} processes of each mock, alternating, {rounds} rounds each \
         (debug build: {}); medians over the processes",
        cfg!(debug_assertions)
    );
    println!("| | MockIdp | wiremock MockServer | wiremock / MockIdp |");
    println!("|---|---|---|---|");
    let rows = [
        "first round (a new process)",
        "median round",
        "p90 round",
        "CPU per round, all threads",
    ];
    for (i, name) in rows.iter().enumerate() {
        let (a, b) = (column(&ours, i), column(&theirs, i));
        if a < 0.0 || b < 0.0 {
            println!("| {name} | n/a | n/a | |");
            continue;
        }
        println!("| {name} | {a:.3} ms | {b:.3} ms | {:.2} |", b / a);
    }
    let per_run: Vec<String> = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| format!("{:.2}", b.0[1] / a.0[1]))
        .collect();
    println!(
        "median-round ratio wiremock / MockIdp per pair of processes: {} (target >= 1)",
        per_run.join(" ")
    );
}

async fn interleaved(rounds: usize) {
    let http = reqwest::Client::new();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for (mock, samples) in [(Mock::MockIdp, &mut ours), (Mock::Wiremock, &mut theirs)] {
            let started = Instant::now();
            mock.round(&http).await;
            if round > 0 {
                samples.push(ms(started.elapsed()));
            }
        }
    }
    let (a, b) = (median(&mut ours), median(&mut theirs));
    println!(
        "interleaved in one process, {rounds} rounds each: median MockIdp {a:.3} ms, wiremock \
         {b:.3} ms, wiremock / MockIdp {:.2}",
        b / a
    );
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200)
        .max(2);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5)
        .max(1);
    let mode = std::env::args().nth(2);
    let mock = match mode.as_deref() {
        None => return report(rounds, runs),
        Some("interleaved") => None,
        Some("mock-idp") => Some(Mock::MockIdp),
        Some("wiremock") => Some(Mock::Wiremock),
        Some(other) => panic!("expected `mock-idp`, `wiremock` or `interleaved`, not {other:?}"),
    };
    // As `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]` runs a test.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let Some(mock) = mock else {
        return runtime.block_on(interleaved(rounds));
    };
    let Figures([first, p50, p90, cpu]) = runtime.block_on(alone(mock, rounds));
    println!("{first} {p50} {p90} {cpu}");
}
