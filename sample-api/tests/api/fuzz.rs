//! Catalog F1: arbitrary `Authorization` header bytes never crash the API and never get
//! anything but 400 or 401. Runs through `app()` with `oneshot`, no socket.

use axum::{body::Body, http::Request};
use proptest::prelude::*;
use sample_api::{
    auth::SystemClock,
    startup::{AppState, app},
};
use std::sync::Arc;
use tower::ServiceExt as _;

use crate::helpers::{FakeIdp, b64, k1_header, settings_for};

fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    // Bytes a header value can hold (no CR, LF, NUL, DEL).
    let byte = prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff];
    let raw = prop::collection::vec(byte.clone(), 0..200);
    let segment = "[A-Za-z0-9_=+/.-]{0,80}";
    let bearer = (
        prop_oneof![Just("Bearer "), Just("bearer "), Just("Bearer")],
        raw.clone(),
    )
        .prop_map(|(scheme, rest)| [scheme.as_bytes(), &rest].concat());
    let jws_like = (segment, segment, segment)
        .prop_map(|(h, p, s)| format!("Bearer {h}.{p}.{s}").into_bytes());
    let valid_header = (segment, segment)
        .prop_map(|(p, s)| format!("Bearer {}.{p}.{s}", b64(k1_header().to_string())).into_bytes());
    prop_oneof![raw, bearer, jws_like, valid_header]
}

#[test]
fn arbitrary_authorization_headers_get_400_or_401() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let idp = runtime.block_on(FakeIdp::start());
    let state = AppState::from_settings(&settings_for(&idp.issuer), Arc::new(SystemClock)).unwrap();
    let router = app(state);

    proptest!(ProptestConfig::with_cases(512), |(bytes in header_bytes())| {
        let request = Request::get("/api/private-scoped")
            .header("authorization", bytes.as_slice())
            .body(Body::empty())
            .unwrap();
        let response = runtime.block_on(router.clone().oneshot(request)).unwrap();
        let status = response.status().as_u16();
        prop_assert!(status == 400 || status == 401, "status {} for {:?}", status, String::from_utf8_lossy(&bytes));
    });
}
