//! `POST /v1/chat`: one assistant turn, as JSON or, with
//! `Accept: text/event-stream`, as server-sent events.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::extract::{ApiJson, Caller};
use super::{ApiError, AppState};
use crate::agent::Turn;
use crate::commerce::Actor;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    session_id: Option<String>,
    message: String,
    /// `customer` (the default) or `assist` (care agents, about `ticket_id`).
    mode: Option<String>,
    ticket_id: Option<String>,
}

const MAX_MESSAGE: usize = 2000;

pub async fn chat(
    State(s): State<AppState>,
    who: Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let text = req.message.trim();
    if text.is_empty() || text.chars().count() > MAX_MESSAGE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("`message` must be 1 to {MAX_MESSAGE} characters"),
        ));
    }
    let assist = match req.mode.as_deref() {
        None | Some("customer") => false,
        Some("assist") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "`mode` must be `customer` or `assist`, got `{other}`"
            )))
        }
    };
    if !s.app.is_ready() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the assistant is still loading",
        ));
    }
    let turn = if assist {
        let me = who.agent()?.to_string();
        let ticket = req
            .ticket_id
            .ok_or_else(|| ApiError::bad_request("assist mode needs `ticket_id`"))?;
        // A missing ticket is a 404 before any session is made for it.
        s.app
            .commerce
            .ticket(&Actor::Agent(me.clone()), &ticket)
            .await?;
        let session = match req.session_id {
            Some(id) => {
                let conv = s.app.store.conversation(id.clone()).await?;
                if conv.mode != "assist" || conv.agent_id.as_deref() != Some(me.as_str()) {
                    return Err(ApiError::not_found(format!("session {id} not found")));
                }
                if conv.ticket_id.as_ref().is_some_and(|t| *t != ticket) {
                    return Err(ApiError::bad_request(format!(
                        "session {id} is about another ticket"
                    )));
                }
                id
            }
            None => {
                s.app
                    .store
                    .create_conversation(None, Some(me.clone()), Some(ticket.clone()), "assist")
                    .await?
                    .id
            }
        };
        s.app.assist_chat(&me, &session, &ticket, text).await
    } else {
        if req.ticket_id.is_some() {
            return Err(ApiError::bad_request(
                "`ticket_id` is for assist mode (`mode: assist`, care agents)",
            ));
        }
        let me = who.customer()?.to_string();
        let session = match req.session_id {
            Some(id) => {
                let conv = s.app.store.conversation(id.clone()).await?;
                if conv.customer_id.as_deref() != Some(me.as_str()) {
                    return Err(ApiError::not_found(format!("session {id} not found")));
                }
                id
            }
            None => {
                s.app
                    .store
                    .create_conversation(Some(me.clone()), None, None, "customer")
                    .await?
                    .id
            }
        };
        s.app.chat(&me, &session, text).await
    }
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "chat_failed",
            format!("{e:#}"),
        )
    })?;
    let wants_stream = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    Ok(if wants_stream {
        stream(turn).into_response()
    } else {
        Json(turn).into_response()
    })
}

/// The turn as events: each tool call and result, the cart, the reply in
/// word-sized deltas, then `done` with the whole turn.
fn stream(turn: Turn) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let mut events = Vec::new();
    let json = |name: &str, v: &serde_json::Value| Event::default().event(name).data(v.to_string());
    for c in &turn.tool_calls {
        events.push(json(
            "tool_call",
            &serde_json::json!({ "name": c.name, "arguments": c.arguments }),
        ));
        events.push(json(
            "tool_result",
            &serde_json::json!({ "name": c.name, "ok": c.ok, "result": c.result }),
        ));
    }
    if let Some(cart) = &turn.cart {
        events.push(json("cart", cart));
    }
    for word in turn.reply.split_inclusive(' ') {
        events.push(json("message.delta", &serde_json::json!({ "text": word })));
    }
    events.push(json(
        "done",
        &serde_json::to_value(&turn).unwrap_or_default(),
    ));
    Sse::new(futures_util::stream::iter(events.into_iter().map(Ok)))
}
