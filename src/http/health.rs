use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::{ApiError, AppState};

/// Liveness: the process answers.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: knowledge, database, indexes and models are loaded.
pub async fn readyz(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    if !s.app.is_ready() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "indexes and models are still loading",
        ));
    }
    // Reads keep answering when the store refuses writes; say so, so a
    // balancer can send writes elsewhere and an operator sees why.
    if !s.app.store.writable().await {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "degraded",
            "the store refuses writes: reads still answer, writes get 503",
        ));
    }
    Ok(Json(
        json!({"status": "ready", "products": s.app.knowledge.products.len()}),
    ))
}

/// Prometheus text exposition.
pub async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics
            .render(s.app.is_ready(), s.app.store.serialization_retries()),
    )
}
