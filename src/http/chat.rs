//! `POST /v1/chat`: one assistant turn, as JSON or, with
//! `Accept: text/event-stream`, as server-sent events.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
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

pub(super) const MAX_MESSAGE: usize = 2000;

pub async fn chat(
    State(s): State<AppState>,
    who: Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let text = req.message.trim().to_string();
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
    ready(&s)?;
    // A place in the queue first, so a refused turn costs the store nothing.
    let queued = s.turns.queue()?;
    // Everything else that can refuse the request (who, which session) is
    // settled before answering; the turn itself runs in `run`, after its
    // slot comes up, so a stream can start while it waits.
    let app = s.app.clone();
    let (run, revisable_by): (TurnFuture, Option<String>) = if assist {
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
        let (app, text) = (app.clone(), text.clone());
        let run = async move {
            let _admitted = queued.admit().await?;
            Ok(app.assist_chat(&me, &session, &ticket, &text).await?)
        };
        (Box::pin(run), None)
    } else {
        if req.ticket_id.is_some() {
            return Err(ApiError::bad_request(
                "`ticket_id` is for assist mode (`mode: assist`, care agents)",
            ));
        }
        let me = who.customer()?.to_string();
        let session = customer_session(&s, &me, req.session_id).await?;
        let (app, text, who) = (app.clone(), text.clone(), me.clone());
        let run = async move {
            let _admitted = queued.admit().await?;
            Ok(app.chat(&who, &session, &text).await?)
        };
        // Customer turns may be revised by a model after the first answer.
        (Box::pin(run), Some(me))
    };
    let revise = move |first: Turn| async move {
        let me = revisable_by.filter(|_| first.revisable)?;
        app.revise(&me, &text, &first)
            .await
            .inspect_err(|e| tracing::warn!(error = %format!("{e:#}"), "revising a turn failed"))
            .ok()
            .flatten()
    };
    let wants_stream = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    if wants_stream {
        let every = std::time::Duration::from_millis(s.app.config.server.sse_keep_alive_ms.max(10));
        return Ok(stream(run, revise, every).into_response());
    }
    let turn = run.await?;
    let timing = HeaderValue::from_str(&turn.timings.header()).ok();
    let mut res = Json(revise(turn.clone()).await.unwrap_or(turn)).into_response();
    if let Some(t) = timing {
        res.headers_mut().insert("server-timing", t);
    }
    Ok(res)
}

/// A turn still to run: waits for its slot, then answers.
type TurnFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Turn, ApiError>> + Send>>;

/// 503 until the assistant's knowledge, indexes and models are loaded.
pub(super) fn ready(s: &AppState) -> Result<(), ApiError> {
    if s.app.is_ready() {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the assistant is still loading",
        ))
    }
}

/// The customer's session `id`, or a new one when `None`; someone else's
/// session is 404, exactly like a missing one.
pub(super) async fn customer_session(
    s: &AppState,
    me: &str,
    id: Option<String>,
) -> Result<String, ApiError> {
    Ok(match id {
        Some(id) => {
            let conv = s.app.store.conversation(id.clone()).await?;
            if conv.customer_id.as_deref() != Some(me) {
                return Err(ApiError::not_found(format!("session {id} not found")));
            }
            id
        }
        None => {
            s.app
                .store
                .create_conversation(Some(me.to_string()), None, None, "customer")
                .await?
                .id
        }
    })
}

fn event(name: &str, v: &serde_json::Value) -> Event {
    Event::default().event(name).data(v.to_string())
}

/// The turn as events, once `run` has it: each tool call and result, the
/// cart, the reply in word-sized deltas; then, once `revise` resolves, a
/// `correction` with the whole revised turn if there is one; then `done`
/// with the final turn. A turn that fails is one `error` event with the
/// usual error body. While nothing is ready (the turn waiting for its slot,
/// or a model revising it) a comment goes out every `every`, so proxies and
/// clients keep the connection.
fn stream<F>(
    run: TurnFuture,
    revise: impl FnOnce(Turn) -> F + Send + 'static,
    every: std::time::Duration,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>
where
    F: std::future::Future<Output = Option<Turn>> + Send + 'static,
{
    use futures_util::StreamExt;
    let all = async move {
        let turn = match run.await {
            Ok(t) => t,
            Err(e) => {
                return futures_util::stream::iter(vec![event("error", &e.body())]).left_stream()
            }
        };
        let first = events(&turn);
        let rest = async move {
            let revised = revise(turn.clone()).await;
            let mut out = Vec::new();
            if let Some(r) = &revised {
                out.push(event(
                    "correction",
                    &serde_json::to_value(r).unwrap_or_default(),
                ));
            }
            let last = revised.as_ref().unwrap_or(&turn);
            out.push(event(
                "done",
                &serde_json::to_value(last).unwrap_or_default(),
            ));
            futures_util::stream::iter(out)
        };
        futures_util::stream::iter(first)
            .chain(futures_util::stream::once(rest).flatten())
            .right_stream()
    };
    Sse::new(futures_util::stream::once(all).flatten().map(Ok))
        .keep_alive(KeepAlive::new().interval(every))
}

fn events(turn: &Turn) -> Vec<Event> {
    let mut events = Vec::new();
    for c in &turn.tool_calls {
        events.push(event(
            "tool_call",
            &serde_json::json!({ "name": c.name, "arguments": c.arguments }),
        ));
        events.push(event(
            "tool_result",
            &serde_json::json!({ "name": c.name, "ok": c.ok, "result": c.result }),
        ));
    }
    if let Some(cart) = &turn.cart {
        events.push(event("cart", cart));
    }
    for word in turn.reply.split_inclusive(' ') {
        events.push(event("message.delta", &serde_json::json!({ "text": word })));
    }
    events
}
