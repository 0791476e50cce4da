//! `POST /v1/test_helpers/fixtures`: a fresh customer with a token, orders in
//! a chosen state and an agent token, for the evaluation harness. Answers 404
//! unless the server runs with `--test-helpers`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::extract::ApiJson;
use super::{ApiError, AppState};
use crate::auth::Principal;
use crate::commerce::FixtureRequest;

/// Tokens for fixtures live as long as an evaluation run could.
const TOKEN_TTL_SECS: u64 = 6 * 3600;

pub async fn create(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<FixtureRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if !s.app.config.server.test_helpers {
        return Err(ApiError::not_found("no such route"));
    }
    let f = s.app.commerce.fixture(req).await?;
    let tokens = &s.app.tokens;
    let customer = tokens.issue(&Principal::Customer(f.customer_id.clone()), TOKEN_TTL_SECS);
    let agent = tokens.issue(&Principal::Agent("agent-eval".into()), TOKEN_TTL_SECS);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "customer_id": f.customer_id,
            "customer_token": customer,
            "agent_token": agent,
            "orders": f.orders,
        })),
    ))
}
