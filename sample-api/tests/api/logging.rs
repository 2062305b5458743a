//! Catalog F3: tokens never reach the logs, even at TRACE level.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use axum::{body::Body, http::Request};
use sample_api::{
    auth::SystemClock,
    startup::{AppState, app},
};
use tower::ServiceExt as _;

use crate::helpers::{FakeIdp, settings_for};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn never_logs_a_token_even_at_trace_level() {
    // Arrange: every event on this thread goes into `captured`
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::info!("capture check");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let idp = runtime.block_on(FakeIdp::start());
    let valid = idp.token();
    let tampered = format!("{valid}x");
    let state = AppState::from_settings(&settings_for(&idp.issuer), Arc::new(SystemClock)).unwrap();
    let router = app(state);

    // Act
    for (uri, authorization) in [
        ("/api/private".to_owned(), Some(valid.clone())),
        ("/api/private".to_owned(), Some(tampered.clone())),
        (format!("/api/private?access_token={valid}"), None),
        (
            format!("/api/private?access_token={valid}"),
            Some(valid.clone()),
        ),
    ] {
        let mut request = Request::get(uri);
        if let Some(token) = authorization {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(Body::empty()).unwrap();
        runtime.block_on(router.clone().oneshot(request)).unwrap();
    }

    // Assert
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("JWKS fetched"),
        "nothing was captured:\n{logs}"
    );
    let signature = valid.rsplit('.').next().unwrap();
    let payload = valid.split('.').nth(1).unwrap();
    assert!(!logs.contains(signature), "a signature was logged:\n{logs}");
    assert!(!logs.contains(payload), "a payload was logged:\n{logs}");
}
