//! Extractors: query strings and paths whose rejections are [`ApiError`]s, and
//! the caller's [`Principal`] from a bearer token (or, in demo mode, from the
//! `X-Demo-Customer` header naming a seeded customer).

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;

use super::{ApiError, AppState};
use crate::auth::{valid_subject, Principal};

#[derive(FromRequestParts)]
#[from_request(via(Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// The authenticated caller.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
            let value = value
                .to_str()
                .map_err(|_| ApiError::unauthorized("Authorization header is not text"))?;
            let token = value
                .strip_prefix("Bearer ")
                .ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer <token>`"))?;
            let who = state
                .app
                .tokens
                .verify(token.trim())
                .map_err(|e| ApiError::unauthorized(e.to_string()))?;
            return Ok(Caller(who));
        }
        if state.app.config.auth.demo {
            if let Some(id) = parts
                .headers
                .get("x-demo-customer")
                .and_then(|v| v.to_str().ok())
            {
                if !valid_subject(id) || state.app.knowledge.customers.iter().all(|c| c.id != id) {
                    return Err(ApiError::unauthorized(format!(
                        "unknown demo customer `{id}`"
                    )));
                }
                return Ok(Caller(Principal::Customer(id.to_string())));
            }
        }
        Err(ApiError::unauthorized("missing bearer token"))
    }
}
