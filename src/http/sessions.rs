//! Chat sessions: created by a customer (or an agent in assist mode) and
//! readable only by their owner.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::extract::{optional_json, ApiPath, Caller};
use super::{ApiError, AppState};
use crate::auth::Principal;
use crate::store::Conversation;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// `customer` (default) or `assist`.
    #[serde(default)]
    mode: Option<String>,
}

pub async fn create(
    State(s): State<AppState>,
    Caller(who): Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<Conversation>), ApiError> {
    // The body is optional: an empty POST starts a customer session.
    let req: CreateSession = optional_json(&body)?;
    let mode = req.mode.unwrap_or_else(|| "customer".into());
    let conv = match (mode.as_str(), who) {
        ("customer", Principal::Customer(id)) => {
            s.app
                .store
                .create_conversation(Some(id), None, None, "customer")
                .await?
        }
        ("assist", Principal::Agent(id)) => {
            s.app
                .store
                .create_conversation(None, Some(id), None, "assist")
                .await?
        }
        ("customer" | "assist", _) => {
            return Err(ApiError::forbidden(format!(
                "mode `{mode}` is not available to this caller"
            )))
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "mode must be `customer` or `assist`, got `{mode}`"
            )))
        }
    };
    Ok((StatusCode::CREATED, Json(conv)))
}

pub async fn get(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Conversation>, ApiError> {
    let conv = s.app.store.conversation(id.clone()).await?;
    let owned = match &who {
        Principal::Customer(c) => conv.customer_id.as_deref() == Some(c.as_str()),
        // Agents read any conversation: assist mode needs the customer's side.
        Principal::Agent(_) => true,
    };
    // Someone else's session is indistinguishable from a missing one.
    if !owned {
        return Err(ApiError::not_found(format!("session {id} not found")));
    }
    Ok(Json(conv))
}
