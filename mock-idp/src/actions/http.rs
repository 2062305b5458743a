//! The host side of an Action's `fetch`: one HTTP request, blocking the Action until it is
//! answered or the flow's time is up.
//!
//! An Action runs synchronously on whatever thread called the flow, often the thread of the
//! runtime serving the token endpoint, where no runtime can be entered. So the request runs
//! on a runtime of its own (one thread for the process) and the Action waits for its answer
//! on a channel; the service it calls must not be served by the very thread the Action
//! blocks (a service on another runtime, such as a test's wiremock, is fine). Errors are `{"error": ...}` for `fetch` to throw as a `TypeError`, as a
//! browser's does.

use std::sync::OnceLock;
use std::time::Instant;

use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Request {
    url: String,
    method: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

/// Answers `fetch`'s request (JSON from `prelude.js`) with the response, as JSON.
pub(super) fn fetch(request: &str, deadline: Instant) -> String {
    let reply = match serde_json::from_str::<Request>(request) {
        Ok(request) => send(request, deadline),
        Err(e) => Err(format!("unreadable request: {e}")),
    };
    match reply {
        Ok(reply) => reply,
        Err(error) => json!({ "error": error }),
    }
    .to_string()
}

fn send(request: Request, deadline: Instant) -> Result<serde_json::Value, String> {
    let remaining = deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or("the Action's time is up")?;
    let method = reqwest::Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("invalid method {:?}", request.method))?;
    let url = reqwest::Url::parse(&request.url).map_err(|e| format!("invalid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("unsupported scheme {:?}", url.scheme()));
    }
    let (runtime, client) = shared();
    let mut builder = client.request(method, url).timeout(remaining);
    for (name, value) in request.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = request.body {
        builder = builder.body(body);
    }
    let (answer, answered) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let reply = async {
            let response = builder.send().await.map_err(|e| describe(&e))?;
            let status = response.status();
            let headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
                .collect();
            let body = response.bytes().await.map_err(|e| describe(&e))?;
            Ok(json!({
                "status": status.as_u16(),
                "status_text": status.canonical_reason().unwrap_or(""),
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            }))
        };
        let _ = answer.send(reply.await);
    });
    answered
        .recv()
        .map_err(|_| "the HTTP client stopped".to_owned())?
}

/// One runtime thread and one client (its TLS roots loaded once) for every Action's `fetch`
/// in the process: making them per request cost tens of milliseconds.
fn shared() -> &'static (tokio::runtime::Runtime, reqwest::Client) {
    static SHARED: OnceLock<(tokio::runtime::Runtime, reqwest::Client)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mock-idp-action-fetch")
            .enable_all()
            .build()
            .expect("a runtime for Actions' fetch");
        (runtime, reqwest::Client::new())
    })
}

/// reqwest's error with its causes ("error sending request: connection refused").
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out: the Action's time is up".into();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
