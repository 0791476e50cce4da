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

/// A JSON body whose rejections are [`ApiError`]s.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// The `Idempotency-Key` header every retryable write requires.
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let key = parts
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 200)
            .ok_or_else(|| ApiError::bad_request("an `Idempotency-Key` header (1 to 200 characters) is required: retrying with the same key never repeats the write"))?;
        Ok(IdempotencyKey(key.to_string()))
    }
}

impl Caller {
    /// The customer id, or 403 for an agent: agents act through `/v1/assist`.
    pub fn customer(&self) -> Result<&str, ApiError> {
        match &self.0 {
            Principal::Customer(id) => Ok(id),
            Principal::Agent(_) => Err(ApiError::forbidden(
                "this endpoint is for customers; agents act through /v1/assist/...",
            )),
        }
    }

    /// The agent id, or 403 for a customer.
    pub fn agent(&self) -> Result<&str, ApiError> {
        match &self.0 {
            Principal::Agent(id) => Ok(id),
            Principal::Customer(_) => Err(ApiError::forbidden(
                "assist endpoints need a care agent's token",
            )),
        }
    }

    /// Like [`Caller::agent`], but to a customer the route does not exist:
    /// for pages whose very existence is agents' business (insights).
    pub fn agent_only(&self) -> Result<&str, ApiError> {
        self.agent()
            .map_err(|_| ApiError::not_found("no such route"))
    }

    /// Assist routes (`/v1/assist/...`) are for agents, the others for customers.
    pub fn may_act_on(&self, route: &str) -> Result<(), ApiError> {
        if route.starts_with("/v1/assist/") {
            self.agent().map(drop)
        } else {
            self.customer().map(drop)
        }
    }

    /// The actor this caller is in the commerce engine.
    pub fn actor(&self) -> crate::commerce::Actor {
        match &self.0 {
            Principal::Customer(id) => crate::commerce::Actor::Customer(id.clone()),
            Principal::Agent(id) => crate::commerce::Actor::Agent(id.clone()),
        }
    }
}

/// A JSON body that may be empty (then `T::default()`).
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_json",
            e.to_string(),
        )
    })
}
