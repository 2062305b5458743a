//! `GET /avatars/{sub}.svg`: the default `picture` of users who have none.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::engine::SharedIdp;

/// A small SVG avatar with the user's initials, so profile pictures work offline.
pub(crate) async fn avatar(State(idp): State<SharedIdp>, Path(file): Path<String>) -> Response {
    let Some(sub) = file.strip_suffix(".svg") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let tenant = idp.tenant();
    let Some(user) = tenant.user_by_sub(sub) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let name = user.display_name();
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let hue = sub
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 360;
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128"><rect width="128" height="128" rx="64" fill="hsl({hue},55%,45%)"/><text x="64" y="64" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="52" fill="#fff">{initials}</text></svg>"##
    );
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        svg,
    )
        .into_response()
}
