//! The browser faces of Errand, compiled into the binary: the demo
//! storefront (`/`) hosting the chat widget (`/widget.js`, one script tag on
//! any page), and the care console (`/console`). They use only the public API.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

fn asset(kind: &'static str, body: &'static str) -> impl IntoResponse {
    // Short-lived caching: a new binary's assets show up within a minute.
    (
        [(CONTENT_TYPE, kind), (CACHE_CONTROL, "public, max-age=60")],
        body,
    )
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// A page script with the shared helpers, inside one function so that
/// nothing leaks into the page that hosts it.
macro_rules! script {
    ($file:literal) => {
        concat!(
            "(function () {\n",
            include_str!("web/ui.js"),
            include_str!($file),
            "})();\n"
        )
    };
}

pub async fn storefront() -> impl IntoResponse {
    asset(HTML, include_str!("web/index.html"))
}

pub async fn widget() -> impl IntoResponse {
    asset(JS, script!("web/widget.js"))
}

pub async fn console() -> impl IntoResponse {
    asset(HTML, include_str!("web/console.html"))
}

pub async fn console_script() -> impl IntoResponse {
    asset(JS, script!("web/console.js"))
}
