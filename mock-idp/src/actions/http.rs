//! The host side of an Action's `fetch`: one HTTP request, blocking the Action until it is
//! answered or the flow's time is up.
//!
//! An Action runs synchronously on whatever thread called the flow, often a tokio worker
//! serving the token endpoint, where a nested runtime cannot start. So the request runs on a
//! thread of its own with a current-thread runtime, and the Action waits for that thread:
//! the service it calls may even be served by the runtime the Action blocks (other workers
//! answer it). Errors are `{"error": ...}` for `fetch` to throw as a `TypeError`, as a
//! browser's does.

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
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                runtime.block_on(async move {
                    let client = reqwest::Client::builder()
                        .timeout(remaining)
                        .build()
                        .map_err(|e| e.to_string())?;
                    let mut builder = client.request(method, url);
                    for (name, value) in request.headers {
                        builder = builder.header(name, value);
                    }
                    if let Some(body) = request.body {
                        builder = builder.body(body);
                    }
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
                })
            })
            .join()
            .map_err(|_| "the HTTP client failed".to_owned())?
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
