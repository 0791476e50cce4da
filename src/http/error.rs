//! The one error type handlers return, rendered as
//! `{"error": {"code": ..., "message": ..., "type": ..., "param": null}}`
//! with the matching status.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::commerce::CommerceError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

/// Seconds a client should wait before retrying a 503: a full chat queue
/// drains in well under a second, a store that refuses writes takes longer.
fn retry_after(code: &str) -> &'static str {
    if code == "busy" {
        "1"
    } else {
        "5"
    }
}

impl ApiError {
    /// A 500 whose detail is logged (with the request's id, from the span)
    /// and never sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(detail = %detail, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; try again",
        )
    }

    /// The store refuses writes: reads still answer; retry this later.
    pub fn store_unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(detail = %detail, "store refused a write");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "changes cannot be saved right now; reading still works, retry in a few seconds",
        )
    }
}

impl ApiError {
    /// The documented JSON body: `{"error": {code, message, type, param}}`.
    pub fn body(&self) -> serde_json::Value {
        // `type` and `param` complete OpenAI's error shape, so its SDKs read
        // these errors as their own (`/v1/chat/completions`).
        let kind = match self.status.as_u16() {
            401 => "authentication_error",
            403 => "permission_error",
            429 => "rate_limit_error",
            500.. => "server_error",
            _ => "invalid_request_error",
        };
        serde_json::json!({"error": {
            "code": self.code, "message": self.message, "type": kind, "param": null,
        }})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body())).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(retry_after(self.code)),
            );
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            StoreError::Conflict(msg) => ApiError::new(StatusCode::CONFLICT, "conflict", msg),
            StoreError::Invalid(msg) => ApiError::bad_request(msg),
            StoreError::Unavailable(e) => ApiError::store_unavailable(e),
            other => ApiError::internal(other),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    /// A failure deep in a turn: the store refusing writes is a 503, an
    /// engine refusal keeps its status, anything else is an opaque 500.
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<CommerceError>() {
            Ok(c) => c.into(),
            Err(e) => match e.downcast::<StoreError>() {
                Ok(s) => s.into(),
                Err(e) => ApiError::internal(format!("{e:#}")),
            },
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "invalid_json"
        };
        ApiError::new(status, code, r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", r.body_text())
    }
}

impl From<CommerceError> for ApiError {
    fn from(e: CommerceError) -> Self {
        match e {
            CommerceError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            CommerceError::Invalid { .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", e.to_string())
            }
            CommerceError::Rejected { code, message } => {
                let status = if code == "idempotency_key_reused" {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                ApiError::new(status, code, message)
            }
            CommerceError::Payment {
                code: "payment_timeout",
                message,
            } => ApiError::new(StatusCode::GATEWAY_TIMEOUT, "payment_timeout", message),
            CommerceError::Payment { code, message } => {
                ApiError::new(StatusCode::PAYMENT_REQUIRED, code, message)
            }
            CommerceError::Store(s) => s.into(),
        }
    }
}

/// Every error answer has the documented shape, whoever produced it: axum's
/// own rejections (405 with no body, plain-text 413 "length limit exceeded",
/// bare 400/414/431), the timeout layer, or a caught panic. A body that is
/// already JSON is left alone; any other is replaced, so internal text never
/// reaches a client.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "this route does not take that method")
        }
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "the request body is larger than the limit",
        ),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "send JSON with Content-Type: application/json",
        ),
        StatusCode::URI_TOO_LONG => ("uri_too_long", "the request URI is too long"),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("headers_too_large", "the request headers are too large")
        }
        StatusCode::NOT_FOUND => ("not_found", "no such route"),
        s if s.is_server_error() => ("internal", "something went wrong on our side; try again"),
        _ => ("bad_request", "the request could not be read"),
    };
    let mut out = ApiError::new(status, code, message).into_response();
    // Allow and Retry-After tell the client what to do next; keep them.
    for h in [axum::http::header::ALLOW, axum::http::header::RETRY_AFTER] {
        if let Some(v) = res.headers().get(&h) {
            out.headers_mut().insert(h, v.clone());
        }
    }
    out
}

/// A panic in a handler answers 500 in the documented shape; its text is
/// logged, never sent.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "something went wrong on our side; try again",
    )
    .into_response()
}
