//! The HTTP face of Errand (axum). Handlers are thin: they extract, call the
//! engine, and map errors through [`ApiError`]. No domain logic lives here.

mod acp;
mod admission;
mod chat;
mod commerce;
mod error;
mod extract;
mod fixtures;
mod health;
mod help;
mod insights;
mod mcp;
mod metrics;
mod openai;
mod ops;
mod search;
mod sessions;
mod tickets;
mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::routing::{get, patch, post, put};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::app::App;
pub use error::ApiError;
pub use metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub metrics: Arc<Metrics>,
    /// Bounds the chat turns running and waiting at once.
    pub turns: Arc<admission::Admission>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The full router with its middleware stack.
pub fn router(app: Arc<App>) -> Router {
    let cfg = &app.config.server;
    let timeout = Duration::from_secs(cfg.request_timeout_secs);
    let body_limit = cfg.body_limit_bytes;
    let cors = widget_cors(&cfg.widget_origins);
    let state = AppState {
        turns: Arc::new(admission::Admission::new(
            cfg.turns_in_flight,
            cfg.turn_queue,
            Duration::from_millis(cfg.turn_wait_ms),
        )),
        app: app.clone(),
        metrics: Arc::new(Metrics::default()),
    };
    let mcp = Router::new()
        .route_service("/mcp", mcp::service(app))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            mcp::authenticate,
        ));
    Router::new()
        .route("/", get(web::storefront))
        .route("/widget.js", get(web::widget))
        .route("/console", get(web::console))
        .route("/console.js", get(web::console_script))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/v1/search", get(search::search))
        .route("/openapi.json", get(commerce::openapi))
        .route("/v1/cart", get(commerce::cart).delete(commerce::clear))
        .route("/v1/cart/items", post(commerce::add_item))
        .route("/v1/cart/items/{line_id}", patch(commerce::set_item).delete(commerce::remove_item))
        .route("/v1/cart/coupon", put(commerce::set_coupon).delete(commerce::remove_coupon))
        .route("/v1/offers", get(commerce::offers))
        .route("/v1/recommendations", get(commerce::recommendations))
        .route(
            "/v1/recommendations/clicks",
            post(commerce::recommendation_click),
        )
        .route("/v1/feedback", post(commerce::feedback))
        .route("/v1/checkout", post(commerce::checkout))
        .route("/v1/orders", get(commerce::orders))
        .route("/v1/orders/{id}", get(commerce::order))
        .route("/v1/orders/{id}/diagnosis", get(commerce::diagnosis))
        .route("/v1/orders/{id}/cancel", post(commerce::cancel))
        .route("/v1/orders/{id}/refund", post(commerce::refund))
        .route("/v1/assist/orders/{id}/cancel", post(commerce::cancel))
        .route("/v1/assist/orders/{id}/refund", post(commerce::refund))
        .route("/v1/assist/orders/{id}/reblast", post(commerce::assist_reblast))
        .route("/v1/rides/quote", post(commerce::quote))
        .route("/v1/rides", post(commerce::book).get(commerce::rides))
        .route("/v1/rides/{id}", get(commerce::ride))
        .route("/v1/chat", post(chat::chat))
        .route("/v1/chat/completions", post(openai::completions))
        .route("/checkout_sessions", post(acp::create))
        .route("/checkout_sessions/{id}", get(acp::get).post(acp::update))
        .route("/checkout_sessions/{id}/complete", post(acp::complete))
        .route("/checkout_sessions/{id}/cancel", post(acp::cancel))
        .route("/v1/models", get(openai::models))
        .route("/v1/help/{id}", get(help::article))
        .route("/v1/tickets", post(tickets::create).get(tickets::list))
        .route("/v1/insights/assistant", get(insights::assistant))
        .route("/v1/insights/pain-points", get(insights::pain_points))
        .route("/v1/insights/teams", get(insights::teams))
        .route("/v1/ops/stock-alerts", get(ops::stock_alerts))
        .route("/v1/ops/segments", get(ops::segments))
        .route("/v1/ops/fleet", get(ops::fleet))
        .route("/v1/ops/forecast", get(ops::forecast))
        .route("/v1/ops/experiments", get(ops::experiments))
        .route("/v1/ops/experiments/{id}", get(ops::experiment))
        .route("/v1/ops/drift", get(ops::drift))
        .route("/v1/tickets/{id}", get(tickets::get))
        .route("/v1/tickets/{id}/assist", get(tickets::assist))
        .route("/v1/tickets/{id}/route", post(tickets::route))
        .route("/v1/tickets/{id}/actions/{action}/approve", post(tickets::approve))
        .route("/v1/tickets/{id}/actions/{action}/reject", post(tickets::reject))
        .route("/v1/test_helpers/fixtures", post(fixtures::create))
        .route("/v1/sessions", post(sessions::create))
        .route("/v1/sessions/{id}", get(sessions::get))
        .merge(mcp)
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::record))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // Failures are logged once, by ApiError, with their code.
        .layer(TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)).make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(cors)
        .with_state(state)
}

/// Lets the configured shop pages call the API from the browser, with the
/// headers the widget sends. Origins that are not valid header values are
/// reported and left out.
fn widget_cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| {
            HeaderValue::from_str(o.trim_end_matches('/'))
                .inspect_err(
                    |_| tracing::warn!(origin = %o, "server.widget_origins: not a valid origin"),
                )
                .ok()
        })
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-demo-customer"),
        ])
}

/// Connections the kernel holds for `serve` before it accepts them. The
/// default (128) overflows when a few hundred clients connect at once, and
/// a dropped connection attempt is retried by the client only after a
/// second (measured: `errand bench chat --concurrency 200` had p99 1.1 s,
/// all of it in `connect`).
const BACKLOG: u32 = 4096;

/// A listener on `addr` (`host:port`, port 0 for any) for [`serve`].
pub async fn bind(addr: &str) -> anyhow::Result<tokio::net::TcpListener> {
    let mut last = None;
    for at in tokio::net::lookup_host(addr).await? {
        let socket = if at.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(at).and_then(|()| socket.listen(BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or_else(
        || anyhow::anyhow!("{addr} names no address"),
        anyhow::Error::from,
    ))
}

/// Serves until Ctrl-C or SIGTERM, then lets requests in flight finish (up
/// to the request timeout). Connections are served by hyper directly, with
/// a timer, so a client that never finishes its request head is cut off
/// after `header_timeout_secs` (axum::serve sets no such limit).
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let header_timeout = Duration::from_secs(app.config.server.header_timeout_secs.max(1));
    let drain = Duration::from_secs(app.config.server.request_timeout_secs);
    let service = hyper_util::service::TowerToHyperService::new(router(app));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown_signal());
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        stream.set_nodelay(true).ok();
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service.clone());
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(drain) => tracing::warn!("shutdown: gave up waiting for open connections"),
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
